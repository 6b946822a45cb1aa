#![allow(clippy::unwrap_used)]
//! Image inputs: blobs kept by hash, the inputs of a generation, the dedup key over
//! them, and lineage both ways.

use store::{CanonicalInputs, InputRecord, Status, Tier, dedup_key};
use vocab::{InputFidelity, InputRole, Operation};

use crate::common::{new_gen, open, png, project, request};

fn input(role: InputRole, blob: &store::Blob, source: Option<(String, u32)>) -> InputRecord {
    InputRecord {
        role,
        hash: blob.hash.clone(),
        mime: blob.mime,
        width: blob.width,
        height: blob.height,
        source,
    }
}

fn edit(images: Vec<InputRecord>, mask: Option<InputRecord>) -> CanonicalInputs {
    CanonicalInputs {
        operation: Operation::Edit,
        images,
        mask,
        expand: None,
        scale: None,
        fidelity: Some(InputFidelity::High),
    }
}

#[test]
fn an_imported_blob_is_kept_by_hash_without_being_a_gallery_result() {
    let fx = open();
    let bytes = png(40, 30, 1);
    let blob = fx.store.import_blob(&bytes).unwrap();
    assert_eq!(
        (blob.width, blob.height, blob.mime.as_str()),
        (40, 30, "image/png")
    );
    assert_eq!(fx.store.blob(&blob.hash).unwrap().unwrap(), blob);
    assert_eq!(fx.store.blob_bytes(&blob.hash).unwrap(), bytes);
    // Importing the same bytes again is the same blob.
    assert_eq!(fx.store.import_blob(&bytes).unwrap().hash, blob.hash);
    let page = fx
        .store
        .gallery_page(&store::GalleryQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert!(page.items.is_empty(), "an input is not a gallery result");
    assert!(fx.store.blob(&"0".repeat(64)).unwrap().is_none());
    assert!(fx.store.import_blob(b"not an image").is_err());
}

#[test]
fn dedup_key_covers_operation_inputs_in_order_roles_mask_and_settings() {
    let fx = open();
    let a = fx.store.import_blob(&png(32, 32, 1)).unwrap();
    let b = fx.store.import_blob(&png(32, 32, 2)).unwrap();
    let m = fx.store.import_blob(&png(32, 32, 3)).unwrap();
    let m2 = fx.store.import_blob(&png(32, 32, 4)).unwrap();
    let base = {
        let mut r = request("make it blue");
        r.inputs = edit(
            vec![
                input(InputRole::Subject, &a, None),
                input(InputRole::Reference, &b, None),
            ],
            Some(input(InputRole::Subject, &m, None)),
        );
        r
    };
    // Same bytes from the gallery instead of a file: the same request.
    let mut same = base.clone();
    same.inputs.images[0].source = Some(("g".into(), 0));
    assert_eq!(dedup_key(&base), dedup_key(&same));
    // Text only keeps the key it had before inputs existed.
    assert_eq!(
        dedup_key(&request("make it blue")),
        dedup_key(&{
            let mut r = request("make it blue");
            r.inputs = CanonicalInputs::default();
            r
        })
    );

    type Mutator = Box<dyn Fn(&mut store::CanonicalRequest)>;
    let b2 = b.clone();
    let m2c = m2.clone();
    let variants: Vec<Mutator> = vec![
        Box::new(|r| r.inputs.operation = Operation::Inpaint),
        Box::new(move |r| r.inputs.images[1] = input(InputRole::Reference, &m2c, None)),
        Box::new(|r| r.inputs.images.swap(0, 1)),
        Box::new(|r| r.inputs.images[1].role = InputRole::Style),
        Box::new(|r| {
            r.inputs.images.pop();
        }),
        Box::new(move |r| {
            r.inputs.images.push(input(InputRole::Reference, &b2, None));
        }),
        Box::new(|r| r.inputs.mask = None),
        Box::new(move |r| r.inputs.mask = Some(input(InputRole::Subject, &m2, None))),
        Box::new(|r| r.inputs.expand = Some([0, 64, 0, 64])),
        Box::new(|r| r.inputs.scale = Some(2)),
        Box::new(|r| r.inputs.fidelity = Some(InputFidelity::Low)),
        Box::new(|r| r.inputs.fidelity = None),
        Box::new(|r| r.inputs = CanonicalInputs::default()),
    ];
    let mut keys = std::collections::HashSet::new();
    keys.insert(dedup_key(&base));
    for v in variants {
        let mut r = base.clone();
        v(&mut r);
        assert!(
            keys.insert(dedup_key(&r)),
            "variant collided: {:?}",
            r.inputs
        );
    }
}

#[test]
fn a_generation_records_its_inputs_and_lineage_answers_both_ways() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    // A draft with one image.
    let draft = fx
        .store
        .create_generation(&new_gen(&p, request("a fox"), Tier::Draft))
        .unwrap();
    fx.store.set_status(draft, Status::Running, None).unwrap();
    let img = fx
        .store
        .persist_image(draft, 0, &png(32, 32, 9), None)
        .unwrap();
    fx.store.set_status(draft, Status::Succeeded, None).unwrap();
    let drafted = fx.store.gallery_blob(draft, 0).unwrap();
    assert_eq!(drafted.hash, img.hash);

    // An edit of the draft with a reference and a mask.
    let reference = fx.store.import_blob(&png(48, 48, 2)).unwrap();
    let mask = fx.store.import_blob(&png(32, 32, 3)).unwrap();
    let inputs = edit(
        vec![
            input(InputRole::Subject, &drafted, Some((draft.to_string(), 0))),
            input(InputRole::Reference, &reference, None),
        ],
        Some(input(InputRole::Subject, &mask, None)),
    );
    let mut req = request("make the fox blue");
    req.inputs = inputs.clone();
    let edit_id = fx
        .store
        .create_generation(&new_gen(&p, req, Tier::Final))
        .unwrap();
    let back = fx.store.inputs_of(edit_id).unwrap();
    assert_eq!(back.operation, Operation::Edit);
    assert_eq!(back.images, inputs.images);
    assert_eq!(back.mask.as_ref().unwrap().hash, mask.hash);
    assert_eq!(back.fidelity, Some(InputFidelity::High));
    // The stored request carries them too (recovery re-prices by hash).
    assert_eq!(fx.store.generation(edit_id).unwrap().request.inputs, inputs);
    assert!(fx.store.inputs_of(draft).unwrap().is_empty());

    let used = fx.store.used_by(draft).unwrap();
    assert_eq!(used.len(), 1);
    assert_eq!(used[0].generation_id, edit_id);
    assert_eq!(used[0].role, InputRole::Subject);
    assert_eq!(used[0].operation, Operation::Edit);
    assert_eq!(
        fx.store.results_using(&reference.hash).unwrap(),
        vec![edit_id]
    );
    assert_eq!(fx.store.results_using(&img.hash).unwrap(), vec![edit_id]);
    assert!(fx.store.used_by(edit_id).unwrap().is_empty());

    // Deleting the draft's image keeps its file: the edit still names it.
    fx.store.delete_images(&[img.id]).unwrap();
    assert!(fx.store.blob_bytes(&img.hash).is_ok());
}

#![allow(clippy::unwrap_used)]

use store::{Status, Tier, dedup_key};

type Mutator = Box<dyn Fn(&mut store::CanonicalRequest)>;

use crate::common::{d, generation, new_gen, open, png, project, request};

#[test]
fn key_ignores_unicode_form_and_whitespace_but_not_parameters() {
    let base = request("café  at\tdawn ");
    let mut same = request("cafe\u{301} at dawn");
    same.negative_prompt = Some(" blurry ".into());
    assert_eq!(dedup_key(&base), dedup_key(&same));
    assert_eq!(dedup_key(&base).len(), 64);

    let variants: Vec<Mutator> = vec![
        Box::new(|r| r.seed = Some(43)),
        Box::new(|r| r.seed = None),
        Box::new(|r| r.negative_prompt = None),
        Box::new(|r| r.provider = "fal".into()),
        Box::new(|r| r.model = "gpt-image-1-mini".into()),
        Box::new(|r| r.model_version = Some("2025-04".into())),
        Box::new(|r| r.width = 1536),
        Box::new(|r| r.height = 1536),
        Box::new(|r| r.quality = Some("high".into())),
        Box::new(|r| r.steps = Some(30)),
        Box::new(|r| r.style = Some("vivid".into())),
        Box::new(|r| r.n = 2),
        Box::new(|r| r.reference_image_hashes = vec!["ab".into()]),
        Box::new(|r| r.prompt = "café at dusk".into()),
    ];
    let mut keys = std::collections::HashSet::new();
    keys.insert(dedup_key(&base));
    for v in variants {
        let mut r = base.clone();
        v(&mut r);
        assert!(keys.insert(dedup_key(&r)), "variant collided: {r:?}");
    }
    // Field boundaries are unambiguous.
    let mut a = request("a b");
    a.negative_prompt = Some("c".into());
    let mut b = request("a");
    b.negative_prompt = Some("b c".into());
    assert_ne!(dedup_key(&a), dedup_key(&b));
}

#[test]
fn a_hit_is_reused_at_no_cost_and_the_saving_recorded() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let q = project(&fx.store, "Q", None);
    let key = dedup_key(&request("a red bicycle"));
    assert!(fx.store.find_reusable(&key).unwrap().is_none());

    let g = generation(&fx.store, &p, "a red bicycle");
    fx.store.reserve(p.id, g, d("0.1")).unwrap();
    fx.store.set_status(g, Status::Running, None).unwrap();
    fx.store
        .persist_image(g, 0, &png(32, 32, 5), Some(42))
        .unwrap();
    fx.store.settle(g, d("0.042")).unwrap();
    // Not reusable until it succeeded.
    assert!(fx.store.find_reusable(&key).unwrap().is_none());
    fx.store.set_status(g, Status::Succeeded, None).unwrap();

    let hit = fx.store.find_reusable(&key).unwrap().unwrap();
    assert_eq!(hit.generation.id, g);
    assert_eq!(hit.images.len(), 1);
    assert!(hit.seed_honoured);

    let reused = fx
        .store
        .reuse_generation(g, q.id, Tier::Draft, None)
        .unwrap();
    let rec = fx.store.generation(reused).unwrap();
    assert_eq!(rec.status, Status::Reused);
    assert_eq!(rec.cost, d("0"));
    assert_eq!(rec.saved, d("0.042"));
    assert_eq!(rec.reused_from, Some(g));
    let imgs = fx.store.images(reused).unwrap();
    assert_eq!(imgs.len(), 1);
    assert_eq!(imgs[0].hash, hit.images[0].hash);
    assert_eq!(imgs[0].project_id, q.id);
    let sum = fx.store.project_summary("Q").unwrap();
    assert_eq!((sum.saved, sum.spent), (d("0.042"), d("0")));
    // The original is still the one found.
    assert_eq!(
        fx.store.find_reusable(&key).unwrap().unwrap().generation.id,
        g
    );
}

#[test]
fn seed_ignoring_models_are_marked() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let mut req = request("a cat");
    req.seed = None;
    let mut new = new_gen(&p, req.clone(), Tier::Draft);
    new.seed_honoured = false;
    let g = fx.store.create_generation(&new).unwrap();
    fx.store.set_status(g, Status::Running, None).unwrap();
    fx.store.persist_image(g, 0, &png(16, 16, 9), None).unwrap();
    fx.store.set_status(g, Status::Succeeded, None).unwrap();
    let hit = fx.store.find_reusable(&dedup_key(&req)).unwrap().unwrap();
    assert!(!hit.seed_honoured, "offer as 'reuse the last result'");
    assert!(
        fx.store
            .reuse_generation(uuid::Uuid::new_v4(), p.id, Tier::Draft, None)
            .is_err()
    );
}

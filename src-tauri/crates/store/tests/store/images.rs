#![allow(clippy::unwrap_used)]

use std::time::Duration;

use store::{Store, StoreError};

use crate::common::{d, generation, open, png, project};

#[test]
fn identical_bytes_are_stored_once_with_a_thumbnail() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g1 = generation(&fx.store, &p, "a");
    let g2 = generation(&fx.store, &p, "b");
    let bytes = png(1024, 768, 7);
    let a = fx.store.persist_image(g1, 0, &bytes, Some(1)).unwrap();
    let b = fx.store.persist_image(g2, 0, &bytes, Some(2)).unwrap();
    assert_eq!(a.hash, b.hash);
    assert_eq!(a.path, b.path);
    assert_ne!(a.id, b.id);
    let h = &a.hash;
    assert_eq!(a.path, format!("images/{}/{}/{h}.png", &h[..2], &h[2..4]));
    assert_eq!(std::fs::read(fx.store.absolute(&a.path)).unwrap(), bytes);
    assert_eq!(
        (a.width, a.height, a.mime.as_str()),
        (1024, 768, "image/png")
    );
    let thumb = image::open(fx.store.absolute(a.thumb_path.as_ref().unwrap())).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (384, 288));
    let files: i64 = rusqlite::Connection::open(fx.store.db_path())
        .unwrap()
        .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(files, 1);
}

#[test]
fn non_images_are_refused_without_leaving_files() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "a");
    let err = fx
        .store
        .persist_image(g, 0, b"not an image at all", None)
        .unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedImage(_)));
    assert!(!fx.dir.path().join("images").exists());
}

#[test]
fn sweep_removes_temp_and_orphans_reports_missing_and_rebuilds_thumbs() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "a");
    let kept = fx.store.persist_image(g, 0, &png(32, 32, 1), None).unwrap();
    let gone = fx.store.persist_image(g, 1, &png(32, 32, 2), None).unwrap();
    let shard = fx.dir.path().join("images/00/00");
    std::fs::create_dir_all(&shard).unwrap();
    std::fs::write(shard.join(".tmp-deadbeef"), b"partial").unwrap();
    let orphan = shard.join(format!("{}.png", "0".repeat(64)));
    std::fs::write(&orphan, png(8, 8, 3)).unwrap();
    std::fs::remove_file(fx.store.absolute(&gone.path)).unwrap();
    std::fs::remove_file(fx.store.absolute(kept.thumb_path.as_ref().unwrap())).unwrap();

    // Young files are left alone (another process may be about to commit them).
    let report = fx.store.sweep(Duration::from_secs(3600)).unwrap();
    assert!(report.removed_temp.is_empty() && report.removed_orphans.is_empty());
    assert_eq!(
        report.rebuilt_thumbs, 1,
        "a missing thumbnail is rebuilt from its image"
    );

    drop(fx.store);
    let store = Store::open_with(
        fx.dir.path(),
        store::OpenOptions {
            sweep: true,
            sweep_grace: Duration::ZERO,
        },
    )
    .unwrap();
    let report = store.open_sweep_report();
    assert_eq!(report.removed_temp.len(), 1);
    assert_eq!(report.removed_orphans, vec![orphan.clone()]);
    assert_eq!(report.missing_files, vec![gone.path.clone()]);
    assert_eq!(report.rebuilt_thumbs, 0);
    assert!(store.absolute(kept.thumb_path.as_ref().unwrap()).exists());
    assert!(!orphan.exists());
}

#[test]
fn favourites_ratings_tags_and_boards() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "a");
    let img = fx.store.persist_image(g, 0, &png(16, 16, 1), None).unwrap();
    fx.store.set_favourite(img.id, true).unwrap();
    fx.store.set_rating(img.id, 4).unwrap();
    assert!(fx.store.set_rating(img.id, 6).is_err());
    assert!(fx.store.set_favourite(9999, true).is_err());
    let rec = fx.store.image(img.id).unwrap();
    assert!(rec.favourite);
    assert_eq!(rec.rating, 4);

    fx.store.add_tag(img.id, " Hero ").unwrap();
    fx.store.add_tag(img.id, "hero").unwrap();
    fx.store.add_tag(img.id, "moodboard").unwrap();
    assert_eq!(fx.store.tags(img.id).unwrap(), vec!["hero", "moodboard"]);
    fx.store.remove_tag(img.id, "moodboard").unwrap();
    assert_eq!(fx.store.tags(img.id).unwrap(), vec!["hero"]);
    assert!(fx.store.add_tag(9999, "x").is_err());

    let board = fx.store.create_board(p.id, "Picks").unwrap();
    assert!(fx.store.create_board(p.id, "Picks").is_err());
    fx.store.add_to_board(board.id, img.id).unwrap();
    fx.store.add_to_board(board.id, img.id).unwrap();
    assert_eq!(fx.store.boards(p.id).unwrap(), vec![board.clone()]);
    let page = fx
        .store
        .gallery_page(&store::GalleryQuery {
            board_id: Some(board.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.items.len(), 1);
    fx.store.remove_from_board(board.id, img.id).unwrap();
    let page = fx
        .store
        .gallery_page(&store::GalleryQuery {
            board_id: Some(board.id),
            ..Default::default()
        })
        .unwrap();
    assert!(page.items.is_empty());
}

/// Deleting an image removes its row and, once nothing else uses it, its file and
/// thumbnail; a file shared with another image stays; spend history is untouched.
#[test]
fn deleting_images_removes_unshared_files_and_keeps_the_spend() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g1 = generation(&fx.store, &p, "a");
    let g2 = generation(&fx.store, &p, "b");
    fx.store.reserve(p.id, g1, d("0.1")).unwrap();
    fx.store.settle(g1, d("0.04")).unwrap();
    let shared = png(64, 64, 1);
    let a = fx.store.persist_image(g1, 0, &shared, None).unwrap();
    let b = fx.store.persist_image(g2, 0, &shared, None).unwrap();
    let c = fx
        .store
        .persist_image(g1, 1, &png(64, 64, 2), None)
        .unwrap();
    fx.store.add_tag(c.id, "hero").unwrap();

    assert_eq!(fx.store.delete_images(&[a.id, c.id, 999_999]).unwrap(), 2);
    assert!(
        fx.store.absolute(&b.path).exists(),
        "a file another image uses stays"
    );
    assert!(
        !fx.store.absolute(&c.path).exists(),
        "an unshared file goes"
    );
    assert!(!fx.store.absolute(c.thumb_path.as_ref().unwrap()).exists());
    assert!(fx.store.images(g1).unwrap().is_empty());
    assert_eq!(fx.store.images(g2).unwrap().len(), 1);
    let summary = fx.store.project_summary("P").unwrap();
    assert_eq!(summary.spent, d("0.04"), "the ledger keeps its history");
}

//! New images reach the search indexes in batches, off the generation's path (issue
//! 17). Whatever indexes them (a search itself, the background indexer, the store as it
//! closes, the next writable open), a search never misses one.
#![allow(clippy::unwrap_used)]
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use store::{SearchQuery, Store, Tier};

use crate::common::*;

fn found(store: &Store, text: &str) -> Vec<i64> {
    store
        .search(&SearchQuery {
            text: text.into(),
            ..Default::default()
        })
        .unwrap()
        .items
        .iter()
        .map(|t| t.image_id)
        .collect()
}

/// One image of a generation with this prompt.
fn image(store: &Store, prompt: &str, seed: u32) -> i64 {
    let p = match store.list_projects().unwrap().into_iter().next() {
        Some(p) => p,
        None => project(store, "A", None),
    };
    let g = store
        .create_generation(&new_gen(&p, request(prompt), Tier::Draft))
        .unwrap();
    store
        .persist_image(g, 0, &png(8, 8, seed), None)
        .unwrap()
        .id
}

/// Rows still waiting in the queue, read straight from the file.
fn queued(dir: &Path) -> i64 {
    let c = Connection::open(dir.join("proofsheet.sqlite3")).unwrap();
    c.query_row("SELECT count(*) FROM search_pending", [], |r| r.get(0))
        .unwrap()
}

/// What the indexes hold for `id`, read straight from the file (not through a search,
/// which would index the queue first).
fn indexed(dir: &Path, id: i64) -> (i64, i64) {
    let c = Connection::open(dir.join("proofsheet.sqlite3")).unwrap();
    let n = |t: &str| -> i64 {
        c.query_row(
            &format!("SELECT count(*) FROM {t} WHERE rowid = ?1"),
            [id],
            |r| r.get(0),
        )
        .unwrap()
    };
    (n("gallery_fts"), n("gallery_tri"))
}

#[test]
fn a_search_right_after_a_generation_finds_it_and_empties_the_queue() {
    let fx = open();
    let id = image(&fx.store, "a lighthouse at dusk, 夕暮れの灯台", 1);
    assert_eq!(
        indexed(fx.dir.path(), id),
        (0, 0),
        "queued, not indexed in line"
    );
    assert_eq!(found(&fx.store, "lighthouse"), vec![id]);
    assert_eq!(queued(fx.dir.path()), 0);
    assert_eq!(indexed(fx.dir.path(), id), (1, 1));
    assert_eq!(found(&fx.store, "灯台"), vec![id], "the trigram index too");
    // A second search indexes nothing twice.
    assert_eq!(found(&fx.store, "lighthouse"), vec![id]);
}

#[test]
fn a_burst_is_indexed_in_the_background_once_it_is_quiet() {
    let fx = open();
    let ids: Vec<i64> = (0..12)
        .map(|i| image(&fx.store, &format!("harbour study {i}"), i))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while queued(fx.dir.path()) > 0 {
        assert!(Instant::now() < deadline, "the queue was never indexed");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(fx.store.search_index_batches() >= 1);
    for id in &ids {
        assert_eq!(indexed(fx.dir.path(), *id), (1, 1), "image {id}");
    }
}

#[test]
fn tags_and_deletes_while_queued_end_up_right() {
    let fx = open();
    let tagged = image(&fx.store, "red bicycle", 1);
    let gone = image(&fx.store, "blue bicycle", 2);
    fx.store.add_tag(tagged, "hero").unwrap();
    fx.store.delete_images(&[gone]).unwrap();
    assert_eq!(found(&fx.store, "hero"), vec![tagged], "the tag is indexed");
    assert_eq!(
        found(&fx.store, "bicycle"),
        vec![tagged],
        "the deleted one is not"
    );
    assert_eq!(indexed(fx.dir.path(), gone), (0, 0));
    // Tag changes after indexing still reach both indexes in place.
    fx.store.remove_tag(tagged, "hero").unwrap();
    assert!(found(&fx.store, "hero").is_empty());
}

#[test]
fn a_closed_store_leaves_nothing_queued_for_a_read_only_reader() {
    let fx = open();
    let id = image(&fx.store, "quiet meadow", 1);
    let dir = fx.dir;
    drop(fx.store);
    assert_eq!(queued(dir.path()), 0, "indexed as the store closed");
    let reader = Store::open_read_only(dir.path()).unwrap();
    assert_eq!(found(&reader, "meadow"), vec![id]);
}

#[test]
fn what_a_killed_process_left_queued_is_indexed_by_the_next_writable_open() {
    let fx = open();
    let id = image(&fx.store, "storm over the pier", 1);
    let dir = fx.dir;
    drop(fx.store);
    // As a process killed before its burst was indexed leaves the file.
    let c = Connection::open(dir.path().join("proofsheet.sqlite3")).unwrap();
    c.execute_batch(&format!(
        "DELETE FROM gallery_fts WHERE rowid = {id}; DELETE FROM gallery_tri WHERE rowid = {id};
         INSERT INTO search_pending(image_id) VALUES ({id});"
    ))
    .unwrap();
    drop(c);
    let _writer = Store::open(dir.path()).unwrap();
    assert_eq!(queued(dir.path()), 0);
    let reader = Store::open_read_only(dir.path()).unwrap();
    assert_eq!(found(&reader, "pier"), vec![id]);
}

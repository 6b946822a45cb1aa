#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use store::{GalleryQuery, SearchQuery, Tier, fts_query};

use crate::common::{new_gen, open, png, project, request};

fn seed(fx: &crate::common::Fx) -> (store::Project, store::Project, Vec<i64>) {
    let a = project(&fx.store, "A", None);
    let b = project(&fx.store, "B", None);
    let mut ids = Vec::new();
    for i in 0..25u32 {
        let mut req = request(&format!("lighthouse number {i} in a storm"));
        if i % 2 == 1 {
            req.provider = "fal".into();
            req.model = "flux-schnell".into();
        }
        let tier = if i % 5 == 0 { Tier::Final } else { Tier::Draft };
        let p = if i < 20 { &a } else { &b };
        let g = fx.store.create_generation(&new_gen(p, req, tier)).unwrap();
        let img = fx.store.persist_image(g, 0, &png(8, 8, i), None).unwrap();
        if i % 3 == 0 {
            fx.store.set_favourite(img.id, true).unwrap();
            fx.store.set_rating(img.id, 5).unwrap();
        }
        ids.push(img.id);
    }
    (a, b, ids)
}

#[test]
fn pages_are_newest_first_and_keyset_pagination_visits_each_image_once() {
    let fx = open();
    let (a, _, _) = seed(&fx);
    let mut seen = Vec::new();
    let mut q = GalleryQuery {
        project_id: Some(a.id),
        limit: 7,
        ..Default::default()
    };
    loop {
        let page = fx.store.gallery_page(&q).unwrap();
        seen.extend(page.items.iter().map(|t| (t.created_at, t.image_id)));
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 20);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 20);
    let mut sorted = seen.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(seen, sorted);
}

#[test]
fn filters_narrow_the_page() {
    let fx = open();
    let (a, b, _) = seed(&fx);
    let page = |q: GalleryQuery| fx.store.gallery_page(&q).unwrap().items;
    assert_eq!(page(GalleryQuery::default()).len(), 25);
    assert_eq!(
        page(GalleryQuery {
            project_id: Some(b.id),
            ..Default::default()
        })
        .len(),
        5
    );
    let fal = page(GalleryQuery {
        provider: Some("fal".into()),
        ..Default::default()
    });
    assert_eq!(fal.len(), 12);
    assert!(fal.iter().all(|t| t.provider == vocab::OfferProvider::Fal));
    let finals = page(GalleryQuery {
        tier: Some(Tier::Final),
        project_id: Some(a.id),
        ..Default::default()
    });
    assert_eq!(finals.len(), 4);
    let favs = page(GalleryQuery {
        favourites_only: true,
        ..Default::default()
    });
    assert_eq!(favs.len(), 9);
    assert_eq!(
        page(GalleryQuery {
            min_rating: Some(5),
            ..Default::default()
        })
        .len(),
        9
    );
    let future = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!(
        page(GalleryQuery {
            from: Some(future),
            ..Default::default()
        })
        .is_empty()
    );
    assert_eq!(
        page(GalleryQuery {
            to: Some(future),
            ..Default::default()
        })
        .len(),
        25
    );
}

#[test]
fn search_finds_prompts_tags_providers_and_survives_any_input() {
    let fx = open();
    let (a, _, ids) = seed(&fx);
    let search = |text: &str, project| {
        fx.store
            .search(&SearchQuery {
                text: text.into(),
                project_id: project,
                ..Default::default()
            })
            .unwrap()
            .items
    };
    assert_eq!(search("lighthouse", None).len(), 25);
    assert_eq!(search("LIGHTHOUSE storm", Some(a.id)).len(), 20);
    assert_eq!(search("number 7", None).len(), 1);
    assert_eq!(search("lightho", None).len(), 25, "last word is a prefix");
    assert_eq!(search("flux", None).len(), 12);
    assert!(
        search("blurry", None).len() == 25,
        "negative prompt is indexed"
    );
    fx.store.add_tag(ids[3], "hero-shot").unwrap();
    assert_eq!(
        search("hero", None)
            .iter()
            .map(|t| t.image_id)
            .collect::<Vec<_>>(),
        vec![ids[3]]
    );
    fx.store.remove_tag(ids[3], "hero-shot").unwrap();
    assert!(search("hero", None).is_empty());
    for nasty in [
        "\"",
        "\"\"\"",
        "a\" OR \"b",
        "NEAR(",
        "*",
        "-lighthouse",
        "lighthouse AND",
        "^",
        "(",
        ")",
        "col:lighthouse",
        "'; DROP TABLE images; --",
        "",
        "   ",
        "🦊",
        "NOT",
        "{prompt}: x",
    ] {
        let _ = search(nasty, None);
    }
    assert_eq!(
        fts_query("a\" OR \"b"),
        Some("\"a\" \"OR\" \"b\"*".to_string())
    );
    assert_eq!(fts_query("***"), None);
    // Pagination by cursor.
    let first = fx
        .store
        .search(&SearchQuery {
            text: "lighthouse".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let second = fx
        .store
        .search(&SearchQuery {
            text: "lighthouse".into(),
            limit: 10,
            after: first.next,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(first.items.len(), 10);
    assert!(
        second
            .items
            .iter()
            .all(|t| t.image_id < first.items[9].image_id)
    );
}

/// A Japanese word inside a run of CJK text, an emoji and an English plural are all found
/// (issue 12 §1.14), and tags added later are found as substrings too.
#[test]
fn search_finds_cjk_words_emoji_and_plurals() {
    let fx = open();
    let p = project(&fx.store, "J", None);
    let mut ids = Vec::new();
    for prompt in [
        "夕暮れの灯台、リソグラフ印刷、二色刷り 🌅🗼 ✨",
        "a lighthouse at dusk, risograph print",
        "two lighthouses in fog",
        "a harbour crane",
    ] {
        let g = fx
            .store
            .create_generation(&new_gen(&p, request(prompt), Tier::Draft))
            .unwrap();
        let n = u32::try_from(ids.len()).unwrap();
        ids.push(
            fx.store
                .persist_image(g, 0, &png(8, 8, n + 40), None)
                .unwrap()
                .id,
        );
    }
    let found = |text: &str| {
        let q = SearchQuery {
            text: text.into(),
            ..Default::default()
        };
        let items: Vec<i64> = fx
            .store
            .search(&q)
            .unwrap()
            .items
            .iter()
            .map(|t| t.image_id)
            .collect();
        assert_eq!(
            fx.store.search_count(&q).unwrap(),
            items.len() as u64,
            "{text}"
        );
        items
    };
    assert_eq!(found("灯台"), vec![ids[0]], "a word inside CJK text");
    assert_eq!(found("二色"), vec![ids[0]]);
    assert_eq!(found("リソグラフ"), vec![ids[0]]);
    assert_eq!(found("🌅"), vec![ids[0]], "an emoji");
    assert_eq!(
        found("lighthouses"),
        vec![ids[2], ids[1]],
        "a plural finds the singular"
    );
    assert_eq!(
        found("lighthouse"),
        vec![ids[2], ids[1]],
        "and the other way round"
    );
    assert_eq!(
        found("lighthouse 灯台"),
        Vec::<i64>::new(),
        "every term is required"
    );
    assert!(found("灯台船").is_empty());
    fx.store.add_tag(ids[3], "港のクレーン").unwrap();
    assert_eq!(
        found("クレーン"),
        vec![ids[3]],
        "tags are searched as substrings"
    );
    fx.store.remove_tag(ids[3], "港のクレーン").unwrap();
    assert!(found("クレーン").is_empty());
}

#[test]
fn search_combines_with_every_filter_and_counts_are_real() {
    let fx = open();
    let (a, _, ids) = seed(&fx);
    let board = fx.store.create_board(a.id, "Picks").unwrap();
    fx.store.add_to_board(board.id, ids[1]).unwrap();
    fx.store.add_to_board(board.id, ids[2]).unwrap();
    let text = |q: SearchQuery| SearchQuery {
        text: "lighthouse storm".into(),
        ..q
    };
    let check = |q: SearchQuery, expected: usize| {
        let q = text(q);
        let items = fx.store.search(&q).unwrap().items;
        assert_eq!(items.len(), expected, "{q:?}");
        assert_eq!(fx.store.search_count(&q).unwrap(), expected as u64, "{q:?}");
    };
    check(SearchQuery::default(), 25);
    check(
        SearchQuery {
            project_id: Some(a.id),
            provider: Some("fal".into()),
            ..Default::default()
        },
        10,
    );
    check(
        SearchQuery {
            tier: Some(Tier::Final),
            ..Default::default()
        },
        5,
    );
    check(
        SearchQuery {
            favourites_only: true,
            ..Default::default()
        },
        9,
    );
    check(
        SearchQuery {
            min_rating: Some(4),
            project_id: Some(a.id),
            ..Default::default()
        },
        7,
    );
    check(
        SearchQuery {
            board_id: Some(board.id),
            ..Default::default()
        },
        2,
    );
    let past = chrono::DateTime::from_timestamp_millis(0).unwrap();
    check(
        SearchQuery {
            to: Some(past),
            ..Default::default()
        },
        0,
    );
    check(
        SearchQuery {
            from: Some(past),
            ..Default::default()
        },
        25,
    );

    // The page count is the number of matching images, not the page size.
    let count = |q: GalleryQuery| fx.store.gallery_count(&q).unwrap();
    assert_eq!(count(GalleryQuery::default()), 25);
    let q = GalleryQuery {
        project_id: Some(a.id),
        limit: 3,
        ..Default::default()
    };
    assert_eq!(fx.store.gallery_page(&q).unwrap().items.len(), 3);
    assert_eq!(count(q), 20);
    assert_eq!(
        count(GalleryQuery {
            project_id: Some(a.id),
            provider: Some("fal".into()),
            ..Default::default()
        }),
        10
    );
    assert_eq!(
        count(GalleryQuery {
            board_id: Some(board.id),
            ..Default::default()
        }),
        2
    );
    assert_eq!(
        count(GalleryQuery {
            favourites_only: true,
            min_rating: Some(5),
            ..Default::default()
        }),
        9
    );
}

#[test]
fn a_jump_reads_the_rows_at_an_offset_and_its_next_page_continues_by_keyset() {
    let fx = open();
    let (a, _, _) = seed(&fx);
    // Ties in created_at, three images a millisecond: the order falls back to the id.
    rusqlite::Connection::open(fx.store.db_path())
        .unwrap()
        .execute(
            "UPDATE images SET created_at = 1700000000000 + (id / 3)",
            [],
        )
        .unwrap();
    let order = |q: GalleryQuery| -> Vec<i64> {
        let all = fx
            .store
            .gallery_page(&GalleryQuery { limit: 1000, ..q })
            .unwrap();
        assert!(all.next.is_none());
        all.items.iter().map(|t| t.image_id).collect()
    };
    for filter in [
        GalleryQuery::default(),
        GalleryQuery {
            project_id: Some(a.id),
            ..Default::default()
        },
    ] {
        let all = order(filter.clone());
        let n = all.len();
        assert!(n >= 20);
        // The start, the middle (inside a run of ties), the end, and past it.
        for offset in [0, 1, 7, n / 2, n - 4, n - 1, n, n + 5] {
            let jump = fx
                .store
                .gallery_page(&GalleryQuery {
                    offset: offset as u32,
                    limit: 4,
                    ..filter.clone()
                })
                .unwrap();
            let ids: Vec<i64> = jump.items.iter().map(|t| t.image_id).collect();
            let want = &all[offset.min(n)..(offset + 4).min(n)];
            assert_eq!(ids, want, "offset {offset} of {n}");
            assert_eq!(jump.next.is_some(), offset + 4 < n, "offset {offset}");
            if let Some(next) = jump.next {
                let after = fx
                    .store
                    .gallery_page(&GalleryQuery {
                        after: Some(next),
                        limit: 4,
                        ..filter.clone()
                    })
                    .unwrap();
                let ids: Vec<i64> = after.items.iter().map(|t| t.image_id).collect();
                assert_eq!(ids, &all[offset + 4..(offset + 8).min(n)], "after {offset}");
            }
        }
    }
    // A search jumps the same way over its own order (newest image id first).
    let q = SearchQuery {
        text: "lighthouse".into(),
        limit: 1000,
        ..Default::default()
    };
    let all: Vec<i64> = fx
        .store
        .search(&q)
        .unwrap()
        .items
        .iter()
        .map(|t| t.image_id)
        .collect();
    assert_eq!(all.len(), 25);
    let jump = fx
        .store
        .search(&SearchQuery {
            offset: 20,
            limit: 3,
            ..q.clone()
        })
        .unwrap();
    let ids: Vec<i64> = jump.items.iter().map(|t| t.image_id).collect();
    assert_eq!(ids, &all[20..23]);
    let rest = fx
        .store
        .search(&SearchQuery {
            after: jump.next,
            limit: 10,
            ..q
        })
        .unwrap();
    let ids: Vec<i64> = rest.items.iter().map(|t| t.image_id).collect();
    assert_eq!(ids, &all[23..]);
}

#[test]
fn a_reuse_in_the_same_project_is_one_tile_and_shows_when_its_original_goes() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let q = project(&fx.store, "Q", None);
    let g = crate::common::generation(&fx.store, &p, "a red bicycle");
    fx.store
        .set_status(g, store::Status::Running, None)
        .unwrap();
    let original = fx.store.persist_image(g, 0, &png(16, 16, 7), None).unwrap();
    fx.store
        .set_status(g, store::Status::Succeeded, None)
        .unwrap();
    let same = fx
        .store
        .reuse_generation(g, p.id, Tier::Draft, None)
        .unwrap();
    let other = fx
        .store
        .reuse_generation(g, q.id, Tier::Draft, None)
        .unwrap();
    let shown = |project: &store::Project| -> (Vec<String>, u64) {
        let q = GalleryQuery {
            project_id: Some(project.id),
            ..Default::default()
        };
        let page = fx.store.gallery_page(&q).unwrap();
        let ids = page
            .items
            .iter()
            .map(|t| t.generation_id.to_string())
            .collect();
        (ids, fx.store.gallery_count(&q).unwrap())
    };
    // No $0.00 twin in P; Q's reuse is Q's only image.
    assert_eq!(shown(&p), (vec![g.to_string()], 1));
    assert_eq!(shown(&q), (vec![other.to_string()], 1));
    // A jump past P's one tile finds nothing (the hidden twin is not counted either).
    let past = GalleryQuery {
        project_id: Some(p.id),
        offset: 1,
        ..Default::default()
    };
    assert!(fx.store.gallery_page(&past).unwrap().items.is_empty());
    fx.store.delete_images(&[original.id]).unwrap();
    assert_eq!(shown(&p), (vec![same.to_string()], 1));
}

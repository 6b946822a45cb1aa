//! The gallery side of the facade: real totals, search combined with filters, detail
//! boards, dashboard counts and project views.

use crate::common::*;
use engine::Engine;
use engine::api::*;
use wiremock::MockServer;

const CORE: &str = "stability:stable-image-core";

fn query(project: Option<&str>) -> GalleryQuery {
    GalleryQuery {
        project: project.map(str::to_owned),
        board: None,
        provider: None,
        tier: None,
        from: None,
        to: None,
        favourites_only: false,
        min_rating: None,
        search: None,
        cursor: None,
        limit: 50,
    }
}

/// Three stored generations of project "p" (distinct seeds, so no dedup).
async fn three_images(dir: &std::path::Path, server: &MockServer) -> (Engine, Vec<String>) {
    stability_ok(server, "core").await;
    let e = engine(dir, &[("stability", server.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    e.project_upsert(project("other", None, &[CORE], &[]))
        .await
        .expect("project");
    let mut ids = Vec::new();
    for seed in 1..=3 {
        let r = e
            .generate(input("p", Route::Draft, Some(seed)), noop())
            .await
            .expect("generate");
        assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
        ids.push(r.generation_id);
    }
    (e, ids)
}

#[tokio::test]
async fn gallery_total_counts_every_match_and_search_honours_filters() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let (e, ids) = three_images(dir.path(), &server).await;

    let mut q = query(Some("p"));
    q.limit = 1;
    let page = e.gallery_page(q).await.expect("page");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.total, 3, "total is every matching image, not the page");

    e.add_to_board(&ids[1], "Picks").await.expect("board");
    let mut q = query(Some("p"));
    q.search = Some("lantern".into());
    assert_eq!(e.gallery_page(q.clone()).await.expect("search").total, 3);
    q.board = Some("Picks".into());
    let page = e.gallery_page(q.clone()).await.expect("search on a board");
    assert_eq!(
        (page.items.len(), page.total),
        (1, 1),
        "search within a board"
    );
    assert_eq!(page.items[0].generation_id, ids[1]);
    q.board = None;
    q.provider = Some(vocab::OfferProvider::OpenAi);
    let page = e.gallery_page(q.clone()).await.expect("search by provider");
    assert_eq!((page.items.len(), page.total), (0, 0));
    q.provider = None;
    q.tier = Some(Tier::Final);
    assert_eq!(e.gallery_page(q.clone()).await.expect("tier").total, 0);
    q.tier = Some(Tier::Draft);
    e.set_favourite(&ids[2], true).await.expect("fav");
    q.favourites_only = true;
    let page = e.gallery_page(q.clone()).await.expect("favourites");
    assert_eq!((page.items.len(), page.total), (1, 1));
    q.favourites_only = false;
    q.min_rating = Some(3);
    assert_eq!(e.gallery_page(q.clone()).await.expect("rating").total, 0);
    q.min_rating = None;
    q.to = Some("2000-01-01T00:00:00Z".into());
    assert_eq!(e.gallery_page(q.clone()).await.expect("dates").total, 0);
    let mut other = query(Some("other"));
    other.search = Some("lantern".into());
    assert_eq!(e.gallery_page(other).await.expect("project").total, 0);
}

#[tokio::test]
async fn detail_boards_dashboard_counts_and_project_views_are_real() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let (e, ids) = three_images(dir.path(), &server).await;

    // Boards, not tags.
    e.add_to_board(&ids[0], "Picks").await.expect("board");
    e.add_to_board(&ids[0], "Client review")
        .await
        .expect("board");
    let s = store::Store::open(dir.path()).expect("store");
    let gid = uuid::Uuid::parse_str(&ids[0]).expect("uuid");
    let image = s.images(gid).expect("images")[0].id;
    s.add_tag(image, "hero").expect("tag");
    let detail = e.generation_detail(&ids[0]).await.expect("detail");
    assert_eq!(detail.boards, vec!["Client review", "Picks"]);
    assert!(
        e.generation_detail(&ids[1])
            .await
            .expect("detail")
            .boards
            .is_empty()
    );

    // A reuse points at the image already in the gallery: the card counts images, so
    // it stays at three (issue 12 §1.10: no $0.00 twin).
    let reused = e
        .generate(input("p", Route::Draft, Some(1)), noop())
        .await
        .expect("reuse");
    assert!(reused.dedup_hit);
    let view = e.project_show("p").await.expect("show");
    assert_eq!(view.generations, 3);

    let dash = e.dashboard(Some("p".into())).await.expect("dashboard");
    assert_eq!(dash.by_provider.len(), 1);
    assert_eq!(
        (dash.by_provider[0].key.as_str(), dash.by_provider[0].count),
        ("stability", 3),
        "three billed calls"
    );
    assert_eq!(dash.by_project[0].count, 3, "three generations charged");
    assert_eq!(dash.by_day[0].count, 3);

    // Upsert changes an existing project's client.
    assert_eq!(view.client.as_deref(), Some("ACME"));
    let mut input = project("p", Some("5"), &[CORE], &[]);
    input.client = Some("Globex".into());
    let view = e.project_upsert(input).await.expect("upsert");
    assert_eq!(view.client.as_deref(), Some("Globex"));
    assert_eq!(
        e.project_show("p").await.expect("show").client.as_deref(),
        Some("Globex")
    );
}

/// Settings shows the negotiated rates in force, and saving a list keeps every rate in it
/// (issue 12 §1.4: the page used to load none, so a second save wiped the first).
#[tokio::test]
async fn negotiated_rates_are_listed_and_survive_a_second_save() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], options()).await;
    assert!(
        e.settings()
            .await
            .expect("settings")
            .price_overrides
            .is_empty()
    );
    let rate = |id: &str, m: &str| PriceOverrideInput {
        offer_id: id.into(),
        multiplier: m.parse().expect("decimal"),
        price_cap_usd: None,
    };
    e.price_overrides_set(vec![rate(CORE, "0.8")])
        .await
        .expect("first rate");
    let shown = e.settings().await.expect("settings").price_overrides;
    assert_eq!(shown.len(), 1);
    assert_eq!(
        (
            shown[0].offer_id.as_str(),
            shown[0].multiplier.to_string().as_str()
        ),
        (CORE, "0.8")
    );

    // The page sends back what it loaded plus the new rate.
    let mut next = shown;
    next.push(rate("openai:dall-e-2", "0.5"));
    e.price_overrides_set(next).await.expect("second rate");
    let mut ids: Vec<String> = e
        .settings()
        .await
        .expect("settings")
        .price_overrides
        .into_iter()
        .map(|o| o.offer_id)
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["openai:dall-e-2".to_string(), CORE.to_string()]);
}

/// Favourite, rating, boards and export act on the variation chosen, not the whole job
/// (issue 12 §1.5): `<generation id>#<index>` names one image.
#[tokio::test]
async fn one_variation_of_a_multi_image_generation_is_addressed_alone() {
    let server = MockServer::start().await;
    stability_ok(&server, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", server.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    let mut three = input("p", Route::Draft, Some(9));
    three.params.n = 3;
    let r = e.generate(three, noop()).await.expect("generate");
    assert_eq!(r.images.len(), 3, "{r:?}");
    let id = r.generation_id;

    e.set_favourite(&format!("{id}#1"), true)
        .await
        .expect("fav");
    e.set_rating(&format!("{id}#1"), 4).await.expect("rate");
    e.add_to_board(&format!("{id}#1"), "Hero")
        .await
        .expect("board");
    let page = e.gallery_page(query(Some("p"))).await.expect("page");
    assert!(page.items.iter().all(|i| i.image_count == 3));
    let mut idx: Vec<u32> = page.items.iter().map(|i| i.image_index).collect();
    idx.sort_unstable();
    assert_eq!(idx, vec![0, 1, 2]);
    let chosen = page
        .items
        .iter()
        .find(|i| i.favourite)
        .expect("one favourite");
    assert_eq!(
        (chosen.image_index, chosen.rating),
        (1, 4),
        "the variation chosen"
    );
    let favs: Vec<(bool, u32)> = page.items.iter().map(|i| (i.favourite, i.rating)).collect();
    assert_eq!(favs.iter().filter(|f| f.0).count(), 1, "{favs:?}");
    assert_eq!(favs.iter().filter(|f| f.1 == 4).count(), 1, "{favs:?}");
    let mut q = query(Some("p"));
    q.board = Some("Hero".into());
    assert_eq!(e.gallery_page(q).await.expect("board page").items.len(), 1);

    let out = tempfile::tempdir().expect("out");
    let files = e
        .export(vec![format!("{id}#2")], out.path().to_path_buf())
        .await
        .expect("export");
    assert_eq!(
        files.iter().filter(|f| f.ends_with(".png")).count(),
        1,
        "{files:?}"
    );

    // Deleting one variation removes that image only; the spend stays.
    let spent = e.project_show("p").await.expect("show").spent_usd;
    assert_eq!(
        e.delete_images(vec![format!("{id}#0")])
            .await
            .expect("delete"),
        1
    );
    let left = e.gallery_page(query(Some("p"))).await.expect("page");
    assert_eq!(left.items.len(), 2);
    assert!(left.items.iter().all(|i| i.image_index != 0));
    assert_eq!(e.project_show("p").await.expect("show").spent_usd, spent);
}

/// Rename keeps a project's spend and images; archive hides it without deleting anything.
#[tokio::test]
async fn projects_can_be_renamed_and_archived() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let (e, _) = three_images(dir.path(), &server).await;
    let before = e.project_show("p").await.expect("show");
    let renamed = e.project_rename("p", "Spring").await.expect("rename");
    assert_eq!(renamed.name, "Spring");
    assert_eq!(renamed.spent_usd, before.spent_usd);
    assert_eq!(renamed.generations, 3);
    assert!(e.project_show("p").await.is_err());
    assert!(
        e.project_rename("Spring", "other").await.is_err(),
        "names stay unique"
    );
    assert!(!renamed.archived);
    let archived = e.project_archive("Spring", true).await.expect("archive");
    assert!(archived.archived);
    let listed = e.project_list().await.expect("list");
    assert!(listed.iter().any(|p| p.name == "Spring" && p.archived));
    assert!(
        !e.project_archive("Spring", false)
            .await
            .expect("restore")
            .archived
    );
}

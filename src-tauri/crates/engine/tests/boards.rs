//! Boards can be emptied and deleted; their images stay (issue 12 §3.3).

use crate::common::*;
use engine::api::*;
use wiremock::MockServer;

const CORE: &str = "stability:stable-image-core";

#[tokio::test]
async fn deleting_a_board_keeps_its_images_and_an_image_can_leave_a_board() {
    let server = MockServer::start().await;
    stability_ok(&server, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", server.uri())], options()).await;
    e.project_upsert(project("p", None, &[CORE], &[]))
        .await
        .expect("project");
    let mut ids = Vec::new();
    for seed in 1..=2 {
        let r = e
            .generate(input("p", Route::Draft, Some(seed)), noop())
            .await
            .expect("generate");
        ids.push(r.generation_id);
    }
    for id in &ids {
        e.add_to_board(id, "Picks").await.expect("board");
    }
    e.add_to_board(&ids[0], "Keep").await.expect("board");

    e.remove_from_board(&format!("{}#0", ids[0]), "Keep")
        .await
        .expect("off the board");
    assert_eq!(
        e.generation_detail(&ids[0]).await.expect("detail").boards,
        vec!["Picks"]
    );

    e.delete_board("Picks").await.expect("delete");
    assert_eq!(e.boards().await.expect("boards"), vec!["Keep"]);
    for id in &ids {
        assert!(
            e.generation_detail(id)
                .await
                .expect("detail")
                .boards
                .is_empty()
        );
    }
    let err = e.delete_board("Picks").await.expect_err("gone");
    assert!(err.to_string().contains("Picks"), "{err}");
    let all = e
        .gallery_page(GalleryQuery {
            project: Some("p".into()),
            board: None,
            provider: None,
            tier: None,
            from: None,
            to: None,
            favourites_only: false,
            min_rating: None,
            search: None,
            cursor: None,
            limit: 10,
        })
        .await
        .expect("page");
    assert_eq!(all.total, 2, "the images stay in the gallery");
}

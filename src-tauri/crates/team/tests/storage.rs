//! The team's bucket and gallery against real servers: PostgreSQL (`team::testing`) and
//! an S3 server process (`s3s-fs`, `team::testing_s3`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal_macros::dec;
use team::ledger::Booked;
use team::storage::sha256_hex;
use team::testing::{ANA, BOB, PgServer, STUDIO};
use team::testing_s3::S3Server;
use team::{ErrorClass, ProjectBudget, PublishedImage, Team};

async fn studio(pg: &PgServer) -> (Team, Team) {
    pg.studio(STUDIO, ANA, &[BOB]).await;
    let ana = pg.join(ANA, "ana-1").await;
    let bob = pg.join(BOB, "bob-1").await;
    ana.set_project("Spring", &ProjectBudget::hard(dec!(10)))
        .await
        .unwrap();
    (ana, bob)
}

#[tokio::test]
async fn uploads_are_content_addressed_idempotent_and_verified() {
    let s3 = S3Server::start(&["studio-images"]);
    let bucket = s3.storage("studio-images");
    let png = b"\x89PNG fake image bytes".to_vec();
    let (sha, uploaded) = bucket.put(&png).await.unwrap();
    assert_eq!(sha, sha256_hex(&png));
    assert!(uploaded);
    // The same bytes again: skipped, one object.
    let (again, uploaded) = bucket.put(&png).await.unwrap();
    assert_eq!((again.as_str(), uploaded), (sha.as_str(), false));
    assert_eq!(bucket.count().await.unwrap(), 1);
    assert_eq!(s3.object_files("studio-images"), 1);
    assert_eq!(bucket.get(&sha).await.unwrap(), png);
    // A missing object is NotFound; a wrong secret is an auth failure, not an outage.
    let missing = sha256_hex(b"nothing");
    assert_eq!(
        bucket.get(&missing).await.unwrap_err().class(),
        ErrorClass::NotFound
    );
    let mut wrong = s3.config("studio-images");
    wrong.secret_access_key = "not-the-secret".into();
    let e = team::Storage::connect(&wrong)
        .unwrap()
        .put(b"x")
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Auth, "{e}");
    assert!(!e.to_string().contains("not-the-secret"), "{e}");
}

#[tokio::test]
async fn damaged_bytes_in_the_bucket_are_refused() {
    let s3 = S3Server::start(&["tampered"]);
    let bucket = s3.storage("tampered");
    let (sha, _) = bucket.put(b"original").await.unwrap();
    // Someone overwrote the object behind the app's back.
    let path = object_store::path::Path::from(format!("sha256/{}/{sha}", &sha[..2]));
    let raw = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name("tampered")
        .with_region("us-east-1")
        .with_endpoint(s3.endpoint())
        .with_allow_http(true)
        .with_access_key_id(team::testing_s3::ACCESS_KEY)
        .with_secret_access_key(team::testing_s3::SECRET_KEY)
        .build()
        .unwrap();
    use object_store::ObjectStoreExt;
    raw.put(&path, b"tampered".to_vec().into()).await.unwrap();
    let e = bucket.get(&sha).await.unwrap_err();
    assert!(e.to_string().contains("damaged"), "{e}");
}

#[tokio::test]
async fn a_published_result_serves_a_teammate_and_books_the_saving() {
    let pg = PgServer::start();
    let (ana, bob) = studio(&pg).await;
    let s3 = S3Server::start(&["studio-images"]);
    let bucket = s3.storage("studio-images");

    // Ana's generation: reserved, charged, its image uploaded, then published.
    ana.reserve("Spring", "g-ana", Some("key-1"), dec!(0.5))
        .await
        .unwrap();
    ana.sync(
        "g-ana",
        Booked {
            cost: dec!(0.25),
            unconfirmed: dec!(0),
            closed: true,
        },
    )
    .await
    .unwrap();
    // Nothing published yet: no hit (a result whose images are not in the bucket).
    assert!(bob.lookup(&["key-1".into()]).await.unwrap().is_none());
    let bytes = b"ana's image".to_vec();
    let (sha, _) = bucket.put(&bytes).await.unwrap();
    let images = [PublishedImage {
        idx: 0,
        sha256: sha.clone(),
        mime: "image/png".into(),
        bytes: bytes.len() as i64,
        thumb_sha256: None,
    }];
    let meta = serde_json::json!({"prompt": "a fox"});
    ana.publish("g-ana", &meta, &images).await.unwrap();
    ana.publish("g-ana", &meta, &images).await.unwrap(); // idempotent
    // Bob cannot publish Ana's generation.
    assert!(bob.publish("g-ana", &meta, &images).await.is_err());

    let hit = bob
        .lookup(&["other".into(), "key-1".into()])
        .await
        .unwrap()
        .expect("a hit");
    assert_eq!(
        (hit.generation.as_str(), hit.member.as_str(), hit.cost),
        ("g-ana", "ana", dec!(0.25))
    );
    assert_eq!(hit.meta, meta);
    assert_eq!(hit.images, images);
    assert_eq!(bucket.get(&hit.images[0].sha256).await.unwrap(), bytes);

    bob.record_hit("Spring", "g-bob", "g-ana", hit.cost)
        .await
        .unwrap();
    bob.record_hit("Spring", "g-bob", "g-ana", hit.cost)
        .await
        .unwrap(); // idempotent
    let m = bob.meter("Spring").await.unwrap();
    assert_eq!(
        (m.spent, m.saved, m.reserved),
        (dec!(0.25), dec!(0.25), dec!(0))
    );
    assert!(bob.audit("Spring").await.unwrap().balanced());
    // A reused result is not itself a dedup source nor a catch-up item twice.
    let feed = bob.published_since("Spring", 0, 100).await.unwrap();
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].generation, "g-ana");
    assert!(
        ana.published_since("Spring", 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let after = bob
        .published_since("Spring", feed[0].published_us, 100)
        .await
        .unwrap();
    assert!(after.is_empty());
    assert_eq!(bob.published_counts("Spring").await.unwrap(), (1, 1));
}

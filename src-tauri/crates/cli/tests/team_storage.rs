//! Team storage end to end (issue 18, s18): real PostgreSQL (`team::testing`), a real S3
//! server process (`s3s-fs`, `team::testing_s3`), the real keychain
//! (.ci/with-keyring.sh) and one wiremock OpenAI per member.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::team::{BUCKET, GENERATIONS, Studio, service, studio};
use common::{
    Env, files_under, keyring_available, library_spent, money, mount_openai_ok, secret_tool_lookup,
};
use rust_decimal::Decimal;
use serde_json::Value;
use team::testing::PgServer;
use team::testing_s3::{ACCESS_KEY, S3Server, SECRET_KEY};

/// The usual draft, seeded: a teammate's identical request is the same request.
fn generate<'a>(project: &'a str, prompt: &'a str) -> Vec<&'a str> {
    let mut args = common::team::generate(project, prompt);
    args.extend(["--seed", "7"]);
    args
}

/// Ana and Bob on project Spring ($1), with the bucket.
async fn with_bucket() -> (PgServer, S3Server, Env, Env) {
    let Studio { pg, s3, ana, bob } = studio("Spring", "1", true).await;
    (pg, s3.expect("a bucket"), ana, bob)
}

fn image_bytes(env: &Env, g: &Value) -> Vec<u8> {
    let path = g["images"][0]["path"].as_str().unwrap();
    let p = std::path::Path::new(path);
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        env.data_dir().join(p)
    };
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[tokio::test]
async fn a_teammates_identical_request_is_served_from_storage_at_no_cost() {
    let (_pg, s3, ana, bob) = with_bucket().await;
    // The storage key is in the keychain, under each machine, and nowhere on disk.
    let machine = bob.json(&["team", "status"]).await["machine"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        secret_tool_lookup(&service(&bob), &format!("team-s3:{machine}")).as_deref(),
        Some(format!("{ACCESS_KEY}:{SECRET_KEY}").as_str())
    );

    let a = ana
        .run(&generate("Spring", "a lighthouse"))
        .await
        .ok()
        .json();
    let cost = money(&a, "cost_usd");
    assert!(cost > Decimal::ZERO);
    assert_eq!(ana.requests_to("POST", GENERATIONS).await, 1);
    assert_eq!(s3.object_files(BUCKET), 1, "the image is in the bucket");

    // Bob asks for the same thing: served from the bucket, $0, his provider never called.
    let b = bob
        .run(&generate("Spring", "a lighthouse"))
        .await
        .ok()
        .json();
    assert_eq!(bob.requests_to("POST", GENERATIONS).await, 0);
    assert_eq!(b["status"], "reused", "{b}");
    assert_eq!(money(&b, "cost_usd"), Decimal::ZERO);
    assert_eq!(
        image_bytes(&bob, &b),
        image_bytes(&ana, &a),
        "the same image"
    );
    let m = bob.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(money(&m, "spent_usd"), cost, "{m}");
    assert_eq!(money(&m, "saved_usd"), cost, "{m}");
    assert_eq!(money(&m, "reserved_usd"), Decimal::ZERO, "{m}");
    assert_eq!(m["balanced"], true);
    // Bob's own books: nothing spent (`project show` of a team project reports the
    // team's totals from the server, so read the library's ledger).
    assert_eq!(library_spent(&bob, "Spring"), Decimal::ZERO);
    // Asking again is a local hit: still nothing sent, nothing new in the bucket.
    bob.run(&generate("Spring", "a lighthouse")).await.ok();
    assert_eq!(bob.requests_to("POST", GENERATIONS).await, 0);
    assert_eq!(s3.object_files(BUCKET), 1);

    // No secret anywhere on disk or in any output.
    for env in [&ana, &bob] {
        for f in files_under(env.tmp.path()) {
            let bytes = std::fs::read(&f).unwrap_or_default();
            assert!(
                !bytes
                    .windows(SECRET_KEY.len())
                    .any(|w| w == SECRET_KEY.as_bytes()),
                "the storage secret found in {}",
                f.display()
            );
        }
        let t = env.transcript.lock().unwrap().clone();
        assert!(!t.contains(SECRET_KEY), "the storage secret was printed");
    }
}

#[tokio::test]
async fn the_outbox_publishes_after_an_outage_and_teammates_catch_up() {
    let (_pg, mut s3, ana, bob) = with_bucket().await;
    let harbour = ana.run(&generate("Spring", "a harbour")).await.ok().json();
    assert_eq!(s3.object_files(BUCKET), 1);
    // Its thumbnail went up beside it (under `thumbs/`); the bucket then loses it, so
    // Bob's catch-up falls back to rendering his own.
    assert_eq!(s3.files_under(BUCKET, "thumbs"), 1);
    let harbour_thumb = std::fs::read(thumb_path(&ana, &image_bytes(&ana, &harbour))).unwrap();
    let key = sha_hex(&harbour_thumb);
    s3.remove_object(BUCKET, &format!("thumbs/sha256/{}/{key}", &key[..2]));
    // The next call answers another image (identical bytes would be one object).
    ana.server.reset().await;
    mount_openai_ok(&ana.server, 8).await;

    // The bucket goes away: paid work on the team project still runs (the server holds
    // the money), its publication waits in the outbox.
    s3.stop();
    let g = ana.run(&generate("Spring", "a storm")).await.ok().json();
    assert_eq!(g["status"], "succeeded");
    s3.restart();
    assert_eq!(s3.object_files(BUCKET), 1, "not uploaded while away");
    // Ana's thumbnail of the storm, replaced by a marker no renderer makes from that
    // image: Bob's copy then shows it came from the bucket.
    let storm = image_bytes(&ana, &g);
    let marker = jpeg(7, 5);
    std::fs::write(thumb_path(&ana, &storm), &marker).unwrap();
    // Bob cannot be served the storm yet (unpublished): nothing from the outbox leaks.
    let s = bob.json(&["team", "sync"]).await;
    assert_eq!(s["projects"][0]["received"], 1, "{s}");

    // Ana's next sync pushes the outbox; a second one has nothing to push.
    let pushed = ana.json(&["team", "sync"]).await;
    assert_eq!(s3.object_files(BUCKET), 2, "{pushed}");
    ana.json(&["team", "sync"]).await;
    assert_eq!(s3.object_files(BUCKET), 2, "nothing uploaded twice");

    // Bob catches up on the storm; again: nothing new.
    let s = bob.run(&["team", "sync", "--json"]).await.ok();
    assert!(
        s.stderr.contains("Spring: 1 received (1 images)"),
        "{}",
        s.stderr
    );
    assert_eq!(s.json()["projects"][0]["received"], 1);
    let s = bob.json(&["team", "sync"]).await;
    assert_eq!(s["projects"][0]["received"], 0, "{s}");
    assert_eq!(s["projects"][0]["skipped"], 2, "{s}");
    assert_eq!(bob.requests_to("POST", GENERATIONS).await, 0);
    let gallery = bob.json(&["gallery", "list", "--project", "Spring"]).await;
    assert_eq!(
        gallery["items"].as_array().map(Vec::len),
        Some(2),
        "{gallery}"
    );
    // Thumbnails: the storm's downloaded (the marker), the harbour's rendered here.
    assert_eq!(s3.files_under(BUCKET, "thumbs"), 1, "the storm's");
    assert_eq!(std::fs::read(thumb_path(&bob, &storm)).unwrap(), marker);
    let rendered = std::fs::read(thumb_path(&bob, &image_bytes(&ana, &harbour))).unwrap();
    assert_eq!(rendered, harbour_thumb, "rendered like Ana's");
}

fn sha_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Where a library keeps the thumbnail of an image (by the image's sha256).
fn thumb_path(env: &Env, image: &[u8]) -> std::path::PathBuf {
    let h = sha_hex(image);
    env.data_dir()
        .join(format!("thumbs/{}/{}/{h}.jpg", &h[..2], &h[2..4]))
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 10, 10]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// `team join` with a bucket, but one thing wrong: refused with what to fix, before
/// anything is joined or kept (no team.json, no key in the keychain, secret nowhere).
#[tokio::test]
async fn a_bad_bucket_endpoint_or_key_is_refused_at_join_and_nothing_is_kept() {
    if !keyring_available() {
        eprintln!("skipped: run under .ci/with-keyring.sh");
        return;
    }
    let pg = PgServer::start_studio().await;
    let s3 = S3Server::start(&[BUCKET]);
    let env = Env::new().await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let cases: [(&str, String, &str, &str, &str); 3] = [
        (
            "s3://no-such-bucket",
            s3.endpoint(),
            SECRET_KEY,
            "no bucket",
            "bucket name",
        ),
        (
            "s3://studio-images",
            s3.endpoint(),
            "not-the-secret",
            "refused this access key",
            "key id and secret",
        ),
        (
            "s3://studio-images",
            dead,
            SECRET_KEY,
            "did not answer",
            "endpoint URL",
        ),
    ];
    for (bucket, endpoint, secret, what, fix) in cases {
        let out = env
            .run_stdin(
                &[
                    "team",
                    "join",
                    "--db",
                    &pg.url("ana", None, "studio"),
                    "--password-stdin",
                    "--storage",
                    bucket,
                    "--endpoint",
                    &endpoint,
                    "--storage-key-id",
                    ACCESS_KEY,
                    "--storage-secret-stdin",
                ],
                &format!("ana-pw\n{secret}\n"),
            )
            .await;
        assert_ne!(out.code, 0, "{bucket} at {endpoint} joined");
        assert!(
            out.stderr.contains(what) && out.stderr.contains(fix),
            "{bucket} at {endpoint}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains(secret) && !out.stdout.contains(secret));
        assert!(!env.data_dir().join("team.json").exists(), "joined anyway");
    }
    // The right bucket and key join, and the key is in the keychain only.
    let ok = common::team::join(&env, &pg, Some(&s3), team::testing::ANA).await;
    assert_eq!(ok["storage"], format!("s3://{BUCKET}"));
    let machine = ok["machine"].as_str().unwrap();
    assert!(secret_tool_lookup(&service(&env), &format!("team-s3:{machine}")).is_some());
    for f in files_under(&env.data_dir()) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET_KEY),
            "{} holds the secret",
            f.display()
        );
    }
}

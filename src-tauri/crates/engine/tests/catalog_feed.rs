//! The signed catalog feed against a local HTTP server: check, diff, apply, restore, and
//! every way a feed is refused (tampered body, wrong signature, wrong key, older
//! version, invalid catalog, offline).

use engine::feed::{FeedKey, PrivateKey};
use engine::{Engine, EngineOptions, ErrorKind};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn throwaway_key() -> PrivateKey {
    PrivateKey::from_seed(rand::random())
}

fn options(key: &PrivateKey) -> EngineOptions {
    EngineOptions {
        catalog_feed_key: Some(key.public()),
        ..crate::common::options()
    }
}

/// The bundled catalog, one day newer, with BFL FLUX 1.1 [pro] at 5 credits (was 4).
fn newer_catalog(version: &str, published: &str) -> String {
    catalog_with_flux_price(version, published, "5")
}

fn catalog_with_flux_price(version: &str, published: &str, credits: &str) -> String {
    let mut doc: Value =
        serde_json::from_str(&pricing::Catalog::bundled().to_json()).expect("bundled json");
    doc["version"] = version.into();
    doc["published"] = published.into();
    let offers = doc["offers"].as_array_mut().expect("offers");
    let o = offers
        .iter_mut()
        .find(|o| o["id"] == "bfl:flux-pro-1.1")
        .expect("flux-pro-1.1");
    o["formula"]["credits"]["price"] = credits.into();
    serde_json::to_string_pretty(&doc).expect("encode")
}

async fn serve(body: &[u8], sig: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed/catalog.json"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(body.to_vec()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed/catalog.json.sig"))
        .respond_with(ResponseTemplate::new(200).set_body_string(sig))
        .mount(&server)
        .await;
    server
}

async fn open(dir: &std::path::Path, key: &PrivateKey, server: &MockServer) -> Engine {
    let e = Engine::open_with(crate::common::config(dir), options(key))
        .await
        .expect("open");
    e.catalog_set_feed_url(Some(format!("{}/feed/catalog.json", server.uri())))
        .await
        .expect("feed url");
    e
}

async fn flux_estimate(e: &Engine) -> rust_decimal::Decimal {
    let r = e
        .estimate(engine::api::EstimateInput {
            params: engine::api::RequestParams {
                prompt: "a fox".into(),
                negative_prompt: None,
                width: 1024,
                height: 1024,
                quality: None,
                n: 1,
                steps: None,
                seed: None,
                ..engine::api::RequestParams::text("", 0, 0)
            },
            project: None,
            tier: engine::api::TierFilter::All,
            offers: vec!["bfl:flux-pro-1.1".into()],
        })
        .await
        .expect("estimate");
    r.estimates
        .into_iter()
        .find(|x| x.offer_id == "bfl:flux-pro-1.1")
        .expect("flux estimate")
        .expected_usd
}

#[tokio::test]
async fn check_shows_the_diff_and_changes_nothing_until_applied_then_restores() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    let body = newer_catalog("2026.12.01-1", "2026-12-01");
    let server = serve(body.as_bytes(), &key.sign(body.as_bytes())).await;
    let e = open(dir.path(), &key, &server).await;
    let bundled = pricing::Catalog::bundled();
    let before = flux_estimate(&e).await;

    let check = e.catalog_check().await.expect("check");
    assert_eq!(
        check.outcome,
        vocab::CatalogCheckOutcome::UpdateAvailable,
        "{check:?}"
    );
    let diff = check.diff.expect("diff");
    assert_eq!(diff.from_version, bundled.version);
    assert_eq!(diff.to_version, "2026.12.01-1");
    assert_eq!(diff.price_changes.len(), 1, "{:?}", diff.price_changes);
    let p = &diff.price_changes[0];
    assert_eq!(p.offer_id, "bfl:flux-pro-1.1");
    assert_eq!(p.old_usd, Some(crate::common::d("0.04")));
    assert_eq!(p.new_usd, Some(crate::common::d("0.05")));
    assert_eq!(p.percent, Some(crate::common::d("25.0")));

    // Nothing changed yet: the user has not said OK.
    assert_eq!(flux_estimate(&e).await, before);
    let st = e.catalog_status().await.expect("status");
    assert_eq!(st.version, bundled.version);
    assert_eq!(st.origin, vocab::CatalogOrigin::Bundled);
    assert!(st.pending.is_some(), "the verified update waits for the OK");
    assert!(st.last_checked_at.is_some() && st.last_check_error.is_none());

    // A stale review is not applied.
    let err = e
        .catalog_apply(Some("2026.11.30-9".into()))
        .await
        .expect_err("other version");
    assert!(err.message.contains("check again"), "{}", err.message);

    let st = e
        .catalog_apply(Some("2026.12.01-1".into()))
        .await
        .expect("apply");
    assert_eq!(st.version, "2026.12.01-1");
    assert_eq!(st.published, "2026-12-01");
    assert_eq!(st.origin, vocab::CatalogOrigin::Feed);
    assert!(st.pending.is_none());
    let prev = st.previous.expect("previous");
    assert!(prev.bundled && prev.version == bundled.version);
    assert_eq!(flux_estimate(&e).await, crate::common::d("0.05"));
    assert_eq!(
        e.settings().await.expect("settings").catalog_version,
        "2026.12.01-1"
    );
    // Stored in the data dir, signature beside it.
    let active = dir.path().join("catalog/active.json");
    assert_eq!(std::fs::read_to_string(&active).expect("active"), body);
    assert!(dir.path().join("catalog/active.json.sig").exists());

    // Survives a restart.
    drop(e);
    let e = open(dir.path(), &key, &server).await;
    assert_eq!(
        e.catalog_status().await.expect("status").version,
        "2026.12.01-1"
    );
    assert_eq!(flux_estimate(&e).await, crate::common::d("0.05"));
    // The feed has nothing newer now.
    let again = e.catalog_check().await.expect("check");
    assert_eq!(again.outcome, vocab::CatalogCheckOutcome::UpToDate);

    // Restore: back to the bundled prices; restoring again redoes the update.
    let st = e.catalog_restore().await.expect("restore");
    assert_eq!(st.version, bundled.version);
    assert_eq!(st.origin, vocab::CatalogOrigin::Bundled);
    assert_eq!(flux_estimate(&e).await, before);
    assert_eq!(st.previous.expect("prev").version, "2026.12.01-1");
    let st = e.catalog_restore().await.expect("redo");
    assert_eq!(st.version, "2026.12.01-1");
    assert_eq!(st.origin, vocab::CatalogOrigin::Feed);
    assert_eq!(flux_estimate(&e).await, crate::common::d("0.05"));
}

/// Asserts a check is refused with `needle` in the message, records it, and leaves the
/// catalog and the pending slot untouched.
async fn assert_refused(e: &Engine, needle: &str) {
    let version = e.catalog_status().await.expect("status").version;
    let err = e.catalog_check().await.expect_err("must be refused");
    assert_eq!(err.kind, ErrorKind::Validation, "{err:?}");
    assert!(err.message.contains(needle), "{}", err.message);
    assert!(
        err.message.contains("Nothing was changed"),
        "{}",
        err.message
    );
    let st = e.catalog_status().await.expect("status");
    assert_eq!(st.version, version);
    assert!(st.pending.is_none());
    assert_eq!(st.last_check_error.as_deref(), Some(err.message.as_str()));
    let apply = e.catalog_apply(None).await.expect_err("nothing to apply");
    assert!(apply.message.contains(needle), "{}", apply.message);
}

#[tokio::test]
async fn a_tampered_body_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    let body = newer_catalog("2026.12.01-1", "2026-12-01");
    let sig = key.sign(body.as_bytes());
    let tampered = body.replace("\"5\"", "\"0.5\"");
    assert_ne!(tampered, body);
    let server = serve(tampered.as_bytes(), &sig).await;
    let e = open(dir.path(), &key, &server).await;
    assert_refused(&e, "signature does not match").await;
}

#[tokio::test]
async fn a_wrong_signature_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    let body = newer_catalog("2026.12.01-1", "2026-12-01");
    let other = newer_catalog("2026.12.01-2", "2026-12-01");
    let server = serve(body.as_bytes(), &key.sign(other.as_bytes())).await;
    let e = open(dir.path(), &key, &server).await;
    assert_refused(&e, "signature does not match").await;
}

#[tokio::test]
async fn a_garbled_signature_file_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    let body = newer_catalog("2026.12.01-1", "2026-12-01");
    let server = serve(body.as_bytes(), "<html>not found</html>").await;
    let e = open(dir.path(), &key, &server).await;
    assert_refused(&e, "not an ed25519 signature").await;
}

#[tokio::test]
async fn a_feed_signed_with_another_key_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let trusted = throwaway_key();
    let attacker = throwaway_key();
    let body = newer_catalog("2026.12.01-1", "2026-12-01");
    let server = serve(body.as_bytes(), &attacker.sign(body.as_bytes())).await;
    let e = open(dir.path(), &trusted, &server).await;
    assert_refused(&e, "signature does not match").await;
}

#[tokio::test]
async fn the_built_in_key_refuses_a_test_signed_feed() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    let body = newer_catalog("2026.12.01-1", "2026-12-01");
    let server = serve(body.as_bytes(), &key.sign(body.as_bytes())).await;
    let e = Engine::open_with(crate::common::config(dir.path()), crate::common::options())
        .await
        .expect("open");
    e.catalog_set_feed_url(Some(format!("{}/feed/catalog.json", server.uri())))
        .await
        .expect("url");
    assert_refused(&e, "signature does not match").await;
    assert_ne!(key.public(), FeedKey::builtin());
}

#[tokio::test]
async fn a_feed_older_than_the_bundled_catalog_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    let body = newer_catalog("2026.10.01-1", "2026-10-01");
    let server = serve(body.as_bytes(), &key.sign(body.as_bytes())).await;
    let e = open(dir.path(), &key, &server).await;
    assert_refused(&e, "older than the one built into this app").await;
}

#[tokio::test]
async fn a_signed_but_invalid_catalog_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    let body = catalog_with_flux_price("2026.12.01-1", "2026-12-01", "-5");
    let server = serve(body.as_bytes(), &key.sign(body.as_bytes())).await;
    let e = open(dir.path(), &key, &server).await;
    assert_refused(&e, "signed but not a valid catalog").await;
    let err = e.catalog_check().await.expect_err("invalid");
    assert!(err.message.contains("bfl:flux-pro-1.1"), "{}", err.message);
}

#[tokio::test]
async fn offline_the_app_keeps_its_prices_and_says_how_old_they_are() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let url = format!("http://127.0.0.1:{port}/feed/catalog.json");
    let e = Engine::open_with(crate::common::config(dir.path()), options(&key))
        .await
        .expect("open");
    e.catalog_set_feed_url(Some(url)).await.expect("url");
    let before = flux_estimate(&e).await;
    let err = e.catalog_check().await.expect_err("offline");
    assert_eq!(err.kind, ErrorKind::Provider);
    assert!(
        err.message.contains("cannot reach the catalog feed"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("keeps using the prices it has"),
        "{}",
        err.message
    );
    let st = e.catalog_status().await.expect("status");
    // Tests pin the catalog date to the bundled catalog's day.
    assert_eq!(
        st.published,
        pricing::Catalog::bundled().published.to_string()
    );
    assert!(st.last_check_error.is_some());
    assert_eq!(flux_estimate(&e).await, before);
    // Not due again within a day, failed or not.
    assert!(e.catalog_check_if_due().await.expect("due").is_none());
}

#[tokio::test]
async fn the_daily_check_runs_once_and_never_applies() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    let body = newer_catalog("2026.12.01-1", "2026-12-01");
    let server = serve(body.as_bytes(), &key.sign(body.as_bytes())).await;
    let e = open(dir.path(), &key, &server).await;
    let first = e.catalog_check_if_due().await.expect("due");
    assert_eq!(
        first.expect("ran").outcome,
        vocab::CatalogCheckOutcome::UpdateAvailable
    );
    assert!(e.catalog_check_if_due().await.expect("due").is_none());
    let st = e.catalog_status().await.expect("status");
    assert_eq!(st.version, pricing::Catalog::bundled().version);
    assert!(st.pending.is_some());
}

#[tokio::test]
async fn feed_urls_must_be_https_except_to_this_machine() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = Engine::open_with(crate::common::config(dir.path()), crate::common::options())
        .await
        .expect("open");
    let err = e
        .catalog_set_feed_url(Some("http://example.com/catalog.json".into()))
        .await
        .expect_err("plain http");
    assert_eq!(err.kind, ErrorKind::Validation);
    let st = e
        .catalog_set_feed_url(Some("https://mirror.example.com/c.json".into()))
        .await
        .expect("https");
    assert_eq!(st.feed_url, "https://mirror.example.com/c.json");
    let st = e.catalog_set_feed_url(None).await.expect("default");
    assert_eq!(st.feed_url, engine::feed::DEFAULT_FEED_URL);
}

#[tokio::test]
async fn a_pending_file_changed_on_disk_is_not_applied() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    let body = newer_catalog("2026.12.01-1", "2026-12-01");
    let server = serve(body.as_bytes(), &key.sign(body.as_bytes())).await;
    let e = open(dir.path(), &key, &server).await;
    e.catalog_check().await.expect("check");
    let pending = dir.path().join("catalog/pending.json");
    let text = std::fs::read_to_string(&pending).expect("pending");
    std::fs::write(&pending, text.replace("\"5\"", "\"0.5\"")).expect("tamper");
    let err = e.catalog_apply(None).await.expect_err("tampered pending");
    assert!(
        err.message.contains("signature does not match"),
        "{}",
        err.message
    );
    assert_eq!(
        e.catalog_status().await.expect("status").version,
        pricing::Catalog::bundled().version
    );
}

#[tokio::test]
async fn negotiated_rates_survive_an_update_and_a_restore() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = throwaway_key();
    // The update drops SD 3.5 Medium, which has a negotiated rate.
    let mut doc: Value =
        serde_json::from_str(&newer_catalog("2026.12.01-1", "2026-12-01")).expect("json");
    doc["offers"]
        .as_array_mut()
        .expect("offers")
        .retain(|o| o["id"] != "stability:sd3.5-medium");
    let body = doc.to_string();
    let server = serve(body.as_bytes(), &key.sign(body.as_bytes())).await;
    let e = open(dir.path(), &key, &server).await;
    let rate = |id: &str| engine::api::PriceOverrideInput {
        offer_id: id.into(),
        multiplier: crate::common::d("0.5"),
        price_cap_usd: None,
    };
    e.price_overrides_set(vec![
        rate("stability:sd3.5-medium"),
        rate("bfl:flux-pro-1.1"),
    ])
    .await
    .expect("rates");
    e.catalog_check().await.expect("check");
    e.catalog_apply(None).await.expect("apply");
    assert_eq!(rated(&e).await, ["bfl:flux-pro-1.1"]);
    // 5 credits × $0.01 × 0.5.
    assert_eq!(flux_estimate(&e).await, crate::common::d("0.025"));
    e.catalog_restore().await.expect("restore");
    assert_eq!(
        rated(&e).await,
        ["bfl:flux-pro-1.1", "stability:sd3.5-medium"]
    );
    assert_eq!(flux_estimate(&e).await, crate::common::d("0.02"));
}

async fn rated(e: &Engine) -> Vec<String> {
    let mut ids: Vec<String> = e
        .settings()
        .await
        .expect("settings")
        .price_overrides
        .into_iter()
        .map(|o| o.offer_id)
        .collect();
    ids.sort();
    ids
}

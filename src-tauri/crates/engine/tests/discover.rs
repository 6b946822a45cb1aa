//! Model discovery (issue 14 §6): Together lists its models with prices for the key; the
//! engine shows the image models the catalog lacks and the offers Together no longer
//! lists, imports a listed price as an offer only when asked, and keeps it.

use crate::common::*;
use engine::Engine;
use engine::api::*;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NEW: &str = "black-forest-labs/FLUX.1-krea-dev";

async fn together() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "black-forest-labs/FLUX.1-schnell", "type": "image", "display_name": "FLUX.1 Schnell",
             "pricing": {"hourly": 0, "input": 0.0027, "output": 0.0027, "base": 0, "finetune": 0}},
            {"id": NEW, "type": "image", "display_name": "FLUX.1 Krea [dev]",
             "pricing": {"hourly": 0, "input": 0.025, "output": 0.025, "base": 0, "finetune": 0}},
            {"id": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "type": "chat",
             "pricing": {"hourly": 0, "input": 0.88, "output": 0.88, "base": 0, "finetune": 0}}
        ])))
        .mount(&server)
        .await;
    server
}

async fn open(dir: &std::path::Path, server: &MockServer) -> Engine {
    let mut o = options();
    o.keys.insert("together".into(), KEY.into());
    engine(dir, &[("together", server.uri())], o).await
}

#[tokio::test]
async fn listed_models_are_compared_with_the_catalog_and_imported_on_request() {
    let server = together().await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = open(dir.path(), &server).await;

    let report = e
        .offers_discover(Some(ProviderId::Together))
        .await
        .expect("discover");
    assert_eq!(report.providers.len(), 1);
    let t = &report.providers[0];
    assert_eq!((t.status.as_str(), t.listed), ("ok", 3), "{t:?}");
    let new: Vec<&str> = t.new_models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(new, [NEW], "only the image model the catalog lacks");
    let m = &t.new_models[0];
    assert!(m.importable);
    assert_eq!(m.per_image_usd, Some(d("0.025")));
    assert_eq!(m.listed_price.as_deref(), Some("$0.025 per megapixel"));
    assert!(
        t.unlisted_offers
            .contains(&"together:black-forest-labs/FLUX.1.1-pro".to_owned()),
        "catalog offers Together no longer lists: {:?}",
        t.unlisted_offers
    );
    assert!(
        !t.unlisted_offers
            .contains(&"together:black-forest-labs/FLUX.1-schnell".to_owned())
    );

    // Nothing is imported until asked.
    let id = format!("together:{NEW}");
    assert!(!e.offers().iter().any(|o| o.offer_id == id));
    let err = e
        .offers_import(ProviderId::Together, vec!["no/such-model".into()])
        .await
        .expect_err("not listed");
    assert!(
        err.message.contains("nothing was imported"),
        "{}",
        err.message
    );

    let r = e
        .offers_import(ProviderId::Together, vec![NEW.into()])
        .await
        .expect("import");
    assert_eq!(r.imported, vec![id.clone()]);
    let est = estimate(&e, &id).await;
    assert!(est.supported, "{est:?}");
    assert_eq!(est.expected_usd, d("0.025"), "1 MP at the listed rate");
    let again = e
        .offers_discover(Some(ProviderId::Together))
        .await
        .expect("discover");
    assert!(
        again.providers[0].new_models.is_empty(),
        "now in the catalog"
    );
    drop(e);

    let e = open(dir.path(), &server).await;
    assert_eq!(
        estimate(&e, &id).await.expected_usd,
        d("0.025"),
        "kept after a restart"
    );
    let view = e
        .offers()
        .into_iter()
        .find(|o| o.offer_id == id)
        .expect("offer listed");
    assert!(view.source.contains("imported"), "{}", view.source);

    // Providers without a price list cannot import; providers without a key say so.
    let err = e
        .offers_import(ProviderId::OpenAi, vec!["gpt-image-2".into()])
        .await
        .expect_err("no prices listed");
    assert!(err.message.contains("Together"), "{}", err.message);
    let replicate = e
        .offers_discover(Some(ProviderId::Replicate))
        .await
        .expect("replicate");
    assert_eq!(replicate.providers[0].status, vocab::DiscoveryStatus::NoKey);
    let bfl = e.offers_discover(Some(ProviderId::Bfl)).await.expect("bfl");
    assert_eq!(bfl.providers[0].status, vocab::DiscoveryStatus::Unsupported);
}

async fn estimate(e: &Engine, id: &str) -> OfferEstimate {
    e.estimate(EstimateInput {
        params: params(None),
        project: None,
        tier: TierFilter::All,
        offers: vec![id.to_owned()],
    })
    .await
    .expect("estimate")
    .estimates
    .remove(0)
}

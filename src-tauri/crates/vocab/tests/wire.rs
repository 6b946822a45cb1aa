//! The wire names are what the SQLite data, the catalog JSON and `--json` already
//! hold: they must round-trip and never change.

use std::str::FromStr;

use vocab::*;

fn round_trip<T>(all: &[T], wire: &[&str])
where
    T: Copy
        + PartialEq
        + std::fmt::Debug
        + FromStr
        + serde::Serialize
        + serde::de::DeserializeOwned,
    <T as FromStr>::Err: std::fmt::Debug,
    T: AsRef<str>,
{
    let names: Vec<&str> = all.iter().map(|v| v.as_ref()).collect();
    assert_eq!(names, wire, "wire names changed");
    for v in all {
        let json = serde_json::to_string(v).expect("serializes");
        assert_eq!(json, format!("\"{}\"", v.as_ref()));
        let back: T = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, *v);
        assert_eq!(v.as_ref().parse::<T>().expect("parses"), *v);
    }
}

#[test]
fn provider_ids_keep_their_wire_names() {
    round_trip(
        ProviderId::ALL,
        &[
            "openai",
            "stability",
            "google",
            "replicate",
            "fal",
            "bfl",
            "together",
            "openrouter",
            "a1111",
            "comfyui",
            "openai_compatible",
            "ideogram",
            "recraft",
            "xai",
        ],
    );
}

#[test]
fn offer_providers_are_the_providers_plus_gateway() {
    let mut wire: Vec<&str> = ProviderId::ALL.iter().map(|p| p.as_str()).collect();
    wire.push("gateway");
    round_trip(OfferProvider::ALL, &wire);
    for p in ProviderId::ALL {
        assert_eq!(OfferProvider::from(*p).provider(), Some(*p));
        assert_eq!(OfferProvider::from(*p).as_str(), p.as_str());
    }
    assert_eq!(OfferProvider::Gateway.provider(), None);
    assert!(OfferProvider::Gateway.key_optional());
}

#[test]
fn other_sets_keep_their_wire_names() {
    round_trip(
        BillingKind::ALL,
        &[
            "flat_per_image",
            "table",
            "per_megapixel",
            "base_increment",
            "tokens",
            "compute_seconds",
            "credits",
            "step_scaled",
            "free",
            "unknown",
        ],
    );
    round_trip(
        AttemptOutcome::ALL,
        &[
            "succeeded",
            "safety_block",
            "rate_limited",
            "quota_exhausted",
            "auth_failed",
            "invalid_request",
            "transient",
            "timeout",
            "malformed_response",
            "cancelled",
            "skipped",
            "running",
            "unknown",
        ],
    );
    round_trip(
        EstimateConfidence::ALL,
        &["published", "calibrated", "assumed"],
    );
    round_trip(
        EstimateSource::ALL,
        &["published", "calibrated", "reported", "unknown"],
    );
    round_trip(Availability::ALL, &["ready", "no_key", "not_configured"]);
    round_trip(
        DataTopic::ALL,
        &[
            "gallery", "jobs", "projects", "budgets", "keys", "settings", "catalog", "gateways",
            "charges", "library",
        ],
    );
    let fields: Vec<&str> = ErrorField::ALL.iter().map(|f| f.as_str()).collect();
    round_trip(ErrorField::ALL, &fields);
    assert!(fields.contains(&"budget_usd"));
}

#[test]
fn parsing_forgives_case_space_and_dashes() {
    assert_eq!(
        "OpenAI".parse::<ProviderId>().ok(),
        Some(ProviderId::OpenAi)
    );
    assert_eq!(
        " openai-compatible ".parse::<ProviderId>().ok(),
        Some(ProviderId::OpenAiCompatible)
    );
    // serde is exact: the stored data never depends on forgiveness.
    assert!(serde_json::from_str::<ProviderId>("\"OpenAI\"").is_err());
}

#[test]
fn an_unknown_id_says_what_is_known() {
    let err = "midjourney"
        .parse::<ProviderId>()
        .expect_err("not a provider");
    let msg = err.to_string();
    assert!(
        msg.contains("midjourney") && msg.contains("openai_compatible"),
        "{msg}"
    );
    assert!(
        "gateway".parse::<ProviderId>().is_err(),
        "a gateway is not a provider"
    );
    assert!("gateway".parse::<OfferProvider>().is_ok());
}

#[test]
fn provider_facts() {
    let local: Vec<_> = ProviderId::ALL.iter().filter(|p| p.is_local()).collect();
    assert_eq!(local, [&ProviderId::A1111, &ProviderId::ComfyUi]);
    let keyless: Vec<_> = ProviderId::ALL
        .iter()
        .filter(|p| p.key_optional())
        .collect();
    assert_eq!(
        keyless,
        [
            &ProviderId::A1111,
            &ProviderId::ComfyUi,
            &ProviderId::OpenAiCompatible
        ]
    );
    assert_eq!(
        ProviderId::OpenAi.api_key_env_var(),
        "PROOFSHEET_OPENAI_API_KEY"
    );
    assert_eq!(
        ProviderId::OpenAiCompatible.base_url_env_var(),
        "PROOFSHEET_OPENAI_COMPATIBLE_BASE_URL"
    );
    for p in ProviderId::ALL {
        assert!(!p.display_name().is_empty());
    }
    assert_eq!(ProviderId::A1111.display_name(), "AUTOMATIC1111");
}

#[test]
fn view_sets_keep_their_wire_names() {
    round_trip(
        LifecycleStatus::ALL,
        &["live", "deprecated", "retiring", "shut_down"],
    );
    round_trip(DriftStatus::ALL, &["drifting", "accepted", "ignored"]);
    round_trip(
        DiscoveryStatus::ALL,
        &["ok", "no_key", "unsupported", "error"],
    );
    round_trip(DeferredMode::ALL, &["batch"]);
    round_trip(CatalogOrigin::ALL, &["bundled", "feed", "imported"]);
    round_trip(
        CatalogCheckOutcome::ALL,
        &["update_available", "up_to_date"],
    );
    round_trip(
        LifecycleField::ALL,
        &["deprecated_on", "shutdown_on", "replaced_by"],
    );
    round_trip(GatewayDialect::ALL, &["images", "chat"]);
    round_trip(GatewayPricing::ALL, &["bound", "flat", "unknown"]);
    assert_eq!(GatewayDialect::default(), GatewayDialect::Images);
}

#[test]
fn image_types_keep_their_wire_names_and_extensions() {
    round_trip(ImageMime::ALL, &["image/png", "image/jpeg", "image/webp"]);
    let ext: Vec<&str> = ImageMime::ALL.iter().map(|m| m.extension()).collect();
    assert_eq!(ext, ["png", "jpg", "webp"]);
    assert!("image/gif".parse::<ImageMime>().is_err());
    assert_eq!(" Image/PNG ".parse::<ImageMime>(), Ok(ImageMime::Png));
}

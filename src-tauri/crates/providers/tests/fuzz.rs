//! Every response parser takes arbitrary bytes (and arbitrary JSON) without panicking.
use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

fn headers(ctype: &str, extra: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(ctype) {
        h.insert("content-type", v);
    }
    for name in [
        "retry-after",
        "retry-after-ms",
        "finish-reason",
        "x-fal-billable-units",
        "seed",
        "location",
    ] {
        if let Ok(v) = HeaderValue::from_str(extra) {
            h.insert(name, v);
        }
    }
    h
}

fn all_parsers(status: u16, h: &HeaderMap, body: &[u8]) {
    let _ = providers::openai::parse_images_response("openai", status, h, body);
    let _ = providers::moderation::parse_moderation(status, h, body);
    let _ = providers::stability::parse_generation(status, h, body);
    let _ = providers::google::parse_generate_content(status, h, body);
    let _ = providers::google::parse_predict(status, h, body);
    let _ = providers::replicate::parse_prediction(status, h, body);
    let _ = providers::fal::parse_submit(status, h, body);
    let _ = providers::fal::parse_status(status, h, body);
    let _ = providers::fal::parse_result(status, h, body);
    let _ = providers::bfl::parse_submit(status, h, body);
    let _ = providers::bfl::parse_poll(status, h, body);
    let _ = providers::together::parse_response(status, h, body);
    let _ = providers::xai::parse_response(status, h, body);
    let _ = providers::xai::classify_error(status, h, body);
    let _ = providers::openrouter::parse_response(status, h, body);
    let _ = providers::a1111::parse_response(status, h, body);
    let _ = providers::comfyui::parse_submit(status, h, body);
    let _ = providers::comfyui::parse_history("pid", status, h, body);
    let _ = providers::decode::inspect("fuzz", body);
    let text = String::from_utf8_lossy(body);
    let _ = providers::decode::data_url("fuzz", &text);
    let _ = providers::decode::b64("fuzz", &text);
    let _ = providers::retry_after::parse_retry_after(&text, chrono::Utc::now());
    let _ = providers::retry_after::parse_duration_string(&text);
}

const KEYS: &[&str] = &[
    "data",
    "b64_json",
    "url",
    "usage",
    "input_tokens",
    "output_tokens",
    "output_tokens_details",
    "image_tokens",
    "error",
    "code",
    "message",
    "type",
    "param",
    "image",
    "finish_reason",
    "seed",
    "candidates",
    "content",
    "parts",
    "inlineData",
    "data",
    "finishReason",
    "usageMetadata",
    "promptFeedback",
    "blockReason",
    "predictions",
    "bytesBase64Encoded",
    "raiFilteredReason",
    "id",
    "status",
    "output",
    "urls",
    "get",
    "cancel",
    "metrics",
    "predict_time",
    "request_id",
    "status_url",
    "queue_position",
    "images",
    "has_nsfw_concepts",
    "timings",
    "detail",
    "loc",
    "msg",
    "polling_url",
    "cost",
    "result",
    "sample",
    "choices",
    "image_url",
    "prompt_id",
    "pid",
    "outputs",
    "filename",
    "status_str",
    "completed",
    "messages",
    "info",
    "retry_after",
    "details",
    "retryDelay",
    "@type",
    "results",
    "flagged",
    "categories",
    "error_type",
    "candidatesTokensDetails",
    "modality",
    "block_reason",
    "cost_in_usd_ticks",
    "mime_type",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        prop_oneof![
            Just("COMPLETED".to_string()),
            Just("Ready".to_string()),
            Just("succeeded".to_string()),
            Just("IMAGE_SAFETY".to_string()),
            Just("data:image/png;base64,iVBOR".to_string()),
            Just("http://127.0.0.1:1/x.png".to_string()),
            Just("5s".to_string()),
            Just("content_policy_violation".to_string()),
            Just("error".to_string()),
            ".{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(status in prop_oneof![Just(200u16), Just(201), Just(400), Just(402), Just(403), Just(422), Just(429), Just(500), 0u16..1000],
                                   ctype in prop_oneof![Just("application/json"), Just("image/png"), Just("text/html"), Just("")],
                                   extra in "[ -~]{0,24}",
                                   body in prop::collection::vec(any::<u8>(), 0..512)) {
        all_parsers(status, &headers(ctype, &extra), &body);
    }

    #[test]
    fn arbitrary_json_never_panics(status in prop_oneof![Just(200u16), Just(400), Just(404), Just(422), Just(429), Just(503)],
                                   v in json_value()) {
        let body = serde_json::to_vec(&v).unwrap_or_default();
        all_parsers(status, &headers("application/json", "3"), &body);
        // And wrapped under the id ComfyUI's history is keyed by.
        let wrapped = serde_json::to_vec(&serde_json::json!({"pid": v})).unwrap_or_default();
        all_parsers(status, &headers("application/json", "3"), &wrapped);
    }
}

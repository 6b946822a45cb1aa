//! Batch (deferred) contract tests on the documented wire formats:
//! Gemini `models.batchGenerateContent` with inline requests + `batches.get`, and
//! OpenAI `/v1/files` (JSONL, purpose=batch) + `/v1/batches` + output file download.

use std::sync::Arc;

use crate::common::*;
use providers::{Billing, ErrorClass, ImageProvider, ProgressSink, RemoteJob, provider_for};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GEMINI: &str = "gemini-2.5-flash-image";

fn client_for(id: &str, server: &MockServer) -> Arc<dyn ImageProvider> {
    provider_for(
        id.parse().expect("a provider id"),
        &cfg(&server.uri()),
        client(),
    )
    .expect("client")
}

fn gemini_answer(tokens: u64) -> Value {
    json!({"response": {
        "candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": png_b64(8, 8)}}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": tokens,
            "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": tokens}]}
    }, "metadata": {"key": "proofsheet-0"}})
}

async fn gemini_submit(server: &MockServer, n: u32) -> RemoteJob {
    Mock::given(method("POST"))
        .and(path(format!("/models/{GEMINI}:batchGenerateContent")))
        .and(header("x-goog-api-key", KEY))
        .and(body_partial_json(json!({"batch": {"inputConfig": {"requests": {"requests": [
            {"request": {"contents": [{"parts": [{"text": "a red fox in the snow"}]}],
                         "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}}
        ]}}}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "batches/abc123",
            "metadata": {"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
                         "model": format!("models/{GEMINI}"), "state": "BATCH_STATE_PENDING"}
        })))
        .expect(1)
        .mount(server)
        .await;
    let mut r = req(GEMINI);
    r.n = n;
    let job = client_for("google", server)
        .submit_batch(&r, Some(KEY), &no_cancel())
        .await
        .expect("submitted");
    assert_eq!(job.remote_id, "batches/abc123");
    assert!(providers::batch::is_batch(&job));
    job
}

async fn poll(
    id: &str,
    server: &MockServer,
    job: &RemoteJob,
) -> Result<providers::GenerateOutput, providers::ProviderError> {
    let out = client_for(id, server)
        .resume(job, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

#[tokio::test]
async fn gemini_batch_submits_inline_requests_one_per_image_and_lands_with_summed_tokens() {
    let server = MockServer::start().await;
    let job = gemini_submit(&server, 2).await;
    let sent: Value =
        serde_json::from_slice(&server.received_requests().await.expect("recorded")[0].body)
            .expect("json");
    let requests = sent
        .pointer("/batch/inputConfig/requests/requests")
        .and_then(Value::as_array)
        .expect("inline requests");
    assert_eq!(
        requests.len(),
        2,
        "Gemini makes one image per request: {sent}"
    );
    assert!(
        sent.pointer("/batch/displayName")
            .and_then(Value::as_str)
            .is_some()
    );

    // Still running: the handle comes back to be polled again; the outcome is open.
    let running = Mock::given(method("GET"))
        .and(path("/batches/abc123"))
        .and(header("x-goog-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "batches/abc123", "metadata": {"state": "BATCH_STATE_RUNNING"}, "done": false
        })))
        .up_to_n_times(1)
        .mount_as_scoped(&server)
        .await;
    let e = poll("google", &server, &job).await.expect_err("pending");
    assert!(matches!(e.class, ErrorClass::Timeout { .. }), "{e:?}");
    assert_eq!(e.billing, Billing::Unknown);
    assert_eq!(
        e.remote_job.as_deref().map(|j| j.remote_id.as_str()),
        Some("batches/abc123")
    );
    drop(running);

    Mock::given(method("GET"))
        .and(path("/batches/abc123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "batches/abc123", "done": true,
            "metadata": {"state": "BATCH_STATE_SUCCEEDED"},
            "response": {"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput",
                         "inlinedResponses": {"inlinedResponses": [gemini_answer(1290), gemini_answer(1300)]}}
        })))
        .mount(&server)
        .await;
    let out = poll("google", &server, &job).await.expect("landed");
    assert_eq!(out.images.len(), 2);
    assert_eq!(out.usage.tokens.image_out, 2590);
    assert_eq!(out.usage.tokens.text_in, 20);
    assert_eq!(out.remote_id.as_deref(), Some("batches/abc123"));
}

#[tokio::test]
async fn gemini_batch_output_under_metadata_and_job_state_names_is_read_too() {
    let server = MockServer::start().await;
    let job = gemini_submit(&server, 1).await;
    // The SDKs read `metadata.output` and say JOB_STATE_*.
    Mock::given(method("GET"))
        .and(path("/batches/abc123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "batches/abc123", "done": true,
            "metadata": {"state": "JOB_STATE_SUCCEEDED",
                         "output": {"inlinedResponses": {"inlinedResponses": [gemini_answer(1290)]}}}
        })))
        .mount(&server)
        .await;
    let out = poll("google", &server, &job).await.expect("landed");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.usage.tokens.image_out, 1290);
}

#[tokio::test]
async fn gemini_batch_expired_or_failed_is_not_billed_and_has_no_job_left() {
    for state in [
        "BATCH_STATE_EXPIRED",
        "BATCH_STATE_FAILED",
        "BATCH_STATE_CANCELLED",
    ] {
        let server = MockServer::start().await;
        let job = gemini_submit(&server, 1).await;
        Mock::given(method("GET"))
            .and(path("/batches/abc123"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "name": "batches/abc123", "done": true, "metadata": {"state": state}
            })))
            .mount(&server)
            .await;
        let e = poll("google", &server, &job).await.expect_err(state);
        assert_eq!(e.billing, Billing::NotBilled, "{state}: {e:?}");
        assert!(e.remote_job.is_none(), "{state}: nothing left to poll");
    }
}

#[tokio::test]
async fn gemini_batch_request_error_is_not_billed_and_a_vanished_batch_is_unknown() {
    let server = MockServer::start().await;
    let job = gemini_submit(&server, 1).await;
    let failed = Mock::given(method("GET"))
        .and(path("/batches/abc123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "batches/abc123", "done": true, "metadata": {"state": "BATCH_STATE_SUCCEEDED"},
            "response": {"inlinedResponses": {"inlinedResponses": [
                {"error": {"code": 400, "message": "Invalid aspect ratio"}, "metadata": {"key": "proofsheet-0"}}
            ]}}
        })))
        .mount_as_scoped(&server)
        .await;
    let e = poll("google", &server, &job)
        .await
        .expect_err("request failed");
    assert_eq!(e.billing, Billing::NotBilled);
    assert!(e.message.contains("Invalid aspect ratio"), "{}", e.message);
    drop(failed);

    Mock::given(method("GET"))
        .and(path("/batches/abc123"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}
        })))
        .mount(&server)
        .await;
    let e = poll("google", &server, &job).await.expect_err("gone");
    assert_eq!(
        e.billing,
        Billing::Unknown,
        "a batch that vanished may have run"
    );
    assert!(e.remote_job.is_none());
}

#[tokio::test]
async fn gemini_batch_refuses_imagen_and_a_name_outside_batches() {
    let server = MockServer::start().await;
    let g = client_for("google", &server);
    assert!(!g.batch_support("imagen-4.0-generate-001"));
    assert!(g.batch_support(GEMINI));
    Mock::given(method("POST"))
        .and(path(format!("/models/{GEMINI}:batchGenerateContent")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "../../v1/models"})))
        .mount(&server)
        .await;
    let e = g
        .submit_batch(&req(GEMINI), Some(KEY), &no_cancel())
        .await
        .expect_err("bad name");
    assert_eq!(
        e.billing,
        Billing::Unknown,
        "a batch may exist that we cannot poll"
    );
}

// ---- OpenAI ----

const GPT: &str = "gpt-image-1-mini";

async fn openai_submit(server: &MockServer) -> RemoteJob {
    Mock::given(method("POST"))
        .and(path("/files"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_string_contains("name=\"purpose\""))
        .and(body_string_contains("batch"))
        .and(body_string_contains("\"url\":\"/v1/images/generations\""))
        .and(body_string_contains("\"custom_id\":\"proofsheet-0\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "file-in123", "object": "file", "purpose": "batch", "filename": "proofsheet-batch.jsonl", "bytes": 200
        })))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/batches"))
        .and(body_partial_json(json!({
            "input_file_id": "file-in123", "endpoint": "/v1/images/generations", "completion_window": "24h"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "batch_xyz", "object": "batch", "endpoint": "/v1/images/generations",
            "input_file_id": "file-in123", "completion_window": "24h", "status": "validating",
            "output_file_id": null, "error_file_id": null
        })))
        .expect(1)
        .mount(server)
        .await;
    let mut r = req(GPT);
    r.quality = Some("low".into());
    let job = client_for("openai", server)
        .submit_batch(&r, Some(KEY), &no_cancel())
        .await
        .expect("submitted");
    assert_eq!(job.remote_id, "batch_xyz");
    job
}

fn batch_status(status: &str, output: Option<&str>) -> Value {
    json!({"id": "batch_xyz", "object": "batch", "status": status,
           "output_file_id": output, "error_file_id": null,
           "request_counts": {"total": 1, "completed": 1, "failed": 0}})
}

#[tokio::test]
async fn openai_batch_uploads_jsonl_creates_the_batch_polls_and_reads_the_output_file() {
    let server = MockServer::start().await;
    let job = openai_submit(&server).await;
    for status in ["validating", "in_progress", "finalizing"] {
        let s = Mock::given(method("GET"))
            .and(path("/batches/batch_xyz"))
            .respond_with(ResponseTemplate::new(200).set_body_json(batch_status(status, None)))
            .mount_as_scoped(&server)
            .await;
        let e = poll("openai", &server, &job).await.expect_err(status);
        assert_eq!(e.billing, Billing::Unknown);
        assert!(e.remote_job.is_some(), "{status}: keep polling");
        drop(s);
    }
    Mock::given(method("GET"))
        .and(path("/batches/batch_xyz"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(batch_status("completed", Some("file-out9"))),
        )
        .mount(&server)
        .await;
    let line = json!({"id": "batch_req_1", "custom_id": "proofsheet-0",
        "response": {"status_code": 200, "request_id": "req_1", "body": {
            "created": 1, "data": [{"b64_json": png_b64(8, 8)}],
            "usage": {"input_tokens": 12, "output_tokens": 272,
                      "input_tokens_details": {"text_tokens": 12, "image_tokens": 0}}}},
        "error": null});
    Mock::given(method("GET"))
        .and(path("/files/file-out9/content"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("{line}\n")))
        .expect(1)
        .mount(&server)
        .await;
    let out = poll("openai", &server, &job).await.expect("landed");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.usage.tokens.image_out, 272);
    assert_eq!(out.usage.tokens.text_in, 12);
}

#[tokio::test]
async fn openai_batch_failed_or_expired_without_output_is_not_billed() {
    for (status, body) in [
        (
            "failed",
            json!({"id": "batch_xyz", "status": "failed", "errors": {"data": [{"code": "invalid_request", "message": "model not supported"}]}}),
        ),
        ("expired", batch_status("expired", None)),
        ("cancelled", batch_status("cancelled", None)),
    ] {
        let server = MockServer::start().await;
        let job = openai_submit(&server).await;
        Mock::given(method("GET"))
            .and(path("/batches/batch_xyz"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
        let e = poll("openai", &server, &job).await.expect_err(status);
        assert_eq!(e.billing, Billing::NotBilled, "{status}: {e:?}");
        assert!(e.remote_job.is_none());
    }
}

#[tokio::test]
async fn openai_batch_expired_with_a_failed_line_is_not_billed_and_an_errored_line_says_why() {
    let server = MockServer::start().await;
    let job = openai_submit(&server).await;
    Mock::given(method("GET"))
        .and(path("/batches/batch_xyz"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(batch_status("expired", Some("file-out9"))),
        )
        .mount(&server)
        .await;
    let line = json!({"id": "batch_req_1", "custom_id": "proofsheet-0", "response": null,
        "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}});
    Mock::given(method("GET"))
        .and(path("/files/file-out9/content"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("{line}\n")))
        .mount(&server)
        .await;
    let e = poll("openai", &server, &job)
        .await
        .expect_err("expired line");
    assert_eq!(e.billing, Billing::NotBilled);
    assert!(e.message.contains("completion window"), "{}", e.message);
}

#[tokio::test]
async fn openai_batch_is_only_for_gpt_image_models_and_a_refused_batch_costs_nothing() {
    let server = MockServer::start().await;
    let o = client_for("openai", &server);
    assert!(o.batch_support("gpt-image-1.5"));
    assert!(!o.batch_support("dall-e-3"));
    Mock::given(method("POST"))
        .and(path("/files"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "file-in123"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/batches"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"message": "Invalid endpoint", "type": "invalid_request_error", "code": null}
        })))
        .mount(&server)
        .await;
    let e = o
        .submit_batch(&req(GPT), Some(KEY), &no_cancel())
        .await
        .expect_err("refused");
    assert_eq!(e.billing, Billing::NotBilled);
    assert_no_key(&e);
}

#[test]
fn openai_batch_input_splits_more_than_ten_images_into_lines() {
    let mut r = req(GPT);
    r.n = 12;
    let text = String::from_utf8(providers::openai_batch::input_file(&r)).expect("utf-8");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["body"]["n"], 10);
    assert_eq!(lines[1]["body"]["n"], 2);
    assert_eq!(lines[1]["custom_id"], "proofsheet-1");
    assert_eq!(lines[0]["url"], "/v1/images/generations");
}

//! ComfyUI contract tests (providers.md §10): patched template, /prompt, /history, /view.

use std::time::Duration;

use crate::common::*;
use providers::comfyui::{ComfyUi, DEFAULT_WORKFLOW, patch_workflow};
use providers::{ErrorClass, ImageProvider, ProgressSink};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn history(done: bool) -> Value {
    if !done {
        return json!({});
    }
    json!({"pid-1": {"prompt": [], "outputs": {"9": {"images": [{"filename": "proofsheet_00001_.png", "subfolder": "", "type": "output"}]}},
                     "status": {"status_str": "success", "completed": true, "messages": []}}})
}

async fn mount(server: &MockServer, hist: &[Value]) {
    Mock::given(method("POST"))
        .and(path("/prompt"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"prompt_id": "pid-1", "number": 3, "node_errors": {}})),
        )
        .expect(1)
        .mount(server)
        .await;
    let n = hist.len();
    for (i, h) in hist.iter().enumerate() {
        let m = Mock::given(method("GET"))
            .and(path("/history/pid-1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(h.clone()));
        let m = if i + 1 < n {
            m.up_to_n_times(1).with_priority(1)
        } else {
            m
        };
        m.mount(server).await;
    }
    Mock::given(method("GET"))
        .and(path("/view"))
        .and(query_param("filename", "proofsheet_00001_.png"))
        .and(query_param("type", "output"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(16, 8)))
        .mount(server)
        .await;
}

#[test]
fn template_is_patched_through_the_sampler_links() {
    let t: Value = serde_json::from_str(DEFAULT_WORKFLOW).expect("bundled template parses");
    let mut r = req("sdxl");
    r.negative_prompt = Some("blurry".into());
    r.width = 832;
    r.height = 1216;
    r.n = 2;
    r.steps = Some(12);
    r.extra = json!({"checkpoint": "juggernaut.safetensors"});
    let wf = patch_workflow(&t, &r, 77).expect("patched");
    assert_eq!(wf["6"]["inputs"]["text"], "a red fox in the snow");
    assert_eq!(wf["7"]["inputs"]["text"], "blurry");
    assert_eq!(wf["3"]["inputs"]["seed"], 77);
    assert_eq!(wf["3"]["inputs"]["steps"], 12);
    assert_eq!(
        (
            wf["5"]["inputs"]["width"].clone(),
            wf["5"]["inputs"]["height"].clone(),
            wf["5"]["inputs"]["batch_size"].clone()
        ),
        (json!(832), json!(1216), json!(2))
    );
    assert_eq!(wf["4"]["inputs"]["ckpt_name"], "juggernaut.safetensors");
    assert!(
        patch_workflow(
            &json!({"1": {"class_type": "SaveImage", "inputs": {}}}),
            &r,
            1
        )
        .is_err(),
        "no KSampler → invalid_request"
    );
}

#[tokio::test]
async fn prompt_history_view_flow() {
    let server = MockServer::start().await;
    mount(&server, &[history(false), history(true)]).await;
    let mut r = req("sdxl");
    r.seed = Some(5);
    let out = ComfyUi::new(&cfg(&server.uri()), client())
        .generate(&r, None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.images[0].seed, Some(5));
    assert_eq!(out.remote_id.as_deref(), Some("pid-1"));
    let reqs = server.received_requests().await.unwrap_or_default();
    let sent: Value = serde_json::from_slice(&reqs[0].body).expect("json");
    assert_eq!(
        sent["prompt"]["6"]["inputs"]["text"],
        "a red fox in the snow"
    );
    assert!(sent["client_id"].is_string());
}

#[tokio::test]
async fn validation_and_execution_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/prompt")).respond_with(ResponseTemplate::new(400).set_body_json(json!({
        "error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
        "node_errors": {"4": {"class_type": "CheckpointLoaderSimple", "errors": [{"type": "value_not_in_list", "message": "Value not in list", "details": "ckpt_name: 'x' not in []", "extra_info": {}}], "dependent_outputs": ["9"]}}
    }))).mount(&server).await;
    let e = ComfyUi::new(&cfg(&server.uri()), client())
        .generate(&req("sdxl"), None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("invalid");
    assert_eq!(
        e.class,
        ErrorClass::InvalidRequest {
            field: Some("node 4".into())
        }
    );

    let server = MockServer::start().await;
    let failed = json!({"pid-1": {"outputs": {}, "status": {"status_str": "error", "completed": false,
        "messages": [["execution_start", {}], ["execution_error", {"exception_type": "torch.OutOfMemoryError", "exception_message": "CUDA out of memory", "node_id": "3", "node_type": "KSampler", "traceback": []}]]}}});
    mount(&server, &[failed]).await;
    let e = ComfyUi::new(&cfg(&server.uri()), client())
        .generate(&req("sdxl"), None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("oom");
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(e.message.contains("CUDA out of memory"));
}

#[tokio::test]
async fn deadline_then_resume() {
    let server = MockServer::start().await;
    mount(&server, &[history(false)]).await;
    let mut c = cfg(&server.uri());
    c.poll_deadline = Duration::from_millis(60);
    let e = ComfyUi::new(&c, client())
        .generate(&req("sdxl"), None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("deadline");
    assert_eq!(
        e.class,
        ErrorClass::Timeout {
            remote_job_id: Some("pid-1".into())
        }
    );
    let job = *e.remote_job.expect("job");
    Mock::given(method("GET"))
        .and(path("/history/pid-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(history(true)))
        .with_priority(1)
        .mount(&server)
        .await;
    let out = ComfyUi::new(&cfg(&server.uri()), client())
        .resume(&job, None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect("resumed");
    assert_eq!(out.images.len(), 1);
    server.verify().await;
}

// ---- issue 11 ----

#[tokio::test]
async fn a_failed_workflow_is_definitive_and_later_errors_keep_the_job() {
    let server = MockServer::start().await;
    let failed = json!({"pid-1": {"outputs": {}, "status": {"status_str": "error", "completed": false, "messages": []}}});
    mount(&server, &[failed]).await;
    let e = ComfyUi::new(&cfg(&server.uri()), client())
        .generate(&req("sdxl"), None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("failed");
    assert!(e.remote_job.is_none(), "nothing to resume");

    // History answers 500: the job is kept for resume.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/prompt"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"prompt_id": "pid-1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/history/pid-1"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let e = ComfyUi::new(&cfg(&server.uri()), client())
        .generate(&req("sdxl"), None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("500");
    assert!(e.remote_job.is_some());

    // Finished, but the file is not an image: kept and marked as a finished run.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/view"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>no</html>"))
        .with_priority(1)
        .mount(&server)
        .await;
    mount(&server, &[history(true)]).await;
    let e = ComfyUi::new(&cfg(&server.uri()), client())
        .generate(&req("sdxl"), None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("bad file");
    assert!(e.remote_job.is_some());
    assert_eq!(e.billing, providers::Billing::Billed);
}

//! The engine's refusals as they cross IPC, with the parts that vary made into slots.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::Engine;
use engine::api::{JobEvent, ProviderId};
use serde_json::{Value, json};

use super::{Fixtures, err, from, params, replace_str, template, to_value};

impl Fixtures {
    pub(super) async fn errors(&mut self, engine: &Engine) {
        let mut e = BTreeMap::new();
        let est = |p: Value| json!({ "params": p, "project": null, "tier": "all", "offers": [] });
        e.insert(
            "prompt_empty",
            err(engine
                .estimate(from(est(params(json!({ "prompt": "  " })))))
                .await),
        );
        // Templates: the probe's values are replaced by {placeholders} the fake fills in.
        let size = err(engine
            .estimate(from(est(params(json!({ "width": 9001, "height": 33 })))))
            .await);
        e.insert(
            "size_out_of_range",
            template(size, &[("9001", "{width}"), ("33", "{height}")]),
        );
        let count = err(engine.estimate(from(est(params(json!({ "n": 99 }))))).await);
        e.insert("count_out_of_range", template(count, &[("99", "{n}")]));
        let unknown = json!({ "params": params(json!({})), "project": null, "tier": "all", "offers": ["nobody:nothing"] });
        let unknown = err(engine.estimate(from(unknown)).await);
        e.insert(
            "estimate_unknown_offer",
            template(unknown, &[("nobody:nothing", "{offers}")]),
        );

        let project = |name: &str, budget: Value| {
            json!({
                "name": name, "client": null, "budget_usd": budget, "period": "total", "hard": true,
                "warn_at": [], "draft_chain": [], "final_chain": [], "allow_safety_fallback": false,
                "preflight_moderation": false, "final_quality": null,
            })
        };
        e.insert(
            "project_name_empty",
            err(engine.project_upsert(from(project(" ", json!(null)))).await),
        );
        e.insert(
            "project_budget_negative",
            err(engine
                .project_upsert(from(project("Probe", json!("-1"))))
                .await),
        );
        let mut chain = project("Probe", json!(null));
        chain["draft_chain"] = json!(["nobody:nothing"]);
        let chain = err(engine.project_upsert(from(chain)).await);
        e.insert(
            "project_chain_unknown",
            template(
                chain,
                &[("draft", "{what}"), ("nobody:nothing", "{offers}")],
            ),
        );
        let missing = err(engine.project_show("Probe that does not exist").await);
        e.insert(
            "project_not_found",
            template(missing, &[("Probe that does not exist", "{name}")]),
        );
        for name in ["Taken", "Renamed"] {
            engine
                .project_upsert(from(project(name, json!(null))))
                .await
                .expect("project");
        }
        let taken = err(engine.project_rename("Renamed", "Taken").await);
        e.insert(
            "project_name_taken",
            template(taken, &[("Taken", "{name}")]),
        );
        let bad = err(engine.generation_detail("gen-1").await);
        e.insert("generation_id_invalid", template(bad, &[("gen-1", "{id}")]));
        let gone = "00000000-0000-4000-8000-000000000001";
        let gone = template(err(engine.generation_detail(gone).await), &[(gone, "{id}")]);
        e.insert("generation_not_found", gone);

        e.insert(
            "catalog_not_json",
            err(engine.catalog_import("{ not json".into()).await),
        );
        // The shape the old fake invented (offer_id/price_usd): the real engine refuses it.
        let invented = r#"{"version":"x","offers":[{"offer_id":"a/b","provider":"a","model":"b","price_usd":4}]}"#;
        e.insert(
            "catalog_invented_schema",
            err(engine.catalog_import(invented.into()).await),
        );

        let settings = engine.settings().await.expect("settings");
        let save = |max: u32, url: Option<&str>| {
            let mut endpoints = to_value(&settings.endpoints);
            if let (Some(url), Some(first)) = (url, endpoints.get_mut(0)) {
                first["base_url"] = json!(url);
            }
            json!({ "endpoints": endpoints, "gateways": [], "max_concurrent_jobs": max })
        };
        let first_provider = settings
            .endpoints
            .first()
            .map(|p| p.provider.to_string())
            .unwrap_or_default();
        let bad = err(engine.settings_save(from(save(4, Some("ftp://x")))).await);
        e.insert(
            "settings_bad_base_url",
            template(
                bad,
                &[("ftp://x", "{url}"), (first_provider.as_str(), "{owner}")],
            ),
        );
        // The job limit is not refused but clamped: record the bounds it is clamped to.
        let mut clamp = Vec::new();
        for asked in [0, 100_000] {
            let saved = engine
                .settings_save(from(save(asked, None)))
                .await
                .expect("settings save");
            clamp.push(saved.max_concurrent_jobs);
        }
        engine
            .settings_save(from(save(settings.max_concurrent_jobs, None)))
            .await
            .expect("restore settings");
        self.0.insert(
            "max_concurrent_jobs",
            json!({ "min": clamp[0], "max": clamp[1] }),
        );
        // The per-provider call cap is refused outside its range, not clamped: record
        // the range the engine takes and its refusal.
        let calls = |n: u32| {
            let mut v = save(settings.max_concurrent_jobs, None);
            v["max_calls_per_provider"] = json!(n);
            v
        };
        let (lo, hi) = (1, 256);
        for ok in [lo, hi] {
            engine
                .settings_save(from(calls(ok)))
                .await
                .expect("cap in range");
        }
        assert!(engine.settings_save(from(calls(hi + 1))).await.is_err());
        let bad = err(engine.settings_save(from(calls(lo - 1))).await);
        e.insert(
            "settings_calls_out_of_range",
            template(bad, &[("got 0", "got {got}")]),
        );
        engine
            .settings_save(from(calls(settings.max_calls_per_provider)))
            .await
            .expect("restore the cap");
        self.0
            .insert("max_calls_per_provider", json!({ "min": lo, "max": hi }));

        let rate = |id: &str, m: &str| {
            from::<Vec<_>>(json!([{ "offer_id": id, "multiplier": m, "price_cap_usd": null }]))
        };
        let unknown = err(engine
            .price_overrides_set(rate("nobody:nothing", "0.8"))
            .await);
        e.insert(
            "override_unknown_offer",
            template(unknown, &[("nobody:nothing", "{offer_id}")]),
        );
        let first = engine
            .offers()
            .first()
            .map(|o| o.offer_id.clone())
            .unwrap_or_default();
        // Which multipliers the engine takes is its call: record the refusal of a negative
        // one, and whether zero (a free deal) passes.
        let negative = err(engine.price_overrides_set(rate(&first, "-1")).await);
        e.insert(
            "override_multiplier_negative",
            template(negative, &[(first.as_str(), "{offer_id}")]),
        );
        let zero_ok = engine.price_overrides_set(rate(&first, "0")).await.is_ok();
        engine
            .price_overrides_set(Vec::new())
            .await
            .expect("clear rates");
        self.0.insert("override_zero_accepted", json!(zero_ok));

        // An unknown provider id never reaches the engine: `key_set` takes a `ProviderId`,
        // and the IPC boundary refuses any other string. Refused before the keychain is reached (the key is checked first).
        e.insert(
            "key_empty",
            err(engine.key_set(ProviderId::OpenAi, "   ".into()).await),
        );
        e.insert(
            "key_has_spaces",
            err(engine
                .key_set(ProviderId::OpenAi, "sk-abc def".into())
                .await),
        );
        let feed = "http://example.com/feed.json";
        let plain = err(engine.catalog_set_feed_url(Some(feed.into())).await);
        e.insert("feed_url_not_https", template(plain, &[(feed, "{url}")]));

        // A hard budget of one cent, then an offer that needs more, and an empty prompt.
        let tiny = engine
            .project_upsert(from(project("Tiny", json!("0.01"))))
            .await
            .expect("project");
        let offer = "openai:gpt-image-2";
        let submit = |p: Value| {
            json!({
                "project": tiny.name, "params": p, "route": { "kind": "offer", "offer_id": offer }, "no_dedup": false,
            })
        };
        let events = submit_events(engine, submit(params(json!({})))).await;
        let needed = engine
            .estimate(from(json!({ "params": params(json!({})), "project": null, "tier": "all", "offers": [offer] })))
            .await
            .expect("estimate")
            .estimates
            .first()
            .map(|e| e.worst_case_usd)
            .expect("one estimate");
        let probe = [
            ("needed", needed.to_string()),
            ("remaining", "0.01".into()),
            ("budget", "0.01".into()),
            ("spent", "0".into()),
            ("reserved", "0".into()),
        ];
        e.insert("submit_over_budget", amounts_template(&events, &probe));
        self.0.insert(
            "over_budget",
            json!({ "offer_id": offer, "budget_usd": "0.01", "events": events }),
        );
        let events = submit_events(engine, submit(params(json!({ "prompt": "" })))).await;
        self.0
            .insert("submit_prompt_empty", json!({ "events": events }));
        library_errors(engine, &mut e).await;
        self.0.insert("errors", json!(e));
    }
}

/// Refusals of the gallery, invoice, drift, gateway and discovery commands.
pub(super) async fn library_errors(engine: &Engine, e: &mut BTreeMap<&'static str, Value>) {
    let gone = "00000000-0000-4000-8000-000000000001";
    let rating = err(engine.set_rating(gone, 6).await);
    e.insert(
        "rating_out_of_range",
        template(rating, &[("6", "{rating}")]),
    );
    e.insert(
        "board_name_empty",
        err(engine.add_to_board(gone, "  ").await),
    );
    let board = err(engine.delete_board("No such board").await);
    e.insert(
        "board_not_found",
        template(board, &[("No such board", "{board}")]),
    );
    let range = json!({ "project": "Taken", "from": "2026-11-20", "to": "2026-11-01", "markup_percent": null });
    let range = err(engine.invoice(from(range)).await);
    e.insert(
        "invoice_range_reversed",
        template(range, &[("2026-11-20", "{from}"), ("2026-11-01", "{to}")]),
    );
    let window = err(engine
        .drift_settings_save(from(json!({ "window": 1, "threshold_pct": "10" })))
        .await);
    e.insert(
        "drift_window_out_of_range",
        template(window, &[("1", "{window}")]),
    );
    let pct = err(engine
        .drift_settings_save(from(json!({ "window": 10, "threshold_pct": "250" })))
        .await);
    e.insert(
        "drift_threshold_out_of_range",
        template(pct, &[("250", "{threshold_pct}")]),
    );
    let gateway = |name: &str, url: &str, offer: Option<&str>| {
        json!({
            "name": name, "base_url": url, "dialect": "images", "headers": [],
            "models": [{ "name": "probe-model", "offer_id": offer }], "markup_percent": null,
            "markup_per_image_usd": null, "price_per_image_usd": null, "cost_header": null,
            "cost_json_path": null, "key": null,
        })
    };
    let name = err(engine
        .gateway_save(from(gateway("bad name!", "http://127.0.0.1:4000/v1", None)))
        .await);
    e.insert(
        "gateway_bad_name",
        template(name, &[("bad name!", "{name}")]),
    );
    let url = err(engine
        .gateway_save(from(gateway("studio", "ftp://x", None)))
        .await);
    e.insert("gateway_bad_url", template(url, &[("ftp://x", "{url}")]));
    let offer = err(engine
        .gateway_save(from(gateway(
            "studio",
            "http://127.0.0.1:4000/v1",
            Some("nobody:nothing"),
        )))
        .await);
    e.insert(
        "gateway_unknown_offer",
        template(
            offer,
            &[("probe-model", "{model}"), ("nobody:nothing", "{offer_id}")],
        ),
    );
    let missing = err(engine.gateway_remove("nope").await);
    e.insert(
        "gateway_not_found",
        template(missing, &[("nope", "{name}")]),
    );
    let import = err(engine
        .offers_import(ProviderId::OpenAi, vec!["gpt-image-9".into()])
        .await);
    e.insert(
        "import_unpriced_provider",
        template(import, &[("openai", "{provider}")]),
    );
    let refund = err(engine.charge_refund("nope").await);
    e.insert("charge_id_invalid", template(refund, &[("nope", "{id}")]));
    let refund = err(engine.charge_refund("999999").await);
    e.insert("charge_not_found", template(refund, &[("999999", "{id}")]));
}

/// A submit the engine refuses: the job id comes back at once, then the events.
pub(super) async fn submit_events(engine: &Engine, input: Value) -> Value {
    let events = Arc::new(Mutex::new(Vec::<Value>::new()));
    let sink = events.clone();
    let progress: engine::ProgressFn = Arc::new(move |e: JobEvent| {
        if let Ok(mut v) = sink.lock() {
            v.push(to_value(&e));
        }
    });
    let job = engine
        .submit(from(input), progress)
        .await
        .expect("submit returns a job id");
    for _ in 0..500 {
        let done = events
            .lock()
            .map(|v| v.iter().any(is_final))
            .unwrap_or(false);
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut events = Value::Array(events.lock().map(|v| v.clone()).unwrap_or_default());
    assert!(
        events.as_array().is_some_and(|v| v.iter().any(is_final)),
        "no final event: {events}"
    );
    replace_str(&mut events, &job, "{job_id}");
    events
}

/// The budget refusal's text with its dollar amounts replaced, in order, by the named
/// slots; each amount must equal the probe's value for that slot.
pub(super) fn amounts_template(events: &Value, probe: &[(&str, String)]) -> Value {
    let failed = events
        .as_array()
        .and_then(|v| v.iter().find(|e| e["stage"] == "failed"))
        .expect("a failed event");
    let msg = failed["message"].as_str().expect("failure message");
    let mut out = String::new();
    let mut rest = msg;
    for (slot, value) in probe {
        let at = rest
            .find('$')
            .unwrap_or_else(|| panic!("no amount for {slot} in: {msg}"));
        let end = rest[at + 1..]
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map_or(rest.len(), |i| at + 1 + i);
        let end = if rest[..end].ends_with('.') {
            end - 1
        } else {
            end
        };
        let found: rust_decimal::Decimal = rest[at + 1..end].parse().expect("amount");
        let want: rust_decimal::Decimal = value.parse().expect("probe amount");
        assert_eq!(found, want, "the amount for {slot} moved in: {msg}");
        out.push_str(&rest[..=at]);
        out.push_str(&format!("{{{slot}}}"));
        rest = &rest[end..];
    }
    out.push_str(rest);
    json!({ "kind": "budget", "message": out })
}

pub(super) fn is_final(e: &Value) -> bool {
    matches!(e["stage"].as_str(), Some("done" | "failed"))
}

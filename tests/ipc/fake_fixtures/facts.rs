//! The request bounds found by probing the engine, and a fresh library's state.

use std::path::Path;

use engine::Engine;
use serde_json::{Value, json};

use super::{Fixtures, KEYED, from, params, replace_str, to_value};

impl Fixtures {
    /// The request bounds the engine enforces, found by asking it (not copied from it).
    pub(super) async fn limits(&mut self, engine: &Engine) {
        let one = engine.offers().first().map(|o| o.offer_id.clone());
        let ok = &|w: u32, h: u32, n: u32| {
            let input = json!({
                "params": params(json!({ "width": w, "height": h, "n": n })),
                "project": null, "tier": "all", "offers": [one],
            });
            async move {
                engine
                    .estimate(from::<engine::api::EstimateInput>(input))
                    .await
                    .is_ok()
            }
        };
        let min_side = first_true(1, 1024, |v| ok(v, 1024, 1)).await;
        let max_side =
            first_true(1024, 1 << 16, |v| async move { !ok(v, 1024, 1).await }).await - 1;
        let max_n = first_true(1, 1024, |v| async move { !ok(1024, 1024, v).await }).await - 1;
        let min_n = if ok(1024, 1024, 0).await { 0 } else { 1 };
        self.0.insert(
            "limits",
            json!({ "min_side": min_side, "max_side": max_side, "min_n": min_n, "max_n": max_n }),
        );
    }

    /// What a fresh library shows: default settings, catalog, presets, a new project.
    pub(super) async fn state(&mut self, engine: &Engine, data_dir: &Path) {
        let dir = data_dir.display().to_string();
        let mut settings = to_value(&engine.settings().await.expect("settings"));
        replace_str(
            &mut settings,
            &dir,
            "/home/designer/.local/share/proofsheet",
        );
        self.0.insert("settings", settings);
        self.0.insert("keyed_providers", json!(KEYED));
        self.0
            .insert("providers", to_value(&engine::provider_facts::all()));
        let mut status = to_value(&engine.catalog_status().await.expect("catalog status"));
        for volatile in ["age_days", "last_checked_at", "applied_at"] {
            if let Some(v) = status.get_mut(volatile) {
                *v = Value::Null;
            }
        }
        self.0.insert("catalog_status", status);
        self.0
            .insert("size_presets", to_value(&engine.size_presets().await));
        let p = json!({
            "name": "Defaults", "client": null, "budget_usd": "50", "period": "total", "hard": true,
            "warn_at": [], "draft_chain": [], "final_chain": [], "allow_safety_fallback": false,
            "preflight_moderation": false, "final_quality": null,
        });
        self.0.insert(
            "new_project",
            to_value(&engine.project_upsert(from(p)).await.expect("project")),
        );
    }
}

/// The smallest `v` in `lo..hi` for which `f(v)` holds (f monotone: false…false true…).
async fn first_true<F, Fut>(mut lo: u32, mut hi: u32, f: F) -> u32
where
    F: Fn(u32) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if f(mid).await {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

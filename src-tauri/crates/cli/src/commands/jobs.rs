//! `jobs`: generations deferred to a provider's batch API (`generate --later`). Polls them
//! first (the start-up recovery pass), so what finished lands with its real cost.

use engine::api::DeferredJobView;

use super::{Ctx, emit};
use crate::exit::{CliResult, OK};
use crate::output::{clip, safe, table, usd};

pub async fn run(ctx: &Ctx) -> CliResult<u8> {
    // The pass every command starts polls deferred jobs: wait for it.
    let report = ctx.engine.recover().await?;
    let list = ctx.engine.deferred_jobs().await?;
    let doc = serde_json::json!({
        "deferred": list,
        "landed": report.resumed,
        "failed": report.failed,
    });
    emit(ctx, &doc, || {
        let mut s = String::new();
        if !report.resumed.is_empty() || !report.failed.is_empty() {
            s.push_str(&format!(
                "Polled the providers: {} landed in the gallery, {} ended without images \
                 (charged {}, released {}).\n",
                report.resumed.len(),
                report.failed.len(),
                usd(report.charged_usd),
                usd(report.released_usd),
            ));
        }
        if list.is_empty() {
            s.push_str("No deferred jobs are waiting.");
            return s;
        }
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|d| {
                vec![
                    d.generation_id.clone(),
                    safe(&d.project),
                    safe(&d.offer_id),
                    "deferred".to_string(),
                    safe(&d.remote_id),
                    safe(&d.expected_by),
                    usd(d.reserved_usd),
                    clip(&d.prompt, 30),
                ]
            })
            .collect();
        s.push_str(&table(
            &[
                "generation",
                "project",
                "offer",
                "state",
                "batch",
                "expected by",
                "reserved",
                "prompt",
            ],
            &rows,
            &[6],
        ));
        s.push_str(
            "\nEach is polled (never resubmitted) by every proofsheet-cli run and by the app; \
             it lands in the gallery with its real cost.",
        );
        s
    })?;
    Ok(OK)
}

/// The deferred job of one generation, if it is waiting.
pub async fn of(ctx: &Ctx, generation_id: &str) -> Option<DeferredJobView> {
    ctx.engine
        .deferred_jobs()
        .await
        .ok()?
        .into_iter()
        .find(|d| d.generation_id == generation_id)
}

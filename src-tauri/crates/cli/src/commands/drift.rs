//! `drift list|accept|ignore|settings` (issue 14 §5) and `offers discover|import`
//! (§6): what real bills say about the catalog's prices, and what providers list.

use super::{Ctx, emit};
use crate::args::{DriftCommand, OffersCommand};
use crate::exit::{CliError, CliResult, OK};
use crate::output::{safe, table, usd, usd_opt};

pub async fn run(ctx: &Ctx, c: DriftCommand) -> CliResult<u8> {
    match c {
        DriftCommand::List { all } => {
            let list: Vec<_> = ctx
                .engine
                .drift_list()
                .await?
                .into_iter()
                .filter(|d| all || d.status == engine::api::DriftStatus::Drifting)
                .collect();
            let doc = serde_json::json!({ "drifts": list });
            emit(ctx, &doc, || {
                if list.is_empty() {
                    return "No drift: settled costs agree with the estimates.".to_string();
                }
                let mut out = String::new();
                for d in &list {
                    out.push_str(&format!(
                        "{} [{}]: {}\n",
                        safe(&d.offer_id),
                        d.status,
                        safe(&d.message)
                    ));
                    let rows: Vec<Vec<String>> = d
                        .evidence
                        .iter()
                        .map(|e| {
                            vec![
                                e.attempt_id.clone(),
                                usd(e.expected_usd),
                                usd(e.actual_usd),
                                usd_opt(e.reported_usd),
                                e.finished_at.clone(),
                            ]
                        })
                        .collect();
                    out.push_str(&table(
                        &["attempt", "estimate", "actual", "reported", "settled"],
                        &rows,
                        &[1, 2, 3],
                    ));
                    out.push_str(&format!(
                        "\n  accept: rate × {} (`drift accept {}`), or `drift ignore {}`\n\n",
                        d.suggested_multiplier,
                        safe(&d.offer_id),
                        safe(&d.offer_id)
                    ));
                }
                out.trim_end().to_string()
            })?;
            Ok(OK)
        }
        DriftCommand::Accept { offer } => {
            let d = ctx.engine.drift_accept(&offer).await?;
            emit(ctx, &d, || {
                format!(
                    "Accepted: {} is now estimated at {}× its previous price; later bills are \
                     checked against it.",
                    safe(&d.offer_id),
                    d.ratio
                )
            })?;
            Ok(OK)
        }
        DriftCommand::Ignore { offer } => {
            let d = ctx.engine.drift_ignore(&offer).await?;
            emit(ctx, &d, || {
                format!(
                    "Ignored: {} keeps its price; the drift is shown again only if a whole \
                     window of later attempts still drifts.",
                    safe(&d.offer_id)
                )
            })?;
            Ok(OK)
        }
        DriftCommand::Settings { window, threshold } => {
            let mut s = ctx.engine.drift_settings().await?;
            if window.is_some() || threshold.is_some() {
                s.window = window.unwrap_or(s.window);
                s.threshold_pct = threshold.unwrap_or(s.threshold_pct);
                s = ctx.engine.drift_settings_save(s).await?;
            }
            emit(ctx, &s, || {
                format!(
                    "A drift is raised when the last {} settled attempts of an offer cost more \
                     than {}% away from their estimates.",
                    s.window,
                    s.threshold_pct.normalize()
                )
            })?;
            Ok(OK)
        }
    }
}

pub async fn offers(ctx: &Ctx, c: OffersCommand) -> CliResult<u8> {
    match c {
        OffersCommand::Discover { provider } => {
            let provider = provider.as_deref().map(provider_id).transpose()?;
            let r = ctx.engine.offers_discover(provider).await?;
            emit(ctx, &r, || {
                let mut out = String::new();
                for p in &r.providers {
                    match p.status.as_str() {
                        "ok" => out.push_str(&format!(
                            "{}: {} models listed, {} image models not in the catalog\n",
                            p.provider,
                            p.listed,
                            p.new_models.len()
                        )),
                        _ => {
                            out.push_str(&format!(
                                "{}: {} — {}\n",
                                p.provider,
                                p.status,
                                safe(p.message.as_deref().unwrap_or(""))
                            ));
                            continue;
                        }
                    }
                    if !p.new_models.is_empty() {
                        let rows: Vec<Vec<String>> = p
                            .new_models
                            .iter()
                            .map(|m| {
                                vec![
                                    safe(&m.offer_id),
                                    safe(m.listed_price.as_deref().unwrap_or("-")),
                                    usd_opt(m.per_image_usd),
                                    if m.importable { "yes" } else { "no" }.to_string(),
                                ]
                            })
                            .collect();
                        out.push_str(&table(
                            &["new model", "listed price", "1024² image", "importable"],
                            &rows,
                            &[2],
                        ));
                        out.push('\n');
                    }
                    for o in &p.unlisted_offers {
                        out.push_str(&format!("  no longer listed: {}\n", safe(o)));
                    }
                }
                out.push_str(
                    "Import a listed price with `offers import PROVIDER MODEL…` (OpenRouter, Together).",
                );
                out
            })?;
            Ok(OK)
        }
        OffersCommand::Import { provider, models } => {
            let r = ctx
                .engine
                .offers_import(provider_id(&provider)?, models)
                .await?;
            emit(ctx, &r, || {
                format!(
                    "Imported as offers at their listed prices: {}",
                    r.imported.join(", ")
                )
            })?;
            Ok(OK)
        }
    }
}

/// A provider named on the command line; an unknown one is a usage error listing the ids.
fn provider_id(s: &str) -> CliResult<engine::api::ProviderId> {
    s.parse()
        .map_err(|e: vocab::UnknownValue| CliError::usage(e.to_string()))
}

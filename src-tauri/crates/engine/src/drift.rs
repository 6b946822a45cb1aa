//! Drift from real bills (issue 14 §5, DESIGN.md §3 "a drift between published and
//! settled prices is surfaced, never applied silently").
//!
//! Every settled, billed, successful attempt carries its estimate (`expected`) and its
//! charge (`actual`); a provider or gateway that reports its own charge also has it
//! recorded beside them (`reported`, see [`record_reported`]). When the last `window`
//! such attempts of an offer cost more than `threshold_pct` percent away from their
//! estimates in total, the offer is marked in the cost table and listed on the
//! dashboard. The user accepts the drift as a negotiated rate (the offer's multiplier ×
//! the observed ratio) or ignores it; either answer covers the attempts it saw, and the
//! mark returns only if a whole window of later attempts still drifts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pricing::{EstimateRequest, Offer, SettlementBasis};
use rust_decimal::{Decimal, RoundingStrategy};
use store::{DriftDecision, DriftSample};

use crate::api::{DriftEvidence, DriftMark, DriftSettings, DriftView, PriceOverrideInput};
use crate::context::Core;
use crate::error::{EngineError, Result};

pub(crate) const DRIFT_SETTINGS_KEY: &str = "engine.drift";
const DEFAULT_WINDOW: u32 = 10;
const MAX_WINDOW: u32 = 500;
/// The CLI or another window may settle attempts too: recompute at least this often.
const CACHE_TTL: Duration = Duration::from_secs(10);

impl Default for DriftSettings {
    fn default() -> Self {
        DriftSettings {
            window: DEFAULT_WINDOW,
            threshold_pct: Decimal::TEN,
        }
    }
}

/// The charge the provider itself reported, in USD: OpenRouter `usage.cost`, BFL and
/// Recraft credits at the offer's credit rate, a gateway's cost (`RawUsage::reported_usd`,
/// e.g. LiteLLM's `x-litellm-response-cost`). None when the price came from usage or the
/// formula.
pub(crate) fn reported_of(
    offer: &Offer,
    priced: &EstimateRequest,
    usage: &pricing::Usage,
) -> Option<Decimal> {
    // A named gateway's own figure (header or JSON path): recorded, never charged.
    if let Some(usd) = usage.gateway_reported_usd.filter(|u| *u >= Decimal::ZERO) {
        return Some(usd);
    }
    if usage.reported_usd.is_none() && usage.credits.is_none() {
        return None;
    }
    let s = pricing::settle(offer, priced, usage);
    (s.basis == SettlementBasis::Reported && s.actual >= Decimal::ZERO).then_some(s.actual)
}

/// Records a reported charge beside the attempt's estimate. An annotation, not money:
/// a failure is logged, never fatal to the job.
pub(crate) async fn record_reported(core: &Arc<Core>, attempt: i64, reported: Option<Decimal>) {
    let Some(amount) = reported else { return };
    if let Err(e) = core
        .store_op(move |s| s.set_reported_cost(attempt, amount))
        .await
    {
        tracing::warn!(attempt, "could not record the reported cost: {}", e.message);
    }
}

pub(crate) fn load_settings(store: &store::Store) -> Result<DriftSettings> {
    Ok(match store.setting(DRIFT_SETTINGS_KEY)? {
        Some(v) => serde_json::from_value(v).unwrap_or_else(|e| {
            tracing::warn!("drift settings unreadable, using defaults: {e}");
            DriftSettings::default()
        }),
        None => DriftSettings::default(),
    })
}

pub(crate) async fn settings(core: &Arc<Core>) -> Result<DriftSettings> {
    core.store_op(|s| load_settings(s).map_err(|e| store::StoreError::InvalidInput(e.message)))
        .await
}

pub(crate) async fn save_settings(core: &Arc<Core>, input: DriftSettings) -> Result<DriftSettings> {
    if input.window < 2 || input.window > MAX_WINDOW {
        return Err(EngineError::validation(format!(
            "the drift window must be between 2 and {MAX_WINDOW} settled attempts (got {})",
            input.window
        )));
    }
    if input.threshold_pct <= Decimal::ZERO || input.threshold_pct > Decimal::ONE_HUNDRED {
        return Err(EngineError::validation(format!(
            "the drift threshold must be above 0 % and at most 100 % (got {} %)",
            input.threshold_pct.normalize()
        )));
    }
    let value = serde_json::to_value(&input)
        .map_err(|e| EngineError::internal(format!("drift settings encode: {e}")))?;
    core.store_op(move |s| s.set_setting(DRIFT_SETTINGS_KEY, &value))
        .await?;
    core.prices().forget_drift();
    Ok(input)
}

/// Open drifts only (the dashboard's list).
pub(crate) async fn drifting(core: &Arc<Core>) -> Result<Vec<DriftView>> {
    Ok(list(core)
        .await?
        .iter()
        .filter(|d| d.status == "drifting")
        .cloned()
        .collect())
}

/// The offers whose bills drifted (all statuses), cached.
pub(crate) async fn list(core: &Arc<Core>) -> Result<Arc<Vec<DriftView>>> {
    if let Some(v) = core.prices().cached_drift(CACHE_TTL) {
        return Ok(v);
    }
    let (settings, samples, decisions) = core
        .store_op(|s| {
            let settings = load_settings(s).unwrap_or_default();
            let samples = s.drift_samples(settings.window as usize)?;
            let decisions = s.drift_decisions()?;
            Ok((settings, samples, decisions))
        })
        .await?;
    let catalog = core.wiring().catalog();
    let multipliers = multipliers(core);
    let views = Arc::new(compute(
        &settings,
        samples,
        &decisions,
        |id| catalog.offer(id).cloned(),
        |id| multipliers.get(id).copied().unwrap_or(Decimal::ONE),
    ));
    core.prices().cache_drift(views.clone());
    Ok(views)
}

/// Marks for the cost table: open drifts only.
pub(crate) async fn marks(core: &Arc<Core>) -> HashMap<String, DriftMark> {
    match list(core).await {
        Ok(v) => v
            .iter()
            .filter(|d| d.status == "drifting")
            .map(|d| (d.offer_id.clone(), mark_of(d)))
            .collect(),
        // The price list still works without the marks.
        Err(e) => {
            tracing::warn!("drift marks unavailable: {}", e.message);
            HashMap::new()
        }
    }
}

fn mark_of(d: &DriftView) -> DriftMark {
    DriftMark {
        ratio: d.ratio,
        percent: d.percent,
        samples: d.samples,
        message: d.message.clone(),
    }
}

fn multipliers(core: &Core) -> HashMap<String, Decimal> {
    core.wiring()
        .catalog_state()
        .overrides
        .iter()
        .filter_map(|o| match o.change {
            pricing::OverrideChange::Multiplier { factor } => Some((o.offer_id.clone(), factor)),
            _ => None,
        })
        .collect()
}

/// Pure: the drift of every offer with a full window of evidence. `samples` are grouped
/// by offer, newest first (as the store returns them).
pub(crate) fn compute(
    settings: &DriftSettings,
    samples: Vec<DriftSample>,
    decisions: &[DriftDecision],
    offer: impl Fn(&str) -> Option<Offer>,
    multiplier: impl Fn(&str) -> Decimal,
) -> Vec<DriftView> {
    let window = settings.window.max(2) as usize;
    let mut by_offer: Vec<(String, Vec<DriftSample>)> = Vec::new();
    for s in samples {
        match by_offer.last_mut() {
            Some((id, v)) if *id == s.offer_id => v.push(s),
            _ => by_offer.push((s.offer_id.clone(), vec![s])),
        }
    }
    let mut out = Vec::new();
    for (offer_id, mut evidence) in by_offer {
        evidence.truncate(window);
        if evidence.len() < window {
            continue;
        }
        let expected: Decimal = evidence.iter().map(|s| s.expected).sum();
        let actual: Decimal = evidence.iter().map(|s| s.actual).sum();
        // The real bill: what the provider or gateway said it charged when it says so
        // (a gateway's figure is recorded, never charged), else what was charged.
        let billed: Decimal = evidence
            .iter()
            .map(|s| s.reported.unwrap_or(s.actual))
            .sum();
        if expected <= Decimal::ZERO {
            continue;
        }
        let ratio =
            (billed / expected).round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
        let percent = ((ratio - Decimal::ONE) * Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
            .normalize();
        if percent.abs() <= settings.threshold_pct {
            continue;
        }
        let oldest = evidence.iter().map(|s| s.attempt).min().unwrap_or_default();
        let status = decisions
            .iter()
            .find(|d| d.offer_id == offer_id && d.through_attempt >= oldest)
            .map_or("drifting", |d| d.action.as_str())
            .to_owned();
        let current = multiplier(&offer_id);
        let o = offer(&offer_id);
        let (provider, model, display_name) = match &o {
            Some(o) => (
                o.provider.to_string(),
                o.model.to_string(),
                o.display_name.to_string(),
            ),
            None => (String::new(), String::new(), offer_id.clone()),
        };
        let samples = u32::try_from(evidence.len()).unwrap_or(u32::MAX);
        let direction = if percent > Decimal::ZERO {
            "above"
        } else {
            "below"
        };
        out.push(DriftView {
            message: format!(
                "real bills ran {}% {direction} the estimate over the last {samples} settled \
                 attempts (${} billed vs ${} estimated)",
                percent.abs(),
                actual.normalize(),
                expected.normalize()
            ),
            offer_id,
            provider,
            model,
            display_name,
            ratio,
            percent,
            samples,
            expected_usd: expected.normalize(),
            actual_usd: actual.normalize(),
            status,
            current_multiplier: current,
            suggested_multiplier: (current * ratio)
                .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
                .normalize(),
            evidence: evidence
                .iter()
                .map(|s| DriftEvidence {
                    attempt_id: s.attempt.to_string(),
                    generation_id: s.generation_id.clone(),
                    expected_usd: s.expected,
                    actual_usd: s.actual,
                    reported_usd: s.reported,
                    finished_at: s.finished_at.to_rfc3339(),
                })
                .collect(),
        });
    }
    out
}

fn find(list: &[DriftView], offer_id: &str) -> Result<DriftView> {
    list.iter()
        .find(|d| d.offer_id == offer_id)
        .cloned()
        .ok_or_else(|| {
            EngineError::not_found(format!(
                "no drift on `{offer_id}`: its settled costs agree with its estimates \
                 (`proofsheet-cli drift list` shows the offers that drifted)"
            ))
        })
}

fn newest(d: &DriftView) -> i64 {
    d.evidence
        .iter()
        .filter_map(|e| e.attempt_id.parse::<i64>().ok())
        .max()
        .unwrap_or_default()
}

/// Accepts an offer's drift in one step, remembered with the decision.
///
/// A drift can only be seen where the charge does not come from the formula (a flat
/// price settles at itself): a reported amount, reported credits, or usage × rate. So
/// the estimate is corrected where it is an assumption: an offer billed in credits or
/// by usage gets its assumed credits, tokens or seconds × the ratio (the provider's
/// rates stay, so settlement of reported usage is unchanged); any other offer gets the
/// ratio as its negotiated-rate multiplier (× the one in force).
pub(crate) async fn accept(core: &Arc<Core>, offer_id: &str) -> Result<DriftView> {
    core.prices().forget_drift();
    let d = find(&list(core).await?, offer_id)?;
    let offer = core
        .wiring()
        .catalog()
        .offer(offer_id)
        .cloned()
        .ok_or_else(|| {
            EngineError::not_found(format!("`{offer_id}` is no longer in the price catalog"))
        })?;
    let mut formula = offer.formula.clone();
    if scale_assumption(&mut formula, d.ratio) {
        let change = pricing::OverrideChange::Formula { formula };
        replace_override(core, offer_id, change).await?;
    } else {
        let custom = core.wiring().catalog_state().overrides.iter().any(|o| {
            o.offer_id == offer_id
                && !matches!(o.change, pricing::OverrideChange::Multiplier { .. })
        });
        if custom {
            return Err(EngineError::validation(format!(
                "`{offer_id}` has its own price (a price cap or a custom price): a rate cannot \
                 be derived from it; edit its price in Settings → Pricing"
            )));
        }
        let mut inputs: Vec<PriceOverrideInput> = current_inputs(core)
            .into_iter()
            .filter(|o| o.offer_id != offer_id)
            .collect();
        inputs.push(PriceOverrideInput {
            offer_id: offer_id.to_owned(),
            multiplier: d.suggested_multiplier,
            price_cap_usd: None,
        });
        crate::settings_ops::set_overrides(core, inputs).await?;
    }
    decide(core, &d, "accepted").await?;
    Ok(DriftView {
        status: "accepted".into(),
        ..d
    })
}

/// Scales what a usage- or credit-billed formula assumes per image (credits, output
/// tokens, seconds); false for formulas priced per image, size or megapixel.
fn scale_assumption(f: &mut pricing::Formula, ratio: Decimal) -> bool {
    use pricing::Formula as F;
    match f {
        F::Credits { credits, .. } => {
            credits.scale(ratio);
            true
        }
        F::StepScaled { base, .. } => scale_assumption(base, ratio),
        F::ComputeSeconds {
            seconds_per_image, ..
        } => {
            *seconds_per_image *= ratio;
            true
        }
        F::Tokens(t) => {
            for row in &mut t.image_out_tokens {
                let scaled = (Decimal::from(row.tokens) * ratio).ceil();
                row.tokens = u64::try_from(scaled).unwrap_or(row.tokens);
            }
            true
        }
        _ => false,
    }
}

/// Replaces every override of one offer with `change`, validated against the catalog
/// before anything is stored.
async fn replace_override(
    core: &Arc<Core>,
    offer_id: &str,
    change: pricing::OverrideChange,
) -> Result<()> {
    let _one_at_a_time = core.wiring().reconfigure().await;
    let (base, mut overrides) = {
        let c = core.wiring().catalog_state();
        (c.base.clone(), c.overrides.clone())
    };
    overrides.retain(|o| o.offer_id != offer_id);
    overrides.push(pricing::PriceOverride {
        offer_id: offer_id.to_owned(),
        change: change.clone(),
    });
    let effective = base.with_overrides(&overrides)?;
    let value = serde_json::to_value(&change)
        .map_err(|e| EngineError::internal(format!("override encode: {e}")))?;
    let id = offer_id.to_owned();
    core.store_op(move |s| {
        s.remove_price_override(&id)?;
        s.set_price_override(&id, &value)
    })
    .await?;
    core.wiring().swap(crate::wiring::Swap {
        catalog: Some(crate::catalog::CatalogState {
            base,
            overrides,
            effective: Arc::new(effective),
        }),
        ..Default::default()
    });
    Ok(())
}

/// Ignores an offer's drift: no mark until a whole window of later attempts drifts.
pub(crate) async fn ignore(core: &Arc<Core>, offer_id: &str) -> Result<DriftView> {
    core.prices().forget_drift();
    let d = find(&list(core).await?, offer_id)?;
    decide(core, &d, "ignored").await?;
    Ok(DriftView {
        status: "ignored".into(),
        ..d
    })
}

async fn decide(core: &Arc<Core>, d: &DriftView, action: &'static str) -> Result<()> {
    let (id, ratio, through) = (d.offer_id.clone(), d.ratio, newest(d));
    core.store_op(move |s| s.set_drift_decision(&id, action, ratio, through))
        .await?;
    core.prices().forget_drift();
    Ok(())
}

/// Negotiated rates and price caps in force, as `set_overrides` takes them.
fn current_inputs(core: &Core) -> Vec<PriceOverrideInput> {
    core.wiring()
        .catalog_state()
        .overrides
        .iter()
        .filter_map(|o| match o.change {
            pricing::OverrideChange::Multiplier { factor } => Some(PriceOverrideInput {
                offer_id: o.offer_id.clone(),
                multiplier: factor,
                price_cap_usd: None,
            }),
            pricing::OverrideChange::PriceCap { per_image } => Some(PriceOverrideInput {
                offer_id: o.offer_id.clone(),
                multiplier: Decimal::ONE,
                price_cap_usd: Some(per_image),
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn s(attempt: i64, expected: Decimal, actual: Decimal) -> DriftSample {
        DriftSample {
            attempt,
            generation_id: format!("g{attempt}"),
            offer_id: "bfl:flux-pro-1.1".into(),
            expected,
            actual,
            reported: Some(actual),
            finished_at: chrono::Utc::now(),
        }
    }

    fn run(samples: Vec<DriftSample>, decisions: &[DriftDecision]) -> Vec<DriftView> {
        let settings = DriftSettings {
            window: 3,
            threshold_pct: dec("10"),
        };
        compute(&settings, samples, decisions, |_| None, |_| dec("0.9"))
    }

    #[test]
    fn drift_needs_a_full_window_beyond_the_threshold() {
        // Two samples: not a full window of 3.
        assert!(
            run(
                vec![
                    s(2, dec("0.04"), dec("0.05")),
                    s(1, dec("0.04"), dec("0.05"))
                ],
                &[]
            )
            .is_empty()
        );
        // 10 % exactly is not more than 10 %.
        let within = vec![
            s(3, dec("0.04"), dec("0.044")),
            s(2, dec("0.04"), dec("0.044")),
            s(1, dec("0.04"), dec("0.044")),
        ];
        assert!(run(within, &[]).is_empty());
        // Only the newest 3 count: the old cheap one is out of the window.
        let got = run(
            vec![
                s(4, dec("0.04"), dec("0.05")),
                s(3, dec("0.04"), dec("0.05")),
                s(2, dec("0.04"), dec("0.05")),
                s(1, dec("0.04"), dec("0.001")),
            ],
            &[],
        );
        assert_eq!(got.len(), 1);
        let d = &got[0];
        assert_eq!((d.ratio, d.percent, d.samples), (dec("1.25"), dec("25"), 3));
        assert_eq!(d.status, "drifting");
        assert_eq!(d.suggested_multiplier, dec("1.125"), "0.9 in force × 1.25");
        assert_eq!(d.evidence.len(), 3);
        assert_eq!(d.evidence[0].attempt_id, "4", "newest first");
        assert!(d.message.contains("25% above"), "{}", d.message);
    }

    #[test]
    fn a_gateway_bill_above_our_charge_is_a_drift() {
        // Charged at the bound offer's formula (0.04), the gateway reported 0.05 each.
        let gap = |a| DriftSample {
            reported: Some(dec("0.05")),
            ..s(a, dec("0.04"), dec("0.04"))
        };
        let got = run(vec![gap(3), gap(2), gap(1)], &[]);
        assert_eq!(got.len(), 1, "the reported bills drifted 25 %");
        assert_eq!(got[0].percent, dec("25"));
        // Without a reported figure, charge = estimate: no drift.
        let quiet = |a| DriftSample {
            reported: None,
            ..s(a, dec("0.04"), dec("0.04"))
        };
        assert!(run(vec![quiet(3), quiet(2), quiet(1)], &[]).is_empty());
    }

    #[test]
    fn a_decision_covers_what_it_saw_until_a_fresh_window_drifts() {
        let decision = DriftDecision {
            offer_id: "bfl:flux-pro-1.1".into(),
            action: "ignored".into(),
            ratio: dec("0.5"),
            through_attempt: 3,
            decided_at: chrono::Utc::now(),
        };
        let cheap = |a| s(a, dec("0.04"), dec("0.02"));
        let got = run(
            vec![cheap(5), cheap(4), cheap(3)],
            std::slice::from_ref(&decision),
        );
        assert_eq!(got[0].status, "ignored");
        assert_eq!(got[0].percent, dec("-50"));
        let got = run(vec![cheap(6), cheap(5), cheap(4)], &[decision]);
        assert_eq!(
            got[0].status, "drifting",
            "three attempts after the decision"
        );
    }
}

//! Live estimates for the canvas (every offer, dedup hits, key presence, budget impact)
//! and the price of promoting a draft.

use std::sync::Arc;

use pricing::OfferTier;
use rust_decimal::Decimal;

use crate::api::{
    BudgetView, EstimateInput, EstimateResult, OfferEstimate, PromotePreview, Route, TierFilter,
};
use crate::context::Core;
use crate::convert;
use crate::error::{EngineError, Result};
use crate::routing::{self, Candidate};

pub(crate) async fn estimate(core: &Arc<Core>, input: EstimateInput) -> Result<EstimateResult> {
    routing::validate_params(&input.params)?;
    let (req, resolved) =
        crate::inputs::priced(core, &input.params, input.params.seed.map(u64::from)).await?;
    let catalog = core.wiring().catalog();
    let calibration = core.prices().calibration();
    let ctx = crate::prices::estimate_ctx(&calibration);
    let unknown = routing::unknown_offers(&catalog, &input.offers);
    if !unknown.is_empty() {
        return Err(EngineError::validation(format!(
            "not in the price catalog: {}",
            unknown.join(", ")
        )));
    }
    let today = ctx.catalog_date;
    let offers: Vec<&pricing::Offer> = if input.offers.is_empty() {
        // Shut-down offers stay in the catalog for history, not in the price list;
        // named explicitly, they are shown with why they cannot be used.
        catalog
            .offers()
            .iter()
            .filter(|o| !o.is_shut_down(today))
            .filter(|o| match input.tier {
                TierFilter::All => true,
                TierFilter::Draft => o.tier == OfferTier::Draft,
                TierFilter::Final => o.tier == OfferTier::Final,
            })
            .collect()
    } else {
        input
            .offers
            .iter()
            .filter_map(|id| catalog.offer(id))
            .collect()
    };
    let estimates = pricing::estimate_offers(offers.iter().copied(), &req, &ctx);
    let with_keys = core.gateway().providers_with_keys().await;
    // Dedup keys only for supported offers; one blocking trip for all lookups.
    let keys: Vec<Option<String>> = estimates
        .iter()
        .map(|e| {
            let offer = catalog.offer(&e.offer_id)?;
            e.supported.then(|| {
                let c = Candidate {
                    offer: offer.clone(),
                    estimate: e.clone(),
                    skip: None,
                };
                store::dedup_key(&c.canonical(&req, &resolved.canonical))
            })
        })
        .collect();
    let hits = core
        .store_op(move |s| {
            keys.iter()
                .map(|k| match k {
                    Some(k) => s.find_reusable(k).map(|h| h.is_some()),
                    None => Ok(false),
                })
                .collect::<store::Result<Vec<bool>>>()
        })
        .await?;
    let drift = crate::drift::marks(core).await;
    let later = crate::deferred::prices(core, &offers, &req, &ctx);
    let later: std::collections::HashMap<&str, crate::api::DeferredPrice> = offers
        .iter()
        .zip(later)
        .filter_map(|(o, p)| Some((&*o.id, p?)))
        .collect();
    let views: Vec<OfferEstimate> = estimates
        .iter()
        .zip(hits)
        .map(|(e, hit)| OfferEstimate {
            drift: drift.get(e.offer_id.as_ref() as &str).cloned(),
            deferred: later.get(&*e.offer_id).cloned(),
            ..convert::estimate_view(
                e,
                hit,
                core.availability(e.provider.as_str(), &with_keys),
                routing::fit(e, &input.params),
                crate::candidates::cooling(
                    core,
                    &crate::limits::limit_key(&e.offer_id, e.provider.as_str()),
                ),
            )
        })
        .collect();
    let budget = match &input.project {
        Some(name) => Some(route_budget(core, &catalog, name, &input, &req, &resolved).await?),
        None => None,
    };
    Ok(EstimateResult {
        estimates: views,
        budget,
    })
}

pub(crate) async fn promote_preview(core: &Arc<Core>, id: &str) -> Result<PromotePreview> {
    let plan = crate::route_plan::promote_plan(core, id).await?;
    let name = plan.detail.project.clone();
    let policy = core
        .store_op(move |s| {
            let p = s.project_by_name(&name)?;
            s.policy(p.id)
        })
        .await?;
    let catalog = core.wiring().catalog();
    let params = &plan.params;
    let (req, _) = crate::inputs::priced(core, params, params.seed.map(u64::from)).await?;
    let with_keys = core.gateway().providers_with_keys().await;
    let usable = |p: &str| core.provider_usable(p, &with_keys);
    let calibration = core.prices().calibration();
    let ctx = crate::prices::estimate_ctx(&calibration);
    let ids = routing::chain(
        &Route::Final,
        &policy,
        &catalog,
        &req,
        params,
        &ctx,
        &usable,
    );
    let estimates: Vec<OfferEstimate> = ids
        .iter()
        .filter_map(|id| catalog.offer(id))
        .map(|o| {
            let e = pricing::estimate(o, &req, &ctx);
            let hit =
                plan.decision.dedup_hit && plan.decision.offer_id.as_deref() == Some(o.id.as_ref());
            convert::estimate_view(
                &e,
                hit,
                core.availability(o.provider.as_str(), &with_keys),
                routing::fit(&e, params),
                crate::candidates::cooling(
                    core,
                    &crate::limits::limit_key(&o.id, o.provider.as_str()),
                ),
            )
        })
        .collect();
    let final_usd = plan.decision.expected_usd.unwrap_or(Decimal::ZERO);
    let d = &plan.detail;
    Ok(PromotePreview {
        generation_id: d.generation_id.clone(),
        draft_cost_usd: d.cost_usd,
        difference_usd: final_usd - d.cost_usd,
        differences: crate::route_plan::differences(&catalog, d, &plan.decision),
        already_promoted: !d.children.is_empty(),
        decision: plan.decision,
        estimates,
    })
}

/// The project's budget with what pressing Draft (or Final, when the table shows the
/// final tier) would reserve: the worst case of the route's chain, as the pipeline
/// reserves it, or nothing when the gallery already has the result.
async fn route_budget(
    core: &Arc<Core>,
    catalog: &pricing::Catalog,
    name: &str,
    input: &EstimateInput,
    req: &pricing::EstimateRequest,
    resolved: &crate::inputs::Resolved,
) -> Result<BudgetView> {
    let n = name.to_owned();
    let (summary, policy) = core
        .store_op(move |s| {
            let p = s.project_by_name(&n)?;
            Ok((s.project_summary(&n)?, s.policy(p.id)?))
        })
        .await?;
    let route = match input.tier {
        TierFilter::Final => Route::Final,
        TierFilter::Draft | TierFilter::All => Route::Draft,
    };
    let cands =
        crate::candidates::route_candidates(core, catalog, &route, &policy, req, &input.params)
            .await;
    let usable: Vec<&Candidate> = cands.iter().filter(|c| c.skip.is_none()).collect();
    let keys: Vec<String> = usable
        .iter()
        .map(|c| store::dedup_key(&c.canonical(req, &resolved.canonical)))
        .collect();
    let reused = core
        .store_op(move |s| {
            for k in &keys {
                if s.find_reusable(k)?.is_some() {
                    return Ok(true);
                }
            }
            Ok(false)
        })
        .await?;
    let request = if reused {
        Some(Decimal::ZERO)
    } else {
        usable.iter().map(|c| c.estimate.worst_case).max()
    };
    Ok(convert::budget_view(&summary, request))
}

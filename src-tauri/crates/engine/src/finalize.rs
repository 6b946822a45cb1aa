//! Finalize a draft (issue 15 §4): every way to get a final of *that* image, priced side
//! by side — re-render it with the draft as the image to edit, upscale it, or re-roll the
//! prompt (promote) — and the plan of the one chosen. The final links to the draft.
//!
//! Fidelity to the draft, the stated rule: an upscale keeps the draft's pixels (high); a
//! re-render with the draft as the image to edit keeps its composition and subject but
//! redraws details (medium); a re-roll makes a new image from the prompt (low), medium
//! only when the same seed-honouring model re-renders with the draft's seed.

use std::sync::Arc;

use crate::api::{
    DraftFidelity, EstimateInput, FinalizeHow, FinalizeInput, FinalizeOption, FinalizeOptions,
    GenerateInput, GenerationDetail, InputFidelity, InputRef, InputRole, InputSource,
    OfferEstimate, Operation, RequestParams, Route, Tier, TierFilter, UpscaleInput,
};
use crate::context::Core;
use crate::error::{EngineError, Result};

/// Typical seconds when an offer has no history yet.
const TYPICAL_EDIT_S: u32 = 45;
const TYPICAL_UPSCALE_S: u32 = 15;
const TYPICAL_REROLL_S: u32 = 30;
/// Alternatives listed beside the chosen offer.
const ALTERNATIVES: usize = 5;

/// The draft's image `index` as the subject of an operation on it.
fn on_draft(
    d: &GenerationDetail,
    index: u32,
    op: Operation,
    scale: Option<u32>,
) -> Result<RequestParams> {
    let img = d.images.get(index as usize).ok_or_else(|| {
        EngineError::validation(format!(
            "generation {} has no image #{index}; it made {}",
            d.generation_id,
            d.images.len()
        ))
    })?;
    let (mut w, mut h) = (img.width, img.height);
    if let Some(s) = scale {
        w = w.saturating_mul(s);
        h = h.saturating_mul(s);
    }
    Ok(RequestParams {
        prompt: d.params.prompt.clone(),
        negative_prompt: d.params.negative_prompt.clone(),
        width: w,
        height: h,
        quality: None,
        n: 1,
        steps: None,
        seed: None,
        operation: op,
        inputs: vec![InputRef {
            source: InputSource::Gallery {
                generation_id: d.generation_id.clone(),
                index,
            },
            role: InputRole::Subject,
        }],
        mask: None,
        expand: None,
        scale,
        fidelity: (op == Operation::Edit).then_some(InputFidelity::High),
    })
}

fn fidelity_of(how: &FinalizeHow, same_seeded_model: bool) -> (DraftFidelity, String) {
    match how {
        FinalizeHow::Upscale => (
            DraftFidelity::High,
            "an upscale keeps the draft's pixels and adds detail".into(),
        ),
        FinalizeHow::Reference => (
            DraftFidelity::Medium,
            "the draft is the image the final model edits: composition and subject are kept, \
             details are redrawn"
                .into(),
        ),
        FinalizeHow::Reroll if same_seeded_model => (
            DraftFidelity::Medium,
            "the same model re-renders the prompt with the draft's seed at a higher quality: \
             usually the same composition"
                .into(),
        ),
        FinalizeHow::Reroll => (
            DraftFidelity::Low,
            "the prompt is rendered again on the final model: expect a new image".into(),
        ),
    }
}

async fn typical_seconds(core: &Arc<Core>, offer: Option<&str>, fallback: u32) -> u32 {
    let Some(offer) = offer.map(str::to_owned) else {
        return fallback;
    };
    core.store_op(move |s| s.typical_call_ms(&offer))
        .await
        .ok()
        .flatten()
        .map_or(fallback, |ms| {
            u32::try_from(ms.div_ceil(1000)).unwrap_or(u32::MAX)
        })
}

/// Prices `params` on every offer and picks the one a finalize runs on: the asked offer,
/// else the project's final chain in order, else final-tier offers, cheapest first;
/// offers with a key before those without.
async fn priced(
    core: &Arc<Core>,
    how: FinalizeHow,
    params: RequestParams,
    project: &str,
    offer: Option<&str>,
) -> FinalizeOption {
    let (fidelity, fidelity_reason) = fidelity_of(&how, false);
    let fallback_s = match how {
        FinalizeHow::Upscale => TYPICAL_UPSCALE_S,
        FinalizeHow::Reference => TYPICAL_EDIT_S,
        FinalizeHow::Reroll => TYPICAL_REROLL_S,
    };
    let refused = |reason: String, params: RequestParams| FinalizeOption {
        how: how.clone(),
        offer_id: None,
        display_name: None,
        estimate: None,
        expected_usd: None,
        worst_case_usd: None,
        fidelity: fidelity.clone(),
        fidelity_reason: fidelity_reason.clone(),
        expected_seconds: None,
        can_run: false,
        reason: Some(reason),
        params,
        alternatives: Vec::new(),
    };
    let name = project.to_owned();
    let chain = core
        .store_op(move |s| {
            let p = s.project_by_name(&name)?;
            Ok(s.policy(p.id)?.final_offers)
        })
        .await
        .unwrap_or_default();
    let input = EstimateInput {
        params: params.clone(),
        project: None,
        tier: TierFilter::All,
        offers: offer.map(|o| vec![o.to_owned()]).unwrap_or_default(),
    };
    let estimates = match crate::estimate::estimate(core, input).await {
        Ok(r) => r.estimates,
        Err(e) => return refused(e.message, params),
    };
    let mut able: Vec<OfferEstimate> = estimates.into_iter().filter(|e| e.supported).collect();
    if able.is_empty() {
        let why = match offer {
            Some(o) => format!(
                "{o} cannot do this: pick an offer that can {}",
                params.operation
            ),
            None => format!(
                "no offer in the catalog can {} this image; add a key for a provider that can",
                params.operation
            ),
        };
        return refused(why, params);
    }
    // Stable sort keeps the estimate's cheapest-first order within each rank.
    let rank = |e: &OfferEstimate| {
        let in_chain = chain
            .iter()
            .position(|c| *c == e.offer_id)
            .unwrap_or(usize::MAX);
        (!e.has_key, in_chain, e.tier != Tier::Final, !e.price_known)
    };
    able.sort_by_key(rank);
    let first = able.remove(0);
    let expected_seconds = typical_seconds(core, Some(&first.offer_id), fallback_s).await;
    let (can_run, reason) = if first.has_key {
        (true, None)
    } else {
        (
            false,
            Some(format!(
                "no API key for {}; add one in Settings → Keys",
                first.provider
            )),
        )
    };
    able.truncate(ALTERNATIVES);
    FinalizeOption {
        how,
        offer_id: Some(first.offer_id.clone()),
        display_name: Some(first.display_name.clone()),
        expected_usd: Some(first.expected_usd),
        worst_case_usd: Some(first.worst_case_usd),
        estimate: Some(first),
        fidelity,
        fidelity_reason,
        expected_seconds: Some(expected_seconds),
        can_run,
        reason,
        params,
        alternatives: able,
    }
}

async fn reroll(core: &Arc<Core>, d: &GenerationDetail) -> Result<FinalizeOption> {
    let plan = crate::route_plan::promote_plan(core, &d.generation_id).await?;
    let decision = plan.decision;
    let catalog = core.wiring().catalog();
    let seeded = |id: &str| catalog.offer(id).is_some_and(|o| o.capabilities.seed);
    let same = decision.offer_id.as_deref() == Some(d.offer_id.as_str())
        && seeded(&d.offer_id)
        && d.params.seed.is_some();
    let (fidelity, fidelity_reason) = fidelity_of(&FinalizeHow::Reroll, same);
    let expected_seconds =
        typical_seconds(core, decision.offer_id.as_deref(), TYPICAL_REROLL_S).await;
    Ok(FinalizeOption {
        how: FinalizeHow::Reroll,
        offer_id: decision.offer_id.clone(),
        display_name: decision.display_name.clone(),
        estimate: None,
        expected_usd: decision.expected_usd,
        worst_case_usd: decision.reserve_usd,
        fidelity,
        fidelity_reason,
        expected_seconds: Some(expected_seconds),
        can_run: decision.can_run,
        reason: decision.reason.clone(),
        params: plan.params,
        alternatives: Vec::new(),
    })
}

async fn draft(core: &Arc<Core>, id: &str) -> Result<GenerationDetail> {
    let d = crate::gallery::detail(core.store(), id).await?;
    if d.images.is_empty() {
        return Err(EngineError::validation(
            "this generation has no images to finalize; generate a draft first",
        ));
    }
    Ok(d)
}

pub(crate) async fn options(core: &Arc<Core>, generation_id: &str) -> Result<FinalizeOptions> {
    let d = draft(core, generation_id).await?;
    let mut options = Vec::with_capacity(3);
    for (how, op, scale) in [
        (FinalizeHow::Reference, Operation::Edit, None),
        (
            FinalizeHow::Upscale,
            Operation::Upscale,
            Some(crate::inputs::DEFAULT_SCALE),
        ),
    ] {
        let params = on_draft(&d, 0, op, scale)?;
        options.push(priced(core, how, params, &d.project, None).await);
    }
    options.push(reroll(core, &d).await?);
    Ok(FinalizeOptions {
        generation_id: d.generation_id.clone(),
        draft_cost_usd: d.cost_usd,
        options,
        finals: d.children.clone(),
    })
}

fn run_input(d: &GenerationDetail, o: FinalizeOption) -> Result<GenerateInput> {
    if !o.can_run {
        return Err(EngineError::validation(
            o.reason
                .unwrap_or_else(|| "this way to finalize cannot run".into()),
        ));
    }
    let offer = o
        .offer_id
        .ok_or_else(|| EngineError::validation("no offer can run this"))?;
    Ok(GenerateInput {
        project: d.project.clone(),
        params: o.params,
        route: Route::Offer(offer),
        no_dedup: false,
    })
}

pub(crate) async fn plan(
    core: &Arc<Core>,
    input: &FinalizeInput,
) -> Result<(GenerateInput, store::GenerationId)> {
    let d = draft(core, &input.generation_id).await?;
    let parent = crate::gallery::parse_id(&input.generation_id)?;
    let index = input.index.unwrap_or(0);
    let gen_input = match input.how {
        FinalizeHow::Reroll => {
            let plan = crate::route_plan::promote_plan(core, &d.generation_id).await?;
            GenerateInput {
                project: d.project.clone(),
                params: plan.params,
                route: input.offer.clone().map_or(Route::Final, Route::Offer),
                no_dedup: false,
            }
        }
        FinalizeHow::Reference | FinalizeHow::Upscale => {
            let (op, scale) = match input.how {
                FinalizeHow::Upscale => (Operation::Upscale, Some(crate::inputs::DEFAULT_SCALE)),
                _ => (Operation::Edit, None),
            };
            let params = on_draft(&d, index, op, scale)?;
            let o = priced(
                core,
                input.how.clone(),
                params,
                &d.project,
                input.offer.as_deref(),
            )
            .await;
            run_input(&d, o)?
        }
    };
    Ok((gen_input, parent))
}

pub(crate) async fn upscale_plan(
    core: &Arc<Core>,
    input: &UpscaleInput,
) -> Result<(GenerateInput, store::GenerationId)> {
    let d = draft(core, &input.generation_id).await?;
    let parent = crate::gallery::parse_id(&input.generation_id)?;
    let scale = input.scale.unwrap_or(crate::inputs::DEFAULT_SCALE);
    let params = on_draft(
        &d,
        input.index.unwrap_or(0),
        Operation::Upscale,
        Some(scale),
    )?;
    let o = priced(
        core,
        FinalizeHow::Upscale,
        params,
        &d.project,
        input.offer.as_deref(),
    )
    .await;
    Ok((run_input(&d, o)?, parent))
}

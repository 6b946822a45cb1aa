//! The routing decision shown before a button is pressed (issue 12 §1): which offer
//! Draft / Final / Use would run, at what price, with what snapped or ignored, or why
//! nothing can run and the fix. Built from the same candidates the pipeline runs
//! (`candidates::route_candidates`), so the preview and the job cannot disagree. Also the
//! promote plan: the final quality and what will differ from the draft.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::api::{
    GenerationDetail, RequestParams, Route, RouteDecision, RoutePreviewInput, SizePreset,
    SkippedOffer,
};
use crate::context::Core;
use crate::convert;
use crate::error::{EngineError, ErrorKind, Result};
use crate::routing::{self, Candidate};

/// Project setting: the quality a promoted final renders at (else the final offer's
/// best standard quality).
pub(crate) const FINAL_QUALITY: &str = "final_quality";

pub(crate) async fn preview(core: &Arc<Core>, input: RoutePreviewInput) -> Result<RouteDecision> {
    if let Err(e) = routing::validate_params(&input.params) {
        return Ok(refused(
            &input.params,
            e.message,
            "fix the request and try again",
        ));
    }
    let name = input.project.clone();
    let policy = core
        .store_op(move |s| {
            let p = s.project_by_name(&name)?;
            s.policy(p.id)
        })
        .await;
    let policy = match policy {
        Ok(p) => p,
        Err(e) if e.kind == ErrorKind::NotFound => {
            return Ok(refused(
                &input.params,
                format!("no project named \"{}\"", input.project),
                "choose a project, or create one in Projects",
            ));
        }
        Err(e) => return Err(e),
    };
    decide(core, &input.project, &policy, &input.route, &input.params).await
}

/// The decision for `params` on `route` of a project whose policy is `policy`.
pub(crate) async fn decide(
    core: &Arc<Core>,
    project: &str,
    policy: &store::Policy,
    route: &Route,
    params: &RequestParams,
) -> Result<RouteDecision> {
    let (req, resolved) = crate::inputs::priced(core, params, params.seed.map(u64::from)).await?;
    let catalog = core.wiring().catalog();
    let cands =
        crate::candidates::route_candidates(core, &catalog, route, policy, &req, params).await;
    if cands.is_empty() {
        let (reason, fix) = match route {
            Route::Offer(id) => (
                format!("offer `{id}` is not in the price catalog"),
                "pick another offer in the cost table",
            ),
            _ => (
                "no offer with a key can make this request".to_owned(),
                "add a provider key in Settings → Keys, or set the project's chain in Projects",
            ),
        };
        return Ok(refused(params, reason, fix));
    }
    // The gallery is tried first, on every candidate that may run, key or not.
    let open: Vec<&Candidate> = cands.iter().filter(|c| c.skip.is_none()).collect();
    let keys: Vec<String> = open
        .iter()
        .map(|c| store::dedup_key(&c.canonical(&req, &resolved.canonical)))
        .collect();
    let hit = core
        .store_op(move |s| {
            for (i, k) in keys.iter().enumerate() {
                if s.find_reusable(k)?.is_some() {
                    return Ok(Some(i));
                }
            }
            Ok(None)
        })
        .await?;

    let with_keys = core.gateway().providers_with_keys().await;
    let mut skipped = Vec::new();
    let mut runnable = Vec::new();
    for c in &cands {
        let why = c.skip.clone().or_else(|| {
            (!core.provider_usable(c.offer.provider.as_str(), &with_keys))
                .then(|| no_key(c.offer.provider.as_str()))
        });
        match why {
            Some(reason) => skipped.push(SkippedOffer {
                offer_id: c.offer.id.to_string(),
                display_name: c.offer.display_name.to_string(),
                reason,
            }),
            None => runnable.push(c),
        }
    }
    if let Some(i) = hit {
        let mut d = chosen(open[i], &open, skipped);
        d.dedup_hit = true;
        d.expected_usd = Some(Decimal::ZERO);
        d.reserve_usd = Some(Decimal::ZERO);
        return Ok(d);
    }
    let Some(first) = runnable.first().copied() else {
        let why: Vec<String> = skipped
            .iter()
            .map(|s| format!("{}: {}", s.display_name, s.reason))
            .collect();
        let fix = if skipped.iter().any(|s| s.reason.contains("cooling down")) {
            "wait for the cool-down, or add another provider to the project's chain in Projects"
        } else if skipped.iter().any(|s| s.reason.starts_with("no API key")) {
            "add a key in Settings → Keys, or edit the chain in Projects"
        } else {
            "change the size or parameters, or edit the chain in Projects"
        };
        return Ok(refused(params, why.join("; "), fix));
    };
    let mut d = chosen(first, &runnable, skipped);
    // A hard budget that cannot hold the reservation refuses the job: say so now.
    let n = project.to_owned();
    let summary = core.store_op(move |s| s.project_summary(&n)).await?;
    let budget = convert::budget_view(&summary, d.reserve_usd);
    if !budget.request_fits {
        d.can_run = false;
        d.reason = Some(format!(
            "this may cost up to ${} and the project's hard budget has ${} left",
            d.reserve_usd.unwrap_or_default().round_dp(4),
            budget.remaining_usd.unwrap_or_default().round_dp(4)
        ));
        d.fix = Some("raise the budget in Projects, or pick a cheaper offer".into());
    }
    Ok(d)
}

fn no_key(provider: &str) -> String {
    match vocab::ProviderId::from_wire(provider) {
        Some(p) if p.is_local() => {
            format!("{provider} is not set up; set its address in Settings → Endpoints")
        }
        _ => format!("no API key for {provider}; add one in Settings → Keys"),
    }
}

fn chosen(c: &Candidate, chain: &[&Candidate], skipped: Vec<SkippedOffer>) -> RouteDecision {
    let r = &c.estimate.resolved;
    let mut notes: Vec<String> = Vec::new();
    if let Some(l) = &c.estimate.lifecycle {
        notes.push(l.to_string());
    }
    notes.extend(c.estimate.notes.iter().map(ToString::to_string));
    RouteDecision {
        can_run: true,
        offer_id: Some(c.offer.id.to_string()),
        display_name: Some(c.offer.display_name.to_string()),
        provider: Some(c.offer.provider),
        expected_usd: Some(c.estimate.expected),
        // The pipeline holds the worst case of any offer it may fall back to.
        reserve_usd: chain.iter().map(|c| c.estimate.worst_case).max(),
        width: r.width,
        height: r.height,
        quality: r.quality.as_deref().map(str::to_owned),
        notes,
        dedup_hit: false,
        seed_honoured: c.seed_honoured(),
        reason: None,
        fix: None,
        skipped,
    }
}

fn refused(params: &RequestParams, reason: String, fix: &str) -> RouteDecision {
    RouteDecision {
        can_run: false,
        offer_id: None,
        display_name: None,
        provider: None,
        expected_usd: None,
        reserve_usd: None,
        width: params.width,
        height: params.height,
        quality: params.quality.clone(),
        notes: Vec::new(),
        dedup_hit: false,
        seed_honoured: false,
        reason: Some(reason),
        fix: Some(fix.to_owned()),
        skipped: Vec::new(),
    }
}

/// What promoting a draft runs, shared by the preview and the promote job.
pub(crate) struct PromotePlan {
    pub detail: GenerationDetail,
    pub params: RequestParams,
    pub decision: RouteDecision,
}

pub(crate) async fn promote_plan(core: &Arc<Core>, id: &str) -> Result<PromotePlan> {
    let detail = crate::gallery::detail(core.store(), id).await?;
    if detail.images.is_empty() {
        return Err(EngineError::validation(
            "this generation has no images to promote; generate a draft first",
        ));
    }
    let name = detail.project.clone();
    let (policy, quality) = core
        .store_op(move |s| {
            let p = s.project_by_name(&name)?;
            let key = Core::project_setting_key(p.id, FINAL_QUALITY);
            let q = s
                .setting(&key)?
                .and_then(|v| v.as_str().map(str::to_owned))
                .filter(|q| !q.trim().is_empty());
            Ok((s.policy(p.id)?, q))
        })
        .await?;
    // The final renders at the final quality, never at the draft's cheap one
    // (walkthrough 1.2): the project's setting, else the final offer's best standard.
    let mut params = detail.params.clone();
    params.quality = None;
    let quality = match quality {
        Some(q) => Some(q),
        None => {
            let first = decide(core, &detail.project, &policy, &Route::Final, &params).await?;
            let catalog = core.wiring().catalog();
            first
                .offer_id
                .as_deref()
                .and_then(|id| catalog.offer(id))
                .and_then(|o| o.capabilities.best_standard_quality())
                .map(|q| q.to_string())
        }
    };
    params.quality = quality;
    let decision = decide(core, &detail.project, &policy, &Route::Final, &params).await?;
    Ok(PromotePlan {
        detail,
        params,
        decision,
    })
}

/// What will differ between the draft and the final, in words.
pub(crate) fn differences(
    catalog: &pricing::Catalog,
    draft: &GenerationDetail,
    d: &RouteDecision,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(final_id) = d.offer_id.as_deref() else {
        return out;
    };
    let name_of = |id: &str| {
        catalog
            .offer(id)
            .map(|o| o.display_name.to_string())
            .unwrap_or_else(|| id.to_owned())
    };
    let (draft_name, final_name) = (name_of(&draft.offer_id), name_of(final_id));
    let dq = draft.params.quality.as_deref().unwrap_or("default");
    let fq = d.quality.as_deref().unwrap_or("default");
    if dq != fq {
        out.push(format!("Quality: {dq} → {fq}"));
    } else {
        out.push(format!("Quality: {fq}, as the draft"));
    }
    if draft.offer_id != final_id {
        out.push(format!("Model: {draft_name} → {final_name}"));
    }
    if (draft.params.width, draft.params.height) != (d.width, d.height) {
        out.push(format!(
            "Size: {}×{} → {}×{}",
            draft.params.width, draft.params.height, d.width, d.height
        ));
    }
    let draft_seeded = catalog
        .offer(&draft.offer_id)
        .is_some_and(|o| o.capabilities.seed)
        && draft.params.seed.is_some();
    out.push(if !d.seed_honoured {
        format!("Seed: {final_name} ignores seeds: expect a new image, not this one refined")
    } else if !draft_seeded {
        format!(
            "Seed: {draft_name} ignored the draft's seed, so it cannot be reused: expect a new \
             image"
        )
    } else if draft.offer_id != final_id {
        format!(
            "Seed: the draft's seed {} is reused, but another model draws its own picture: \
             expect a similar composition at best",
            draft.params.seed.unwrap_or_default()
        )
    } else {
        format!(
            "Seed: the draft's seed {} is reused: expect the same image at higher quality",
            draft.params.seed.unwrap_or_default()
        )
    });
    out
}

/// Sizes designers reach for, with their aspect in words.
const PRESETS: &[(u32, u32, &str)] = &[
    (1024, 1024, "square"),
    (1536, 1024, "3:2"),
    (1024, 1536, "2:3"),
    (1344, 768, "16:9"),
    (768, 1344, "9:16"),
    (1920, 1080, "16:9"),
    (1792, 1024, "7:4"),
    (1216, 832, "3:2"),
    (832, 1216, "2:3"),
    (2048, 2048, "square"),
];

/// The presets some usable offer (a key or a local server, not shut down, not cooling
/// down) makes exactly. With nothing usable yet (first run) every preset a live offer
/// makes is listed, so the canvas is never without sizes.
pub(crate) async fn size_presets(core: &Arc<Core>) -> Vec<SizePreset> {
    let catalog = core.wiring().catalog();
    let with_keys = core.gateway().providers_with_keys().await;
    let calibration = core.prices().calibration();
    let today = crate::prices::estimate_ctx(&calibration).catalog_date;
    let live: Vec<&pricing::Offer> = catalog
        .offers()
        .iter()
        // Edit- and upscale-only offers (issue 15) make no size from a prompt.
        .filter(|o| !o.is_shut_down(today) && o.capabilities.does(vocab::Operation::Generate))
        .collect();
    let usable: Vec<&pricing::Offer> = live
        .iter()
        .copied()
        .filter(|o| core.provider_usable(o.provider.as_str(), &with_keys))
        .collect();
    let pool = if usable.is_empty() { live } else { usable };
    PRESETS
        .iter()
        .filter_map(|&(w, h, hint)| {
            let offers: Vec<String> = pool
                .iter()
                .filter(|o| {
                    let (sw, sh, _) = o.capabilities.sizes.snap(w, h);
                    (sw, sh) == (w, h)
                })
                .map(|o| o.display_name.to_string())
                .collect();
            (!offers.is_empty()).then(|| SizePreset {
                width: w,
                height: h,
                hint: hint.to_owned(),
                offers,
            })
        })
        .collect()
}

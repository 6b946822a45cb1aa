//! Routing: which offers a request is tried on, in what order, and why an offer is
//! skipped. Pure functions over the catalog, the project's policy and key presence.

use std::collections::HashSet;

use chrono::NaiveDate;
use pricing::{
    Catalog, Estimate, EstimateContext, EstimateRequest, LifecycleStatus, Offer, OfferTier,
    PriceSource,
};
use store::{CanonicalInputs, CanonicalRequest, Policy};

use crate::api::{ChainWarning, RequestParams, Route};
use crate::error::{EngineError, Result};

/// How many offers a default chain holds.
const DEFAULT_CHAIN_LEN: usize = 3;

/// One offer a request may run on.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub offer: Offer,
    pub estimate: Estimate,
    /// Why it will not be tried (recorded as a `skipped` attempt, no network call).
    pub skip: Option<String>,
}

impl Candidate {
    pub fn seed_honoured(&self) -> bool {
        self.offer.capabilities.seed
    }

    /// The dedup identity of this request on this offer.
    pub fn canonical(&self, req: &EstimateRequest, inputs: &CanonicalInputs) -> CanonicalRequest {
        let r = &self.estimate.resolved;
        CanonicalRequest {
            prompt: req.prompt.clone(),
            negative_prompt: if r.negative_prompt {
                req.negative_prompt.clone()
            } else {
                None
            },
            seed: r.seed,
            provider: self.offer.provider.to_string(),
            model: self.offer.model.to_string(),
            model_version: self.offer.model_version.clone(),
            width: r.width,
            height: r.height,
            quality: r.quality.as_deref().map(str::to_owned),
            steps: r.steps,
            style: None,
            n: r.n,
            reference_image_hashes: Vec::new(),
            inputs: inputs.clone(),
        }
    }
}

/// Checks the designer's input before anything is priced. Only text to image needs a
/// prompt everywhere; whether an operation on an image needs one is the offer's to say
/// (pricing refuses the offers that do).
pub(crate) fn validate_params(p: &RequestParams) -> Result<()> {
    if p.prompt.trim().is_empty() && p.operation == vocab::Operation::Generate {
        return Err(EngineError::validation(
            "the prompt is empty; describe the image first",
        ));
    }
    if p.width < 64 || p.height < 64 || p.width > 8192 || p.height > 8192 {
        return Err(EngineError::validation(format!(
            "size {}×{} is out of range; use 64 to 8192 pixels per side",
            p.width, p.height
        )));
    }
    if p.n == 0 || p.n > 16 {
        return Err(EngineError::validation(format!(
            "n = {} images; ask for 1 to 16",
            p.n
        )));
    }
    Ok(())
}

pub(crate) fn estimate_request(p: &RequestParams, seed: Option<u64>) -> EstimateRequest {
    EstimateRequest {
        prompt: p.prompt.clone(),
        negative_prompt: p.negative_prompt.clone().filter(|s| !s.trim().is_empty()),
        width: p.width,
        height: p.height,
        quality: p.quality.clone().filter(|q| !q.trim().is_empty()),
        n: p.n.max(1),
        steps: p.steps,
        seed,
        reference_images: Vec::new(),
        latency: pricing::LatencyTier::Standard,
        operation: vocab::Operation::Generate,
        input_fidelity: None,
        mask: false,
        expand: None,
        scale: None,
        no_prompt: p.prompt.trim().is_empty(),
    }
}

/// Why an offer cannot make this request at all. The one routing rule (issue 12 §1):
/// a size the offer does not make is snapped to its nearest size, and an optional
/// parameter it does not take (negative prompt, seed, steps) is ignored; both are said
/// in the estimate's notes. Only hard limits (pricing's `unsupported`: prompt length,
/// reference images, shut-down models) make an offer unusable. The cost table, the
/// Draft/Final chains, "Use", the CLI and the engine all route by this function.
pub(crate) fn cannot_honour(est: &Estimate) -> Option<String> {
    (!est.supported).then(|| {
        est.unsupported_reason
            .clone()
            .unwrap_or_else(|| "this offer cannot make this request".into())
    })
}

/// How faithfully an offer delivers the request: 0 = the size asked for, 1 = snapped
/// to the same aspect ratio, 2 = snapped to another shape. Default chains (and the
/// table's "cheapest" mark) compare prices only within the best fit available, so a
/// 1024² image is never the cheapest way to get 4096².
pub(crate) fn fit(est: &Estimate, params: &RequestParams) -> u8 {
    let r = &est.resolved;
    if (r.width, r.height) == (params.width, params.height) {
        return 0;
    }
    let asked = f64::from(params.width) / f64::from(params.height.max(1));
    let got = f64::from(r.width) / f64::from(r.height.max(1));
    if (asked / got - 1.0).abs() <= 0.03 {
        1
    } else {
        2
    }
}

/// The offer ids a route tries, in order. `explicit` chains come from the user (policy
/// or `Route::Offer`); default chains are computed from this request and key presence.
pub(crate) fn chain(
    route: &Route,
    policy: &Policy,
    catalog: &Catalog,
    req: &EstimateRequest,
    params: &RequestParams,
    ctx: &EstimateContext<'_>,
    usable: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let (tier, explicit) = match route {
        Route::Offer(id) => return vec![id.clone()],
        Route::Draft => (OfferTier::Draft, &policy.draft_offers),
        Route::Final => (OfferTier::Final, &policy.final_offers),
    };
    if !explicit.is_empty() {
        return explicit.clone();
    }
    let mut pool: Vec<(Estimate, &Offer)> = catalog
        .offers()
        .iter()
        .filter(|o| o.tier == tier && usable(o.provider.as_str()))
        .map(|o| (pricing::estimate(o, req, ctx), o))
        // An unknown price is not a cheap one: only explicit chains may use such offers.
        .filter(|(e, _)| e.source != PriceSource::Unknown && cannot_honour(e).is_none())
        .collect();
    // Offers that make the size asked for come before snapped ones, whatever they cost.
    match tier {
        // Drafts: cheapest first. Finals: the premium end of the tier first.
        OfferTier::Draft => pool.sort_by_key(|a| (fit(&a.0, params), a.0.expected)),
        OfferTier::Final => {
            pool.sort_by_key(|b| (fit(&b.0, params), std::cmp::Reverse(b.0.expected)))
        }
    }
    pool.into_iter()
        .take(DEFAULT_CHAIN_LEN)
        .map(|(_, o)| o.id.to_string())
        .collect()
}

/// Prices every offer of `ids` (with `ctx`'s calibration, so reservations use what the
/// offer really costs once it is known) and decides which can be tried.
pub(crate) fn candidates(
    ids: &[String],
    catalog: &Catalog,
    req: &EstimateRequest,
    ctx: &EstimateContext<'_>,
    usable: &dyn Fn(&str) -> Option<String>,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(offer) = catalog.offer(id) else {
            tracing::warn!(offer = %id, "offer in a chain is not in the catalog");
            continue;
        };
        let estimate = pricing::estimate(offer, req, ctx);
        let skip = cannot_honour(&estimate)
            .or_else(|| unpriced(&estimate))
            .or_else(|| usable(offer.provider.as_str()));
        out.push(Candidate {
            offer: offer.clone(),
            estimate,
            skip,
        });
    }
    out
}

/// An offer whose price is unknown and uncapped cannot be sent: nothing could be
/// reserved for it but $0, which no budget may hold. A price cap makes it sendable.
pub(crate) fn unpriced(e: &Estimate) -> Option<String> {
    (e.supported && e.source == PriceSource::Unknown && e.worst_case.is_zero()).then(|| {
        format!(
            "the price of {} is unknown; set a price cap for it (Settings → Pricing) so the \
             budget can hold what it may cost",
            e.offer_id
        )
    })
}

/// Offers of a project's chains that are shut down, retiring or deprecated on `today`,
/// with the live replacement to offer.
pub(crate) fn chain_warnings(
    catalog: &Catalog,
    policy: &Policy,
    today: NaiveDate,
) -> Vec<ChainWarning> {
    let chains = [
        ("draft", &policy.draft_offers),
        ("final", &policy.final_offers),
    ];
    let mut out = Vec::new();
    for (chain, ids) in chains {
        for id in ids {
            let Some(offer) = catalog.offer(id) else {
                continue;
            };
            let Some(note) = catalog.lifecycle(offer, today) else {
                continue;
            };
            if note.status == LifecycleStatus::Live {
                continue;
            }
            out.push(ChainWarning {
                chain: chain.to_owned(),
                offer_id: id.clone(),
                status: note.status.as_str().to_owned(),
                message: note.to_string(),
                replacement: note.replaced_by.as_ref().map(|r| r.to_string()),
            });
        }
    }
    out
}

/// Ids in `ids` that are not offers of the catalog (refused when saving a policy).
pub(crate) fn unknown_offers<'a>(catalog: &Catalog, ids: &'a [String]) -> Vec<&'a str> {
    ids.iter()
        .filter(|id| catalog.offer(id).is_none())
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> EstimateContext<'static> {
        EstimateContext::new(chrono::Utc::now())
    }

    fn params(seed: Option<u32>, neg: Option<&str>) -> RequestParams {
        RequestParams {
            prompt: "a lighthouse at dusk".into(),
            negative_prompt: neg.map(str::to_owned),
            width: 1024,
            height: 1024,
            quality: None,
            n: 1,
            steps: None,
            seed,
            ..RequestParams::text("", 0, 0)
        }
    }

    #[test]
    fn default_draft_chain_is_cheapest_usable_first() {
        let cat = Catalog::bundled();
        let p = params(None, None);
        let req = estimate_request(&p, None);
        let ctx = EstimateContext::new(chrono::Utc::now());
        let ids = chain(
            &Route::Draft,
            &Policy::default(),
            cat,
            &req,
            &p,
            &ctx,
            &|prov| prov == "fal" || prov == "openai",
        );
        assert_eq!(ids.len(), 3, "{ids:?}");
        let prices: Vec<_> = ids
            .iter()
            .map(|id| pricing::estimate(cat.offer(id).expect("offer"), &req, &ctx).expected)
            .collect();
        assert!(
            prices.windows(2).all(|w| w[0] <= w[1]),
            "{ids:?} {prices:?}"
        );
        assert!(
            ids.iter()
                .all(|id| id.starts_with("fal:") || id.starts_with("openai:"))
        );
    }

    /// Walkthrough 1.1: the table marks a snapped size, an ignored negative prompt or
    /// seed as notes on a usable row; the chain must run those same offers.
    #[test]
    fn snapped_sizes_and_ignored_parameters_are_routed_with_notes() {
        let cat = Catalog::bundled();
        let mut p = params(Some(7), Some("blurry"));
        p.width = 1920;
        p.height = 1080;
        let req = estimate_request(&p, Some(7));
        let ids = vec![
            "openai:gpt-image-1-mini".to_owned(),
            "openai:gpt-image-1.5".to_owned(),
        ];
        let today = on("2026-11-29");
        let c = candidates(&ids, cat, &req, &today, &|_| None);
        assert_eq!(c.len(), 2);
        for c in &c {
            assert_eq!(c.skip, None, "{}", c.offer.id);
            let notes: Vec<String> = c.estimate.notes.iter().map(|n| n.to_string()).collect();
            assert!(
                notes.iter().any(|n| n.starts_with("size snapped to")),
                "{notes:?}"
            );
            assert!(
                notes.iter().any(|n| n.contains("negative prompt")),
                "{notes:?}"
            );
            assert!(
                notes.iter().any(|n| n.contains("seed ignored")),
                "{notes:?}"
            );
        }
        assert_eq!(
            (c[0].estimate.resolved.width, c[0].estimate.resolved.height),
            (1536, 1024)
        );
    }

    #[test]
    fn default_chains_prefer_offers_that_make_the_size_asked_for() {
        let cat = Catalog::bundled();
        let mut p = params(None, None);
        p.width = 4096;
        p.height = 4096;
        let req = estimate_request(&p, None);
        let today = on("2026-11-29");
        for route in [Route::Draft, Route::Final] {
            let ids = chain(&route, &Policy::default(), cat, &req, &p, &today, &|_| true);
            let fits: Vec<u8> = ids
                .iter()
                .map(|id| {
                    fit(
                        &pricing::estimate(cat.offer(id).expect("offer"), &req, &today),
                        &p,
                    )
                })
                .collect();
            assert!(fits.windows(2).all(|w| w[0] <= w[1]), "{ids:?} {fits:?}");
        }
        let exact = estimate_request(&params(None, None), None);
        let mini = cat.offer("openai:gpt-image-1-mini").expect("offer");
        let e = pricing::estimate(mini, &exact, &today);
        assert_eq!(fit(&e, &params(None, None)), 0);
        let e = pricing::estimate(mini, &req, &today);
        assert_eq!(fit(&e, &p), 1, "4096² snapped to 1024² keeps the square");
    }

    fn on(day: &str) -> EstimateContext<'static> {
        let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap_or_default();
        EstimateContext::new(d.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc())
    }

    #[test]
    fn shut_down_offers_are_never_routed_to() {
        let cat = Catalog::bundled();
        let p = params(None, None);
        let req = estimate_request(&p, None);
        let today = on("2026-11-29");
        // Explicitly asked for: skipped with the shutdown and the replacement.
        let ids = vec![
            "openai:gpt-image-1".to_owned(),
            "google:gemini-3-pro-image-preview".to_owned(),
        ];
        {
            let c = candidates(&ids, cat, &req, &today, &|_| None);
            assert_eq!(
                c[0].skip.as_deref(),
                Some("shut down on 2026-10-23, use openai:gpt-image-2.5-sunburst")
            );
            assert_eq!(
                c[1].skip.as_deref(),
                Some("shut down on 2026-06-25, use google:gemini-3-pro-image")
            );
        }
        // Default chains never pick one, whatever it costs.
        for route in [Route::Draft, Route::Final] {
            let chain_ids = chain(&route, &Policy::default(), cat, &req, &p, &today, &|_| true);
            assert!(!chain_ids.is_empty());
            for id in &chain_ids {
                let o = cat.offer(id).expect("offer");
                assert!(!o.is_shut_down(today.at.date_naive()), "{id} is shut down");
            }
        }
        // The day a model shuts down it leaves the chains it was in.
        let ids = vec!["openai:gpt-image-1.5".to_owned()];
        let before = candidates(&ids, cat, &req, &on("2026-11-30"), &|_| None);
        assert_eq!(before[0].skip, None);
        let after = candidates(&ids, cat, &req, &on("2026-12-01"), &|_| None);
        assert!(
            after[0]
                .skip
                .as_deref()
                .is_some_and(|s| s.starts_with("shut down on 2026-12-01")),
            "{:?}",
            after[0].skip
        );
    }

    #[test]
    fn project_chains_warn_about_retiring_and_shut_down_offers() {
        let cat = Catalog::bundled();
        let policy = Policy {
            draft_offers: vec![
                "openai:gpt-image-1-mini".to_owned(),
                "fal:fal-ai/flux/dev".to_owned(),
            ],
            final_offers: vec!["google:gemini-3.1-flash-image-preview".to_owned()],
            ..Policy::default()
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
        let w = chain_warnings(cat, &policy, today);
        let got: Vec<(&str, &str, &str, Option<&str>)> = w
            .iter()
            .map(|w| {
                (
                    w.chain.as_str(),
                    w.offer_id.as_str(),
                    w.status.as_str(),
                    w.replacement.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "draft",
                    "openai:gpt-image-1-mini",
                    "retiring",
                    Some("openai:gpt-image-2.5-sunburst")
                ),
                (
                    "final",
                    "google:gemini-3.1-flash-image-preview",
                    "shut_down",
                    Some("google:gemini-nano-banana-2.1")
                ),
            ]
        );
        assert_eq!(
            w[1].message,
            "shut down on 2026-06-25, use google:gemini-nano-banana-2.1"
        );
    }

    #[test]
    fn unknown_prices_are_skipped_until_capped_and_never_in_default_chains() {
        let doc = serde_json::json!({"version": "t", "published": "2026-11-29", "offers": [
            {"id": "openai_compatible:gw/m", "provider": "openai_compatible", "model": "m",
             "display_name": "m", "tier": "draft", "formula": {"kind": "unknown"},
             "capabilities": {"sizes": {"kind": "rule", "multiple_of": 8, "min_side": 256,
                              "max_side": 4096, "max_pixels": 16777216}, "max_n": 1},
             "source": "test", "verified_on": "2026-11-29"}
        ]});
        let cat = Catalog::from_json(&doc.to_string()).expect("catalog");
        let p = params(None, None);
        let req = estimate_request(&p, None);
        let ids = vec!["openai_compatible:gw/m".to_owned()];
        let c = candidates(&ids, &cat, &req, &ctx(), &|_| None);
        assert!(
            c[0].skip
                .as_deref()
                .is_some_and(|s| s.contains("price of openai_compatible:gw/m is unknown")),
            "{:?}",
            c[0].skip
        );
        assert!(
            chain(
                &Route::Draft,
                &Policy::default(),
                &cat,
                &req,
                &p,
                &ctx(),
                &|_| true
            )
            .is_empty()
        );
        let capped = cat
            .with_overrides(&[pricing::PriceOverride {
                offer_id: "openai_compatible:gw/m".into(),
                change: pricing::OverrideChange::PriceCap {
                    per_image: rust_decimal::Decimal::new(5, 2),
                },
            }])
            .expect("cap");
        let c = candidates(&ids, &capped, &req, &ctx(), &|_| None);
        assert_eq!(c[0].skip, None);
        // The cap is what the pipeline reserves (its worst case), never $0.
        assert_eq!(c[0].estimate.worst_case, rust_decimal::Decimal::new(5, 2));
        assert_eq!(c[0].estimate.source, PriceSource::Unknown);
    }
}

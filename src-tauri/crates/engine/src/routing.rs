//! Routing: which offers a request is tried on, in what order, and why an offer is
//! skipped. Pure functions over the catalog, the project's policy and key presence.

use std::collections::HashSet;

use chrono::NaiveDate;
use pricing::{
    Catalog, Estimate, EstimateContext, EstimateRequest, LifecycleStatus, Offer, OfferTier,
    PriceSource,
};
use store::{CanonicalRequest, Policy};

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
    pub fn canonical(&self, req: &EstimateRequest) -> CanonicalRequest {
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
        }
    }
}

/// Checks the designer's input before anything is priced.
pub(crate) fn validate_params(p: &RequestParams) -> Result<()> {
    if p.prompt.trim().is_empty() {
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
    }
}

/// Why an offer cannot give the designer what they asked for, beyond pricing's own
/// `unsupported` (which only covers hard limits): an explicit seed or negative prompt
/// it would drop, or a size whose aspect ratio it cannot keep.
pub(crate) fn cannot_honour(
    offer: &Offer,
    est: &Estimate,
    params: &RequestParams,
) -> Option<String> {
    if !est.supported {
        return Some(
            est.unsupported_reason
                .clone()
                .unwrap_or_else(|| "this offer cannot make this request".into()),
        );
    }
    let caps = &offer.capabilities;
    if params.seed.is_some() && !caps.seed {
        return Some("ignores seeds, and this request fixes one".into());
    }
    if params
        .negative_prompt
        .as_deref()
        .is_some_and(|n| !n.trim().is_empty())
        && !caps.negative_prompt
    {
        return Some("does not take a negative prompt".into());
    }
    let r = &est.resolved;
    let asked = f64::from(params.width) / f64::from(params.height.max(1));
    let got = f64::from(r.width) / f64::from(r.height.max(1));
    if (asked / got - 1.0).abs() > 0.03 {
        return Some(format!(
            "cannot make {}×{}; the nearest size is {}×{}",
            params.width, params.height, r.width, r.height
        ));
    }
    None
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
        .filter(|o| o.tier == tier && usable(&o.provider))
        .map(|o| (pricing::estimate(o, req, ctx), o))
        // An unknown price is not a cheap one: only explicit chains may use such offers.
        .filter(|(e, o)| e.source != PriceSource::Unknown && cannot_honour(o, e, params).is_none())
        .collect();
    match tier {
        // Drafts: cheapest first. Finals: the premium end of the tier first.
        OfferTier::Draft => pool.sort_by_key(|a| a.0.expected),
        OfferTier::Final => pool.sort_by_key(|b| std::cmp::Reverse(b.0.expected)),
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
    explicit_offer: bool,
    catalog: &Catalog,
    req: &EstimateRequest,
    params: &RequestParams,
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
        let skip = if explicit_offer {
            (!estimate.supported).then(|| {
                estimate
                    .unsupported_reason
                    .clone()
                    .unwrap_or_else(|| "cannot make this request".into())
            })
        } else {
            cannot_honour(offer, &estimate, params)
        }
        .or_else(|| unpriced(&estimate))
        .or_else(|| usable(&offer.provider));
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

    #[test]
    fn fixed_seed_skips_models_that_ignore_seeds() {
        let cat = Catalog::bundled();
        let p = params(Some(7), None);
        let req = estimate_request(&p, Some(7));
        let ids = vec![
            "openai:gpt-image-2".to_owned(),
            "fal:fal-ai/flux/schnell".to_owned(),
        ];
        let c = candidates(&ids, false, cat, &req, &p, &ctx(), &|_| None);
        assert!(
            c[0].skip.as_deref().is_some_and(|r| r.contains("seed")),
            "{:?}",
            c[0].skip
        );
        assert!(c[1].skip.is_none());
    }

    #[test]
    fn negative_prompt_and_aspect_ratio_are_honoured_or_skipped() {
        let cat = Catalog::bundled();
        let p = params(None, Some("blurry"));
        let req = estimate_request(&p, None);
        let ids = vec![
            "fal:fal-ai/flux/dev".to_owned(),
            "stability:stable-image-core".to_owned(),
        ];
        let c = candidates(&ids, false, cat, &req, &p, &ctx(), &|_| None);
        assert!(c[0].skip.is_some());
        assert!(c[1].skip.is_none(), "{:?}", c[1].skip);

        let mut wide = params(None, None);
        wide.width = 2000;
        wide.height = 500;
        let req = estimate_request(&wide, None);
        let ids = vec!["google:gemini-3-pro-image".to_owned()];
        let c = candidates(&ids, false, cat, &req, &wide, &ctx(), &|_| None);
        assert!(
            c[0].skip.as_deref().is_some_and(|r| r.contains("nearest")),
            "{:?}",
            c[0].skip
        );
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
        for explicit in [true, false] {
            let c = candidates(&ids, explicit, cat, &req, &p, &today, &|_| None);
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
        let before = candidates(&ids, true, cat, &req, &p, &on("2026-11-30"), &|_| None);
        assert_eq!(before[0].skip, None);
        let after = candidates(&ids, true, cat, &req, &p, &on("2026-12-01"), &|_| None);
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
        let c = candidates(&ids, true, &cat, &req, &p, &ctx(), &|_| None);
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
        let c = candidates(&ids, true, &capped, &req, &p, &ctx(), &|_| None);
        assert_eq!(c[0].skip, None);
        // The cap is what the pipeline reserves (its worst case), never $0.
        assert_eq!(c[0].estimate.worst_case, rust_decimal::Decimal::new(5, 2));
        assert_eq!(c[0].estimate.source, PriceSource::Unknown);
    }
}

//! Routing: which offers a request is tried on, in what order, and why an offer is
//! skipped. Pure functions over the catalog, the project's policy and key presence.

use std::collections::HashSet;

use pricing::{Catalog, Estimate, EstimateContext, EstimateRequest, Offer, OfferTier};
use store::{CanonicalRequest, Policy};

use crate::api::{RequestParams, Route};
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
        .filter(|(e, o)| cannot_honour(o, e, params).is_none())
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
        .or_else(|| usable(&offer.provider));
        out.push(Candidate {
            offer: offer.clone(),
            estimate,
            skip,
        });
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
            "openai:gpt-image-1-mini".to_owned(),
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
        let ids = vec!["openai:gpt-image-1".to_owned()];
        let c = candidates(&ids, false, cat, &req, &wide, &ctx(), &|_| None);
        assert!(
            c[0].skip.as_deref().is_some_and(|r| r.contains("nearest")),
            "{:?}",
            c[0].skip
        );
    }
}

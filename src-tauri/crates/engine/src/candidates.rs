//! The offers a route would try right now, in order: the routing chain filtered by
//! which providers have a key, an endpoint and a closed breaker. Shared by the job, the
//! estimate and the route preview, so they cannot disagree.

use std::sync::Arc;

use crate::api::Route;
use crate::context::Core;
use crate::routing::{self, Candidate};

/// The candidates a route tries, in order, each priced and marked when it must be
/// skipped. The estimate's budget impact uses the same list, so the meter shows what
/// pressing Draft or Final would really reserve.
pub(crate) async fn route_candidates(
    core: &Arc<Core>,
    catalog: &pricing::Catalog,
    route: &Route,
    policy: &store::Policy,
    req: &pricing::EstimateRequest,
    params: &crate::api::RequestParams,
) -> Vec<Candidate> {
    let with_keys = core.gateway().providers_with_keys().await;
    // A provider cooling down after repeated failures is left out of default chains,
    // so Draft moves on to the next usable provider (walkthrough 1.16).
    let usable = |p: &str| core.provider_usable(p, &with_keys) && cooling(core, p).is_none();
    let calibration = core.prices().calibration();
    let ctx = crate::prices::estimate_ctx(&calibration);
    let ids = routing::chain(route, policy, catalog, req, params, &ctx, &usable);
    let no_client =
        |p: &str| {
            core.wiring().clients().get(p).is_none().then(|| {
                format!("no endpoint is configured for {p}; set one in Settings → Endpoints")
            })
        };
    routing::candidates(&ids, catalog, req, &ctx, &|p| {
        cooling(core, p).or_else(|| {
            if p == crate::settings::GATEWAY || p == providers::gateway::GATEWAY_ID {
                None
            } else {
                no_client(p)
            }
        })
    })
}

/// Why a provider is skipped right now: its breaker is open after repeated failures.
pub(crate) fn cooling(core: &Core, provider: &str) -> Option<String> {
    core.runs().limits().cooling_down(provider).map(|left| {
        format!(
            "{provider} failed repeatedly and is cooling down for {} s",
            left.as_secs().max(1)
        )
    })
}

//! What the engine knows about each provider beyond its id, for whoever must mirror it
//! (the UI fake's recorded fixtures): facts, never a hand-kept list elsewhere.

use serde::Serialize;
use vocab::ProviderId;

/// One provider's behaviour as the engine and its client see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderFacts {
    pub provider: ProviderId,
    /// `offers discover` can list its models for a key.
    pub lists_models: bool,
    /// It lists them without a key.
    pub lists_without_key: bool,
    /// Its listed prices can be imported as offers (`offers import`).
    pub imports_prices: bool,
    /// A generation is a queued job polled until done (progress shows "polling").
    pub polls_for_result: bool,
}

/// Every provider's facts, in `ProviderId::ALL` order.
pub fn all() -> Vec<ProviderFacts> {
    ProviderId::ALL
        .iter()
        .map(|&p| ProviderFacts {
            provider: p,
            lists_models: providers::models::lists_models(p),
            lists_without_key: providers::models::lists_without_key(p),
            imports_prices: crate::discover::importable(p),
            polls_for_result: providers::poll::polls_for_result(p),
        })
        .collect()
}

//! The closed sets every layer of Proofsheet shares, defined once.
//!
//! Provider ids, billing kinds, attempt outcomes, estimate confidence and price source,
//! the availability of an offer, data-change topics and the fields an error concerns
//! cross every boundary: the catalog JSON, SQLite rows, IPC and `proofsheet-cli --json`.
//! Each is an enum here whose serde name is the string those places already use, so a
//! typo or a missing case fails to compile (in Rust, and in TypeScript through the
//! exported unions) instead of falling through at runtime.
//!
//! This crate knows nothing else: no IO, no prices, no HTTP. A provider's wire details
//! (base URLs, headers) live in `providers`; here are only the facts that belong to its
//! id (its name, whether it needs a key, whether it is a local server).

mod macros;
mod provider;
mod sets;
mod views;

pub use provider::{OfferProvider, ProviderId};
pub use sets::{
    AttemptOutcome, Availability, BillingKind, DataTopic, ErrorField, EstimateConfidence,
    EstimateSource, ImageMime, InputFidelity, InputRole, Operation,
};
pub use views::{
    CatalogCheckOutcome, CatalogOrigin, DeferredMode, DiscoveryStatus, DriftStatus, GatewayDialect,
    GatewayPricing, LifecycleField, LifecycleStatus,
};

/// A string that names no member of a closed set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// What was looked for, e.g. "provider".
    pub set: &'static str,
    pub value: String,
    /// The accepted values, comma-separated.
    pub known: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown {} `{}`; known: {}",
            self.set, self.value, self.known
        )
    }
}

impl std::error::Error for UnknownValue {}

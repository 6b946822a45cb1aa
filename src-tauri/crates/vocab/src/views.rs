//! Closed sets the views report: an offer's lifecycle, a drift's answer, what a
//! discovery, a catalog check or a gateway binding found.

use crate::macros::closed_set;

closed_set! {
    /// Where an offer stands on a given day.
    "lifecycle status", pub enum LifecycleStatus {
        Live = "live",
        /// Deprecated by the provider, no shutdown date announced.
        Deprecated = "deprecated",
        /// A shutdown date is announced and still ahead.
        Retiring = "retiring",
        /// The provider has shut the model down: requests will fail.
        ShutDown = "shut_down",
    }
}

closed_set! {
    /// The user's answer to an offer whose settled costs drifted from its estimates.
    "drift status", pub enum DriftStatus {
        /// Not answered yet.
        Drifting = "drifting",
        /// The observed ratio became the offer's negotiated-rate multiplier.
        Accepted = "accepted",
        Ignored = "ignored",
    }
}

closed_set! {
    /// What listing one provider's models found.
    "discovery status", pub enum DiscoveryStatus {
        Ok = "ok",
        /// No key to list with.
        NoKey = "no_key",
        /// The provider has no model list this app can read.
        Unsupported = "unsupported",
        Error = "error",
    }
}

closed_set! {
    /// How a "later" request is sent.
    "deferred mode", pub enum DeferredMode {
        /// The provider's batch API.
        Batch = "batch",
    }
}

closed_set! {
    /// Where the catalog in use came from.
    "catalog origin", pub enum CatalogOrigin {
        /// Built into the app.
        Bundled = "bundled",
        /// A signed update from the feed.
        Feed = "feed",
        /// A file the user imported.
        Imported = "imported",
    }
}

closed_set! {
    /// What a catalog feed check found.
    "catalog check outcome", pub enum CatalogCheckOutcome {
        UpdateAvailable = "update_available",
        UpToDate = "up_to_date",
    }
}

closed_set! {
    /// A catalog lifecycle field an update changes.
    "lifecycle field", pub enum LifecycleField {
        DeprecatedOn = "deprecated_on",
        ShutdownOn = "shutdown_on",
        ReplacedBy = "replaced_by",
    }
}

closed_set! {
    /// How a named gateway speaks.
    #[derive(Default)]
    "gateway dialect", pub enum GatewayDialect {
        /// OpenAI Images: `POST {base}/images/generations` (LiteLLM, Portkey, resellers).
        #[default]
        Images = "images",
        /// OpenAI chat completions with image output (`modalities`), as OpenRouter does.
        Chat = "chat",
    }
}

closed_set! {
    /// How a gateway model is priced.
    "gateway pricing", pub enum GatewayPricing {
        /// The bound catalog offer's formula plus the gateway's markup.
        Bound = "bound",
        /// The gateway's flat price per image.
        Flat = "flat",
        /// Neither: the price is unknown.
        Unknown = "unknown",
    }
}

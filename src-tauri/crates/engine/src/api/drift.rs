//! IPC / `--json` shapes of drift from real bills and provider model discovery.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use vocab::{DiscoveryStatus, DriftStatus, OfferProvider, ProviderId};

ipc_type! {
    /// The mark the cost table shows on an offer whose real bills drifted.
    pub struct DriftMark {
        /// Settled ÷ estimated over the window, e.g. "1.25".
        pub ratio: Decimal,
        /// Signed percentage, e.g. "25" (bills 25 % above the estimate) or "-12.5".
        pub percent: Decimal,
        /// Settled attempts the ratio is computed on.
        pub samples: u32,
        /// "real bills ran 25% above the estimate over the last 10 attempts".
        pub message: String,
    }

    /// One settled attempt of the evidence: estimate vs actual.
    pub struct DriftEvidence {
        pub attempt_id: String,
        pub generation_id: String,
        pub expected_usd: Decimal,
        pub actual_usd: Decimal,
        /// What the provider said it charged, when it reports one.
        pub reported_usd: Option<Decimal>,
        pub finished_at: String,
    }

    /// An offer whose settled costs moved away from its estimates.
    pub struct DriftView {
        pub offer_id: String,
        /// None when the catalog no longer has the offer.
        pub provider: Option<OfferProvider>,
        pub model: String,
        pub display_name: String,
        pub ratio: Decimal,
        pub percent: Decimal,
        pub samples: u32,
        pub expected_usd: Decimal,
        pub actual_usd: Decimal,
        pub status: DriftStatus,
        /// The negotiated-rate multiplier in force (1 when none).
        pub current_multiplier: Decimal,
        /// What accepting sets: the current multiplier × the observed ratio.
        pub suggested_multiplier: Decimal,
        pub message: String,
        /// Newest first.
        pub evidence: Vec<DriftEvidence>,
    }

    /// A model a provider lists for the key that the catalog lacks.
    pub struct DiscoveredModel {
        pub model: String,
        pub name: Option<String>,
        /// The id it would have as an offer, e.g. "together:black-forest-labs/FLUX.1-krea-dev".
        pub offer_id: String,
        /// The price as the provider lists it, e.g. "$0.0027 per megapixel".
        pub listed_price: Option<String>,
        /// A 1024×1024 image at the listed price (tokens: at an assumed 1,290 output tokens).
        pub per_image_usd: Option<Decimal>,
        /// Its listed price can be imported as an offer (OpenRouter, Together).
        pub importable: bool,
    }

    /// What one provider lists for the key, against the catalog.
    pub struct ProviderDiscovery {
        pub provider: ProviderId,
        pub status: DiscoveryStatus,
        pub message: Option<String>,
        /// Models in the provider's list.
        pub listed: u32,
        /// Image models the key can use that the catalog lacks.
        pub new_models: Vec<DiscoveredModel>,
        /// Live catalog offers of this provider its list no longer has.
        pub unlisted_offers: Vec<String>,
    }

    pub struct DiscoveryReport {
        pub providers: Vec<ProviderDiscovery>,
    }

    pub struct OfferImportReport {
        /// Offer ids now in the catalog.
        pub imported: Vec<String>,
    }

    /// When a drift is raised: the last `window` settled attempts of an offer, more than
    /// `threshold_pct` percent away from their estimates.
    pub struct DriftSettings {
        pub window: u32,
        pub threshold_pct: Decimal,
    }
}

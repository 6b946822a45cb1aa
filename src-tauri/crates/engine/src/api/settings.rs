//! Keys, endpoints, gateways and settings as the window and the CLI see them (never a
//! secret: a key is described by its provider, source and last four characters).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use vocab::ProviderId;

ipc_type! {
    #[serde(rename_all = "snake_case")]
    pub enum KeySource { Keychain, Environment }

    /// A stored key, described without the secret.
    pub struct KeyView {
        pub provider: ProviderId,
        pub added_at: Option<String>,
        pub last4: Option<String>,
        pub source: KeySource,
    }

    #[serde(rename_all = "snake_case")]
    pub enum KeyStatus { Valid, Invalid, Unreachable }

    pub struct KeyCheckView {
        pub provider: ProviderId,
        pub status: KeyStatus,
        pub balance: Option<String>,
        pub message: String,
    }

    pub struct ProviderEndpoint {
        pub provider: ProviderId,
        pub base_url: Option<String>,
        pub default_base_url: String,
        /// Set by `PROOFSHEET_<PROVIDER>_BASE_URL` for this process; wins over `base_url`.
        /// Shown so nobody wonders why requests go elsewhere; never saved.
        pub env_base_url: Option<String>,
    }

    /// An OpenAI-compatible gateway (LiteLLM proxy, Portkey, …).
    pub struct GatewayConfig {
        pub name: String,
        pub base_url: String,
        pub models: Vec<String>,
        pub price_per_image_usd: Option<Decimal>,
    }

    pub struct SettingsView {
        pub endpoints: Vec<ProviderEndpoint>,
        pub gateways: Vec<GatewayConfig>,
        pub max_concurrent_jobs: u32,
        /// Calls at once to one provider (or one gateway); default 8.
        pub max_calls_per_provider: u32,
        pub data_dir: String,
        pub catalog_version: String,
        /// The negotiated rates in force, so Settings can show and keep them.
        pub price_overrides: Vec<PriceOverrideInput>,
    }

    pub struct SettingsInput {
        pub endpoints: Vec<ProviderEndpoint>,
        pub gateways: Vec<GatewayConfig>,
        pub max_concurrent_jobs: u32,
        /// 1–256; refused outside. Absent keeps the current value.
        #[serde(default)]
        pub max_calls_per_provider: Option<u32>,
    }

    pub struct PriceOverrideInput {
        pub offer_id: String,
        /// Multiplies every price of the offer (negotiated discount), e.g. "0.8".
        pub multiplier: Decimal,
        /// For an offer whose price is unknown: the most the user accepts to pay per
        /// image. Estimates show it and reservations hold it (`multiplier` is ignored).
        #[serde(default)]
        pub price_cap_usd: Option<Decimal>,
    }

    pub struct CatalogImportReport {
        pub version: String,
        pub offers: u32,
    }
}

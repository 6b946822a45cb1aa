//! IPC / `--json` shapes of named gateways (issue 16). Secrets travel inward only: an
//! input may carry a key or a secret header value to store; no view ever holds one.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use vocab::{GatewayDialect, GatewayPricing};

macro_rules! ipc_view {
    ($($item:item)*) => {$(
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        $item
    )*};
}

/// Inputs may hold secrets: no `Debug` that could print them.
macro_rules! ipc_input {
    ($($item:item)*) => {$(
        #[derive(Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        $item
    )*};
}

ipc_input! {
    /// An extra header. A secret header's `value` is stored in the keychain (None keeps
    /// the stored one); a plain header's value is stored in the library.
    pub struct GatewayHeaderInput {
        pub name: String,
        pub value: Option<String>,
        pub secret: bool,
    }

    /// A named gateway as the user edits it.
    pub struct GatewayInput {
        pub name: String,
        pub base_url: String,
        pub dialect: GatewayDialect,
        pub headers: Vec<GatewayHeaderInput>,
        pub models: Vec<GatewayModelInput>,
        /// Markup on the bound offer's price, in percent ("5" = +5 %).
        pub markup_percent: Option<Decimal>,
        /// Markup per image billed, in USD.
        pub markup_per_image_usd: Option<Decimal>,
        /// Flat price of a model bound to no catalog offer (else its price is unknown).
        pub price_per_image_usd: Option<Decimal>,
        /// A response header holding the gateway's charge (default x-litellm-response-cost).
        pub cost_header: Option<String>,
        /// A dotted JSON path holding the charge (default usage.cost).
        pub cost_json_path: Option<String>,
        /// A new key for this gateway (stored in the keychain); None keeps the stored one.
        pub key: Option<String>,
    }
}

impl std::fmt::Debug for GatewayHeaderInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = match (&self.value, self.secret) {
            (Some(_), true) => Some("[secret]"),
            (Some(v), false) => Some(v.as_str()),
            (None, _) => None,
        };
        f.debug_struct("GatewayHeaderInput")
            .field("name", &self.name)
            .field("value", &value)
            .field("secret", &self.secret)
            .finish()
    }
}

impl std::fmt::Debug for GatewayInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayInput")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("dialect", &self.dialect)
            .field("headers", &self.headers)
            .field("models", &self.models)
            .field("key", &self.key.as_ref().map(|_| "[secret]"))
            .finish_non_exhaustive()
    }
}

ipc_view! {
    /// A gateway model and the catalog offer whose formula prices it.
    pub struct GatewayModelInput {
        pub name: String,
        pub offer_id: Option<String>,
    }

    pub struct GatewayHeaderView {
        pub name: String,
        /// Plain headers only.
        pub value: Option<String>,
        pub secret: bool,
        /// For a secret header: whether the keychain holds its value.
        pub secret_set: bool,
    }

    pub struct GatewayModelView {
        pub name: String,
        /// The route's offer id: `gateway:NAME/MODEL`.
        pub offer_id: String,
        /// The catalog offer whose formula prices it.
        pub bound_offer: Option<String>,
        pub pricing: GatewayPricing,
        pub tier: super::Tier,
    }

    pub struct GatewayView {
        pub name: String,
        pub base_url: String,
        pub dialect: GatewayDialect,
        pub headers: Vec<GatewayHeaderView>,
        pub models: Vec<GatewayModelView>,
        pub markup_percent: Option<Decimal>,
        pub markup_per_image_usd: Option<Decimal>,
        pub price_per_image_usd: Option<Decimal>,
        pub cost_header: Option<String>,
        pub cost_json_path: Option<String>,
        /// Whether a key is stored (or given by PROOFSHEET_GATEWAY_<NAME>_API_KEY).
        pub key_set: bool,
    }

    /// What `gateway test` found.
    pub struct GatewayTestView {
        pub name: String,
        pub reachable: bool,
        /// None when the gateway could not be reached or did not say.
        pub key_accepted: Option<bool>,
        /// Mapped models the gateway lists.
        pub served: Vec<String>,
        /// Mapped models it does not list.
        pub missing: Vec<String>,
        pub listed: u32,
        pub message: String,
    }
}

//! Provider ids and the facts that belong to an id.

use crate::macros::closed_set;

/// Defines `ProviderId` and `OfferProvider` from one list, so the two cannot drift.
macro_rules! providers {
    ($( $var:ident = $wire:literal, $name:literal; )+) => {
        closed_set! {
            /// A provider this build has a client for. The wire name is the catalog's
            /// `provider`, the keychain user name, the `PROOFSHEET_<ID>_*` variables and
            /// the `provider` column of the ledger.
            "provider", pub enum ProviderId { $( $var = $wire ),+ }
        }

        closed_set! {
            /// Who serves an offer: one of the built-in providers, or one of the user's
            /// named gateways.
            ///
            /// Gateways are user data (`proofsheet-cli gateway add NAME …`), so their
            /// names cannot be members of a closed set. The catalog and the ledger store
            /// `"gateway"` in the provider field and the name in the offer id
            /// (`gateway:NAME/MODEL`); this type mirrors that. Ask `provider()` for the
            /// built-in provider and read the gateway name from the offer id.
            "provider", pub enum OfferProvider { $( $var = $wire, )+ Gateway = "gateway" }
        }

        impl ProviderId {
            /// The name people know the provider by: "OpenAI", "AUTOMATIC1111", …
            pub const fn display_name(self) -> &'static str {
                match self { $( ProviderId::$var => $name ),+ }
            }
        }

        impl From<ProviderId> for OfferProvider {
            fn from(p: ProviderId) -> Self {
                match p { $( ProviderId::$var => OfferProvider::$var ),+ }
            }
        }

        impl OfferProvider {
            /// The built-in provider, or None for a named gateway.
            pub const fn provider(self) -> Option<ProviderId> {
                match self {
                    $( OfferProvider::$var => Some(ProviderId::$var), )+
                    OfferProvider::Gateway => None,
                }
            }
        }
    };
}

providers! {
    OpenAi = "openai", "OpenAI";
    Stability = "stability", "Stability AI";
    Google = "google", "Google";
    Replicate = "replicate", "Replicate";
    Fal = "fal", "fal.ai";
    Bfl = "bfl", "Black Forest Labs";
    Together = "together", "Together AI";
    OpenRouter = "openrouter", "OpenRouter";
    A1111 = "a1111", "AUTOMATIC1111";
    ComfyUi = "comfyui", "ComfyUI";
    OpenAiCompatible = "openai_compatible", "OpenAI-compatible gateway";
    Ideogram = "ideogram", "Ideogram";
    Recraft = "recraft", "Recraft";
    Xai = "xai", "xAI";
}

impl ProviderId {
    /// A server the user runs (AUTOMATIC1111, ComfyUI): it needs no key, and it is
    /// usable only once its address is configured (Settings or `PROOFSHEET_<ID>_BASE_URL`).
    pub const fn is_local(self) -> bool {
        matches!(self, ProviderId::A1111 | ProviderId::ComfyUi)
    }

    /// Calls work without an API key (a key, when stored, is still sent).
    pub const fn key_optional(self) -> bool {
        self.is_local() || matches!(self, ProviderId::OpenAiCompatible)
    }

    /// The variable that supplies a key for one process: `PROOFSHEET_OPENAI_API_KEY`.
    pub fn api_key_env_var(self) -> String {
        format!("PROOFSHEET_{}_API_KEY", self.as_str().to_ascii_uppercase())
    }

    /// The variable that overrides its endpoint: `PROOFSHEET_OPENAI_BASE_URL`.
    pub fn base_url_env_var(self) -> String {
        format!("PROOFSHEET_{}_BASE_URL", self.as_str().to_ascii_uppercase())
    }
}

impl OfferProvider {
    /// The provider's name, or "Gateway" for a named gateway.
    pub const fn display_name(self) -> &'static str {
        match self.provider() {
            Some(p) => p.display_name(),
            None => "Gateway",
        }
    }

    /// Calls work without a provider key (a gateway brings its own, if any).
    pub const fn key_optional(self) -> bool {
        match self.provider() {
            Some(p) => p.key_optional(),
            None => true,
        }
    }
}

//! Provider ids whose keys this crate stores.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::KeyError;

/// A provider that may need an API key. The id (`Provider::id`) is the keychain user
/// name and the middle of the `PROOFSHEET_<ID>_API_KEY` variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    #[serde(rename = "openai")]
    OpenAi,
    Stability,
    Google,
    Replicate,
    Fal,
    Bfl,
    Together,
    #[serde(rename = "openrouter")]
    OpenRouter,
    A1111,
    #[serde(rename = "comfyui")]
    ComfyUi,
    #[serde(rename = "openai_compatible")]
    OpenAiCompatible,
    Ideogram,
    Recraft,
}

impl Provider {
    /// Every provider, in display order.
    pub const ALL: [Provider; 13] = [
        Provider::OpenAi,
        Provider::Stability,
        Provider::Google,
        Provider::Replicate,
        Provider::Fal,
        Provider::Bfl,
        Provider::Together,
        Provider::OpenRouter,
        Provider::A1111,
        Provider::ComfyUi,
        Provider::OpenAiCompatible,
        Provider::Ideogram,
        Provider::Recraft,
    ];

    /// The stable id: `openai`, `openai_compatible`, ...
    pub fn id(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Stability => "stability",
            Provider::Google => "google",
            Provider::Replicate => "replicate",
            Provider::Fal => "fal",
            Provider::Bfl => "bfl",
            Provider::Together => "together",
            Provider::OpenRouter => "openrouter",
            Provider::A1111 => "a1111",
            Provider::ComfyUi => "comfyui",
            Provider::OpenAiCompatible => "openai_compatible",
            Provider::Ideogram => "ideogram",
            Provider::Recraft => "recraft",
        }
    }

    /// The variable that supplies a key for one process: `PROOFSHEET_OPENAI_API_KEY`.
    pub fn env_var(self) -> String {
        format!("PROOFSHEET_{}_API_KEY", self.id().to_ascii_uppercase())
    }

    /// Comma-separated list of ids, for error messages.
    pub fn known_ids() -> String {
        Provider::ALL.map(Provider::id).join(", ")
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Provider {
    type Err = KeyError;

    /// Accepts the id in any case, with surrounding whitespace, and `-` for `_`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        Provider::ALL
            .into_iter()
            .find(|p| p.id() == wanted)
            .ok_or_else(|| KeyError::UnknownProvider(s.trim().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_from_str_and_serde() {
        for p in Provider::ALL {
            assert_eq!(p.id().parse::<Provider>().ok(), Some(p));
            let json = serde_json::to_string(&p).expect("serializes");
            assert_eq!(json, format!("\"{}\"", p.id()));
        }
        assert_eq!("OpenAI".parse::<Provider>().ok(), Some(Provider::OpenAi));
        assert_eq!(
            "openai-compatible".parse::<Provider>().ok(),
            Some(Provider::OpenAiCompatible)
        );
    }

    #[test]
    fn env_var_names() {
        assert_eq!(Provider::OpenAi.env_var(), "PROOFSHEET_OPENAI_API_KEY");
        assert_eq!(
            Provider::OpenAiCompatible.env_var(),
            "PROOFSHEET_OPENAI_COMPATIBLE_API_KEY"
        );
    }

    #[test]
    fn unknown_provider_is_a_clear_error() {
        let err = "midjourney"
            .parse::<Provider>()
            .expect_err("not a provider");
        let msg = err.to_string();
        assert!(msg.contains("midjourney"), "{msg}");
        assert!(msg.contains("openai_compatible"), "{msg}");
    }
}

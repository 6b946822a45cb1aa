//! Provider ids whose keys this crate stores: the shared vocabulary's `ProviderId`.
//! Its wire name is the keychain user name and the middle of `PROOFSHEET_<ID>_API_KEY`.

pub use vocab::ProviderId as Provider;

use crate::error::KeyError;

/// Parses a provider id typed by a person (any case, `-` for `_`), as a key error.
pub fn parse_provider(s: &str) -> Result<Provider, KeyError> {
    s.parse()
        .map_err(|_| KeyError::UnknownProvider(s.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_provider_is_a_clear_error() {
        let err = parse_provider("midjourney").expect_err("not a provider");
        let msg = err.to_string();
        assert!(msg.contains("midjourney"), "{msg}");
        assert!(msg.contains("openai_compatible"), "{msg}");
    }

    #[test]
    fn a_gateway_is_not_a_provider_key() {
        assert!(parse_provider("gateway").is_err());
        assert_eq!(parse_provider("OpenAI").ok(), Some(Provider::OpenAi));
    }
}

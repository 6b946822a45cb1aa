//! The `Secret` newtype: an API key that never prints, never serializes and is wiped on drop.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Keys shorter than this are shown with no hint at all: four characters of a short
/// key would give away too much of it.
const MIN_LEN_FOR_HINT: usize = 12;

/// An API key held in memory.
///
/// `Debug` and `Display` print `<redacted>`; there is deliberately no `Serialize`, so a
/// secret cannot end up in an IPC response, a JSON document or a log line by accident.
/// The bytes are zeroized when the value is dropped. Read it with [`Secret::expose`]
/// only at the point where it goes into an HTTP header.
#[derive(Clone)]
pub struct Secret(String);

impl Zeroize for Secret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for Secret {}

impl Secret {
    /// Takes ownership of `value` (no copy is left behind).
    pub fn from_string(value: String) -> Self {
        Self(value)
    }

    /// The key itself. Only for building the request that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the key is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The last four characters, to tell keys apart in the UI. `None` for keys shorter
    /// than 12 characters.
    pub fn last4(&self) -> Option<String> {
        last4_of(&self.0)
    }
}

pub(crate) fn last4_of(value: &str) -> Option<String> {
    let count = value.chars().count();
    if count < MIN_LEN_FOR_HINT {
        return None;
    }
    Some(value.chars().skip(count - 4).collect())
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::from_string(value)
    }
}

/// Keys travel inward only (UI or stdin → Rust), so deserializing is allowed;
/// serializing is not.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::from_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let s = Secret::from_string("sk-live-abcdef1234567890".into());
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{s:#?}"), "<redacted>");
        let wrapped = Some(vec![s.clone()]);
        assert!(!format!("{wrapped:?}").contains("abcdef"));
        assert_eq!(s.expose(), "sk-live-abcdef1234567890");
    }

    #[test]
    fn last4_only_for_long_keys() {
        assert_eq!(
            Secret::from_string("sk-0123456789".into())
                .last4()
                .as_deref(),
            Some("6789")
        );
        assert_eq!(Secret::from_string("abcdefghijk".into()).last4(), None); // 11 chars
        assert_eq!(
            Secret::from_string("abcdefghijkl".into())
                .last4()
                .as_deref(),
            Some("ijkl")
        );
        // characters, not bytes
        assert_eq!(
            Secret::from_string("ééééééééééé✓✓✓✓".into())
                .last4()
                .as_deref(),
            Some("✓✓✓✓")
        );
        assert_eq!(Secret::from_string(String::new()).last4(), None);
    }

    #[test]
    fn zeroize_wipes_the_bytes() {
        let mut s = Secret::from_string("sk-wipe-me-please-0000".into());
        s.zeroize();
        assert!(s.expose().is_empty());
    }

    #[test]
    fn deserializes_from_a_json_string() {
        let s: Secret = serde_json::from_str("\"sk-from-json-123456\"").expect("valid json");
        assert_eq!(s.expose(), "sk-from-json-123456");
    }
}

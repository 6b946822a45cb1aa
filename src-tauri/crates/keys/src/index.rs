//! The non-secret index kept as its own keychain item: which providers have a key,
//! when it was added, and its last four characters. Never written to a file.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::provider::Provider;

/// Keychain user name of the index item; cannot collide with a provider id.
pub(crate) const INDEX_USER: &str = "__index__";
pub(crate) const INDEX_LABEL: &str = "Proofsheet key index (no secrets)";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Index {
    pub version: u32,
    pub keys: Vec<IndexEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IndexEntry {
    /// Kept as a string so an id from a newer version does not break parsing.
    pub provider: String,
    pub added_at: DateTime<Utc>,
    pub last4: Option<String>,
}

impl Index {
    /// A damaged index only loses metadata, never keys: start over.
    pub fn parse(text: &str) -> Index {
        serde_json::from_str(text).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "keychain key index is unreadable; rebuilding it");
            Index::default()
        })
    }

    pub fn to_json(&self) -> String {
        // Serializing plain strings and dates cannot fail; keep a valid fallback anyway.
        serde_json::to_string(self).unwrap_or_else(|_| String::from(r#"{"version":1,"keys":[]}"#))
    }

    pub fn find(&self, provider: Provider) -> Option<&IndexEntry> {
        self.keys.iter().find(|e| e.provider == provider.as_str())
    }

    pub fn upsert(&mut self, provider: Provider, added_at: DateTime<Utc>, last4: Option<String>) {
        self.remove(provider);
        self.version = 1;
        self.keys.push(IndexEntry {
            provider: provider.as_str().to_owned(),
            added_at,
            last4,
        });
    }

    pub fn remove(&mut self, provider: Provider) -> bool {
        let before = self.keys.len();
        self.keys.retain(|e| e.provider != provider.as_str());
        before != self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_replaces_and_remove_drops() {
        let mut index = Index::default();
        let t = Utc::now();
        index.upsert(Provider::OpenAi, t, Some("abcd".into()));
        index.upsert(Provider::OpenAi, t, Some("wxyz".into()));
        index.upsert(Provider::Fal, t, None);
        assert_eq!(index.keys.len(), 2);
        assert_eq!(
            index
                .find(Provider::OpenAi)
                .and_then(|e| e.last4.as_deref()),
            Some("wxyz")
        );
        let reparsed = Index::parse(&index.to_json());
        assert_eq!(reparsed.keys.len(), 2);
        assert!(index.remove(Provider::Fal));
        assert!(!index.remove(Provider::Fal));
    }

    #[test]
    fn garbage_index_is_rebuilt_not_fatal() {
        assert!(Index::parse("not json").keys.is_empty());
    }
}

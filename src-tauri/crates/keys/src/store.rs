//! `KeyStore`: provider keys in the OS keychain, with the `PROOFSHEET_<ID>_API_KEY`
//! override. All methods block on the keychain; see `AsyncKeyStore` for async callers.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::backend::Item;
use crate::error::{KeyError, Result};
use crate::index::{INDEX_LABEL, INDEX_USER, Index};
use crate::provider::Provider;
use crate::secret::{Secret, last4_of};

/// Upper bound on a pasted key; real keys are far shorter.
const MAX_KEY_LEN: usize = 4096;

/// Serializes read-modify-write of the index within this process.
static INDEX_LOCK: Mutex<()> = Mutex::new(());

/// Where a key the app will use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    Keychain,
    /// `PROOFSHEET_<ID>_API_KEY`: wins over the keychain, never persisted.
    Environment,
}

/// What the UI and `keys list` may show about a key. Never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub provider: Provider,
    /// When the key was stored; `None` for environment keys, and for keychain items
    /// whose index entry is missing (e.g. written by an older build).
    pub added_at: Option<DateTime<Utc>>,
    /// At most the last four characters, only for keys of 12 characters or more.
    pub last4: Option<String>,
    pub source: KeySource,
}

/// Provider keys of one app identity. Cheap to clone.
///
/// Creating it touches nothing; the keychain is reached on first use, so a machine
/// without a keychain gets a [`KeyError::Unavailable`] from the call, not a panic.
#[derive(Debug, Clone)]
pub struct KeyStore {
    service: Arc<str>,
}

impl KeyStore {
    /// `service` must include the app identifier (`com.proofsheet.app`,
    /// `com.proofsheet.dev`, a unique `com.proofsheet.test.<uuid>` in tests), so dev and
    /// test builds never see a user's real keys.
    pub fn new(service: &str) -> Self {
        Self {
            service: Arc::from(service),
        }
    }

    /// The keychain service name every item of this store carries.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Stores (or replaces) the key in the keychain. Surrounding whitespace, such as the
    /// newline after a key piped on stdin, is removed. Returns what `list` will show.
    pub fn set(&self, provider: Provider, secret: Secret) -> Result<KeyInfo> {
        let secret = normalize(secret)?;
        let last4 = secret.last4();
        self.item(provider)
            .with_entry(|entry| entry.set_password(secret.expose()))?;
        let added_at = Utc::now();
        let indexed = self.update_index(|index| index.upsert(provider, added_at, last4.clone()));
        if let Err(e) = indexed {
            // The key itself is stored and usable; only "added at" is lost.
            tracing::warn!(%provider, error = %e, "key stored but the key index was not updated");
        }
        tracing::info!(%provider, service = %self.service, "API key stored in the keychain");
        Ok(KeyInfo {
            provider,
            added_at: Some(added_at),
            last4,
            source: KeySource::Keychain,
        })
    }

    /// The key to use: `PROOFSHEET_<ID>_API_KEY` if set, else the keychain item.
    /// `Ok(None)` when neither exists.
    pub fn get(&self, provider: Provider) -> Result<Option<Secret>> {
        if let Some(secret) = env_key(provider) {
            return Ok(Some(secret));
        }
        self.keychain_get(provider)
    }

    /// The keychain item only, ignoring the environment.
    pub fn keychain_get(&self, provider: Provider) -> Result<Option<Secret>> {
        self.item(provider)
            .with_entry(|entry| entry.get_password().map(Secret::from_string))
    }

    /// Whether a key is available (environment or keychain).
    pub fn has(&self, provider: Provider) -> Result<bool> {
        if env_key(provider).is_some() {
            return Ok(true);
        }
        self.keychain_has(provider)
    }

    /// Whether the keychain holds a key (checked without reading the secret).
    pub fn keychain_has(&self, provider: Provider) -> Result<bool> {
        Ok(self
            .item(provider)
            .with_entry(|entry| entry.get_credential().map(drop))?
            .is_some())
    }

    /// Removes the keychain item. `Ok(false)` if there was none. An environment key is
    /// not affected (it was never stored).
    pub fn delete(&self, provider: Provider) -> Result<bool> {
        let deleted = self
            .item(provider)
            .with_entry(|entry| entry.delete_credential())?
            .is_some();
        self.update_index(|index| {
            index.remove(provider);
        })?;
        if deleted {
            tracing::info!(%provider, service = %self.service, "API key removed from the keychain");
        }
        Ok(deleted)
    }

    /// Every provider with a usable key, in `Provider::ALL` order. An environment key
    /// hides the keychain item of the same provider (it is the one used).
    ///
    /// Fails with `Unavailable` when the keychain cannot be reached; callers can still
    /// show [`KeyStore::environment_keys`] then.
    pub fn list(&self) -> Result<Vec<KeyInfo>> {
        let index = self.read_index()?;
        let mut out = Vec::new();
        for &provider in Provider::ALL {
            if let Some(info) = env_info(provider) {
                out.push(info);
            } else if self.keychain_has(provider)? {
                let meta = index.find(provider);
                out.push(KeyInfo {
                    provider,
                    added_at: meta.map(|m| m.added_at),
                    last4: meta.and_then(|m| m.last4.clone()),
                    source: KeySource::Keychain,
                });
            }
        }
        Ok(out)
    }

    /// Keys supplied through `PROOFSHEET_<ID>_API_KEY`; never touches the keychain.
    pub fn environment_keys() -> Vec<KeyInfo> {
        Provider::ALL.iter().copied().filter_map(env_info).collect()
    }

    /// Reaches the keychain once (reads the index item) to report whether it is usable,
    /// e.g. for a status line on the Keys screen.
    pub fn check_available(&self) -> Result<()> {
        self.read_index().map(drop)
    }

    fn item(&self, provider: Provider) -> Item<'_> {
        Item {
            service: &self.service,
            user: provider.as_str(),
            provider: Some(provider),
            label: label_for(provider),
        }
    }

    fn index_item(&self) -> Item<'_> {
        Item {
            service: &self.service,
            user: INDEX_USER,
            provider: None,
            label: INDEX_LABEL,
        }
    }

    fn read_index(&self) -> Result<Index> {
        let text = self.index_item().with_entry(|entry| entry.get_password())?;
        Ok(text.map(|t| Index::parse(&t)).unwrap_or_default())
    }

    fn update_index(&self, change: impl FnOnce(&mut Index)) -> Result<()> {
        let _guard = INDEX_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let mut index = self.read_index()?;
        change(&mut index);
        let item = self.index_item();
        if index.keys.is_empty() {
            // Leave nothing behind once the last key is gone.
            item.with_entry(|entry| entry.delete_credential())?;
        } else {
            let json = index.to_json();
            item.with_entry(|entry| entry.set_password(&json))?;
        }
        Ok(())
    }
}

/// Trims the key and rejects what cannot be a key, without echoing it.
fn normalize(secret: Secret) -> Result<Secret> {
    let trimmed = secret.expose().trim();
    if trimmed.is_empty() {
        return Err(KeyError::InvalidSecret {
            reason: "the key is empty",
        });
    }
    if trimmed.len() > MAX_KEY_LEN {
        return Err(KeyError::InvalidSecret {
            reason: "the key is longer than 4096 bytes",
        });
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(KeyError::InvalidSecret {
            reason: "the key contains spaces or line breaks; paste only the key",
        });
    }
    if trimmed.len() == secret.expose().len() {
        return Ok(secret);
    }
    // `secret` (untrimmed) is zeroized when it drops here.
    Ok(Secret::from_string(trimmed.to_owned()))
}

fn env_key(provider: Provider) -> Option<Secret> {
    let value = std::env::var_os(provider.api_key_env_var())?;
    let Ok(value) = value.into_string() else {
        tracing::warn!(var = %provider.api_key_env_var(), "ignoring an API key variable that is not UTF-8");
        return None;
    };
    let secret = Secret::from_string(value);
    let trimmed = secret.expose().trim();
    if trimmed.is_empty() {
        return None;
    }
    Some(Secret::from_string(trimmed.to_owned()))
}

fn env_info(provider: Provider) -> Option<KeyInfo> {
    env_key(provider).map(|secret| KeyInfo {
        provider,
        added_at: None,
        last4: last4_of(secret.expose()),
        source: KeySource::Environment,
    })
}

fn label_for(provider: Provider) -> &'static str {
    match provider {
        Provider::OpenAi => "Proofsheet API key: OpenAI",
        Provider::Stability => "Proofsheet API key: Stability AI",
        Provider::Google => "Proofsheet API key: Google",
        Provider::Replicate => "Proofsheet API key: Replicate",
        Provider::Fal => "Proofsheet API key: fal",
        Provider::Bfl => "Proofsheet API key: Black Forest Labs",
        Provider::Together => "Proofsheet API key: Together AI",
        Provider::OpenRouter => "Proofsheet API key: OpenRouter",
        Provider::A1111 => "Proofsheet API key: AUTOMATIC1111",
        Provider::ComfyUi => "Proofsheet API key: ComfyUI",
        Provider::OpenAiCompatible => "Proofsheet API key: OpenAI-compatible",
        Provider::Ideogram => "Proofsheet API key: Ideogram",
        Provider::Recraft => "Proofsheet API key: Recraft",
        Provider::Xai => "Proofsheet API key: xAI",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_trims_and_rejects_without_echoing() {
        let ok = normalize(Secret::from_string("  sk-abc123\n".into())).expect("valid");
        assert_eq!(ok.expose(), "sk-abc123");
        for bad in ["", " \n", "sk-one\nsk-two", "sk abc"] {
            let err = normalize(Secret::from_string(bad.into())).expect_err("invalid");
            assert!(matches!(err, KeyError::InvalidSecret { .. }));
            if !bad.trim().is_empty() {
                assert!(!err.to_string().contains(bad.trim()), "{err}");
            }
        }
    }
}

//! Secrets of named gateways: each gateway's own key and its secret header values, one
//! keychain item each (user `gateway:<name>` and `gateway:<name>:header:<header>`).
//! `PROOFSHEET_GATEWAY_<NAME>_API_KEY` supplies a gateway key for one process.

use crate::async_store::AsyncKeyStore;
use crate::backend::Item;
use crate::error::{KeyError, Result};
use crate::secret::Secret;
use crate::store::KeyStore;

/// Which secret of a gateway.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GatewaySecret {
    /// The gateway's API key (sent as `Authorization: Bearer`).
    Key,
    /// The value of a header marked secret (lower-cased header name).
    Header(String),
}

impl GatewaySecret {
    fn user(&self, gateway: &str) -> String {
        match self {
            GatewaySecret::Key => format!("gateway:{gateway}"),
            GatewaySecret::Header(h) => {
                format!("gateway:{gateway}:header:{}", h.trim().to_ascii_lowercase())
            }
        }
    }
    fn label(&self, gateway: &str) -> String {
        match self {
            GatewaySecret::Key => format!("Proofsheet gateway key: {gateway}"),
            GatewaySecret::Header(h) => format!("Proofsheet gateway header: {gateway} {h}"),
        }
    }
}

/// `PROOFSHEET_GATEWAY_<NAME>_API_KEY` (name upper-cased, `-` as `_`).
pub fn gateway_env_var(gateway: &str) -> String {
    format!(
        "PROOFSHEET_GATEWAY_{}_API_KEY",
        gateway.to_ascii_uppercase().replace('-', "_")
    )
}

fn env_key(gateway: &str) -> Option<Secret> {
    let v = std::env::var(gateway_env_var(gateway)).ok()?;
    let t = v.trim();
    (!t.is_empty()).then(|| Secret::from_string(t.to_owned()))
}

fn check(secret: Secret) -> Result<Secret> {
    let t = secret.expose().trim();
    if t.is_empty() {
        return Err(KeyError::InvalidSecret {
            reason: "the value is empty",
        });
    }
    if t.len() > 8192 {
        return Err(KeyError::InvalidSecret {
            reason: "the value is longer than 8192 bytes",
        });
    }
    if t.chars().any(char::is_control) {
        return Err(KeyError::InvalidSecret {
            reason: "the value contains a line break or control character",
        });
    }
    Ok(Secret::from_string(t.to_owned()))
}

impl KeyStore {
    fn gateway_item<'a>(&'a self, user: &'a str, label: &'a str) -> Item<'a> {
        Item {
            service: self.service(),
            user,
            provider: None,
            label,
        }
    }

    /// Stores (or replaces) a gateway secret. Surrounding whitespace is removed.
    pub fn gateway_set(&self, gateway: &str, which: &GatewaySecret, secret: Secret) -> Result<()> {
        let secret = check(secret)?;
        let (user, label) = (which.user(gateway), which.label(gateway));
        self.gateway_item(&user, &label)
            .with_entry(|e| e.set_password(secret.expose()))?;
        tracing::info!(gateway, "gateway secret stored in the keychain");
        Ok(())
    }

    /// The secret: for the key, `PROOFSHEET_GATEWAY_<NAME>_API_KEY` first.
    pub fn gateway_get(&self, gateway: &str, which: &GatewaySecret) -> Result<Option<Secret>> {
        if *which == GatewaySecret::Key
            && let Some(s) = env_key(gateway)
        {
            return Ok(Some(s));
        }
        let (user, label) = (which.user(gateway), which.label(gateway));
        self.gateway_item(&user, &label)
            .with_entry(|e| e.get_password().map(Secret::from_string))
    }

    /// Whether the secret exists (environment or keychain), without reading it.
    pub fn gateway_has(&self, gateway: &str, which: &GatewaySecret) -> Result<bool> {
        if *which == GatewaySecret::Key && env_key(gateway).is_some() {
            return Ok(true);
        }
        let (user, label) = (which.user(gateway), which.label(gateway));
        Ok(self
            .gateway_item(&user, &label)
            .with_entry(|e| e.get_credential().map(drop))?
            .is_some())
    }

    /// Removes the keychain item; `Ok(false)` when there was none.
    pub fn gateway_delete(&self, gateway: &str, which: &GatewaySecret) -> Result<bool> {
        let (user, label) = (which.user(gateway), which.label(gateway));
        Ok(self
            .gateway_item(&user, &label)
            .with_entry(|e| e.delete_credential())?
            .is_some())
    }
}

impl AsyncKeyStore {
    pub async fn gateway_set(
        &self,
        gateway: &str,
        which: GatewaySecret,
        secret: Secret,
    ) -> Result<()> {
        let g = gateway.to_owned();
        self.run_blocking(move |s| s.gateway_set(&g, &which, secret))
            .await
    }
    pub async fn gateway_get(&self, gateway: &str, which: GatewaySecret) -> Result<Option<Secret>> {
        let g = gateway.to_owned();
        self.run_blocking(move |s| s.gateway_get(&g, &which)).await
    }
    pub async fn gateway_has(&self, gateway: &str, which: GatewaySecret) -> Result<bool> {
        let g = gateway.to_owned();
        self.run_blocking(move |s| s.gateway_has(&g, &which)).await
    }
    pub async fn gateway_delete(&self, gateway: &str, which: GatewaySecret) -> Result<bool> {
        let g = gateway.to_owned();
        self.run_blocking(move |s| s.gateway_delete(&g, &which))
            .await
    }
}

//! The team bucket's S3 access key (issue 18): id and secret in one keychain item per
//! machine id (user `team-s3:<machine>`, value `ID:SECRET`), never in a file.

use crate::backend::Item;
use crate::error::{KeyError, Result};
use crate::secret::Secret;
use crate::store::KeyStore;

fn user(machine: &str) -> String {
    format!("team-s3:{machine}")
}

const LABEL: &str = "Proofsheet team storage access key";

/// An S3 access key: the id is not secret, the secret is.
pub struct StorageKey {
    pub access_key_id: String,
    pub secret: Secret,
}

impl KeyStore {
    fn storage_item<'a>(&'a self, user: &'a str) -> Item<'a> {
        Item {
            service: self.service(),
            user,
            provider: None,
            label: LABEL,
        }
    }

    /// Stores (or replaces) this machine's team storage key.
    pub fn team_storage_set(
        &self,
        machine: &str,
        access_key_id: &str,
        secret: Secret,
    ) -> Result<()> {
        let bad = |s: &str| s.is_empty() || s.chars().any(char::is_control);
        if bad(access_key_id) || access_key_id.contains(':') || bad(secret.expose()) {
            return Err(KeyError::InvalidSecret {
                reason: "the storage access key id or secret is empty, contains a control \
                         character, or the id contains ':'",
            });
        }
        let user = user(machine);
        let value = format!("{access_key_id}:{}", secret.expose());
        self.storage_item(&user)
            .with_entry(|e| e.set_password(&value))?;
        tracing::info!("team storage key stored in the keychain");
        Ok(())
    }

    pub fn team_storage_get(&self, machine: &str) -> Result<Option<StorageKey>> {
        let user = user(machine);
        let value = self
            .storage_item(&user)
            .with_entry(|e| e.get_password().map(Secret::from_string))?;
        Ok(value.and_then(|v| {
            let (id, secret) = v.expose().split_once(':')?;
            Some(StorageKey {
                access_key_id: id.to_owned(),
                secret: Secret::from_string(secret.to_owned()),
            })
        }))
    }

    /// Removes it; `Ok(false)` when there was none.
    pub fn team_storage_delete(&self, machine: &str) -> Result<bool> {
        let user = user(machine);
        Ok(self
            .storage_item(&user)
            .with_entry(|e| e.delete_credential())?
            .is_some())
    }
}

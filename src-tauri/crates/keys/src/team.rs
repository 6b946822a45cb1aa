//! The team database password (issue 18): one keychain item per machine id (user
//! `team-db:<machine>`), so two libraries of one OS user can be two team members. The
//! config file keeps only the URL without its password.

use crate::backend::Item;
use crate::error::{KeyError, Result};
use crate::secret::Secret;
use crate::store::KeyStore;

fn user(machine: &str) -> String {
    format!("team-db:{machine}")
}

const LABEL: &str = "Proofsheet team database password";

impl KeyStore {
    fn team_item<'a>(&'a self, user: &'a str) -> Item<'a> {
        Item {
            service: self.service(),
            user,
            provider: None,
            label: LABEL,
        }
    }

    /// Stores (or replaces) the team database password of this machine.
    pub fn team_password_set(&self, machine: &str, secret: Secret) -> Result<()> {
        if secret.expose().is_empty() || secret.expose().chars().any(char::is_control) {
            return Err(KeyError::InvalidSecret {
                reason: "the password is empty or contains a control character",
            });
        }
        let user = user(machine);
        self.team_item(&user)
            .with_entry(|e| e.set_password(secret.expose()))?;
        tracing::info!("team database password stored in the keychain");
        Ok(())
    }

    pub fn team_password_get(&self, machine: &str) -> Result<Option<Secret>> {
        let user = user(machine);
        self.team_item(&user)
            .with_entry(|e| e.get_password().map(Secret::from_string))
    }

    /// Removes it; `Ok(false)` when there was none.
    pub fn team_password_delete(&self, machine: &str) -> Result<bool> {
        let user = user(machine);
        Ok(self
            .team_item(&user)
            .with_entry(|e| e.delete_credential())?
            .is_some())
    }
}

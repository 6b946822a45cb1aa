//! Provider keys: stored in the OS keychain only; the secret travels inward and is
//! never returned, logged or written anywhere else.

use std::sync::Arc;

use keys::{Provider, Secret};
use providers::KeyCheck;

use crate::api::{KeyCheckView, KeySource, KeyStatus, KeyView};
use crate::context::Core;
use crate::error::{EngineError, Result};
use crate::provider_gateway::KeyLookup;

fn provider(id: &str) -> Result<Provider> {
    keys::parse_provider(id)
        .map_err(|e| EngineError::from(e).with_field(vocab::ErrorField::Provider))
}

fn view(i: keys::KeyInfo) -> KeyView {
    KeyView {
        provider: i.provider.as_str().to_owned(),
        added_at: i.added_at.map(|t| t.to_rfc3339()),
        last4: i.last4,
        source: match i.source {
            keys::KeySource::Keychain => KeySource::Keychain,
            keys::KeySource::Environment => KeySource::Environment,
        },
    }
}

pub(crate) async fn set(core: &Arc<Core>, id: &str, secret: String) -> Result<KeyView> {
    let p = provider(id)?;
    let info = core
        .gateway()
        .keychain()
        .set(p, Secret::from_string(secret))
        .await?;
    core.gateway().forget_key_presence();
    Ok(view(info))
}

pub(crate) async fn list(core: &Arc<Core>) -> Result<Vec<KeyView>> {
    match core.gateway().keychain().list().await {
        Ok(list) => Ok(list.into_iter().map(view).collect()),
        // Without a keychain, environment keys are still usable and worth showing.
        Err(e) if e.is_unavailable() => {
            let env = keys::KeyStore::environment_keys();
            if env.is_empty() {
                Err(e.into())
            } else {
                Ok(env.into_iter().map(view).collect())
            }
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn delete(core: &Arc<Core>, id: &str) -> Result<()> {
    let p = provider(id)?;
    let removed = core.gateway().keychain().delete(p).await?;
    core.gateway().forget_key_presence();
    if !removed {
        return Err(EngineError::not_found(format!("no key is stored for {id}")));
    }
    Ok(())
}

pub(crate) async fn test(core: &Arc<Core>, id: &str) -> Result<KeyCheckView> {
    let p = provider(id)?;
    let key = match core.gateway().key_for(p.as_str()).await? {
        KeyLookup::Found(k) => k,
        KeyLookup::NotNeeded => keys::Secret::from_string(String::new()),
        KeyLookup::Missing => {
            return Err(EngineError::not_found(format!(
                "no key is stored for {id}; add one in Settings → Keys"
            )));
        }
    };
    let Some(client) = core.wiring().client(p.as_str(), p.as_str()) else {
        return Ok(KeyCheckView {
            provider: id.to_owned(),
            status: KeyStatus::Unreachable,
            balance: None,
            message: format!("no endpoint is configured for {id}; set one in Settings → Endpoints"),
        });
    };
    let check = client.check_key(key.expose()).await;
    drop(key); // wiped now, not at the end of the function
    Ok(match check {
        KeyCheck::Valid { balance } => KeyCheckView {
            provider: id.to_owned(),
            status: KeyStatus::Valid,
            balance: balance.map(|b| format!("{} {}", b.amount.normalize(), b.unit)),
            message: "the key works".into(),
        },
        KeyCheck::Invalid { message } => KeyCheckView {
            provider: id.to_owned(),
            status: KeyStatus::Invalid,
            balance: None,
            message,
        },
        KeyCheck::Unreachable { message } => KeyCheckView {
            provider: id.to_owned(),
            status: KeyStatus::Unreachable,
            balance: None,
            message,
        },
    })
}

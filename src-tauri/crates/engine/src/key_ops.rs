//! Provider keys: stored in the OS keychain only; the secret travels inward and is
//! never returned, logged or written anywhere else.

use keys::Secret;
use providers::KeyCheck;

use crate::api::{KeyCheckView, KeySource, KeyStatus, KeyView};
use crate::error::{EngineError, Result};
use crate::provider_gateway::{KeyLookup, ProviderGateway};
use crate::wiring::Wiring;
use vocab::ProviderId;

fn view(i: keys::KeyInfo) -> KeyView {
    KeyView {
        provider: i.provider,
        added_at: i.added_at.map(|t| t.to_rfc3339()),
        last4: i.last4,
        source: match i.source {
            keys::KeySource::Keychain => KeySource::Keychain,
            keys::KeySource::Environment => KeySource::Environment,
        },
    }
}

pub(crate) async fn set(
    gateway: &ProviderGateway,
    p: ProviderId,
    secret: String,
) -> Result<KeyView> {
    let info = gateway
        .keychain()
        .set(p, Secret::from_string(secret))
        .await?;
    gateway.forget_key_presence();
    Ok(view(info))
}

pub(crate) async fn list(gateway: &ProviderGateway) -> Result<Vec<KeyView>> {
    match gateway.keychain().list().await {
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

pub(crate) async fn delete(gateway: &ProviderGateway, p: ProviderId) -> Result<()> {
    let removed = gateway.keychain().delete(p).await?;
    gateway.forget_key_presence();
    if !removed {
        return Err(EngineError::not_found(format!("no key is stored for {p}")));
    }
    Ok(())
}

pub(crate) async fn test(
    gateway: &ProviderGateway,
    wiring: &Wiring,
    p: ProviderId,
) -> Result<KeyCheckView> {
    let key = match gateway.key_for(p.as_str()).await? {
        KeyLookup::Found(k) => k,
        KeyLookup::NotNeeded => keys::Secret::from_string(String::new()),
        KeyLookup::Missing => {
            return Err(EngineError::not_found(format!(
                "no key is stored for {p}; add one in Settings → Keys"
            )));
        }
    };
    let Some(client) = wiring.client(p.as_str(), p.as_str()) else {
        return Ok(KeyCheckView {
            provider: p,
            status: KeyStatus::Unreachable,
            balance: None,
            message: format!("no endpoint is configured for {p}; set one in Settings → Endpoints"),
        });
    };
    let check = client.check_key(key.expose()).await;
    drop(key); // wiped now, not at the end of the function
    Ok(match check {
        KeyCheck::Valid { balance } => KeyCheckView {
            provider: p,
            status: KeyStatus::Valid,
            balance: balance.map(|b| format!("{} {}", b.amount.normalize(), b.unit)),
            message: "the key works".into(),
        },
        KeyCheck::Invalid { message } => KeyCheckView {
            provider: p,
            status: KeyStatus::Invalid,
            balance: None,
            message,
        },
        KeyCheck::Unreachable { message } => KeyCheckView {
            provider: p,
            status: KeyStatus::Unreachable,
            balance: None,
            message,
        },
    })
}

//! The team bucket's access key at join (issue 18): the window and `team join` give the
//! bucket, its endpoint, the key id and the secret; the bucket is probed with them
//! before anything is joined, and the key goes to the keychain once the machine id is
//! known. The secret is never logged, saved to a file or returned.

use team::{ErrorClass, Storage, StorageConfig};

use crate::api::TeamJoinInput;
use crate::error::{EngineError, ErrorKind, Result};

/// A bucket with its key, as given at join.
pub(crate) struct BucketKey {
    config: StorageConfig,
}

fn given(s: Option<&String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl BucketKey {
    /// The bucket fields of a join, checked (`None`: no bucket). The secret is taken
    /// as given (not trimmed: it is opaque).
    pub(crate) fn from_input(input: &TeamJoinInput) -> Result<Option<BucketKey>> {
        let storage = given(input.storage.as_ref());
        let endpoint = given(input.endpoint.as_ref());
        let key_id = given(input.storage_key_id.as_ref());
        let secret = input.storage_secret.clone().filter(|s| !s.is_empty());
        let Some(url) = storage else {
            if endpoint.is_some() || key_id.is_some() || secret.is_some() {
                return Err(EngineError::validation(
                    "a bucket endpoint or access key was given without the bucket: give the \
                     image bucket as s3://BUCKET, or leave all the bucket fields empty",
                ));
            }
            return Ok(None);
        };
        team::storage::bucket_of(&url).map_err(|_| {
            EngineError::validation(format!(
                "the image bucket must be an s3://BUCKET address (got {url})"
            ))
        })?;
        if let Some(e) = &endpoint
            && !(e.starts_with("http://") || e.starts_with("https://"))
        {
            return Err(EngineError::validation(format!(
                "the bucket endpoint must be an http:// or https:// URL (got {e})"
            )));
        }
        let (Some(access_key_id), Some(secret_access_key)) = (key_id, secret) else {
            return Err(EngineError::validation(
                "the image bucket needs its access key id and secret (your studio's admin \
                 gives you both)",
            ));
        };
        Ok(Some(BucketKey {
            config: StorageConfig {
                url,
                endpoint,
                region: None,
                access_key_id,
                secret_access_key,
            },
        }))
    }

    /// Checks that the bucket exists and accepts this key, with what to fix when not.
    pub(crate) async fn probe(&self) -> Result<()> {
        let c = &self.config;
        let storage = Storage::connect(c).map_err(|e| EngineError::validation(e.to_string()))?;
        let Err(e) = storage.probe().await else {
            return Ok(());
        };
        let at = c.endpoint.as_deref().unwrap_or("AWS S3");
        let (kind, message) = match e.class() {
            ErrorClass::NotFound => (
                ErrorKind::Validation,
                format!(
                    "there is no bucket {} at {at}: check the bucket name and endpoint",
                    c.url
                ),
            ),
            ErrorClass::Auth | ErrorClass::Forbidden => (
                ErrorKind::Team,
                format!(
                    "the bucket {} refused this access key: check the key id and secret",
                    c.url
                ),
            ),
            ErrorClass::Unreachable => (
                ErrorKind::Team,
                format!(
                    "the bucket endpoint {at} did not answer: check the endpoint URL and the \
                     network"
                ),
            ),
            _ => (
                ErrorKind::Team,
                format!("the bucket {} cannot be used: {e}", c.url),
            ),
        };
        Err(EngineError::new(kind, message))
    }

    /// Keeps the key in the keychain under this machine's id.
    pub(crate) async fn keep(self, service: String, machine: String) -> Result<()> {
        let BucketKey { config } = self;
        tokio::task::spawn_blocking(move || {
            keys::KeyStore::new(&service).team_storage_set(
                &machine,
                &config.access_key_id,
                keys::Secret::from_string(config.secret_access_key),
            )
        })
        .await
        .map_err(|e| EngineError::internal(format!("keychain task failed: {e}")))?
        .map_err(EngineError::from)
    }
}

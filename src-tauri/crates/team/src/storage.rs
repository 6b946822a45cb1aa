//! The team's image bucket, over the S3 protocol (`object_store`): every image and
//! thumbnail is stored under its sha256 (`sha256/<2 hex>/<64 hex>`), so an upload is
//! idempotent (skipped when the object exists) and a download is verified against its
//! name. The access key id and secret come from the keychain (the embedder reads them);
//! no error here ever carries them.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use sha2::{Digest, Sha256};

use crate::error::{Result, TeamError};

/// Where a bucket is and how to log in to it.
#[derive(Clone)]
pub struct StorageConfig {
    /// `s3://BUCKET`.
    pub url: String,
    /// The S3-compatible endpoint (`https://s3.studio.example`); `None`: AWS.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageConfig")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// The bucket name of an `s3://BUCKET` address.
pub fn bucket_of(url: &str) -> Result<&str> {
    let bucket = url
        .strip_prefix("s3://")
        .map(|b| b.trim_end_matches('/'))
        .filter(|b| !b.is_empty() && !b.contains('/'))
        .ok_or_else(|| {
            TeamError::Invalid(format!(
                "the team storage must be an s3://BUCKET address (got {url})"
            ))
        })?;
    Ok(bucket)
}

/// The hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn is_sha(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The object key of a content hash.
pub fn key_of(sha256: &str) -> Result<Path> {
    if !is_sha(sha256) {
        return Err(TeamError::Invalid(format!(
            "{sha256:?} is not a sha256 hex digest"
        )));
    }
    Ok(Path::from(format!("sha256/{}/{sha256}", &sha256[..2])))
}

/// The object key of a thumbnail (its own sha256), apart from the images so counts and
/// listings of images stay exact.
pub fn thumb_key_of(sha256: &str) -> Result<Path> {
    key_of(sha256).map(|k| Path::from(format!("thumbs/{k}")))
}

/// A connected bucket (cheap to clone).
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    bucket: String,
}

fn storage_error(e: object_store::Error) -> TeamError {
    match e {
        object_store::Error::NotFound { path, .. } => TeamError::NotFound {
            what: "object in the team storage",
            name: path,
        },
        object_store::Error::Unauthenticated { .. }
        | object_store::Error::PermissionDenied { .. } => TeamError::AuthFailed {
            reason: "the team storage refused the access key; run `team join` again with the \
                     right --storage keys"
                .into(),
        },
        // Network, timeouts, 5xx after retries: the bucket is away. The message names the
        // kind of failure only (object_store's text may include the URL, never the secret).
        other => TeamError::Unreachable {
            reason: format!("team storage: {}", short(&other.to_string())),
        },
    }
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

impl Storage {
    pub fn connect(c: &StorageConfig) -> Result<Storage> {
        let bucket = bucket_of(&c.url)?.to_owned();
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&bucket)
            .with_region(c.region.clone().unwrap_or_else(|| "us-east-1".into()))
            .with_access_key_id(&c.access_key_id)
            .with_secret_access_key(&c.secret_access_key)
            // A bucket that is away must fail fast: the outbox retries later.
            .with_retry(RetryConfig {
                max_retries: 2,
                retry_timeout: Duration::from_secs(10),
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(60)),
            );
        if let Some(e) = &c.endpoint {
            b = b
                .with_endpoint(e)
                .with_allow_http(e.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        let store = b
            .build()
            .map_err(|e| TeamError::Invalid(format!("the team storage settings: {e}")))?;
        Ok(Storage {
            store: Arc::new(store),
            bucket,
        })
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Checks that the bucket exists and answers to this key (joining does, before any
    /// key is kept). A lookup proves the endpoint and the key (object_store keeps the
    /// status of a HEAD, not of a listing); a listing then proves the bucket, since a
    /// lookup cannot tell a missing bucket from a missing object.
    pub async fn probe(&self) -> Result<()> {
        self.exists(&sha256_hex(b"proofsheet")).await?;
        match self
            .store
            .list_with_delimiter(Some(&Path::from("sha256")))
            .await
        {
            Ok(_) => Ok(()),
            Err(object_store::Error::NotFound { .. } | object_store::Error::Generic { .. }) => {
                Err(TeamError::NotFound {
                    what: "bucket",
                    name: self.bucket.clone(),
                })
            }
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Whether the object of `sha256` is in the bucket.
    pub async fn exists(&self, sha256: &str) -> Result<bool> {
        match self.store.head(&key_of(sha256)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Uploads `bytes` under their sha256 unless already there. Returns the digest and
    /// whether this call uploaded it.
    pub async fn put(&self, bytes: &[u8]) -> Result<(String, bool)> {
        self.put_at(bytes, key_of).await
    }

    /// [`Storage::put`] for a thumbnail (key prefix `thumbs/`).
    pub async fn put_thumb(&self, bytes: &[u8]) -> Result<(String, bool)> {
        self.put_at(bytes, thumb_key_of).await
    }

    async fn put_at(&self, bytes: &[u8], key: fn(&str) -> Result<Path>) -> Result<(String, bool)> {
        let sha = sha256_hex(bytes);
        let path = key(&sha)?;
        match self.store.head(&path).await {
            Ok(_) => return Ok((sha, false)),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(storage_error(e)),
        }
        self.store
            .put(&path, PutPayload::from(bytes.to_vec()))
            .await
            .map_err(storage_error)?;
        Ok((sha, true))
    }

    /// Downloads the object of `sha256`, refusing bytes that do not hash to it.
    pub async fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        self.get_at(sha256, key_of).await
    }

    /// [`Storage::get`] for a thumbnail.
    pub async fn get_thumb(&self, sha256: &str) -> Result<Vec<u8>> {
        self.get_at(sha256, thumb_key_of).await
    }

    async fn get_at(&self, sha256: &str, key: fn(&str) -> Result<Path>) -> Result<Vec<u8>> {
        let got = self
            .store
            .get(&key(sha256)?)
            .await
            .map_err(storage_error)?
            .bytes()
            .await
            .map_err(storage_error)?;
        let actual = sha256_hex(&got);
        if actual != sha256 {
            return Err(TeamError::Database(format!(
                "the team storage returned damaged bytes for {sha256} (they hash to {actual}); \
                 the object must be re-uploaded by its owner"
            )));
        }
        Ok(got.to_vec())
    }

    /// How many objects the bucket holds (tests and diagnostics).
    pub async fn count(&self) -> Result<usize> {
        use futures::TryStreamExt;
        let n = self
            .store
            .list(Some(&Path::from("sha256")))
            .try_fold(0usize, |n, _| async move { Ok(n + 1) })
            .await
            .map_err(storage_error)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_and_buckets() {
        let sha = sha256_hex(b"x");
        assert_eq!(
            key_of(&sha).unwrap().to_string(),
            format!("sha256/{}/{sha}", &sha[..2])
        );
        assert!(key_of("../etc").is_err());
        assert_eq!(bucket_of("s3://studio/").unwrap(), "studio");
        assert!(bucket_of("s3://").is_err());
        assert!(bucket_of("https://x").is_err());
    }
}

//! Catalog updates a studio can trust (DESIGN.md §3): the app checks a signed catalog
//! feed at most daily and on demand, shows what would change, and applies it only on
//! the user's OK; the previous catalog can be restored.
//!
//! - The feed is two files: the catalog JSON at the feed URL and its detached ed25519
//!   signature at the same URL plus `.sig` ([`crate::feed_key`]). Both are signed with
//!   `proofsheet-cli catalog sign` and a private key that never enters the repository.
//! - The public key is built in ([`FEED_PUBLIC_KEY_HEX`]); tests pass their own through
//!   `EngineOptions::catalog_feed_key` (a constructor parameter, never the environment).
//! - A signed catalog is still validated like any catalog file, and refused when it is
//!   older than the catalog built into the app (the floor) or than the one in use.
//! - Files in the data dir, `catalog/`: `pending.json(.sig)` (checked, waiting for the
//!   user's OK), `active.json(.sig)` (the feed catalog applied last), `previous.json`
//!   (what was in use before the last apply or restore, for restore).

mod files;
mod ops;
mod view;

pub use crate::feed_key::{FEED_PUBLIC_KEY_HEX, FeedKey, PrivateKey};
pub use view::{
    CatalogCheckView, CatalogDiffView, CatalogRefView, CatalogStatusView, LifecycleChangeView,
    OfferRefView, OtherChangeView, PriceChangeView,
};

pub(crate) use ops::{apply, check, check_if_due, floor_at_open, restore, set_url, status};

/// Where the project publishes its signed catalog (the signature is at the same URL
/// plus `.sig`). Users and studios may point Settings → Catalog at a mirror.
pub const DEFAULT_FEED_URL: &str = "https://proofsheet.app/catalog/v1/catalog.json";

/// The automatic check runs at most this often; "Check now" any time.
pub const CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// A catalog is tens of kilobytes; anything this big is not one.
const MAX_CATALOG_BYTES: usize = 4 * 1024 * 1024;
const MAX_SIGNATURE_BYTES: usize = 1024;

/// Verifies a catalog file against its signature and validates it (offline:
/// `proofsheet-cli catalog verify`).
pub fn verify_catalog(
    key: &FeedKey,
    body: &[u8],
    sig_text: &str,
) -> crate::Result<pricing::Catalog> {
    ops::verified_catalog(key, body, sig_text)
}

/// Validates a catalog file as the app would (`proofsheet-cli catalog sign` refuses to
/// sign what the app would refuse).
pub fn validate_catalog(text: &str) -> crate::Result<pricing::Catalog> {
    Ok(pricing::Catalog::from_json(text)?)
}

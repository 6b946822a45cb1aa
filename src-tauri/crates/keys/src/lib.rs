//! Provider API keys in the OS keychain, behind a redacting [`Secret`] newtype.
//!
//! - Backend: `keyring-core` with the platform's own store (Secret Service over zbus on
//!   Linux, Keychain on macOS, Credential Manager on Windows). There is no in-memory or
//!   file fallback: without a keychain, calls fail with [`KeyError::Unavailable`], whose
//!   message names the cause and the remedy.
//! - Items: service = the app identifier passed to [`KeyStore::new`], user = the
//!   provider id (`openai`, ...). One more item, user `__index__`, holds non-secret
//!   metadata (provider, added at, last four) as JSON for [`KeyStore::list`].
//! - `PROOFSHEET_<ID>_API_KEY` (e.g. `PROOFSHEET_OPENAI_COMPATIBLE_API_KEY`) supplies a
//!   key for one process; it wins over the keychain and is never written anywhere.
//! - Threads: [`KeyStore`] blocks; call it from `spawn_blocking` or a plain thread (it
//!   is also safe, though blocking, on an async worker). [`AsyncKeyStore`] does the
//!   `spawn_blocking` for you.
//! - Checking that a key works is the providers crate's job (it has the HTTP clients):
//!   it gets the key with [`KeyStore::get`] and calls [`Secret::expose`] for the header.

mod async_store;
mod backend;
mod error;
mod gateway;
mod index;
mod provider;
mod secret;
mod store;
mod team;
mod team_storage;

pub use async_store::AsyncKeyStore;
pub use error::{KeyError, Result};
pub use gateway::{GatewaySecret, gateway_env_var};
pub use provider::{Provider, parse_provider};
pub use secret::Secret;
pub use store::{KeyInfo, KeySource, KeyStore};
pub use team_storage::StorageKey;

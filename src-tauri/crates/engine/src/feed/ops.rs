//! Check, apply and restore: download and verify the feed, keep a verified update
//! pending until the user's OK, swap the engine's catalog, keep the previous one.

use std::cmp::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use pricing::{Catalog, compare_versions, diff_catalogs};
use serde::{Deserialize, Serialize};

use super::files::{self, ACTIVE, PENDING, PREVIOUS, sig_name};
use super::view::{CatalogCheckView, CatalogDiffView, CatalogRefView, CatalogStatusView};
use super::{CHECK_INTERVAL, DEFAULT_FEED_URL, MAX_CATALOG_BYTES, MAX_SIGNATURE_BYTES};
use crate::catalog::CatalogState;
use crate::context::Core;
use crate::error::{EngineError, ErrorKind, Result, blocking};
use crate::feed_key::FeedKey;
use crate::settings;

/// The feed's state, kept in the store's settings.
const STATE_KEY: &str = "engine.catalog_feed";
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct FeedState {
    /// The user's feed URL; `None` is [`DEFAULT_FEED_URL`].
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    last_checked_at: Option<DateTime<Utc>>,
    #[serde(default)]
    last_error: Option<String>,
    /// The version of the catalog in use when it came from the feed.
    #[serde(default)]
    active_from_feed: Option<String>,
    #[serde(default)]
    applied_at: Option<DateTime<Utc>>,
    #[serde(default)]
    previous: Option<PreviousRef>,
}

/// The catalog `previous.json` holds (or the bundled one).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PreviousRef {
    version: String,
    published: NaiveDate,
    bundled: bool,
    from_feed: bool,
}

/// One feed operation at a time (the daily check may run while the user clicks): each
/// reads and writes the feed state and the catalog files as a whole.
static FEED_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn key(core: &Core) -> FeedKey {
    core.options()
        .catalog_feed_key
        .unwrap_or_else(FeedKey::builtin)
}

/// Signature first, then the catalog's own validation: nothing unsigned is even parsed.
pub(crate) fn verified_catalog(key: &FeedKey, body: &[u8], sig_text: &str) -> Result<Catalog> {
    key.verify(body, sig_text)?;
    let text = std::str::from_utf8(body)
        .map_err(|_| EngineError::validation("catalog refused: it is signed but not UTF-8 text"))?;
    Catalog::from_json(text).map_err(|e| {
        EngineError::validation(format!(
            "catalog refused: it is signed but not a valid catalog ({e}). Nothing was \
             changed; tell whoever publishes the feed."
        ))
    })
}

async fn load_state(core: &Core) -> Result<FeedState> {
    let v = core.store_op(|s| s.setting(STATE_KEY)).await?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

async fn save_state(core: &Core, state: &FeedState) -> Result<()> {
    let v = serde_json::to_value(state)
        .map_err(|e| EngineError::internal(format!("feed state encode: {e}")))?;
    core.store_op(move |s| s.set_setting(STATE_KEY, &v)).await
}

/// The catalog in use without gateway offers and overrides, and its stored text
/// (`None`: the bundled one). A stored catalog older than the bundled one lost to it
/// at open (the floor), so it does here too.
async fn current_source(core: &Core) -> Result<(Catalog, Option<String>)> {
    let text = core
        .store_op(|s| s.setting(settings::CATALOG_KEY))
        .await?
        .and_then(|v| v.as_str().map(str::to_owned));
    Ok(match text.map(|t| (Catalog::from_json(&t), t)) {
        Some((Ok(c), t)) if !below_floor(&c) => (c, Some(t)),
        _ => (Catalog::bundled().clone(), None),
    })
}

fn below_floor(c: &Catalog) -> bool {
    compare_versions(c, Catalog::bundled()) == Ordering::Less
}

/// At open: a catalog the feed installed that is older than the one built into this
/// binary (the app was updated since) gives way to the bundled one.
pub(crate) fn floor_at_open(store: &store::Store, imported: Option<String>) -> Option<String> {
    let text = imported?;
    let from_feed = store
        .setting(STATE_KEY)
        .ok()
        .flatten()
        .and_then(|v| serde_json::from_value::<FeedState>(v).ok())
        .and_then(|s| s.active_from_feed);
    match Catalog::from_json(&text) {
        Ok(c) if from_feed.as_deref() == Some(&*c.version) && below_floor(&c) => {
            tracing::info!(
                "the feed catalog {} is older than the bundled {}; using the bundled one",
                c.version,
                Catalog::bundled().version
            );
            None
        }
        _ => Some(text),
    }
}

fn feed_url(state: &FeedState) -> String {
    state
        .url
        .clone()
        .unwrap_or_else(|| DEFAULT_FEED_URL.to_owned())
}

/// https, or http to this machine (tests, a local mirror).
fn check_url(url: &str) -> Result<()> {
    let bad = || {
        EngineError::validation(format!(
            "`{url}` is not a usable feed URL: use https://… (plain http only to localhost)"
        ))
    };
    let u = reqwest::Url::parse(url.trim()).map_err(|_| bad())?;
    let local = matches!(
        u.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    match u.scheme() {
        "https" => Ok(()),
        "http" if local => Ok(()),
        _ => Err(bad()),
    }
}

pub(crate) async fn set_url(core: &Arc<Core>, url: Option<String>) -> Result<CatalogStatusView> {
    let url = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    if let Some(u) = &url {
        check_url(u)?;
    }
    let _one = FEED_LOCK.lock().await;
    let mut state = load_state(core).await?;
    if state.url != url {
        state.url = url;
        state.last_error = None;
        save_state(core, &state).await?;
        let dir = files::dir(core.data_dir());
        blocking(move || clear_pending(&dir)).await?;
    }
    status(core).await
}

/// Downloads at most `cap` bytes.
async fn get(core: &Core, url: &str, cap: usize) -> Result<Vec<u8>> {
    let offline = |e: &dyn std::fmt::Display| {
        EngineError::provider(format!(
            "cannot reach the catalog feed at {url} ({e}). Proofsheet keeps using the \
             prices it has; check your connection or the feed URL in Settings → Catalog."
        ))
    };
    let mut resp = core
        .gateway()
        .http()
        .get(url)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| offline(&e))?;
    if !resp.status().is_success() {
        return Err(EngineError::provider(format!(
            "the catalog feed answered {} for {url}; check the feed URL in Settings → Catalog",
            resp.status()
        )));
    }
    let too_big = || {
        EngineError::validation(format!(
            "catalog refused: {url} is larger than {} KiB, no catalog is",
            cap / 1024
        ))
    };
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_big());
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| offline(&e))? {
        buf.extend_from_slice(&chunk);
        if buf.len() > cap {
            return Err(too_big());
        }
    }
    Ok(buf)
}

/// Downloads and verifies the feed, and refuses it when older than what the app has.
/// Returns the catalog with its exact bytes and signature.
async fn fetch_verified(core: &Core, url: &str) -> Result<(Catalog, Vec<u8>, String)> {
    check_url(url)?;
    let body = get(core, url, MAX_CATALOG_BYTES).await?;
    let sig = get(core, &format!("{url}.sig"), MAX_SIGNATURE_BYTES).await?;
    let sig = String::from_utf8_lossy(&sig).into_owned();
    let new = verified_catalog(&key(core), &body, &sig)?;
    let bundled = Catalog::bundled();
    if below_floor(&new) {
        return Err(EngineError::validation(format!(
            "catalog refused: the feed's catalog {} (published {}) is older than the one \
             built into this app ({}, published {}). Nothing was changed.",
            new.version, new.published, bundled.version, bundled.published
        )));
    }
    Ok((new, body, sig))
}

fn clear_pending(dir: &std::path::Path) -> Result<()> {
    files::remove(dir, PENDING)?;
    files::remove(dir, &sig_name(PENDING))
}

/// Checks the feed now. A newer, verified catalog is kept as pending (nothing changes
/// until [`apply`]); the outcome, or why it failed, is remembered for the status.
pub(crate) async fn check(core: &Arc<Core>) -> Result<CatalogCheckView> {
    let _one = FEED_LOCK.lock().await;
    check_locked(core).await
}

async fn check_locked(core: &Arc<Core>) -> Result<CatalogCheckView> {
    let mut state = load_state(core).await?;
    let url = feed_url(&state);
    let result = check_inner(core, &url).await;
    state.last_checked_at = Some(Utc::now());
    state.last_error = result.as_ref().err().map(|e| e.message.clone());
    save_state(core, &state).await?;
    result
}

async fn check_inner(core: &Arc<Core>, url: &str) -> Result<CatalogCheckView> {
    let (new, body, sig) = fetch_verified(core, url).await?;
    let (cur, _) = current_source(core).await?;
    let dir = files::dir(core.data_dir());
    match compare_versions(&new, &cur) {
        Ordering::Less => Err(EngineError::validation(format!(
            "catalog refused: the feed's catalog {} (published {}) is older than the one in \
             use ({}, published {}). Nothing was changed.",
            new.version, new.published, cur.version, cur.published
        ))),
        Ordering::Equal => {
            blocking(move || clear_pending(&dir)).await?;
            Ok(CatalogCheckView {
                outcome: "up_to_date".into(),
                feed_url: url.to_owned(),
                diff: None,
                message: format!("The catalog in use ({}) is the newest.", cur.version),
            })
        }
        Ordering::Greater => {
            blocking(move || {
                files::write(&dir, PENDING, &body)?;
                files::write(&dir, &sig_name(PENDING), sig.as_bytes())
            })
            .await?;
            let diff = CatalogDiffView::from(diff_catalogs(&cur, &new));
            Ok(CatalogCheckView {
                outcome: "update_available".into(),
                feed_url: url.to_owned(),
                message: format!(
                    "Catalog {} (published {}) is available; review the changes, then apply.",
                    new.version, new.published
                ),
                diff: Some(diff),
            })
        }
    }
}

/// The automatic check: at most once per [`CHECK_INTERVAL`]. `None` when not due.
pub(crate) async fn check_if_due(core: &Arc<Core>) -> Result<Option<CatalogCheckView>> {
    let _one = FEED_LOCK.lock().await;
    let state = load_state(core).await?;
    let due = state.last_checked_at.is_none_or(|t| {
        Utc::now()
            .signed_duration_since(t)
            .to_std()
            .unwrap_or_default()
            >= CHECK_INTERVAL
    });
    if !due {
        return Ok(None);
    }
    check_locked(core).await.map(Some)
}

/// The pending update, verified again (the files sit in the data dir).
async fn pending(core: &Core) -> Result<Option<(Catalog, Vec<u8>, String)>> {
    let dir = files::dir(core.data_dir());
    let (body, sig) = blocking(move || {
        Ok((
            files::read(&dir, PENDING)?,
            files::read(&dir, &sig_name(PENDING))?,
        ))
    })
    .await?;
    let (Some(body), Some(sig)) = (body, sig) else {
        return Ok(None);
    };
    let sig = String::from_utf8_lossy(&sig).into_owned();
    let c = verified_catalog(&key(core), &body, &sig)?;
    Ok(Some((c, body, sig)))
}

/// Applies the pending update (checking the feed first when none is pending). With
/// `expected_version`, refuses anything but the version the user reviewed.
pub(crate) async fn apply(
    core: &Arc<Core>,
    expected_version: Option<String>,
) -> Result<CatalogStatusView> {
    let _one = FEED_LOCK.lock().await;
    if pending(core).await?.is_none() {
        check_locked(core).await?;
    }
    let Some((new, body, sig)) = pending(core).await? else {
        let (cur, _) = current_source(core).await?;
        return Err(EngineError::validation(format!(
            "nothing to apply: the catalog in use ({}) is the feed's newest",
            cur.version
        )));
    };
    if let Some(v) = expected_version.filter(|v| *v != new.version) {
        return Err(EngineError::validation(format!(
            "the update waiting is {}, not {v}; check again and review it before applying",
            new.version
        )));
    }
    let (cur, cur_text) = current_source(core).await?;
    if below_floor(&new) || compare_versions(&new, &cur) != Ordering::Greater {
        let dir = files::dir(core.data_dir());
        blocking(move || clear_pending(&dir)).await?;
        return Err(EngineError::validation(format!(
            "catalog refused: {} is not newer than the one in use ({}); nothing was changed",
            new.version, cur.version
        )));
    }
    let mut state = load_state(core).await?;
    let prev = PreviousRef {
        version: cur.version.clone(),
        published: cur.published,
        bundled: cur_text.is_none(),
        from_feed: state.active_from_feed.as_deref() == Some(&*cur.version),
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    let dir = files::dir(core.data_dir());
    blocking(move || {
        match &cur_text {
            Some(t) => files::write(&dir, PREVIOUS, t.as_bytes())?,
            None => files::remove(&dir, PREVIOUS)?,
        }
        files::write(&dir, ACTIVE, &body)?;
        files::write(&dir, &sig_name(ACTIVE), sig.as_bytes())?;
        clear_pending(&dir)
    })
    .await?;
    install(core, Some(text)).await?;
    state.previous = Some(prev);
    state.active_from_feed = Some(new.version.clone());
    state.applied_at = Some(Utc::now());
    save_state(core, &state).await?;
    tracing::info!(from = %cur.version, to = %new.version, "catalog update applied");
    status(core).await
}

/// Brings back the catalog in use before the last apply (or restore: restoring twice
/// returns to where it started).
pub(crate) async fn restore(core: &Arc<Core>) -> Result<CatalogStatusView> {
    let _one = FEED_LOCK.lock().await;
    let mut state = load_state(core).await?;
    let Some(prev) = state.previous.clone() else {
        return Err(EngineError::new(
            ErrorKind::NotFound,
            "no previous catalog to restore: no update has been applied",
        ));
    };
    let dir = files::dir(core.data_dir());
    let prev_text = if prev.bundled {
        None
    } else {
        let d = dir.clone();
        let bytes = blocking(move || files::read(&d, PREVIOUS)).await?;
        let bytes = bytes.ok_or_else(|| {
            EngineError::not_found(
                "the previous catalog file is missing from the data folder; nothing to restore",
            )
        })?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    };
    // The bundled catalog is the floor: an older previous one restores to it instead.
    let prev_text = prev_text.filter(|t| Catalog::from_json(t).is_ok_and(|c| !below_floor(&c)));
    let (cur, cur_text) = current_source(core).await?;
    let swapped = PreviousRef {
        version: cur.version.clone(),
        published: cur.published,
        bundled: cur_text.is_none(),
        from_feed: state.active_from_feed.as_deref() == Some(&*cur.version),
    };
    blocking(move || match &cur_text {
        Some(t) => files::write(&dir, PREVIOUS, t.as_bytes()),
        None => files::remove(&dir, PREVIOUS),
    })
    .await?;
    let restored_bundled = prev_text.is_none();
    install(core, prev_text).await?;
    state.active_from_feed = (prev.from_feed && !restored_bundled).then(|| prev.version.clone());
    state.previous = Some(swapped);
    state.applied_at = Some(Utc::now());
    save_state(core, &state).await?;
    tracing::info!(from = %cur.version, to = %prev.version, "previous catalog restored");
    status(core).await
}

/// Stores the catalog text (`None`: the bundled one) and swaps the engine's catalog;
/// gateway offers and negotiated rates carry over.
async fn install(core: &Arc<Core>, text: Option<String>) -> Result<()> {
    let _one_at_a_time = core.wiring().reconfigure().await;
    // From the store, not memory: a rate on an offer one catalog lacks comes back with
    // the catalog that has it (restore).
    let rows = core.store_op(|s| s.price_overrides()).await?;
    let overrides = settings::parse_overrides(rows);
    let settings = core.wiring().settings().as_ref().clone();
    let named = core.wiring().gateways().clone();
    let state = CatalogState::build(text.as_deref(), &settings, &named, overrides)?;
    let value = text.map_or(serde_json::Value::Null, serde_json::Value::String);
    core.store_op(move |s| s.set_setting(settings::CATALOG_KEY, &value))
        .await?;
    core.wiring().swap(crate::wiring::Swap {
        catalog: Some(state),
        ..Default::default()
    });
    Ok(())
}

pub(crate) async fn status(core: &Arc<Core>) -> Result<CatalogStatusView> {
    let state = load_state(core).await?;
    let (cur, cur_text) = current_source(core).await?;
    let active = core.wiring().catalog();
    let today = pricing::catalog_date(Utc::now());
    let age = (today - active.published).num_days().max(0);
    let origin = match (&cur_text, &state.active_from_feed) {
        (None, _) => "bundled",
        (Some(_), Some(v)) if *v == cur.version => "feed",
        (Some(_), _) => "imported",
    };
    // A pending file that no longer verifies or is not newer is not offered.
    let pending = match pending(core).await {
        Ok(Some((new, _, _))) if compare_versions(&new, &cur) == Ordering::Greater => {
            Some(CatalogDiffView::from(diff_catalogs(&cur, &new)))
        }
        _ => None,
    };
    Ok(CatalogStatusView {
        version: active.version.clone(),
        published: active.published.to_string(),
        age_days: u32::try_from(age).unwrap_or(u32::MAX),
        origin: origin.into(),
        bundled_version: Catalog::bundled().version.clone(),
        feed_url: feed_url(&state),
        default_feed_url: DEFAULT_FEED_URL.into(),
        last_checked_at: state.last_checked_at.map(|t| t.to_rfc3339()),
        last_check_error: state.last_error.clone(),
        pending,
        previous: state.previous.as_ref().map(|p| CatalogRefView {
            version: p.version.clone(),
            published: p.published.to_string(),
            bundled: p.bundled,
        }),
        applied_at: state.applied_at.map(|t| t.to_rfc3339()),
    })
}

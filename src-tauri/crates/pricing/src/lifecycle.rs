//! Model lifecycle: offers whose providers deprecate and shut down the model. A
//! shut-down offer stays in the catalog for history (past attempts name it) but can no
//! longer be estimated as sendable, routed to, or reserved for.

use crate::catalog::{Catalog, Offer};
use crate::error::CatalogError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

/// The day model lifecycles are judged on: today (UTC), unless `PROOFSHEET_CATALOG_DATE`
/// (YYYY-MM-DD) names another day. That lets a studio preview what retires next month,
/// and keeps tests on models whose shutdown date would otherwise pass under them.
/// An unreadable value is ignored (with a warning) rather than failing every estimate.
pub fn catalog_date(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    static PINNED: std::sync::OnceLock<Option<NaiveDate>> = std::sync::OnceLock::new();
    let pinned = PINNED.get_or_init(|| {
        let raw = std::env::var("PROOFSHEET_CATALOG_DATE").ok()?;
        let parsed = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d");
        if parsed.is_err() {
            tracing::warn!("PROOFSHEET_CATALOG_DATE is not YYYY-MM-DD; using today");
        }
        parsed.ok()
    });
    pinned.unwrap_or_else(|| now.date_naive())
}

/// Where an offer stands on a given day (the shared vocabulary's set).
pub use vocab::LifecycleStatus;

/// What an estimate or view says about an offer that is not simply live.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LifecycleNote {
    pub status: LifecycleStatus,
    /// The shutdown date (retiring, shut down) or the deprecation date (deprecated).
    pub on: NaiveDate,
    /// The first live offer down the `replaced_by` chain, if any.
    pub replaced_by: Option<Arc<str>>,
}

impl fmt::Display for LifecycleNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            LifecycleStatus::ShutDown => write!(f, "shut down on {}", self.on)?,
            LifecycleStatus::Retiring => write!(f, "retiring on {}", self.on)?,
            LifecycleStatus::Deprecated => write!(f, "deprecated since {}", self.on)?,
            LifecycleStatus::Live => return Ok(()),
        }
        match (&self.replaced_by, self.status) {
            (Some(r), _) => write!(f, ", use {r}"),
            (None, LifecycleStatus::ShutDown) => f.write_str("; the provider named no replacement"),
            (None, _) => Ok(()),
        }
    }
}

impl Offer {
    /// The offer's status on `today` (the provider's calendar day, UTC).
    pub fn lifecycle_status(&self, today: NaiveDate) -> LifecycleStatus {
        match (self.shutdown_on, self.deprecated_on) {
            (Some(s), _) if s <= today => LifecycleStatus::ShutDown,
            (Some(_), _) => LifecycleStatus::Retiring,
            (None, Some(d)) if d <= today => LifecycleStatus::Deprecated,
            _ => LifecycleStatus::Live,
        }
    }

    pub fn is_shut_down(&self, today: NaiveDate) -> bool {
        self.shutdown_on.is_some_and(|s| s <= today)
    }
}

impl Catalog {
    /// The lifecycle note for an offer on `today`, with the replacement resolved to the
    /// first offer down the `replaced_by` chain that is not shut down. `None` when live.
    pub fn lifecycle(&self, offer: &Offer, today: NaiveDate) -> Option<LifecycleNote> {
        let status = offer.lifecycle_status(today);
        let on = match status {
            LifecycleStatus::Live => return None,
            LifecycleStatus::Deprecated => offer.deprecated_on?,
            LifecycleStatus::Retiring | LifecycleStatus::ShutDown => offer.shutdown_on?,
        };
        Some(LifecycleNote {
            status,
            on,
            replaced_by: self.live_replacement(offer, today),
        })
    }

    /// Follows `replaced_by` until an offer that is not shut down (cycles were refused
    /// when the catalog was loaded; the walk is bounded anyway).
    pub fn live_replacement(&self, offer: &Offer, today: NaiveDate) -> Option<Arc<str>> {
        let mut next = offer.replaced_by.as_deref();
        for _ in 0..self.offers().len() {
            let o = self.offer(next?)?;
            if !o.is_shut_down(today) {
                return Some(o.id.clone());
            }
            next = o.replaced_by.as_deref();
        }
        None
    }
}

/// Catalog-level lifecycle checks: every `replaced_by` names another offer of the
/// catalog, and following them never loops.
pub(crate) fn check_replacements(offers: &[Offer]) -> Result<(), CatalogError> {
    let ids: HashSet<&str> = offers.iter().map(|o| &*o.id).collect();
    for o in offers {
        let Some(r) = o.replaced_by.as_deref() else {
            continue;
        };
        if r == &*o.id {
            return Err(CatalogError::offer(
                &o.id,
                "replaced_by",
                "an offer cannot replace itself",
            ));
        }
        if !ids.contains(r) {
            return Err(CatalogError::offer(
                &o.id,
                "replaced_by",
                format!("`{r}` is not an offer of this catalog"),
            ));
        }
        let mut seen = HashSet::from([&*o.id]);
        let mut next = Some(r);
        while let Some(id) = next {
            if !seen.insert(id) {
                return Err(CatalogError::offer(
                    &o.id,
                    "replaced_by",
                    format!("replacements loop back to `{id}`"),
                ));
            }
            next = offers
                .iter()
                .find(|x| &*x.id == id)
                .and_then(|x| x.replaced_by.as_deref());
        }
    }
    Ok(())
}

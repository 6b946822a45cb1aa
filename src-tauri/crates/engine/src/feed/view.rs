//! What the UI and `proofsheet-cli catalog … --json` see of the catalog and its feed.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use vocab::{CatalogCheckOutcome, CatalogOrigin, LifecycleField};

macro_rules! ipc_type {
    ($($item:item)*) => {$(
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        $item
    )*};
}

ipc_type! {
    /// The catalog in use and the state of its feed.
    pub struct CatalogStatusView {
        pub version: String,
        /// YYYY-MM-DD: the day its prices were checked against the providers.
        pub published: String,
        /// Days since `published`: how old the prices are.
        pub age_days: u32,
        pub origin: CatalogOrigin,
        pub bundled_version: String,
        pub feed_url: String,
        pub default_feed_url: String,
        /// RFC 3339, the last check that reached the feed or failed to.
        pub last_checked_at: Option<String>,
        /// Why the last check failed (offline, refused feed), if it did.
        pub last_check_error: Option<String>,
        /// A verified update waiting for the user's OK.
        pub pending: Option<CatalogDiffView>,
        /// What "Restore previous" would bring back.
        pub previous: Option<CatalogRefView>,
        pub applied_at: Option<String>,
    }

    pub struct CatalogRefView {
        pub version: String,
        pub published: String,
        /// The catalog built into the app.
        pub bundled: bool,
    }

    /// What a check found.
    pub struct CatalogCheckView {
        pub outcome: CatalogCheckOutcome,
        pub feed_url: String,
        /// The verified update (also kept as the pending one) when there is one.
        pub diff: Option<CatalogDiffView>,
        pub message: String,
    }

    /// What applying an update would change.
    pub struct CatalogDiffView {
        pub from_version: String,
        pub from_published: String,
        pub to_version: String,
        pub to_published: String,
        pub price_changes: Vec<PriceChangeView>,
        pub added: Vec<OfferRefView>,
        pub removed: Vec<OfferRefView>,
        pub lifecycle_changes: Vec<LifecycleChangeView>,
        pub other_changes: Vec<OtherChangeView>,
    }

    pub struct PriceChangeView {
        pub offer_id: String,
        pub display_name: String,
        /// What was priced, e.g. "1024x1024 high".
        pub probe: String,
        /// None: no known price on that side.
        pub old_usd: Option<Decimal>,
        pub new_usd: Option<Decimal>,
        /// Change in percent, one decimal (e.g. "25.0", "-12.5").
        pub percent: Option<Decimal>,
    }

    pub struct OfferRefView {
        pub offer_id: String,
        pub display_name: String,
    }

    pub struct LifecycleChangeView {
        pub offer_id: String,
        pub display_name: String,
        pub field: LifecycleField,
        pub old: Option<String>,
        pub new: Option<String>,
    }

    pub struct OtherChangeView {
        pub offer_id: String,
        pub display_name: String,
        pub what: Vec<String>,
    }
}

impl From<pricing::CatalogDiff> for CatalogDiffView {
    fn from(d: pricing::CatalogDiff) -> Self {
        let r = |o: pricing::OfferRef| OfferRefView {
            offer_id: o.offer_id,
            display_name: o.display_name,
        };
        CatalogDiffView {
            from_version: d.from_version,
            from_published: d.from_published.to_string(),
            to_version: d.to_version,
            to_published: d.to_published.to_string(),
            price_changes: d
                .price_changes
                .into_iter()
                .map(|p| PriceChangeView {
                    offer_id: p.offer_id,
                    display_name: p.display_name,
                    probe: p.probe,
                    old_usd: p.old_usd,
                    new_usd: p.new_usd,
                    percent: p.percent,
                })
                .collect(),
            added: d.added.into_iter().map(r).collect(),
            removed: d.removed.into_iter().map(r).collect(),
            lifecycle_changes: d
                .lifecycle_changes
                .into_iter()
                .map(|c| LifecycleChangeView {
                    offer_id: c.offer_id,
                    display_name: c.display_name,
                    field: c.field,
                    old: c.old,
                    new: c.new,
                })
                .collect(),
            other_changes: d
                .other_changes
                .into_iter()
                .map(|c| OtherChangeView {
                    offer_id: c.offer_id,
                    display_name: c.display_name,
                    what: c.what,
                })
                .collect(),
        }
    }
}

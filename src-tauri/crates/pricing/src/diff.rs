//! What changes between two catalogs, in words a designer can check before accepting a
//! catalog update: prices per offer (old → new, percent), new offers, offers gone, and
//! lifecycle dates. Also the order of catalog versions (a feed older than what the app
//! has is refused).

use crate::catalog::{Catalog, Offer};
use crate::estimate::{EstimateContext, PriceSource, estimate};
use crate::operations::probe_request;
use crate::request::EstimateRequest;
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The size every price is compared at (the one every image model makes).
const PROBE_SIDE: u32 = 1024;

/// Everything a catalog update would change.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct CatalogDiff {
    pub from_version: String,
    pub from_published: NaiveDate,
    pub to_version: String,
    pub to_published: NaiveDate,
    /// One row per offer and quality whose 1024×1024 price changes.
    pub price_changes: Vec<PriceChange>,
    pub added: Vec<OfferRef>,
    /// Offers the new catalog no longer lists.
    pub removed: Vec<OfferRef>,
    pub lifecycle_changes: Vec<LifecycleChange>,
    /// Offers whose price formula changes elsewhere than at 1024×1024 (other sizes,
    /// modifiers) or whose capabilities, source or notes change.
    pub other_changes: Vec<OtherChange>,
}

impl CatalogDiff {
    /// Nothing at all would change.
    pub fn is_empty(&self) -> bool {
        self.price_changes.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.lifecycle_changes.is_empty()
            && self.other_changes.is_empty()
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OfferRef {
    pub offer_id: String,
    pub display_name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PriceChange {
    pub offer_id: String,
    pub display_name: String,
    /// What was priced, e.g. `1024x1024 high`, `1024x1024`, or for an offer that does not
    /// generate its first operation on a 1024×1024 image, e.g. `inpaint 1024x1024`.
    pub probe: String,
    /// `None` when that side has no known price.
    pub old_usd: Option<Decimal>,
    pub new_usd: Option<Decimal>,
    /// (new − old) / old × 100, one decimal; `None` when either side is unknown or old is 0.
    pub percent: Option<Decimal>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LifecycleChange {
    pub offer_id: String,
    pub display_name: String,
    pub field: vocab::LifecycleField,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OtherChange {
    pub offer_id: String,
    pub display_name: String,
    /// What changed, e.g. `price at other sizes or options`, `capabilities`, `source`.
    pub what: Vec<String>,
}

/// The changes from `old` to `new`.
pub fn diff_catalogs(old: &Catalog, new: &Catalog) -> CatalogDiff {
    // Lifecycle must not hide a price: compare as of a day before any shutdown.
    let ctx = EstimateContext {
        catalog_date: NaiveDate::MIN,
        ..EstimateContext::new(Utc.timestamp_opt(0, 0).single().unwrap_or_default())
    };
    let mut d = CatalogDiff {
        from_version: old.version.clone(),
        from_published: old.published,
        to_version: new.version.clone(),
        to_published: new.published,
        ..CatalogDiff::default()
    };
    for n in new.offers() {
        let Some(o) = old.offer(&n.id) else {
            d.added.push(offer_ref(n));
            continue;
        };
        let before = d.price_changes.len();
        price_changes(o, n, &ctx, &mut d.price_changes);
        lifecycle_changes(o, n, &mut d.lifecycle_changes);
        let mut what = Vec::new();
        if (o.formula != n.formula || o.modifiers != n.modifiers) && d.price_changes.len() == before
        {
            what.push("price at other sizes or options".to_owned());
        }
        if o.capabilities != n.capabilities {
            what.push("capabilities".to_owned());
        }
        if o.source != n.source || o.verified_on != n.verified_on {
            what.push("source".to_owned());
        }
        if o.model != n.model || o.provider != n.provider || o.tier != n.tier {
            what.push("model or tier".to_owned());
        }
        if !what.is_empty() {
            d.other_changes.push(OtherChange {
                offer_id: n.id.to_string(),
                display_name: n.display_name.to_string(),
                what,
            });
        }
    }
    d.removed = old
        .offers()
        .iter()
        .filter(|o| new.offer(&o.id).is_none())
        .map(offer_ref)
        .collect();
    d
}

fn offer_ref(o: &Offer) -> OfferRef {
    OfferRef {
        offer_id: o.id.to_string(),
        display_name: o.display_name.to_string(),
    }
}

/// The 1024×1024 price at each quality either side offers (or the default quality).
fn price_changes(o: &Offer, n: &Offer, ctx: &EstimateContext<'_>, out: &mut Vec<PriceChange>) {
    let mut qualities: Vec<Option<String>> = n
        .capabilities
        .qualities
        .iter()
        .chain(o.capabilities.qualities.iter())
        .map(|q| Some(q.to_string()))
        .collect();
    qualities.dedup();
    let mut seen = std::collections::HashSet::new();
    qualities.retain(|q| seen.insert(q.clone()));
    if qualities.is_empty() {
        qualities.push(None);
    }
    for q in qualities {
        // Offers that only edit or upscale are compared on their own operation.
        let mut req = probe_request(&n.capabilities, PROBE_SIDE);
        req.quality = q.clone();
        let old_usd = probe(o, &req, ctx);
        let new_usd = probe(n, &req, ctx);
        if old_usd == new_usd {
            continue;
        }
        let percent = match (old_usd, new_usd) {
            (Some(a), Some(b)) if !a.is_zero() => {
                Some(((b - a) / a * Decimal::ONE_HUNDRED).round_dp(1))
            }
            _ => None,
        };
        let op = match req.operation {
            vocab::Operation::Generate => String::new(),
            op => format!("{op} "),
        };
        let probe = match &q {
            Some(q) => format!("{op}{PROBE_SIDE}x{PROBE_SIDE} {q}"),
            None => format!("{op}{PROBE_SIDE}x{PROBE_SIDE}"),
        };
        out.push(PriceChange {
            offer_id: n.id.to_string(),
            display_name: n.display_name.to_string(),
            probe,
            old_usd,
            new_usd,
            percent,
        });
    }
}

/// One image's price, or `None` when unknown or the offer cannot make the request.
fn probe(offer: &Offer, req: &EstimateRequest, ctx: &EstimateContext<'_>) -> Option<Decimal> {
    // A quality the offer does not have would be snapped to another one: not comparable.
    if let Some(q) = &req.quality
        && !offer.capabilities.qualities.iter().any(|x| &**x == q)
    {
        return None;
    }
    let e = estimate(offer, req, ctx);
    (e.supported && e.source != PriceSource::Unknown).then_some(e.expected.normalize())
}

fn lifecycle_changes(o: &Offer, n: &Offer, out: &mut Vec<LifecycleChange>) {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let fields = [
        (
            vocab::LifecycleField::DeprecatedOn,
            date(o.deprecated_on),
            date(n.deprecated_on),
        ),
        (
            vocab::LifecycleField::ShutdownOn,
            date(o.shutdown_on),
            date(n.shutdown_on),
        ),
        (
            vocab::LifecycleField::ReplacedBy,
            o.replaced_by.as_deref().map(str::to_owned),
            n.replaced_by.as_deref().map(str::to_owned),
        ),
    ];
    for (field, old, new) in fields {
        if old != new {
            out.push(LifecycleChange {
                offer_id: n.id.to_string(),
                display_name: n.display_name.to_string(),
                field,
                old,
                new,
            });
        }
    }
}

/// Orders catalog versions: by `published`, then by the numbers in the version string
/// (`2026.11.29-2` after `2026.11.29-1`, `2026.12.1` after `2026.11.30`), then by text.
pub fn compare_versions(a: &Catalog, b: &Catalog) -> Ordering {
    a.published
        .cmp(&b.published)
        .then_with(|| version_numbers(&a.version).cmp(&version_numbers(&b.version)))
        .then_with(|| a.version.cmp(&b.version))
}

fn version_numbers(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().unwrap_or(u64::MAX))
        .collect()
}

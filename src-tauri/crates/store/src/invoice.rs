//! Spend items of a project for its invoice and CSV: one row per billed attempt (the
//! model actually paid, fallbacks included), per free successful call (a local server)
//! and per gallery reuse. The invoice and the CSV are both built from these rows, so
//! they cannot disagree (issue 12 §1.19.8).

use chrono::{DateTime, Utc};
use rusqlite::params;
use rust_decimal::Decimal;

use crate::Store;
use crate::error::Result;
use crate::money::from_nanos;
use crate::types::ProjectId;

/// What one spend item was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendKind {
    /// A call the provider billed (it may have failed: failures are billed too).
    Billed,
    /// A call that succeeded at no charge (a local server).
    Free,
    /// The request was already in the gallery: nothing sent, nothing charged.
    Reused,
}

/// One row of a project's spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendItem {
    pub at: DateTime<Utc>,
    pub generation_id: String,
    pub tier: crate::types::Tier,
    pub provider: String,
    pub model: String,
    pub offer_id: String,
    pub prompt: String,
    pub kind: SpendKind,
    /// The attempt's outcome (`succeeded`, `server_error`, …) or `reused`.
    pub outcome: String,
    /// Images this row delivered (0 for a failed call).
    pub images: u32,
    pub cost: Decimal,
    pub saved: Decimal,
    /// Charged at its estimate because the provider never confirmed the outcome.
    pub unconfirmed: bool,
}

impl Store {
    /// A project's spend items in `[from, to)` (UTC), oldest first.
    pub fn spend_items(
        &self,
        project: ProjectId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<SpendItem>> {
        let from = from.map_or(i64::MIN, |d| d.timestamp_millis());
        let to = to.map_or(i64::MAX, |d| d.timestamp_millis());
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT a.started_at, g.id, g.tier, a.provider, a.model, a.offer_id, g.prompt,
                        a.billed, coalesce(a.outcome, ''),
                        CASE WHEN a.outcome = 'succeeded'
                             THEN (SELECT count(*) FROM images i WHERE i.generation_id = g.id) ELSE 0 END,
                        a.cost_nanos, 0, a.n, a.unconfirmed
                 FROM attempts a JOIN generations g ON g.id = a.generation_id
                 WHERE g.project_id = ?1 AND a.started_at >= ?2 AND a.started_at < ?3
                   AND (a.billed = 1 OR a.outcome = 'succeeded')
                 UNION ALL
                 SELECT g.created_at, g.id, g.tier, g.provider, g.model, coalesce(g.offer_id, ''),
                        g.prompt, -1, 'reused',
                        (SELECT count(*) FROM images i WHERE i.generation_id = coalesce(g.reused_from, g.id)),
                        0, g.saved_nanos, 0, 0
                 FROM generations g
                 WHERE g.project_id = ?1 AND g.created_at >= ?2 AND g.created_at < ?3
                   AND g.status = 'reused'
                 ORDER BY 1, 2, 13",
            )?;
            let rows = st.query_map(params![project, from, to], |r| {
                let billed: i64 = r.get(7)?;
                Ok(SpendItem {
                    at: DateTime::from_timestamp_millis(r.get(0)?).unwrap_or_default(),
                    generation_id: r.get(1)?,
                    tier: r.get(2)?,
                    provider: r.get(3)?,
                    model: r.get(4)?,
                    offer_id: r.get(5)?,
                    prompt: r.get(6)?,
                    kind: match billed {
                        1 => SpendKind::Billed,
                        0 => SpendKind::Free,
                        _ => SpendKind::Reused,
                    },
                    outcome: r.get(8)?,
                    images: u32::try_from(r.get::<_, i64>(9)?).unwrap_or(0),
                    cost: from_nanos(r.get(10)?),
                    saved: from_nanos(r.get(11)?),
                    unconfirmed: r.get::<_, i64>(13)? != 0,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

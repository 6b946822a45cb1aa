//! Drift from real bills (issue 14 §5): the settled cost of each attempt beside its
//! estimate (and the charge the provider reported, when it did), read per offer newest
//! first; and the user's answer to a drift (accepted as a negotiated rate, or ignored).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::gallery::ms_to_time;
use crate::money::{from_nanos, to_nanos};
use crate::{Store, now_ms};

/// One settled attempt: what it was expected to cost and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftSample {
    pub attempt: i64,
    pub generation_id: String,
    pub offer_id: String,
    /// The call's estimate when it was sent.
    pub expected: Decimal,
    /// What it was charged.
    pub actual: Decimal,
    /// What the provider said it charged, when it reports one.
    pub reported: Option<Decimal>,
    pub finished_at: DateTime<Utc>,
}

/// The user's answer to a drift mark on one offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftDecision {
    pub offer_id: String,
    /// `accepted` (a negotiated rate was set from `ratio`) or `ignored`.
    pub action: String,
    /// Observed actual / estimate when the decision was made.
    pub ratio: Decimal,
    /// The newest attempt the decision saw: only later attempts can raise the mark again.
    pub through_attempt: i64,
    pub decided_at: DateTime<Utc>,
}

/// What makes an attempt evidence: settled, succeeded, billed, its charge confirmed and
/// not flagged for review (F8: an implausible amount teaches nothing), with an estimate.
const EVIDENCE: &str = "a.state = 'settled' AND a.outcome = 'succeeded' AND a.billed = 1 \
    AND a.unconfirmed = 0 AND a.review IS NULL AND a.expected_nanos > 0";

fn sample(r: &Row<'_>) -> rusqlite::Result<DriftSample> {
    Ok(DriftSample {
        attempt: r.get(0)?,
        generation_id: r.get(1)?,
        offer_id: r.get(2)?,
        expected: from_nanos(r.get(3)?),
        actual: from_nanos(r.get(4)?),
        reported: r.get::<_, Option<i64>>(5)?.map(from_nanos),
        finished_at: ms_to_time(r.get::<_, Option<i64>>(6)?.unwrap_or_default()),
    })
}

fn decision(r: &Row<'_>) -> rusqlite::Result<DriftDecision> {
    let ratio: String = r.get(2)?;
    Ok(DriftDecision {
        offer_id: r.get(0)?,
        action: r.get(1)?,
        ratio: ratio.parse().unwrap_or(Decimal::ONE),
        through_attempt: r.get(3)?,
        decided_at: ms_to_time(r.get(4)?),
    })
}

impl Store {
    /// The latest `per_offer` evidence attempts of every offer, grouped by offer, newest
    /// first within an offer.
    pub fn drift_samples(&self, per_offer: usize) -> Result<Vec<DriftSample>> {
        if per_offer == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(per_offer).unwrap_or(i64::MAX);
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT id, generation_id, offer_id, expected_nanos, cost_nanos, reported_nanos,
                        finished_at FROM (
                    SELECT a.*, row_number() OVER (PARTITION BY a.offer_id ORDER BY a.id DESC) AS rn
                    FROM attempts a WHERE {EVIDENCE})
                 WHERE rn <= ?1 ORDER BY offer_id, id DESC"
            ))?;
            let rows = st.query_map([limit], sample)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Records the charge a provider (or gateway) reported for an attempt, beside its
    /// estimate. A negative amount is not a charge and is not recorded.
    pub fn set_reported_cost(&self, attempt: i64, reported: Decimal) -> Result<()> {
        let nanos = to_nanos(reported)?;
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE attempts SET reported_nanos = ?2 WHERE id = ?1",
                params![attempt, nanos],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "attempt",
                    id: attempt.to_string(),
                });
            }
            Ok(())
        })
    }

    /// The reported charge of one attempt, if any.
    pub fn reported_cost(&self, attempt: i64) -> Result<Option<Decimal>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT reported_nanos FROM attempts WHERE id = ?1")?
                    .query_row([attempt], |r| r.get::<_, Option<i64>>(0))
                    .optional()?
                    .flatten()
                    .map(from_nanos),
            )
        })
    }

    pub fn drift_decisions(&self) -> Result<Vec<DriftDecision>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT offer_id, action, ratio, through_attempt, decided_at
                 FROM drift_decisions ORDER BY offer_id",
            )?;
            let rows = st.query_map([], decision)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Saves (or replaces) the decision on an offer's drift.
    pub fn set_drift_decision(
        &self,
        offer_id: &str,
        action: &str,
        ratio: Decimal,
        through_attempt: i64,
    ) -> Result<DriftDecision> {
        if !matches!(action, "accepted" | "ignored") {
            return Err(StoreError::InvalidInput(format!(
                "drift decision `{action}` is neither accepted nor ignored"
            )));
        }
        let at = now_ms();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO drift_decisions(offer_id, action, ratio, through_attempt, decided_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(offer_id) DO UPDATE SET action = excluded.action,
                    ratio = excluded.ratio, through_attempt = excluded.through_attempt,
                    decided_at = excluded.decided_at",
                params![offer_id, action, ratio.to_string(), through_attempt, at],
            )?;
            Ok(())
        })?;
        Ok(DriftDecision {
            offer_id: offer_id.to_owned(),
            action: action.to_owned(),
            ratio,
            through_attempt,
            decided_at: ms_to_time(at),
        })
    }
}

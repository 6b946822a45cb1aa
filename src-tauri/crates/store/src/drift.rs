//! Drift from real bills (issue 14 §5): the settled cost of each attempt beside its
//! estimate (and the charge the provider reported, when it did), read per offer newest
//! first; and the user's answer to a drift (accepted as a negotiated rate, or ignored).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use vocab::DriftStatus;

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
    /// `accepted` (a negotiated rate was set from `ratio`) or `ignored`; never `drifting`.
    pub action: DriftStatus,
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
        action: crate::error::closed_col(r, 1, "drift_decisions.action")?,
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
        action: DriftStatus,
        ratio: Decimal,
        through_attempt: i64,
    ) -> Result<DriftDecision> {
        if action == DriftStatus::Drifting {
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
                params![
                    offer_id,
                    action.as_str(),
                    ratio.to_string(),
                    through_attempt,
                    at
                ],
            )?;
            Ok(())
        })?;
        Ok(DriftDecision {
            offer_id: offer_id.to_owned(),
            action,
            ratio,
            through_attempt,
            decided_at: ms_to_time(at),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{CallSettle, CanonicalRequest, NewAttempt, NewGeneration, NewProject, Tier};

    const OFFER: &str = "recraft:recraftv3";

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// One generation with one sent attempt expected at $0.04, settled as `s`.
    fn settled(store: &Store, project: crate::ProjectId, s: CallSettle) -> i64 {
        let g = store
            .create_generation(&NewGeneration {
                project_id: project,
                request: CanonicalRequest {
                    prompt: "p".into(),
                    provider: vocab::OfferProvider::Recraft.to_string(),
                    model: "recraftv3".into(),
                    width: 1024,
                    height: 1024,
                    n: 1,
                    ..Default::default()
                },
                tier: Tier::Draft,
                parent_id: None,
                offer_id: Some(OFFER.into()),
                estimate: Some(d("0.04")),
                seed_honoured: true,
            })
            .unwrap();
        let a = store
            .start_sent_attempt(
                g,
                &NewAttempt {
                    provider: vocab::OfferProvider::Recraft,
                    model: "recraftv3".into(),
                    offer_id: OFFER.into(),
                    remote_job: None,
                },
                None,
                d("0.04"),
            )
            .unwrap();
        store.settle_call(a, &s, &[], None).unwrap();
        a
    }

    #[test]
    fn evidence_is_settled_billed_confirmed_unflagged_and_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let p = store
            .create_project(&NewProject {
                name: "Drift".into(),
                client: None,
                budget: None,
            })
            .unwrap()
            .id;
        let ok = |cost: &str| CallSettle {
            outcome: "succeeded".into(),
            billed: true,
            cost: d(cost),
            ..CallSettle::default()
        };
        let first = settled(&store, p, ok("0.05"));
        store.set_reported_cost(first, d("0.05")).unwrap();
        let second = settled(&store, p, ok("0.06"));
        // Not evidence: flagged for review, unconfirmed, a failure.
        settled(
            &store,
            p,
            CallSettle {
                review: Some("far off".into()),
                ..ok("0.4")
            },
        );
        settled(
            &store,
            p,
            CallSettle {
                unconfirmed: true,
                ..ok("0.04")
            },
        );
        settled(
            &store,
            p,
            CallSettle {
                outcome: "safety_block".into(),
                ..ok("0.04")
            },
        );
        let got = store.drift_samples(10).unwrap();
        let seen: Vec<(i64, Decimal, Decimal, Option<Decimal>)> = got
            .iter()
            .map(|s| (s.attempt, s.expected, s.actual, s.reported))
            .collect();
        assert_eq!(
            seen,
            vec![
                (second, d("0.04"), d("0.06"), None),
                (first, d("0.04"), d("0.05"), Some(d("0.05"))),
            ]
        );
        assert_eq!(store.drift_samples(1).unwrap().len(), 1, "the window");
        assert_eq!(store.reported_cost(first).unwrap(), Some(d("0.05")));
        assert!(store.set_reported_cost(9_999, d("0.01")).is_err());

        let dec = store
            .set_drift_decision(OFFER, DriftStatus::Ignored, d("1.375"), second)
            .unwrap();
        store
            .set_drift_decision(OFFER, DriftStatus::Accepted, d("1.375"), second)
            .unwrap();
        let all = store.drift_decisions().unwrap();
        assert_eq!(all.len(), 1, "one decision per offer");
        assert_eq!(
            (all[0].action, all[0].ratio, all[0].through_attempt),
            (DriftStatus::Accepted, d("1.375"), second)
        );
        assert_eq!(dec.action, DriftStatus::Ignored);
        assert!(
            store
                .set_drift_decision(OFFER, DriftStatus::Drifting, d("1"), 1)
                .is_err()
        );
    }
}

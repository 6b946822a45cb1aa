//! Calibration history: the settled costs of successful, billed, single-call attempts
//! that carry a calibration key (see [`Store::start_attempt_calibrated`]), so the
//! estimator can learn what a usage- or time-billed offer really costs for the same
//! parameters.

use rusqlite::{OptionalExtension, Row};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::error::Result;
use crate::money::from_nanos;

/// One observed actual cost of one offer for one calibration key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRow {
    pub offer_id: String,
    /// The request's calibration key (pricing's `ResolvedRequest::calibration_key`).
    pub key: String,
    /// What the attempt was charged.
    pub actual: Decimal,
}

/// What makes attempt `a` a sample: it has a key, it succeeded and was billed, and it is
/// its generation's only successful attempt (a request split over several calls never
/// gets a key, and this guards the rule at read time too), and its cost was not flagged
/// for review (F8: an implausible reported cost never teaches the estimator).
const SAMPLE_WHERE: &str = "a.calibration_key IS NOT NULL AND a.outcome = 'succeeded' \
    AND a.billed = 1 AND a.review IS NULL AND a.unconfirmed = 0 AND NOT EXISTS (SELECT 1 FROM attempts b \
        WHERE b.generation_id = a.generation_id AND b.outcome = 'succeeded' AND b.id <> a.id)";

fn row(r: &Row<'_>) -> rusqlite::Result<CalibrationRow> {
    Ok(CalibrationRow {
        offer_id: r.get(0)?,
        key: r.get(1)?,
        actual: from_nanos(r.get(2)?),
    })
}

impl Store {
    /// The latest `per_key_limit` samples of every (offer, key), grouped by offer and key
    /// and, within a group, oldest first (the order a calibration window is fed in).
    pub fn calibration_samples(&self, per_key_limit: usize) -> Result<Vec<CalibrationRow>> {
        if per_key_limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(per_key_limit).unwrap_or(i64::MAX);
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT offer_id, calibration_key, cost_nanos FROM (
                    SELECT a.offer_id, a.calibration_key, a.cost_nanos, a.finished_at, a.id,
                           row_number() OVER (PARTITION BY a.offer_id, a.calibration_key
                                              ORDER BY a.finished_at DESC, a.id DESC) AS rn
                    FROM attempts a WHERE {SAMPLE_WHERE})
                 WHERE rn <= ?1
                 ORDER BY offer_id, calibration_key, finished_at, id"
            ))?;
            let rows = st.query_map([limit], row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The sample attempt `attempt` contributes, if it is one (after it finished).
    pub fn calibration_sample(&self, attempt: i64) -> Result<Option<CalibrationRow>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT a.offer_id, a.calibration_key, a.cost_nanos FROM attempts a
                 WHERE a.id = ?1 AND {SAMPLE_WHERE}"
            ))?
            .query_row([attempt], row)
            .optional()?)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{AttemptFinish, CanonicalRequest, NewAttempt, NewGeneration, NewProject, Tier};

    const OFFER: &str = "openai:gpt-image-1";
    const KEY: &str = "1024x1024|q=low|n=1|steps=-|refs=0|standard";

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    struct Fx {
        _dir: tempfile::TempDir,
        store: Store,
        project: crate::ProjectId,
    }

    fn open() -> Fx {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let project = store
            .create_project(&NewProject {
                name: "Cal".into(),
                client: None,
                budget: None,
            })
            .unwrap()
            .id;
        Fx {
            _dir: dir,
            store,
            project,
        }
    }

    impl Fx {
        fn generation(&self) -> crate::GenerationId {
            self.store
                .create_generation(&NewGeneration {
                    project_id: self.project,
                    request: CanonicalRequest {
                        prompt: "p".into(),
                        provider: vocab::OfferProvider::OpenAi.to_string(),
                        model: "gpt-image-1".into(),
                        width: 1024,
                        height: 1024,
                        n: 1,
                        ..Default::default()
                    },
                    tier: Tier::Draft,
                    parent_id: None,
                    offer_id: Some(OFFER.into()),
                    estimate: None,
                    seed_honoured: true,
                })
                .unwrap()
        }

        /// One attempt on `g`, finished with `outcome`, billed, costing `cost`.
        fn attempt(
            &self,
            g: crate::GenerationId,
            offer: &str,
            key: Option<&str>,
            outcome: &str,
            cost: &str,
        ) -> i64 {
            let a = self
                .store
                .start_attempt_calibrated(
                    g,
                    &NewAttempt {
                        provider: vocab::OfferProvider::OpenAi,
                        model: "gpt-image-1".into(),
                        offer_id: offer.into(),
                        remote_job: None,
                    },
                    key,
                )
                .unwrap();
            self.store
                .finish_attempt(
                    a.id,
                    &AttemptFinish {
                        outcome: outcome.into(),
                        billed: outcome == "succeeded" || cost != "0",
                        cost: d(cost),
                        usage: None,
                        error: None,
                    },
                )
                .unwrap();
            a.id
        }
    }

    #[test]
    fn latest_samples_per_offer_and_key_oldest_first() {
        let fx = open();
        for i in 1..=4 {
            let g = fx.generation();
            fx.attempt(g, OFFER, Some(KEY), "succeeded", &format!("0.0{i}"));
        }
        let g = fx.generation();
        fx.attempt(g, OFFER, Some("other"), "succeeded", "0.5");
        let got = fx.store.calibration_samples(3).unwrap();
        let pairs: Vec<(&str, &str, Decimal)> = got
            .iter()
            .map(|r| (r.offer_id.as_str(), r.key.as_str(), r.actual))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (OFFER, KEY, d("0.02")),
                (OFFER, KEY, d("0.03")),
                (OFFER, KEY, d("0.04")),
                (OFFER, "other", d("0.5")),
            ],
            "the 3 latest of the first key, in order, and the only one of the second"
        );
        assert!(fx.store.calibration_samples(0).unwrap().is_empty());
    }

    #[test]
    fn only_keyed_successful_billed_single_success_attempts_count() {
        let fx = open();
        // Without a key (flat-priced offer, or a request split over calls).
        let g = fx.generation();
        fx.attempt(g, OFFER, None, "succeeded", "0.01");
        // A billed failure (safety block) with a key, then the success on the same offer.
        let g = fx.generation();
        let failed = fx.attempt(g, OFFER, Some(KEY), "safety_block", "0.3");
        let ok = fx.attempt(g, OFFER, Some(KEY), "succeeded", "0.07");
        // Two successes in one generation: not a single-call request, neither counts.
        let g = fx.generation();
        fx.attempt(g, OFFER, Some(KEY), "succeeded", "0.2");
        fx.attempt(g, OFFER, Some(KEY), "succeeded", "0.2");

        let got = fx.store.calibration_samples(20).unwrap();
        assert_eq!(
            got,
            vec![CalibrationRow {
                offer_id: OFFER.into(),
                key: KEY.into(),
                actual: d("0.07"),
            }]
        );
        assert_eq!(
            fx.store.calibration_sample(ok).unwrap(),
            Some(got[0].clone())
        );
        assert_eq!(fx.store.calibration_sample(failed).unwrap(), None);
        assert_eq!(fx.store.calibration_sample(9_999).unwrap(), None);
    }
}

//! History-based calibration for usage- and time-billed offers: once enough actual
//! costs are known for the same offer and parameters, the estimate is their median.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// One observed actual cost (the settled total of a request).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CalibrationSample {
    pub offer_id: String,
    /// [`crate::ResolvedRequest::calibration_key`] of the request that was settled.
    pub key: String,
    pub actual: Decimal,
}

/// Median and maximum of the recent samples for one (offer, key).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CalibratedCost {
    pub median: Decimal,
    pub max: Decimal,
    pub samples: usize,
}

#[derive(Clone, Debug)]
pub struct Calibration {
    min_samples: usize,
    window: usize,
    series: HashMap<(String, String), VecDeque<Decimal>>,
}

impl Default for Calibration {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MIN_SAMPLES, Self::DEFAULT_WINDOW)
    }
}

impl Calibration {
    /// Samples needed before the median replaces the catalog assumption.
    pub const DEFAULT_MIN_SAMPLES: usize = 5;
    /// Only the most recent samples count (prices and hardware drift).
    pub const DEFAULT_WINDOW: usize = 20;

    pub fn new(min_samples: usize, window: usize) -> Self {
        Self {
            min_samples: min_samples.max(1),
            window: window.max(1),
            series: HashMap::new(),
        }
    }

    /// Builds from samples in chronological order (oldest first).
    pub fn from_samples(samples: impl IntoIterator<Item = CalibrationSample>) -> Self {
        let mut c = Self::default();
        for s in samples {
            c.record(s);
        }
        c
    }

    pub fn record(&mut self, s: CalibrationSample) {
        let q = self.series.entry((s.offer_id, s.key)).or_default();
        q.push_back(s.actual);
        while q.len() > self.window {
            q.pop_front();
        }
    }

    /// The calibrated cost, when at least `min_samples` are known.
    pub fn lookup(&self, offer_id: &str, key: &str) -> Option<CalibratedCost> {
        // Owned key lookup: HashMap<(String, String)> cannot borrow as (&str, &str).
        let q = self.series.get(&(offer_id.to_owned(), key.to_owned()))?;
        if q.len() < self.min_samples {
            return None;
        }
        let mut v: Vec<Decimal> = q.iter().copied().collect();
        v.sort();
        let mid = v.len() / 2;
        let median = if v.len().is_multiple_of(2) {
            (v[mid - 1] + v[mid]) / Decimal::TWO
        } else {
            v[mid]
        };
        Some(CalibratedCost {
            median,
            max: v[v.len() - 1],
            samples: v.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn s(actual: Decimal) -> CalibrationSample {
        CalibrationSample {
            offer_id: "replicate:x".into(),
            key: "k".into(),
            actual,
        }
    }

    #[test]
    fn needs_min_samples_then_uses_median_and_max() {
        let mut c = Calibration::default();
        for a in [dec!(0.010), dec!(0.030), dec!(0.020), dec!(0.012)] {
            c.record(s(a));
        }
        assert_eq!(c.lookup("replicate:x", "k"), None);
        c.record(s(dec!(0.050)));
        let got = c.lookup("replicate:x", "k").expect("5 samples");
        assert_eq!(
            got,
            CalibratedCost {
                median: dec!(0.020),
                max: dec!(0.050),
                samples: 5
            }
        );
        c.record(s(dec!(0.040)));
        assert_eq!(
            c.lookup("replicate:x", "k").map(|x| x.median),
            Some(dec!(0.025))
        );
        assert_eq!(c.lookup("replicate:x", "other"), None);
    }

    #[test]
    fn window_keeps_only_recent_samples() {
        let mut c = Calibration::new(2, 3);
        for a in [dec!(9), dec!(9), dec!(1), dec!(1), dec!(2)] {
            c.record(s(a));
        }
        assert_eq!(
            c.lookup("replicate:x", "k")
                .map(|x| (x.median, x.max, x.samples)),
            Some((dec!(1), dec!(2), 3))
        );
    }
}

//! Prices (issue 13 §4): what offers really cost, beside what the catalog says. The
//! calibration history of usage- and time-billed offers and the cached drift list. The
//! catalog itself is part of the swapped configuration (`wiring`), since it is rebuilt
//! with the settings and the named gateways.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;

use crate::api::DriftView;

pub(crate) struct Prices {
    /// What usage- and time-billed offers really cost (DESIGN.md §3): loaded from the
    /// store's settled attempts at open, fed as each successful keyed attempt settles.
    /// Estimates take a snapshot (copy-on-write: a sample recorded while a snapshot is
    /// out clones the small map, estimates never hold the lock).
    calibration: RwLock<Arc<pricing::Calibration>>,
    /// Offers whose settled costs drifted from their estimates (`drift::list`):
    /// recomputed when stale (an attempt settled, a decision or the settings changed, or
    /// the cache's age passed).
    drift: RwLock<Option<(Instant, Arc<Vec<DriftView>>)>>,
}

impl Prices {
    pub fn new(calibration: pricing::Calibration) -> Self {
        Self {
            calibration: RwLock::new(Arc::new(calibration)),
            drift: RwLock::new(None),
        }
    }

    /// A snapshot of the calibration history for one round of estimates.
    pub fn calibration(&self) -> Arc<pricing::Calibration> {
        self.calibration.read().clone()
    }

    /// Learns one settled cost (after its attempt row is written, so memory never knows
    /// more than the store a restart loads from).
    pub fn learn(&self, sample: pricing::CalibrationSample) {
        Arc::make_mut(&mut *self.calibration.write()).record(sample);
    }

    /// The drift list is recomputed on next use (an attempt settled, a decision).
    pub fn forget_drift(&self) {
        *self.drift.write() = None;
    }

    /// The cached drift list, if computed less than `ttl` ago.
    pub fn cached_drift(&self, ttl: Duration) -> Option<Arc<Vec<DriftView>>> {
        match self.drift.read().as_ref() {
            Some((at, v)) if at.elapsed() < ttl => Some(v.clone()),
            _ => None,
        }
    }

    pub fn cache_drift(&self, views: Arc<Vec<DriftView>>) {
        *self.drift.write() = Some((Instant::now(), views));
    }
}

/// The context every estimate in the engine is made with: now, and the history.
pub(crate) fn estimate_ctx(calibration: &pricing::Calibration) -> pricing::EstimateContext<'_> {
    pricing::EstimateContext {
        calibration: Some(calibration),
        ..pricing::EstimateContext::new(chrono::Utc::now())
    }
}

/// A stored sample as pricing's calibration takes it.
pub(crate) fn sample_of(row: store::CalibrationRow) -> pricing::CalibrationSample {
    pricing::CalibrationSample {
        offer_id: row.offer_id,
        key: row.key,
        actual: row.actual,
    }
}

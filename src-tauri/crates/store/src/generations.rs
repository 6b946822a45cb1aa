//! Generations (one request to produce images) and their attempts (one provider call each).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use vocab::OfferProvider;

use crate::dedup::{CanonicalRequest, dedup_key};
use crate::error::{Result, StoreError, closed_col};
use crate::gallery::ms_to_time;
use crate::images::{ImageRecord, images_of};
use crate::money::{from_nanos, to_nanos};
use crate::types::{GenerationId, ProjectId, Status, Tier};
use crate::{Store, now_ms};

#[derive(Debug, Clone)]
pub struct NewGeneration {
    pub project_id: ProjectId,
    pub request: CanonicalRequest,
    pub tier: Tier,
    /// The draft this final was promoted from.
    pub parent_id: Option<GenerationId>,
    pub offer_id: Option<String>,
    pub estimate: Option<Decimal>,
    /// False for models that ignore seeds (the key then carries `seed: None`).
    pub seed_honoured: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationRecord {
    pub id: GenerationId,
    pub project_id: ProjectId,
    pub request: CanonicalRequest,
    pub dedup_key: String,
    pub seed_honoured: bool,
    pub tier: Tier,
    pub parent_id: Option<GenerationId>,
    pub reused_from: Option<GenerationId>,
    pub status: Status,
    pub estimate: Option<Decimal>,
    /// Total ever reserved for it (see [`Store::reserved_for`] for what is still held).
    pub reserved: Decimal,
    pub cost: Decimal,
    /// The part of `cost` booked as unconfirmed (see the ledger).
    pub unconfirmed: Decimal,
    pub saved: Decimal,
    pub offer_id: Option<String>,
    pub provider: OfferProvider,
    pub model: String,
    pub prompt: String,
    pub negative_prompt: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub(crate) const GEN_COLS: &str = "g.id, g.project_id, g.request_json, g.dedup_key, \
    g.seed_honoured, g.tier, g.parent_id, g.reused_from, g.status, g.estimate_nanos, \
    g.reserved_nanos, g.cost_nanos, g.saved_nanos, g.offer_id, g.provider, g.model, g.prompt, \
    g.negative_prompt, g.error, g.created_at, g.finished_at, g.unconfirmed_nanos";

pub(crate) fn uuid_col(r: &Row<'_>, i: usize) -> rusqlite::Result<GenerationId> {
    let s: String = r.get(i)?;
    uuid::Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn opt_uuid_col(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<GenerationId>> {
    match r.get::<_, Option<String>>(i)? {
        None => Ok(None),
        Some(_) => uuid_col(r, i).map(Some),
    }
}

pub(crate) fn gen_from_row(r: &Row<'_>) -> rusqlite::Result<GenerationRecord> {
    let request_json: String = r.get(2)?;
    let mut error: Option<String> = r.get(18)?;
    // One damaged row must not take the gallery down (F19): it is rebuilt from the row's
    // own columns (size and count unknown, so it cannot be re-run) and marked damaged.
    let request = match serde_json::from_str(&request_json) {
        Ok(req) => req,
        Err(e) => {
            let id: String = r.get(0)?;
            tracing::warn!(generation = %id, "damaged request record: {e}");
            let note = format!("the stored request of this generation is damaged ({e})");
            error = Some(match error {
                Some(old) => format!("{old}; {note}"),
                None => note,
            });
            CanonicalRequest {
                prompt: r.get(16)?,
                negative_prompt: r.get(17)?,
                seed: None,
                provider: r.get(14)?,
                model: r.get(15)?,
                model_version: None,
                width: 0,
                height: 0,
                quality: None,
                steps: None,
                style: None,
                n: 0,
                reference_image_hashes: Vec::new(),
                inputs: Default::default(),
            }
        }
    };
    Ok(GenerationRecord {
        id: uuid_col(r, 0)?,
        project_id: r.get(1)?,
        request,
        dedup_key: r.get(3)?,
        seed_honoured: r.get(4)?,
        tier: r.get(5)?,
        parent_id: opt_uuid_col(r, 6)?,
        reused_from: opt_uuid_col(r, 7)?,
        status: r.get(8)?,
        estimate: r.get::<_, Option<i64>>(9)?.map(from_nanos),
        reserved: from_nanos(r.get(10)?),
        cost: from_nanos(r.get(11)?),
        unconfirmed: from_nanos(r.get(21)?),
        saved: from_nanos(r.get(12)?),
        offer_id: r.get(13)?,
        provider: closed_col(r, 14, "generations.provider")?,
        model: r.get(15)?,
        prompt: r.get(16)?,
        negative_prompt: r.get(17)?,
        error,
        created_at: ms_to_time(r.get(19)?),
        finished_at: r.get::<_, Option<i64>>(20)?.map(ms_to_time),
    })
}

pub(crate) fn load_generation(c: &Connection, id: &str) -> Result<GenerationRecord> {
    c.prepare_cached(&format!(
        "SELECT {GEN_COLS} FROM generations g WHERE g.id = ?1"
    ))?
    .query_row([id], gen_from_row)
    .optional()?
    .ok_or_else(|| StoreError::not_found("generation", id))
}

#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub provider: OfferProvider,
    pub model: String,
    pub offer_id: String,
    /// Provider job handle for async APIs, so a restart polls instead of resubmitting.
    pub remote_job: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default)]
pub struct AttemptFinish {
    /// "succeeded" or an error class of the providers' taxonomy (e.g. "rate_limited").
    pub outcome: String,
    pub billed: bool,
    pub cost: Decimal,
    pub usage: Option<serde_json::Value>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub id: i64,
    pub generation_id: GenerationId,
    pub n: u32,
    pub provider: OfferProvider,
    pub model: String,
    pub offer_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub billed: bool,
    pub cost: Decimal,
    pub usage: Option<serde_json::Value>,
    pub remote_job: Option<serde_json::Value>,
    pub error: Option<String>,
    /// `prepared`, `sent`, `answered`, `unknown` or `settled` (see migration 6).
    pub state: String,
    /// The call's expected estimate, charged when its outcome is unknown.
    pub expected: Option<Decimal>,
    /// Its charge is booked but not proven by the provider.
    pub unconfirmed: bool,
    /// Why its charge needs a human look (e.g. a reported cost outside the plausible band).
    pub review: Option<String>,
    /// What recovery needs to finish an `answered` attempt (its durable files).
    pub resume: Option<serde_json::Value>,
    /// What the provider or gateway said the call cost (migration 8), beside `expected`.
    #[serde(default)]
    pub reported: Option<Decimal>,
}

pub(crate) const ATTEMPT_COLS: &str = "id, generation_id, n, provider, model, offer_id, started_at, \
    finished_at, outcome, billed, cost_nanos, usage_json, remote_job_json, error, state, \
    expected_nanos, unconfirmed, review, resume_json, reported_nanos";

pub(crate) fn json_col(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<serde_json::Value>> {
    match r.get::<_, Option<String>>(i)? {
        None => Ok(None),
        Some(s) => serde_json::from_str(&s).map(Some).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        }),
    }
}

pub(crate) fn attempt_from_row(r: &Row<'_>) -> rusqlite::Result<AttemptRecord> {
    Ok(AttemptRecord {
        id: r.get(0)?,
        generation_id: uuid_col(r, 1)?,
        n: r.get(2)?,
        provider: closed_col(r, 3, "attempts.provider")?,
        model: r.get(4)?,
        offer_id: r.get(5)?,
        started_at: ms_to_time(r.get(6)?),
        finished_at: r.get::<_, Option<i64>>(7)?.map(ms_to_time),
        outcome: r.get(8)?,
        billed: r.get(9)?,
        cost: from_nanos(r.get(10)?),
        usage: json_col(r, 11)?,
        remote_job: json_col(r, 12)?,
        error: r.get(13)?,
        state: r.get(14)?,
        expected: r.get::<_, Option<i64>>(15)?.map(from_nanos),
        unconfirmed: r.get(16)?,
        review: r.get(17)?,
        resume: json_col(r, 18)?,
        reported: r.get::<_, Option<i64>>(19)?.map(from_nanos),
    })
}

pub(crate) fn attempts_of(c: &Connection, gen_id: &str) -> Result<Vec<AttemptRecord>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {ATTEMPT_COLS} FROM attempts WHERE generation_id = ?1 ORDER BY n"
    ))?;
    let rows = st.query_map([gen_id], attempt_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A generation with everything the detail panel shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationDetail {
    pub generation: GenerationRecord,
    pub attempts: Vec<AttemptRecord>,
    pub images: Vec<ImageRecord>,
    pub parent: Option<GenerationRecord>,
    pub children: Vec<GenerationRecord>,
}

/// A generation left running by a previous process, for recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningGeneration {
    pub generation: GenerationRecord,
    /// Its last attempt; `remote_job` holds the provider job to poll (never resubmit).
    pub last_attempt: Option<AttemptRecord>,
    /// Money still held for it.
    pub reserved: Decimal,
    /// Engine instance that set it running (`None` for rows from before leases).
    pub owner: Option<String>,
}

/// A running generation's attempt waiting under a named remote job (a batch).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteJobAttempt {
    pub generation: GenerationRecord,
    pub attempt: AttemptRecord,
    /// Money the generation still holds.
    pub reserved: Decimal,
}

impl Store {
    /// Records a new queued generation and returns its id.
    pub fn create_generation(&self, new: &NewGeneration) -> Result<GenerationId> {
        let id = uuid::Uuid::new_v4();
        let key = dedup_key(&new.request);
        self.write(|tx| insert_generation(tx, id, new, &key, Status::Queued, None))?;
        Ok(id)
    }

    pub fn generation(&self, id: GenerationId) -> Result<GenerationRecord> {
        self.read(|c| load_generation(c, &id.to_string()))
    }

    /// Moves a generation to `to` if the lifecycle allows it; terminal states stamp
    /// `finished_at`.
    pub fn set_status(&self, id: GenerationId, to: Status, error: Option<&str>) -> Result<()> {
        let gid = id.to_string();
        self.write(|tx| {
            let from: Status = tx
                .prepare_cached("SELECT status FROM generations WHERE id = ?1")?
                .query_row([&gid], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found("generation", &gid))?;
            if !from.can_become(to) {
                return Err(StoreError::InvalidTransition {
                    id: gid.clone(),
                    from: from.to_string(),
                    to: to.to_string(),
                });
            }
            let finished = to.is_terminal().then(now_ms);
            tx.prepare_cached(
                "UPDATE generations SET status = ?2, error = coalesce(?3, error), finished_at = ?4
                 WHERE id = ?1",
            )?
            .execute(params![gid, to, error, finished])?;
            Ok(())
        })
    }

    /// `queued -> running`, recording the engine instance that runs it (its lease owner).
    pub fn start_running(&self, id: GenerationId, owner: &str) -> Result<()> {
        let gid = id.to_string();
        self.write(|tx| {
            let from: Status = tx
                .prepare_cached("SELECT status FROM generations WHERE id = ?1")?
                .query_row([&gid], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found("generation", &gid))?;
            if from != Status::Queued {
                return Err(StoreError::InvalidTransition {
                    id: gid.clone(),
                    from: from.to_string(),
                    to: Status::Running.to_string(),
                });
            }
            tx.prepare_cached(
                "UPDATE generations SET status = 'running', owner = ?2 WHERE id = ?1",
            )?
            .execute(params![gid, owner])?;
            Ok(())
        })
    }

    /// Takes over a running generation from `from` (its dead owner, or `None` for a row
    /// from before leases). Compare-and-set: false when it is no longer running or another
    /// process claimed it first.
    pub fn claim_running(&self, id: GenerationId, from: Option<&str>, to: &str) -> Result<bool> {
        let gid = id.to_string();
        self.write(|tx| {
            Ok(tx
                .prepare_cached(
                    "UPDATE generations SET owner = ?3
                     WHERE id = ?1 AND status = 'running' AND owner IS ?2",
                )?
                .execute(params![gid, from, to])?
                == 1)
        })
    }

    /// After a fallback to another offer: records the offer that actually ran and
    /// recomputes the dedup key from its request.
    pub fn set_generation_offer(
        &self,
        id: GenerationId,
        offer_id: &str,
        request: &CanonicalRequest,
    ) -> Result<()> {
        let key = dedup_key(request);
        let json = serde_json::to_string(request)?;
        let gid = id.to_string();
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE generations SET offer_id = ?2, request_json = ?3, dedup_key = ?4,
                    provider = ?5, model = ?6 WHERE id = ?1",
                params![gid, offer_id, json, key, request.provider, request.model],
            )?;
            if n == 0 {
                return Err(StoreError::not_found("generation", &gid));
            }
            Ok(())
        })
    }

    /// Opens attempt n+1 of a generation.
    pub fn start_attempt(&self, generation: GenerationId, a: &NewAttempt) -> Result<AttemptRecord> {
        self.start_attempt_calibrated(generation, a, None)
    }

    /// [`Store::start_attempt`] that also records the request's calibration key: pass one
    /// only for a usage- or time-billed offer whose request is made in this single call,
    /// so that, once it succeeds and is billed, its cost is a calibration sample
    /// (see [`Store::calibration_samples`]). Recorded at the start so a remote job
    /// finished by recovery after a restart still counts.
    pub fn start_attempt_calibrated(
        &self,
        generation: GenerationId,
        a: &NewAttempt,
        calibration_key: Option<&str>,
    ) -> Result<AttemptRecord> {
        let gid = generation.to_string();
        // No expected cost: recovery charges an unknown outcome at the generation's estimate.
        let id =
            self.write(|tx| crate::settle::insert_sent_in(tx, &gid, a, calibration_key, None))?;
        self.attempt(id)
    }

    pub fn attempt(&self, id: i64) -> Result<AttemptRecord> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {ATTEMPT_COLS} FROM attempts WHERE id = ?1"
            ))?
            .query_row([id], attempt_from_row)
            .optional()?
            .ok_or_else(|| StoreError::not_found("attempt", id))
        })
    }

    /// Saves the provider's job handle as soon as it is known (before polling).
    pub fn set_remote_job(&self, attempt: i64, job: &serde_json::Value) -> Result<()> {
        let text = serde_json::to_string(job)?;
        self.write(|tx| {
            if tx.execute(
                "UPDATE attempts SET remote_job_json = ?2 WHERE id = ?1",
                params![attempt, text],
            )? == 0
            {
                return Err(StoreError::not_found("attempt", attempt));
            }
            Ok(())
        })
    }

    pub fn finish_attempt(&self, attempt: i64, f: &AttemptFinish) -> Result<()> {
        let cost = to_nanos(f.cost)?;
        let usage = f.usage.as_ref().map(serde_json::to_string).transpose()?;
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE attempts SET finished_at = ?2, outcome = ?3, billed = ?4, cost_nanos = ?5,
                    usage_json = ?6, error = ?7, state = 'settled' WHERE id = ?1",
                params![attempt, now_ms(), f.outcome, f.billed, cost, usage, f.error],
            )?;
            if n == 0 {
                return Err(StoreError::not_found("attempt", attempt));
            }
            Ok(())
        })
    }

    pub fn attempts(&self, generation: GenerationId) -> Result<Vec<AttemptRecord>> {
        self.read(|c| attempts_of(c, &generation.to_string()))
    }

    /// Generations a previous process left `running`, oldest first, with their last attempt.
    pub fn running_generations(&self) -> Result<Vec<RunningGeneration>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&running_sql())?;
            let gens = st
                .query_map([], gen_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(gens.len());
            for generation in gens {
                let gid = generation.id.to_string();
                let last_attempt = c
                    .prepare_cached(&format!(
                        "SELECT {ATTEMPT_COLS} FROM attempts WHERE generation_id = ?1
                         ORDER BY n DESC LIMIT 1"
                    ))?
                    .query_row([&gid], attempt_from_row)
                    .optional()?;
                let reserved = from_nanos(crate::ledger::outstanding(c, &gid)?);
                let owner: Option<String> = c
                    .prepare_cached("SELECT owner FROM generations WHERE id = ?1")?
                    .query_row([&gid], |r| r.get(0))?;
                out.push(RunningGeneration {
                    generation,
                    last_attempt,
                    reserved,
                    owner,
                });
            }
            Ok(out)
        })
    }

    /// The running generations' attempts still `sent` under a named remote job (a batch
    /// waiting at its provider), each with its generation and the money that generation
    /// still holds, oldest generation first. The deferred list reads these: reading
    /// every running generation with its attempts instead cost ~500 statements per
    /// refresh while 100 jobs ran (issue 17).
    pub fn running_remote_jobs(&self) -> Result<Vec<RemoteJobAttempt>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {ATTEMPT_COLS} FROM attempts
                 WHERE state <> 'settled' AND state = 'sent' AND remote_job_json IS NOT NULL
                 ORDER BY id"
            ))?;
            let attempts = st
                .query_map([], attempt_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(attempts.len());
            for a in attempts {
                let gid = a.generation_id.to_string();
                let generation = load_generation(c, &gid)?;
                if generation.status != Status::Running {
                    continue;
                }
                let reserved = from_nanos(crate::ledger::outstanding(c, &gid)?);
                out.push(RemoteJobAttempt {
                    generation,
                    attempt: a,
                    reserved,
                });
            }
            out.sort_by_key(|r| (r.generation.created_at, r.attempt.n));
            Ok(out)
        })
    }

    /// Names of the boards holding any image of a generation, sorted.
    pub fn generation_boards(&self, id: GenerationId) -> Result<Vec<String>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT DISTINCT b.name FROM images i
                 JOIN board_images bi ON bi.image_id = i.id
                 JOIN boards b ON b.id = bi.board_id
                 WHERE i.generation_id = ?1 ORDER BY b.name",
            )?;
            let rows = st.query_map([id.to_string()], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Number of generations of a project, whatever their status.
    pub fn generation_count(&self, project: ProjectId) -> Result<u64> {
        self.read(|c| {
            let n: i64 = c
                .prepare_cached("SELECT count(*) FROM generations WHERE project_id = ?1")?
                .query_row([project], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    /// One generation with attempts, images, parent and children (draft → final lineage).
    pub fn generation_detail(&self, id: GenerationId) -> Result<GenerationDetail> {
        let gid = id.to_string();
        self.read(|c| {
            let generation = load_generation(c, &gid)?;
            let parent = match generation.parent_id {
                Some(p) => Some(load_generation(c, &p.to_string())?),
                None => None,
            };
            let mut st = c.prepare_cached(&format!(
                "SELECT {GEN_COLS} FROM generations g WHERE g.parent_id = ?1 ORDER BY g.created_at"
            ))?;
            let children = st
                .query_map([&gid], gen_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(GenerationDetail {
                attempts: attempts_of(c, &gid)?,
                images: images_of(c, &gid)?,
                generation,
                parent,
                children,
            })
        })
    }
}

/// The one INSERT of a generation row (queued, or running under `owner` when single
/// flight claims it), in the caller's transaction.
pub(crate) fn insert_generation(
    c: &Connection,
    id: GenerationId,
    new: &NewGeneration,
    key: &str,
    status: Status,
    owner: Option<&str>,
) -> Result<()> {
    let json = serde_json::to_string(&new.request)?;
    let estimate = new.estimate.map(to_nanos).transpose()?;
    let neg = new
        .request
        .negative_prompt
        .as_deref()
        .filter(|s| !s.trim().is_empty());
    c.prepare_cached(
        "INSERT INTO generations(id, project_id, request_json, dedup_key, seed_honoured, tier,
            parent_id, status, estimate_nanos, offer_id, provider, model, prompt,
            negative_prompt, created_at, owner)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        id.to_string(),
        new.project_id,
        json,
        key,
        new.seed_honoured,
        new.tier,
        new.parent_id.map(|p| p.to_string()),
        status,
        estimate,
        new.offer_id,
        new.request.provider,
        new.request.model,
        new.request.prompt,
        neg,
        now_ms(),
        owner,
    ])
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::InvalidInput(format!(
                "project {} or parent generation does not exist",
                new.project_id
            ))
        }
        e => e.into(),
    })?;
    crate::inputs::insert_inputs(c, &id.to_string(), &new.request.inputs)?;
    Ok(())
}

/// The running generations, oldest first. The IN term is what lets SQLite use the partial
/// index `generations_active` (status IN ('queued','running')): `status = 'running'`
/// alone does not imply the index's WHERE, and scanned every generation (220 ms on a
/// 100,000-image library, at every start, every recovery pass and every refresh of the
/// deferred list; issue 17). `query_plans` tests hold it.
pub(crate) fn running_sql() -> String {
    format!(
        "SELECT {GEN_COLS} FROM generations g
         WHERE g.status IN ('queued', 'running') AND g.status = 'running'
         ORDER BY g.created_at"
    )
}

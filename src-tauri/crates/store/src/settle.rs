//! The money path of one provider call (issue 11): attempt states, one-transaction
//! settlement with its images, unconfirmed charges and their reconciliation, and the
//! in-flight claim behind single flight.
//!
//! An attempt moves `prepared → sent → (answered | unknown) → settled`:
//! - `sent` is written before the request leaves ([`Store::start_sent_attempt`]);
//! - `answered` once the response is in hand and its files are durable
//!   ([`Store::mark_answered`] names them, so recovery can finish the attempt);
//! - `unknown` when an unconfirmed charge was booked while a provider job may still be
//!   reconciled; `settled` when the charge is final (it may still be unconfirmed, awaiting
//!   the user's confirm or refund).

use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::files::StoredFile;
use crate::generations::{
    ATTEMPT_COLS, AttemptRecord, GenerationRecord, NewAttempt, NewGeneration, attempt_from_row,
    insert_generation, load_generation,
};
use crate::ledger::{charge_true_in, insert_entry, release_in};
use crate::money::{from_nanos, to_nanos};
use crate::types::{GenerationId, ProjectId, Status};
use crate::{Store, now_ms};

/// A generation as its settlement left it, read in the settlement's transaction.
#[derive(Debug, Clone)]
pub struct SettledGeneration {
    pub generation: GenerationRecord,
    pub images: Vec<crate::ImageRecord>,
    pub attempts: Vec<AttemptRecord>,
}

impl Store {
    /// A generation with its images and attempts, as committed (one pooled reader).
    pub fn settled_generation(&self, generation: GenerationId) -> Result<SettledGeneration> {
        self.read(|c| SettledGeneration::load_in(c, generation))
    }
}

impl SettledGeneration {
    fn load_in(c: &Connection, generation: GenerationId) -> Result<Self> {
        let id = generation.to_string();
        Ok(Self {
            generation: load_generation(c, &id)?,
            images: crate::images::images_of(c, &id)?,
            attempts: crate::generations::attempts_of(c, &id)?,
        })
    }
}

/// How one call ended, booked in one transaction with its images.
#[derive(Debug, Clone, Default)]
pub struct CallSettle {
    /// "succeeded" or an error class name.
    pub outcome: String,
    /// A charge is booked for it (confirmed or not).
    pub billed: bool,
    pub cost: Decimal,
    /// The provider never proved the charge (outcome unknown, job abandoned).
    pub unconfirmed: bool,
    pub usage: Option<serde_json::Value>,
    pub error: Option<String>,
    pub review: Option<String>,
    /// Leave the attempt `unknown`: its remote job may still be polled to reconcile.
    pub reconcilable: bool,
}

/// One output of a call whose file is already durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewImage {
    pub idx: u32,
    pub file: StoredFile,
    pub seed: Option<i64>,
}

/// An unconfirmed charge, for the user to confirm or refund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnconfirmedCharge {
    pub attempt: AttemptRecord,
    pub project: String,
    pub prompt: String,
    pub generation_status: Status,
}

/// What [`Store::claim_generation`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This request is the one in flight now.
    Created(GenerationId),
    /// An identical request is queued or running (owner = its engine instance).
    InFlight {
        generation: GenerationId,
        owner: Option<String>,
    },
}

fn attempt_generation(c: &Connection, attempt: i64) -> Result<String> {
    c.prepare_cached("SELECT generation_id FROM attempts WHERE id = ?1")?
        .query_row([attempt], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("attempt", attempt))
}

fn load_attempt(c: &Connection, attempt: i64) -> Result<AttemptRecord> {
    c.prepare_cached(&format!(
        "SELECT {ATTEMPT_COLS} FROM attempts WHERE id = ?1"
    ))?
    .query_row([attempt], attempt_from_row)
    .optional()?
    .ok_or_else(|| StoreError::not_found("attempt", attempt))
}

pub(crate) fn insert_image_in(c: &Connection, gen_id: &str, img: &NewImage) -> Result<i64> {
    let project: ProjectId = c
        .prepare_cached("SELECT project_id FROM generations WHERE id = ?1")?
        .query_row([gen_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("generation", gen_id))?;
    let f = &img.file;
    c.prepare_cached(
        "INSERT INTO files(hash, path, mime, bytes, width, height, thumb_path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(hash) DO NOTHING",
    )?
    .execute(params![
        f.hash,
        f.path,
        f.mime.as_str(),
        i64::try_from(f.bytes).unwrap_or(i64::MAX),
        f.width,
        f.height,
        f.thumb_path
    ])?;
    let file_id: i64 = c
        .prepare_cached("SELECT id FROM files WHERE hash = ?1")?
        .query_row([&f.hash], |r| r.get(0))?;
    c.prepare_cached(
        "INSERT INTO images(generation_id, project_id, file_id, idx, seed, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        gen_id,
        project,
        file_id,
        img.idx,
        img.seed,
        now_ms()
    ])?;
    Ok(c.last_insert_rowid())
}

fn set_status_in(c: &Connection, gen_id: &str, to: Status, error: Option<&str>) -> Result<()> {
    let from: Status = c
        .prepare_cached("SELECT status FROM generations WHERE id = ?1")?
        .query_row([gen_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("generation", gen_id))?;
    if !from.can_become(to) {
        return Err(StoreError::InvalidTransition {
            id: gen_id.to_owned(),
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    c.prepare_cached(
        "UPDATE generations SET status = ?2, error = coalesce(?3, error), finished_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![gen_id, to, error, to.is_terminal().then(now_ms)])?;
    Ok(())
}

/// [`Store::start_sent_attempt`] inside the caller's transaction (the caller requests the
/// WAL sync after its commit). `expected: None` leaves `expected_nanos` NULL (an attempt
/// of [`Store::start_attempt`]: recovery then charges an unknown outcome at the
/// generation's estimate).
pub(crate) fn insert_sent_in(
    tx: &Connection,
    gid: &str,
    a: &NewAttempt,
    calibration_key: Option<&str>,
    expected: Option<Decimal>,
) -> Result<i64> {
    let remote = a
        .remote_job
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let expected = expected
        .map(|e| to_nanos(e.max(Decimal::ZERO)))
        .transpose()?;
    // Its generation must exist (a cheap probe: no need to load and parse the row).
    tx.prepare_cached("SELECT 1 FROM generations WHERE id = ?1")?
        .query_row([gid], |_| Ok(()))
        .optional()?
        .ok_or_else(|| StoreError::not_found("generation", gid))?;
    tx.prepare_cached(
        "INSERT INTO attempts(generation_id, n, provider, model, offer_id, started_at,
            remote_job_json, calibration_key, state, expected_nanos)
         VALUES (?1, (SELECT coalesce(max(n), 0) + 1 FROM attempts WHERE generation_id = ?1),
            ?2, ?3, ?4, ?5, ?6, ?7, 'sent', ?8)",
    )?
    .execute(params![
        gid,
        a.provider.as_str(),
        a.model,
        a.offer_id,
        now_ms(),
        remote,
        calibration_key,
        expected
    ])?;
    Ok(tx.last_insert_rowid())
}

impl Store {
    /// Opens attempt n+1 of a generation as `sent`: written before the request leaves, so
    /// a crash or a power cut from here on is booked as an unconfirmed charge at
    /// `expected` (F3). Committed kill-safe; the WAL sync that makes it power-safe is
    /// requested, not waited for: it runs while the request is in flight.
    pub fn start_sent_attempt(
        &self,
        generation: GenerationId,
        a: &NewAttempt,
        calibration_key: Option<&str>,
        expected: Decimal,
    ) -> Result<i64> {
        let gid = generation.to_string();
        // Durable against a kill at commit; against a power cut once the sync it requests
        // has run, about a millisecond later (see `write_then_sync`).
        self.write_then_sync(|tx| insert_sent_in(tx, &gid, a, calibration_key, Some(expected)))
    }

    /// `sent → answered`: the response is in hand and the files `resume` names are durable.
    pub fn mark_answered(&self, attempt: i64, resume: &serde_json::Value) -> Result<()> {
        let text = serde_json::to_string(resume)?;
        self.write(|tx| {
            if tx.execute(
                "UPDATE attempts SET state = 'answered', resume_json = ?2 WHERE id = ?1",
                params![attempt, text],
            )? == 0
            {
                return Err(StoreError::not_found("attempt", attempt));
            }
            Ok(())
        })
    }

    /// Durably writes one image file (temp, fsync, rename; content-addressed) with its
    /// thumbnail, before any row names it. Call this before [`Store::settle_call`].
    pub fn write_image_file(&self, bytes: &[u8]) -> Result<StoredFile> {
        match image::guess_format(bytes) {
            Ok(image::ImageFormat::Png) => crate::thumbs::store_png(self.root(), bytes),
            _ => crate::files::store_bytes(self.root(), bytes),
        }
    }

    /// Settles one call in ONE transaction (F4): closes the attempt, books its charge at
    /// the true amount (F7), inserts the rows of its already-durable images and, with
    /// `finish`, releases the rest of the reservation and sets the generation's status.
    /// A crash before the commit leaves the attempt `sent`/`answered` for recovery; after
    /// it, nothing is half-done. Returns the amount charged.
    pub fn settle_call(
        &self,
        attempt: i64,
        s: &CallSettle,
        images: &[NewImage],
        finish: Option<(Status, Option<String>)>,
    ) -> Result<Decimal> {
        let charged = self.write(|tx| settle_in(tx, attempt, s, images, finish.as_ref()))?;
        if !images.is_empty() {
            self.index_soon();
        }
        Ok(charged)
    }

    /// `sent → answered → settled` in ONE commit, for a successful call whose images are
    /// already durable: [`Store::mark_answered`] (with the provider's reported cost) and
    /// [`Store::settle_call`] in one transaction instead of three. A crash before the
    /// commit leaves the attempt `sent` (recovery books it, as when a crash came before
    /// `answered` was written); after it, the attempt is settled. If this fails, call the
    /// two steps separately, so a settlement that cannot commit still leaves `answered`.
    /// With `read_back`, that generation is read in the same transaction, as committed.
    #[allow(
        clippy::too_many_arguments,
        reason = "one successful call's parts, each its own type; the read-back is what the caller needs next"
    )]
    pub fn answer_and_settle(
        &self,
        attempt: i64,
        resume: &serde_json::Value,
        reported: Option<Decimal>,
        s: &CallSettle,
        images: &[NewImage],
        finish: Option<(Status, Option<String>)>,
        read_back: Option<GenerationId>,
    ) -> Result<(Decimal, Option<SettledGeneration>)> {
        let text = serde_json::to_string(resume)?;
        let reported = reported.map(to_nanos).transpose()?;
        let out = self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE attempts SET state = 'answered', resume_json = ?2,
                        reported_nanos = coalesce(?3, reported_nanos) WHERE id = ?1",
                )?
                .execute(params![attempt, text, reported])?;
            if n == 0 {
                return Err(StoreError::not_found("attempt", attempt));
            }
            let charged = settle_in(tx, attempt, s, images, finish.as_ref())?;
            // Read on the writer, whose page cache holds what was just written (a pooled
            // reader would re-read those pages from the file: its cache is stale after
            // any write).
            let settled = read_back
                .map(|g| SettledGeneration::load_in(tx, g))
                .transpose()?;
            Ok((charged, settled))
        })?;
        if !images.is_empty() {
            self.index_soon();
        }
        Ok(out)
    }

    /// Releases what the generation still holds and sets its final status, in one
    /// transaction. Returns the amount released.
    pub fn finish_generation(
        &self,
        generation: GenerationId,
        status: Status,
        error: Option<&str>,
    ) -> Result<Decimal> {
        let gid = generation.to_string();
        self.write(|tx| {
            let released = release_in(tx, &gid)?;
            set_status_in(tx, &gid, status, error)?;
            Ok(from_nanos(released))
        })
    }

    /// Attempts still open after their generation ended (`unknown`: an unconfirmed charge
    /// whose provider job may still be reconciled), oldest first.
    pub fn reconcilable_attempts(&self) -> Result<Vec<(GenerationRecord, AttemptRecord)>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&reconcilable_sql())?;
            let attempts = st
                .query_map([], attempt_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(attempts.len());
            for a in attempts {
                let g = load_generation(c, &a.generation_id.to_string())?;
                if g.status.is_terminal() {
                    out.push((g, a));
                }
            }
            Ok(out)
        })
    }

    /// Stops reconciling an `unknown` attempt: its unconfirmed charge stays for the user
    /// to confirm or refund, with `why` recorded.
    pub fn close_reconcile(&self, attempt: i64, why: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE attempts SET state = 'settled', review = coalesce(review, ?2)
                 WHERE id = ?1 AND state = 'unknown'",
                params![attempt, why],
            )?;
            Ok(())
        })
    }

    /// Charges a generation at the true amount, above its reservation if need be (F7).
    pub fn charge_true(&self, generation: GenerationId, amount: Decimal) -> Result<()> {
        let nanos = to_nanos(amount.max(Decimal::ZERO))?;
        let gid = generation.to_string();
        self.write(|tx| charge_true_in(tx, &gid, nanos, false))
    }

    /// Unconfirmed charges, newest first (optionally of one project).
    pub fn unconfirmed_charges(
        &self,
        project: Option<ProjectId>,
    ) -> Result<Vec<UnconfirmedCharge>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT a.id, p.name, g.prompt, g.status FROM attempts a
                 JOIN generations g ON g.id = a.generation_id
                 JOIN projects p ON p.id = g.project_id
                 WHERE a.unconfirmed = 1 AND (?1 IS NULL OR g.project_id = ?1)
                 ORDER BY a.id DESC",
            )?;
            let rows = st
                .query_map([project], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Status>(3)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(id, project, prompt, generation_status)| {
                    Ok(UnconfirmedCharge {
                        attempt: load_attempt(c, id)?,
                        project,
                        prompt,
                        generation_status,
                    })
                })
                .collect()
        })
    }

    /// Reconciles an unconfirmed charge: `actual` is what the provider proved it billed
    /// (`None`: keep the booked amount). Below the booked amount the difference is
    /// refunded; above it the extra is charged at its true amount (F7). The attempt is
    /// settled. Returns the net change of spent.
    pub fn confirm_charge(&self, attempt: i64, actual: Option<Decimal>) -> Result<Decimal> {
        let actual = actual.map(|a| to_nanos(a.max(Decimal::ZERO))).transpose()?;
        self.write(|tx| {
            let a = load_attempt(tx, attempt)?;
            if !a.unconfirmed {
                return Err(StoreError::InvalidInput(format!(
                    "attempt {attempt} has no unconfirmed charge"
                )));
            }
            let gid = a.generation_id.to_string();
            let booked = to_nanos(a.cost)?;
            let actual = actual.unwrap_or(booked);
            let (project, _) = project_of(tx, &gid)?;
            let kept = booked.min(actual);
            if booked > actual {
                refund_in(tx, project, &gid, booked - actual)?;
            }
            if kept > 0 {
                insert_entry(tx, project, Some(&gid), "confirm", kept)?;
                tx.execute(
                    "UPDATE generations SET unconfirmed_nanos = unconfirmed_nanos - ?2 WHERE id = ?1",
                    params![gid, kept],
                )?;
            }
            if actual > booked {
                charge_true_in(tx, &gid, actual - booked, false)?;
                // The top-up for a settled generation is released at once.
                if load_generation(tx, &gid)?.status.is_terminal() {
                    release_in(tx, &gid)?;
                }
            }
            tx.execute(
                "UPDATE attempts SET unconfirmed = 0, cost_nanos = ?2, billed = ?3, state = 'settled'
                 WHERE id = ?1",
                params![attempt, actual, actual > 0],
            )?;
            Ok(from_nanos(actual) - from_nanos(booked))
        })
    }

    /// Refunds an unconfirmed charge in full (the provider proved it did not bill, or the
    /// user checked their provider dashboard). Returns the amount refunded.
    pub fn refund_charge(&self, attempt: i64, why: &str) -> Result<Decimal> {
        self.write(|tx| {
            let a = load_attempt(tx, attempt)?;
            if !a.unconfirmed {
                return Err(StoreError::InvalidInput(format!(
                    "attempt {attempt} has no unconfirmed charge"
                )));
            }
            let gid = a.generation_id.to_string();
            let booked = to_nanos(a.cost)?;
            let (project, _) = project_of(tx, &gid)?;
            refund_in(tx, project, &gid, booked)?;
            tx.execute(
                "UPDATE attempts SET unconfirmed = 0, cost_nanos = 0, billed = 0, state = 'settled',
                    review = ?2 WHERE id = ?1",
                params![attempt, why],
            )?;
            Ok(from_nanos(booked))
        })
    }

    /// Single flight (F13): in one IMMEDIATE transaction, either finds a queued or running
    /// generation with the same dedup key (any process) or creates this one and sets it
    /// running under `owner`. Two identical requests can never both be created.
    pub fn claim_generation(
        &self,
        id: GenerationId,
        new: &NewGeneration,
        owner: &str,
    ) -> Result<Claim> {
        let key = crate::dedup::dedup_key(&new.request);
        let twin: Option<(String, Option<String>)> = self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, owner FROM generations
                 WHERE dedup_key = ?1 AND status IN ('queued', 'running') LIMIT 1",
            )?
            .query_row([&key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
        })?;
        if let Some((id, owner)) = twin {
            return Ok(Claim::InFlight {
                generation: parse_id(&id)?,
                owner,
            });
        }
        self.create_generation_running(id, new, owner, &key)
    }

    fn create_generation_running(
        &self,
        id: GenerationId,
        new: &NewGeneration,
        owner: &str,
        key: &str,
    ) -> Result<Claim> {
        self.write(|tx| {
            // Re-checked under the write lock: the read above may be stale.
            let twin: Option<(String, Option<String>)> = tx
                .prepare_cached(
                    "SELECT id, owner FROM generations
                     WHERE dedup_key = ?1 AND status IN ('queued', 'running') LIMIT 1",
                )?
                .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((id, owner)) = twin {
                return Ok(Claim::InFlight {
                    generation: parse_id(&id)?,
                    owner,
                });
            }
            insert_generation(tx, id, new, key, Status::Running, Some(owner))?;
            Ok(Claim::Created(id))
        })
    }

    /// The status and owner of a generation (single flight polls this while it waits).
    pub fn generation_status(&self, id: GenerationId) -> Result<(Status, Option<String>)> {
        self.read(|c| {
            c.prepare_cached("SELECT status, owner FROM generations WHERE id = ?1")?
                .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .ok_or_else(|| StoreError::not_found("generation", id))
        })
    }
}

/// The body of [`Store::settle_call`], inside the caller's transaction.
fn settle_in(
    tx: &Connection,
    attempt: i64,
    s: &CallSettle,
    images: &[NewImage],
    finish: Option<&(Status, Option<String>)>,
) -> Result<Decimal> {
    let cost = to_nanos(s.cost.max(Decimal::ZERO))?;
    let usage = s.usage.as_ref().map(serde_json::to_string).transpose()?;
    let state = if s.reconcilable { "unknown" } else { "settled" };
    let gid = attempt_generation(tx, attempt)?;
    tx.prepare_cached(
        "UPDATE attempts SET finished_at = ?2, outcome = ?3, billed = ?4, cost_nanos = ?5,
            usage_json = ?6, error = ?7, unconfirmed = ?8, review = ?9, state = ?10
         WHERE id = ?1",
    )?
    .execute(params![
        attempt,
        now_ms(),
        s.outcome,
        s.billed && cost > 0,
        if s.billed { cost } else { 0 },
        usage,
        s.error,
        s.billed && s.unconfirmed && cost > 0,
        s.review,
        state
    ])?;
    if s.billed {
        charge_true_in(tx, &gid, cost, s.unconfirmed)?;
    }
    for img in images {
        insert_image_in(tx, &gid, img)?;
    }
    if let Some((status, error)) = finish {
        release_in(tx, &gid)?;
        set_status_in(tx, &gid, *status, error.as_deref())?;
    }
    Ok(if s.billed {
        from_nanos(cost)
    } else {
        Decimal::ZERO
    })
}

pub(crate) fn parse_id(s: &str) -> Result<GenerationId> {
    uuid::Uuid::parse_str(s)
        .map_err(|e| StoreError::Corrupt(format!("generation id {s:?} is not a UUID: {e}")))
}

fn project_of(c: &Connection, gen_id: &str) -> Result<(ProjectId, Status)> {
    c.prepare_cached("SELECT project_id, status FROM generations WHERE id = ?1")?
        .query_row([gen_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::not_found("generation", gen_id))
}

/// Gives back part of an unconfirmed charge: spent and unconfirmed go down together.
fn refund_in(c: &Connection, project: ProjectId, gen_id: &str, nanos: i64) -> Result<()> {
    if nanos <= 0 {
        return Ok(());
    }
    insert_entry(c, project, Some(gen_id), "refund", nanos)?;
    c.execute(
        "UPDATE generations SET cost_nanos = cost_nanos - ?2,
            unconfirmed_nanos = unconfirmed_nanos - ?2 WHERE id = ?1",
        params![gen_id, nanos],
    )?;
    Ok(())
}

/// Attempts left `unknown`, oldest first. `state <> 'settled'` lets SQLite use the
/// partial index `attempts_open`: the equality alone does not imply the index's WHERE,
/// and scanned every attempt at every recovery pass (issue 17). `query_plans` tests hold it.
pub(crate) fn reconcilable_sql() -> String {
    format!(
        "SELECT {ATTEMPT_COLS} FROM attempts
         WHERE state <> 'settled' AND state = 'unknown' ORDER BY id"
    )
}

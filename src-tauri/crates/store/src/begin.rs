//! The start of a generation in ONE write transaction (issue 17): the in-flight claim
//! (or, for "regenerate anyway", the row created running), the worst-case reservation
//! and, when the provider's permit is already in hand, its first attempt `sent`.
//!
//! Each step keeps its own rule: the claim re-checks for an identical request in flight
//! under the write lock; the reservation is the same hard-budget check as
//! [`Store::reserve`] (the transaction is `BEGIN IMMEDIATE`); a refused reservation
//! commits the claim alone (the caller fails the generation, as before) and writes no
//! attempt. A crash after the commit leaves the attempt `sent`, booked unconfirmed by
//! recovery: the same as a crash between `sent` and the request always was.

use rusqlite::{Connection, OptionalExtension};
use rust_decimal::Decimal;

use crate::Store;
use crate::error::Result;
use crate::generations::{NewAttempt, NewGeneration, insert_generation};
use crate::ledger::{ReservationOutcome, reserve_in};
use crate::money::to_nanos;
use crate::settle::{Claim, insert_sent_in, parse_id};
use crate::types::{GenerationId, ProjectId, Status};

/// The first attempt to record `sent` with the reservation.
#[derive(Debug, Clone)]
pub struct SendNow {
    pub attempt: NewAttempt,
    pub calibration_key: Option<String>,
    /// What the call is booked at if its outcome is never known.
    pub expected: Decimal,
}

/// What [`Store::begin_generation`] did.
#[derive(Debug)]
pub struct Begun {
    pub claim: Claim,
    /// The reservation's answer, when one was asked for and the claim was ours.
    pub held: Option<Result<ReservationOutcome>>,
    /// The attempt written `sent`, when asked for and the reservation held.
    pub sent: Option<i64>,
}

/// How the generation's row is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Single flight: refused (`Claim::InFlight`) while an identical request runs.
    Claim,
    /// "Regenerate anyway": created running whatever else is in flight.
    Always,
}

fn twin(c: &Connection, key: &str) -> Result<Option<Claim>> {
    let row: Option<(String, Option<String>)> = c
        .prepare_cached(
            "SELECT id, owner FROM generations
             WHERE dedup_key = ?1 AND status IN ('queued', 'running') LIMIT 1",
        )?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(id, owner)| {
        Ok(Claim::InFlight {
            generation: parse_id(&id)?,
            owner,
        })
    })
    .transpose()
}

impl Store {
    /// Claims (or creates) generation `id` running under `owner`, reserves `hold` for it
    /// and records `send` as its first attempt `sent`, in one transaction. The `sent`
    /// row's WAL sync is requested after the commit, as [`Store::start_sent_attempt`]'s.
    pub fn begin_generation(
        &self,
        id: GenerationId,
        new: &NewGeneration,
        owner: &str,
        start: Start,
        hold: Option<(ProjectId, Decimal)>,
        send: Option<&SendNow>,
    ) -> Result<Begun> {
        let key = crate::dedup::dedup_key(&new.request);
        if start == Start::Claim
            && let Some(claim) = self.read(|c| twin(c, &key))?
        {
            // Seen without the write lock; re-checked under it below otherwise.
            return Ok(Begun {
                claim,
                held: None,
                sent: None,
            });
        }
        // The integrity check runs before the first reservation, outside the transaction.
        let hold = match hold
            .map(|(p, amount)| Ok((p, to_nanos(amount)?)))
            .transpose()
        {
            Ok(h) => h.map(|h| self.check_before_spending().map(|()| h)),
            Err(e) => Some(Err(e)),
        };
        let gid = id.to_string();
        let begun = self.write(|tx| {
            if start == Start::Claim
                && let Some(claim) = twin(tx, &key)?
            {
                return Ok(Begun {
                    claim,
                    held: None,
                    sent: None,
                });
            }
            insert_generation(tx, id, new, &key, Status::Running, Some(owner))?;
            let mut sent = None;
            let held = match hold {
                None => None,
                Some(Err(e)) => Some(Err(e)),
                Some(Ok((project, needed))) => {
                    // A savepoint, so a failed reservation leaves the claim alone.
                    tx.execute_batch("SAVEPOINT hold")?;
                    let reserved = reserve_in(tx, project, &gid, needed);
                    match &reserved {
                        Ok(_) => {
                            if let Some(s) = send {
                                sent = Some(insert_sent_in(
                                    tx,
                                    &gid,
                                    &s.attempt,
                                    s.calibration_key.as_deref(),
                                    Some(s.expected),
                                )?);
                            }
                            tx.execute_batch("RELEASE hold")?;
                        }
                        Err(_) => tx.execute_batch("ROLLBACK TO hold; RELEASE hold")?,
                    }
                    Some(reserved)
                }
            };
            Ok(Begun {
                claim: Claim::Created(id),
                held,
                sent,
            })
        })?;
        if begun.sent.is_some() {
            self.request_wal_sync();
        }
        Ok(begun)
    }
}

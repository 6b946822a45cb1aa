//! Aggregates for the dashboard: where did the money go?

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::error::Result;
use crate::money::from_nanos;
use crate::types::ProjectId;

#[derive(Debug, Clone, Default)]
pub struct DashboardQuery {
    pub project_id: Option<ProjectId>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
}

/// One bar of a chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendLine {
    pub key: String,
    pub amount: Decimal,
    /// What was counted: generations charged (day, project) or billed attempts
    /// (provider, model).
    pub count: u64,
}

/// How estimates compared with what was charged, per offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimateVsActual {
    pub offer_id: String,
    pub generations: u64,
    pub estimated: Decimal,
    pub actual: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Dashboard {
    /// Σ charges in the ledger.
    pub total_spent: Decimal,
    /// UTC day (`YYYY-MM-DD`) → charged.
    pub by_day: Vec<SpendLine>,
    pub by_project: Vec<SpendLine>,
    /// Billed attempts by the provider that was paid (fallbacks included).
    pub by_provider: Vec<SpendLine>,
    /// Billed attempts by `provider/model`.
    pub by_model: Vec<SpendLine>,
    /// Billed attempts that did not produce the result, in generations that succeeded.
    pub retry_spend: Decimal,
    /// Billed attempts of generations that failed or were cancelled.
    pub failure_spend: Decimal,
    /// Σ savings from reuse.
    pub savings: Decimal,
    pub estimate_vs_actual: Vec<EstimateVsActual>,
}

/// Appends `AND col …` clauses for the query's filters; returns the bound values.
fn filters(q: &DashboardQuery, project_col: &str, time_col: &str) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut args: Vec<Value> = Vec::new();
    if let Some(p) = q.project_id {
        args.push(p.into());
        sql.push_str(&format!(" AND {project_col} = ?{}", args.len()));
    }
    if let Some(f) = q.from {
        args.push(f.timestamp_millis().into());
        sql.push_str(&format!(" AND {time_col} >= ?{}", args.len()));
    }
    if let Some(t) = q.to {
        args.push(t.timestamp_millis().into());
        sql.push_str(&format!(" AND {time_col} < ?{}", args.len()));
    }
    (sql, args)
}

fn lines(c: &Connection, sql: &str, args: &[Value]) -> Result<Vec<SpendLine>> {
    let mut st = c.prepare_cached(sql)?;
    let rows = st.query_map(params_from_iter(args.iter()), |r| {
        Ok(SpendLine {
            key: r.get(0)?,
            amount: from_nanos(r.get(1)?),
            count: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn scalar(c: &Connection, sql: &str, args: &[Value]) -> Result<Decimal> {
    let n: i64 = c
        .prepare_cached(sql)?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    Ok(from_nanos(n))
}

impl Store {
    pub fn dashboard(&self, q: &DashboardQuery) -> Result<Dashboard> {
        self.read(|c| {
            let (lf, la) = filters(q, "l.project_id", "l.created_at");
            let (af, aa) = filters(q, "g.project_id", "a.started_at");
            let (gf, ga) = filters(q, "g.project_id", "g.created_at");
            let attempts = "FROM attempts a JOIN generations g ON g.id = a.generation_id \
                            WHERE a.billed = 1";
            Ok(Dashboard {
                total_spent: scalar(
                    c,
                    &format!("SELECT coalesce(sum(CASE l.kind WHEN 'refund' THEN -l.amount_nanos ELSE l.amount_nanos END), 0) FROM ledger l WHERE l.kind IN ('charge', 'unconfirmed', 'refund'){lf}"),
                    &la,
                )?,
                by_day: lines(
                    c,
                    &format!(
                        "SELECT date(l.created_at / 1000, 'unixepoch') AS d,
                                sum(CASE l.kind WHEN 'refund' THEN -l.amount_nanos ELSE l.amount_nanos END),
                                count(DISTINCT l.generation_id)
                         FROM ledger l WHERE l.kind IN ('charge', 'unconfirmed', 'refund'){lf} GROUP BY d ORDER BY d"
                    ),
                    &la,
                )?,
                by_project: lines(
                    c,
                    &format!(
                        "SELECT p.name,
                                sum(CASE l.kind WHEN 'refund' THEN -l.amount_nanos ELSE l.amount_nanos END),
                                count(DISTINCT l.generation_id)
                         FROM ledger l JOIN projects p ON p.id = l.project_id
                         WHERE l.kind IN ('charge', 'unconfirmed', 'refund'){lf} GROUP BY p.id ORDER BY 2 DESC, p.name"
                    ),
                    &la,
                )?,
                by_provider: lines(
                    c,
                    &format!("SELECT a.provider, sum(a.cost_nanos), count(*) {attempts}{af} GROUP BY a.provider ORDER BY 2 DESC, 1"),
                    &aa,
                )?,
                by_model: lines(
                    c,
                    &format!(
                        "SELECT a.provider || '/' || a.model, sum(a.cost_nanos), count(*) {attempts}{af}
                         GROUP BY a.provider, a.model ORDER BY 2 DESC, 1"
                    ),
                    &aa,
                )?,
                retry_spend: scalar(
                    c,
                    &format!(
                        "SELECT coalesce(sum(a.cost_nanos), 0) {attempts}{af}
                         AND g.status = 'succeeded' AND coalesce(a.outcome, '') <> 'succeeded'"
                    ),
                    &aa,
                )?,
                failure_spend: scalar(
                    c,
                    &format!(
                        "SELECT coalesce(sum(a.cost_nanos), 0) {attempts}{af}
                         AND g.status IN ('failed', 'cancelled')"
                    ),
                    &aa,
                )?,
                savings: scalar(
                    c,
                    &format!("SELECT coalesce(sum(l.amount_nanos), 0) FROM ledger l WHERE l.kind = 'saving'{lf}"),
                    &la,
                )?,
                estimate_vs_actual: {
                    let mut st = c.prepare_cached(&format!(
                        "SELECT coalesce(g.offer_id, g.provider || '/' || g.model), count(*),
                                sum(g.estimate_nanos), sum(g.cost_nanos)
                         FROM generations g
                         WHERE g.status = 'succeeded' AND g.estimate_nanos IS NOT NULL{gf}
                         GROUP BY 1 ORDER BY 1"
                    ))?;
                    let rows = st.query_map(params_from_iter(ga.iter()), |r| {
                        Ok(EstimateVsActual {
                            offer_id: r.get(0)?,
                            generations: r.get::<_, i64>(1)?.max(0) as u64,
                            estimated: from_nanos(r.get(2)?),
                            actual: from_nanos(r.get(3)?),
                        })
                    })?;
                    rows.collect::<rusqlite::Result<_>>()?
                },
            })
        })
    }
}

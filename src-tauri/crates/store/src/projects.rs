//! Projects, budgets, routing policies, settings and price overrides.

use rusqlite::{OptionalExtension, Row, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::money::{from_nanos, to_nanos};
use crate::types::{BudgetPeriod, Moderation, ProjectId};
use crate::{Store, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub client: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct NewProject {
    pub name: String,
    pub client: Option<String>,
    pub budget: Option<Budget>,
}

/// A project's budget. `thresholds` are fractions of `amount` (e.g. `[0.5, 0.8]`) whose
/// crossing is reported as a warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    pub amount: Decimal,
    pub period: BudgetPeriod,
    pub hard: bool,
    pub thresholds: Vec<Decimal>,
}

impl Budget {
    pub fn hard(amount: Decimal) -> Budget {
        Budget {
            amount,
            period: BudgetPeriod::Total,
            hard: true,
            thresholds: default_thresholds(),
        }
    }

    pub fn soft(amount: Decimal) -> Budget {
        Budget {
            hard: false,
            ..Budget::hard(amount)
        }
    }
}

fn default_thresholds() -> Vec<Decimal> {
    vec![Decimal::new(5, 1), Decimal::new(8, 1)]
}

/// Which offers to try, in order, for each tier.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Policy {
    pub draft_offers: Vec<String>,
    pub final_offers: Vec<String>,
    /// After a safety block, may the engine try the next offer?
    pub allow_safety_fallback: bool,
    pub moderation: Option<Moderation>,
}

fn project_from_row(r: &Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        client: r.get(2)?,
        created_at: crate::gallery::ms_to_time(r.get(3)?),
    })
}

pub(crate) fn load_budget(c: &rusqlite::Connection, project: ProjectId) -> Result<Option<Budget>> {
    let row = c
        .prepare_cached(
            "SELECT amount_nanos, period, hard, thresholds FROM budgets WHERE project_id = ?1",
        )?
        .query_row([project], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, BudgetPeriod>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    let Some((amount, period, hard, thresholds)) = row else {
        return Ok(None);
    };
    let thresholds: Vec<Decimal> = serde_json::from_str(&thresholds)
        .map_err(|e| StoreError::Corrupt(format!("budget thresholds: {e}")))?;
    Ok(Some(Budget {
        amount: from_nanos(amount),
        period,
        hard,
        thresholds,
    }))
}

fn validate_thresholds(t: &[Decimal]) -> Result<()> {
    if t.iter().any(|x| *x <= Decimal::ZERO || *x > Decimal::ONE) {
        return Err(StoreError::InvalidInput(
            "budget thresholds must be fractions in (0, 1]".into(),
        ));
    }
    Ok(())
}

impl Store {
    pub fn create_project(&self, new: &NewProject) -> Result<Project> {
        self.create_project_with(new, &Policy::default(), |_| Vec::new())
    }

    /// Creates a project with its budget, policy and project settings in one transaction
    /// (F12): a refused budget or policy leaves nothing behind, and of two concurrent
    /// creates of one name exactly one wins; the other gets [`StoreError::ProjectExists`]
    /// and changes nothing (F17). `settings` gives the `(key, value)` pairs to store once
    /// the project's id is known.
    pub fn create_project_with(
        &self,
        new: &NewProject,
        policy: &Policy,
        settings: impl FnOnce(ProjectId) -> Vec<(String, serde_json::Value)>,
    ) -> Result<Project> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(StoreError::InvalidInput("project name is empty".into()));
        }
        if let Some(b) = &new.budget {
            check_budget(b)?;
        }
        let created = now_ms();
        let id = self.write(|tx| {
            let exists: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM projects WHERE name = ?1)",
                [name],
                |r| r.get(0),
            )?;
            if exists {
                return Err(StoreError::ProjectExists(name.to_string()));
            }
            tx.execute(
                "INSERT INTO projects(name, client, created_at) VALUES (?1, ?2, ?3)",
                params![name, new.client, created],
            )?;
            let id = tx.last_insert_rowid();
            put_policy(tx, id, policy)?;
            if let Some(b) = &new.budget {
                put_budget(tx, id, b)?;
            }
            for (key, value) in settings(id) {
                put_setting(tx, &key, &value)?;
            }
            Ok(id)
        })?;
        self.project(id)
    }

    /// Replaces an existing project's client, budget (`None` removes it), policy and
    /// project settings in one transaction. A policy without moderation keeps the
    /// project's current one.
    pub fn update_project(
        &self,
        project: ProjectId,
        client: Option<&str>,
        budget: Option<&Budget>,
        policy: &Policy,
        settings: Vec<(String, serde_json::Value)>,
    ) -> Result<()> {
        if let Some(b) = budget {
            check_budget(b)?;
        }
        let client = client.map(str::trim).filter(|c| !c.is_empty());
        self.write(|tx| {
            if tx.execute(
                "UPDATE projects SET client = ?2 WHERE id = ?1",
                params![project, client],
            )? == 0
            {
                return Err(StoreError::not_found("project", project));
            }
            match budget {
                Some(b) => put_budget(tx, project, b)?,
                None => {
                    tx.execute("DELETE FROM budgets WHERE project_id = ?1", [project])?;
                }
            }
            let mut policy = policy.clone();
            if policy.moderation.is_none() {
                policy.moderation = tx
                    .query_row(
                        "SELECT moderation FROM policies WHERE project_id = ?1",
                        [project],
                        |r| r.get::<_, Moderation>(0),
                    )
                    .optional()?;
            }
            put_policy(tx, project, &policy)?;
            for (key, value) in settings {
                put_setting(tx, &key, &value)?;
            }
            Ok(())
        })
    }

    pub fn project(&self, id: ProjectId) -> Result<Project> {
        self.read(|c| {
            c.prepare_cached("SELECT id, name, client, created_at FROM projects WHERE id = ?1")?
                .query_row([id], project_from_row)
                .optional()?
                .ok_or_else(|| StoreError::not_found("project", id))
        })
    }

    pub fn project_by_name(&self, name: &str) -> Result<Project> {
        self.read(|c| {
            c.prepare_cached("SELECT id, name, client, created_at FROM projects WHERE name = ?1")?
                .query_row([name.trim()], project_from_row)
                .optional()?
                .ok_or_else(|| StoreError::not_found("project", name))
        })
    }

    pub fn list_projects(&self) -> Result<Vec<Project>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, name, client, created_at FROM projects ORDER BY name",
            )?;
            let rows = st.query_map([], project_from_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Renames a project. Its spend, images and settings follow it (they hang on its id).
    pub fn rename_project(&self, project: ProjectId, name: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::InvalidInput("project name is empty".into()));
        }
        self.write(|tx| {
            let taken: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM projects WHERE name = ?1 AND id <> ?2)",
                params![name, project],
                |r| r.get(0),
            )?;
            if taken {
                return Err(StoreError::ProjectExists(name.to_string()));
            }
            if tx.execute(
                "UPDATE projects SET name = ?2 WHERE id = ?1",
                params![project, name],
            )? == 0
            {
                return Err(StoreError::not_found("project", project));
            }
            Ok(())
        })
    }

    /// Sets (or with `None` clears) the project's client.
    pub fn set_project_client(&self, project: ProjectId, client: Option<&str>) -> Result<()> {
        let client = client.map(str::trim).filter(|c| !c.is_empty());
        self.write(|tx| {
            if tx.execute(
                "UPDATE projects SET client = ?2 WHERE id = ?1",
                params![project, client],
            )? == 0
            {
                return Err(StoreError::not_found("project", project));
            }
            Ok(())
        })
    }

    /// Sets (or with `None` removes) the project's budget.
    pub fn set_budget(&self, project: ProjectId, budget: Option<&Budget>) -> Result<()> {
        self.write(|tx| {
            ensure_project(tx, project)?;
            match budget {
                Some(b) => put_budget(tx, project, b),
                None => {
                    tx.execute("DELETE FROM budgets WHERE project_id = ?1", [project])?;
                    Ok(())
                }
            }
        })
    }

    pub fn budget(&self, project: ProjectId) -> Result<Option<Budget>> {
        self.read(|c| load_budget(c, project))
    }

    pub fn set_policy(&self, project: ProjectId, policy: &Policy) -> Result<()> {
        self.write(|tx| {
            ensure_project(tx, project)?;
            put_policy(tx, project, policy)
        })
    }

    pub fn policy(&self, project: ProjectId) -> Result<Policy> {
        self.read(|c| {
            let row = c
                .prepare_cached(
                    "SELECT draft_offers, final_offers, allow_safety_fallback, moderation
                     FROM policies WHERE project_id = ?1",
                )?
                .query_row([project], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, bool>(2)?,
                        r.get::<_, Moderation>(3)?,
                    ))
                })
                .optional()?;
            let Some((d, f, allow, moderation)) = row else {
                return Ok(Policy::default());
            };
            Ok(Policy {
                draft_offers: serde_json::from_str(&d)?,
                final_offers: serde_json::from_str(&f)?,
                allow_safety_fallback: allow,
                moderation: Some(moderation),
            })
        })
    }

    pub fn set_setting(&self, key: &str, value: &serde_json::Value) -> Result<()> {
        self.write(|tx| put_setting(tx, key, value))
    }

    pub fn setting(&self, key: &str) -> Result<Option<serde_json::Value>> {
        self.read(|c| {
            let text: Option<String> = c
                .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                .query_row([key], |r| r.get(0))
                .optional()?;
            Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
        })
    }

    /// Settings whose key starts with `prefix` (key, value), by key.
    pub fn settings_with_prefix(&self, prefix: &str) -> Result<Vec<(String, serde_json::Value)>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT key, value FROM settings WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
            )?;
            let rows = stmt
                .query_map([prefix], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(k, v)| Ok((k, serde_json::from_str(&v)?)))
                .collect()
        })
    }

    /// Removes a setting; false when there was none.
    pub fn remove_setting(&self, key: &str) -> Result<bool> {
        self.write(|tx| Ok(tx.execute("DELETE FROM settings WHERE key = ?1", [key])? > 0))
    }

    /// Stores a user's negotiated price for one offer (JSON as the pricing crate defines it).
    pub fn set_price_override(&self, offer_id: &str, json: &serde_json::Value) -> Result<()> {
        let text = serde_json::to_string(json)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO price_overrides(offer_id, json, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(offer_id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at",
                params![offer_id, text, now_ms()],
            )?;
            Ok(())
        })
    }

    pub fn remove_price_override(&self, offer_id: &str) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM price_overrides WHERE offer_id = ?1",
                [offer_id],
            )? > 0)
        })
    }

    pub fn price_overrides(&self) -> Result<Vec<(String, serde_json::Value)>> {
        self.read(|c| {
            let mut st =
                c.prepare_cached("SELECT offer_id, json FROM price_overrides ORDER BY offer_id")?;
            let rows =
                st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, text) = row?;
                out.push((id, serde_json::from_str(&text)?));
            }
            Ok(out)
        })
    }
}

pub(crate) fn ensure_project(c: &rusqlite::Connection, project: ProjectId) -> Result<()> {
    let exists: bool = c
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM projects WHERE id = ?1)")?
        .query_row([project], |r| r.get(0))?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::not_found("project", project))
    }
}

/// Refuses a budget the database cannot hold, before anything is written.
fn check_budget(b: &Budget) -> Result<()> {
    validate_thresholds(&b.thresholds)?;
    to_nanos(b.amount)?;
    Ok(())
}

fn put_policy(c: &rusqlite::Connection, project: ProjectId, policy: &Policy) -> Result<()> {
    let draft = serde_json::to_string(&policy.draft_offers)?;
    let fin = serde_json::to_string(&policy.final_offers)?;
    let moderation = policy.moderation.unwrap_or(Moderation::Auto);
    c.execute(
        "INSERT INTO policies(project_id, draft_offers, final_offers, allow_safety_fallback, moderation)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(project_id) DO UPDATE SET draft_offers = excluded.draft_offers,
           final_offers = excluded.final_offers,
           allow_safety_fallback = excluded.allow_safety_fallback,
           moderation = excluded.moderation",
        params![project, draft, fin, policy.allow_safety_fallback, moderation],
    )?;
    Ok(())
}

fn put_setting(c: &rusqlite::Connection, key: &str, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string(value)?;
    c.execute(
        "INSERT INTO settings(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, text],
    )?;
    Ok(())
}

fn put_budget(c: &rusqlite::Connection, project: ProjectId, b: &Budget) -> Result<()> {
    validate_thresholds(&b.thresholds)?;
    let amount = to_nanos(b.amount)?;
    let thresholds = serde_json::to_string(&b.thresholds)?;
    c.execute(
        "INSERT INTO budgets(project_id, amount_nanos, period, hard, thresholds)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(project_id) DO UPDATE SET amount_nanos = excluded.amount_nanos,
           period = excluded.period, hard = excluded.hard, thresholds = excluded.thresholds",
        params![project, amount, b.period, b.hard, thresholds],
    )?;
    Ok(())
}

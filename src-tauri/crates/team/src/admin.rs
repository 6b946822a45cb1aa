//! Teams, members and team projects. Admins set budgets, caps and members; members
//! generate within them.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use crate::Team;
use crate::error::{Result, TeamError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
    fn parse(s: &str) -> Result<Role> {
        match s {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            other => Err(TeamError::Database(format!("unknown role {other:?}"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// A team project's budget. `member_cap` is per member and per calendar month (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectBudget {
    pub amount: Option<Decimal>,
    pub monthly: bool,
    pub hard: bool,
    pub member_cap: Option<Decimal>,
    pub client: Option<String>,
}

impl ProjectBudget {
    pub fn hard(amount: Decimal) -> Self {
        ProjectBudget {
            amount: Some(amount),
            monthly: false,
            hard: true,
            member_cap: None,
            client: None,
        }
    }
}

/// Finds (or, when joining, creates) the team and this role's member row. One team per
/// database; the member is the PostgreSQL role the connection logged in as.
pub(crate) async fn identify(c: &mut Client, join: Option<&str>) -> Result<(i64, String, Member)> {
    let tx = c.transaction().await?;
    // Serialises two first joins: only one creates the team.
    tx.execute("LOCK TABLE teams IN SHARE ROW EXCLUSIVE MODE", &[])
        .await?;
    let user: String = tx.query_one("SELECT current_user::text", &[]).await?.get(0);
    let team = tx
        .query_opt("SELECT id, name FROM teams ORDER BY id LIMIT 1", &[])
        .await?;
    let (team_id, team_name, creator) = match (team, join) {
        (Some(r), _) => (r.get::<_, i64>(0), r.get::<_, String>(1), false),
        (None, Some(name)) => {
            let r = tx
                .query_one(
                    "INSERT INTO teams(name) VALUES ($1) RETURNING id, name",
                    &[&name],
                )
                .await?;
            (r.get(0), r.get(1), true)
        }
        (None, None) => {
            return Err(TeamError::NotFound {
                what: "team",
                name: "(none yet)".into(),
            });
        }
    };
    let found = tx
        .query_opt(
            "SELECT id, role, active FROM members WHERE team_id = $1 AND name = $2",
            &[&team_id, &user],
        )
        .await?;
    let member = match (found, join) {
        (Some(r), _) if r.get::<_, bool>(2) => Member {
            id: r.get(0),
            name: user,
            role: Role::parse(r.get(1))?,
        },
        (Some(r), Some(_)) => {
            let id: i64 = r.get(0);
            tx.execute("UPDATE members SET active = true WHERE id = $1", &[&id])
                .await?;
            Member {
                id,
                name: user,
                role: Role::parse(r.get(1))?,
            }
        }
        (None, Some(_)) => {
            let role = if creator { Role::Admin } else { Role::Member };
            let id: i64 = tx
                .query_one(
                    "INSERT INTO members(team_id, name, role) VALUES ($1, $2, $3) RETURNING id",
                    &[&team_id, &user, &role.as_str()],
                )
                .await?
                .get(0);
            Member {
                id,
                name: user,
                role,
            }
        }
        (_, None) => {
            return Err(TeamError::NotFound {
                what: "member",
                name: format!("{user} (run `team join` first)"),
            });
        }
    };
    tx.commit().await?;
    Ok((team_id, team_name, member))
}

fn check_money(what: &str, v: Option<Decimal>) -> Result<()> {
    match v {
        Some(d) if d.is_sign_negative() => Err(TeamError::Invalid(format!(
            "{what} must be zero or more (got {d})"
        ))),
        _ => Ok(()),
    }
}

impl Team {
    /// Creates a team project or sets its budget (admins only).
    pub async fn set_project(&self, name: &str, budget: &ProjectBudget) -> Result<i64> {
        self.require_admin("set a team project's budget")?;
        check_money("the budget", budget.amount)?;
        check_money("the member cap", budget.member_cap)?;
        if name.trim().is_empty() {
            return Err(TeamError::Invalid("a project needs a name".into()));
        }
        let team = self.team_id;
        let period = if budget.monthly { "monthly" } else { "total" };
        self.conn
            .run(async |c| {
                let r = c
                    .query_one(
                        "INSERT INTO team_projects(team_id, name, client, budget_usd, period,
                                                   hard, member_cap_usd)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (team_id, name) DO UPDATE SET
                           client = excluded.client, budget_usd = excluded.budget_usd,
                           period = excluded.period, hard = excluded.hard,
                           member_cap_usd = excluded.member_cap_usd
                         RETURNING id",
                        &[
                            &team,
                            &name,
                            &budget.client,
                            &budget.amount,
                            &period,
                            &budget.hard,
                            &budget.member_cap,
                        ],
                    )
                    .await?;
                Ok(r.get(0))
            })
            .await
    }

    /// Sets a member's role (admins only). The member must have joined once.
    pub async fn set_role(&self, member: &str, role: Role) -> Result<()> {
        self.require_admin("change a member's role")?;
        let team = self.team_id;
        let n = self
            .conn
            .run(async |c| {
                Ok(c.execute(
                    "UPDATE members SET role = $3 WHERE team_id = $1 AND name = $2",
                    &[&team, &member, &role.as_str()],
                )
                .await?)
            })
            .await?;
        if n == 0 {
            return Err(TeamError::NotFound {
                what: "member",
                name: member.to_owned(),
            });
        }
        Ok(())
    }

    /// The team's projects, by name.
    pub async fn projects(&self) -> Result<Vec<String>> {
        let team = self.team_id;
        self.conn
            .run(async |c| {
                let rows = c
                    .query(
                        "SELECT name FROM team_projects WHERE team_id = $1 ORDER BY name",
                        &[&team],
                    )
                    .await?;
                Ok(rows.iter().map(|r| r.get(0)).collect())
            })
            .await
    }
}

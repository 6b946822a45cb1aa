//! Join, status and leave of a team (issue 18): the one implementation behind
//! `proofsheet-cli team join|leave` and Settings → Team in the window. The database
//! password goes one way, from the caller to the keychain; no answer carries it.

use std::sync::Arc;

use team::Team;

use crate::api::{TeamJoinInput, TeamMeterView, TeamStatusView};
use crate::error::{EngineError, ErrorKind, Result};
use crate::team_bucket_key::BucketKey;
use crate::team_link::{self, Link, TeamConfig, engine_error};

/// What leaving did.
#[derive(Debug, Clone)]
pub struct TeamLeft {
    pub config: TeamConfig,
    pub recovery_messages: Vec<String>,
}

fn status_view(c: &TeamConfig, s: team::Status) -> TeamStatusView {
    TeamStatusView {
        joined: true,
        reachable: true,
        team: Some(s.team),
        member: Some(s.member),
        role: Some(s.role.as_str().to_owned()),
        machine: Some(s.machine),
        db: Some(c.db.clone()),
        storage: c.storage.clone(),
        endpoint: c.endpoint.clone(),
        schema_version: Some(s.schema_version),
        app_schema_version: team::schema::app_version(),
        error: None,
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> keys::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| EngineError::internal(format!("keychain task failed: {e}")))?
        .map_err(EngineError::from)
}

impl crate::Engine {
    fn service(&self) -> String {
        self.config().keychain_service.clone()
    }

    /// Tells listeners (the window) that the team's numbers changed: meters refetch.
    pub fn announce_team_change(&self) {
        self.core
            .changes()
            .emit(&[crate::DataTopic::Projects, crate::DataTopic::Budgets]);
    }

    /// The team projects' figures as one comparable string: a poller announces a change
    /// when it differs from the last one (`None`: no team project).
    pub async fn team_meters_key(&self) -> Result<Option<String>> {
        let team: Vec<_> = self
            .project_list()
            .await?
            .into_iter()
            .filter(|p| p.team.is_some())
            .map(|p| (p.name, p.budget_usd, p.spent_usd, p.reserved_usd, p.team))
            .collect();
        if team.is_empty() {
            return Ok(None);
        }
        serde_json::to_string(&team)
            .map(Some)
            .map_err(|e| EngineError::internal(format!("cannot encode the team meters: {e}")))
    }

    /// Joins the team on `input.db_url` (the first member creates it and is its admin):
    /// the password goes to the keychain, `team.json` keeps the URL without it. Returns
    /// the connected link, for the embedder's ledger.
    pub async fn team_join(&self, input: TeamJoinInput) -> Result<(Arc<Link>, TeamStatusView)> {
        // The bucket answers to its key before anything is joined or kept.
        let bucket = BucketKey::from_input(&input)?;
        if let Some(b) = &bucket {
            b.probe().await?;
        }
        let url = team::split_password(input.db_url.trim()).map_err(engine_error)?;
        let password = match (input.password.filter(|p| !p.is_empty()), url.password) {
            (Some(_), Some(_)) => {
                return Err(EngineError::validation(
                    "the URL has a password and a password was given; give only one",
                ));
            }
            (a, b) => a.or(b),
        };
        let data_dir = self.config().data_dir.clone();
        // Rejoining keeps this library's machine id (its ledger rows stay its own).
        let machine = team_link::load(&data_dir)?
            .map(|c| c.machine)
            .unwrap_or_else(team_link::new_machine_id);
        let team_name = input
            .team_name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "Studio".to_owned());
        let t = Team::join(&url.redacted, password.as_deref(), &machine, &team_name)
            .await
            .map_err(engine_error)?;
        if let Some(pw) = password {
            let (service, m) = (self.service(), machine.clone());
            blocking(move || {
                keys::KeyStore::new(&service).team_password_set(&m, keys::Secret::from_string(pw))
            })
            .await?;
        }
        if let Some(b) = bucket {
            b.keep(self.service(), machine.clone()).await?;
        }
        let nonempty = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let config = TeamConfig {
            db: url.redacted,
            team: t.team_name().to_owned(),
            member: t.member().name.clone(),
            machine,
            storage: nonempty(input.storage),
            endpoint: nonempty(input.endpoint),
        };
        team_link::save(&data_dir, &config)?;
        let s = t.status().await.map_err(engine_error)?;
        let view = status_view(&config, s);
        self.announce_team_change();
        Ok((Arc::new(Link::connected(config, self.service(), t)), view))
    }

    /// This library's team: configured or not, reachable or why not (unreachable, wrong
    /// password, newer schema). Never an error for server trouble: the view says it.
    pub async fn team_status(&self) -> Result<TeamStatusView> {
        let Some(c) = team_link::load(&self.config().data_dir)? else {
            return Ok(TeamStatusView::not_joined());
        };
        let outcome = match team_link::connect(&c, &self.service()).await {
            Ok(t) => t.status().await.map_err(engine_error),
            Err(e) => Err(e),
        };
        Ok(match outcome {
            Ok(s) => status_view(&c, s),
            Err(e) if matches!(e.kind, ErrorKind::Keychain | ErrorKind::Internal) => {
                return Err(e);
            }
            Err(e) => TeamStatusView {
                joined: true,
                reachable: false,
                team: Some(c.team.clone()),
                member: Some(c.member.clone()),
                role: None,
                machine: Some(c.machine.clone()),
                db: Some(c.db.clone()),
                storage: c.storage.clone(),
                endpoint: c.endpoint.clone(),
                schema_version: None,
                app_schema_version: team::schema::app_version(),
                error: Some(e.message),
            },
        })
    }

    /// Leaves the team on this library: settles what this machine holds on the server
    /// (refused while generations are still open there), deactivates the member, then
    /// removes the keychain password and `team.json`.
    pub async fn team_leave(&self) -> Result<TeamLeft> {
        let data_dir = self.config().data_dir.clone();
        let c = team_link::load(&data_dir)?
            .ok_or_else(|| EngineError::not_found("this library is not in a team"))?;
        let report = self.recover().await?;
        let t = team_link::connect(&c, &self.service()).await.map_err(|e| {
            if e.kind == ErrorKind::Team {
                EngineError::new(
                    ErrorKind::Team,
                    format!(
                        "{}; leaving needs the server, to settle what this machine holds \
                             there: try again when it is reachable",
                        e.message
                    ),
                )
            } else {
                e
            }
        })?;
        let open = t.open_generations().await.map_err(engine_error)?;
        if !open.is_empty() {
            return Err(EngineError::new(
                ErrorKind::Team,
                format!(
                    "{} generation(s) of this machine are still open on the team server; \
                     leave once they end (recovery settles them)",
                    open.len()
                ),
            ));
        }
        t.leave().await.map_err(engine_error)?;
        let (svc, m) = (self.service(), c.machine.clone());
        blocking(move || {
            let k = keys::KeyStore::new(&svc);
            k.team_storage_delete(&m)?;
            k.team_password_delete(&m)
        })
        .await?;
        team_link::remove(&data_dir)?;
        self.announce_team_change();
        Ok(TeamLeft {
            config: c,
            recovery_messages: report.messages,
        })
    }
}

/// The team's numbers for a project's meter when it is a team project: the server's
/// meter (`None` when the server cannot tell now) and what the window shows of it.
/// `None` solo or without a ledger that has meters.
pub(crate) async fn meter(
    core: &crate::context::Core,
    project: &str,
) -> Option<(Option<crate::team_hook::SharedMeter>, TeamMeterView)> {
    let shared = core.options().shared_ledger.0.clone()?;
    match shared.meter(project).await {
        Ok(Some(m)) => {
            let view = TeamMeterView {
                reachable: true,
                member: Some(m.member.clone()),
                member_cap_usd: m.member_cap,
                member_month_spent_usd: m.member_month_spent,
                member_reserved_usd: m.member_reserved,
                error: None,
            };
            Some((Some(m), view))
        }
        Ok(None) => None,
        Err(e) => Some((
            None,
            TeamMeterView {
                reachable: false,
                member: None,
                member_cap_usd: None,
                member_month_spent_usd: Default::default(),
                member_reserved_usd: Default::default(),
                error: Some(e.message),
            },
        )),
    }
}

//! This library's link to a team (issue 18): `team.json` in the data dir (the database
//! URL without its password, the bucket, this machine's id) and the engine's
//! [`engine::SharedLedger`] over the `team` crate. The password lives in the keychain,
//! under this machine's id. The server is reached lazily and again after an outage, so
//! solo work never waits for it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine::api::{ApprovalStateView, TeamApprovalView, TeamApprovals};
use engine::{
    ApprovalAsk, ApprovalCheck, Settled, SharedApprovals, SharedError, SharedErrorKind,
    SharedFuture, SharedHit, SharedImage, SharedLedger,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use team::{ErrorClass, Team, TeamError};
use tokio::sync::OnceCell;

use crate::exit::{CliError, CliResult, Kind};

const FILE: &str = "team.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeamConfig {
    /// postgres://USER@HOST:PORT/DB, never with a password.
    pub db: String,
    pub team: String,
    pub member: String,
    /// This library's id on the server (every ledger row names it).
    pub machine: String,
    pub storage: Option<String>,
    pub endpoint: Option<String>,
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

pub fn load(data_dir: &Path) -> CliResult<Option<TeamConfig>> {
    let p = path(data_dir);
    match std::fs::read(&p) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            CliError::general(format!(
                "{} is damaged ({e}); run `team leave` then `team join` again",
                p.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::general(format!(
            "cannot read {}: {e}",
            p.display()
        ))),
    }
}

pub fn save(data_dir: &Path, c: &TeamConfig) -> CliResult<()> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| CliError::general(format!("cannot create {}: {e}", data_dir.display())))?;
    let text = serde_json::to_vec_pretty(c)
        .map_err(|e| CliError::general(format!("cannot encode the team config: {e}")))?;
    let (p, tmp) = (path(data_dir), data_dir.join(".team.json.tmp"));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &p))
        .map_err(|e| CliError::general(format!("cannot write {}: {e}", p.display())))
}

/// A new machine id: the host's name (for people reading the ledger) and a random part.
pub fn new_machine_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| {
            h.trim()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(32)
                .collect::<String>()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "machine".into());
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}", &id[..12])
}

pub fn cli_error(e: TeamError) -> CliError {
    let kind = match e.class() {
        ErrorClass::Budget => Kind::Budget,
        ErrorClass::NotFound => Kind::NotFound,
        ErrorClass::Forbidden | ErrorClass::Invalid => Kind::Usage,
        ErrorClass::Unreachable | ErrorClass::Auth | ErrorClass::Schema => Kind::Team,
        ErrorClass::Internal => Kind::General,
    };
    CliError::new(kind, e.to_string())
}

/// The keychain password of this machine (blocking work off the runtime).
pub async fn password(service: String, machine: String) -> CliResult<Option<String>> {
    tokio::task::spawn_blocking(move || {
        keys::KeyStore::new(&service)
            .team_password_get(&machine)
            .map(|s| s.map(|s| s.expose().to_owned()))
    })
    .await
    .map_err(|e| CliError::general(format!("keychain task failed: {e}")))?
    .map_err(|e| CliError::new(Kind::Keychain, e.to_string()))
}

/// Connects as the member this library joined as.
pub async fn connect(c: &TeamConfig, service: &str) -> CliResult<Team> {
    let pw = password(service.to_owned(), c.machine.clone()).await?;
    Team::connect(&c.db, pw.as_deref(), &c.machine)
        .await
        .map_err(cli_error)
}

/// The team bucket's settings with the keychain's access key (`None`: no storage).
pub async fn storage_config(
    c: &TeamConfig,
    service: &str,
) -> CliResult<Option<team::StorageConfig>> {
    let Some(url) = c.storage.clone() else {
        return Ok(None);
    };
    let (svc, machine) = (service.to_owned(), c.machine.clone());
    let key = tokio::task::spawn_blocking(move || {
        keys::KeyStore::new(&svc).team_storage_get(&machine)
    })
    .await
    .map_err(|e| CliError::general(format!("keychain task failed: {e}")))?
    .map_err(|e| CliError::new(Kind::Keychain, e.to_string()))?
    .ok_or_else(|| {
        CliError::new(
            Kind::Keychain,
            "the team storage's access key is not in the keychain; run `team join` again with \
             --storage-key-id and --storage-secret-stdin",
        )
    })?;
    Ok(Some(team::StorageConfig {
        url,
        endpoint: c.endpoint.clone(),
        region: None,
        access_key_id: key.access_key_id,
        secret_access_key: key.secret.expose().to_owned(),
    }))
}

/// The engine's view of the team server, connected on first use.
pub struct Link {
    config: TeamConfig,
    service: String,
    team: OnceCell<Team>,
    storage: OnceCell<Option<team::Storage>>,
}

impl Link {
    pub fn hook(config: TeamConfig, service: String) -> engine::SharedLedgerHook {
        engine::SharedLedgerHook(Some(Arc::new(Link {
            config,
            service,
            team: OnceCell::new(),
            storage: OnceCell::new(),
        })))
    }

    /// The bucket, when this library joined with one.
    async fn storage(&self) -> Result<Option<&team::Storage>, SharedError> {
        self.storage
            .get_or_try_init(|| async {
                let other = |message: String| SharedError {
                    kind: SharedErrorKind::Other,
                    message,
                };
                match storage_config(&self.config, &self.service).await {
                    Ok(Some(c)) => team::Storage::connect(&c).map(Some).map_err(shared),
                    Ok(None) => Ok(None),
                    Err(e) => Err(other(e.message)),
                }
            })
            .await
            .map(Option::as_ref)
    }

    async fn fetch(&self, shas: &[String]) -> Result<Vec<Vec<u8>>, SharedError> {
        let Some(bucket) = self.storage().await? else {
            return Err(SharedError {
                kind: SharedErrorKind::Other,
                message: "this library joined the team without storage".into(),
            });
        };
        let mut out = Vec::with_capacity(shas.len());
        for sha in shas {
            out.push(bucket.get(sha).await.map_err(shared)?);
        }
        Ok(out)
    }

    async fn team(&self) -> Result<&Team, SharedError> {
        self.team
            .get_or_try_init(|| async {
                connect(&self.config, &self.service)
                    .await
                    .map_err(|e| SharedError {
                        kind: if e.kind == Kind::Team {
                            SharedErrorKind::Unreachable
                        } else {
                            SharedErrorKind::Other
                        },
                        message: e.message,
                    })
            })
            .await
    }
}

fn shared(e: TeamError) -> SharedError {
    SharedError {
        kind: match e.class() {
            ErrorClass::Budget => SharedErrorKind::Budget,
            ErrorClass::Unreachable => SharedErrorKind::Unreachable,
            _ => SharedErrorKind::Other,
        },
        message: e.to_string(),
    }
}

impl SharedLedger for Link {
    fn reserve<'a>(
        &'a self,
        project: &'a str,
        generation: &'a str,
        request_hash: &'a str,
        amount: Decimal,
    ) -> SharedFuture<'a, ()> {
        Box::pin(async move {
            self.team()
                .await?
                .reserve(project, generation, Some(request_hash), amount)
                .await
                .map(drop)
                .map_err(shared)
        })
    }

    fn sync<'a>(&'a self, generation: &'a str, s: Settled) -> SharedFuture<'a, ()> {
        Box::pin(async move {
            let booked = team::ledger::Booked {
                cost: s.cost,
                unconfirmed: s.unconfirmed,
                closed: s.closed,
            };
            self.team()
                .await?
                .sync(generation, booked)
                .await
                .map_err(shared)
        })
    }

    fn open_generations(&self) -> SharedFuture<'_, Vec<String>> {
        Box::pin(async move {
            let open = self
                .team()
                .await?
                .open_generations()
                .await
                .map_err(shared)?;
            Ok(open.into_iter().map(|(id, _)| id).collect())
        })
    }

    fn lookup<'a>(&'a self, keys: &'a [String]) -> SharedFuture<'a, Option<SharedHit>> {
        Box::pin(async move {
            // Without a bucket there is nothing to download: no team-wide dedup.
            if self.storage().await?.is_none() {
                return Ok(None);
            }
            let Some(p) = self.team().await?.lookup(keys).await.map_err(shared)? else {
                return Ok(None);
            };
            let mut hit = hit_of(p);
            let bytes = self.fetch(&hit.sha256s).await?;
            hit.images = bytes
                .into_iter()
                .zip(&hit.sha256s)
                .enumerate()
                .map(|(idx, (bytes, _))| SharedImage {
                    idx: idx as u32,
                    bytes,
                    mime: String::new(),
                })
                .collect();
            Ok(Some(hit))
        })
    }

    fn record_hit<'a>(
        &'a self,
        project: &'a str,
        generation: &'a str,
        source: &'a str,
        saved: Decimal,
    ) -> SharedFuture<'a, ()> {
        Box::pin(async move {
            self.team()
                .await?
                .record_hit(project, generation, source, saved)
                .await
                .map_err(shared)
        })
    }

    fn publish<'a>(
        &'a self,
        generation: &'a str,
        meta: serde_json::Value,
        images: Vec<SharedImage>,
    ) -> SharedFuture<'a, ()> {
        Box::pin(async move {
            let Some(bucket) = self.storage().await? else {
                return Ok(());
            };
            // Objects first, the record second: a published row never names a missing
            // object. An object already in the bucket is not uploaded again.
            let mut published = Vec::with_capacity(images.len());
            for i in &images {
                let (sha, _) = bucket.put(&i.bytes).await.map_err(shared)?;
                published.push(team::PublishedImage {
                    idx: i.idx as i32,
                    sha256: sha,
                    mime: i.mime.clone(),
                    bytes: i.bytes.len() as i64,
                });
            }
            self.team()
                .await?
                .publish(generation, &meta, &published)
                .await
                .map_err(shared)
        })
    }

    fn unpublished(&self) -> SharedFuture<'_, Vec<String>> {
        Box::pin(async move {
            if self.storage().await?.is_none() {
                return Ok(Vec::new());
            }
            self.team().await?.unpublished().await.map_err(shared)
        })
    }

    fn download<'a>(&'a self, sha256s: &'a [String]) -> SharedFuture<'a, Vec<Vec<u8>>> {
        Box::pin(self.fetch(sha256s))
    }

    fn pull<'a>(
        &'a self,
        project: &'a str,
        after_us: i64,
        limit: i64,
    ) -> SharedFuture<'a, Vec<SharedHit>> {
        Box::pin(async move {
            if self.storage().await?.is_none() {
                return Ok(Vec::new());
            }
            let page = self
                .team()
                .await?
                .published_since(project, after_us, limit)
                .await
                .map_err(shared)?;
            Ok(page.into_iter().map(hit_of).collect())
        })
    }

    fn approvals(&self) -> Option<&dyn SharedApprovals> {
        Some(self)
    }
}

fn hit_of(p: team::Published) -> SharedHit {
    SharedHit {
        source: p.generation,
        cost: p.cost,
        meta: p.meta,
        images: Vec::new(),
        sha256s: p.images.into_iter().map(|i| i.sha256).collect(),
        published_us: p.published_us,
    }
}

/// The team crate's approval as the engine's IPC shape.
pub fn view(a: team::Approval) -> TeamApprovalView {
    use team::ApprovalState as S;
    TeamApprovalView {
        approval_id: a.id.to_string(),
        project: a.project,
        requester: a.requester,
        machine: a.machine,
        prompt_summary: a.prompt_summary,
        offer_id: a.offer,
        estimate_usd: a.estimate,
        state: match a.state {
            S::Pending => ApprovalStateView::Pending,
            S::Approved => ApprovalStateView::Approved,
            S::Refused => ApprovalStateView::Refused,
            S::Cancelled => ApprovalStateView::Cancelled,
            S::Claimed => ApprovalStateView::Claimed,
            S::Expired => ApprovalStateView::Expired,
        },
        created_at: a.created_at,
        expires_at: a.expires_at,
        decided_by: a.decided_by,
        decided_at: a.decided_at,
        reason: a.reason,
    }
}

fn approval_id(id: &str) -> Result<i64, SharedError> {
    id.parse().map_err(|_| SharedError {
        kind: SharedErrorKind::Other,
        message: format!("{id:?} is not an approval request id"),
    })
}

impl SharedApprovals for Link {
    fn request_approval<'a>(&'a self, ask: &'a ApprovalAsk) -> SharedFuture<'a, Option<String>> {
        Box::pin(async move {
            let gate = self
                .team()
                .await?
                .request_approval_if_needed(&team::ApprovalAsk {
                    project: &ask.project,
                    prompt_summary: &ask.prompt_summary,
                    offer: &ask.offer,
                    estimate: ask.estimate,
                })
                .await
                .map_err(shared)?;
            Ok(match gate {
                team::Gate::NotNeeded => None,
                team::Gate::Requested(a) => Some(a.id.to_string()),
            })
        })
    }

    fn approval_state<'a>(&'a self, id: &'a str) -> SharedFuture<'a, ApprovalCheck> {
        Box::pin(async move {
            let a = self
                .team()
                .await?
                .approval(approval_id(id)?)
                .await
                .map_err(shared)?;
            use team::ApprovalState as S;
            Ok(match a.state {
                S::Pending => ApprovalCheck::Pending,
                S::Approved => ApprovalCheck::Approved,
                S::Refused => ApprovalCheck::Refused {
                    by: a.decided_by,
                    reason: a.reason.unwrap_or_default(),
                },
                S::Cancelled => ApprovalCheck::Cancelled,
                S::Claimed => ApprovalCheck::Claimed,
                S::Expired => ApprovalCheck::Expired,
            })
        })
    }

    fn claim_approval<'a>(&'a self, id: &'a str) -> SharedFuture<'a, bool> {
        Box::pin(async move {
            self.team()
                .await?
                .claim_approval(approval_id(id)?)
                .await
                .map_err(shared)
        })
    }

    fn list_approvals(&self, pending_only: bool) -> SharedFuture<'_, TeamApprovals> {
        Box::pin(async move {
            let t = self.team().await?;
            let items = t.approvals(pending_only).await.map_err(shared)?;
            Ok(TeamApprovals {
                can_decide: t.member().role == team::Role::Admin,
                items: items.into_iter().map(view).collect(),
            })
        })
    }

    fn decide<'a>(
        &'a self,
        id: &'a str,
        refusal: Option<&'a str>,
    ) -> SharedFuture<'a, TeamApprovalView> {
        Box::pin(async move {
            let t = self.team().await?;
            let id = approval_id(id)?;
            let a = match refusal {
                None => t.approve(id).await,
                Some(why) => t.refuse(id, why).await,
            };
            a.map(view).map_err(shared)
        })
    }

    fn set_threshold<'a>(
        &'a self,
        project: &'a str,
        threshold: Option<Decimal>,
    ) -> SharedFuture<'a, ()> {
        Box::pin(async move {
            self.team()
                .await?
                .set_approval_threshold(project, threshold)
                .await
                .map_err(shared)
        })
    }

    fn cancel_approval<'a>(&'a self, id: &'a str) -> SharedFuture<'a, ()> {
        Box::pin(async move {
            self.team()
                .await?
                .cancel_approval(approval_id(id)?)
                .await
                .map(drop)
                .map_err(shared)
        })
    }
}

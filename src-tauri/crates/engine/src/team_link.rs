//! This library's link to a team (issue 18), shared by `proofsheet-cli` and the window:
//! `team.json` in the data dir (the database URL without its password, the bucket,
//! this machine's id) and the [`SharedLedger`] over the `team` crate. The password lives
//! in the keychain, under this machine's id. The server is reached lazily and again
//! after an outage, so solo work never waits for it.
//! The window's swappable ledger over it is `team_switch::TeamSwitch`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use team::{ErrorClass, Team, TeamError, Ticket};
use tokio::sync::OnceCell;

use crate::error::{EngineError, ErrorKind, Result};
use crate::team_hook::{
    ReserveTicket, Settled, SharedApprovals, SharedError, SharedErrorKind, SharedFuture, SharedHit,
    SharedImage, SharedLedger, SharedLedgerHook, SharedMeter,
};

const FILE: &str = "team.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// This library's team config, `None` when it has not joined one.
pub fn load(data_dir: &Path) -> Result<Option<TeamConfig>> {
    let p = path(data_dir);
    match std::fs::read(&p) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            EngineError::internal(format!(
                "{} is damaged ({e}); leave the team and join it again",
                p.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(EngineError::internal(format!(
            "cannot read {}: {e}",
            p.display()
        ))),
    }
}

pub fn save(data_dir: &Path, c: &TeamConfig) -> Result<()> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| EngineError::internal(format!("cannot create {}: {e}", data_dir.display())))?;
    let text = serde_json::to_vec_pretty(c)
        .map_err(|e| EngineError::internal(format!("cannot encode the team config: {e}")))?;
    let (p, tmp) = (path(data_dir), data_dir.join(".team.json.tmp"));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &p))
        .map_err(|e| EngineError::internal(format!("cannot write {}: {e}", p.display())))
}

/// Removes `team.json` (leaving); absent is fine.
pub fn remove(data_dir: &Path) -> Result<()> {
    let p = path(data_dir);
    match std::fs::remove_file(&p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(EngineError::internal(format!(
            "cannot remove {}: {e}",
            p.display()
        ))),
    }
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

/// A team error as the engine reports it: server trouble is `Team`, the rest keeps
/// its usual kind. The message never holds the password (the team crate's don't).
pub fn engine_error(e: TeamError) -> EngineError {
    let kind = match e.class() {
        ErrorClass::Budget | ErrorClass::Approval => ErrorKind::Budget,
        ErrorClass::NotFound => ErrorKind::NotFound,
        ErrorClass::Forbidden | ErrorClass::Invalid => ErrorKind::Validation,
        ErrorClass::Unreachable | ErrorClass::Auth | ErrorClass::Schema => ErrorKind::Team,
        ErrorClass::Internal => ErrorKind::Internal,
    };
    EngineError::new(kind, e.to_string())
}

/// The keychain password of this machine (blocking work off the runtime).
pub async fn password(service: String, machine: String) -> Result<Option<String>> {
    tokio::task::spawn_blocking(move || {
        keys::KeyStore::new(&service)
            .team_password_get(&machine)
            .map(|s| s.map(|s| s.expose().to_owned()))
    })
    .await
    .map_err(|e| EngineError::internal(format!("keychain task failed: {e}")))?
    .map_err(EngineError::from)
}

/// Connects as the member this library joined as.
pub async fn connect(c: &TeamConfig, service: &str) -> Result<Team> {
    let pw = password(service.to_owned(), c.machine.clone()).await?;
    Team::connect(&c.db, pw.as_deref(), &c.machine)
        .await
        .map_err(engine_error)
}

/// The team bucket's settings with the keychain's access key (`None`: no storage).
pub async fn storage_config(c: &TeamConfig, service: &str) -> Result<Option<team::StorageConfig>> {
    let Some(url) = c.storage.clone() else {
        return Ok(None);
    };
    let (svc, machine) = (service.to_owned(), c.machine.clone());
    let key = tokio::task::spawn_blocking(move || {
        keys::KeyStore::new(&svc).team_storage_get(&machine)
    })
    .await
    .map_err(|e| EngineError::internal(format!("keychain task failed: {e}")))?
    .map_err(EngineError::from)?
    .ok_or_else(|| {
        EngineError::new(
            ErrorKind::Keychain,
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
    pub fn new(config: TeamConfig, service: String) -> Link {
        Link {
            config,
            service,
            team: OnceCell::new(),
            storage: OnceCell::new(),
        }
    }

    /// Already connected (join hands its connection over).
    pub fn connected(config: TeamConfig, service: String, team: Team) -> Link {
        Link {
            config,
            service,
            team: OnceCell::new_with(Some(team)),
            storage: OnceCell::new(),
        }
    }

    /// The engine option for a library that joined: this link, alone.
    pub fn hook(config: TeamConfig, service: String) -> SharedLedgerHook {
        SharedLedgerHook(Some(Arc::new(Link::new(config, service))))
    }

    pub fn config(&self) -> &TeamConfig {
        &self.config
    }

    /// The member connection (connecting now if needed).
    pub async fn team(&self) -> Result<&Team> {
        self.team
            .get_or_try_init(|| connect(&self.config, &self.service))
            .await
    }

    /// The bucket, when this library joined with one.
    async fn storage(&self) -> std::result::Result<Option<&team::Storage>, SharedError> {
        self.storage
            .get_or_try_init(|| async {
                match storage_config(&self.config, &self.service).await {
                    Ok(Some(c)) => team::Storage::connect(&c).map(Some).map_err(shared),
                    Ok(None) => Ok(None),
                    Err(e) => Err(SharedError {
                        kind: SharedErrorKind::Other,
                        message: e.message,
                    }),
                }
            })
            .await
            .map(Option::as_ref)
    }

    async fn fetch(&self, shas: &[String]) -> std::result::Result<Vec<Vec<u8>>, SharedError> {
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

    pub(crate) async fn shared_team(&self) -> std::result::Result<&Team, SharedError> {
        self.team().await.map_err(|e| SharedError {
            kind: if e.kind == ErrorKind::Team {
                SharedErrorKind::Unreachable
            } else {
                SharedErrorKind::Other
            },
            message: e.message,
        })
    }
}

pub(crate) fn shared(e: TeamError) -> SharedError {
    SharedError {
        kind: match e.class() {
            ErrorClass::Budget => SharedErrorKind::Budget,
            ErrorClass::Unreachable => SharedErrorKind::Unreachable,
            ErrorClass::Approval => match e {
                TeamError::NeedsApproval { .. } => SharedErrorKind::NeedsApproval,
                _ => SharedErrorKind::ApprovalTaken,
            },
            _ => SharedErrorKind::Other,
        },
        message: e.to_string(),
    }
}

/// An approval request's id as the engine carries it (text) back to the server's.
pub(crate) fn approval_id(id: &str) -> std::result::Result<i64, SharedError> {
    id.parse().map_err(|_| SharedError {
        kind: SharedErrorKind::Other,
        message: format!("{id:?} is not an approval request id"),
    })
}

impl SharedLedger for Link {
    fn reserve<'a>(
        &'a self,
        project: &'a str,
        generation: &'a str,
        request_hash: &'a str,
        amount: Decimal,
        ticket: &'a ReserveTicket,
    ) -> SharedFuture<'a, ()> {
        Box::pin(async move {
            let ticket = match ticket {
                ReserveTicket::Check => Ticket::Check,
                ReserveTicket::TopUp => Ticket::TopUp,
                ReserveTicket::Approved { id, replaces } => Ticket::Approved {
                    id: approval_id(id)?,
                    replaces: replaces.as_deref(),
                },
            };
            self.shared_team()
                .await?
                .reserve_with(project, generation, Some(request_hash), amount, ticket)
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
            self.shared_team()
                .await?
                .sync(generation, booked)
                .await
                .map_err(shared)
        })
    }

    fn open_generations(&self) -> SharedFuture<'_, Vec<String>> {
        Box::pin(async move {
            let open = self
                .shared_team()
                .await?
                .open_generations()
                .await
                .map_err(shared)?;
            Ok(open.into_iter().map(|(id, _)| id).collect())
        })
    }

    fn meter<'a>(&'a self, project: &'a str) -> SharedFuture<'a, Option<SharedMeter>> {
        Box::pin(async move {
            let t = self.shared_team().await?;
            let m = t.meter(project).await.map_err(shared)?;
            Ok(Some(SharedMeter {
                budget: m.budget,
                monthly: m.monthly,
                hard: m.hard,
                spent: m.spent,
                reserved: m.reserved,
                unconfirmed: m.unconfirmed,
                saved: m.saved,
                remaining: m.remaining,
                member: t.member().name.clone(),
                member_cap: m.member_cap,
                member_month_spent: m.member_month_spent,
                member_reserved: m.member_reserved,
            }))
        })
    }

    fn lookup<'a>(&'a self, keys: &'a [String]) -> SharedFuture<'a, Option<SharedHit>> {
        Box::pin(async move {
            // Without a bucket there is nothing to download: no team-wide dedup.
            if self.storage().await?.is_none() {
                return Ok(None);
            }
            let Some(p) = self
                .shared_team()
                .await?
                .lookup(keys)
                .await
                .map_err(shared)?
            else {
                return Ok(None);
            };
            let mut hit = hit_of(p);
            let bytes = self.fetch(&hit.sha256s).await?;
            hit.images = bytes
                .into_iter()
                .enumerate()
                .map(|(idx, bytes)| SharedImage {
                    idx: idx as u32,
                    bytes,
                    mime: String::new(),
                    thumb: None,
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
            self.shared_team()
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
                let thumb_sha256 = match &i.thumb {
                    Some(t) => Some(bucket.put_thumb(t).await.map_err(shared)?.0),
                    None => None,
                };
                published.push(team::PublishedImage {
                    idx: i.idx as i32,
                    sha256: sha,
                    mime: i.mime.clone(),
                    bytes: i.bytes.len() as i64,
                    thumb_sha256,
                });
            }
            self.shared_team()
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
            self.shared_team()
                .await?
                .unpublished()
                .await
                .map_err(shared)
        })
    }

    fn download<'a>(&'a self, sha256s: &'a [String]) -> SharedFuture<'a, Vec<Vec<u8>>> {
        Box::pin(self.fetch(sha256s))
    }

    fn download_thumbs<'a>(
        &'a self,
        shas: &'a [Option<String>],
    ) -> SharedFuture<'a, Vec<Option<Vec<u8>>>> {
        Box::pin(async move {
            let Some(bucket) = self.storage().await? else {
                return Ok(vec![None; shas.len()]);
            };
            let mut out = Vec::with_capacity(shas.len());
            for sha in shas {
                out.push(match sha {
                    Some(sha) => bucket
                        .get_thumb(sha)
                        .await
                        .inspect_err(|e| tracing::warn!("thumbnail {sha}: {e}; rendering it"))
                        .ok(),
                    None => None,
                });
            }
            Ok(out)
        })
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
                .shared_team()
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
        thumb_sha256s: p.images.iter().map(|i| i.thumb_sha256.clone()).collect(),
        sha256s: p.images.into_iter().map(|i| i.sha256).collect(),
        published_us: p.published_us,
    }
}

//! Team storage in the engine (issue 18): team-wide dedup, publication with its outbox,
//! and catch-up of teammates' generations. The server side is the embedder's
//! [`crate::SharedLedger`] (the CLI adapts the `team` crate and its S3 bucket).
//!
//! - Dedup: on a team project, a request this library cannot serve itself is looked up
//!   among the team's published results before anything is reserved or sent; a hit is
//!   downloaded (verified), stored here as a `reused` generation at $0 and its owner's
//!   cost booked as a saving, here and on the server. The provider is never called.
//! - Publication: when a team project's generation ends, its images go to the bucket
//!   (content-addressed: skipped when already there) and then its record to the server.
//!   A failure (bucket or server away) leaves it in the outbox, which is the server's own
//!   list of this machine's closed, unpublished generations: each recovery pass pushes
//!   them again, and nothing is uploaded twice.
//! - Catch-up: [`crate::Engine::team_pull`] receives teammates' published generations of
//!   each team project into this library (cursor per project, a short overlap re-read,
//!   already-held ones skipped).

use std::sync::Arc;

use futures::StreamExt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use store::{GenerationId, ProjectId, Status};

use crate::api::{GenerationResult, RecoveryReport};
use crate::context::Core;
use crate::convert;
use crate::error::{EngineError, Result};
use crate::team_hook::{SharedHit, SharedImage};

/// Publications commit out of order: each catch-up pass re-reads this much before its
/// cursor (and skips what it already holds).
const OVERLAP_US: i64 = 120_000_000;
/// Catch-up page size.
const PAGE: i64 = 200;
/// Catch-up downloads in flight at once.
const DOWNLOADS: usize = 8;

fn meta_of(hit: &SharedHit) -> Result<store::SharedMeta> {
    serde_json::from_value(hit.meta.clone()).map_err(|e| {
        EngineError::internal(format!(
            "the teammate's generation {} has an unreadable record ({e}); it was skipped",
            hit.source
        ))
    })
}

/// Team-wide dedup (see the module doc). `None`: run the request.
/// `local`: this library's own dedup lookup, tried first (no download).
pub(crate) async fn reuse(
    core: &Arc<Core>,
    project: ProjectId,
    team: Option<&str>,
    keys: &[String],
    (tier, parent): (store::Tier, Option<GenerationId>),
    local: impl Future<Output = Result<Option<GenerationResult>>>,
) -> Result<Option<GenerationResult>> {
    let Some(shared) = core.options().shared_ledger.0.clone() else {
        return Ok(None);
    };
    // Read in the run's first store hop (solo: none).
    let Some(name) = team.map(str::to_owned) else {
        return Ok(None);
    };
    if let Some(local) = local.await? {
        return Ok(Some(local));
    }
    let hit = match shared.lookup(keys).await {
        Ok(Some(hit)) => hit,
        Ok(None) => return Ok(None),
        Err(e) => {
            // The reservation that follows refuses clearly when the server is away.
            tracing::warn!("team dedup lookup failed: {}", e.message);
            return Ok(None);
        }
    };
    let meta = meta_of(&hit)?;
    let id = uuid::Uuid::new_v4();
    let bytes: Vec<Vec<u8>> = hit.images.into_iter().map(|i| i.bytes).collect();
    let cost = hit.cost;
    let result = core
        .store_op(move |s| {
            s.import_shared(id, project, tier, parent, &meta, &bytes, cost)?;
            let g = s.generation(id)?;
            let images = s.images(id)?;
            Ok(convert::result_of(s, &g, &images, &[]))
        })
        .await?;
    if let Err(e) = shared
        .record_hit(&name, &id.to_string(), &hit.source, cost)
        .await
    {
        tracing::warn!(generation = %id, "team saving not recorded: {}", e.message);
    }
    Ok(Some(result))
}

/// Publishes a team project's ended generation (images to the bucket, then its record).
/// Failures stay in the server-side outbox (see the module doc).
pub(crate) async fn publish(core: &Arc<Core>, generation: GenerationId) -> Result<()> {
    let Some(shared) = core.options().shared_ledger.0.clone() else {
        return Ok(());
    };
    let rec = core.store_op(move |s| s.generation(generation)).await?;
    if !rec.status.is_terminal() || rec.reused_from.is_some() {
        return Ok(());
    }
    if crate::team_project::team_name(core, rec.project_id)
        .await?
        .is_none()
    {
        return Ok(());
    }
    let (meta, images) = if rec.status == Status::Succeeded {
        core.store_op(move |s| {
            let (meta, files) = s.shared_meta(generation)?;
            let mut images = Vec::with_capacity(files.len());
            for (idx, path, mime) in files {
                let file = s.absolute(&path);
                let bytes = std::fs::read(&file)
                    .map_err(|source| store::StoreError::Io { path: file, source })?;
                // Its thumbnail rides along, so teammates need not render it.
                let thumb = s.thumbnail_bytes(&path);
                images.push(SharedImage {
                    idx,
                    bytes,
                    mime,
                    thumb,
                });
            }
            Ok((Some(meta), images))
        })
        .await?
    } else {
        (None, Vec::new())
    };
    let meta = serde_json::to_value(&meta)
        .map_err(|e| EngineError::internal(format!("encoding the team record: {e}")))?;
    shared
        .publish(&generation.to_string(), meta, images)
        .await
        .map_err(|e| EngineError::internal(format!("team publication deferred: {}", e.message)))
}

/// How a recovery message starts when the outbox could not be read (the server is away).
pub(crate) const OUTBOX_DOWN: &str = "team outbox not pushed";

/// Pushes this machine's unpublished generations (part of each recovery pass).
pub(crate) async fn outbox(core: &Arc<Core>, report: &mut RecoveryReport) {
    let Some(shared) = core.options().shared_ledger.0.clone() else {
        return;
    };
    let ids = match shared.unpublished().await {
        Ok(ids) => ids,
        Err(e) => {
            report
                .messages
                .push(format!("{OUTBOX_DOWN}: {}", e.message));
            return;
        }
    };
    for id in ids {
        let Ok(generation) = id.parse::<GenerationId>() else {
            continue;
        };
        if core.runs().active().contains(&generation) {
            continue;
        }
        match publish(core, generation).await {
            Ok(()) => {}
            Err(e) => report
                .messages
                .push(format!("team publication of {id}: {}", e.message)),
        }
    }
}

/// Catch-up progress, per team project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamPull {
    pub project: String,
    /// Teammates' generations received into this library on this pass.
    pub received: u64,
    /// Already here (the overlap, or served by dedup).
    pub skipped: u64,
    /// Images downloaded.
    pub images: u64,
    /// Items that could not be received (the message says why).
    pub failed: Vec<String>,
}

impl crate::Engine {
    /// Receives teammates' published generations of every team project of this library
    /// (see the module doc). `progress` sees the running totals after each page.
    pub async fn team_pull(
        &self,
        progress: &(dyn Fn(&TeamPull) + Send + Sync),
    ) -> Result<Vec<TeamPull>> {
        let core = self.core.clone();
        let Some(shared) = core.options().shared_ledger.0.clone() else {
            return Err(EngineError::validation(
                "this library has not joined a team: run `team join` first",
            ));
        };
        let projects = core
            .store_op(|s| {
                let mut out = Vec::new();
                for p in s.list_projects()? {
                    let key = Core::project_setting_key(p.id, crate::team_project::SETTING);
                    if s.setting(&key)?.and_then(|v| v.as_bool()).unwrap_or(false) {
                        let cursor = s
                            .setting(&Core::project_setting_key(p.id, CURSOR))?
                            .and_then(|v| v.as_i64())
                            .unwrap_or(0);
                        out.push((p.id, p.name, cursor));
                    }
                }
                Ok(out)
            })
            .await?;
        let mut all = Vec::new();
        for (project, name, cursor) in projects {
            let mut report = TeamPull {
                project: name.clone(),
                ..TeamPull::default()
            };
            let mut after = (cursor - OVERLAP_US).max(0);
            loop {
                let page = shared
                    .pull(&name, after, PAGE)
                    .await
                    .map_err(|e| EngineError::internal(format!("team catch-up: {}", e.message)))?;
                let n = page.len() as i64;
                let Some(last) = page.last().map(|h| h.published_us) else {
                    break;
                };
                // Downloads overlap (the bucket is the slow part); imports stay in order.
                let fetched: Vec<_> = futures::stream::iter(page)
                    .map(|hit| fetch(&core, shared.as_ref(), hit))
                    .buffered(DOWNLOADS)
                    .collect()
                    .await;
                let mut away = false;
                for f in fetched {
                    away |= matches!(f, Fetched::Away(_));
                    receive(&core, project, f, &mut report).await;
                }
                if away {
                    // The bucket did not answer: the cursor stays before this page, so
                    // the next pass receives what failed (held ones are skipped).
                    progress(&report);
                    break;
                }
                after = last;
                let key = Core::project_setting_key(project, CURSOR);
                let at = serde_json::Value::from(after.max(cursor));
                core.store_op(move |s| s.set_setting(&key, &at)).await?;
                progress(&report);
                if n < PAGE {
                    break;
                }
            }
            progress(&report);
            all.push(report);
        }
        Ok(all)
    }
}

/// The project setting holding the catch-up cursor.
const CURSOR: &str = "team_cursor";

/// A catch-up item with its images, or why it was skipped or failed.
enum Fetched {
    Held,
    Failed(String),
    /// The download failed (the bucket is away): retried on the next pass.
    Away(String),
    /// The images, and their thumbnails where the bucket had them.
    Ready(
        GenerationId,
        Box<store::SharedMeta>,
        Vec<Vec<u8>>,
        Vec<Option<Vec<u8>>>,
    ),
}

async fn fetch(
    core: &Arc<Core>,
    shared: &dyn crate::team_hook::SharedLedger,
    hit: SharedHit,
) -> Fetched {
    let Ok(id) = hit.source.parse::<GenerationId>() else {
        return Fetched::Failed(format!("{}: not a generation id", hit.source));
    };
    let meta = match meta_of(&hit) {
        Ok(m) => m,
        Err(e) => return Fetched::Failed(e.message),
    };
    match core.store_op(move |s| s.has_generation(id)).await {
        Ok(true) => return Fetched::Held,
        Ok(false) => {}
        Err(e) => return Fetched::Failed(format!("{id}: {}", e.message)),
    }
    let bytes = match shared.download(&hit.sha256s).await {
        Ok(b) => b,
        Err(e) => return Fetched::Away(format!("{id}: {}", e.message)),
    };
    // Best effort: a thumbnail that cannot be had is rendered here instead.
    let thumbs = shared
        .download_thumbs(&hit.thumb_sha256s)
        .await
        .unwrap_or_default();
    Fetched::Ready(id, Box::new(meta), bytes, thumbs)
}

async fn receive(core: &Arc<Core>, project: ProjectId, f: Fetched, report: &mut TeamPull) {
    let (id, meta, bytes, thumbs) = match f {
        Fetched::Held => {
            report.skipped += 1;
            return;
        }
        Fetched::Failed(m) | Fetched::Away(m) => {
            report.failed.push(m);
            return;
        }
        Fetched::Ready(id, meta, bytes, thumbs) => (id, meta, bytes, thumbs),
    };
    let n = bytes.len() as u64;
    let outcome = core
        .store_op(move |s| {
            if s.has_generation(id)? {
                return Ok(false);
            }
            for (image, thumb) in bytes.iter().zip(&thumbs) {
                if let Some(t) = thumb
                    && let Err(e) = s.put_thumbnail(image, t)
                {
                    tracing::warn!(%id, "a received thumbnail was refused ({}); rendering it", e);
                }
            }
            s.import_shared(id, project, meta.tier, None, &meta, &bytes, Decimal::ZERO)?;
            Ok(true)
        })
        .await;
    match outcome {
        Ok(true) => {
            report.received += 1;
            report.images += n;
        }
        Ok(false) => report.skipped += 1,
        Err(e) => report.failed.push(format!("{id}: {}", e.message)),
    }
}

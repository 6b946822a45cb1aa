//! The team's gallery on the server (V3): what each member published of their team
//! projects' generations — the library's metadata (`meta`, opaque here) and the images'
//! sha256 in the bucket — so a teammate's identical request is served from storage
//! (team-wide dedup) and every library can catch up on its teammates' work.
//!
//! A generation is published only once all its images are in the bucket (the caller
//! uploads first), so a published row never points at a missing object.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Team;
use crate::error::{Result, TeamError};

/// One image of a published generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedImage {
    pub idx: i32,
    pub sha256: String,
    pub mime: String,
    pub bytes: i64,
    /// Its thumbnail's object (`thumbs/` prefix), when the owner uploaded one.
    #[serde(default)]
    pub thumb_sha256: Option<String>,
}

/// A published generation, as a teammate's library receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub generation: String,
    pub project: String,
    pub member: String,
    pub request_hash: Option<String>,
    /// What it cost its owner (the saving when it serves a teammate).
    pub cost: Decimal,
    pub meta: serde_json::Value,
    pub images: Vec<PublishedImage>,
    /// Catch-up cursor: microseconds since the epoch of its publication.
    pub published_us: i64,
}

const SELECT: &str = "SELECT g.id, p.name, m.name, g.request_hash, g.charged_usd, g.meta::text,
        (extract(epoch FROM g.published_at) * 1000000)::bigint,
        coalesce((SELECT json_agg(json_build_object('idx', i.idx, 'sha256', i.sha256,
                   'mime', i.mime, 'bytes', coalesce(i.bytes, 0),
                   'thumb_sha256', i.thumb_sha256) ORDER BY i.idx)::text
                  FROM generation_images i WHERE i.generation_id = g.id), '[]')
     FROM generations g JOIN team_projects p ON p.id = g.project_id
     JOIN members m ON m.id = g.member_id";

fn published(r: &tokio_postgres::Row) -> Result<Published> {
    let images: String = r.get(7);
    let images = serde_json::from_str(&images)
        .map_err(|e| TeamError::Database(format!("a published generation's images: {e}")))?;
    Ok(Published {
        generation: r.get(0),
        project: r.get(1),
        member: r.get(2),
        request_hash: r.get(3),
        cost: r.get::<_, Decimal>(4).normalize(),
        meta: match r.get::<_, Option<String>>(5) {
            Some(t) => serde_json::from_str(&t)
                .map_err(|e| TeamError::Database(format!("a published generation's meta: {e}")))?,
            None => serde_json::Value::Null,
        },
        published_us: r.get(6),
        images,
    })
}

impl Team {
    /// Publishes a generation of a team project whose images are all in the bucket.
    /// Idempotent: publishing again rewrites the same rows. Without images (a failed
    /// generation) it only leaves the outbox: nothing is served from it.
    pub async fn publish(
        &self,
        generation: &str,
        meta: &serde_json::Value,
        images: &[PublishedImage],
    ) -> Result<()> {
        let (team, member) = (self.team_id, self.member.id);
        self.conn
            .run(async |c| {
                let meta = meta.to_string();
                let tx = c.transaction().await?;
                let owner = tx
                    .query_opt(
                        "SELECT g.member_id FROM generations g
                         JOIN team_projects p ON p.id = g.project_id
                         WHERE g.id = $1 AND p.team_id = $2",
                        &[&generation, &team],
                    )
                    .await?
                    .ok_or_else(|| TeamError::NotFound {
                        what: "team generation",
                        name: generation.to_owned(),
                    })?;
                if owner.get::<_, i64>(0) != member {
                    return Err(TeamError::Invalid(format!(
                        "generation {generation} belongs to another member"
                    )));
                }
                for i in images {
                    tx.execute(
                        "INSERT INTO generation_images(generation_id, idx, sha256, mime, bytes,
                                                      thumb_sha256)
                         VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (generation_id, idx) DO UPDATE SET sha256 = excluded.sha256,
                           mime = excluded.mime, bytes = excluded.bytes,
                           thumb_sha256 = excluded.thumb_sha256",
                        &[
                            &generation,
                            &i.idx,
                            &i.sha256,
                            &i.mime,
                            &i.bytes,
                            &i.thumb_sha256,
                        ],
                    )
                    .await?;
                }
                tx.execute(
                    "UPDATE generations SET meta = $2::text::jsonb, published_at = coalesce(published_at, now())
                     WHERE id = $1",
                    &[&generation, &meta],
                )
                .await?;
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    /// The newest published, paid result of the team for one of `keys` (in order), if
    /// any: the team-wide dedup lookup, before anything is reserved or sent.
    pub async fn lookup(&self, keys: &[String]) -> Result<Option<Published>> {
        let team = self.team_id;
        self.conn
            .run(async |c| {
                for key in keys {
                    let row = c
                        .query_opt(
                            &format!(
                                "{SELECT} WHERE g.request_hash = $1 AND p.team_id = $2
                                   AND g.published_at IS NOT NULL AND g.reused_from IS NULL
                                   AND EXISTS (SELECT 1 FROM generation_images i
                                               WHERE i.generation_id = g.id)
                                 ORDER BY g.published_at DESC LIMIT 1"
                            ),
                            &[key, &team],
                        )
                        .await?;
                    if let Some(r) = row {
                        return Ok(Some(published(&r)?));
                    }
                }
                Ok(None)
            })
            .await
    }

    /// Records that this member's generation `generation` of `project` was served from
    /// the teammate's `source`: a closed, $0 generation and the saving in the ledger.
    /// Idempotent on `generation`.
    pub async fn record_hit(
        &self,
        project: &str,
        generation: &str,
        source: &str,
        saved: Decimal,
    ) -> Result<()> {
        let (team, member, machine) = (self.team_id, self.member.id, self.machine.clone());
        self.conn
            .run(async |c| {
                let tx = c.transaction().await?;
                let p = crate::ledger::lock_project_row(&tx, team, project).await?;
                let inserted = tx
                    .execute(
                        "INSERT INTO generations(id, project_id, member_id, machine_id, request_hash,
                                                 status, closed_at, reused_from)
                         SELECT $1, $2, $3, $4, request_hash, 'closed', now(), id
                         FROM generations WHERE id = $5
                         ON CONFLICT (id) DO NOTHING",
                        &[&generation, &p, &member, &machine, &source],
                    )
                    .await?;
                if inserted == 1 {
                    crate::ledger::book(&tx, p, generation, member, &machine, "saving", saved)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    /// Teammates' published generations of `project` after the cursor (oldest first, at
    /// most `limit`): the catch-up feed. The cursor is [`Published::published_us`];
    /// callers re-read a short overlap and skip what they already hold, since
    /// publications commit out of order.
    pub async fn published_since(
        &self,
        project: &str,
        after_us: i64,
        limit: i64,
    ) -> Result<Vec<Published>> {
        let (team, member) = (self.team_id, self.member.id);
        self.conn
            .run(async |c| {
                let rows = c
                    .query(
                        &format!(
                            "{SELECT} WHERE p.team_id = $1 AND p.name = $2 AND g.member_id <> $3
                               AND g.published_at IS NOT NULL AND g.reused_from IS NULL
                                   AND EXISTS (SELECT 1 FROM generation_images i
                                               WHERE i.generation_id = g.id)
                               AND g.published_at > to_timestamp($4::bigint / 1000000.0)
                             ORDER BY g.published_at, g.id LIMIT $5"
                        ),
                        &[&team, &project, &member, &after_us, &limit],
                    )
                    .await?;
                rows.iter().map(published).collect()
            })
            .await
    }

    /// This machine's closed generations that are not published yet: the outbox (a
    /// generation served by dedup has nothing to publish).
    pub async fn unpublished(&self) -> Result<Vec<String>> {
        let machine = self.machine.clone();
        self.conn
            .run(async |c| {
                let rows = c
                    .query(
                        "SELECT id FROM generations WHERE machine_id = $1 AND status = 'closed'
                           AND published_at IS NULL AND reused_from IS NULL
                         ORDER BY closed_at LIMIT 1000",
                        &[&machine],
                    )
                    .await?;
                Ok(rows.iter().map(|r| r.get(0)).collect())
            })
            .await
    }

    /// How many generations of `project` are published, and how many distinct images
    /// they name (tests and `team sync`).
    pub async fn published_counts(&self, project: &str) -> Result<(i64, i64)> {
        let team = self.team_id;
        self.conn
            .run(async |c| {
                let r = c
                    .query_one(
                        "SELECT count(DISTINCT g.id), count(DISTINCT i.sha256)
                         FROM generations g JOIN team_projects p ON p.id = g.project_id
                         LEFT JOIN generation_images i ON i.generation_id = g.id
                         WHERE p.team_id = $1 AND p.name = $2 AND g.published_at IS NOT NULL",
                        &[&team, &project],
                    )
                    .await?;
                Ok((r.get(0), r.get(1)))
            })
            .await
    }
}

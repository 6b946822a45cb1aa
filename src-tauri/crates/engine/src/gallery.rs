//! The gallery side of the facade: pages, detail, favourites, ratings, boards, export,
//! the dashboard and the client spend report.

use std::collections::HashMap;
use std::path::PathBuf;

use store::{Cursor, GenerationId, Store};

use crate::api::{
    DashboardData, DriftView, GalleryItem, GalleryPage, GalleryQuery, GenerationDetail,
    GenerationStatus, ImageView,
};
use crate::convert;
use crate::error::{EngineError, Result, on_store};

pub(crate) fn parse_id(id: &str) -> Result<GenerationId> {
    uuid::Uuid::parse_str(id.trim())
        .map_err(|_| EngineError::validation(format!("`{id}` is not a generation id")))
}

/// An image reference: `<generation id>` (every image of it) or `<generation id>#<index>`
/// (one variation of an N-image generation; issue 12 §1.5).
pub(crate) fn parse_ref(id: &str) -> Result<(GenerationId, Option<u32>)> {
    match id.trim().split_once('#') {
        None => Ok((parse_id(id)?, None)),
        Some((g, i)) => {
            let idx = i.parse::<u32>().map_err(|_| {
                EngineError::validation(format!("`{id}` does not name an image of a generation"))
            })?;
            Ok((parse_id(g)?, Some(idx)))
        }
    }
}

fn encode_cursor(c: &Cursor) -> String {
    format!("{}:{}", c.created_at.timestamp_millis(), c.id)
}

/// Where a page starts: after a keyset cursor (`<ms>:<id>`, a page's `next_cursor`), or at
/// the n-th match (`@<n>`, a jump far down the list; its `next_cursor` continues by keyset).
fn decode_start(s: Option<&str>) -> Result<(Option<Cursor>, u32)> {
    match s {
        None => Ok((None, 0)),
        Some(s) => match s.strip_prefix('@') {
            Some(n) => Ok((None, n.parse().map_err(|_| bad_cursor())?)),
            None => Ok((Some(decode_cursor(s)?), 0)),
        },
    }
}

fn bad_cursor() -> EngineError {
    EngineError::validation("the gallery cursor is not valid; reload the gallery")
}

fn decode_cursor(s: &str) -> Result<Cursor> {
    let bad = bad_cursor;
    let (ms, id) = s.split_once(':').ok_or_else(bad)?;
    let ms: i64 = ms.parse().map_err(|_| bad())?;
    Ok(Cursor {
        created_at: chrono::DateTime::from_timestamp_millis(ms).ok_or_else(bad)?,
        id: id.parse().map_err(|_| bad())?,
    })
}

fn parse_time(s: &Option<String>, what: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    s.as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t.trim())
                .map(|d| d.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    EngineError::validation(format!("`{t}` is not an RFC 3339 {what} date"))
                })
        })
        .transpose()
}

fn board_id(s: &Store, project: Option<i64>, name: &str) -> store::Result<Option<i64>> {
    let projects = match project {
        Some(p) => vec![p],
        None => s.list_projects()?.into_iter().map(|p| p.id).collect(),
    };
    for p in projects {
        if let Some(b) = s.boards(p)?.into_iter().find(|b| b.name == name) {
            return Ok(Some(b.id));
        }
    }
    Ok(None)
}

pub(crate) async fn page(store: &Store, q: GalleryQuery) -> Result<GalleryPage> {
    let (after, offset) = decode_start(q.cursor.as_deref())?;
    let from = parse_time(&q.from, "start")?;
    let to = parse_time(&q.to, "end")?;
    on_store(store, move |s| {
        let names: HashMap<i64, String> = s
            .list_projects()?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let project_id = match &q.project {
            Some(n) => Some(s.project_by_name(n)?.id),
            None => None,
        };
        let limit = if q.limit == 0 { 200 } else { q.limit.min(1000) };
        let board_id = match &q.board {
            Some(b) => match board_id(s, project_id, b)? {
                Some(id) => Some(id),
                None => {
                    return Ok(GalleryPage {
                        items: Vec::new(),
                        next_cursor: None,
                        total: 0,
                    });
                }
            },
            None => None,
        };
        let provider = q.provider.map(|p| p.as_str().to_owned());
        let tier = q.tier.as_ref().map(convert::to_store_tier);
        let min_rating = q.min_rating.map(|r| u8::try_from(r.min(5)).unwrap_or(5));
        // Search and browse take the same filters; `total` counts every match.
        let (page, total) = match q.search.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(text) => {
                let sq = store::SearchQuery {
                    text: text.to_owned(),
                    project_id,
                    board_id,
                    provider,
                    tier,
                    from,
                    to,
                    favourites_only: q.favourites_only,
                    min_rating,
                    after,
                    offset,
                    limit,
                };
                (s.search(&sq)?, s.search_count(&sq)?)
            }
            None => {
                let gq = store::GalleryQuery {
                    project_id,
                    board_id,
                    provider,
                    tier,
                    from,
                    to,
                    favourites_only: q.favourites_only,
                    min_rating,
                    after,
                    offset,
                    limit,
                };
                (s.gallery_page(&gq)?, s.gallery_count(&gq)?)
            }
        };
        let mut items = Vec::with_capacity(page.items.len());
        for t in page.items {
            let cost = t.generation_cost;
            items.push(GalleryItem {
                generation_id: t.generation_id.to_string(),
                image: ImageView {
                    path: s.absolute(&t.path).display().to_string(),
                    thumb_path: t
                        .thumb_path
                        .as_ref()
                        .map(|p| s.absolute(p).display().to_string()),
                    hash: t.hash,
                    width: t.width,
                    height: t.height,
                    mime: t.mime,
                    seed: None,
                },
                prompt: t.prompt,
                project: names.get(&t.project_id).cloned().unwrap_or_default(),
                provider: t.provider,
                model: t.model,
                tier: convert::store_tier(t.tier),
                cost_usd: cost,
                created_at: t.created_at.to_rfc3339(),
                favourite: t.favourite,
                rating: u32::from(t.rating),
                image_index: t.idx,
                image_count: t.siblings.max(1),
            });
        }
        let total = u32::try_from(total).unwrap_or(u32::MAX);
        Ok(GalleryPage {
            items,
            next_cursor: page.next.as_ref().map(encode_cursor),
            total,
        })
    })
    .await
}

pub(crate) async fn detail(store: &Store, id: &str) -> Result<GenerationDetail> {
    let gid = parse_id(id)?;
    on_store(store, move |s| {
        let d = s.generation_detail(gid)?;
        let g = &d.generation;
        let project = s.project(g.project_id)?.name;
        let boards = s.generation_boards(gid)?;
        Ok(GenerationDetail {
            generation_id: g.id.to_string(),
            project,
            status: match convert::status(g.status) {
                GenerationStatus::Running if d.attempts.iter().any(crate::remote::is_pending) => {
                    GenerationStatus::Deferred
                }
                s => s,
            },
            tier: convert::store_tier(g.tier),
            offer_id: g.offer_id.clone().unwrap_or_default(),
            provider: g.provider,
            model: g.model.clone(),
            params: convert::params_of(g, &d.images),
            estimate_usd: g.estimate.unwrap_or_default(),
            cost_usd: g.cost,
            unconfirmed_usd: g.unconfirmed,
            saved_usd: g.saved,
            created_at: g.created_at.to_rfc3339(),
            images: d.images.iter().map(|i| convert::image_view(s, i)).collect(),
            attempts: d.attempts.iter().map(convert::attempt_view).collect(),
            parent_id: g.parent_id.map(|p| p.to_string()),
            children: d.children.iter().map(|c| c.id.to_string()).collect(),
            favourite: d.images.iter().any(|i| i.favourite),
            rating: d
                .images
                .iter()
                .map(|i| u32::from(i.rating))
                .max()
                .unwrap_or(0),
            boards,
            lineage: Some(crate::inputs::lineage_in(s, gid, g.tier)?),
        })
    })
    .await
}

async fn each_image(
    store: &Store,
    id: &str,
    f: impl Fn(&Store, i64) -> store::Result<()> + Send + 'static,
) -> Result<()> {
    let (gid, only) = parse_ref(id)?;
    on_store(store, move |s| {
        let mut images = s.images(gid)?;
        images.retain(|i| only.is_none_or(|o| o == i.idx));
        if images.is_empty() {
            return Err(store::StoreError::NotFound {
                what: "images of generation",
                id: gid.to_string(),
            });
        }
        for i in images {
            f(s, i.id)?;
        }
        Ok(())
    })
    .await
}

/// Deletes the images the references name (a bare generation id: all of its images).
pub(crate) async fn delete_images(store: &Store, ids: Vec<String>) -> Result<u32> {
    let refs = ids
        .iter()
        .map(|i| parse_ref(i))
        .collect::<Result<Vec<_>>>()?;
    on_store(store, move |s| {
        let mut images = Vec::new();
        for (gid, only) in refs {
            images.extend(
                s.images(gid)?
                    .into_iter()
                    .filter(|i| only.is_none_or(|o| o == i.idx))
                    .map(|i| i.id),
            );
        }
        let n = s.delete_images(&images)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    })
    .await
}

pub(crate) async fn set_favourite(store: &Store, id: &str, fav: bool) -> Result<()> {
    each_image(store, id, move |s, i| s.set_favourite(i, fav)).await
}

pub(crate) async fn set_rating(store: &Store, id: &str, rating: u32) -> Result<()> {
    let r = u8::try_from(rating)
        .ok()
        .filter(|r| *r <= 5)
        .ok_or_else(|| {
            EngineError::validation(format!("rating {rating} is out of range; use 0 to 5"))
        })?;
    each_image(store, id, move |s, i| s.set_rating(i, r)).await
}

pub(crate) async fn add_to_board(store: &Store, id: &str, board: &str) -> Result<()> {
    let (gid, only) = parse_ref(id)?;
    let name = board.trim().to_owned();
    if name.is_empty() {
        return Err(EngineError::validation("the board needs a name"));
    }
    on_store(store, move |s| {
        let g = s.generation(gid)?;
        let board = match s.boards(g.project_id)?.into_iter().find(|b| b.name == name) {
            Some(b) => b,
            None => s.create_board(g.project_id, &name)?,
        };
        for i in s.images(gid)? {
            if only.is_none_or(|o| o == i.idx) {
                s.add_to_board(board.id, i.id)?;
            }
        }
        Ok(())
    })
    .await
}

/// Deletes the board called `board` (the images stay in the gallery).
pub(crate) async fn delete_board(store: &Store, board: &str) -> Result<()> {
    let name = board.trim().to_owned();
    on_store(store, move |s| match s.delete_boards_named(&name)? {
        0 => Err(store::StoreError::NotFound {
            what: "board",
            id: name.clone(),
        }),
        _ => Ok(()),
    })
    .await
}

/// Takes an image (or every variation of a generation) off a board.
pub(crate) async fn remove_from_board(store: &Store, id: &str, board: &str) -> Result<()> {
    let (gid, only) = parse_ref(id)?;
    let name = board.trim().to_owned();
    on_store(store, move |s| {
        let g = s.generation(gid)?;
        let Some(b) = s.boards(g.project_id)?.into_iter().find(|b| b.name == name) else {
            return Err(store::StoreError::NotFound {
                what: "board",
                id: name.clone(),
            });
        };
        for i in s.images(gid)? {
            if only.is_none_or(|o| o == i.idx) {
                s.remove_from_board(b.id, i.id)?;
            }
        }
        Ok(())
    })
    .await
}

pub(crate) async fn boards(store: &Store) -> Result<Vec<String>> {
    on_store(store, |s| {
        let mut names = Vec::new();
        for p in s.list_projects()? {
            for b in s.boards(p.id)? {
                if !names.contains(&b.name) {
                    names.push(b.name);
                }
            }
        }
        names.sort();
        Ok(names)
    })
    .await
}

pub(crate) async fn export(
    store: &Store,
    ids: Vec<String>,
    folder: PathBuf,
) -> Result<Vec<String>> {
    let gids = ids
        .iter()
        .map(|i| parse_ref(i))
        .collect::<Result<Vec<_>>>()?;
    on_store(store, move |s| {
        let mut out = Vec::new();
        for (g, only) in gids {
            let e = s.export_images(g, &folder, only)?;
            out.extend(e.images.iter().map(|p| p.display().to_string()));
            out.push(e.sidecar.display().to_string());
        }
        Ok(out)
    })
    .await
}

/// Spend of one project or all, within an optional UTC day range (`from`..=`to`), with
/// the offers whose bills drift (about offers, not projects: whatever the filter).
pub(crate) async fn dashboard(
    store: &Store,
    drifts: Vec<DriftView>,
    project: Option<String>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<DashboardData> {
    let midnight = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    on_store(store, move |s| {
        let project_id = match &project {
            Some(n) => Some(s.project_by_name(n)?.id),
            None => None,
        };
        let d = s.dashboard(&store::DashboardQuery {
            project_id,
            from: from.and_then(midnight),
            to: to.and_then(|d| d.succ_opt()).and_then(midnight),
        })?;
        Ok(DashboardData {
            total_spend_usd: d.total_spent,
            by_day: convert::spend_points(d.by_day),
            by_provider: convert::spend_points(d.by_provider),
            by_model: convert::spend_points(d.by_model),
            by_project: convert::spend_points(d.by_project),
            failed_spend_usd: d.failure_spend,
            retry_spend_usd: d.retry_spend,
            saved_usd: d.savings,
            estimated_usd: d.estimate_vs_actual.iter().map(|e| e.estimated).sum(),
            actual_usd: d.estimate_vs_actual.iter().map(|e| e.actual).sum(),
            drifts,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::parse_ref;

    #[test]
    fn image_refs_name_a_generation_or_one_variation() {
        let g = "fae1002f-b203-4535-858b-745b1cfd1217";
        assert_eq!(parse_ref(g).expect("whole").1, None);
        let (id, idx) = parse_ref(&format!("{g}#2")).expect("one");
        assert_eq!((id.to_string().as_str(), idx), (g, Some(2)));
        assert!(parse_ref(&format!("{g}#x")).is_err());
        assert!(parse_ref("nope#1").is_err());
    }
}

#[cfg(test)]
mod store_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::test_store::{generation, open, png, project};

    fn query() -> GalleryQuery {
        GalleryQuery {
            project: None,
            board: None,
            provider: None,
            tier: None,
            from: None,
            to: None,
            favourites_only: false,
            min_rating: None,
            search: None,
            cursor: None,
            limit: 2,
        }
    }

    #[tokio::test]
    async fn pages_list_each_image_once_and_filters_narrow_them() {
        let lib = open();
        let s = &lib.store;
        let p = project(s, "Gallery", None);
        let mut gens = Vec::new();
        for i in 0..3u8 {
            let g = generation(s, &p, &format!("harbour {i}"));
            s.persist_image(g, 0, &png(i), None).unwrap();
            gens.push(g.to_string());
        }
        let first = page(s, query()).await.expect("page 1");
        assert_eq!(first.items.len(), 2);
        let cursor = first.next_cursor.clone().expect("more to come");
        let second = page(
            s,
            GalleryQuery {
                cursor: Some(cursor),
                ..query()
            },
        )
        .await
        .expect("page 2");
        let mut seen: Vec<String> = first
            .items
            .iter()
            .chain(&second.items)
            .map(|i| i.generation_id.clone())
            .collect();
        assert_eq!(seen.len(), 3, "three images over two pages");
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 3, "no image twice");

        set_favourite(s, &gens[1], true).await.expect("favourite");
        let favs = page(
            s,
            GalleryQuery {
                favourites_only: true,
                limit: 10,
                ..query()
            },
        )
        .await
        .expect("favourites");
        let ids: Vec<&str> = favs
            .items
            .iter()
            .map(|i| i.generation_id.as_str())
            .collect();
        assert_eq!(ids, [gens[1].as_str()]);
        assert!(set_favourite(s, "not-an-id", true).await.is_err());
    }

    #[tokio::test]
    async fn a_jump_cursor_starts_at_that_match_and_its_next_page_continues_by_keyset() {
        let lib = open();
        let s = &lib.store;
        let p = project(s, "Gallery", None);
        for i in 0..5u8 {
            let g = generation(s, &p, &format!("harbour {i}"));
            s.persist_image(g, 0, &png(i), None).unwrap();
        }
        let at = |cursor: &str| GalleryQuery {
            cursor: Some(cursor.to_owned()),
            limit: 10,
            ..query()
        };
        let all = page(
            s,
            GalleryQuery {
                limit: 10,
                ..query()
            },
        )
        .await
        .expect("all");
        let ids = |p: &GalleryPage| -> Vec<String> {
            p.items.iter().map(|i| i.generation_id.clone()).collect()
        };
        let jump = page(
            s,
            GalleryQuery {
                limit: 2,
                ..at("@2")
            },
        )
        .await
        .expect("jump");
        assert_eq!(ids(&jump), ids(&all)[2..4]);
        assert_eq!(jump.total, 5);
        let rest = page(s, at(&jump.next_cursor.clone().expect("one more")))
            .await
            .expect("rest");
        assert_eq!(ids(&rest), ids(&all)[4..]);
        assert!(
            page(s, at("@9"))
                .await
                .expect("past the end")
                .items
                .is_empty()
        );
        for bad in ["@", "@-1", "@x", "@1:2"] {
            assert!(page(s, at(bad)).await.is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn boards_are_listed_once_by_name_and_hold_an_image_once() {
        let lib = open();
        let s = &lib.store;
        let (a, b) = (project(s, "A", None), project(s, "B", None));
        let ga = generation(s, &a, "one").to_string();
        let gb = generation(s, &b, "two").to_string();
        s.persist_image(ga.parse().unwrap(), 0, &png(1), None)
            .unwrap();
        s.persist_image(gb.parse().unwrap(), 0, &png(2), None)
            .unwrap();
        add_to_board(s, &ga, "Picks").await.expect("board in A");
        add_to_board(s, &ga, " Picks ")
            .await
            .expect("same board again");
        add_to_board(s, &gb, "Picks").await.expect("board in B");
        assert_eq!(boards(s).await.expect("boards"), ["Picks"]);
        // A board belongs to its project: A's holds A's image once.
        let on_board = GalleryQuery {
            project: Some("A".into()),
            board: Some("Picks".into()),
            limit: 10,
            ..query()
        };
        let on_board = page(s, on_board).await.expect("board page");
        let ids: Vec<&str> = on_board
            .items
            .iter()
            .map(|i| i.generation_id.as_str())
            .collect();
        assert_eq!(ids, [ga.as_str()], "each image once");
        assert!(
            add_to_board(s, &ga, "  ").await.is_err(),
            "a board needs a name"
        );
        delete_board(s, "Picks").await.expect("delete");
        assert!(boards(s).await.expect("boards").is_empty());
        assert!(delete_board(s, "Picks").await.is_err(), "already gone");
    }
}

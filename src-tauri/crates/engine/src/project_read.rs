//! The project read at the start of a generation, from the cache when the library's
//! configuration has not changed since (`project_cache`), else in one store hop.

use std::sync::Arc;

use crate::context::Core;
use crate::error::{EngineError, ErrorKind, Result};
use crate::project_cache::ProjectContext;

/// The project named `name` as a generation needs it. The version is checked without
/// waiting (`None` while another write runs: then read, as before the cache).
pub(crate) async fn project_context(core: &Arc<Core>, name: &str) -> Result<Arc<ProjectContext>> {
    if let Some(v) = core.store().config_version_now()
        && let Some(hit) = core.projects().get(name, v)
    {
        return Ok(hit);
    }
    let owned = name.to_owned();
    let (version, context) = core
        .store_op(move |s| {
            // Read before the rows: a change in between shows as a newer version.
            let version = s.config_version()?;
            let p = s.project_by_name(&owned)?;
            let policy = s.policy(p.id)?;
            let key = Core::project_setting_key(p.id, crate::moderation::SETTING);
            let moderate = s.setting(&key)?.and_then(|v| v.as_bool()).unwrap_or(false);
            let team = crate::shared::team_of(s, p.id, p.name)?;
            Ok((
                version,
                ProjectContext {
                    project: p.id,
                    policy,
                    moderate,
                    team,
                },
            ))
        })
        .await
        .map_err(|e| match e.kind {
            ErrorKind::NotFound => {
                EngineError::not_found(format!("no project named \"{name}\"; create it first"))
            }
            _ => e,
        })?;
    let context = Arc::new(context);
    if let Some(v) = version {
        core.projects().put(name, v, context.clone());
    }
    Ok(context)
}

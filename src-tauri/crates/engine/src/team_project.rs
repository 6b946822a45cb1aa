//! Whether a local project is a team project (issue 18): its `project.<id>.team`
//! setting, read without the network. Below both `shared` (money) and `team_sync`
//! (storage), which use it.

use std::sync::Arc;

use store::ProjectId;

use crate::context::Core;
use crate::error::Result;

/// The project setting that marks a team project.
pub(crate) const SETTING: &str = "team";

/// The team project's name, when `project` is one.
pub(crate) async fn team_name(core: &Arc<Core>, project: ProjectId) -> Result<Option<String>> {
    let key = Core::project_setting_key(project, SETTING);
    core.store_op(move |s| {
        let team = s.setting(&key)?.and_then(|v| v.as_bool()).unwrap_or(false);
        Ok(if team {
            Some(s.project(project)?.name)
        } else {
            None
        })
    })
    .await
}

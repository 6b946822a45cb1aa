//! What a generation reads of its project at the start (id, policy, moderation, team
//! flag), kept between generations while the library's configuration is unchanged
//! (issue 17: that read was a store hop on every generation). Keyed by the store's
//! [`store::ConfigVersion`], which moves on every write to projects, policies or
//! settings, ours or another process's; a changed version reads the rows again.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use store::{ConfigVersion, Policy, ProjectId};

/// A project as a generation needs it.
#[derive(Debug)]
pub(crate) struct ProjectContext {
    pub project: ProjectId,
    pub policy: Policy,
    /// Pre-flight moderation is on for it.
    pub moderate: bool,
    /// Its name when it is a team project.
    pub team: Option<String>,
}

/// Bounded: names come from requests, but only existing projects are kept.
const MAX_ENTRIES: usize = 1024;

#[derive(Default)]
pub(crate) struct ProjectCache {
    by_name: Mutex<HashMap<String, (ConfigVersion, Arc<ProjectContext>)>>,
}

impl ProjectCache {
    /// The project as read under `version`, if it was.
    pub(crate) fn get(&self, name: &str, version: ConfigVersion) -> Option<Arc<ProjectContext>> {
        let map = self.by_name.lock();
        map.get(name)
            .filter(|(v, _)| *v == version)
            .map(|(_, c)| c.clone())
    }

    /// Keeps `context`, read after `version` was.
    pub(crate) fn put(&self, name: &str, version: ConfigVersion, context: Arc<ProjectContext>) {
        let mut map = self.by_name.lock();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(name.to_owned(), (version, context));
    }
}

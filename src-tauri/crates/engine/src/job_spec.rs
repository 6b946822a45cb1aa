//! What a job runs: the pipeline's input, also kept by approval of spend while a job
//! waits (a module of its own so `approval` and `pipeline` do not depend on each other).

use rust_decimal::Decimal;
use store::GenerationId;

use crate::api::{RequestParams, Route};

/// What a job runs.
#[derive(Debug, Clone)]
pub(crate) struct JobSpec {
    pub project: String,
    pub params: RequestParams,
    pub route: Route,
    pub no_dedup: bool,
    /// The draft a promoted final comes from.
    pub parent: Option<GenerationId>,
    /// "Later": send it to a provider's batch API at the batch price (`deferred`).
    pub later: bool,
    /// A team approval asked before a restart: wait for it instead of asking again.
    pub approval: Option<Resumed>,
}

/// A job resumed after a restart: the approval it already asked for.
#[derive(Debug, Clone)]
pub(crate) struct Resumed {
    pub id: String,
    pub estimate: Decimal,
}

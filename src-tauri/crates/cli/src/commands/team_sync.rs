//! `team sync` (issue 18, s18): pushes this machine's outbox (a recovery pass) and
//! receives teammates' generations, with progress.

use std::time::Duration;

use super::{Ctx, emit};
use crate::exit::{CliError, CliResult, Kind, OK};
use crate::output::safe;
use crate::team_args::TeamSyncArgs;
use crate::team_link;

pub(super) async fn run(ctx: &Ctx, a: TeamSyncArgs) -> CliResult<u8> {
    let c = super::team::joined(ctx)?;
    if c.storage.is_none() {
        return Err(
            CliError::usage("this library joined the team without storage").hint(
                "join again with --storage s3://BUCKET --storage-key-id ID --storage-secret-stdin",
            ),
        );
    }
    // Fail early and clearly when the key is missing from the keychain.
    team_link::storage_config(&c, &super::team::service(ctx)).await?;
    loop {
        let recovery = ctx.engine.recover().await?;
        let quiet = ctx.quiet;
        let progress = move |p: &engine::TeamPull| {
            if !quiet {
                eprintln!(
                    "{}: {} received ({} images), {} already here{}",
                    safe(&p.project),
                    p.received,
                    p.images,
                    p.skipped,
                    if p.failed.is_empty() {
                        String::new()
                    } else {
                        format!(", {} failed", p.failed.len())
                    }
                );
            }
        };
        let pulled = ctx.engine.team_pull(&progress).await?;
        let failed: usize = pulled.iter().map(|p| p.failed.len()).sum();
        let doc = serde_json::json!({
            "projects": pulled, "outbox_messages": recovery.messages,
        });
        emit(ctx, &doc, || {
            let received: u64 = pulled.iter().map(|p| p.received).sum();
            format!(
                "Team sync: {received} teammate generation(s) received across {} project(s){}.",
                pulled.len(),
                if failed > 0 {
                    format!("; {failed} could not be received (see --json)")
                } else {
                    String::new()
                }
            )
        })?;
        let Some(secs) = a.watch else {
            return Ok(if failed > 0 { Kind::Team.code() } else { OK });
        };
        tokio::time::sleep(Duration::from_secs(secs.max(1))).await;
    }
}

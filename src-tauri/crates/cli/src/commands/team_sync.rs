//! `team sync` and the storage half of `team join` (issue 18, s18): the bucket's access
//! key goes stdin → keychain after a probe of the bucket; `team sync` pushes this
//! machine's outbox (a recovery pass) and receives teammates' generations, with progress.

use std::time::Duration;

use super::{Ctx, emit};
use crate::exit::{CliError, CliResult, Kind, OK};
use crate::output::safe;
use crate::team_args::TeamSyncArgs;
use crate::team_link::{self, cli_error};

/// Checks that the bucket answers with this key, then keeps the key in the keychain.
pub(super) async fn store_storage_key(
    ctx: &Ctx,
    machine: &str,
    bucket: &str,
    endpoint: Option<&str>,
    key_id: &str,
    secret: String,
) -> CliResult<()> {
    let config = team::StorageConfig {
        url: bucket.to_owned(),
        endpoint: endpoint.map(str::to_owned),
        region: None,
        access_key_id: key_id.to_owned(),
        secret_access_key: secret.clone(),
    };
    let storage = team::Storage::connect(&config).map_err(cli_error)?;
    // Any digest will do: the answer (found or not) proves the bucket and the key.
    storage
        .exists(&team::storage::sha256_hex(b"proofsheet"))
        .await
        .map_err(|e| cli_error(e).hint("check --storage, --endpoint and the access key"))?;
    let (svc, m, id) = (
        super::team::service(ctx),
        machine.to_owned(),
        key_id.to_owned(),
    );
    tokio::task::spawn_blocking(move || {
        keys::KeyStore::new(&svc).team_storage_set(&m, &id, keys::Secret::from_string(secret))
    })
    .await
    .map_err(|e| CliError::general(format!("keychain task failed: {e}")))?
    .map_err(|e| CliError::new(Kind::Keychain, e.to_string()))
}

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

//! `keys set|list|delete|test`. The secret travels one way: stdin → engine → keychain.
//! It is never taken from an argument (shell history, `ps`) and never printed.

use std::io::{IsTerminal, Read};

use engine::api::{KeySource, KeyStatus, KeyView, ProviderId};

use super::{Ctx, emit};
use crate::args::{KeysCommand, KeysSetArgs};
use crate::exit::{CliError, CliResult, Kind, OK};
use crate::output::{safe, table};

/// Far above any real API key; stops `keys set x < /dev/zero` from eating memory.
const MAX_KEY_BYTES: u64 = 16 * 1024;

pub async fn run(ctx: &Ctx, c: KeysCommand) -> CliResult<u8> {
    match c {
        KeysCommand::Set(a) => {
            let provider = provider_id(&a.provider)?;
            set(ctx, a, provider).await
        }
        KeysCommand::List => list(ctx).await,
        KeysCommand::Delete { provider } => {
            let provider = provider_id(&provider)?;
            ctx.engine.key_delete(provider).await?;
            let doc = serde_json::json!({ "provider": provider, "deleted": true });
            emit(ctx, &doc, || {
                format!("Removed the {provider} key from the keychain.")
            })?;
            Ok(OK)
        }
        KeysCommand::Test { provider } => {
            let check = ctx.engine.key_test(provider_id(&provider)?).await?;
            emit(ctx, &check, || {
                let balance = check
                    .balance
                    .as_deref()
                    .map(|b| format!(" (balance {})", safe(b)))
                    .unwrap_or_default();
                format!("{}: {}{balance}", check.provider, safe(&check.message))
            })?;
            Ok(match check.status {
                KeyStatus::Valid => OK,
                KeyStatus::Invalid | KeyStatus::Unreachable => Kind::Provider.code(),
            })
        }
    }
}

/// Provider ids are short lowercase words. Anything else is refused without echoing it:
/// it may be a key pasted in the wrong place and must not reach the terminal.
fn provider_id(id: &str) -> CliResult<ProviderId> {
    if let Ok(p) = id.parse::<ProviderId>() {
        return Ok(p);
    }
    Err(CliError::usage(format!(
        "that is not a provider id (one of {}); if it was your key, pipe it on stdin \
         instead: `proofsheet-cli keys set openai < key.txt`",
        ProviderId::known()
    )))
}

async fn set(ctx: &Ctx, a: KeysSetArgs, provider: ProviderId) -> CliResult<u8> {
    if !a.refused_secret.is_empty() {
        // Do not echo the argument: it is probably the key.
        return Err(CliError::usage(format!(
            "keys are never taken as arguments (they would land in shell history and process lists); \
             pipe the key on stdin instead, e.g. `proofsheet-cli keys set {} < key.txt`",
            a.provider
        )));
    }
    let secret = read_secret(&a.provider)?;
    let view = ctx.engine.key_set(provider, secret).await?;
    emit(ctx, &view, || {
        let last4 = view
            .last4
            .as_deref()
            .map(|l| format!(" (…{l})"))
            .unwrap_or_default();
        format!(
            "Stored the {} key{last4} in the OS keychain.",
            view.provider
        )
    })?;
    Ok(OK)
}

fn read_secret(provider: &str) -> CliResult<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!(
            "Paste the {provider} API key, then press Enter and Ctrl-D \
             (it is visible while typed; piping it is safer: `keys set {provider} < key.txt`)."
        );
    }
    let mut raw = Vec::new();
    stdin
        .lock()
        .take(MAX_KEY_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| CliError::general(format!("cannot read the key from stdin: {e}")))?;
    if raw.len() as u64 > MAX_KEY_BYTES {
        return Err(CliError::usage(
            "stdin holds more than 16 KiB; that is not an API key",
        ));
    }
    let text = String::from_utf8(raw)
        .map_err(|_| CliError::usage("the key on stdin is not UTF-8 text"))?;
    let key = text.trim();
    if key.is_empty() {
        return Err(CliError::usage(format!(
            "no key on stdin; pipe it in, e.g. `proofsheet-cli keys set {provider} < key.txt`"
        )));
    }
    if key.contains(['\n', '\r']) {
        return Err(CliError::usage(
            "stdin holds several lines; pipe exactly one key",
        ));
    }
    Ok(key.to_string())
}

async fn list(ctx: &Ctx) -> CliResult<u8> {
    let keys: Vec<KeyView> = ctx.engine.key_list().await?;
    let doc = serde_json::json!({ "keys": keys });
    emit(ctx, &doc, || {
        if keys.is_empty() {
            return "No keys. Store one with `proofsheet-cli keys set openai < key.txt`.".into();
        }
        let rows: Vec<Vec<String>> = keys
            .iter()
            .map(|k| {
                vec![
                    k.provider.to_string(),
                    match k.source {
                        KeySource::Keychain => "keychain".into(),
                        KeySource::Environment => "environment".into(),
                    },
                    k.last4
                        .as_deref()
                        .map(|l| format!("…{l}"))
                        .unwrap_or_default(),
                    k.added_at.clone().unwrap_or_default(),
                ]
            })
            .collect();
        table(&["provider", "source", "ends with", "added"], &rows, &[])
    })?;
    Ok(OK)
}

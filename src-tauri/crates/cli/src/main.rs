//! proofsheet-cli: the headless face of the Proofsheet engine (DESIGN.md §5).
//! Parses the command line, opens the engine (which reconciles jobs a dead process left
//! running), runs one command and maps the outcome to a documented exit code.

mod args;
mod commands;
mod config;
mod exit;
mod gateway_args;
mod output;
mod parse;
mod team_approval_args;
mod team_args;
mod team_link;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::args::Cli;
use crate::commands::Ctx;
use crate::exit::{CliError, CliResult};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            // clap echoes the bad value, escape sequences included: when an argument
            // holds control characters, print the error unstyled (which drops escape
            // sequences) with any other control character escaped.
            let hostile =
                std::env::args_os().any(|a| a.to_string_lossy().chars().any(char::is_control));
            if e.use_stderr() && hostile {
                let plain = e.render().to_string();
                let lines: Vec<String> = plain.lines().map(output::safe).collect();
                eprintln!("{}", lines.join("\n").trim_end());
            } else {
                let _ = e.print();
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(exit::USAGE));
        }
    };
    init_logging();
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let e = CliError::general(format!("cannot start the async runtime: {e}"));
            return ExitCode::from(fail(&e, json));
        }
    };
    let code = match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => fail(&e, json),
    };
    // Do not wait for background work beyond a moment: anything unfinished is
    // reconciled by the next start.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    ExitCode::from(code)
}

async fn run(cli: Cli) -> CliResult<u8> {
    // Signing and verifying files needs no library.
    if let Some(code) = commands::catalog_offline(&cli.command, cli.global.json) {
        return code;
    }
    let config = config::engine_config(cli.global.data_dir.clone())?;
    // Jobs a dead process left running are reconciled in the background while the
    // command runs (`recover` waits for it). The engine's lease tells a dead process's
    // jobs from a live one's, so other processes on this data dir are left alone.
    let mut options = engine::EngineOptions {
        recovery: engine::RecoveryMode::Background,
        ..Default::default()
    };
    if let Some(ms) = config::poll_interval_ms() {
        options.poll_interval = std::time::Duration::from_millis(ms);
    }
    if let Some(ms) = config::http_timeout_ms() {
        options.http_timeout = std::time::Duration::from_millis(ms);
    }
    options.catalog_feed_key = config::catalog_feed_key()?;
    options.provider_concurrency = config::calls_per_provider()?;
    // A library that joined a team reserves and settles team projects there.
    if let Some(team) = team_link::load(&config.data_dir)? {
        options.shared_ledger = team_link::Link::hook(team, config.keychain_service.clone());
    }
    let engine = engine::Engine::open_with(config, options).await?;
    let ctx = Ctx {
        engine: Arc::new(engine),
        json: cli.global.json,
        quiet: cli.global.quiet,
    };
    commands::run(&ctx, cli.command).await
}

/// Error text on stderr; with `--json` also `{"error":{…}}` on stdout so scripts always
/// get one document.
fn fail(e: &CliError, json: bool) -> u8 {
    eprintln!("proofsheet-cli: error: {}", e.display());
    if json {
        let doc = serde_json::json!({
            "error": { "kind": e.kind, "code": e.kind.code(), "message": e.full_message() }
        });
        let _ = output::json(&doc);
    }
    e.kind.code()
}

/// Logs go to stderr only (stdout is for results), filtered by `PROOFSHEET_LOG`.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PROOFSHEET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

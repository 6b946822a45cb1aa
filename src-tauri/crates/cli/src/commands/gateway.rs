//! `gateway add|list|show|remove|test|key`. Secrets travel one way: stdin → engine →
//! keychain; never an argument, never printed.

use std::io::{IsTerminal, Read};

use engine::api::{GatewayHeaderInput, GatewayInput, GatewayModelInput, GatewayView};

use super::{Ctx, emit};
use crate::exit::{CliError, CliResult, Kind, OK};
use crate::gateway_args::{DialectArg, GatewayAddArgs, GatewayCommand};
use crate::output::{safe, table};

const MAX_STDIN: u64 = 64 * 1024;

pub async fn run(ctx: &Ctx, c: GatewayCommand) -> CliResult<u8> {
    match c {
        GatewayCommand::Add(a) => add(ctx, *a).await,
        GatewayCommand::List => {
            let list = ctx.engine.gateway_list().await?;
            emit(ctx, &serde_json::json!({ "gateways": list }), || {
                if list.is_empty() {
                    return "No gateways. Add one with `proofsheet-cli gateway add NAME --base-url URL --model NAME=OFFER_ID`.".into();
                }
                list.iter().map(human).collect::<Vec<_>>().join("\n\n")
            })?;
            Ok(OK)
        }
        GatewayCommand::Show { name } => {
            let g = ctx.engine.gateway_show(&name).await?;
            emit(ctx, &g, || human(&g))?;
            Ok(OK)
        }
        GatewayCommand::Remove { name } => {
            ctx.engine.gateway_remove(&name).await?;
            let doc = serde_json::json!({ "name": name, "removed": true });
            emit(ctx, &doc, || {
                format!("Removed gateway {name}, its key and secret headers.")
            })?;
            Ok(OK)
        }
        GatewayCommand::Test { name } => {
            let t = ctx.engine.gateway_test(&name).await?;
            emit(ctx, &t, || {
                let key = match t.key_accepted {
                    Some(true) => "key accepted",
                    Some(false) => "key REFUSED",
                    None => "key not checked",
                };
                let reach = if t.reachable {
                    "reachable"
                } else {
                    "UNREACHABLE"
                };
                if unchecked(&t) {
                    // Portkey: headers checked, no model list to check against.
                    return format!("{}: {reach}; {}", t.name, safe(&t.message));
                }
                format!(
                    "{}: {reach}; {key}\n  serves: {}\n  not listed: {}\n  {}",
                    t.name,
                    list_or_none(&t.served),
                    list_or_none(&t.missing),
                    safe(&t.message)
                )
            })?;
            Ok(
                if t.reachable && (t.key_accepted == Some(true) || unchecked(&t)) {
                    OK
                } else {
                    Kind::Provider.code()
                },
            )
        }
        GatewayCommand::Key { refused_secret, .. } if !refused_secret.is_empty() => Err(refused()),
        GatewayCommand::Key { name, .. } => {
            let mut lines = read_stdin_lines("the gateway key")?;
            if lines.len() != 1 {
                return Err(CliError::usage("pipe exactly one line: the gateway's key"));
            }
            let g = ctx.engine.gateway_key_set(&name, lines.remove(0)).await?;
            emit(ctx, &g, || {
                format!("Stored the key of gateway {} in the OS keychain.", g.name)
            })?;
            Ok(OK)
        }
    }
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        safe(&v.join(", "))
    }
}

/// Reachable, but the gateway gives no model list (Portkey): nothing was refused, and
/// neither the key nor the models could be checked without generating.
fn unchecked(t: &engine::api::GatewayTestView) -> bool {
    t.reachable && t.key_accepted.is_none() && t.served.is_empty() && t.missing.is_empty()
}

fn human(g: &GatewayView) -> String {
    let mut out = format!(
        "{} ({}, {}) key: {}",
        safe(&g.name),
        safe(&g.base_url),
        g.dialect,
        if g.key_set { "set" } else { "none" }
    );
    for h in &g.headers {
        let v = if h.secret {
            if h.secret_set {
                "[secret, in keychain]".to_owned()
            } else {
                "[secret, MISSING]".to_owned()
            }
        } else {
            safe(h.value.as_deref().unwrap_or(""))
        };
        out.push_str(&format!("\n  header {}: {v}", safe(&h.name)));
    }
    let mut markup = Vec::new();
    if let Some(p) = g.markup_percent {
        markup.push(format!("+{}%", p.normalize()));
    }
    if let Some(p) = g.markup_per_image_usd {
        markup.push(format!("+${}/image", p.normalize()));
    }
    if let Some(p) = g.price_per_image_usd {
        markup.push(format!("unbound models ${}/image", p.normalize()));
    }
    if !markup.is_empty() {
        out.push_str(&format!("\n  pricing: {}", markup.join(", ")));
    }
    let rows: Vec<Vec<String>> = g
        .models
        .iter()
        .map(|m| {
            vec![
                safe(&m.offer_id),
                safe(m.bound_offer.as_deref().unwrap_or("—")),
                m.pricing.to_string(),
                format!("{:?}", m.tier).to_lowercase(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push('\n');
        out.push_str(&table(
            &["offer", "priced as", "pricing", "tier"],
            &rows,
            &[],
        ));
    }
    out
}

/// Never echoes the argument: it is probably a secret.
fn refused() -> CliError {
    CliError::usage(
        "gateway keys and secret header values are never taken as arguments (shell history, \
         process lists); pipe them on stdin: one line per --secret-header, then the key with \
         --key-stdin",
    )
}

async fn add(ctx: &Ctx, a: GatewayAddArgs) -> CliResult<u8> {
    if !a.refused_secret.is_empty() {
        return Err(refused());
    }
    let mut headers = Vec::new();
    for h in &a.headers {
        let Some((k, v)) = h.split_once('=') else {
            return Err(CliError::usage(format!(
                "--header takes K=V (e.g. x-portkey-provider=openai); a secret value goes on stdin with --secret-header {}",
                safe(h.split(':').next().unwrap_or("K"))
            )));
        };
        headers.push(GatewayHeaderInput {
            name: k.trim().to_owned(),
            value: Some(v.trim().to_owned()),
            secret: false,
        });
    }
    let wanted = a.secret_headers.len() + usize::from(a.key_stdin);
    let mut secrets = if wanted > 0 {
        read_stdin_lines("secret header values and the key")?
    } else {
        Vec::new()
    };
    if secrets.len() != wanted {
        return Err(CliError::usage(format!(
            "stdin holds {} non-empty lines; expected {wanted}: one per --secret-header{}",
            secrets.len(),
            if a.key_stdin { ", then the key" } else { "" }
        )));
    }
    let key = a.key_stdin.then(|| secrets.pop()).flatten();
    for (name, value) in a.secret_headers.iter().zip(secrets) {
        headers.push(GatewayHeaderInput {
            name: name.trim().to_owned(),
            value: Some(value),
            secret: true,
        });
    }
    let models = a
        .models
        .iter()
        .map(|m| match m.split_once('=') {
            Some((n, o)) => GatewayModelInput {
                name: n.trim().to_owned(),
                offer_id: Some(o.trim().to_owned()),
            },
            None => GatewayModelInput {
                name: m.trim().to_owned(),
                offer_id: None,
            },
        })
        .collect();
    let input = GatewayInput {
        name: a.name,
        base_url: a.base_url,
        dialect: match a.dialect {
            DialectArg::Images => engine::api::GatewayDialect::Images,
            DialectArg::Chat => engine::api::GatewayDialect::Chat,
        },
        headers,
        models,
        markup_percent: a.markup,
        markup_per_image_usd: a.markup_per_image,
        price_per_image_usd: a.price_per_image,
        cost_header: a.cost_header,
        cost_json_path: a.cost_path,
        key,
    };
    let g = ctx.engine.gateway_save(input).await?;
    emit(ctx, &g, || format!("Saved.\n{}", human(&g)))?;
    Ok(OK)
}

/// Non-empty lines of stdin, trimmed. Never echoed.
fn read_stdin_lines(what: &str) -> CliResult<Vec<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Paste {what}, one per line, then press Ctrl-D (piping is safer).");
    }
    let mut raw = Vec::new();
    stdin
        .lock()
        .take(MAX_STDIN + 1)
        .read_to_end(&mut raw)
        .map_err(|e| CliError::general(format!("cannot read stdin: {e}")))?;
    if raw.len() as u64 > MAX_STDIN {
        return Err(CliError::usage(
            "stdin holds more than 64 KiB; that is not a key",
        ));
    }
    let text = String::from_utf8(raw).map_err(|_| CliError::usage("stdin is not UTF-8 text"))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

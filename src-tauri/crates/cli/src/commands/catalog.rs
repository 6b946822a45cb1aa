//! `catalog status|check|diff|apply|restore|set-url|sign|verify|keygen`: catalog
//! updates from the signed feed (nothing changes without `apply`), and the publisher's
//! side (sign, verify, keygen), which needs no library.

use std::path::{Path, PathBuf};

use engine::feed::{CatalogDiffView, CatalogStatusView, FeedKey, PrivateKey};
use serde_json::json;

use super::{Ctx, emit};
use crate::args::{CatalogCommand, Command};
use crate::exit::{CliError, CliResult, OK};
use crate::output::{self, safe, table, usd_opt};

/// A catalog file is tens of kilobytes; refuse to read anything huge.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub async fn run(ctx: &Ctx, c: CatalogCommand) -> CliResult<u8> {
    match c {
        CatalogCommand::Status => {
            let st = ctx.engine.catalog_status().await?;
            emit(ctx, &st, || status_text(&st))?;
        }
        CatalogCommand::Check => {
            let r = ctx.engine.catalog_check().await?;
            emit(ctx, &r, || match &r.diff {
                Some(d) => format!(
                    "{}\n{}\nReview with `proofsheet-cli catalog diff`, then `proofsheet-cli \
                     catalog apply --version {}`.",
                    safe(&r.message),
                    summary(d),
                    safe(&d.to_version)
                ),
                None => safe(&r.message),
            })?;
        }
        CatalogCommand::Diff => {
            let st = ctx.engine.catalog_status().await?;
            let diff = match st.pending {
                Some(d) => Some(d),
                None => ctx.engine.catalog_check().await?.diff,
            };
            match diff {
                Some(d) => emit(ctx, &d, || {
                    format!(
                        "{}\nApply with `proofsheet-cli catalog apply --version {}`.",
                        diff_text(&d),
                        safe(&d.to_version)
                    )
                })?,
                None => {
                    let doc = json!({ "up_to_date": true, "version": st.version });
                    emit(ctx, &doc, || {
                        format!(
                            "No update: the catalog in use ({}) is the feed's newest.",
                            safe(&st.version)
                        )
                    })?;
                }
            }
        }
        CatalogCommand::Apply { version } => {
            // What is about to change, for the summary line (checks when nothing waits).
            let diff = match ctx.engine.catalog_status().await?.pending {
                Some(d) => Some(d),
                None => ctx.engine.catalog_check().await?.diff,
            };
            let st = ctx.engine.catalog_apply(version).await?;
            emit(ctx, &st, || {
                format!(
                    "Applied catalog {} (published {}): {}. `proofsheet-cli catalog restore` \
                     brings back {}.",
                    safe(&st.version),
                    st.published,
                    diff.as_ref()
                        .map_or_else(|| "no offer changes".to_owned(), summary),
                    st.previous
                        .as_ref()
                        .map_or_else(|| "the previous one".to_owned(), |p| safe(&p.version))
                )
            })?;
        }
        CatalogCommand::Restore => {
            let st = ctx.engine.catalog_restore().await?;
            emit(ctx, &st, || {
                format!(
                    "Restored catalog {} (published {}, {}).",
                    safe(&st.version),
                    st.published,
                    st.origin
                )
            })?;
        }
        CatalogCommand::SetUrl { url, default } => {
            let url = if default { None } else { url };
            let st = ctx.engine.catalog_set_feed_url(url).await?;
            emit(ctx, &st, || format!("Feed URL: {}", safe(&st.feed_url)))?;
        }
        CatalogCommand::Sign { .. }
        | CatalogCommand::Verify { .. }
        | CatalogCommand::Keygen { .. } => {
            // Handled by `offline` before the library is opened.
            return Err(CliError::general(
                "internal: offline catalog command reached run",
            ));
        }
    }
    Ok(OK)
}

/// Runs the commands that need no library (`sign`, `verify`, `keygen`); `None` for the others.
pub fn offline(command: &Command, json: bool) -> Option<CliResult<u8>> {
    let Command::Catalog(c) = command else {
        return None;
    };
    let result = match c {
        CatalogCommand::Sign { file, key, out } => sign(file, key, out.as_deref(), json),
        CatalogCommand::Verify {
            file,
            sig,
            public_key,
        } => verify(file, sig.as_deref(), public_key.as_deref(), json),
        CatalogCommand::Keygen { out } => keygen(out, json),
        _ => return None,
    };
    Some(result.map(|()| OK))
}

fn print(json: bool, doc: &serde_json::Value, human: String) -> CliResult<()> {
    if json {
        output::json(doc)
    } else {
        output::line(&human)
    }
}

fn read_file(path: &Path, what: &str) -> CliResult<Vec<u8>> {
    let shown = safe(&path.display().to_string());
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::usage(format!("cannot read the {what} {shown}: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(CliError::usage(format!(
            "the {what} {shown} is larger than 16 MiB; it is not a catalog"
        )));
    }
    std::fs::read(path).map_err(|e| CliError::usage(format!("cannot read the {what} {shown}: {e}")))
}

fn sig_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}

fn sign(file: &Path, key: &Path, out: Option<&Path>, json: bool) -> CliResult<()> {
    let body = read_file(file, "catalog file")?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| CliError::usage("the catalog file is not UTF-8 text"))?;
    // Never sign what the app would refuse.
    let catalog = engine::feed::validate_catalog(text)
        .map_err(|e| CliError::usage(format!("not signed: the catalog is invalid: {e}")))?;
    let key_text = String::from_utf8(read_file(key, "private key file")?)
        .map_err(|_| CliError::usage("the private key file is not text"))?;
    let private = PrivateKey::parse(&key_text)?;
    let out = out.map_or_else(|| sig_path(file), Path::to_path_buf);
    std::fs::write(&out, private.sign(&body)).map_err(|e| {
        CliError::general(format!(
            "cannot write the signature {}: {e}",
            safe(&out.display().to_string())
        ))
    })?;
    let public = private.public().to_hex();
    let builtin = public == FeedKey::builtin().to_hex();
    let doc = json!({
        "file": file.display().to_string(),
        "signature_file": out.display().to_string(),
        "version": catalog.version,
        "published": catalog.published.to_string(),
        "public_key": public,
        "builtin_key": builtin,
    });
    let mut human = format!(
        "Signed catalog {} ({} offers) → {}\nPublic key: {public}",
        safe(&catalog.version),
        catalog.offers().len(),
        safe(&out.display().to_string())
    );
    if !builtin {
        human.push_str(
            "\nNote: this is not the key built into the app; the app will refuse this feed.",
        );
    }
    print(json, &doc, human)
}

fn verify(file: &Path, sig: Option<&Path>, public_key: Option<&str>, json: bool) -> CliResult<()> {
    let body = read_file(file, "catalog file")?;
    let sig_file = sig.map_or_else(|| sig_path(file), Path::to_path_buf);
    let sig_text = String::from_utf8_lossy(&read_file(&sig_file, "signature file")?).into_owned();
    let key = match public_key {
        Some(hex) => FeedKey::from_hex(hex)?,
        None => FeedKey::builtin(),
    };
    let catalog = engine::feed::verify_catalog(&key, &body, &sig_text)?;
    let doc = json!({
        "file": file.display().to_string(),
        "valid": true,
        "version": catalog.version,
        "published": catalog.published.to_string(),
        "offers": catalog.offers().len(),
        "public_key": key.to_hex(),
    });
    let human = format!(
        "Valid: catalog {} (published {}, {} offers), signed with {}.",
        safe(&catalog.version),
        catalog.published,
        catalog.offers().len(),
        key.to_hex()
    );
    print(json, &doc, human)
}

fn keygen(out: &Path, json: bool) -> CliResult<()> {
    let shown = safe(&out.display().to_string());
    let key = PrivateKey::generate();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(out).map_err(|e| {
        CliError::usage(format!(
            "cannot create {shown} (an existing file is never overwritten): {e}"
        ))
    })?;
    std::io::Write::write_all(&mut f, key.to_pem().as_bytes())
        .map_err(|e| CliError::general(format!("cannot write {shown}: {e}")))?;
    let public = key.public().to_hex();
    let doc = json!({ "private_key_file": out.display().to_string(), "public_key": public });
    print(
        json,
        &doc,
        format!(
            "Private key written to {shown} (keep it offline, never in a repository).\n\
             Public key: {public}"
        ),
    )
}

fn status_text(st: &CatalogStatusView) -> String {
    let mut lines = vec![
        format!(
            "Catalog {} (published {}, {} days old, {})",
            safe(&st.version),
            st.published,
            st.age_days,
            st.origin
        ),
        format!("Feed: {}", safe(&st.feed_url)),
        format!(
            "Last check: {}",
            st.last_checked_at.as_deref().unwrap_or("never")
        ),
    ];
    if let Some(e) = &st.last_check_error {
        lines.push(format!("Last check failed: {}", safe(e)));
    }
    if let Some(d) = &st.pending {
        lines.push(format!(
            "Update waiting: {} (published {}): {}",
            safe(&d.to_version),
            d.to_published,
            summary(d)
        ));
    }
    if let Some(p) = &st.previous {
        lines.push(format!(
            "Restore would bring back: {} (published {}){}",
            safe(&p.version),
            p.published,
            if p.bundled { ", built in" } else { "" }
        ));
    }
    lines.join("\n")
}

fn summary(d: &CatalogDiffView) -> String {
    format!(
        "{} price changes, {} new offers, {} retired offers, {} lifecycle changes, {} other changes",
        d.price_changes.len(),
        d.added.len(),
        d.removed.len(),
        d.lifecycle_changes.len(),
        d.other_changes.len()
    )
}

fn diff_text(d: &CatalogDiffView) -> String {
    let mut out = vec![format!(
        "Catalog {} ({}) → {} ({})",
        safe(&d.from_version),
        d.from_published,
        safe(&d.to_version),
        d.to_published
    )];
    if !d.price_changes.is_empty() {
        let rows: Vec<Vec<String>> = d
            .price_changes
            .iter()
            .map(|p| {
                vec![
                    p.offer_id.clone(),
                    p.probe.clone(),
                    usd_opt(p.old_usd),
                    usd_opt(p.new_usd),
                    p.percent.map_or_else(
                        || "-".to_owned(),
                        |x| {
                            if x.is_sign_negative() {
                                format!("{x}%")
                            } else {
                                format!("+{x}%")
                            }
                        },
                    ),
                ]
            })
            .collect();
        out.push(format!(
            "\nPrice changes (one image):\n{}",
            table(
                &["offer", "priced at", "old", "new", "change"],
                &rows,
                &[2, 3, 4]
            )
        ));
    }
    let list = |title: &str, items: &[engine::feed::OfferRefView]| {
        if items.is_empty() {
            return None;
        }
        let rows: Vec<String> = items
            .iter()
            .map(|o| format!("  {}  {}", safe(&o.offer_id), safe(&o.display_name)))
            .collect();
        Some(format!("\n{title} ({}):\n{}", items.len(), rows.join("\n")))
    };
    out.extend(list("New offers", &d.added));
    out.extend(list(
        "Retired offers (no longer in the catalog)",
        &d.removed,
    ));
    if !d.lifecycle_changes.is_empty() {
        let rows: Vec<Vec<String>> = d
            .lifecycle_changes
            .iter()
            .map(|c| {
                vec![
                    c.offer_id.clone(),
                    c.field.to_string(),
                    c.old.clone().unwrap_or_else(|| "-".into()),
                    c.new.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        out.push(format!(
            "\nLifecycle changes:\n{}",
            table(&["offer", "field", "old", "new"], &rows, &[])
        ));
    }
    if !d.other_changes.is_empty() {
        let rows: Vec<String> = d
            .other_changes
            .iter()
            .map(|c| format!("  {}: {}", safe(&c.offer_id), c.what.join(", ")))
            .collect();
        out.push(format!("\nOther changes:\n{}", rows.join("\n")));
    }
    if d.price_changes.is_empty()
        && d.added.is_empty()
        && d.removed.is_empty()
        && d.lifecycle_changes.is_empty()
        && d.other_changes.is_empty()
    {
        out.push("No offer changes.".into());
    }
    out.join("\n")
}

//! `team report` (issue 18 §6): the team's spend in a billing period by member, client
//! and project, or (`--csv`) the period's lines for a client's invoice. The window's
//! Dashboard reads the same engine call.

use std::io::Write;

use super::{Ctx, emit};
use crate::exit::{CliError, CliResult, OK};
use crate::output::{safe, usd};
use crate::team_args::TeamReportArgs;

pub async fn run(ctx: &Ctx, a: TeamReportArgs) -> CliResult<u8> {
    let client = a.client.as_deref();
    if a.csv {
        let text = ctx
            .engine
            .team_report_csv_text(&a.from, &a.to, client)
            .await?;
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| CliError::general(format!("cannot write the CSV: {e}")))?;
        return Ok(OK);
    }
    let r = ctx.engine.team_report(&a.from, &a.to, client).await?;
    emit(ctx, &r, || {
        let mut s = format!(
            "Team spend {} to {}{}: {}",
            r.from,
            r.to,
            r.client
                .as_deref()
                .map(|c| format!(" for {}", safe(c)))
                .unwrap_or_default(),
            usd(r.total_usd)
        );
        for (title, rows) in [
            ("By member", &r.by_member),
            ("By client", &r.by_client),
            ("By project", &r.by_project),
        ] {
            s.push_str(&format!("\n{title}:"));
            if rows.is_empty() {
                s.push_str(" nothing spent");
            }
            for row in rows {
                let name = if row.name.is_empty() {
                    "(no client)".to_owned()
                } else {
                    safe(&row.name)
                };
                s.push_str(&format!(
                    "\n  {name}: {} ({} generation{})",
                    usd(row.spent_usd),
                    row.generations,
                    if row.generations == 1 { "" } else { "s" }
                ));
            }
        }
        s
    })?;
    Ok(OK)
}

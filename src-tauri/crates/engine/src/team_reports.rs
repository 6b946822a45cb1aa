//! Team spend reports (issue 18 §6) for the window and the CLI: the server's figures by
//! member, client and project for a period, and the CSV of one client's period.

use std::path::PathBuf;

use crate::api::{TeamReportLine, TeamReportView, TeamSpendRow};
use crate::error::{EngineError, Result};
use crate::team_link::{self, engine_error};

fn rows(r: Vec<team::SpendRow>) -> Vec<TeamSpendRow> {
    r.into_iter()
        .map(|r| TeamSpendRow {
            name: r.name,
            spent_usd: r.spent,
            generations: r.generations,
        })
        .collect()
}

fn view(r: team::Report) -> TeamReportView {
    TeamReportView {
        from: r.from,
        to: r.to,
        client: r.client,
        total_usd: r.total,
        by_member: rows(r.by_member),
        by_client: rows(r.by_client),
        by_project: rows(r.by_project),
        lines: r
            .lines
            .into_iter()
            .map(|l| TeamReportLine {
                date: l.date,
                generation_id: l.generation,
                project: l.project,
                client: l.client,
                member: l.member,
                machine: l.machine,
                spent_usd: l.spent,
            })
            .collect(),
    }
}

impl crate::Engine {
    async fn team_report_raw(
        &self,
        from: &str,
        to: &str,
        client: Option<&str>,
    ) -> Result<team::Report> {
        let c = team_link::load(&self.config().data_dir)?.ok_or_else(|| {
            EngineError::not_found(
                "this library is not in a team; join one in Settings → Team (or with \
                 `proofsheet-cli team join`)",
            )
        })?;
        let t = team_link::connect(&c, &self.config().keychain_service).await?;
        let client = client.map(str::trim).filter(|c| !c.is_empty());
        t.report(from.trim(), to.trim(), client)
            .await
            .map_err(engine_error)
    }

    /// The team's spend from `from` to `to` (YYYY-MM-DD, UTC, inclusive), of one client
    /// or all.
    pub async fn team_report(
        &self,
        from: &str,
        to: &str,
        client: Option<&str>,
    ) -> Result<TeamReportView> {
        Ok(view(self.team_report_raw(from, to, client).await?))
    }

    /// The report's lines as CSV text.
    pub async fn team_report_csv_text(
        &self,
        from: &str,
        to: &str,
        client: Option<&str>,
    ) -> Result<String> {
        Ok(self.team_report_raw(from, to, client).await?.csv())
    }

    /// Writes the report's CSV to `file` (picked by the user); returns the path written.
    pub async fn team_report_csv(
        &self,
        from: &str,
        to: &str,
        client: Option<&str>,
        file: PathBuf,
    ) -> Result<String> {
        let text = self.team_report_csv_text(from, to, client).await?;
        let shown = file.display().to_string();
        tokio::task::spawn_blocking(move || std::fs::write(&file, text))
            .await
            .map_err(|e| EngineError::internal(format!("write task failed: {e}")))?
            .map_err(|e| EngineError::internal(format!("cannot write {shown}: {e}")))?;
        Ok(shown)
    }
}

//! Team spend reports (issue 18 §6): what the team spent in a billing period, by member,
//! by client and by project, and the lines of one client's CSV. Spend is read from the
//! ledger rows (charge + unconfirmed − refund) dated in the period (UTC days, both ends
//! included), so a report of a closed month never changes.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Team;
use crate::error::{Result, TeamError};

/// One generation's spend in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportLine {
    /// UTC day of its first money move in the period, YYYY-MM-DD.
    pub date: String,
    pub generation: String,
    pub project: String,
    pub client: Option<String>,
    pub member: String,
    pub machine: String,
    pub spent: Decimal,
}

/// Spend of one member, client or project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendRow {
    /// The member, client ("" for projects without one) or project.
    pub name: String,
    pub spent: Decimal,
    pub generations: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub client: Option<String>,
    pub total: Decimal,
    pub by_member: Vec<SpendRow>,
    pub by_client: Vec<SpendRow>,
    pub by_project: Vec<SpendRow>,
    pub lines: Vec<ReportLine>,
}

fn check_day(what: &str, d: &str) -> Result<()> {
    let b = d.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(TeamError::Invalid(format!(
            "the report's {what} date must be YYYY-MM-DD (got {d:?})"
        )))
    }
}

/// Sums `lines` by `key`, biggest spend first (ties by name).
fn group(lines: &[ReportLine], key: impl Fn(&ReportLine) -> String) -> Vec<SpendRow> {
    let mut rows: Vec<SpendRow> = Vec::new();
    for l in lines {
        let k = key(l);
        match rows.iter_mut().find(|r| r.name == k) {
            Some(r) => {
                r.spent += l.spent;
                r.generations += 1;
            }
            None => rows.push(SpendRow {
                name: k,
                spent: l.spent,
                generations: 1,
            }),
        }
    }
    for r in &mut rows {
        r.spent = r.spent.normalize();
    }
    rows.sort_by(|a, b| b.spent.cmp(&a.spent).then_with(|| a.name.cmp(&b.name)));
    rows
}

impl Report {
    fn of(from: &str, to: &str, client: Option<&str>, lines: Vec<ReportLine>) -> Report {
        Report {
            from: from.to_owned(),
            to: to.to_owned(),
            client: client.map(str::to_owned),
            total: lines.iter().map(|l| l.spent).sum::<Decimal>().normalize(),
            by_member: group(&lines, |l| l.member.clone()),
            by_client: group(&lines, |l| l.client.clone().unwrap_or_default()),
            by_project: group(&lines, |l| l.project.clone()),
            lines,
        }
    }

    /// The lines as CSV (RFC 4180: quoted where needed, CRLF), money as exact decimals.
    pub fn csv(&self) -> String {
        let mut out = String::from("date,generation,project,client,member,machine,spent_usd\r\n");
        for l in &self.lines {
            let cells = [
                l.date.as_str(),
                l.generation.as_str(),
                l.project.as_str(),
                l.client.as_deref().unwrap_or(""),
                l.member.as_str(),
                l.machine.as_str(),
            ];
            for c in cells {
                out.push_str(&csv_cell(c));
                out.push(',');
            }
            out.push_str(&l.spent.normalize().to_string());
            out.push_str("\r\n");
        }
        out
    }
}

/// A CSV cell; a leading =, +, - or @ is prefixed with ' so a spreadsheet never runs it.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

impl Team {
    /// The team's spend from `from` to `to` (UTC days, inclusive), of one client or all.
    pub async fn report(&self, from: &str, to: &str, client: Option<&str>) -> Result<Report> {
        check_day("from", from)?;
        check_day("to", to)?;
        if from > to {
            return Err(TeamError::Invalid(format!(
                "the report's period is empty: {from} is after {to}"
            )));
        }
        let team = self.team_id;
        let lines = self
            .conn
            .run(async |c| {
                let rows = c
                    .query(
                        "SELECT to_char(min(l.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                                g.id, p.name, p.client, m.name, g.machine_id,
                                sum(CASE WHEN l.kind = 'refund' THEN -l.amount_usd
                                         ELSE l.amount_usd END)
                         FROM ledger l
                         JOIN team_projects p ON p.id = l.project_id
                         JOIN generations g ON g.id = l.generation_id
                         JOIN members m ON m.id = g.member_id
                         WHERE p.team_id = $1
                           AND l.kind IN ('charge', 'unconfirmed', 'refund')
                           AND l.created_at >= (($2::text)::date)::timestamp AT TIME ZONE 'UTC'
                           AND l.created_at < (($3::text)::date + 1)::timestamp AT TIME ZONE 'UTC'
                           AND ($4::text IS NULL OR p.client = $4)
                         GROUP BY g.id, p.name, p.client, m.name, g.machine_id
                         HAVING sum(CASE WHEN l.kind = 'refund' THEN -l.amount_usd
                                         ELSE l.amount_usd END) <> 0
                         ORDER BY 1, g.id",
                        &[&team, &from, &to, &client],
                    )
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| ReportLine {
                        date: r.get(0),
                        generation: r.get(1),
                        project: r.get(2),
                        client: r.get(3),
                        member: r.get(4),
                        machine: r.get(5),
                        spent: r.get::<_, Decimal>(6).normalize(),
                    })
                    .collect::<Vec<_>>())
            })
            .await?;
        Ok(Report::of(from, to, client, lines))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(member: &str, client: Option<&str>, project: &str, spent: &str) -> ReportLine {
        ReportLine {
            date: "2026-11-02".into(),
            generation: format!("g-{member}-{project}-{spent}"),
            project: project.into(),
            client: client.map(Into::into),
            member: member.into(),
            machine: "m1".into(),
            spent: spent.parse().unwrap_or_default(),
        }
    }

    #[test]
    fn groups_sum_exact_decimals_biggest_first() {
        let r = Report::of(
            "2026-11-01",
            "2026-11-30",
            None,
            vec![
                line("ana", Some("Halde"), "Spring", "0.1"),
                line("ben", Some("Halde"), "Spring", "0.2"),
                line("ana", None, "Moodboards", "0.045"),
            ],
        );
        assert_eq!(r.total.to_string(), "0.345");
        let m: Vec<_> = r
            .by_member
            .iter()
            .map(|r| (r.name.as_str(), r.spent.to_string(), r.generations))
            .collect();
        assert_eq!(m, [("ben", "0.2".into(), 1), ("ana", "0.145".into(), 2)]);
        assert_eq!(r.by_client[0].name, "Halde");
        assert_eq!(r.by_client[0].spent.to_string(), "0.3");
        assert_eq!(r.by_client[1].name, "");
        assert_eq!(r.by_project[0].name, "Spring");
    }

    #[test]
    fn csv_quotes_and_defuses_cells_and_keeps_money_exact() {
        let mut l = line("ana", Some("Halde, \"& Co.\""), "=SUM(A1)", "0.040000000");
        l.machine = "-m".into();
        let r = Report::of("2026-11-01", "2026-11-30", None, vec![l]);
        let csv = r.csv();
        let mut rows = csv.split("\r\n");
        assert_eq!(
            rows.next(),
            Some("date,generation,project,client,member,machine,spent_usd")
        );
        assert_eq!(
            rows.next(),
            Some(
                "2026-11-02,g-ana-=SUM(A1)-0.040000000,'=SUM(A1),\"Halde, \"\"& Co.\"\"\",ana,'-m,0.04"
            )
        );
        assert_eq!(rows.next(), Some(""));
    }

    #[test]
    fn dates_are_checked() {
        assert!(check_day("from", "2026-11-01").is_ok());
        assert!(check_day("from", "2026-1-01").is_err());
        assert!(check_day("from", "2026-11-01; DROP").is_err());
    }
}

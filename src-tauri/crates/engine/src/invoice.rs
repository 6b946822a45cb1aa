//! Invoices and their CSV, from one list of spend items (store `spend_items`): the CSV
//! has one row per item, each naming the invoice line it adds to; a line's amount is
//! its items' marked-up cost summed, then rounded to cents. Providers and models are
//! named as the window names them, never by id (issue 12 §1.19.8, §2, §3.9).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use store::{SpendItem, SpendKind};

use crate::api::{Invoice, InvoiceItem, InvoiceLine, InvoiceQuery};
use crate::context::Core;
use crate::error::{EngineError, Result};

/// The line every gallery reuse adds to.
pub const REUSED_LINE: &str = "Reused from the gallery (not billed)";

/// "OpenAI", "AUTOMATIC1111", …; unknown ids (old ledger rows) are shown as they are.
pub fn provider_name(id: &str) -> String {
    vocab::ProviderId::from_wire(id)
        .map(|p| p.display_name().to_owned())
        .unwrap_or_else(|| id.to_owned())
}

/// A gateway's own name for its offers (`openai_compatible:<gateway>/<model>`).
fn gateway_of(offer_id: &str) -> Option<&str> {
    offer_id
        .strip_prefix("openai_compatible:")
        .and_then(|rest| rest.split_once('/'))
        .map(|(g, _)| g)
}

fn names(catalog: &pricing::Catalog, item: &SpendItem) -> (String, String) {
    let provider = gateway_of(&item.offer_id)
        .map(str::to_string)
        .unwrap_or_else(|| provider_name(&item.provider));
    let model = catalog
        .offer(&item.offer_id)
        .or_else(|| {
            catalog
                .offers()
                .iter()
                .find(|o| o.provider.as_str() == &*item.provider && *o.model == *item.model)
        })
        .map(|o| o.display_name.to_string())
        .unwrap_or_else(|| format!("{provider} {}", item.model));
    (provider, model)
}

fn outcome(item: &SpendItem) -> String {
    if item.unconfirmed {
        return "charged at the estimate: the provider never confirmed the outcome".into();
    }
    match item.kind {
        SpendKind::Reused => "reused from the gallery".into(),
        SpendKind::Free => "succeeded (free)".into(),
        SpendKind::Billed if item.outcome == "succeeded" => "succeeded".into(),
        SpendKind::Billed if item.outcome.is_empty() => "billed, outcome unknown".into(),
        SpendKind::Billed => format!("{} (billed)", item.outcome.replace('_', " ")),
    }
}

fn cents(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn day(s: Option<&str>, what: &str) -> Result<Option<NaiveDate>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                EngineError::validation(format!(
                    "the {what} date {s:?} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01"
                ))
            }),
    }
}

/// Builds the invoice from the store's items (the catalog names offers).
pub(crate) fn build(
    catalog: &pricing::Catalog,
    q: &InvoiceQuery,
    client: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    rows: Vec<SpendItem>,
) -> Invoice {
    let markup = q.markup_percent.unwrap_or_default();
    let factor = Decimal::ONE + markup / Decimal::ONE_HUNDRED;
    let items: Vec<InvoiceItem> = rows
        .iter()
        .map(|r| {
            let (provider, model) = names(catalog, r);
            InvoiceItem {
                date_utc: r.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                generation_id: r.generation_id.clone(),
                tier: r.tier.clone(),
                provider,
                line: if r.kind == SpendKind::Reused {
                    REUSED_LINE.to_string()
                } else {
                    model.clone()
                },
                model,
                prompt: r.prompt.clone(),
                outcome: outcome(r),
                images: r.images,
                cost_usd: r.cost.normalize(),
                charged_usd: (r.cost * factor).normalize(),
                saved_usd: r.saved.normalize(),
            }
        })
        .collect();
    // Lines in order of first appearance, the reuse line last.
    let mut lines: Vec<InvoiceLine> = Vec::new();
    let mut charged: Vec<Decimal> = Vec::new();
    for it in &items {
        let at = match lines.iter().position(|l| l.label == it.line) {
            Some(i) => i,
            None => {
                lines.push(InvoiceLine {
                    label: it.line.clone(),
                    images: 0,
                    calls: 0,
                    cost_usd: Decimal::ZERO,
                    amount_usd: Decimal::ZERO,
                });
                charged.push(Decimal::ZERO);
                lines.len() - 1
            }
        };
        let l = &mut lines[at];
        l.images += it.images;
        l.calls += u32::from(it.line != REUSED_LINE);
        l.cost_usd += it.cost_usd;
        charged[at] += it.charged_usd;
    }
    for (l, c) in lines.iter_mut().zip(charged) {
        l.amount_usd = cents(c);
        l.cost_usd = l.cost_usd.normalize();
    }
    lines.sort_by_key(|l| l.label == REUSED_LINE);
    let first = rows.first().map(|r| r.at.date_naive());
    let last = rows.last().map(|r| r.at.date_naive());
    Invoice {
        project: q.project.trim().to_string(),
        client,
        period_from: from.or(first).map(|d| d.to_string()),
        period_to: to.or(last).map(|d| d.to_string()),
        issued: Utc::now().date_naive().to_string(),
        markup_percent: markup.normalize(),
        total_usd: lines.iter().map(|l| l.amount_usd).sum(),
        failed_usd: rows
            .iter()
            .filter(|r| r.kind == SpendKind::Billed && r.outcome != "succeeded")
            .map(|r| r.cost)
            .sum::<Decimal>()
            .normalize(),
        saved_usd: rows.iter().map(|r| r.saved).sum::<Decimal>().normalize(),
        lines,
        items,
    }
}

/// The CSV's header; one row per [`InvoiceItem`], in the invoice's order.
pub const CSV_HEADER: &str = "date_utc,project,client,invoice_line,provider,model,tier,prompt,outcome,images,cost_usd,markup_percent,charged_usd,saved_usd,generation_id";

fn field(s: &str) -> String {
    // A leading = + - @ would run as a formula when the file is opened in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The invoice's items as CSV text (no BOM; [`write_csv`] adds it).
pub fn csv(inv: &Invoice) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    let client = inv.client.as_deref().unwrap_or("");
    for it in &inv.items {
        let text = [
            &it.date_utc,
            &inv.project,
            client,
            &it.line,
            &it.provider,
            &it.model,
            &it.tier,
            &it.prompt,
            &it.outcome,
        ]
        .map(field)
        .join(",");
        let _ = writeln!(
            out,
            "{text},{},{},{},{},{},{}",
            it.images,
            it.cost_usd,
            inv.markup_percent,
            it.charged_usd,
            it.saved_usd,
            it.generation_id
        );
    }
    out
}

/// A day range from two optional `YYYY-MM-DD` texts, refused when it runs backwards.
pub(crate) fn period(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>)> {
    let from = day(from, "first")?;
    let to = day(to, "last")?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(EngineError::validation(format!(
            "the date range starts ({f}) after it ends ({t}); swap the dates"
        )));
    }
    Ok((from, to))
}

pub(crate) async fn invoice(core: &Arc<Core>, q: InvoiceQuery) -> Result<Invoice> {
    let (from, to) = period(q.from.as_deref(), q.to.as_deref())?;
    if let Some(m) = q.markup_percent
        && (m.is_sign_negative() || m > Decimal::from(1000))
    {
        return Err(EngineError::validation(
            "a markup is a percentage between 0 and 1000, like 15",
        ));
    }
    let catalog = core.wiring().catalog();
    let name = q.project.clone();
    let (client, rows) = core
        .store_op(move |s| {
            let p = s.project_by_name(&name)?;
            let start = from
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc());
            let end = to
                .and_then(|d| d.succ_opt())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc());
            Ok((p.client.clone(), s.spend_items(p.id, start, end)?))
        })
        .await?;
    Ok(build(&catalog, &q, client, from, to, rows))
}

/// Writes the invoice's CSV (UTF-8 with a byte-order mark, so spreadsheets read
/// non-Latin prompts right) to `file`; returns the path written.
pub(crate) async fn write_csv(core: &Arc<Core>, q: InvoiceQuery, file: PathBuf) -> Result<String> {
    let inv = invoice(core, q).await?;
    let text = csv(&inv);
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let file_name = file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .ok_or_else(|| EngineError::validation("name the CSV file to write, e.g. spend.csv"))?;
    core.store_op(move |s| {
        s.write_csv_file(&dir, &file_name, &text)
            .map(|p| p.display().to_string())
    })
    .await
}

//! Invoices and their CSV (issue 12 §1.19.8, §3.9): built from the same items, so the
//! CSV agrees with the invoice line by line; display names, cents, markup, a period.

use crate::common::*;
use engine::api::*;
use rust_decimal::{Decimal, RoundingStrategy};
use wiremock::MockServer;

const CORE: &str = "stability:stable-image-core";

fn q(markup: Option<&str>, from: Option<&str>, to: Option<&str>) -> InvoiceQuery {
    InvoiceQuery {
        project: "p".into(),
        from: from.map(str::to_owned),
        to: to.map(str::to_owned),
        markup_percent: markup.map(d),
    }
}

/// A minimal RFC 4180 reader: quoted fields, doubled quotes, commas inside quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    rows
}

#[tokio::test]
async fn the_csv_agrees_with_the_invoice_line_by_line() {
    let server = MockServer::start().await;
    stability_ok(&server, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", server.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    for seed in 1..=3 {
        e.generate(input("p", Route::Draft, Some(seed)), noop())
            .await
            .expect("generate");
    }
    let reused = e
        .generate(input("p", Route::Draft, Some(1)), noop())
        .await
        .expect("reuse");
    assert!(reused.dedup_hit);

    let inv = e.invoice(q(Some("15"), None, None)).await.expect("invoice");
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(inv.period_from.as_deref(), Some(today.as_str()));
    assert_eq!(inv.period_to.as_deref(), Some(today.as_str()));
    assert_eq!(inv.client.as_deref(), Some("ACME"));
    assert_eq!(
        inv.items.len(),
        4,
        "three billed calls and one reuse: {inv:?}"
    );
    let labels: Vec<&str> = inv.lines.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(labels, ["Stable Image Core", engine::invoice::REUSED_LINE]);
    assert!(
        inv.items.iter().all(|i| i.provider == "Stability AI"),
        "{inv:?}"
    );
    for l in &inv.lines {
        assert_eq!(l.amount_usd, l.amount_usd.round_dp(2), "cents: {l:?}");
    }
    assert_eq!(inv.lines[0].images, 3);
    assert_eq!(inv.lines[1].amount_usd, Decimal::ZERO);
    assert_eq!(
        inv.total_usd,
        inv.lines.iter().map(|l| l.amount_usd).sum::<Decimal>()
    );
    assert!(inv.saved_usd > Decimal::ZERO, "the reuse saved money");

    let file = dir.path().join("out").join("spend.csv");
    let path = e
        .invoice_csv(q(Some("15"), None, None), file.clone())
        .await
        .expect("csv");
    let bytes = std::fs::read(&path).expect("read");
    assert!(bytes.starts_with("\u{FEFF}".as_bytes()), "UTF-8 with a BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let rows = parse_csv(&text);
    assert_eq!(rows[0].join(","), engine::invoice::CSV_HEADER);
    let col = |name: &str| rows[0].iter().position(|h| h == name).expect(name);
    let (line, charged, provider, model) = (
        col("invoice_line"),
        col("charged_usd"),
        col("provider"),
        col("model"),
    );
    assert_eq!(
        rows.len() - 1,
        inv.items.len(),
        "one CSV row per invoice item"
    );
    for l in &inv.lines {
        let sum: Decimal = rows[1..]
            .iter()
            .filter(|r| r[line] == l.label)
            .map(|r| r[charged].parse::<Decimal>().expect("money"))
            .sum();
        assert_eq!(
            sum.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
            l.amount_usd,
            "the CSV rows of {:?} add up to its amount",
            l.label
        );
    }
    assert!(rows[1..].iter().all(|r| r[provider] == "Stability AI"));
    assert!(rows[1..].iter().all(|r| !r[model].contains(':')), "no ids");

    // The period filters; a backwards one or a bad date is refused with the fix.
    let none = e
        .invoice(q(None, Some("2000-01-01"), Some("2000-01-31")))
        .await
        .expect("empty");
    assert!(none.items.is_empty() && none.total_usd.is_zero());
    assert_eq!(none.period_from.as_deref(), Some("2000-01-01"));
    let err = e
        .invoice(q(None, Some("2026-12-01"), Some("2026-11-01")))
        .await
        .expect_err("backwards");
    assert!(err.to_string().contains("swap"), "{err}");
    let err = e
        .invoice(q(None, Some("1 Nov"), None))
        .await
        .expect_err("bad");
    assert!(err.to_string().contains("YYYY-MM-DD"), "{err}");
    let dash = e
        .dashboard_range(
            Some("p".into()),
            Some("2000-01-01".into()),
            Some("2000-01-31".into()),
        )
        .await
        .expect("dashboard range");
    assert!(dash.by_day.is_empty() && dash.total_spend_usd.is_zero());
}

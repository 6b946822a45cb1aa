//! The published-price table for image inputs (docs/prices-image-inputs.md) is the test:
//! every row's request is estimated on its offer and must equal the table's figure, so
//! the table and the engine cannot drift. Also: every new operation-only offer has a row.

use chrono::{TimeZone, Utc};
use pricing::{
    Catalog, Decimal, Estimate, EstimateContext, EstimateRequest, ImageDims, estimate_all,
};
use std::str::FromStr;
use vocab::{InputFidelity, Operation};

const TABLE: &str = include_str!("../../../../docs/prices-image-inputs.md");

/// One row of the "Prices" table.
struct Row {
    num: String,
    op: Operation,
    offer: String,
    request: String,
    expected: String,
    reserved: String,
}

fn rows() -> Vec<Row> {
    let mut out = Vec::new();
    let mut in_prices = false;
    for line in TABLE.lines() {
        if line.starts_with("## ") {
            in_prices = line.trim() == "## Prices";
            continue;
        }
        if !in_prices || !line.starts_with("| ") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        if cells.len() < 8 || cells[0] == "#" || cells[0].starts_with("---") {
            continue;
        }
        let op = Operation::from_wire(cells[1])
            .unwrap_or_else(|| panic!("row {}: unknown operation {}", cells[0], cells[1]));
        out.push(Row {
            num: cells[0].to_owned(),
            op,
            offer: cells[2].trim_matches('`').to_owned(),
            request: cells[4].trim_matches('`').to_owned(),
            expected: cells[5].to_owned(),
            reserved: cells[6].to_owned(),
        });
    }
    out
}

fn dims(s: &str) -> ImageDims {
    let (w, h) = s
        .split_once('x')
        .unwrap_or_else(|| panic!("`{s}` is not WxH"));
    ImageDims {
        width: w.parse().unwrap_or_else(|e| panic!("{s}: {e}")),
        height: h.parse().unwrap_or_else(|e| panic!("{s}: {e}")),
    }
}

/// `1024x1024 q=high in=3*1024x1024 fid=high mask expand=L,T,R,B scale=2`.
fn request(op: Operation, spec: &str) -> EstimateRequest {
    let mut words = spec.split_whitespace();
    let size = dims(words.next().unwrap_or_default());
    let mut req = EstimateRequest::new("", size.width, size.height);
    req.operation = op;
    for w in words {
        let (k, v) = w.split_once('=').unwrap_or((w, ""));
        match k {
            "q" => req.quality = Some(v.to_owned()),
            "n" => req.n = v.parse().unwrap_or(1),
            "in" => {
                for item in v.split(',') {
                    let (count, d) = match item.split_once('*') {
                        Some((c, d)) => (c.parse().unwrap_or(1), d),
                        None => (1, item),
                    };
                    req.reference_images
                        .extend(std::iter::repeat_n(dims(d), count));
                }
            }
            "fid" => {
                req.input_fidelity =
                    Some(InputFidelity::from_wire(v).unwrap_or_else(|| panic!("fidelity {v}")));
            }
            "mask" => req.mask = true,
            "expand" => {
                let m: Vec<u32> = v.split(',').filter_map(|x| x.parse().ok()).collect();
                req.expand = Some([m[0], m[1], m[2], m[3]]);
            }
            "scale" => req.scale = v.parse().ok(),
            other => panic!("unknown request word `{other}` in `{spec}`"),
        }
    }
    req
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn ctx() -> EstimateContext<'static> {
    EstimateContext::new(
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
            .single()
            .unwrap_or_default(),
    )
}

fn estimate_row(row: &Row) -> Estimate {
    let catalog = Catalog::bundled();
    assert!(
        catalog.offer(&row.offer).is_some(),
        "row {}: {} is not in the catalog",
        row.num,
        row.offer
    );
    // Over the whole catalog, so a refusal can name the offer that can.
    estimate_all(catalog, &request(row.op, &row.request), &ctx())
        .into_iter()
        .find(|e| *e.offer_id == *row.offer)
        .unwrap_or_else(|| panic!("row {}: {} not estimated", row.num, row.offer))
}

#[test]
fn every_row_of_the_published_table_is_what_the_engine_estimates() {
    let rows = rows();
    assert!(rows.len() >= 40, "only {} rows parsed", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let e = estimate_row(row);
        let lines: Vec<String> = e.lines.iter().map(ToString::to_string).collect();
        if let Some(reason) = row.expected.strip_prefix("unsupported: ") {
            let got = e.unsupported_reason.clone().unwrap_or_default();
            if e.supported || !got.starts_with(reason) {
                failures.push(format!(
                    "#{} {} {} {}: want refusal `{reason}`, got supported={} `{got}`",
                    row.num, row.op, row.offer, row.request, e.supported
                ));
            }
            continue;
        }
        if !e.supported {
            failures.push(format!(
                "#{} {} {}: unsupported: {:?}",
                row.num, row.op, row.offer, e.unsupported_reason
            ));
            continue;
        }
        if e.expected != d(&row.expected) || e.worst_case != d(&row.reserved) {
            failures.push(format!(
                "#{} {} {} {}: got {} / reserved {}, table says {} / {}; lines {lines:?}",
                row.num,
                row.op,
                row.offer,
                row.request,
                e.expected.normalize(),
                e.worst_case.normalize(),
                row.expected,
                row.reserved
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_offer_that_takes_input_images_has_a_row_per_operation() {
    let rows = rows();
    let mut missing = Vec::new();
    for o in Catalog::bundled().offers() {
        for op in o.capabilities.operations_done() {
            if op == Operation::Generate {
                continue;
            }
            // Shut-down offers are refused anyway; one row per provider family is enough
            // for the Gemini and GPT Image models that share a rule.
            if o.shutdown_on.is_some_and(|d| d <= ctx().catalog_date) {
                continue;
            }
            let family = |id: &str| id.split(['-', '.']).take(2).collect::<Vec<_>>().join("-");
            let covered = rows
                .iter()
                .any(|r| r.op == op && (r.offer == *o.id || family(&r.offer) == family(&o.id)));
            if !covered {
                missing.push(format!("{} {op}", o.id));
            }
        }
    }
    assert!(missing.is_empty(), "no table row for: {missing:?}");
}

#[test]
fn input_lines_say_what_the_inputs_are_and_cost() {
    let e = estimate_row(&Row {
        num: "-".into(),
        op: Operation::Generate,
        offer: "openai:gpt-image-1.5".into(),
        request: "1024x1024 q=medium in=3*1024x1024 fid=high".into(),
        expected: String::new(),
        reserved: String::new(),
    });
    let lines: Vec<String> = e.lines.iter().map(ToString::to_string).collect();
    assert!(
        lines.contains(
            &"3 reference images × 3,050 tokens at high fidelity = $0.0732 (9,150 image-in tokens × $8/M); up to $0.1464 reserved"
                .to_owned()
        ),
        "{lines:?}"
    );
    let edit = estimate_row(&Row {
        num: "-".into(),
        op: Operation::Edit,
        offer: "bfl:flux-2-pro".into(),
        request: "1024x1024 in=3*1024x1024".into(),
        expected: String::new(),
        reserved: String::new(),
    });
    let lines: Vec<String> = edit.lines.iter().map(ToString::to_string).collect();
    assert!(
        lines.contains(
            &"the image to edit + 2 reference images = 3.1457 MP in × 1.5 credits = 4.718592 credits"
                .to_owned()
        ),
        "{lines:?}"
    );
}

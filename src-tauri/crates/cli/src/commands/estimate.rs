//! `estimate` and `offers`: prices before anything is sent.

use engine::api::{
    BillingKind, EstimateConfidence, EstimateInput, EstimateResult, EstimateSource, OfferEstimate,
    Tier, TierFilter,
};

use super::{Ctx, check_offers, emit, request_params};
use crate::args::{EstimateArgs, TierArg};
use crate::exit::{CliResult, OK};
use crate::output::{clip, normalize_amounts, safe, table, usd, usd_opt};

pub fn tier_filter(t: TierArg) -> TierFilter {
    match t {
        TierArg::Draft => TierFilter::Draft,
        TierArg::Final => TierFilter::Final,
        TierArg::All => TierFilter::All,
    }
}

pub fn tier_name(t: &Tier) -> &'static str {
    match t {
        Tier::Draft => "draft",
        Tier::Final => "final",
    }
}

pub async fn run(ctx: &Ctx, a: EstimateArgs) -> CliResult<u8> {
    check_offers(ctx, &a.offers)?;
    let input = EstimateInput {
        params: request_params(ctx, &a.params).await?,
        project: a.project.clone(),
        tier: tier_filter(a.tier),
        offers: a.offers.clone(),
    };
    let result = ctx.engine.estimate(input).await?;
    emit(ctx, &result, || human(&result))?;
    Ok(OK)
}

fn human(r: &EstimateResult) -> String {
    if r.estimates.is_empty() {
        return "No offer matches this request.".to_string();
    }
    let rows: Vec<Vec<String>> = r.estimates.iter().map(row).collect();
    let mut out = table(
        &[
            "offer",
            "tier",
            "billing",
            "expected",
            "later (24 h)",
            "worst case",
            "per image",
            "notes",
        ],
        &rows,
        &[3, 4, 5, 6],
    );
    if let Some(b) = &r.budget {
        out.push_str(&format!(
            "\n\nProject {}: budget {}, spent {}, reserved {}, remaining {}{}",
            safe(&b.project),
            usd_opt(b.budget_usd),
            usd(b.spent_usd),
            usd(b.reserved_usd),
            usd_opt(b.remaining_usd),
            match (b.request_usd, b.request_fits) {
                (Some(req), false) =>
                    format!("; this request needs up to {} and does NOT fit", usd(req)),
                (Some(req), true) => format!("; this request reserves up to {}", usd(req)),
                _ => String::new(),
            }
        ));
    }
    out
}

fn row(e: &OfferEstimate) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    if e.dedup_hit {
        notes.push("in gallery: $0 to reuse".into());
    }
    if !e.supported {
        notes.push(format!(
            "unsupported: {}",
            e.reason.as_deref().unwrap_or("cannot serve this request")
        ));
    }
    if !e.has_key && e.billing != BillingKind::Free {
        notes.push("no key".into());
    }
    if let Some(c) = &e.cooling_down {
        notes.push(format!("{c}; --draft/--final use the next usable offer"));
    }
    notes.extend(e.notes.iter().cloned());
    // An unknown price is never printed as $0: "unknown", or the user's cap.
    let money = |d| {
        if e.price_known {
            usd(d)
        } else if d > rust_decimal::Decimal::ZERO {
            format!("≤{} (cap)", usd(d))
        } else {
            "unknown".to_owned()
        }
    };
    if matches!(
        e.price_source,
        EstimateSource::Calibrated | EstimateSource::Reported
    ) {
        let samples = e
            .calibration_samples
            .filter(|_| e.confidence == EstimateConfidence::Calibrated);
        match samples {
            Some(n) => notes.push(format!("price {} ({n} samples)", e.confidence)),
            None => notes.push(format!("price {}", e.confidence)),
        }
    }
    vec![
        e.offer_id.clone(),
        tier_name(&e.tier).to_string(),
        e.billing.to_string(),
        money(e.expected_usd),
        // The batch ("--later") price where the offer has one.
        match &e.deferred {
            Some(d) if e.price_known => format!("{} (-{}%)", usd(d.expected_usd), d.saving_pct),
            _ => "—".to_owned(),
        },
        money(e.worst_case_usd),
        money(e.per_image_usd),
        clip(&normalize_amounts(&notes.join("; ")), 70),
    ]
}

pub fn offers(ctx: &Ctx) -> CliResult<u8> {
    let offers = ctx.engine.offers();
    let doc = serde_json::json!({ "offers": offers });
    emit(ctx, &doc, || {
        if offers.is_empty() {
            return "The catalog has no offers.".to_string();
        }
        let rows: Vec<Vec<String>> = offers
            .iter()
            .map(|o| {
                vec![
                    o.offer_id.clone(),
                    tier_name(&o.tier).to_string(),
                    o.billing.to_string(),
                    o.display_name.clone(),
                    o.verified_on.clone(),
                    lifecycle(o),
                ]
            })
            .collect();
        table(
            &["offer", "tier", "billing", "name", "verified", "status"],
            &rows,
            &[],
        )
    })?;
    Ok(OK)
}

/// "live", "retiring 2026-12-01 → openai:gpt-image-2.5-sunburst", "shut down 2026-10-23 → …".
fn lifecycle(o: &engine::api::OfferView) -> String {
    use engine::api::{EstimateSource, LifecycleStatus};
    let (label, on) = match o.status {
        LifecycleStatus::ShutDown => ("shut down", o.shutdown_on.as_deref()),
        LifecycleStatus::Retiring => ("retiring", o.shutdown_on.as_deref()),
        LifecycleStatus::Deprecated => ("deprecated", o.deprecated_on.as_deref()),
        LifecycleStatus::Live => {
            return if o.price_basis == EstimateSource::Unknown {
                "live, price unknown".into()
            } else {
                "live".into()
            };
        }
    };
    let mut s = format!("{label} {}", on.unwrap_or("?"));
    if let Some(r) = &o.replaced_by {
        s.push_str(&format!(" → {r}"));
    }
    s
}

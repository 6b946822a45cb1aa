//! `project create|set|show|list` and `recover`.

use engine::ErrorKind;
use engine::api::{BudgetPeriod, ProjectInput, ProjectView};

use super::generate::shell_word;
use super::{Ctx, check_offers, emit};
use crate::args::{ProjectCommand, ProjectCreateArgs, ProjectSetArgs};
use crate::exit::{CliError, CliResult, OK};
use crate::output::{clean, normalize_amounts, safe, table, usd, usd_opt};

pub async fn run(ctx: &Ctx, c: ProjectCommand) -> CliResult<u8> {
    match c {
        ProjectCommand::Create(a) => create(ctx, a).await,
        ProjectCommand::Set(a) => set(ctx, a).await,
        ProjectCommand::Show { name } => show(ctx, &name).await,
        ProjectCommand::List => list(ctx).await,
    }
}

async fn create(ctx: &Ctx, a: ProjectCreateArgs) -> CliResult<u8> {
    let name = a.name.trim().to_string();
    if name.is_empty() {
        return Err(CliError::usage("the project name is empty"));
    }
    match ctx.engine.project_show(&name).await {
        Ok(_) => {
            let word = shell_word(&name);
            return Err(
                CliError::usage(format!("project '{name}' already exists")).hint(format!(
                    "Change its budget with `proofsheet-cli project set {word} --budget USD`; \
                     see it with `proofsheet-cli project show {word}`."
                )),
            );
        }
        Err(e) if e.kind == ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    check_offers(ctx, &a.draft_chain)?;
    check_offers(ctx, &a.final_chain)?;
    if a.warn_at
        .iter()
        .any(|f| f.is_zero() || *f > rust_decimal::Decimal::ONE)
    {
        return Err(CliError::usage(
            "--warn-at takes fractions of the budget between 0 and 1, e.g. 0.5,0.8",
        ));
    }
    let input = ProjectInput {
        name,
        client: a.client.filter(|c| !c.trim().is_empty()),
        budget_usd: a.budget,
        period: if a.monthly {
            BudgetPeriod::Monthly
        } else {
            BudgetPeriod::Total
        },
        // Budgets cannot be overrun unless the user asks for a soft one.
        hard: !a.soft,
        warn_at: a.warn_at,
        draft_chain: a.draft_chain,
        final_chain: a.final_chain,
        allow_safety_fallback: a.allow_safety_fallback,
        preflight_moderation: a.moderation,
        final_quality: None,
    };
    // Create-only, in one transaction: a concurrent create of the same name loses with
    // "already exists" instead of overwriting the winner's budget (F17).
    let view = ctx.engine.project_create(input).await?;
    emit(ctx, &view, || {
        format!("Created project {}.\n{}", safe(&view.name), summary(&view))
    })?;
    Ok(OK)
}

/// Changes what is named and keeps the rest: the engine's upsert replaces every
/// setting, so the current ones are read first and sent back unchanged.
async fn set(ctx: &Ctx, a: ProjectSetArgs) -> CliResult<u8> {
    let nothing = a.budget.is_none()
        && !a.no_budget
        && !a.hard
        && !a.soft
        && !a.monthly
        && !a.total
        && a.warn_at.is_empty()
        && a.client.is_none();
    if nothing {
        return Err(CliError::usage(
            "nothing to change; pass --budget USD, --no-budget, --hard, --soft, --monthly, \
             --total, --warn-at or --client",
        ));
    }
    let old = match ctx.engine.project_show(&a.name).await {
        Ok(v) => v,
        Err(e) if e.kind == ErrorKind::NotFound => {
            return Err(CliError::from(e).hint(format!(
                "Create it with `proofsheet-cli project create {} --budget USD`.",
                shell_word(a.name.trim())
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let budget = if a.no_budget {
        None
    } else {
        a.budget.or(old.budget_usd)
    };
    let budget_only = a.hard || a.soft || a.monthly || a.total || !a.warn_at.is_empty();
    if budget.is_none() && budget_only {
        return Err(CliError::usage(format!(
            "project '{}' has no budget; give it one with --budget USD",
            old.name
        )));
    }
    let input = ProjectInput {
        name: old.name.clone(),
        client: match a.client {
            Some(c) => Some(c).filter(|c| !c.trim().is_empty()),
            None => old.client.clone(),
        },
        budget_usd: budget,
        period: if a.monthly {
            BudgetPeriod::Monthly
        } else if a.total {
            BudgetPeriod::Total
        } else {
            old.period.clone()
        },
        hard: if a.soft {
            false
        } else if a.hard {
            true
        } else if old.budget_usd.is_none() {
            // A project getting its first budget: hard, as `project create` does.
            true
        } else {
            old.hard
        },
        warn_at: if a.warn_at.is_empty() {
            old.warn_at.clone()
        } else {
            a.warn_at
        },
        draft_chain: old.draft_chain.clone(),
        final_chain: old.final_chain.clone(),
        allow_safety_fallback: old.allow_safety_fallback,
        preflight_moderation: old.preflight_moderation,
        final_quality: old.final_quality.clone(),
    };
    let view = ctx.engine.project_upsert(input).await?;
    emit(ctx, &view, || {
        let mut s = format!("Updated project {}.", safe(&view.name));
        if old.budget_usd != view.budget_usd {
            s.push_str(&format!(
                " Budget {} → {}.",
                usd_opt(old.budget_usd),
                usd_opt(view.budget_usd)
            ));
        }
        if let (Some(b), Some(r)) = (view.budget_usd, view.remaining_usd)
            && view.hard
            && r.is_zero()
            && view.spent_usd >= b
        {
            s.push_str(" Spend has reached this budget: new paid requests will be refused.");
        }
        format!("{s}\n{}", summary(&view))
    })?;
    Ok(OK)
}

async fn show(ctx: &Ctx, name: &str) -> CliResult<u8> {
    let view = ctx.engine.project_show(name).await?;
    emit(ctx, &view, || {
        format!("Project {}\n{}", safe(&view.name), summary(&view))
    })?;
    Ok(OK)
}

async fn list(ctx: &Ctx) -> CliResult<u8> {
    let projects = ctx.engine.project_list().await?;
    let doc = serde_json::json!({ "projects": projects });
    emit(ctx, &doc, || {
        if projects.is_empty() {
            return "No projects yet. Create one with `proofsheet-cli project create NAME --budget 50`.".into();
        }
        let rows: Vec<Vec<String>> = projects
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.client.clone().unwrap_or_default(),
                    usd_opt(p.budget_usd),
                    usd(p.spent_usd),
                    usd_opt(p.remaining_usd),
                    p.generations.to_string(),
                ]
            })
            .collect();
        table(
            &[
                "project",
                "client",
                "budget",
                "spent",
                "remaining",
                "generations",
            ],
            &rows,
            &[2, 3, 4, 5],
        )
    })?;
    Ok(OK)
}

pub fn summary(p: &ProjectView) -> String {
    let kind = match (&p.budget_usd, p.hard, &p.period) {
        (None, _, _) => "no budget".to_string(),
        (Some(_), hard, period) => format!(
            "{} {} budget",
            if hard { "hard" } else { "soft" },
            match period {
                BudgetPeriod::Total => "total",
                BudgetPeriod::Monthly => "monthly",
            }
        ),
    };
    let mut s = format!(
        "  budget     {} ({kind})\n  spent      {}\n  reserved   {}\n  remaining  {}\n  saved      {} by reusing gallery images",
        usd_opt(p.budget_usd),
        usd(p.spent_usd),
        usd(p.reserved_usd),
        usd_opt(p.remaining_usd),
        usd(p.saved_usd),
    );
    if !p.unconfirmed_usd.is_zero() {
        s.push_str(&format!(
            "\n  unconfirmed {} of spent (see `proofsheet-cli charges list`)",
            usd(p.unconfirmed_usd)
        ));
    }
    if p.over_budget {
        s.push_str(&format!(
            "\n  OVER BUDGET: a provider billed more than was held; raise the budget to continue \
             (`proofsheet-cli project set {} --budget USD`)",
            safe(&shell_word(&p.name))
        ));
    }
    if let Some(client) = &p.client {
        s.push_str(&format!("\n  client     {}", safe(client)));
    }
    let chain = |c: &[String]| {
        if c.is_empty() {
            "default".to_string()
        } else {
            c.iter().map(|o| clean(o)).collect::<Vec<_>>().join(" → ")
        }
    };
    s.push_str(&format!(
        "\n  drafts     {}\n  finals     {}",
        chain(&p.draft_chain),
        chain(&p.final_chain)
    ));
    for w in &p.chain_warnings {
        s.push_str(&format!(
            "\n  warning    {} ({} chain): {}",
            w.offer_id,
            match w.chain {
                engine::api::Tier::Draft => "draft",
                engine::api::Tier::Final => "final",
            },
            w.message
        ));
    }
    s
}

/// Waits for the reconciliation of jobs a dead process left running (started by
/// `Engine::open`) and reports it, with what is still reserved afterwards.
pub async fn recover(ctx: &Ctx) -> CliResult<u8> {
    let report = ctx.engine.recover().await?;
    let projects = ctx.engine.project_list().await?;
    let reserved: rust_decimal::Decimal = projects.iter().map(|p| p.reserved_usd).sum();
    let mut doc = serde_json::to_value(&report)
        .map_err(|e| CliError::general(format!("cannot encode the report: {e}")))?;
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("reserved_usd".into(), serde_json::json!(reserved));
    }
    emit(ctx, &doc, || {
        let mut s = format!(
            "Recovered: {} resumed, {} marked failed, {} still running at the provider; charged {}, released {}.\nStill reserved across all projects: {}",
            report.resumed.len(),
            report.failed.len(),
            report.still_running.len(),
            usd(report.charged_usd),
            usd(report.released_usd),
            usd(reserved),
        );
        for m in &report.messages {
            s.push_str(&format!("\n  {}", safe(&normalize_amounts(m))));
        }
        s
    })?;
    Ok(OK)
}

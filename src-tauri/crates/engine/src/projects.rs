//! Projects: budget, routing policy (draft and final chains) and per-project options.

use std::sync::Arc;

use rust_decimal::Decimal;
use store::{Budget, NewProject, Policy, Project};

use crate::api::{BudgetPeriod, ErrorField, ProjectInput, ProjectView};
use crate::context::Core;
use crate::error::{EngineError, ErrorKind, Result};
use crate::{moderation, routing};

fn period(p: &BudgetPeriod) -> store::BudgetPeriod {
    match p {
        BudgetPeriod::Total => store::BudgetPeriod::Total,
        BudgetPeriod::Monthly => store::BudgetPeriod::Monthly,
    }
}

fn period_view(p: Option<store::BudgetPeriod>) -> BudgetPeriod {
    match p {
        Some(store::BudgetPeriod::Monthly) => BudgetPeriod::Monthly,
        _ => BudgetPeriod::Total,
    }
}

/// A project input, checked: what the store saves in one transaction.
struct Checked {
    name: String,
    client: Option<String>,
    budget: Option<Budget>,
    /// Moderation `None`: an existing project keeps its own.
    policy: Policy,
    preflight: bool,
    final_quality: Option<String>,
}

impl Checked {
    fn settings(&self, id: store::ProjectId) -> Vec<(String, serde_json::Value)> {
        vec![
            (
                Core::project_setting_key(id, moderation::SETTING),
                serde_json::Value::Bool(self.preflight),
            ),
            (
                Core::project_setting_key(id, crate::route_plan::FINAL_QUALITY),
                self.final_quality
                    .clone()
                    .map_or(serde_json::Value::Null, serde_json::Value::String),
            ),
        ]
    }
}

fn check(core: &Arc<Core>, input: ProjectInput) -> Result<Checked> {
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        return Err(EngineError::invalid(
            ErrorField::Name,
            "the project needs a name",
        ));
    }
    if let Some(b) = input.budget_usd
        && b < Decimal::ZERO
    {
        return Err(EngineError::invalid(
            ErrorField::BudgetUsd,
            "a budget cannot be negative",
        ));
    }
    let catalog = core.wiring().catalog();
    for (what, chain, field) in [
        ("draft", &input.draft_chain, ErrorField::DraftChain),
        ("final", &input.final_chain, ErrorField::FinalChain),
    ] {
        let unknown = routing::unknown_offers(&catalog, chain);
        if !unknown.is_empty() {
            return Err(EngineError::invalid(
                field,
                format!(
                    "the {what} chain names offers that are not in the price catalog: {}",
                    unknown.join(", ")
                ),
            ));
        }
    }
    let budget = input.budget_usd.map(|amount| Budget {
        amount,
        period: period(&input.period),
        hard: input.hard,
        thresholds: if input.warn_at.is_empty() {
            vec![Decimal::new(5, 1), Decimal::new(8, 1)]
        } else {
            input.warn_at.clone()
        },
    });
    Ok(Checked {
        name,
        client: input
            .client
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()),
        budget,
        policy: Policy {
            draft_offers: input.draft_chain,
            final_offers: input.final_chain,
            allow_safety_fallback: input.allow_safety_fallback,
            moderation: None,
        },
        preflight: input.preflight_moderation,
        final_quality: input
            .final_quality
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty() && q != "auto"),
    })
}

fn create_in(s: &store::Store, c: &Checked) -> store::Result<Project> {
    s.create_project_with(
        &NewProject {
            name: c.name.clone(),
            client: c.client.clone(),
            budget: c.budget.clone(),
        },
        &c.policy,
        |id| c.settings(id),
    )
}

/// Creates a project: project, budget, policy and options in one transaction (F12).
/// Of two concurrent creates of one name exactly one wins; the other is refused and
/// changes nothing (F17).
pub(crate) async fn create(core: &Arc<Core>, input: ProjectInput) -> Result<ProjectView> {
    let c = check(core, input)?;
    let project = core.store_op(move |s| create_in(s, &c)).await?;
    view(core, project).await
}

/// Creates the project, or replaces every setting of the existing one (the app's
/// project editor). Either way in one transaction.
pub(crate) async fn upsert(core: &Arc<Core>, input: ProjectInput) -> Result<ProjectView> {
    let c = check(core, input)?;
    let name = c.name.clone();
    core.store_op(move |s| {
        let update = |p: Project| {
            s.update_project(
                p.id,
                c.client.as_deref(),
                c.budget.as_ref(),
                &c.policy,
                c.settings(p.id),
            )
        };
        match s.project_by_name(&c.name) {
            Ok(p) => update(p),
            Err(store::StoreError::NotFound { .. }) => match create_in(s, &c) {
                Ok(_) => Ok(()),
                // Created by someone else meanwhile: an upsert updates it.
                Err(store::StoreError::ProjectExists(_)) => update(s.project_by_name(&c.name)?),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        }
    })
    .await?;
    show(core, &name).await
}

const ARCHIVED: &str = "archived";

async fn by_name(core: &Arc<Core>, name: &str) -> Result<Project> {
    let n = name.trim().to_owned();
    core.store_op(move |s| s.project_by_name(&n))
        .await
        .map_err(|e| match e.kind {
            ErrorKind::NotFound => EngineError::not_found(format!(
                "no project named \"{}\"; create it first",
                name.trim()
            )),
            _ => e,
        })
}

/// Renames a project; its spend history, images and settings follow it.
pub(crate) async fn rename(core: &Arc<Core>, name: &str, new_name: &str) -> Result<ProjectView> {
    let p = by_name(core, name).await?;
    let next = new_name.trim().to_owned();
    if next.is_empty() {
        return Err(EngineError::invalid(
            ErrorField::Name,
            "the project needs a name",
        ));
    }
    let id = p.id;
    let n = next.clone();
    core.store_op(move |s| s.rename_project(id, &n)).await?;
    show(core, &next).await
}

/// Archives (hides from everyday lists) or restores a project; nothing is deleted.
pub(crate) async fn set_archived(
    core: &Arc<Core>,
    name: &str,
    archived: bool,
) -> Result<ProjectView> {
    let p = by_name(core, name).await?;
    let key = Core::project_setting_key(p.id, ARCHIVED);
    core.store_op(move |s| s.set_setting(&key, &serde_json::Value::Bool(archived)))
        .await?;
    view(core, p).await
}

pub(crate) async fn show(core: &Arc<Core>, name: &str) -> Result<ProjectView> {
    let n = name.trim().to_owned();
    let project = core
        .store_op(move |s| s.project_by_name(&n))
        .await
        .map_err(|e| match e.kind {
            ErrorKind::NotFound => EngineError::not_found(format!(
                "no project named \"{}\"; create it first",
                name.trim()
            )),
            _ => e,
        })?;
    view(core, project).await
}

pub(crate) async fn list(core: &Arc<Core>) -> Result<Vec<ProjectView>> {
    let projects = core.store_op(|s| s.list_projects()).await?;
    let mut out = Vec::with_capacity(projects.len());
    for p in projects {
        out.push(view(core, p).await?);
    }
    Ok(out)
}

async fn view(core: &Arc<Core>, p: Project) -> Result<ProjectView> {
    let name = p.name.clone();
    let id = p.id;
    let (summary, policy, count) = core
        .store_op(move |s| {
            let summary = s.project_summary(&name)?;
            let policy = s.policy(id)?;
            // Cards count images in the gallery, not requests (failed and refused ones
            // made none; issue 12 §1.13).
            let count = s.gallery_count(&store::GalleryQuery {
                project_id: Some(id),
                ..Default::default()
            })?;
            Ok((summary, policy, count))
        })
        .await?;
    let preflight = moderation::enabled(core, id).await?;
    let chain_warnings = crate::routing::chain_warnings(
        &core.wiring().catalog(),
        &policy,
        pricing::catalog_date(chrono::Utc::now()),
    );
    let archived_key = Core::project_setting_key(id, ARCHIVED);
    let quality_key = Core::project_setting_key(id, crate::route_plan::FINAL_QUALITY);
    let (archived, final_quality) = core
        .store_op(move |s| Ok((s.setting(&archived_key)?, s.setting(&quality_key)?)))
        .await?;
    let archived = archived.and_then(|v| v.as_bool()).unwrap_or(false);
    let final_quality = final_quality.and_then(|v| v.as_str().map(str::to_owned));
    let mut summary = summary;
    let mut team = None;
    if crate::shared::is_team(core, id).await?
        && let Some((server, view)) = crate::team_ops::meter(core, &p.name).await
    {
        if let Some(m) = server {
            // Every member sees the team's totals, not this library's share.
            summary.budget = m.budget;
            summary.hard = m.hard;
            summary.spent = m.spent;
            summary.reserved = m.reserved;
            summary.remaining = m.remaining;
            summary.saved = m.saved;
            summary.unconfirmed = m.unconfirmed;
            summary.over_budget = m.budget.is_some_and(|b| m.spent > b);
        }
        team = Some(view);
    }
    Ok(ProjectView {
        team,
        chain_warnings,
        name: p.name,
        client: p.client,
        budget_usd: summary.budget,
        period: period_view(summary.period),
        hard: summary.hard,
        warn_at: summary.thresholds,
        spent_usd: summary.spent,
        reserved_usd: summary.reserved,
        remaining_usd: summary.remaining,
        saved_usd: summary.saved,
        draft_chain: policy.draft_offers,
        final_chain: policy.final_offers,
        allow_safety_fallback: policy.allow_safety_fallback,
        preflight_moderation: preflight,
        final_quality,
        generations: u32::try_from(count).unwrap_or(u32::MAX),
        unconfirmed_usd: summary.unconfirmed,
        over_budget: summary.over_budget,
        archived,
    })
}

//! `charges list|confirm|refund`: unconfirmed charges, booked at the estimate when a call
//! may have been billed but the provider never confirmed it (outcome unknown, process
//! killed mid-call, job abandoned). Check the provider's dashboard, then settle each one.

use super::{Ctx, emit};
use crate::args::ChargesCommand;
use crate::exit::{CliResult, OK};
use crate::output::{clip, safe, table, usd};

pub async fn run(ctx: &Ctx, c: ChargesCommand) -> CliResult<u8> {
    match c {
        ChargesCommand::List { project } => {
            let list = ctx.engine.charges(project).await?;
            emit(ctx, &list, || {
                if list.is_empty() {
                    return "No unconfirmed charges.".to_string();
                }
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|c| {
                        vec![
                            c.id.clone(),
                            c.project.clone(),
                            format!("{}:{}", c.provider, c.model),
                            usd(c.amount_usd),
                            clip(&c.prompt, 40),
                            c.created_at.clone(),
                        ]
                    })
                    .collect();
                format!(
                    "{}\nEach was booked at its estimate because the provider never confirmed \
                     the outcome. Check the provider's dashboard, then run `charges confirm ID` \
                     (add --amount if it billed another price) or `charges refund ID`.",
                    table(
                        &["id", "project", "offer", "amount", "prompt", "since"],
                        &rows,
                        &[3]
                    )
                )
            })?;
            Ok(OK)
        }
        ChargesCommand::Confirm { id, amount } => {
            let delta = ctx.engine.charge_confirm(&id, amount).await?;
            let doc = serde_json::json!({ "id": id, "confirmed": true, "spent_change_usd": delta });
            emit(ctx, &doc, || {
                format!(
                    "Charge {} confirmed (spent changed by {}).",
                    safe(&id),
                    usd(delta)
                )
            })?;
            Ok(OK)
        }
        ChargesCommand::Refund { id } => {
            let amount = ctx.engine.charge_refund(&id).await?;
            let doc = serde_json::json!({ "id": id, "refunded_usd": amount });
            emit(ctx, &doc, || {
                format!(
                    "Charge {} refunded: {} back to its project.",
                    safe(&id),
                    usd(amount)
                )
            })?;
            Ok(OK)
        }
    }
}

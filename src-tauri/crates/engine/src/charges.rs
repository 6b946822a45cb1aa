//! Unconfirmed charges (issue 11): calls that may have been billed but whose outcome the
//! provider never confirmed. They count as spent until the user (or recovery, when the
//! provider later answers) confirms them at a price or refunds them.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::api::ChargeView;
use crate::context::Core;
use crate::convert;
use crate::error::{EngineError, ErrorKind, Result};

fn attempt_id(id: &str) -> Result<i64> {
    id.trim().parse().map_err(|_| {
        EngineError::validation(format!(
            "\"{id}\" is not a charge id; list them with `charges list`"
        ))
    })
}

pub(crate) async fn list(core: &Arc<Core>, project: Option<String>) -> Result<Vec<ChargeView>> {
    core.store_op(move |s| {
        let pid = match project.as_deref() {
            Some(name) => Some(s.project_by_name(name)?.id),
            None => None,
        };
        Ok(s.unconfirmed_charges(pid)?
            .iter()
            .map(convert::charge_view)
            .collect())
    })
    .await
}

/// Confirms a charge: at `amount` when the provider's dashboard shows another price,
/// else at the booked estimate. Returns the change of spent.
pub(crate) async fn confirm(
    core: &Arc<Core>,
    id: &str,
    amount: Option<Decimal>,
) -> Result<Decimal> {
    let aid = attempt_id(id)?;
    if amount.is_some_and(|a| a < Decimal::ZERO) {
        return Err(EngineError::validation("a charge cannot be negative"));
    }
    let (delta, generation) = core
        .store_op(move |s| {
            Ok((
                s.confirm_charge(aid, amount)?,
                s.attempt(aid)?.generation_id,
            ))
        })
        .await
        .map_err(not_found(id))?;
    crate::shared::after_generation(core, generation).await;
    Ok(delta)
}

/// Refunds a charge the provider did not bill. Returns the amount given back.
pub(crate) async fn refund(core: &Arc<Core>, id: &str) -> Result<Decimal> {
    let aid = attempt_id(id)?;
    let (back, generation) = core
        .store_op(move |s| {
            let back =
                s.refund_charge(aid, "refunded by the user: the provider did not bill it")?;
            Ok((back, s.attempt(aid)?.generation_id))
        })
        .await
        .map_err(not_found(id))?;
    crate::shared::after_generation(core, generation).await;
    Ok(back)
}

fn not_found(id: &str) -> impl Fn(EngineError) -> EngineError + '_ {
    move |e| match e.kind {
        ErrorKind::NotFound => EngineError::not_found(format!(
            "no charge {id}; list unconfirmed charges with `charges list`"
        )),
        _ => e,
    }
}

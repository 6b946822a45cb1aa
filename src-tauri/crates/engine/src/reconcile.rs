//! Reconciliation of unconfirmed charges whose provider job may still answer: `unknown`
//! attempts of ended generations (a job abandoned in process, past its resume bound or
//! cancelled) are polled again with their stored handle and settled for real — confirmed
//! at the provider's price (with the images added), refunded when the provider proves it
//! did not bill, or left to the user once the job is past `RetryPolicy::job_max_age`.

use std::sync::Arc;

use providers::{Billing, ProgressSink};
use tokio_util::sync::CancellationToken;

use crate::api::RecoveryReport;
use crate::context::Core;
use crate::error::Result;
use crate::provider_gateway::KeyLookup;
use crate::remote::{expected_of, gone, job_of, priced_of, too_old};
use crate::settle::usage_of;
use crate::settle::{bound, submit_credits_cost};

/// Polls the jobs of `unknown` attempts whose generation has ended (abandoned in
/// process) and settles their unconfirmed charge for real: confirmed at the provider's
/// price, refunded when it proves it did not bill, or left to the user past the age bound.
pub(crate) async fn reconcile(core: &Arc<Core>, report: &mut RecoveryReport) -> Result<()> {
    let open = core.store_op(|s| s.reconcilable_attempts()).await?;
    // Team projects: what reconciling confirms or refunds is synced to the server after.
    let touched: Vec<store::GenerationId> = open.iter().map(|(g, _)| g.id).collect();
    for (g, a) in open {
        let aid = a.id;
        let Some(job) = job_of(&a) else {
            core.store_op(move |s| s.close_reconcile(aid, "no job to poll"))
                .await?;
            continue;
        };
        let Ok(p) = poller(core, &g).await else {
            continue;
        };
        let priced = priced_of(&g);
        let started = chrono::Utc::now();
        let out = p
            .client
            .resume(
                &job,
                p.key.as_ref().map(keys::Secret::expose),
                &ProgressSink::noop(),
                &CancellationToken::new(),
            )
            .await;
        let expected = expected_of(&g, &a);
        match out {
            Ok(out) => {
                let usage = usage_of(&out.usage, Some(&out), None, started);
                let (cost, _) = bound(
                    pricing::settle(&p.offer, &priced, &usage).actual,
                    expected,
                    expected,
                );
                let gid = g.id;
                let seed = g.request.seed.and_then(|s| i64::try_from(s).ok());
                let n = g.request.n.max(1) as usize;
                let delta = core
                    .store_op(move |s| {
                        let delta = s.confirm_charge(aid, Some(cost))?;
                        let have = s.images(gid)?.len();
                        for (i, img) in out.images.iter().take(n.saturating_sub(have)).enumerate() {
                            let idx = u32::try_from(have + i).unwrap_or(u32::MAX);
                            s.persist_image(
                                gid,
                                idx,
                                &img.bytes,
                                img.seed.and_then(|v| i64::try_from(v).ok()).or(seed),
                            )?;
                        }
                        Ok(delta)
                    })
                    .await?;
                report.charged_usd += delta;
                report.messages.push(format!(
                    "generation {gid}: job {} finished after all; its charge is confirmed at \
                     ${} and its images were added",
                    job.remote_id,
                    cost.normalize()
                ));
            }
            Err(e) if !gone(&e) => {
                if too_old(core.options().retry.job_max_age, &a) {
                    core.store_op(move |s| {
                        s.close_reconcile(aid, "the provider never reported the job's outcome")
                    })
                    .await?;
                }
            }
            Err(e) => {
                let credits = submit_credits_cost(&p.offer, &priced, &job);
                let gid = g.id;
                match (e.billing, credits) {
                    (Billing::Billed, c) => {
                        let actual = c.or(e.usage.as_deref().map(|u| {
                            let usage = usage_of(u, None, Some(priced.n), started);
                            pricing::settle(&p.offer, &priced, &usage).actual
                        }));
                        let actual = actual.map(|c| bound(c, expected, expected).0);
                        report.charged_usd += core
                            .store_op(move |s| s.confirm_charge(aid, actual))
                            .await?;
                    }
                    (Billing::NotBilled, Some(c)) => {
                        report.charged_usd += core
                            .store_op(move |s| s.confirm_charge(aid, Some(c)))
                            .await?;
                    }
                    (Billing::NotBilled, None) => {
                        let refunded = core
                            .store_op(move |s| {
                                s.refund_charge(
                                    aid,
                                    "the provider reports the job ended without billing",
                                )
                            })
                            .await?;
                        report.released_usd += refunded;
                        report.messages.push(format!(
                            "generation {gid}: job {} ended unbilled; ${} refunded",
                            job.remote_id,
                            refunded.normalize()
                        ));
                    }
                    (Billing::Unknown, _) => {
                        core.store_op(move |s| {
                            s.close_reconcile(aid, "the provider never reported the job's outcome")
                        })
                        .await?;
                    }
                }
            }
        }
    }
    for id in touched {
        crate::shared::after_generation(core, id).await;
    }
    Ok(())
}

/// The offer, its client and a key, or why a job cannot be polled now.
pub(crate) struct Poller {
    pub offer: pricing::Offer,
    pub client: Arc<dyn providers::ImageProvider>,
    pub key: Option<keys::Secret>,
}

pub(crate) async fn poller(
    core: &Arc<Core>,
    g: &store::GenerationRecord,
) -> std::result::Result<Poller, String> {
    let catalog = core.wiring().catalog();
    let Some(offer) = g
        .offer_id
        .as_deref()
        .and_then(|o| catalog.offer(o))
        .cloned()
    else {
        return Err("its offer is no longer in the catalog".into());
    };
    let Some(client) = core.wiring().client(&offer.id, offer.provider.as_str()) else {
        return Err(format!("no endpoint is configured for {}", offer.provider));
    };
    let key = match crate::gateways::key_for_offer(core, &offer).await {
        Ok(KeyLookup::Found(k)) => Some(k),
        Ok(_) if crate::provider_gateway::key_optional(offer.provider.as_str()) => None,
        Err(e) => return Err(e.message),
        Ok(_) => return Err(format!("no API key for {}", offer.provider)),
    };
    Ok(Poller { offer, client, key })
}

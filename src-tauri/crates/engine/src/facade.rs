//! `Engine`: the one entry point the Tauri shell and the CLI call. Thin: each method
//! delegates to the module that owns the behaviour.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::api::{
    CatalogImportReport, ChargeView, DashboardData, DeferredJobView, DiscoveryReport,
    DriftSettings, DriftView, EstimateInput, EstimateResult, GalleryPage, GalleryQuery,
    GatewayInput, GatewayTestView, GatewayView, GenerateInput, GenerationDetail, GenerationResult,
    KeyCheckView, KeyView, OfferImportReport, OfferView, PriceOverrideInput, ProjectInput,
    ProjectView, PromotePreview, ProviderId, RecoveryReport, Route, RouteDecision,
    RoutePreviewInput, SettingsInput, SettingsView, SizePreset,
};
use crate::changes::DataTopic;
pub use crate::config::{EngineConfig, ProgressFn};
use crate::context::Core;
use crate::error::{EngineError, Result, blocking};
use crate::jobs;
use crate::options::{EngineOptions, RecoveryMode};
use crate::pipeline::JobSpec;
use crate::settings;
use crate::{estimate, gallery, key_ops, projects, recovery};

pub struct Engine {
    pub(crate) core: Arc<Core>,
    /// Background recovery started by `open`, awaited by `recover`.
    recovery: tokio::sync::Mutex<Option<JoinHandle<Result<RecoveryReport>>>>,
}

impl Engine {
    /// Opens (creating if needed) the data dir, migrates the database, sweeps orphan
    /// files and reconciles jobs left running by a previous process (in the background;
    /// `recover` awaits it).
    pub async fn open(config: EngineConfig) -> Result<Engine> {
        Self::open_with(config, EngineOptions::default()).await
    }

    /// Starts the integrity check every process runs once before its first reservation,
    /// in the background, so a first Generate does not wait for it. Returns at once.
    pub fn start_integrity_check(&self) {
        self.core.store().start_check();
    }

    /// Removes temp and orphan image files and rebuilds missing thumbnails, as `open`
    /// does unless [`EngineOptions::defer_file_sweep`]. Blocking work, off the runtime.
    pub async fn sweep_files(&self) -> Result<()> {
        let store = self.core.store().clone();
        if store.is_read_only() {
            return Ok(());
        }
        let grace = store::OpenOptions::default().sweep_grace;
        let report = blocking(move || store.sweep(grace).map_err(EngineError::from)).await?;
        if !report.missing_files.is_empty() {
            tracing::warn!(
                missing = report.missing_files.len(),
                "library rows whose image file is missing"
            );
        }
        Ok(())
    }

    /// `open` with explicit tunables (retry timing, limits, injected keys, recovery mode).
    pub async fn open_with(config: EngineConfig, options: EngineOptions) -> Result<Engine> {
        let core = crate::open::core(config, options).await?;
        let handle = match core.options().recovery {
            // A read-only library cannot record what recovery finds.
            _ if core.store().is_read_only() => None,
            RecoveryMode::Background => {
                let c = core.clone();
                Some(tokio::spawn(async move { recovery::recover(&c).await }))
            }
            RecoveryMode::Manual => None,
        };
        Ok(Engine {
            core,
            recovery: tokio::sync::Mutex::new(handle),
        })
    }

    /// Data-change notices: every write this engine makes, and writes by another process
    /// on the same library (`DataTopic::Library`). A listener that falls behind is told
    /// `Lagged` and should refetch everything.
    pub fn subscribe_changes(&self) -> tokio::sync::broadcast::Receiver<DataTopic> {
        self.core.changes().subscribe()
    }

    /// Announces `topics` when `out` is a success.
    fn told<T>(&self, out: Result<T>, topics: &[DataTopic]) -> Result<T> {
        if out.is_ok() {
            self.core.changes().emit(topics);
        }
        out
    }

    pub fn config(&self) -> &EngineConfig {
        self.core.config()
    }

    /// This instance's id: its lease file is `instances/<id>.lock` in the data dir, held
    /// for the engine's lifetime; generations it runs carry this id as their owner.
    pub fn instance_id(&self) -> &str {
        self.core.runs().owner()
    }

    /// Reconciles generations a previous process left running and says what it did.
    /// Awaits the pass `open` started in the background, or runs one now.
    #[allow(
        clippy::significant_drop_tightening,
        reason = "held across the await on purpose: concurrent recover calls wait for one pass"
    )]
    pub async fn recover(&self) -> Result<RecoveryReport> {
        let mut slot = self.recovery.lock().await;
        if let Some(h) = slot.take() {
            return h.await?;
        }
        recovery::recover(&self.core).await
    }

    // ---- pricing ----
    pub fn offers(&self) -> Vec<OfferView> {
        let catalog = self.core.wiring().catalog();
        catalog
            .offers()
            .iter()
            .map(|o| crate::convert::offer_view(&catalog, o))
            .collect()
    }
    pub async fn estimate(&self, input: EstimateInput) -> Result<EstimateResult> {
        estimate::estimate(&self.core, input).await
    }

    // ---- generation ----
    /// Queues a generation and returns its job id at once; progress and the result
    /// arrive through `progress`.
    #[allow(
        clippy::unused_async,
        reason = "the facade is async throughout: the shell and the CLI await every call alike"
    )]
    pub async fn submit(&self, input: GenerateInput, progress: ProgressFn) -> Result<String> {
        self.core.store().start_check();
        let (job_id, _handle) = jobs::spawn(&self.core, spec(input, None), progress);
        Ok(job_id)
    }
    /// Runs a generation to completion (the CLI's `generate`). Refusals before any
    /// provider call (validation, budget, keys, moderation) are `Err`; once attempts ran,
    /// the result's `status` says how it ended and `attempts` why.
    pub async fn generate(
        &self,
        input: GenerateInput,
        progress: ProgressFn,
    ) -> Result<GenerationResult> {
        self.core.store().start_check();
        let (_job, handle) = jobs::spawn(&self.core, spec(input, None), progress);
        handle.await?
    }
    /// "Later": sends the generation to a provider's batch API at the batch price and
    /// returns as soon as the batch is submitted (status `deferred`), or with why it could
    /// not be. It lands in the gallery when a later `recover`/`poll_deferred` finds it done.
    pub async fn generate_later(
        &self,
        input: GenerateInput,
        progress: ProgressFn,
    ) -> Result<GenerationResult> {
        self.core.store().start_check();
        let mut s = spec(input, None);
        s.later = true;
        let (_job, handle) = jobs::spawn(&self.core, s, progress);
        handle.await?
    }
    /// `generate_later`, queued like `submit`: returns the job id at once.
    #[allow(
        clippy::unused_async,
        reason = "the facade is async throughout: the shell and the CLI await every call alike"
    )]
    pub async fn submit_later(&self, input: GenerateInput, progress: ProgressFn) -> Result<String> {
        self.core.store().start_check();
        let mut s = spec(input, None);
        s.later = true;
        let (job_id, _handle) = jobs::spawn(&self.core, s, progress);
        Ok(job_id)
    }
    /// Generations waiting for a provider's batch, with when each is expected.
    pub async fn deferred_jobs(&self) -> Result<Vec<DeferredJobView>> {
        crate::deferred::list(&self.core).await
    }
    /// Polls deferred jobs (and anything else left running) once: lands what is done with
    /// its real cost, releases what failed unbilled. The app calls it on a timer.
    pub async fn poll_deferred(&self) -> Result<RecoveryReport> {
        self.recover().await
    }
    /// Cancels a queued or running job. What was not sent yet costs nothing and its
    /// reservation is released; a call already sent may be billed, so it is booked at its
    /// estimate as an unconfirmed charge. False when the job is unknown or finished.
    pub fn cancel(&self, job_id: &str) -> bool {
        jobs::cancel(self.core.runs(), job_id)
    }
    pub async fn promote_preview(&self, generation_id: &str) -> Result<PromotePreview> {
        estimate::promote_preview(&self.core, generation_id).await
    }
    /// Queues the final render of a draft (same prompt, seed and parameters, linked to
    /// the draft) and returns the job id at once, like `submit`.
    pub async fn promote(&self, generation_id: &str, progress: ProgressFn) -> Result<String> {
        let (spec, _) = self.promote_spec(generation_id).await?;
        let (job_id, _handle) = jobs::spawn(&self.core, spec, progress);
        Ok(job_id)
    }
    /// `promote`, run to completion (CLI, tests).
    pub async fn promote_and_wait(
        &self,
        generation_id: &str,
        progress: ProgressFn,
    ) -> Result<GenerationResult> {
        let (spec, _) = self.promote_spec(generation_id).await?;
        let (_job, handle) = jobs::spawn(&self.core, spec, progress);
        handle.await?
    }

    /// The promote job runs the plan its preview showed: the draft's prompt, size and
    /// seed at the final quality, on the final chain.
    async fn promote_spec(&self, generation_id: &str) -> Result<(JobSpec, GenerationDetail)> {
        self.core.store().start_check();
        let plan = crate::route_plan::promote_plan(&self.core, generation_id).await?;
        let parent = gallery::parse_id(generation_id)?;
        let input = GenerateInput {
            project: plan.detail.project.clone(),
            params: plan.params,
            route: Route::Final,
            no_dedup: false,
        };
        Ok((spec(input, Some(parent)), plan.detail))
    }

    /// The routing decision for a request on a route, before anything is sent: the
    /// offer Draft / Final / Use runs, its price and notes, or why not and the fix.
    pub async fn route_preview(&self, input: RoutePreviewInput) -> Result<RouteDecision> {
        crate::route_plan::preview(&self.core, input).await
    }

    /// Canvas size presets that some usable offer makes exactly.
    pub async fn size_presets(&self) -> Vec<SizePreset> {
        crate::route_plan::size_presets(&self.core).await
    }

    // ---- projects ----
    /// Creates the project, or replaces the settings of an existing one of that name.
    pub async fn project_upsert(&self, input: ProjectInput) -> Result<ProjectView> {
        self.told(
            projects::upsert(&self.core, input).await,
            &[DataTopic::Projects, DataTopic::Budgets],
        )
    }
    /// Creates a new project with its budget and policy in one step; a name already in
    /// use is refused (validation) and the existing project is left as it was.
    pub async fn project_create(&self, input: ProjectInput) -> Result<ProjectView> {
        self.told(
            projects::create(&self.core, input).await,
            &[DataTopic::Projects, DataTopic::Budgets],
        )
    }
    /// Renames a project; spend, images and settings follow it.
    pub async fn project_rename(&self, name: &str, new_name: &str) -> Result<ProjectView> {
        self.told(
            projects::rename(&self.core, name, new_name).await,
            &[DataTopic::Projects],
        )
    }
    /// Archives or restores a project (nothing is deleted).
    pub async fn project_archive(&self, name: &str, archived: bool) -> Result<ProjectView> {
        self.told(
            projects::set_archived(&self.core, name, archived).await,
            &[DataTopic::Projects],
        )
    }
    pub async fn project_list(&self) -> Result<Vec<ProjectView>> {
        projects::list(&self.core).await
    }
    pub async fn project_show(&self, name: &str) -> Result<ProjectView> {
        projects::show(&self.core, name).await
    }

    // ---- unconfirmed charges ----
    /// Charges booked at the estimate that no provider confirmed (outcome unknown, job
    /// abandoned), newest first; optionally of one project.
    pub async fn charges(&self, project: Option<String>) -> Result<Vec<ChargeView>> {
        crate::charges::list(&self.core, project).await
    }
    /// Confirms an unconfirmed charge, at `amount_usd` when the provider billed another
    /// price (else at the booked estimate). Returns the change of spent.
    pub async fn charge_confirm(
        &self,
        id: &str,
        amount_usd: Option<rust_decimal::Decimal>,
    ) -> Result<rust_decimal::Decimal> {
        self.told(
            crate::charges::confirm(&self.core, id, amount_usd).await,
            &[DataTopic::Budgets, DataTopic::Gallery],
        )
    }
    /// Refunds an unconfirmed charge the provider did not bill. Returns the amount.
    pub async fn charge_refund(&self, id: &str) -> Result<rust_decimal::Decimal> {
        self.told(
            crate::charges::refund(&self.core, id).await,
            &[DataTopic::Budgets, DataTopic::Gallery],
        )
    }

    // ---- gallery ----
    pub async fn gallery_page(&self, query: GalleryQuery) -> Result<GalleryPage> {
        gallery::page(self.core.store(), query).await
    }
    pub async fn generation_detail(&self, generation_id: &str) -> Result<GenerationDetail> {
        gallery::detail(self.core.store(), generation_id).await
    }
    /// `generation_id` may name one variation as `<id>#<index>` (also for rating, boards
    /// and export); a bare id acts on every image of the generation.
    pub async fn set_favourite(&self, generation_id: &str, favourite: bool) -> Result<()> {
        self.told(
            gallery::set_favourite(self.core.store(), generation_id, favourite).await,
            &[DataTopic::Gallery],
        )
    }
    /// Deletes images (files and rows); the ledger keeps its history. Takes the same
    /// references as `set_favourite`. Returns how many images were deleted.
    pub async fn delete_images(&self, ids: Vec<String>) -> Result<u32> {
        self.told(
            gallery::delete_images(self.core.store(), ids).await,
            &[DataTopic::Gallery],
        )
    }
    pub async fn set_rating(&self, generation_id: &str, rating: u32) -> Result<()> {
        self.told(
            gallery::set_rating(self.core.store(), generation_id, rating).await,
            &[DataTopic::Gallery],
        )
    }
    pub async fn add_to_board(&self, generation_id: &str, board: &str) -> Result<()> {
        self.told(
            gallery::add_to_board(self.core.store(), generation_id, board).await,
            &[DataTopic::Gallery],
        )
    }
    pub async fn boards(&self) -> Result<Vec<String>> {
        gallery::boards(self.core.store()).await
    }
    /// Deletes a board; its images stay in the gallery.
    pub async fn delete_board(&self, board: &str) -> Result<()> {
        self.told(
            gallery::delete_board(self.core.store(), board).await,
            &[DataTopic::Gallery],
        )
    }
    pub async fn remove_from_board(&self, generation_id: &str, board: &str) -> Result<()> {
        self.told(
            gallery::remove_from_board(self.core.store(), generation_id, board).await,
            &[DataTopic::Gallery],
        )
    }
    /// Exports PNGs (A1111 `parameters` chunk) and JSON sidecars into `folder`.
    pub async fn export(
        &self,
        generation_ids: Vec<String>,
        folder: PathBuf,
    ) -> Result<Vec<String>> {
        gallery::export(self.core.store(), generation_ids, folder).await
    }

    // ---- dashboard and reports ----
    pub async fn dashboard(&self, project: Option<String>) -> Result<DashboardData> {
        let drifts = crate::drift::drifting(&self.core).await?;
        gallery::dashboard(self.core.store(), drifts, project, None, None).await
    }
    /// [`Engine::dashboard`] for the days `from`..=`to` (`YYYY-MM-DD`, UTC; either open).
    pub async fn dashboard_range(
        &self,
        project: Option<String>,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<DashboardData> {
        let (from, to) = crate::invoice::period(from.as_deref(), to.as_deref())?;
        let drifts = crate::drift::drifting(&self.core).await?;
        gallery::dashboard(self.core.store(), drifts, project, from, to).await
    }
    /// Writes the project's spend lines as CSV (client invoice) and returns the path.
    /// The same items as [`Engine::invoice`] for the whole history, without markup.
    pub async fn report_csv(&self, project: &str, file: PathBuf) -> Result<String> {
        let q = crate::api::InvoiceQuery {
            project: project.to_string(),
            from: None,
            to: None,
            markup_percent: None,
        };
        crate::invoice::write_csv(&self.core, q, file).await
    }
    /// A project's invoice for a billing period: lines in cents, display names.
    pub async fn invoice(&self, q: crate::api::InvoiceQuery) -> Result<crate::api::Invoice> {
        crate::invoice::invoice(&self.core, q).await
    }
    /// Writes the invoice's items as CSV (one row per item, the line each adds to).
    pub async fn invoice_csv(&self, q: crate::api::InvoiceQuery, file: PathBuf) -> Result<String> {
        crate::invoice::write_csv(&self.core, q, file).await
    }

    // ---- keys (the secret only ever travels inward) ----
    pub async fn key_set(&self, provider: ProviderId, secret: String) -> Result<KeyView> {
        self.told(
            key_ops::set(self.core.gateway(), provider, secret).await,
            &[DataTopic::Keys],
        )
    }
    pub async fn key_list(&self) -> Result<Vec<KeyView>> {
        key_ops::list(self.core.gateway()).await
    }
    pub async fn key_delete(&self, provider: ProviderId) -> Result<()> {
        self.told(
            key_ops::delete(self.core.gateway(), provider).await,
            &[DataTopic::Keys],
        )
    }
    pub async fn key_test(&self, provider: ProviderId) -> Result<KeyCheckView> {
        key_ops::test(self.core.gateway(), self.core.wiring(), provider).await
    }

    // ---- gateways (issue 16) ----
    pub async fn gateway_list(&self) -> Result<Vec<GatewayView>> {
        crate::gateways::list(&self.core).await
    }
    pub async fn gateway_show(&self, name: &str) -> Result<GatewayView> {
        crate::gateways::show(&self.core, name).await
    }
    /// Adds or replaces a gateway; its offers are routable as soon as this returns.
    pub async fn gateway_save(&self, input: GatewayInput) -> Result<GatewayView> {
        self.told(
            crate::gateways::save(&self.core, input).await,
            &[DataTopic::Gateways, DataTopic::Catalog],
        )
    }
    pub async fn gateway_key_set(&self, name: &str, key: String) -> Result<GatewayView> {
        self.told(
            crate::gateways::set_key(&self.core, name, key).await,
            &[DataTopic::Gateways],
        )
    }
    pub async fn gateway_remove(&self, name: &str) -> Result<()> {
        self.told(
            crate::gateways::remove(&self.core, name).await,
            &[DataTopic::Gateways, DataTopic::Catalog],
        )
    }
    pub async fn gateway_test(&self, name: &str) -> Result<GatewayTestView> {
        crate::gateways::test(&self.core, name).await
    }

    // ---- settings and catalog ----
    #[allow(
        clippy::unused_async,
        reason = "the facade is async throughout: the shell and the CLI await every call alike"
    )]
    pub async fn settings(&self) -> Result<SettingsView> {
        Ok(self.settings_view())
    }
    pub async fn settings_save(&self, input: SettingsInput) -> Result<SettingsView> {
        crate::settings_ops::save(&self.core, input).await?;
        self.core
            .changes()
            .emit(&[DataTopic::Settings, DataTopic::Catalog]);
        Ok(self.settings_view())
    }
    pub async fn price_overrides_set(&self, overrides: Vec<PriceOverrideInput>) -> Result<()> {
        self.told(
            crate::settings_ops::set_overrides(&self.core, overrides).await,
            &[DataTopic::Catalog],
        )
    }
    /// Validates and installs a catalog file; a bad file is refused whole, with the
    /// offer, field and reason named.
    pub async fn catalog_import(&self, json: String) -> Result<CatalogImportReport> {
        self.told(
            crate::settings_ops::import_catalog(&self.core, json).await,
            &[DataTopic::Catalog],
        )
    }

    /// The catalog in use (version, published date, age) and the state of its feed.
    pub async fn catalog_status(&self) -> Result<crate::feed::CatalogStatusView> {
        crate::feed::status(&self.core).await
    }
    /// Sets the feed URL (`None`: the project's default); a pending update is dropped.
    pub async fn catalog_set_feed_url(
        &self,
        url: Option<String>,
    ) -> Result<crate::feed::CatalogStatusView> {
        self.told(
            crate::feed::set_url(&self.core, url).await,
            &[DataTopic::Catalog],
        )
    }
    /// Downloads and verifies the feed now; a newer catalog waits, with its diff, for
    /// `catalog_apply`. Nothing in use changes.
    pub async fn catalog_check(&self) -> Result<crate::feed::CatalogCheckView> {
        crate::feed::check(&self.core).await
    }
    /// The automatic check, at most daily (`None` when not due).
    pub async fn catalog_check_if_due(&self) -> Result<Option<crate::feed::CatalogCheckView>> {
        crate::feed::check_if_due(&self.core).await
    }
    /// Applies the verified pending update (the user's OK). With `expected_version`,
    /// only that version: what the user reviewed.
    pub async fn catalog_apply(
        &self,
        expected_version: Option<String>,
    ) -> Result<crate::feed::CatalogStatusView> {
        self.told(
            crate::feed::apply(&self.core, expected_version).await,
            &[DataTopic::Catalog],
        )
    }
    /// Restores the catalog in use before the last apply.
    pub async fn catalog_restore(&self) -> Result<crate::feed::CatalogStatusView> {
        self.told(
            crate::feed::restore(&self.core).await,
            &[DataTopic::Catalog],
        )
    }
    // ---- model discovery (issue 14 §6) ----
    /// The image models each provider (or `provider`) lists for its key that the catalog
    /// lacks, and the catalog offers it no longer lists.
    pub async fn offers_discover(&self, provider: Option<ProviderId>) -> Result<DiscoveryReport> {
        crate::discover::discover(&self.core, provider).await
    }
    /// Imports OpenRouter's or Together's listed prices for `models` as user offers.
    pub async fn offers_import(
        &self,
        provider: ProviderId,
        models: Vec<String>,
    ) -> Result<OfferImportReport> {
        self.told(
            crate::discover::import(&self.core, provider, models).await,
            &[DataTopic::Catalog, DataTopic::Settings],
        )
    }

    // ---- drift from real bills (issue 14 §5) ----
    /// Offers whose settled costs drifted from their estimates: every status
    /// ("drifting", "accepted", "ignored"), with the evidence.
    pub async fn drift_list(&self) -> Result<Vec<DriftView>> {
        Ok(crate::drift::list(&self.core).await?.as_ref().clone())
    }
    /// Sets the offer's negotiated rate from the observed ratio, in one step.
    pub async fn drift_accept(&self, offer_id: &str) -> Result<DriftView> {
        self.told(
            crate::drift::accept(&self.core, offer_id).await,
            &[DataTopic::Catalog],
        )
    }
    /// Hides the drift until a whole window of later attempts still drifts.
    pub async fn drift_ignore(&self, offer_id: &str) -> Result<DriftView> {
        self.told(
            crate::drift::ignore(&self.core, offer_id).await,
            &[DataTopic::Catalog],
        )
    }
    pub async fn drift_settings(&self) -> Result<DriftSettings> {
        crate::drift::settings(&self.core).await
    }
    pub async fn drift_settings_save(&self, input: DriftSettings) -> Result<DriftSettings> {
        self.told(
            crate::drift::save_settings(&self.core, input).await,
            &[DataTopic::Settings],
        )
    }

    fn settings_view(&self) -> SettingsView {
        let s = self.core.wiring().settings();
        SettingsView {
            endpoints: settings::endpoints_view(&s),
            gateways: s.gateways.clone(),
            max_concurrent_jobs: self.core.runs().queue().size(),
            max_calls_per_provider: u32::try_from(self.core.runs().limits().per_provider())
                .unwrap_or(u32::MAX),
            data_dir: self.core.data_dir().display().to_string(),
            catalog_version: self.core.wiring().catalog().version.clone(),
            price_overrides: self.price_override_inputs(),
        }
    }

    /// Negotiated rates and price caps as the UI edits them (other override kinds come
    /// from catalog files).
    fn price_override_inputs(&self) -> Vec<PriceOverrideInput> {
        self.core
            .wiring()
            .catalog_state()
            .overrides
            .iter()
            .filter_map(|o| match o.change {
                pricing::OverrideChange::Multiplier { factor } => Some(PriceOverrideInput {
                    offer_id: o.offer_id.clone(),
                    multiplier: factor,
                    price_cap_usd: None,
                }),
                pricing::OverrideChange::PriceCap { per_image } => Some(PriceOverrideInput {
                    offer_id: o.offer_id.clone(),
                    multiplier: rust_decimal::Decimal::ONE,
                    price_cap_usd: Some(per_image),
                }),
                _ => None,
            })
            .collect()
    }
}

pub(crate) fn spec(input: GenerateInput, parent: Option<store::GenerationId>) -> JobSpec {
    JobSpec {
        project: input.project,
        params: input.params,
        route: input.route,
        no_dedup: input.no_dedup,
        parent,
        later: false,
        approval: None,
    }
}

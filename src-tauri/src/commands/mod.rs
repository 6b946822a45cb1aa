//! Command registry: one module per domain, each command a thin adapter over the engine.

mod app;
pub(crate) mod catalog;
mod charges;
mod dashboard;
mod deferred;
mod drift;
mod gallery;
mod gateways;
mod generation;
mod image_data;
mod inputs;
mod keys;
mod pricing;
mod projects;
mod routing;
mod settings;
mod team;
mod team_approvals;
pub(crate) mod team_catchup;

use tauri_specta::{Builder, collect_commands, collect_events};

use crate::events::DataChanged;

/// The typed IPC surface, shared by the app, the bindings export and the tests.
pub fn specta_builder<R: tauri::Runtime>() -> Builder<R> {
    Builder::<R>::new()
        .disable_serde_phases()
        .commands(collect_commands![
            app::app_info,
            app::app_ready,
            app::ui_state_get,
            app::ui_state_set,
            pricing::pricing_offers,
            pricing::pricing_estimate,
            generation::generation_submit,
            generation::generation_cancel,
            generation::generation_promote_preview,
            generation::generation_promote,
            inputs::input_import,
            inputs::input_import_file,
            inputs::generation_lineage,
            inputs::generation_finalize_options,
            inputs::generation_finalize,
            inputs::generation_upscale,
            routing::route_preview,
            routing::route_size_presets,
            projects::project_list,
            projects::project_show,
            projects::project_save,
            projects::project_rename,
            projects::project_archive,
            gallery::gallery_page,
            gallery::gallery_detail,
            gallery::gallery_set_favourite,
            gallery::gallery_set_rating,
            gallery::gallery_add_to_board,
            gallery::gallery_boards,
            gallery::gallery_remove_from_board,
            gallery::gallery_delete_board,
            gallery::gallery_delete,
            gallery::gallery_export,
            gallery::gallery_reveal,
            dashboard::dashboard_data,
            dashboard::dashboard_invoice,
            dashboard::dashboard_invoice_csv,
            keys::keys_list,
            keys::keys_set,
            keys::keys_delete,
            keys::keys_test,
            settings::settings_get,
            settings::settings_save,
            settings::settings_set_overrides,
            settings::settings_import_catalog,
            charges::charges_list,
            charges::charge_confirm,
            charges::charge_refund,
            catalog::catalog_status,
            catalog::catalog_set_feed_url,
            catalog::catalog_check,
            catalog::catalog_apply,
            catalog::catalog_restore,
            drift::drift_list,
            drift::drift_accept,
            drift::drift_ignore,
            drift::drift_settings_get,
            drift::drift_settings_save,
            drift::offers_discover,
            drift::offers_import,
            deferred::generation_submit_later,
            deferred::deferred_jobs,
            deferred::deferred_poll,
            gateways::gateway_list,
            gateways::gateway_save,
            gateways::gateway_remove,
            gateways::gateway_test,
            team_approvals::team_approvals,
            team_approvals::team_approve,
            team_approvals::team_refuse,
            team_approvals::team_set_approval_threshold,
            team_approvals::team_awaiting_approvals,
            team_approvals::team_withdraw_approval,
            team_approvals::team_approval_threshold,
            team::team_status,
            team::team_join,
            team::team_leave,
            team::team_report,
            team::team_report_csv,
            team_catchup::team_catch_up_status,
        ])
        .events(collect_events![DataChanged, team_catchup::TeamCatchUp])
}

//! tauri-build: reads tauri.conf.json beside Cargo.toml and our capabilities folder.
//! Every app command is declared here so each window must be granted it by name
//! (`allow-<command>` in src-tauri/capabilities), never all at once.

const COMMANDS: &[&str] = &[
    "app_info",
    "app_ready",
    "ui_state_get",
    "ui_state_set",
    "pricing_offers",
    "pricing_estimate",
    "generation_submit",
    "generation_cancel",
    "generation_promote_preview",
    "generation_promote",
    "input_import",
    "input_import_file",
    "generation_lineage",
    "generation_finalize_options",
    "generation_finalize",
    "generation_upscale",
    "route_preview",
    "route_size_presets",
    "project_list",
    "project_show",
    "project_save",
    "project_rename",
    "project_archive",
    "gallery_page",
    "gallery_detail",
    "gallery_set_favourite",
    "gallery_set_rating",
    "gallery_add_to_board",
    "gallery_boards",
    "gallery_remove_from_board",
    "gallery_delete_board",
    "gallery_delete",
    "gallery_export",
    "gallery_reveal",
    "dashboard_data",
    "dashboard_invoice",
    "dashboard_invoice_csv",
    "keys_list",
    "keys_set",
    "keys_delete",
    "keys_test",
    "settings_get",
    "settings_save",
    "settings_set_overrides",
    "settings_import_catalog",
    "charges_list",
    "charge_confirm",
    "charge_refund",
    "catalog_status",
    "catalog_set_feed_url",
    "catalog_check",
    "catalog_apply",
    "catalog_restore",
    "drift_list",
    "drift_accept",
    "drift_ignore",
    "drift_settings_get",
    "drift_settings_save",
    "offers_discover",
    "offers_import",
    "gateway_list",
    "gateway_save",
    "gateway_remove",
    "gateway_test",
    "generation_submit_later",
    "deferred_jobs",
    "deferred_poll",
];

fn main() {
    // tauri-build watches only tauri.conf.json and `permissions/`: without this, an edited
    // capability file would leave the old ACL compiled into the app and the tests.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}

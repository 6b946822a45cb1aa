//! tauri-build: reads tauri.conf.json beside Cargo.toml and our capabilities folder.
//! Every app command is declared here so each window must be granted it by name
//! (`allow-<command>` in src-tauri/capabilities), never all at once.

const COMMANDS: &[&str] = &[
    "app_info",
    "app_ready",
    "pricing_offers",
    "pricing_estimate",
    "generation_submit",
    "generation_cancel",
    "generation_promote_preview",
    "generation_promote",
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
    "gallery_delete",
    "gallery_export",
    "gallery_reveal",
    "dashboard_data",
    "dashboard_report_csv",
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
    "gateway_list",
    "gateway_save",
    "gateway_remove",
    "gateway_test",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}

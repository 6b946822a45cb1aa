//! The Tauri shell: plugins, managed state and command registration. Logic lives in the crates.

pub fn run() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("error while running Proofsheet");
}

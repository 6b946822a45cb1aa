//! The checked-in TypeScript bindings must match the Rust commands and types.
//! Regenerate with `make bindings` (PROOFSHEET_BLESS=1 cargo test --test ipc bindings).

use std::path::Path;

#[test]
fn bindings_are_fresh() {
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join(proofsheet_lib::BINDINGS_PATH);
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh_path = dir.path().join("bindings.ts");
    proofsheet_lib::export_bindings(&fresh_path).expect("export bindings");
    let fresh = std::fs::read_to_string(&fresh_path).expect("read fresh bindings");
    if std::env::var_os("PROOFSHEET_BLESS").is_some() {
        std::fs::write(&checked_in, &fresh).expect("write bindings");
        return;
    }
    let current = std::fs::read_to_string(&checked_in).unwrap_or_default();
    assert!(
        current == fresh,
        "{} is stale: run `make bindings` and commit the result",
        checked_in.display()
    );
}

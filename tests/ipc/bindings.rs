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
    let current = std::fs::read_to_string(&checked_in).unwrap_or_default();
    if current == fresh {
        return;
    }
    // Blessing rewrites the file and still fails, so a PROOFSHEET_BLESS left set can
    // never turn this check into a writer that passes; in CI it never writes at all.
    let bless = std::env::var_os("PROOFSHEET_BLESS").is_some();
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if bless && !ci {
        std::fs::write(&checked_in, &fresh).expect("write bindings");
        panic!(
            "{} rewritten: review and commit it (the next run passes)",
            checked_in.display()
        );
    }
    panic!(
        "{} is stale: run `make bindings` and commit the result{}",
        checked_in.display(),
        if bless {
            " (PROOFSHEET_BLESS is ignored in CI)"
        } else {
            ""
        }
    );
}

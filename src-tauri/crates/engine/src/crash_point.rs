//! Test-only crash points: with `PROOFSHEET_TEST_CRASH_AT=<name>` in its environment the
//! process aborts at that point (as a `kill -9` would leave it), so tests can prove
//! recovery at moments no timing can hit. Unset, a point costs one env lookup.

pub(crate) fn crash_point(name: &str) {
    if std::env::var_os("PROOFSHEET_TEST_CRASH_AT").is_some_and(|v| v == name) {
        tracing::error!("test crash point {name}: aborting");
        std::process::abort();
    }
}

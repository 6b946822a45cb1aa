//! What keeps these tests off a designer's library and keychain: a keychain service no
//! build uses, and keychain tests that run only against a throwaway keyring.

use std::sync::atomic::{AtomicUsize, Ordering};

/// A keychain service name unique to one test app, never `com.proofsheet.dev`/`.app`.
pub fn test_keychain_service() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("com.proofsheet.test.ipc.{}.{n}", std::process::id())
}

/// True under `.ci/with-keyring.sh`. Without it a keychain test skips locally (it must
/// never touch a developer's keyring) and FAILS in CI (`CI=true`), where a skip would
/// look green.
pub fn keyring_available(test: &str) -> bool {
    if std::env::var_os("PROOFSHEET_KEYRING_TESTS").is_some() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: CI expects a throwaway keyring; run the tests under .ci/with-keyring.sh"
    );
    eprintln!("note: {test} skipped: run it under .ci/with-keyring.sh");
    false
}

#[test]
fn test_keychain_services_are_never_a_real_one() {
    let a = test_keychain_service();
    assert_ne!(a, test_keychain_service(), "each app its own service");
    assert!(a.starts_with("com.proofsheet.test."), "{a}");
}

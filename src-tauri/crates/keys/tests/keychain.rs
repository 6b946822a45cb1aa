//! Against the real Secret Service (run through .ci/with-keyring.sh). Every test
//! uses its own service name and checks the keyring with `secret-tool`, not only
//! through this crate.

mod common;

use common::{
    is_child, keyring_available, run_child, secret_tool_lookup, secret_tool_search, unique_service,
};
use keys::{AsyncKeyStore, KeySource, KeyStore, Provider, Secret};

const FAKE_KEY: &str = "sk-proofsheet-FAKE-7d1e9c2b4a60-TAIL";

#[test]
fn set_lands_in_the_keychain_and_delete_removes_it() {
    if !keyring_available("set_lands_in_the_keychain_and_delete_removes_it") {
        return;
    }
    let service = unique_service();
    let store = KeyStore::new(&service);

    let info = store
        .set(
            Provider::OpenAi,
            Secret::from_string(format!("{FAKE_KEY}\n")),
        )
        .expect("set");
    assert_eq!(info.last4.as_deref(), Some("TAIL"));
    assert_eq!(info.source, KeySource::Keychain);

    // The item is in the keyring under service + username, with the trimmed key.
    let found = secret_tool_search(&service);
    assert!(
        found.contains(&format!("attribute.service = {service}")),
        "{found}"
    );
    assert!(found.contains("attribute.username = openai"), "{found}");
    assert!(found.contains("Proofsheet API key: OpenAI"), "{found}");
    assert_eq!(
        secret_tool_lookup(&service, "openai").as_deref(),
        Some(FAKE_KEY)
    );
    // The index item holds metadata only, never the key.
    let index = secret_tool_lookup(&service, "__index__").expect("index item exists");
    assert!(index.contains("\"provider\":\"openai\""), "{index}");
    assert!(!index.contains(FAKE_KEY), "index leaked the key: {index}");

    let got = store.get(Provider::OpenAi).expect("get").expect("present");
    assert_eq!(got.expose(), FAKE_KEY);
    assert!(store.has(Provider::OpenAi).expect("has"));
    assert!(!store.has(Provider::Stability).expect("has"));
    assert!(store.get(Provider::Stability).expect("get").is_none());

    let listed = store.list().expect("list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].provider, Provider::OpenAi);
    assert_eq!(listed[0].last4.as_deref(), Some("TAIL"));
    assert!(listed[0].added_at.is_some());
    let listed_json = serde_json::to_string(&listed).expect("json");
    assert!(!listed_json.contains(FAKE_KEY), "{listed_json}");
    assert!(!format!("{listed:?}{got:?}").contains(FAKE_KEY));

    assert!(store.delete(Provider::OpenAi).expect("delete"));
    let after = secret_tool_search(&service);
    assert!(
        !after.contains("attribute.service"),
        "items left behind: {after}"
    );
    assert!(secret_tool_lookup(&service, "openai").is_none());
    assert!(store.get(Provider::OpenAi).expect("get").is_none());
    assert!(store.list().expect("list").is_empty());
    assert!(
        !store
            .delete(Provider::OpenAi)
            .expect("second delete is a no-op")
    );
}

#[test]
fn replacing_a_key_keeps_one_item_and_services_are_isolated() {
    if !keyring_available("replacing_a_key_keeps_one_item_and_services_are_isolated") {
        return;
    }
    let (app, dev) = (unique_service(), unique_service());
    let app_store = KeyStore::new(&app);
    let dev_store = KeyStore::new(&dev);

    app_store
        .set(
            Provider::Fal,
            Secret::from_string("fal-old-key-0000000001".into()),
        )
        .expect("set");
    app_store
        .set(
            Provider::Fal,
            Secret::from_string("fal-new-key-0000000002".into()),
        )
        .expect("replace");
    let found = secret_tool_search(&app);
    assert_eq!(
        found.matches("attribute.username = fal").count(),
        1,
        "{found}"
    );
    assert_eq!(
        app_store
            .get(Provider::Fal)
            .expect("get")
            .map(|s| s.expose().to_owned()),
        Some("fal-new-key-0000000002".to_owned())
    );
    let listed = app_store.list().expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last4.as_deref(), Some("0002"));

    // Another identity (dev build) sees nothing of it.
    assert!(!dev_store.has(Provider::Fal).expect("has"));
    assert!(dev_store.list().expect("list").is_empty());

    // Short keys are stored but never hinted.
    app_store
        .set(Provider::A1111, Secret::from_string("user:pw".into()))
        .expect("set short");
    let a1111 = app_store
        .list()
        .expect("list")
        .into_iter()
        .find(|k| k.provider == Provider::A1111)
        .expect("listed");
    assert_eq!(a1111.last4, None);

    for p in [Provider::Fal, Provider::A1111] {
        assert!(app_store.delete(p).expect("delete"));
    }
    assert!(!secret_tool_search(&app).contains("attribute.service"));
}

#[test]
fn works_from_spawn_blocking_async_tasks_and_plain_threads() {
    if !keyring_available("works_from_spawn_blocking_async_tasks_and_plain_threads") {
        return;
    }
    let service = unique_service();
    let store = KeyStore::new(&service);

    // Plain threads, concurrently, different providers.
    let providers = [Provider::Replicate, Provider::Bfl, Provider::Together];
    std::thread::scope(|s| {
        for p in providers {
            let store = &store;
            s.spawn(move || {
                let key = format!("{}-thread-key-123456", p.as_str());
                store
                    .set(p, Secret::from_string(key))
                    .expect("set from thread");
            });
        }
    });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // spawn_blocking, as the engine is told to do.
        let s = store.clone();
        let got = tokio::task::spawn_blocking(move || s.get(Provider::Bfl))
            .await
            .expect("join")
            .expect("get");
        assert_eq!(
            got.map(|k| k.expose().to_owned()).as_deref(),
            Some("bfl-thread-key-123456")
        );

        // The async wrapper.
        let a = AsyncKeyStore::from(store.clone());
        a.set(
            Provider::Google,
            Secret::from_string("AIza-async-key-0000".into()),
        )
        .await
        .expect("async set");
        let listed = a.list().await.expect("async list");
        let ids: Vec<_> = listed.iter().map(|k| k.provider).collect();
        assert_eq!(
            ids,
            vec![
                Provider::Google,
                Provider::Replicate,
                Provider::Bfl,
                Provider::Together
            ]
        );

        // Called directly on an async worker (a mistake, but must not panic).
        assert!(store.has(Provider::Together).expect("has on a worker"));
    });

    // A current-thread runtime (as in #[tokio::test]).
    let rt1 = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt1.block_on(async {
        let a = AsyncKeyStore::new(&service);
        for p in [
            Provider::Google,
            Provider::Replicate,
            Provider::Bfl,
            Provider::Together,
        ] {
            assert!(a.delete(p).await.expect("delete"));
        }
        assert!(
            store
                .list()
                .expect("direct list on current-thread runtime")
                .is_empty()
        );
    });
    assert!(!secret_tool_search(&service).contains("attribute.service"));
}

/// The environment variable wins for this process and is never written to the keychain.
#[test]
fn environment_key_wins_and_is_never_persisted() {
    if !keyring_available("environment_key_wins_and_is_never_persisted") {
        return;
    }
    let service = unique_service();
    run_child(
        "child_environment_key",
        &[
            (
                "PROOFSHEET_OPENAI_COMPATIBLE_API_KEY",
                "env-key-abcdefghijkl-WXYZ",
            ),
            ("CHILD_SERVICE", &service),
        ],
        &[],
    );
    let found = secret_tool_search(&service);
    assert!(
        !found.contains("env-key-abcdefghijkl"),
        "env key persisted: {found}"
    );
    assert!(
        found.contains("attribute.username = openai_compatible"),
        "{found}"
    );
    assert!(
        KeyStore::new(&service)
            .delete(Provider::OpenAiCompatible)
            .expect("cleanup")
    );
}

#[test]
fn child_environment_key() {
    if !is_child() {
        return;
    }
    let service = std::env::var("CHILD_SERVICE").expect("service");
    let store = KeyStore::new(&service);
    let p = Provider::OpenAiCompatible;
    assert_eq!(
        store
            .get(p)
            .expect("get")
            .map(|k| k.expose().to_owned())
            .as_deref(),
        Some("env-key-abcdefghijkl-WXYZ")
    );
    store
        .set(p, Secret::from_string("stored-key-000000000001".into()))
        .expect("set");
    // Still the environment key for this process; the stored one is reachable directly.
    assert_eq!(
        store
            .get(p)
            .expect("get")
            .map(|k| k.expose().to_owned())
            .as_deref(),
        Some("env-key-abcdefghijkl-WXYZ")
    );
    assert_eq!(
        store
            .keychain_get(p)
            .expect("keychain_get")
            .map(|k| k.expose().to_owned())
            .as_deref(),
        Some("stored-key-000000000001")
    );
    let listed = store.list().expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].source, KeySource::Environment);
    assert_eq!(listed[0].last4.as_deref(), Some("WXYZ"));
}

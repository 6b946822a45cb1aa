//! Gateway keys and secret header values in the real Secret Service (run through
//! .ci/with-keyring.sh), checked with `secret-tool` too.

mod common;

use common::{keyring_available, secret_tool_lookup, unique_service};
use keys::{GatewaySecret, KeyStore, Secret};

#[test]
fn gateway_key_and_secret_header_live_in_their_own_items() {
    if !keyring_available("gateway_key_and_secret_header_live_in_their_own_items") {
        return;
    }
    let service = unique_service();
    let store = KeyStore::new(&service);
    let header = GatewaySecret::Header("X-Portkey-Api-Key".into());
    store
        .gateway_set(
            "lite",
            &GatewaySecret::Key,
            Secret::from_string("sk-lite-1234567890\n".into()),
        )
        .expect("set key");
    store
        .gateway_set(
            "lite",
            &header,
            Secret::from_string("pk-secret-header-value".into()),
        )
        .expect("set header");
    assert_eq!(
        secret_tool_lookup(&service, "gateway:lite").as_deref(),
        Some("sk-lite-1234567890")
    );
    assert_eq!(
        secret_tool_lookup(&service, "gateway:lite:header:x-portkey-api-key").as_deref(),
        Some("pk-secret-header-value")
    );
    let got = store
        .gateway_get("lite", &header)
        .expect("get")
        .expect("present");
    assert_eq!(got.expose(), "pk-secret-header-value");
    assert!(store.gateway_has("lite", &GatewaySecret::Key).expect("has"));
    assert!(
        !store
            .gateway_has("other", &GatewaySecret::Key)
            .expect("has")
    );
    // Another gateway's key is separate; the provider key list does not show gateways.
    assert!(store.list().expect("list").is_empty());
    assert!(
        store
            .gateway_delete("lite", &GatewaySecret::Key)
            .expect("delete")
    );
    assert!(store.gateway_delete("lite", &header).expect("delete"));
    assert!(!store.gateway_has("lite", &GatewaySecret::Key).expect("has"));
    assert!(secret_tool_lookup(&service, "gateway:lite").is_none());
}

#[test]
fn a_gateway_secret_with_a_line_break_is_refused_without_echo() {
    if !keyring_available("a_gateway_secret_with_a_line_break_is_refused_without_echo") {
        return;
    }
    let store = KeyStore::new(&unique_service());
    let err = store
        .gateway_set(
            "lite",
            &GatewaySecret::Key,
            Secret::from_string("sk-one\nsk-two".into()),
        )
        .expect_err("refused");
    assert!(!err.to_string().contains("sk-one"), "{err}");
}

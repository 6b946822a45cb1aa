//! The "refused before sending" check of the image-input contract tests: a request the
//! provider cannot take is an invalid request that names what is wrong, nothing is billed
//! and nothing reaches the fake.
#![allow(dead_code)]

use std::fmt::Debug;
use std::future::Future;

use providers::{ErrorClass, GenerateRequest, ProviderError};
use wiremock::MockServer;

/// Each `(request, needle)` is refused by `send` as an invalid request whose message
/// contains `needle`, before anything is sent to `server`.
pub async fn assert_refused_before_sending<'a, T, F, Fut>(
    server: &MockServer,
    cases: impl IntoIterator<Item = (GenerateRequest, &'a str)>,
    send: F,
) where
    T: Debug,
    F: Fn(GenerateRequest) -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    for (r, needle) in cases {
        let e = send(r).await.expect_err(needle);
        assert!(
            matches!(e.class, ErrorClass::InvalidRequest { .. }),
            "{needle}: {e:?}"
        );
        assert!(e.message.contains(needle), "{needle}: {}", e.message);
        assert!(!e.may_have_billed(), "{needle}: {e:?}");
    }
    assert_nothing_sent(server).await;
}

/// No request reached the fake.
pub async fn assert_nothing_sent(server: &MockServer) {
    let got = server.received_requests().await.unwrap_or_default();
    assert!(got.is_empty(), "{} request(s) reached the fake", got.len());
}

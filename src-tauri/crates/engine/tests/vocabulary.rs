//! The provider ids of the shared vocabulary are exactly the providers the catalog
//! and the provider clients know: adding one in one place and not the others fails here.

use std::collections::BTreeSet;

use engine::api::{OfferProvider, ProviderId};

#[test]
fn every_provider_id_has_a_client_registered_under_that_id() {
    let cfg = providers::ProviderConfig {
        // openai_compatible has no default endpoint; every other client has one.
        base_url: Some("http://127.0.0.1:9".into()),
        ..Default::default()
    };
    for &p in ProviderId::ALL {
        let c = providers::provider_for(p, &cfg, reqwest::Client::new()).expect("a client");
        assert_eq!(c.id(), p.as_str());
        assert_eq!(
            providers::default_base_url(p).is_none(),
            p == ProviderId::OpenAiCompatible,
            "{p}: only the OpenAI-compatible server has no default endpoint"
        );
    }
}

#[test]
fn every_catalog_offer_names_a_provider_with_a_client() {
    let catalog = pricing::Catalog::bundled();
    let used: BTreeSet<OfferProvider> = catalog.offers().iter().map(|o| o.provider).collect();
    for p in &used {
        assert!(
            p.provider().is_some() || *p == OfferProvider::Gateway,
            "{p} is neither a provider nor a gateway"
        );
    }
    // The catalog prices the hosted providers; local servers and OpenAI-compatible
    // endpoints are priced by the user (compute time, a gateway's markup).
    let hosted: BTreeSet<OfferProvider> = ProviderId::ALL
        .iter()
        .filter(|p| !p.key_optional())
        .map(|&p| OfferProvider::from(p))
        .collect();
    assert!(
        hosted.is_subset(&used),
        "providers without a catalog offer: {:?}",
        hosted.difference(&used).collect::<Vec<_>>()
    );
}

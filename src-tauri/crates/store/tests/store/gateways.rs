#![allow(clippy::unwrap_used)]

use store::{GatewayHeader, GatewayModel, GatewayRow};

use crate::common::{d, open};

fn portkey() -> GatewayRow {
    GatewayRow {
        name: "portkey".into(),
        base_url: "http://127.0.0.1:8787/v1".into(),
        dialect: vocab::GatewayDialect::Images,
        headers: vec![
            GatewayHeader {
                name: "x-portkey-provider".into(),
                value: Some("openai".into()),
                secret: false,
            },
            GatewayHeader {
                name: "x-portkey-api-key".into(),
                value: None,
                secret: true,
            },
        ],
        models: vec![
            GatewayModel {
                name: "gpt-image-1".into(),
                offer_id: Some("openai:gpt-image-1".into()),
            },
            GatewayModel {
                name: "mystery".into(),
                offer_id: None,
            },
        ],
        markup_percent: Some(d("5")),
        markup_per_image_usd: Some(d("0.001")),
        price_per_image_usd: None,
        cost_header: None,
        cost_json_path: Some("usage.cost".into()),
    }
}

#[test]
fn a_gateway_round_trips_replaces_and_is_removed() {
    let fx = open();
    assert!(fx.store.gateways().unwrap().is_empty());
    let g = portkey();
    fx.store.put_gateway(&g).unwrap();
    assert_eq!(fx.store.gateway("portkey").unwrap().as_ref(), Some(&g));
    let mut changed = g.clone();
    changed.markup_percent = None;
    changed.price_per_image_usd = Some(d("0.04"));
    fx.store.put_gateway(&changed).unwrap();
    assert_eq!(fx.store.gateways().unwrap(), vec![changed]);
    assert!(fx.store.remove_gateway("portkey").unwrap());
    assert!(!fx.store.remove_gateway("portkey").unwrap());
    assert!(fx.store.gateways().unwrap().is_empty());
}

#[test]
fn a_negative_price_is_refused_by_the_table() {
    let fx = open();
    let mut g = portkey();
    g.price_per_image_usd = Some(d("-1"));
    assert!(fx.store.put_gateway(&g).is_err());
}

//! xAI bills the input images of an edit on top of the output image (docs.x.ai image
//! overview; amounts secondary, see the catalog notes): an edit with inputs is priced
//! with them, and more inputs than Grok Imagine takes are refused before sending.

use chrono::{TimeZone, Utc};
use pricing::{Catalog, Decimal, EstimateContext, EstimateRequest, ImageDims, estimate};

fn ctx() -> EstimateContext<'static> {
    EstimateContext::new(
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
            .single()
            .unwrap_or_default(),
    )
}

fn edit(inputs: usize) -> EstimateRequest {
    let mut r = EstimateRequest::new("put the fox in a red scarf", 1024, 1024);
    r.operation = vocab::Operation::Edit;
    r.reference_images = vec![
        ImageDims {
            width: 1024,
            height: 1024
        };
        inputs
    ];
    r
}

fn usd(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

#[test]
fn each_input_image_adds_its_fee() {
    let catalog = Catalog::bundled();
    for (offer, inputs, want) in [
        ("xai:grok-imagine-image", 1, "0.022"),
        ("xai:grok-imagine-image", 3, "0.026"),
        ("xai:grok-imagine-image-2.0", 2, "0.06"),
    ] {
        let o = catalog.offer(offer).expect("offer");
        let e = estimate(o, &edit(inputs), &ctx());
        assert!(e.supported, "{offer}: {:?}", e.unsupported_reason);
        assert_eq!(e.expected, usd(want), "{offer} with {inputs} input(s)");
    }
}

#[test]
fn a_fourth_input_is_refused() {
    let o = Catalog::bundled();
    let o = o.offer("xai:grok-imagine-image").expect("offer");
    let e = estimate(o, &edit(4), &ctx());
    assert!(!e.supported);
    assert!(e.unsupported_reason.is_some());
}

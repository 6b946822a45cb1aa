//! The catalog's operation and input-billing fields: validated (offer, field, reason),
//! round-tripped, and diffed on the operation an offer actually does.

use pricing::{Catalog, CatalogError, diff_catalogs};
use serde_json::{Value, json};

fn offer() -> Value {
    json!({
        "id": "openai:gpt-image-x", "provider": "openai", "model": "gpt-image-x",
        "display_name": "GPT Image X", "tier": "final",
        "formula": {"kind": "tokens", "rates": {"text_in": "5", "image_in": "8", "image_out": "30"},
            "image_out_tokens": [{"width": 1024, "height": 1024, "tokens": 1000}],
            "input_tokens": {"low": 135, "high": 3050}},
        "capabilities": {"sizes": {"kind": "fixed", "sizes": [{"width": 1024, "height": 1024}]},
            "max_n": 1, "max_reference_images": 16, "input_fidelity": true,
            "operations": [{"op": "generate"}, {"op": "edit", "max_inputs": 16, "mask": "optional"},
                {"op": "inpaint", "max_inputs": 16, "mask": "required"}]},
        "source": "test", "verified_on": "2026-11-29"
    })
}

fn catalog(offers: Vec<Value>) -> String {
    json!({"version": "t1", "published": "2026-11-29", "offers": offers}).to_string()
}

fn refused(mutate: impl FnOnce(&mut Value)) -> (String, String) {
    let mut o = offer();
    mutate(&mut o);
    match Catalog::from_json(&catalog(vec![o])) {
        Ok(_) => panic!("bad catalog accepted"),
        Err(CatalogError::Offer { field, reason, .. }) => (field, reason),
        Err(e) => panic!("unexpected error {e}"),
    }
}

#[test]
fn operations_round_trip() {
    let c = Catalog::from_json(&catalog(vec![offer()])).unwrap_or_else(|e| panic!("{e}"));
    let again = Catalog::from_json(&c.to_json()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, c);
    let caps = &c.offers()[0].capabilities;
    assert!(caps.does(vocab::Operation::Inpaint));
    assert!(!caps.does(vocab::Operation::Upscale));
}

#[test]
fn bad_operations_are_refused_naming_the_field() {
    let (field, reason) = refused(|o| {
        o["capabilities"]["operations"][2]["op"] = json!("edit");
    });
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("capabilities.operations[2].op", "`edit` listed twice")
    );
    let (field, reason) = refused(|o| {
        o["capabilities"]["operations"][1]["scales"] = json!([2]);
    });
    assert_eq!(
        (field.as_str(), reason.as_str()),
        (
            "capabilities.operations[1].scales",
            "only an upscale takes a factor"
        )
    );
    let (field, _) = refused(|o| {
        o["capabilities"]["operations"][1]["max_inputs"] = json!(0);
    });
    assert_eq!(field, "capabilities.operations[1].max_inputs");
    let (field, _) = refused(|o| {
        o["capabilities"]["operations"][0]["max_inputs"] = json!(3);
    });
    assert_eq!(field, "capabilities.operations[0].max_inputs");
    let (field, _) = refused(|o| {
        o["capabilities"]["operations"][1]["mask"] = json!("sometimes");
    });
    assert_eq!(
        field, "(offer)",
        "serde names no field for a bad enum value"
    );
}

#[test]
fn input_token_rules_are_checked() {
    let (field, reason) = refused(|o| {
        o["formula"]["input_tokens"]["high"] = json!(100);
    });
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("formula.input_tokens.high", "fewer tokens than low")
    );
    let (field, _) = refused(|o| {
        o["formula"]["input_image_tokens"] = json!(765);
    });
    assert_eq!(field, "formula.input_tokens");
    let (field, reason) = refused(|o| {
        o["formula"]["input_tokens"] = json!({"low": 135});
    });
    assert_eq!(field, "capabilities.input_fidelity");
    assert!(reason.contains("`high`"), "{reason}");
}

#[test]
fn a_price_change_on_an_edit_only_offer_is_diffed_on_its_operation() {
    let old = Catalog::bundled();
    let mut v: Value = serde_json::from_str(&old.to_json()).unwrap_or_else(|e| panic!("{e}"));
    let offers = v["offers"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("offers"));
    for o in offers.iter_mut() {
        if o["id"] == "stability:inpaint" {
            o["formula"]["credits"]["price"] = json!("6");
        }
    }
    let new = Catalog::from_json(&v.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let d = diff_catalogs(old, &new);
    assert_eq!(d.price_changes.len(), 1, "{:?}", d.price_changes);
    let p = &d.price_changes[0];
    assert_eq!(p.offer_id, "stability:inpaint");
    assert_eq!(p.probe, "inpaint 1024x1024");
    assert_eq!(
        (p.old_usd, p.new_usd),
        (
            Some(rust_decimal_macros::dec!(0.05)),
            Some(rust_decimal_macros::dec!(0.06))
        )
    );
}

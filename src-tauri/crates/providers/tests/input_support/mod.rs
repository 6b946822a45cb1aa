//! Fixtures for prov-b's image-input contract tests (issue 15), on top of the shared
//! `support/` ones: requests per operation, margins, white-mask checks, parts by name.
#![allow(dead_code)]

use crate::support::{inputs, multipart, refused};

use std::collections::BTreeMap;

use providers::{GenerateRequest, Margins};
use vocab::{InputRole, Operation};

pub use inputs::alpha_mask;
pub use multipart::FormPart;
pub use refused::assert_refused_before_sending;

/// Asserts a mask as sent is white (255) where the alpha mask was transparent (the
/// left half) and black where it was opaque.
pub fn assert_white_means_edit(png: &[u8], w: u32) {
    let g = image::load_from_memory(png)
        .expect("mask decodes")
        .to_luma8();
    assert_eq!(g.get_pixel(0, 0)[0], 255, "edit region must be white");
    assert_eq!(g.get_pixel(w - 1, 0)[0], 0, "kept region must be black");
}

/// A request doing `op` on a `w`×`h` subject (plus `refs` references).
pub fn op_req(model: &str, op: Operation, w: u32, h: u32, refs: usize) -> GenerateRequest {
    let mut r = GenerateRequest::new(model, "make the sky purple");
    r.inputs.operation = op;
    r.inputs
        .images
        .push(inputs::input_png(InputRole::Subject, w, h, 1));
    for i in 0..refs {
        r.inputs.images.push(inputs::input_png(
            InputRole::Reference,
            8 + i as u32,
            8,
            2 + i as u8,
        ));
    }
    r
}

pub fn with_mask(mut r: GenerateRequest) -> GenerateRequest {
    let s = r.inputs.images[0].clone();
    r.inputs.mask = Some(alpha_mask(s.width, s.height));
    r
}

pub fn with_margins(
    mut r: GenerateRequest,
    left: u32,
    top: u32,
    right: u32,
    bottom: u32,
) -> GenerateRequest {
    r.inputs.expand = Some(Margins {
        left,
        top,
        right,
        bottom,
    });
    r
}

/// The parts of a multipart request by name; a name sent twice fails the test.
pub fn parts(req: &wiremock::Request) -> BTreeMap<String, FormPart> {
    let mut out = BTreeMap::new();
    for p in multipart::parts(req) {
        let name = p.name.clone();
        assert!(
            out.insert(name.clone(), p).is_none(),
            "part '{name}' sent twice"
        );
    }
    out
}

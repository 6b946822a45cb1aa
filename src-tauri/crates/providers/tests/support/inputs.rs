//! Input images and masks for the edit contract tests.
#![allow(dead_code)]

use std::io::Cursor;
use std::sync::Arc;

use providers::{GenerateRequest, InputImage};
use vocab::{InputRole, Operation};

/// A PNG input `w`×`h` whose pixels depend on `seed` (so each input has distinct bytes).
pub fn input_png(role: InputRole, w: u32, h: u32, seed: u8) -> InputImage {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, seed])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    InputImage {
        role,
        sha256: format!("{seed:064x}"),
        mime: vocab::ImageMime::Png,
        width: w,
        height: h,
        bytes: Arc::from(out.into_inner()),
    }
}

/// An OpenAI-style mask `w`×`h`: the left half transparent (edit), the rest opaque.
pub fn alpha_mask(w: u32, h: u32) -> InputImage {
    let img = image::RgbaImage::from_fn(w, h, |x, _| {
        image::Rgba([0, 0, 0, if x < w / 2 { 0 } else { 255 }])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode mask");
    InputImage {
        role: InputRole::Subject,
        sha256: "m".repeat(64),
        mime: vocab::ImageMime::Png,
        width: w,
        height: h,
        bytes: Arc::from(out.into_inner()),
    }
}

/// A request doing `op` on a subject and `refs` references (all `w`×`h`).
pub fn with_inputs(model: &str, op: Operation, refs: usize, w: u32, h: u32) -> GenerateRequest {
    let mut r = GenerateRequest::new(model, "put the fox in a red scarf");
    r.width = w;
    r.height = h;
    r.inputs.operation = op;
    r.inputs.images.push(input_png(InputRole::Subject, w, h, 1));
    for i in 0..refs {
        r.inputs
            .images
            .push(input_png(InputRole::Reference, w, h, 2 + i as u8));
    }
    r
}

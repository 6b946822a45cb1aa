//! Fixtures for the image-input contract tests (issue 15): input images, OpenAI-style
//! masks (alpha 0 = edit) and a small multipart reader to check what was sent.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::Arc;

use providers::{GenerateRequest, InputImage, Margins};
use vocab::{InputRole, Operation};

pub fn input(role: InputRole, w: u32, h: u32) -> InputImage {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    let bytes = out.into_inner();
    InputImage {
        role,
        sha256: format!("{:064x}", bytes.len()),
        mime: "image/png".into(),
        width: w,
        height: h,
        bytes: Arc::from(bytes),
    }
}

/// A `w`×`h` OpenAI-style mask: the left half transparent (edit), the right half opaque.
pub fn alpha_mask(w: u32, h: u32) -> InputImage {
    let img = image::RgbaImage::from_fn(w, h, |x, _| {
        image::Rgba([0, 0, 0, if x < w / 2 { 0 } else { 255 }])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    let bytes = out.into_inner();
    InputImage {
        role: InputRole::Subject,
        sha256: "mask".into(),
        mime: "image/png".into(),
        width: w,
        height: h,
        bytes: Arc::from(bytes),
    }
}

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
    r.inputs.images.push(input(InputRole::Subject, w, h));
    for i in 0..refs {
        r.inputs
            .images
            .push(input(InputRole::Reference, 8 + i as u32, 8));
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

/// One multipart part as received.
#[derive(Debug, Clone)]
pub struct FormPart {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl FormPart {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).to_string()
    }
}

/// Splits a multipart/form-data body into its parts by name (last wins for repeats).
pub fn parts(req: &wiremock::Request) -> BTreeMap<String, FormPart> {
    let ctype = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        ctype.starts_with("multipart/form-data"),
        "not multipart: {ctype}"
    );
    let boundary = ctype
        .split("boundary=")
        .nth(1)
        .expect("boundary")
        .trim_matches('"');
    let delim = format!("--{boundary}");
    let body = &req.body;
    let mut out = BTreeMap::new();
    let mut starts = Vec::new();
    let d = delim.as_bytes();
    let mut i = 0;
    while i + d.len() <= body.len() {
        if &body[i..i + d.len()] == d {
            starts.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    for w in starts.windows(2) {
        let chunk = &body[w[0] + d.len()..w[1]];
        let chunk = chunk.strip_prefix(b"\r\n").unwrap_or(chunk);
        let Some(split) = chunk.windows(4).position(|x| x == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&chunk[..split]).to_string();
        let mut data = chunk[split + 4..].to_vec();
        if data.ends_with(b"\r\n") {
            data.truncate(data.len() - 2);
        }
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("")
            .to_string();
        let file_name = head
            .split("filename=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(str::to_string);
        let content_type = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-type:"))
            .map(|l| l[13..].trim().to_string());
        out.insert(
            name,
            FormPart {
                file_name,
                content_type,
                bytes: data,
            },
        );
    }
    out
}

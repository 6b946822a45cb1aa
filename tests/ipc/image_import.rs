//! Pasted and dropped images cross IPC as base64 (not a JSON array of numbers).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::commands::{app, assert_app_error, invoke};

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 40, 40]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

#[test]
fn a_base64_png_is_imported_and_kept_by_its_hash() {
    let app = app();
    let bytes = png(64, 48);
    let imported = invoke(
        &app,
        "input_import",
        json!({ "data": STANDARD.encode(&bytes) }),
    )
    .expect("import");
    assert_eq!(imported["width"], 64);
    assert_eq!(imported["height"], 48);
    assert_eq!(imported["mime"], "image/png");
    let sha = imported["sha256"].as_str().expect("sha256");
    assert_eq!(sha.len(), 64, "{imported}");
    // The same bytes again are the same library blob.
    let again = invoke(
        &app,
        "input_import",
        json!({ "data": STANDARD.encode(&bytes) }),
    )
    .expect("import again");
    assert_eq!(again["sha256"], sha);
}

#[test]
fn bad_or_over_size_data_is_a_validation_error_that_says_what_to_do() {
    let app = app();
    let err = invoke(&app, "input_import", json!({ "data": "%%%" })).expect_err("not base64");
    assert_app_error(&err, "validation");
    assert!(
        err["message"]
            .as_str()
            .expect("message")
            .contains("paste or drop it again"),
        "{err}"
    );

    // Past the limit: refused from its length, before decoding.
    let huge = "A".repeat(engine::MAX_INPUT_BYTES / 3 * 4 + 8);
    let err = invoke(&app, "input_import", json!({ "data": huge })).expect_err("too large");
    assert_app_error(&err, "validation");
    assert!(
        err["message"]
            .as_str()
            .expect("message")
            .contains("the limit is 50 MB"),
        "{err}"
    );

    // Base64 of bytes that are no image: the engine's check, same kind.
    let err = invoke(
        &app,
        "input_import",
        json!({ "data": STANDARD.encode([1, 2, 3]) }),
    )
    .expect_err("not an image");
    assert_app_error(&err, "validation");
}

#[test]
fn the_old_array_of_numbers_is_no_longer_read() {
    let app = app();
    let err = invoke(&app, "input_import", json!({ "bytes": [137, 80, 78, 71] }))
        .expect_err("wrong argument");
    // Tauri refuses arguments it cannot read with a bare string naming the argument.
    assert!(err.as_str().is_some_and(|m| m.contains("data")), "{err}");
}

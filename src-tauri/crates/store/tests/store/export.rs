#![allow(clippy::unwrap_used)]

use std::path::Path;

use store::{Status, safe_join, sanitize_file_name};

use crate::common::{d, generation, open, png, project};

fn text_chunks(path: &Path) -> Vec<(String, String)> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    let mut out: Vec<(String, String)> = info
        .uncompressed_latin1_text
        .iter()
        .map(|t| (t.keyword.clone(), t.text.clone()))
        .collect();
    for t in &info.utf8_text {
        out.push((t.keyword.clone(), t.get_text().unwrap()));
    }
    out
}

#[test]
fn png_carries_a1111_parameters_and_a_sidecar() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "a lighthouse, at dusk");
    fx.store.set_status(g, Status::Running, None).unwrap();
    fx.store.reserve(p.id, g, d("0.1")).unwrap();
    let bytes = png(64, 64, 1);
    fx.store.persist_image(g, 0, &bytes, Some(42)).unwrap();
    fx.store.settle(g, d("0.042")).unwrap();
    fx.store.set_status(g, Status::Succeeded, None).unwrap();

    let out = tempfile::tempdir().unwrap();
    let exported = fx.store.export_generation(g, out.path()).unwrap();
    assert_eq!(exported.images.len(), 1);
    // Named like the work, not by uuid: project, prompt words, date, short id, index.
    let name = exported.images[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let short = &g.to_string()[..8];
    assert!(name.starts_with("P_a-lighthouse-at-dusk_"), "{name}");
    assert!(name.ends_with(&format!("_{short}-0.png")), "{name}");
    assert_eq!(
        exported.sidecar.file_name().unwrap().to_string_lossy(),
        name.replace("-0.png", ".json")
    );
    let chunks = text_chunks(&exported.images[0]);
    let (_, params) = chunks.iter().find(|(k, _)| k == "parameters").unwrap();
    assert_eq!(
        params,
        &format!(
            "a lighthouse, at dusk\nNegative prompt: blurry\nSeed: 42, Size: 1024x1024, \
             Model: gpt-image-1, Provider: openai, Quality: medium, Version: Proofsheet {}",
            env!("CARGO_PKG_VERSION")
        )
    );
    // Pixels are untouched.
    let a = image::open(&exported.images[0]).unwrap().to_rgb8();
    let b = image::load_from_memory(&bytes).unwrap().to_rgb8();
    assert_eq!(a, b);

    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&exported.sidecar).unwrap()).unwrap();
    assert_eq!(sidecar["cost_usd"], "0.042");
    assert_eq!(sidecar["provider"], "openai");
    assert_eq!(sidecar["generation"]["id"], g.to_string());
    assert!(sidecar["attempts"].is_array());
}

#[test]
fn one_variation_exports_alone() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "three takes");
    for i in 0..3 {
        fx.store
            .persist_image(g, i, &png(16, 16, i + 1), None)
            .unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let exported = fx.store.export_images(g, out.path(), Some(1)).unwrap();
    assert_eq!(exported.images.len(), 1);
    assert!(exported.images[0].to_string_lossy().ends_with("-1.png"));
    assert!(fx.store.export_images(g, out.path(), Some(7)).is_err());
}

#[test]
fn unicode_prompts_use_itxt() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "狐 in the snow");
    fx.store.persist_image(g, 0, &png(16, 16, 2), None).unwrap();
    let out = tempfile::tempdir().unwrap();
    let exported = fx.store.export_generation(g, out.path()).unwrap();
    let chunks = text_chunks(&exported.images[0]);
    assert!(
        chunks
            .iter()
            .any(|(k, v)| k == "parameters" && v.starts_with("狐 in the snow"))
    );
}

#[test]
fn spend_csv_lists_costs_and_savings_safely() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "=HYPERLINK(\"evil\"), with \"quotes\"");
    fx.store.reserve(p.id, g, d("0.1")).unwrap();
    fx.store.settle(g, d("0.0042")).unwrap();
    let _free = generation(&fx.store, &p, "never ran");
    let csv = fx.store.spend_csv(p.id).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("date_utc,generation_id"));
    assert!(
        lines[1].contains("\"'=HYPERLINK(\"\"evil\"\"), with \"\"quotes\"\"\""),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(",0.042,0.0042,0"), "{}", lines[1]);

    let out = tempfile::tempdir().unwrap();
    let path = fx
        .store
        .export_spend_csv(p.id, out.path(), "../../etc/passwd")
        .unwrap();
    assert_eq!(path.parent().unwrap(), out.path());
    assert!(
        path.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with(".csv")
    );
    // UTF-8 with a byte-order mark, so spreadsheets read non-Latin prompts right.
    assert_eq!(
        std::fs::read_to_string(path).unwrap(),
        format!("\u{FEFF}{csv}")
    );
}

#[test]
fn names_cannot_escape_the_chosen_folder() {
    let dir = Path::new("/tmp/exports");
    for bad in ["../x", "..", ".", "a/b", "a\\b", "/etc/passwd", ""] {
        assert!(safe_join(dir, bad).is_err(), "{bad}");
    }
    assert_eq!(safe_join(dir, "ok.png").unwrap(), dir.join("ok.png"));
    assert_eq!(sanitize_file_name("../../etc/passwd"), "_.._etc_passwd");
    assert_eq!(sanitize_file_name("CON.csv"), "_CON.csv");
    assert_eq!(sanitize_file_name("..."), "export");
    assert_eq!(sanitize_file_name("Spring: final/v2"), "Spring_ final_v2");
    for s in ["../../etc/passwd", "a/../../b", "\0\n", "..\\..\\x"] {
        assert!(safe_join(dir, &sanitize_file_name(s)).is_ok(), "{s}");
    }
}

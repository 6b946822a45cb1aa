//! Unit-test fixtures: a real SQLite library in a temporary folder, a project and its
//! generations (issue 13 §4: modules that take `&Store` are tested without a server).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;

use rust_decimal::Decimal;
use store::{
    Budget, CanonicalRequest, GenerationId, NewGeneration, NewProject, Project, Store, Tier,
};

pub(crate) struct Lib {
    pub _dir: tempfile::TempDir,
    pub store: Store,
}

pub(crate) fn open() -> Lib {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open store");
    Lib { _dir: dir, store }
}

pub(crate) fn usd(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

pub(crate) fn project(store: &Store, name: &str, budget: Option<Budget>) -> Project {
    store
        .create_project(&NewProject {
            name: name.into(),
            client: None,
            budget,
        })
        .expect("project")
}

pub(crate) fn generation(store: &Store, project: &Project, prompt: &str) -> GenerationId {
    let request = CanonicalRequest {
        prompt: prompt.into(),
        negative_prompt: None,
        seed: Some(7),
        provider: "openai".into(),
        model: "gpt-image-1".into(),
        model_version: None,
        width: 1024,
        height: 1024,
        quality: Some("low".into()),
        steps: None,
        style: None,
        n: 1,
        reference_image_hashes: vec![],
        inputs: Default::default(),
    };
    store
        .create_generation(&NewGeneration {
            project_id: project.id,
            request,
            tier: Tier::Draft,
            parent_id: None,
            offer_id: Some("openai/gpt-image-1/low".into()),
            estimate: Some(usd("0.011")),
            seed_honoured: true,
        })
        .expect("generation")
}

/// A small PNG whose bytes differ per `seed`.
pub(crate) fn png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(8, 8, |x, y| image::Rgb([seed, x as u8, y as u8]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

//! Shared fixtures.
#![allow(dead_code, clippy::unwrap_used)]

use std::str::FromStr;

use rust_decimal::Decimal;
use store::{
    Budget, CanonicalRequest, GenerationId, NewGeneration, NewProject, Project, Store, Tier,
};
use tempfile::TempDir;

pub struct Fx {
    pub dir: TempDir,
    pub store: Store,
}

pub fn open() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    Fx { dir, store }
}

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A deterministic PNG whose bytes differ per `seed`.
pub fn png(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let v = x.wrapping_mul(31) ^ y.wrapping_mul(17) ^ seed.wrapping_mul(2_654_435_761);
        image::Rgb([v as u8, (v >> 8) as u8, (x + y + seed) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

pub fn request(prompt: &str) -> CanonicalRequest {
    CanonicalRequest {
        prompt: prompt.to_string(),
        negative_prompt: Some("blurry".into()),
        seed: Some(42),
        provider: "openai".into(),
        model: "gpt-image-1".into(),
        model_version: None,
        width: 1024,
        height: 1024,
        quality: Some("medium".into()),
        steps: None,
        style: None,
        n: 1,
        reference_image_hashes: vec![],
        inputs: Default::default(),
    }
}

pub fn project(store: &Store, name: &str, budget: Option<Budget>) -> Project {
    store
        .create_project(&NewProject {
            name: name.into(),
            client: Some("ACME".into()),
            budget,
        })
        .unwrap()
}

pub fn new_gen(project: &Project, req: CanonicalRequest, tier: Tier) -> NewGeneration {
    NewGeneration {
        project_id: project.id,
        request: req,
        tier,
        parent_id: None,
        offer_id: Some("openai/gpt-image-1/medium".into()),
        estimate: Some(d("0.042")),
        seed_honoured: true,
    }
}

pub fn generation(store: &Store, project: &Project, prompt: &str) -> GenerationId {
    store
        .create_generation(&new_gen(project, request(prompt), Tier::Draft))
        .unwrap()
}

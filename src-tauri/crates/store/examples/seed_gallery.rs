//! Fills a data dir with a large gallery for whole-app measurements (gallery scroll
//! at 100,000 images in BENCHMARKS.md). Real rows and real files through the public
//! API; 64 distinct small PNGs, so files dedupe the way real repeats would, or with
//! `distinct` one file (and thumbnail) per image, as a real library has: start-up and the
//! file sweep then walk 200,000 files.
//!
//!     cargo run --release -p proofsheet-store --example seed_gallery -- DATA_DIR [COUNT] [distinct]

use std::io::Write;
use std::path::PathBuf;

use rust_decimal::Decimal;
use store::{CanonicalRequest, NewGeneration, NewProject, Status, Store, Tier};

const WORDS: &[&str] = &[
    "lighthouse",
    "dusk",
    "risograph",
    "citrus",
    "botanical",
    "poster",
    "isometric",
    "coffee",
    "shop",
    "morning",
    "fog",
    "harbour",
    "neon",
    "tram",
    "cherry",
    "blossom",
    "pastel",
    "studio",
    "portrait",
    "ceramic",
    "vase",
    "desert",
    "modernist",
    "villa",
    "watercolour",
    "fox",
];

fn tiny_png(colour: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::RgbImage::from_fn(96, 96, |x, y| {
        let shade = ((x + y) / 3) as u8;
        image::Rgb([
            colour[0].saturating_add(shade),
            colour[1],
            colour[2].saturating_sub(shade),
        ])
    });
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode png");
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: seed_gallery DATA_DIR [COUNT]")?);
    let count: u32 = args
        .next()
        .map(|c| c.parse())
        .transpose()?
        .unwrap_or(100_000);
    let distinct = args.next().as_deref() == Some("distinct");
    let store = Store::open(&dir)?;
    let project = store.create_project(&NewProject {
        name: "Big library".into(),
        client: Some("Benchmark".into()),
        budget: None,
    })?;
    let pngs: Vec<Vec<u8>> = (0..64u8)
        .map(|i| {
            tiny_png([
                i.wrapping_mul(37),
                i.wrapping_mul(91),
                255 - i.wrapping_mul(53),
            ])
        })
        .collect();
    for i in 0..count {
        let w = |k: u32| WORDS[((i.wrapping_mul(2654435761) >> k) % WORDS.len() as u32) as usize];
        let request = CanonicalRequest {
            prompt: format!("{} {} {} #{i}", w(3), w(11), w(19)),
            negative_prompt: None,
            seed: Some(u64::from(i)),
            provider: "openai".into(),
            model: "gpt-image-1-mini".into(),
            model_version: None,
            width: 1024,
            height: 1024,
            quality: Some("low".into()),
            steps: None,
            style: None,
            n: 1,
            reference_image_hashes: Vec::new(),
            inputs: Default::default(),
        };
        let generation = store.create_generation(&NewGeneration {
            project_id: project.id,
            request,
            tier: if i % 5 == 0 { Tier::Final } else { Tier::Draft },
            parent_id: None,
            offer_id: Some("openai:gpt-image-1-mini".into()),
            estimate: Some(Decimal::new(5024, 6)),
            seed_honoured: false,
        })?;
        store.set_status(generation, Status::Running, None)?;
        let own;
        let png = if distinct {
            // Low 24 bits of i × an odd constant: a different colour for every i < 2^24.
            let c = i.wrapping_mul(2_654_435_761).to_le_bytes();
            own = tiny_png([c[0], c[1], c[2]]);
            &own
        } else {
            &pngs[(i % 64) as usize]
        };
        store.persist_image(generation, 0, png, Some(i64::from(i)))?;
        store.set_status(generation, Status::Succeeded, None)?;
        if i % 5000 == 0 {
            print!("\r{i}/{count}");
            std::io::stdout().flush()?;
        }
    }
    println!("\rseeded {count} images into {}", dir.display());
    Ok(())
}

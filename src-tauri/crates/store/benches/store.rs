//! Store benchmarks against the numbers in DESIGN.md §7.
//!
//! The fixture (1,000,000 generations, 100,000 images over 5 projects, FTS index) is built
//! once with raw prepared inserts in one transaction and cached under
//! `target/tmp/proofsheet-store-bench-v1/`; delete that folder to rebuild it.

use std::hint::black_box;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rusqlite::{Connection, params};
use store::{
    CanonicalRequest, GalleryQuery, NewGeneration, NewProject, OpenOptions, SearchQuery, Store,
    Tier, dedup_key,
};

const GENERATIONS: u32 = 1_000_000;
const IMAGES: u32 = 100_000;
const PROJECTS: i64 = 5;
const FIXTURE: &str = "proofsheet-store-bench-v1";

const WORDS: &[&str] = &[
    "lighthouse",
    "storm",
    "fox",
    "forest",
    "neon",
    "city",
    "portrait",
    "studio",
    "golden",
    "hour",
    "misty",
    "mountain",
    "ocean",
    "wave",
    "cat",
    "astronaut",
    "desert",
    "cyberpunk",
    "watercolor",
    "oil",
    "painting",
    "cinematic",
    "lighting",
    "macro",
    "flower",
    "dew",
    "snow",
    "village",
    "castle",
    "dragon",
    "robot",
    "vintage",
    "poster",
    "minimal",
    "logo",
    "bicycle",
    "red",
    "blue",
    "green",
    "night",
    "sunset",
    "reflection",
    "glass",
    "chrome",
    "texture",
    "isometric",
    "room",
    "cozy",
    "coffee",
    "shop",
    "rain",
    "street",
    "market",
    "lantern",
    "paper",
    "origami",
    "bird",
    "whale",
    "underwater",
    "coral",
    "reef",
    "volcano",
    "aurora",
    "sky",
    "galaxy",
    "nebula",
    "planet",
    "moon",
    "garden",
    "bonsai",
    "temple",
    "bridge",
    "train",
    "station",
    "harbor",
    "boat",
    "sail",
    "anchor",
    "compass",
    "map",
    "book",
    "library",
    "candle",
    "wizard",
    "knight",
    "armor",
    "sword",
    "shield",
    "crown",
    "throne",
];

/// Small deterministic PRNG (xorshift) so the fixture is the same every time.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn prompt(rng: &mut Rng) -> String {
    let n = 8 + rng.below(6);
    (0..n)
        .map(|_| WORDS[rng.below(WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn request(prompt: String, seed: u64) -> CanonicalRequest {
    CanonicalRequest {
        prompt,
        negative_prompt: Some("blurry, low quality".into()),
        seed: Some(seed),
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

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(FIXTURE)
}

fn build_fixture(dir: &Path) {
    let started = Instant::now();
    let tmp = dir.with_extension("building");
    let _ = std::fs::remove_dir_all(&tmp);
    drop(Store::open(&tmp).expect("open"));
    let mut c = Connection::open(tmp.join("proofsheet.sqlite3")).expect("conn");
    c.pragma_update(None, "synchronous", "OFF").expect("pragma");
    let tx = c.transaction().expect("tx");
    {
        for p in 1..=PROJECTS {
            tx.execute(
                "INSERT INTO projects(id, name, created_at) VALUES (?1, ?2, 0)",
                params![p, format!("Project {p}")],
            )
            .expect("project");
        }
        let mut gen_st = tx
            .prepare(
                "INSERT INTO generations(id, project_id, request_json, dedup_key, tier, status,
                    estimate_nanos, reserved_nanos, cost_nanos, offer_id, provider, model, prompt,
                    negative_prompt, created_at, finished_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'succeeded', 42000000, 42000000, 42000000,
                    'openai/gpt-image-1/medium', 'openai', ?6, ?7, 'blurry, low quality', ?8, ?8)",
            )
            .expect("prepare");
        let mut file_st = tx
            .prepare(
                "INSERT INTO files(id, hash, path, mime, bytes, width, height, thumb_path)
                 VALUES (?1, ?2, ?3, 'image/png', 2500000, 1024, 1024, ?4)",
            )
            .expect("prepare");
        let mut img_st = tx
            .prepare(
                "INSERT INTO images(id, generation_id, project_id, file_id, idx, seed, created_at)
                 VALUES (?1, ?2, ?3, ?1, 0, ?4, ?5)",
            )
            .expect("prepare");
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let base_ms: i64 = 1_700_000_000_000;
        // Images belong to the newest IMAGES generations; older ones are history.
        let first_with_image = GENERATIONS - IMAGES;
        let mut hits = Vec::new();
        for i in 0..GENERATIONS {
            let p = prompt(&mut rng);
            let req = request(p.clone(), u64::from(i));
            let key = dedup_key(&req);
            let id = uuid::Uuid::from_u64_pair(rng.next(), rng.next()).to_string();
            let project = 1 + i64::from(i) % PROJECTS;
            let created = base_ms + i64::from(i) * 1000;
            let model = if i % 3 == 0 {
                "gpt-image-1"
            } else {
                "gpt-image-1-mini"
            };
            let tier = if i % 4 == 0 { "final" } else { "draft" };
            gen_st
                .execute(params![
                    id,
                    project,
                    serde_json::to_string(&req).expect("json"),
                    key,
                    tier,
                    model,
                    p,
                    created
                ])
                .expect("generation");
            if i >= first_with_image {
                let n = i64::from(i - first_with_image) + 1;
                let hash = format!("{:016x}{:048x}", rng.next(), n);
                let path = format!("images/{}/{}/{hash}.png", &hash[..2], &hash[2..4]);
                let thumb = format!("thumbs/{}/{}/{hash}.jpg", &hash[..2], &hash[2..4]);
                file_st
                    .execute(params![n, hash, path, thumb])
                    .expect("file");
                img_st
                    .execute(params![n, id, project, i64::from(i), created])
                    .expect("image");
                if n % 100 == 0 {
                    hits.push(req);
                }
            }
        }
        std::fs::write(
            tmp.join("hits.json"),
            serde_json::to_vec(&hits).expect("json"),
        )
        .expect("hits.json");
    }
    tx.commit().expect("commit");
    c.execute_batch("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("analyze");
    drop(c);
    std::fs::rename(&tmp, dir).expect("rename fixture");
    eprintln!("built bench fixture in {:.1?}", started.elapsed());
}

fn fixture() -> Store {
    let dir = fixture_dir();
    if !dir.join("proofsheet.sqlite3").exists() {
        build_fixture(&dir);
    }
    Store::open_with(
        &dir,
        OpenOptions {
            sweep: false,
            ..Default::default()
        },
    )
    .expect("open fixture")
}

/// A photo-like 1024×1024 PNG (smooth gradients plus noise, so it compresses like real output).
fn photo_png(variant: u32) -> Vec<u8> {
    let mut rng = Rng(0x1234_5678 ^ u64::from(variant).wrapping_mul(0x9e37_79b9));
    let img = image::RgbImage::from_fn(1024, 1024, |x, y| {
        let n = (rng.next() & 0x0f) as u32;
        image::Rgb([
            ((x / 4 + n) & 0xff) as u8,
            ((y / 4 + n) & 0xff) as u8,
            (((x + y) / 8 + variant + n) & 0xff) as u8,
        ])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

fn benches(c: &mut Criterion) {
    let store = fixture();
    let project = store.project_by_name("Project 3").expect("project");

    c.bench_function("gallery_page_200_newest_of_project", |b| {
        let q = GalleryQuery {
            project_id: Some(project.id),
            limit: 200,
            ..Default::default()
        };
        b.iter(|| {
            let page = store.gallery_page(black_box(&q)).expect("page");
            assert_eq!(page.items.len(), 200);
            page
        })
    });
    c.bench_function("gallery_page_200_second_page_filtered", |b| {
        let first = store
            .gallery_page(&GalleryQuery {
                project_id: Some(project.id),
                limit: 200,
                ..Default::default()
            })
            .expect("page");
        let q = GalleryQuery {
            project_id: Some(project.id),
            tier: Some(Tier::Draft),
            after: first.next,
            limit: 200,
            ..Default::default()
        };
        b.iter(|| store.gallery_page(black_box(&q)).expect("page"))
    });
    c.bench_function("fts_search_one_word_200", |b| {
        let q = SearchQuery {
            text: "lighthouse".into(),
            limit: 200,
            ..Default::default()
        };
        b.iter(|| {
            let page = store.search(black_box(&q)).expect("search");
            assert_eq!(page.items.len(), 200);
            page
        })
    });
    c.bench_function("fts_search_two_words_in_project_200", |b| {
        let q = SearchQuery {
            text: "misty drag".into(),
            project_id: Some(project.id),
            limit: 200,
            ..Default::default()
        };
        b.iter(|| store.search(black_box(&q)).expect("search"))
    });

    // Requests stored with images: the fixture keeps 1,000 of them beside the database.
    let hits: Vec<CanonicalRequest> =
        serde_json::from_slice(&std::fs::read(fixture_dir().join("hits.json")).expect("hits.json"))
            .expect("hits");
    c.bench_function("dedup_key_and_lookup_hit_1m_generations", |b| {
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % hits.len();
            let key = dedup_key(black_box(&hits[k]));
            store.find_reusable(&key).expect("lookup")
        })
    });
    c.bench_function("dedup_key_only", |b| {
        b.iter(|| dedup_key(black_box(&hits[0])))
    });
    c.bench_function("dedup_key_and_lookup_miss_1m_generations", |b| {
        let miss = request("nothing like this was ever stored".into(), 7);
        b.iter(|| {
            let key = dedup_key(black_box(&miss));
            assert!(store.find_reusable(&key).expect("lookup").is_none());
        })
    });

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let fresh = Store::open(dir.path()).expect("open");
    let p = fresh
        .create_project(&NewProject {
            name: "Bench".into(),
            ..Default::default()
        })
        .expect("project");
    let g = fresh
        .create_generation(&NewGeneration {
            project_id: p.id,
            request: request("persist".into(), 1),
            tier: Tier::Draft,
            parent_id: None,
            offer_id: None,
            estimate: None,
            seed_honoured: true,
        })
        .expect("generation");
    let mut group = c.benchmark_group("persist");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(20));
    let mut variant = 0u32;
    group.bench_function("persist_1024x1024_png_hash_atomic_write_thumbnail", |b| {
        b.iter_batched(
            || {
                variant += 1;
                (variant, photo_png(variant))
            },
            |(v, bytes)| fresh.persist_image(g, v, &bytes, None).expect("persist"),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(store_benches, benches);
criterion_main!(store_benches);

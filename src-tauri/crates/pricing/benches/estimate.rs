//! DESIGN §7: estimate every catalog offer (≥ 40) for one request, median < 20 µs.
use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use pricing::{Catalog, EstimateContext, EstimateRequest, estimate_all};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let catalog = Catalog::bundled();
    let mut req = EstimateRequest::new(
        "a red fox in fresh snow, watercolour, soft morning light",
        1024,
        1024,
    );
    req.quality = Some("medium".into());
    req.n = 2;
    req.seed = Some(42);
    let ctx = EstimateContext::new(
        Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
            .single()
            .unwrap_or_default(),
    );
    let offers = catalog.offers().len();
    c.bench_function(&format!("estimate_all ({offers} offers)"), |b| {
        b.iter(|| estimate_all(black_box(catalog), black_box(&req), black_box(&ctx)))
    });
    // The same plus rendering every line and note to text (what the UI pays once per view).
    c.bench_function(
        &format!("estimate_all + serialize ({offers} offers)"),
        |b| {
            b.iter(|| {
                serde_json::to_string(&estimate_all(
                    black_box(catalog),
                    black_box(&req),
                    black_box(&ctx),
                ))
                .unwrap_or_default()
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

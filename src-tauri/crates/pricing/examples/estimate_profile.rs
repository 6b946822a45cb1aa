//! Runs the `estimate` bench's request N times (argument, default 1000) for profilers
//! that count instructions (`valgrind --tool=callgrind`): run it with N and with 0 and
//! divide the difference by N to get instructions per `estimate_all`.
use chrono::{TimeZone, Utc};
use pricing::{Catalog, EstimateContext, EstimateRequest, estimate_all};
use std::hint::black_box;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
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
    let mut total = 0usize;
    for _ in 0..n {
        total += estimate_all(black_box(catalog), black_box(&req), black_box(&ctx)).len();
    }
    println!("{total}");
}

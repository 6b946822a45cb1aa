//! Times a gallery jump (a page read at an offset) in a library `seed_gallery` filled:
//! the count (read with every page), then the first page, the middle and the end, each
//! the best of five.
//!
//!     cargo run --release -p proofsheet-store --example gallery_jump -- DATA_DIR

use std::path::PathBuf;
use std::time::Instant;

use store::{GalleryQuery, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: gallery_jump DATA_DIR")?,
    );
    let store = Store::open(&dir)?;
    let mut total = 0;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        total = store.gallery_count(&GalleryQuery::default())?;
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    // The engine reads the count with every page.
    println!("{total} images, counted in {best:.2} ms (best of 5)");
    let total = u32::try_from(total)?;
    for offset in [0, total / 2, total.saturating_sub(200)] {
        let q = GalleryQuery {
            offset,
            limit: 200,
            ..Default::default()
        };
        let mut best = f64::MAX;
        let mut rows = 0;
        for _ in 0..5 {
            let t = Instant::now();
            rows = store.gallery_page(&q)?.items.len();
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!("offset {offset:>6}: {rows} rows in {best:.2} ms (best of 5)");
    }
    Ok(())
}

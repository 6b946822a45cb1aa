//! Measures the integrity check that runs before the first reservation of a process
//! (F15) on an existing library, e.g. one filled by `seed_gallery`:
//!
//!     cargo run --release -p proofsheet-store --example check_cost -- DATA_DIR

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: check_cost DATA_DIR")?;
    let t = Instant::now();
    let store = store::Store::open_with(
        &dir,
        store::OpenOptions {
            sweep: false,
            ..Default::default()
        },
    )?;
    println!("open: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    store.check_before_spending()?;
    println!("first check: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    store.check_before_spending()?;
    println!("later checks: {:.3} ms", t.elapsed().as_secs_f64() * 1e3);
    Ok(())
}

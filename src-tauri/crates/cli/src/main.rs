//! proofsheet-cli: the headless face of the Proofsheet engine (DESIGN.md §5).

fn main() {
    println!("proofsheet-cli {}", env!("CARGO_PKG_VERSION"));
}

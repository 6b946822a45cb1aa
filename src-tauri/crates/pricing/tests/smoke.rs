use pricing::*;
#[test]
fn bundled_catalog_is_valid() {
    let c = Catalog::from_json(include_str!("../catalog/catalog.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(c.offers().len() >= 40);
    let ctx = EstimateContext::new(chrono::Utc::now());
    let mut req = EstimateRequest::new("a red fox in the snow, watercolour", 1024, 1024);
    req.seed = Some(42);
    for e in estimate_all(Catalog::bundled(), &req, &ctx) {
        println!(
            "{:50} {:>10} {:>10} {:?} {:?} {}",
            e.offer_id,
            e.expected,
            e.worst_case,
            e.confidence,
            e.notes.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            e.lines
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
}

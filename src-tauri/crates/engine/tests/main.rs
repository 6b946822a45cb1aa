//! The engine's integration tests in one binary (one link instead of one per file);
//! each file is a module. `hops.rs` stays its own binary: its counter is process-wide.
//! Run one file's tests with `cargo test -p proofsheet-engine --test engine -- budget::`.

mod common;

mod boards;
mod budget;
mod calibration;
mod catalog_feed;
mod changes;
mod deferred;
mod discover;
mod drift;
mod first_call;
mod gateway_routes;
mod gateways;
mod invoice;
mod leases;
mod library;
mod moderation;
mod module_graph;
mod money_path;
mod pipeline;
mod prices;
mod projects;
mod provider_cap;
mod recovery;
mod recovery_money;
mod routing;
mod settings_race;
mod unknown_gateway_price;
mod vocabulary;

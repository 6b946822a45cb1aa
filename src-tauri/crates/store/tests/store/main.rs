//! Integration tests, one module per table or query group, on temp-file databases.

mod begin;
mod budgets;
mod common;
mod crash;
mod dashboard;
mod dedup;
mod export;
mod gallery;
mod gateways;
mod generations;
mod images;
mod inputs;
mod migrations;
mod money_path;
mod open;
mod projects;
mod search_queue;

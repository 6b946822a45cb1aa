//! The generation pipeline (DESIGN.md §2): routing, dedup, budgets, attempts,
//! settlement and jobs. Composes pricing, providers, store and keys; knows no UI.

pub mod api;
mod error;
mod facade;

pub use error::{EngineError, ErrorKind, Result};
pub use facade::{Engine, EngineConfig, ProgressFn};

//! The generation pipeline: routing, dedup, budgets, attempts, settlement, jobs.

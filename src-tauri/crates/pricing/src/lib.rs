//! Price catalog, cost formulas, estimates and settlement. Pure: no IO, no async.

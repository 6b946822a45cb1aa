//! Price catalog, cost formulas, estimates and settlement. Pure: no IO, no async.
//!
//! - [`Catalog`]: the bundled, dated catalog ([`Catalog::bundled`]), imports
//!   ([`Catalog::from_json`]) and negotiated rates ([`Catalog::with_overrides`]).
//! - [`estimate`] / [`estimate_all`]: what a request costs on each offer before it is sent,
//!   with the [`ResolvedRequest`] the engine must send.
//! - [`settle`]: the actual cost from what a provider reported.
//! - [`Calibration`]: history that replaces assumptions for usage- and time-billed offers.
//!
//! Money is `rust_decimal::Decimal` USD and serializes as a decimal string.

mod calibration;
mod capabilities;
mod catalog;
mod diff;
mod error;
mod estimate;
mod formula;
mod inputs;
mod lifecycle;
mod lines;
pub mod money;
mod operations;
mod request;
mod settle;
mod tokens;
mod validate;

pub use calibration::{CalibratedCost, Calibration, CalibrationSample};
pub use capabilities::{Capabilities, Note, SizeOption, SizeSpec, StepsRange};
pub use catalog::{
    Catalog, LatencyMultiplier, Modifiers, Offer, OfferTier, OverrideChange, PriceBasis,
    PriceOverride, TimeWindow,
};
pub use diff::{
    CatalogDiff, LifecycleChange, OfferRef, OtherChange, PriceChange, compare_versions,
    diff_catalogs,
};
pub use error::CatalogError;
pub use estimate::{
    Confidence, Estimate, EstimateContext, PriceSource, RetryAllowance, estimate, estimate_all,
    estimate_offers,
};
pub use formula::{
    Formula, PriceInput, PriceRow, Priced, StepScaling, StepTier, TokenFormula, TokenRates,
    TokenRow, image_tokens, table_row,
};
pub use inputs::{InputTokens, InputWords, ReferenceTier};
pub use lifecycle::{LifecycleNote, LifecycleStatus, catalog_date};
pub use lines::{Line, TokenClass};
pub use money::{MpRounding, MpUnit};
pub use operations::{MaskUse, OperationSpec, PromptUse};
pub use request::{EstimateRequest, ImageDims, LatencyTier, ResolvedRequest};
pub use settle::{Settlement, SettlementBasis, TokenUsage, Usage, settle};

pub use chrono_tz::Tz;
pub use rust_decimal::Decimal;

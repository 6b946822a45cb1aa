//! IPC / `--json` shapes of a project's invoice and its CSV (one list of items).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

ipc_type! {
    /// Which spend an invoice (and its CSV) covers.
    pub struct InvoiceQuery {
        pub project: String,
        /// First day, `YYYY-MM-DD` (UTC), inclusive; None starts at the first item.
        pub from: Option<String>,
        /// Last day, `YYYY-MM-DD` (UTC), inclusive; None ends at the last item.
        pub to: Option<String>,
        /// Percent added to every line ("15" adds 15 %); None or 0 adds nothing.
        pub markup_percent: Option<Decimal>,
    }

    /// One row of the CSV: a billed call, a free call or a gallery reuse.
    pub struct InvoiceItem {
        /// `YYYY-MM-DD HH:MM:SS` (UTC).
        pub date_utc: String,
        pub generation_id: String,
        pub tier: super::Tier,
        /// Display names, never ids ("OpenAI", "GPT Image 1 mini").
        pub provider: String,
        pub model: String,
        pub prompt: String,
        /// "succeeded", "failed (server error) — billed", "reused from the gallery", …
        pub outcome: String,
        pub images: u32,
        /// What the provider charged, exact.
        pub cost_usd: Decimal,
        /// `cost_usd` with the markup, exact.
        pub charged_usd: Decimal,
        pub saved_usd: Decimal,
        /// The invoice line this row adds to (its `label`).
        pub line: String,
    }

    /// One invoice line: every item with this label, summed, then rounded to cents.
    pub struct InvoiceLine {
        pub label: String,
        pub images: u32,
        pub calls: u32,
        pub cost_usd: Decimal,
        /// Σ `charged_usd` of its items, rounded to cents (half away from zero).
        pub amount_usd: Decimal,
    }

    /// A project's invoice for a billing period; its CSV has the same items.
    pub struct Invoice {
        pub project: String,
        pub client: Option<String>,
        /// The billing period (`YYYY-MM-DD`), as asked or as the items span.
        pub period_from: Option<String>,
        pub period_to: Option<String>,
        pub issued: String,
        pub markup_percent: Decimal,
        pub lines: Vec<InvoiceLine>,
        pub items: Vec<InvoiceItem>,
        /// Σ line amounts (cents).
        pub total_usd: Decimal,
        /// Of the total before markup: calls billed without an image (failures).
        pub failed_usd: Decimal,
        pub saved_usd: Decimal,
    }
}

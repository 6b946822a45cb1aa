//! The closed sets other than provider ids.

use crate::macros::closed_set;

closed_set! {
    /// How an offer's price is computed: the `kind` of its catalog formula.
    "billing kind", pub enum BillingKind {
        /// n × a price per image.
        FlatPerImage = "flat_per_image",
        /// A price per quality and size.
        Table = "table",
        PerMegapixel = "per_megapixel",
        /// A first megapixel plus an increment per further one (BFL FLUX.2).
        BaseIncrement = "base_increment",
        Tokens = "tokens",
        /// GPU seconds × a rate.
        ComputeSeconds = "compute_seconds",
        Credits = "credits",
        /// A price scaled by the number of steps.
        StepScaled = "step_scaled",
        Free = "free",
        /// No published price.
        Unknown = "unknown",
    }
}

closed_set! {
    /// How one attempt (one provider call) ended: `succeeded`, one of the provider
    /// error classes, `skipped` (never sent) or `running` (not finished yet).
    "attempt outcome", pub enum AttemptOutcome {
        Succeeded = "succeeded",
        SafetyBlock = "safety_block",
        RateLimited = "rate_limited",
        QuotaExhausted = "quota_exhausted",
        AuthFailed = "auth_failed",
        InvalidRequest = "invalid_request",
        Transient = "transient",
        Timeout = "timeout",
        MalformedResponse = "malformed_response",
        Cancelled = "cancelled",
        /// Never sent (the budget, a cool-down or an earlier success stopped it).
        Skipped = "skipped",
        /// Still in flight.
        Running = "running",
        /// A stored outcome this build does not know (a ledger written by a newer one).
        Unknown = "unknown",
    }
}

closed_set! {
    /// How far an estimate can be trusted.
    "confidence", pub enum EstimateConfidence {
        /// Exact from the published price.
        Published = "published",
        /// The median of recent settled costs (how many: `calibration_samples`).
        Calibrated = "calibrated",
        /// An assumption (default seconds, a secondary source, wall time).
        Assumed = "assumed",
    }
}

closed_set! {
    /// Where an estimate's figure (or an offer's price) comes from. `unknown` is never a
    /// $0 price: show "unknown".
    "price source", pub enum EstimateSource {
        Published = "published",
        Calibrated = "calibrated",
        /// A provider's or gateway's quote rather than a published page.
        Reported = "reported",
        Unknown = "unknown",
    }
}

closed_set! {
    /// Whether an offer's provider can be called now.
    "availability", pub enum Availability {
        Ready = "ready",
        /// Its provider needs an API key and none is stored or in the environment.
        NoKey = "no_key",
        /// A local server (or endpoint) whose address is not configured.
        NotConfigured = "not_configured",
    }
}

closed_set! {
    /// What changed, for the window to refetch (also written by another process on the
    /// same library, e.g. the CLI).
    "data topic", pub enum DataTopic {
        /// Generations and images: a job finished, recovery or a deferred poll landed
        /// one, images were rated, deleted or put on a board.
        Gallery = "gallery",
        /// Deferred ("later") jobs waiting for their provider (landed, failed).
        Jobs = "jobs",
        /// Projects and their settings.
        Projects = "projects",
        /// Budgets and spend (the meter and the dashboard).
        Budgets = "budgets",
        /// Which providers have a key.
        Keys = "keys",
        /// Endpoints, gateways in settings, job concurrency.
        Settings = "settings",
        /// The price catalog, imported offers or price overrides (the cost table).
        Catalog = "catalog",
        /// Named gateways.
        Gateways = "gateways",
        /// Unconfirmed charges and reviews.
        Charges = "charges",
        /// Another process wrote to this library: anything may have changed.
        Library = "library",
    }
}

closed_set! {
    /// The input field a validation error concerns, so a form can mark it without
    /// reading the message.
    "error field", pub enum ErrorField {
        Name = "name",
        Client = "client",
        BudgetUsd = "budget_usd",
        WarnAt = "warn_at",
        DraftChain = "draft_chain",
        FinalChain = "final_chain",
        Prompt = "prompt",
        Width = "width",
        Height = "height",
        N = "n",
        Steps = "steps",
        Quality = "quality",
        Offer = "offer",
        Provider = "provider",
        Model = "model",
        BaseUrl = "base_url",
        Key = "key",
        Multiplier = "multiplier",
        PriceCapUsd = "price_cap_usd",
        Gateway = "gateway",
        Catalog = "catalog",
        Settings = "settings",
    }
}

closed_set! {
    /// What a request does with its input images (issue 15). `generate` has none.
    "operation", pub enum Operation {
        /// Text to image; input images, if any, are references.
        Generate = "generate",
        /// Edit by instruction: the first input is the image to edit, others are references.
        Edit = "edit",
        /// Edit a region: the mask (on the first input) says where.
        Inpaint = "inpaint",
        /// Extend the canvas by margins (outpaint).
        Expand = "expand",
        /// Enlarge the first input by a factor.
        Upscale = "upscale",
        /// A variation of the first input.
        Vary = "vary",
    }
}

closed_set! {
    /// The part an input image plays in a request.
    "input role", pub enum InputRole {
        /// The image being edited, expanded or upscaled (always first).
        Subject = "subject",
        /// Content to take from: a product, a face, a composition.
        Reference = "reference",
        /// A look to take from.
        Style = "style",
    }
}

closed_set! {
    /// How faithfully a model keeps the input images (OpenAI `input_fidelity`); `high`
    /// bills about 3,050 input tokens per 1024² input instead of about 135.
    "input fidelity", pub enum InputFidelity {
        Low = "low",
        High = "high",
    }
}

closed_set! {
    /// The formats the library stores (sniffed from the bytes, never taken from a file
    /// name or a provider's header): every image and input crosses IPC as one of these.
    "image type", pub enum ImageMime {
        Png = "image/png",
        Jpeg = "image/jpeg",
        WebP = "image/webp",
    }
}

impl ImageMime {
    /// The file extension the library uses for this type.
    pub const fn extension(self) -> &'static str {
        match self {
            ImageMime::Png => "png",
            ImageMime::Jpeg => "jpg",
            ImageMime::WebP => "webp",
        }
    }
}

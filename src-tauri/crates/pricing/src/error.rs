use thiserror::Error;

/// Why a catalog file or an override was refused. Every variant names where the
/// problem is; nothing is applied when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CatalogError {
    #[error("catalog is not valid JSON: {0}")]
    Syntax(String),
    /// A catalog-level field (`version`, `published`, `offers`).
    #[error("catalog field `{field}`: {reason}")]
    Catalog { field: String, reason: String },
    /// A field of one offer. `offer` is its id (or `#index` when the id itself is missing).
    #[error("offer `{offer}`, field `{field}`: {reason}")]
    Offer {
        offer: String,
        field: String,
        reason: String,
    },
    /// An override (by position in the list given) that cannot be applied.
    #[error("override #{index} for offer `{offer}`, field `{field}`: {reason}")]
    Override {
        index: usize,
        offer: String,
        field: String,
        reason: String,
    },
}

impl CatalogError {
    pub(crate) fn offer(offer: &str, field: impl Into<String>, reason: impl Into<String>) -> Self {
        CatalogError::Offer {
            offer: offer.to_owned(),
            field: field.into(),
            reason: reason.into(),
        }
    }
    pub(crate) fn catalog(field: &str, reason: impl Into<String>) -> Self {
        CatalogError::Catalog {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

//! One error type for the store; messages say what happened and what to do next.

use std::path::PathBuf;

use rust_decimal::Decimal;

/// Everything the store can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),

    #[error(
        "the library holds {column} `{}`, which this build does not know (known: {}): it was \
         written by a newer Proofsheet, or changed by another program; update Proofsheet",
        .source.value, .source.known
    )]
    UnknownValue {
        /// The column, e.g. "attempts.provider".
        column: &'static str,
        source: vocab::UnknownValue,
    },

    #[error("could not bring the library schema up to date: {0}")]
    Migration(#[from] rusqlite_migration::Error),

    #[error(
        "the library at {path} was written by a newer Proofsheet (schema version {found}, this \
         build understands up to {supported}); update Proofsheet to open it"
    )]
    DatabaseTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error(
        "the library database {path} has schema version {found}, which no Proofsheet writes: \
         another program changed it or it is damaged; restore it from a backup, or move it \
         aside and Proofsheet starts a new library"
    )]
    BadSchemaVersion { path: PathBuf, found: i64 },

    #[error(
        "cannot upgrade the library database {path} from schema version {from} to {to}: \
         {reason}; the file does not match the version it records (another program changed \
         it); restore it from a backup, or move it aside and Proofsheet starts a new library"
    )]
    MigrationFailed {
        path: PathBuf,
        from: i64,
        to: i64,
        reason: String,
    },

    #[error(
        "the library database {path} is damaged ({detail}); nothing was reserved or spent. \
         Quit Proofsheet, restore {path} from a backup (or move it aside and Proofsheet starts \
         a new library), then try again"
    )]
    Damaged { path: PathBuf, detail: String },

    #[error("{0} is not a folder; the library needs a folder (it is created if missing)")]
    NotAFolder(PathBuf),

    #[error(
        "the library at {0} is read-only (its folder or database cannot be written): it can be \
         browsed but not changed; copy it to a writable folder to work with it"
    )]
    ReadOnly(PathBuf),

    #[error("file error at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "budget exceeded: ${remaining} left of ${budget} (spent ${spent}, reserved ${reserved}), \
         but this request needs ${needed}; raise the budget, pick a cheaper offer or switch the \
         budget to soft"
    )]
    BudgetExceeded {
        budget: Decimal,
        spent: Decimal,
        reserved: Decimal,
        remaining: Decimal,
        needed: Decimal,
    },

    #[error(
        "cannot charge ${charge} to generation {generation}: only ${reserved} is reserved and the \
         project's budget is hard"
    )]
    ChargeExceedsReservation {
        generation: String,
        reserved: Decimal,
        charge: Decimal,
    },

    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },

    #[error("a project named {0:?} already exists; pick another name")]
    ProjectExists(String),

    #[error("generation {id} cannot go from {from} to {to}")]
    InvalidTransition {
        id: String,
        from: String,
        to: String,
    },

    #[error("invalid amount {amount}: {reason}")]
    InvalidMoney {
        amount: Decimal,
        reason: &'static str,
    },

    #[error("invalid input: {0}")]
    InvalidInput(String),

    #[error("unsupported image: {0}")]
    UnsupportedImage(String),

    #[error("unexpected value in the library database: {0}")]
    Corrupt(String),

    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<rusqlite::Error> for StoreError {
    /// A closed-set column holding a value this build does not know arrives here from a
    /// row reader (`closed_col`) and keeps its own, classified variant.
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::FromSqlConversionFailure(_, _, inner) = &e
            && let Some(u) = inner.downcast_ref::<UnknownColumn>()
        {
            return StoreError::UnknownValue {
                column: u.column,
                source: u.source.clone(),
            };
        }
        StoreError::Sqlite(e)
    }
}

/// An unknown closed-set value inside a `rusqlite` row error, until `From` unwraps it.
#[derive(Debug)]
pub(crate) struct UnknownColumn {
    column: &'static str,
    source: vocab::UnknownValue,
}

impl std::fmt::Display for UnknownColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.column, self.source)
    }
}

impl std::error::Error for UnknownColumn {}

/// Reads a closed-set column (a provider id, …) by its exact wire name. A value this
/// build does not know is an error naming the column (`StoreError::UnknownValue`), never
/// a panic and never a silent default.
pub(crate) fn closed_col<T>(
    r: &rusqlite::Row<'_>,
    i: usize,
    column: &'static str,
) -> rusqlite::Result<T>
where
    T: std::str::FromStr<Err = vocab::UnknownValue>,
{
    let raw: String = r.get(i)?;
    raw.parse().map_err(|source| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            Box::new(UnknownColumn { column, source }),
        )
    })
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn not_found(what: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

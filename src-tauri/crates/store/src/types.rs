//! Small enums shared across tables, stored as TEXT.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// Row id of a project.
pub type ProjectId = i64;
/// Id of a generation (a v4 UUID, stored as TEXT).
pub type GenerationId = uuid::Uuid;

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::StoreError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(crate::StoreError::InvalidInput(
                        format!("unknown {} {other:?}", stringify!($name)))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let s = value.as_str()?;
                s.parse().map_err(|e: crate::StoreError| FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

text_enum!(
    /// Draft (cheap, exploratory) or final (premium) quality tier.
    Tier { Draft => "draft", Final => "final" }
);

text_enum!(
    /// Lifecycle of a generation.
    Status {
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        Cancelled => "cancelled",
        Reused => "reused",
    }
);

text_enum!(
    /// Over what period a budget's spend is counted.
    BudgetPeriod { Total => "total", Monthly => "monthly" }
);

text_enum!(
    /// Moderation level asked of providers that offer a choice.
    Moderation { Auto => "auto", Low => "low" }
);

impl Status {
    /// Terminal states never change again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Succeeded | Status::Failed | Status::Cancelled | Status::Reused
        )
    }

    /// Allowed transitions. `running -> queued` lets recovery requeue a job that never
    /// reached the provider.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Queued, Running | Failed | Cancelled)
                | (Running, Succeeded | Failed | Cancelled | Queued)
        )
    }
}

//! One macro for every closed set: the enum, its wire names, `ALL`, `as_str`,
//! `Display` and a forgiving `FromStr` (any case, surrounding space, `-` for `_`).

macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $what:literal, pub enum $name:ident {
            $( $(#[$vmeta:meta])* $var:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $var ),+
        }

        impl $name {
            /// Every member, in display order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The wire name (serde, SQLite, catalog JSON, CLI).
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$var => $wire),+ }
            }

            /// The member whose wire name is exactly `s`.
            pub fn from_wire(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$var),)+ _ => None }
            }

            /// Every wire name, comma-separated (for error messages).
            pub fn known() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
                Self::from_wire(&wanted).ok_or_else(|| $crate::UnknownValue {
                    set: $what,
                    value: s.trim().to_owned(),
                    known: Self::known(),
                })
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}

pub(crate) use closed_set;

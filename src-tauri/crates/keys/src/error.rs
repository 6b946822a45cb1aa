//! Errors, and the translation of keychain failures into a cause plus a remedy.

use crate::provider::Provider;

pub type Result<T, E = KeyError> = std::result::Result<T, E>;

/// Everything that can go wrong storing or reading a key. No variant ever carries the
/// secret itself, so these can be logged and shown as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The OS keychain cannot be used at all (no Secret Service, locked and not
    /// unlocked, access denied). Keys are then never written anywhere else.
    #[error("{cause}: {remedy}")]
    Unavailable { cause: String, remedy: String },

    #[error("unknown provider `{0}`; known providers: {known}", known = Provider::known())]
    UnknownProvider(String),

    #[error("invalid API key: {reason}")]
    InvalidSecret { reason: &'static str },

    #[error(
        "the keychain holds more than one item for {provider} under service {service}; \
         remove the duplicates in your keychain manager, then set the key again"
    )]
    Ambiguous { provider: String, service: String },

    /// Any other keychain failure; the message comes from the platform.
    #[error("keychain error: {message}")]
    Keychain { message: String },
}

impl KeyError {
    /// True when the keychain as a whole is not usable (as opposed to a bad input).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, KeyError::Unavailable { .. })
    }
}

/// The "or set the variable" half of every remedy.
fn env_hint(provider: Option<Provider>) -> String {
    match provider {
        Some(p) => format!("or set {} for this process", p.api_key_env_var()),
        None => "or set PROOFSHEET_<PROVIDER>_API_KEY for this process".to_owned(),
    }
}

pub(crate) fn unavailable(cause: &str, remedy: &str, provider: Option<Provider>) -> KeyError {
    KeyError::Unavailable {
        cause: cause.to_owned(),
        remedy: format!("{remedy}, {}", env_hint(provider)),
    }
}

/// Translates a keyring error (other than `NoEntry`, which callers handle) for the key
/// of `provider` (`None` for the index or a listing).
pub(crate) fn from_keyring(
    err: keyring_core::Error,
    service: &str,
    user: &str,
    provider: Option<Provider>,
) -> KeyError {
    use keyring_core::Error as E;
    match err {
        E::NoStorageAccess(inner) => {
            tracing::debug!(error = %inner, "keychain refused access");
            no_access(provider)
        }
        E::PlatformFailure(inner) => platform_failure(inner.as_ref(), provider),
        E::NoDefaultStore => unavailable(
            "no keychain backend is configured for this platform",
            "use Linux (Secret Service), macOS or Windows",
            provider,
        ),
        E::Ambiguous(_) => KeyError::Ambiguous {
            provider: user.to_owned(),
            service: service.to_owned(),
        },
        // The payload is the stored secret: never format it.
        E::BadEncoding(_) | E::BadDataFormat(..) => KeyError::Keychain {
            message: format!(
                "the item {user} under {service} is not valid text; delete it and set the key again"
            ),
        },
        other => KeyError::Keychain {
            message: other.to_string(),
        },
    }
}

/// Failures that happen before any entry exists (connecting to the store).
pub(crate) fn from_connect(err: keyring_core::Error, provider: Option<Provider>) -> KeyError {
    from_keyring(err, "", "", provider)
}

#[cfg(target_os = "linux")]
fn no_access(provider: Option<Provider>) -> KeyError {
    unavailable(
        "the Secret Service keyring is locked and was not unlocked \
         (the unlock prompt was dismissed or could not be shown)",
        "unlock your login keyring (e.g. in Passwords and Keys / Seahorse, or KeePassXC) and try again",
        provider,
    )
}

#[cfg(target_os = "macos")]
fn no_access(provider: Option<Provider>) -> KeyError {
    unavailable(
        "access to the macOS keychain was denied or the keychain is locked",
        "unlock the login keychain and allow Proofsheet when macOS asks",
        provider,
    )
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn no_access(provider: Option<Provider>) -> KeyError {
    unavailable(
        "access to the Windows Credential Manager was denied",
        "sign in to a normal user session (not a service account) and try again",
        provider,
    )
}

/// What went wrong reaching the Secret Service, from the errors of secret-service/zbus.
#[cfg(target_os = "linux")]
enum LinuxCause {
    NoBus,
    NoService,
    Locked,
    Other,
}

#[cfg(target_os = "linux")]
fn linux_cause(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> LinuxCause {
    use secret_service::Error as S;
    const SERVICE_UNKNOWN: &str = "org.freedesktop.DBus.Error.ServiceUnknown";
    let from_zbus = |z: &zbus::Error| match z {
        zbus::Error::Address(_)
        | zbus::Error::Connection(..)
        | zbus::Error::InputOutput(_)
        | zbus::Error::Handshake(_) => LinuxCause::NoBus,
        zbus::Error::MethodError(name, ..) if name.as_str() == SERVICE_UNKNOWN => {
            LinuxCause::NoService
        }
        zbus::Error::FDO(fdo) if matches!(**fdo, zbus::fdo::Error::ServiceUnknown(_)) => {
            LinuxCause::NoService
        }
        _ => LinuxCause::Other,
    };
    match inner.downcast_ref::<S>() {
        Some(S::Unavailable) => LinuxCause::NoBus,
        Some(S::Locked | S::Prompt | S::PromptDisconnected | S::NoResult) => LinuxCause::Locked,
        Some(S::Zbus(z)) => from_zbus(z),
        Some(S::ZbusFdo(zbus::fdo::Error::ServiceUnknown(_))) => LinuxCause::NoService,
        _ if inner.to_string().contains("ServiceUnknown") => LinuxCause::NoService,
        _ => LinuxCause::Other,
    }
}

#[cfg(target_os = "linux")]
fn platform_failure(
    inner: &(dyn std::error::Error + Send + Sync + 'static),
    provider: Option<Provider>,
) -> KeyError {
    match linux_cause(inner) {
        LinuxCause::NoBus => unavailable(
            "no D-Bus session bus or Secret Service found",
            "run Proofsheet in a desktop session with gnome-keyring or KeePassXC \
             (with Secret Service integration) running",
            provider,
        ),
        LinuxCause::NoService => unavailable(
            "no Secret Service found on the session bus",
            "install and start gnome-keyring or KeePassXC (with Secret Service integration)",
            provider,
        ),
        LinuxCause::Locked => no_access(provider),
        LinuxCause::Other => KeyError::Keychain {
            message: inner.to_string(),
        },
    }
}

#[cfg(not(target_os = "linux"))]
fn platform_failure(
    inner: &(dyn std::error::Error + Send + Sync + 'static),
    _provider: Option<Provider>,
) -> KeyError {
    KeyError::Keychain {
        message: inner.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-proofsheet-LEAKCHECK-0123456789";

    #[test]
    fn errors_carrying_secret_bytes_never_print_them() {
        let errors = [
            keyring_core::Error::BadEncoding(KEY.as_bytes().to_vec()),
            keyring_core::Error::BadDataFormat(
                KEY.as_bytes().to_vec(),
                Box::new(std::io::Error::other("bad data")),
            ),
        ];
        for err in errors {
            let mapped = from_keyring(err, "com.proofsheet.test", "openai", Some(Provider::OpenAi));
            let shown = format!("{mapped} {mapped:?}");
            assert!(!shown.contains(KEY), "{shown}");
            assert!(shown.contains("delete it and set the key again"), "{shown}");
        }
    }

    #[test]
    fn locked_keychain_names_cause_and_both_remedies() {
        let err = from_keyring(
            keyring_core::Error::NoStorageAccess(Box::new(std::io::Error::other("locked"))),
            "com.proofsheet.test",
            "fal",
            Some(Provider::Fal),
        );
        assert!(err.is_unavailable());
        let shown = err.to_string();
        assert!(shown.contains("PROOFSHEET_FAL_API_KEY"), "{shown}");
        #[cfg(target_os = "linux")]
        assert!(shown.contains("unlock your login keyring"), "{shown}");
    }
}

//! Provider API keys in the OS keychain, behind a redacting Secret newtype.

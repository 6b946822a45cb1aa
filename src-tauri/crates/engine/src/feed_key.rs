//! Detached ed25519 signatures over the exact bytes of a catalog file.
//!
//! - Signature file (`catalog.json.sig`): the 64-byte signature in standard base64, one
//!   line.
//! - Private key file (for `proofsheet-cli catalog sign`, never in the repository):
//!   PKCS#8 PEM as `openssl genpkey -algorithm ed25519` writes it, or the 32-byte seed
//!   as 64 hex digits.
//! - Public key: 32 bytes as 64 hex digits (built into the app, see [`FeedKey`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::error::{EngineError, Result};

/// The public half of the project's catalog signing key (ed25519, hex). The private
/// half is kept offline by whoever publishes the feed.
pub const FEED_PUBLIC_KEY_HEX: &str =
    "8b057651e3edc338bb0730ea2a8643ccee158fa1417c5b6a64c7c6f977acc72e";

/// DER prefix of an ed25519 PKCS#8 v1 private key (RFC 8410): the 32-byte seed follows.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// A public key catalogs are verified with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FeedKey(VerifyingKey);

impl std::fmt::Debug for FeedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FeedKey({})", self.to_hex())
    }
}

impl FeedKey {
    /// The key built into this app: every feed catalog must be signed with its private half.
    pub fn builtin() -> FeedKey {
        // Checked by `builtin_key_parses`; a bad constant would fail every test.
        FeedKey::from_hex(FEED_PUBLIC_KEY_HEX).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A public key as 64 hex digits.
    pub fn from_hex(text: &str) -> Result<FeedKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| bad_public_key())?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| bad_public_key())?;
        VerifyingKey::from_bytes(&arr)
            .map(FeedKey)
            .map_err(|_| bad_public_key())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// Checks `sig_text` (a signature file's content) against `body`.
    pub fn verify(&self, body: &[u8], sig_text: &str) -> Result<()> {
        let sig = parse_signature(sig_text)?;
        self.0.verify(body, &sig).map_err(|_| {
            EngineError::validation(
                "catalog refused: its signature does not match. The file was changed after \
                 it was signed, or it was not signed with the key this app trusts. Nothing \
                 was changed; check the feed URL in Settings → Catalog.",
            )
        })
    }
}

fn bad_public_key() -> EngineError {
    EngineError::validation("a catalog public key is 64 hex digits (32 bytes of ed25519)")
}

fn parse_signature(text: &str) -> Result<Signature> {
    let bad = || {
        EngineError::validation(
            "catalog refused: its signature file is not an ed25519 signature (expected 64 \
             bytes in base64). Nothing was changed.",
        )
    };
    let bytes = B64.decode(text.trim()).map_err(|_| bad())?;
    let arr: [u8; 64] = bytes.try_into().map_err(|_| bad())?;
    Ok(Signature::from_bytes(&arr))
}

/// A signing key read from a private key file's text (PKCS#8 PEM or a hex seed).
pub struct PrivateKey(SigningKey);

impl PrivateKey {
    pub fn parse(text: &str) -> Result<PrivateKey> {
        let bad = |why: &str| {
            EngineError::validation(format!(
                "not an ed25519 private key ({why}); expected the PEM file of `openssl genpkey \
                 -algorithm ed25519` or 64 hex digits"
            ))
        };
        let t = text.trim();
        let seed: [u8; 32] = if let Some(rest) = t.strip_prefix(PEM_BEGIN) {
            let body = rest
                .strip_suffix(PEM_END)
                .ok_or_else(|| bad("no END line"))?;
            let der: String = body.split_whitespace().collect();
            let der = B64.decode(der).map_err(|_| bad("bad base64"))?;
            match der.strip_prefix(&PKCS8_PREFIX[..]) {
                Some(seed) => seed.try_into().map_err(|_| bad("wrong length"))?,
                None => return Err(bad("not an ed25519 PKCS#8 key")),
            }
        } else {
            let bytes = hex::decode(t).map_err(|_| bad("neither PEM nor hex"))?;
            bytes.try_into().map_err(|_| bad("not 32 bytes"))?
        };
        Ok(PrivateKey(SigningKey::from_bytes(&seed)))
    }

    /// A new random key (the operating system's randomness through `rand`).
    pub fn generate() -> PrivateKey {
        PrivateKey::from_seed(rand::random())
    }

    /// A key from 32 random bytes (the caller supplies them).
    pub fn from_seed(seed: [u8; 32]) -> PrivateKey {
        PrivateKey(SigningKey::from_bytes(&seed))
    }

    /// The key as a PKCS#8 PEM file (what `openssl genpkey -algorithm ed25519` writes).
    pub fn to_pem(&self) -> String {
        let mut der = PKCS8_PREFIX.to_vec();
        der.extend_from_slice(self.0.as_bytes());
        format!("{PEM_BEGIN}\n{}\n{PEM_END}\n", B64.encode(der))
    }

    pub fn public(&self) -> FeedKey {
        FeedKey(self.0.verifying_key())
    }

    /// The detached signature of `body`, as a signature file's content (base64, newline).
    pub fn sign(&self, body: &[u8]) -> String {
        format!("{}\n", B64.encode(self.0.sign(body).to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_key_parses() {
        assert_eq!(FeedKey::builtin().to_hex(), super::FEED_PUBLIC_KEY_HEX);
    }

    #[test]
    fn pem_round_trips_and_signs() {
        let k = PrivateKey::from_seed([7; 32]);
        let again = PrivateKey::parse(&k.to_pem()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.public(), k.public());
        let hex_key = PrivateKey::parse(&hex::encode([7u8; 32])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hex_key.public(), k.public());
        let sig = k.sign(b"body");
        assert!(k.public().verify(b"body", &sig).is_ok());
        assert!(k.public().verify(b"bodY", &sig).is_err());
        assert!(k.public().verify(b"body", "not base64!").is_err());
    }
}

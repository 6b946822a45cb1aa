//! Image bytes as they cross IPC from the window (a paste, a drop). `Vec<u8>` would
//! cross as a JSON array of numbers, about 3.6 characters a byte and slow to build and
//! parse (a 4 MB PNG became ~14 MB of JSON); base64 is 4/3 of the bytes, one string
//! that serde hands over without looking inside.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use engine::MAX_INPUT_BYTES;
use serde::Deserialize;

use crate::error::{AppError, AppErrorKind};

/// An image file's bytes, standard base64 (RFC 4648 alphabet, padded), no `data:` prefix.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(transparent)]
pub struct ImageBase64(pub String);

impl ImageBase64 {
    /// The bytes, or a validation error saying what to do; an over-size image is
    /// refused before it is decoded.
    pub fn decode(&self) -> Result<Vec<u8>, AppError> {
        let text = self.0.trim();
        if text.is_empty() {
            return Err(invalid("the image is empty; paste or drop an image file"));
        }
        // Four characters carry three bytes.
        let max_chars = MAX_INPUT_BYTES.div_ceil(3) * 4;
        if text.len() > max_chars {
            let mb = (text.len() / 4 * 3) as f64 / 1_048_576.0;
            return Err(invalid(format!(
                "the image is {mb:.1} MB; the limit is {} MB — export it smaller",
                MAX_INPUT_BYTES / 1_048_576
            )));
        }
        STANDARD.decode(text).map_err(|_| {
            invalid(
                "the image did not arrive whole (its data is not base64); paste or drop it again",
            )
        })
    }
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(AppErrorKind::Validation, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_standard_base64() {
        let b = ImageBase64(STANDARD.encode([0x89, b'P', b'N', b'G', 0, 255]));
        assert_eq!(
            b.decode().expect("decodes"),
            vec![0x89, b'P', b'N', b'G', 0, 255]
        );
    }

    #[test]
    fn refuses_empty_garbled_and_over_size_data_as_validation() {
        for (text, says) in [
            (String::new(), "empty"),
            ("not base64!".to_owned(), "not base64"),
            (
                "A".repeat(MAX_INPUT_BYTES.div_ceil(3) * 4 + 4),
                "the limit is 50 MB",
            ),
        ] {
            let e = ImageBase64(text).decode().expect_err("refused");
            assert_eq!(e.kind, AppErrorKind::Validation);
            assert!(e.message.contains(says), "{}", e.message);
        }
    }
}

//! Base64url without padding: the one text encoding of keys, signatures and tokens.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

/// Unpadded base64url of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Bytes of unpadded base64url text.
///
/// Canonical only: the engine refuses padding and non-zero spare bits, so
/// every byte string has exactly one accepted text.
///
/// # Errors
/// The decoder's error for any other text.
pub fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(text)
}

/// Decodes exactly `N` bytes, naming `what` in the error.
pub(crate) fn decode_array<const N: usize>(
    text: &str,
    what: &'static str,
) -> Result<[u8; N], crate::Error> {
    let bytes = decode(text).map_err(|reason| crate::Error::KeyEncoding { what, reason })?;
    let actual = bytes.len();
    bytes.try_into().map_err(|_| crate::Error::KeyLength {
        what,
        expected: N,
        actual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_padding_and_spare_bits() {
        assert_eq!(decode("AA").unwrap_or_default(), vec![0]);
        assert!(decode("AA==").is_err(), "padding");
        assert!(decode("AB").is_err(), "non-zero spare bits");
        assert!(decode("A+").is_err(), "standard alphabet");
        assert!(decode("AA\n").is_err(), "whitespace");
    }
}

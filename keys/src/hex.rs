//! Lowercase hexadecimal, the one way ids are written.

/// Lowercase hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of lowercase hex text; `None` for odd length, uppercase or non-hex.
pub fn decode_lower(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_uppercase() {
        assert_eq!(
            decode_lower(&encode(&[0, 0xab, 0xff])),
            Some(vec![0, 0xab, 0xff])
        );
        assert_eq!(decode_lower("AB"), None);
        assert_eq!(decode_lower("abc"), None);
        assert_eq!(decode_lower("zz"), None);
    }
}

//! One-time codes from an authenticator app (TOTP, RFC 6238): HMAC-SHA1 over
//! 30-second steps, six digits, the form every authenticator app reads from
//! an `otpauth://` address.

use hmac::{Hmac, Mac as _};
use subtle::ConstantTimeEq as _;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;

/// Digits per code.
pub const DIGITS: u32 = 6;

/// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// The step that `unix_seconds` falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The code of `secret` for `step`, with `digits` digits (RFC 4226 section 5.3).
pub fn code(secret: &[u8], step: i64, digits: u32) -> String {
    let mut mac = <Hmac<sha1::Sha1>>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let word = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    let width = digits as usize;
    format!("{:0width$}", word % 10u32.pow(digits))
}

/// The step whose code `given` is, among the step of `unix_seconds` and one
/// either side (a phone's clock drifts, and a person types slowly). The
/// caller refuses a step already used, so that each code works once.
pub fn matching_step(secret: &[u8], given: &str, unix_seconds: i64) -> Option<i64> {
    let given: String = given.chars().filter(|c| !c.is_whitespace()).collect();
    if given.len() != DIGITS as usize || !given.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_seconds);
    (now - 1..=now + 1).find(|&step| {
        bool::from(
            code(secret, step, DIGITS)
                .as_bytes()
                .ct_eq(given.as_bytes()),
        )
    })
}

/// `bytes` in base32 (RFC 4648, no padding), as authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut text = String::new();
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..symbols {
            let index = (bits >> (35 - 5 * i)) & 0x1f;
            text.push(char::from(ALPHABET[index as usize]));
        }
    }
    text
}

/// The `otpauth://` address that an authenticator app reads from a QR code.
pub fn otpauth_url(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label = format!("{issuer}:{account}");
    format!(
        "otpauth://totp/{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent(&label),
        base32(secret),
        percent(issuer)
    )
}

/// Percent-encodes all but the unreserved characters of RFC 3986.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, the SHA-1 rows.
    #[test]
    fn the_rfc_test_vectors_give_their_codes() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code(secret, step_at(time), 8), expected, "at {time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side_only() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        let step = step_at(now);
        for delta in -1..=1 {
            let given = code(secret, step + delta, DIGITS);
            assert_eq!(matching_step(secret, &given, now), Some(step + delta));
        }
        for delta in [-3, -2, 2, 3] {
            let given = code(secret, step + delta, DIGITS);
            if (-1..=1).all(|d| code(secret, step + d, DIGITS) != given) {
                assert_eq!(matching_step(secret, &given, now), None);
            }
        }
        let spaced = code(secret, step, DIGITS);
        let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
        assert_eq!(matching_step(secret, &spaced, now), Some(step));
        for bad in ["", "12345", "1234567", "abcdef", "１２３４５６"] {
            assert_eq!(matching_step(secret, bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn the_otpauth_address_names_the_issuer_and_account() {
        let url = otpauth_url("HK Health Code", "chan tai man", b"12345678901234567890");
        assert_eq!(
            url,
            "otpauth://totp/HK%20Health%20Code%3Achan%20tai%20man?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=HK%20Health%20Code&algorithm=SHA1&digits=6&period=30"
        );
    }
}

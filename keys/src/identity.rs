//! Identity documents and the keyed binding that ties a code to its holder.
//!
//! A token never carries a plain hash of an ID number: an HKID has fewer than
//! 10^9 values, so any unkeyed (even salted) hash is reversed in seconds from a
//! QR screenshot. The binding is an HMAC under an identity key that only the
//! issuer and checkpoint verifiers hold, over the token id and the normalised
//! document, so two tokens of one person cannot be linked without that key.

use std::{fmt, str::FromStr};

use hmac::{Hmac, Mac};
use rand::{CryptoRng, RngCore};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{Error, TokenId};

/// An identity document: type and number, normalised.
///
/// The normalised text is `TYPE:NUMBER`, upper-cased, spaces and brackets
/// removed, check digit included: `HKID:A1234563`. `Debug` hides the number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdDocument {
    normalised: String,
}

/// The types of identity document the system knows.
const DOCUMENT_TYPES: &[&str] = &["HKID", "MOID", "PERMIT", "PASSPORT"];

impl IdDocument {
    /// `TYPE:NUMBER`, normalised; personal data, never to be logged.
    pub fn normalised(&self) -> &str {
        &self.normalised
    }

    /// The document type, e.g. `HKID` or `PASSPORT-GBR`.
    pub fn doc_type(&self) -> &str {
        self.normalised.split_once(':').map_or("", |(t, _)| t)
    }

    /// The type and the number with all but its first two and last
    /// characters hidden, `HKID A1*****3`: enough for its holder to
    /// recognise it on a screen, not enough to use it.
    pub fn masked(&self) -> String {
        let number = self.normalised.split_once(':').map_or("", |(_, n)| n);
        let chars: Vec<char> = number.chars().collect();
        let shown = |i: usize| i < 2 || i + 1 == chars.len();
        let masked: String = chars
            .iter()
            .enumerate()
            .map(|(i, c)| if shown(i) { *c } else { '*' })
            .collect();
        format!("{} {masked}", self.doc_type())
    }

    /// True for a Hong Kong identity card.
    pub fn is_hkid(&self) -> bool {
        self.doc_type() == "HKID"
    }
}

impl FromStr for IdDocument {
    type Err = Error;

    /// Parses `TYPE:NUMBER`: `HKID:A123456(3)`, `PASSPORT-GBR:123456789`,
    /// `PERMIT:H12345678`, `MOID:1234567(8)`.
    fn from_str(input: &str) -> Result<Self, Error> {
        let invalid = |problem| Error::InvalidIdDocument {
            input: input.to_owned(),
            problem,
        };
        if input.len() > MAX_DOCUMENT_LEN {
            return Err(invalid(DocumentProblem::TooLong));
        }
        let (doc_type, number) = input
            .split_once(':')
            .ok_or_else(|| invalid(DocumentProblem::NoType))?;
        let doc_type = doc_type.trim().to_ascii_uppercase();
        let number: String = number
            .chars()
            .filter(|c| !matches!(c, ' ' | '(' | ')' | '[' | ']'))
            .collect::<String>()
            .to_ascii_uppercase();
        if !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid(DocumentProblem::NotAlphanumeric));
        }
        check_type(&doc_type).map_err(invalid)?;
        if doc_type == "HKID" {
            check_hkid(&number).map_err(|e| match e {
                HkidProblem::Shape(problem) => invalid(problem),
                HkidProblem::CheckDigit(expected) => Error::HkidCheckDigit { expected },
            })?;
        } else if !(5..=20).contains(&number.len()) {
            return Err(invalid(DocumentProblem::NumberLength));
        }
        Ok(IdDocument {
            normalised: format!("{doc_type}:{number}"),
        })
    }
}

impl fmt::Debug for IdDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdDocument({}:<redacted>)", self.doc_type())
    }
}

/// The longest `TYPE:NUMBER` text accepted, checked before anything else is.
pub const MAX_DOCUMENT_LEN: usize = 64;

/// What is wrong with an ID document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentProblem {
    /// Longer than [`MAX_DOCUMENT_LEN`].
    #[error("longer than 64 characters")]
    TooLong,
    /// No `:` between type and number.
    #[error("expected TYPE:NUMBER, e.g. HKID:A1234563")]
    NoType,
    /// A number with other characters than letters and digits.
    #[error("the number may hold only letters and digits")]
    NotAlphanumeric,
    /// A passport without a three-letter country.
    #[error("a passport is PASSPORT-<ISO 3166 alpha-3 country>, e.g. PASSPORT-GBR")]
    PassportCountry,
    /// A passport whose three letters are no country's code.
    #[error(
        "{} is not an ISO 3166-1 alpha-3 country code (e.g. GBR, PHL, USA)",
        String::from_utf8_lossy(code)
    )]
    UnknownCountry {
        /// The three letters given.
        code: [u8; 3],
    },
    /// A type this system does not know.
    #[error("unknown document type; known: HKID, MOID, PERMIT, PASSPORT-<country>")]
    UnknownType,
    /// An HKID that is not 1 or 2 letters, 6 digits and a check digit.
    #[error("an HKID is 1 or 2 letters, 6 digits and a check digit, e.g. A123456(3)")]
    HkidShape,
    /// An HKID whose letters are not followed by 6 digits.
    #[error("an HKID has 6 digits after its letters")]
    HkidDigits,
    /// Another document whose number is too short or too long.
    #[error("the number must have 5 to 20 letters and digits")]
    NumberLength,
}

fn check_type(doc_type: &str) -> Result<(), DocumentProblem> {
    if DOCUMENT_TYPES.contains(&doc_type) && doc_type != "PASSPORT" {
        return Ok(());
    }
    match doc_type.strip_prefix("PASSPORT-") {
        Some(country) if country.len() == 3 && country.bytes().all(|b| b.is_ascii_uppercase()) => {
            if crate::countries::is_passport_country(country) {
                Ok(())
            } else {
                let mut code = [0; 3];
                code.copy_from_slice(country.as_bytes());
                Err(DocumentProblem::UnknownCountry { code })
            }
        }
        Some(_) | None if doc_type.starts_with("PASSPORT") => Err(DocumentProblem::PassportCountry),
        _ => Err(DocumentProblem::UnknownType),
    }
}

enum HkidProblem {
    Shape(DocumentProblem),
    CheckDigit(char),
}

/// An HKID is one or two letters, six digits and a check digit (0-9 or A),
/// where the weighted sum of all characters is divisible by 11 (a single
/// leading letter counts as a space worth 36).
fn check_hkid(number: &str) -> Result<(), HkidProblem> {
    let bytes = number.as_bytes();
    let letters = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if !(1..=2).contains(&letters) || bytes.len() != letters + 7 {
        return Err(HkidProblem::Shape(DocumentProblem::HkidShape));
    }
    let (body, check) = bytes.split_at(bytes.len() - 1);
    if !body[letters..].iter().all(u8::is_ascii_digit) {
        return Err(HkidProblem::Shape(DocumentProblem::HkidDigits));
    }
    // The shape is checked above, so the body has a check digit.
    let expected = hkid_check_digit(&number[..number.len() - 1]).unwrap_or('?');
    if char::from(check[0]) == expected {
        Ok(())
    } else {
        Err(HkidProblem::CheckDigit(expected))
    }
}

/// The check digit (`0` to `9` or `A`) of an HKID's letters and six digits:
/// `A123456` gives `'3'`. The weighted sum of all characters, check digit
/// included, is divisible by 11; a single leading letter counts as a space
/// worth 36. `None` unless `body` is 1 or 2 upper-case letters and 6 digits.
pub fn hkid_check_digit(body: &str) -> Option<char> {
    let bytes = body.as_bytes();
    let letters = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let shaped = (1..=2).contains(&letters)
        && bytes.len() == letters + 6
        && bytes[letters..].iter().all(u8::is_ascii_digit);
    if !shaped {
        return None;
    }
    let value = |b: u8| match b {
        b'A'..=b'Z' => u32::from(b - b'A') + 10,
        _ => u32::from(b - b'0'),
    };
    let padded = std::iter::repeat_n(36, 2 - letters).chain(bytes.iter().map(|&b| value(b)));
    let sum: u32 = padded.zip((2..=9).rev()).map(|(v, w)| v * w).sum();
    Some(match (11 - sum % 11) % 11 {
        10 => 'A',
        d => char::from(b'0' + d as u8),
    })
}

/// The issuer's identity key: an HMAC key that only the issuer and the
/// checkpoint verifiers hold. Zeroised on drop (every clone too); `Debug` is redacted.
#[derive(Clone)]
pub struct IdentityKey(Zeroizing<[u8; 32]>);

impl IdentityKey {
    /// A new random key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        IdentityKey(key)
    }

    /// The key from its bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        IdentityKey(Zeroizing::new(*bytes))
    }

    /// The key's bytes, in a buffer zeroised on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.0.clone()
    }

    /// The binding of `document` to the token `token_id`:
    /// `HMAC-SHA256(key, "HKHC/identity/v1" || token_id || normalised document)`
    /// truncated to 16 bytes.
    pub fn bind(&self, token_id: &TokenId, document: &IdDocument) -> IdentityBinding {
        // HMAC takes a key of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(b"HKHC/identity/v1");
        mac.update(&token_id.to_bytes());
        mac.update(document.normalised().as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut binding = [0u8; IdentityBinding::LEN];
        binding.copy_from_slice(&tag[..IdentityBinding::LEN]);
        IdentityBinding(binding)
    }
}

impl fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityKey(<redacted>)")
    }
}

/// The 16-byte keyed binding carried in a token. Compared in constant time.
#[derive(Clone, Copy, Debug)]
pub struct IdentityBinding([u8; IdentityBinding::LEN]);

impl IdentityBinding {
    /// Bytes in a binding.
    pub const LEN: usize = 16;

    /// The binding from its bytes.
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        IdentityBinding(bytes)
    }

    /// The binding's bytes.
    pub fn to_bytes(self) -> [u8; Self::LEN] {
        self.0
    }
}

impl PartialEq for IdentityBinding {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for IdentityBinding {}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Result<IdDocument, Error> {
        text.parse()
    }

    #[test]
    fn a_masked_document_shows_its_type_and_three_characters() -> Result<(), Error> {
        assert_eq!(doc("HKID:A123456(3)")?.masked(), "HKID A1*****3");
        assert_eq!(
            doc("PASSPORT-GBR:123456789")?.masked(),
            "PASSPORT-GBR 12******9"
        );
        Ok(())
    }

    #[test]
    fn hkid_normalises_and_checks_the_digit() {
        for text in ["HKID:A1234563", "hkid:a123456(3)", "HKID: A 123456 (3)"] {
            assert_eq!(
                doc(text).map(|d| d.normalised().to_owned()).ok().as_deref(),
                Some("HKID:A1234563")
            );
        }
        // Two-letter prefix, an 'A' check digit and a '0' one.
        assert!(doc("HKID:AB9876543").is_ok());
        assert!(doc("HKID:K100008A").is_ok());
        assert!(doc("HKID:K100008(a)").is_ok());
        assert!(doc("HKID:K1000020").is_ok());
        assert!(matches!(
            doc("HKID:A1234564"),
            Err(Error::HkidCheckDigit { expected: '3' })
        ));
        assert!(matches!(
            doc("HKID:A12345"),
            Err(Error::InvalidIdDocument { .. })
        ));
        assert!(matches!(
            doc("HKID:1234567"),
            Err(Error::InvalidIdDocument { .. })
        ));
        assert!(matches!(
            doc("HKID:ABC1234567"),
            Err(Error::InvalidIdDocument { .. })
        ));
    }

    #[test]
    fn exactly_one_check_digit_fits() {
        let found: Vec<String> = "0123456789A"
            .chars()
            .map(|c| format!("HKID:G123456{c}"))
            .filter(|t| doc(t).is_ok())
            .collect();
        assert_eq!(
            found.len(),
            1,
            "exactly one check digit is right: {found:?}"
        );
    }

    #[test]
    fn other_documents() {
        assert_eq!(
            doc("passport-gbr:123 456 789")
                .map(|d| d.normalised().to_owned())
                .ok()
                .as_deref(),
            Some("PASSPORT-GBR:123456789")
        );
        assert!(doc("PASSPORT:123456789").is_err(), "country required");
        assert!(doc("DRIVING:12345678").is_err(), "unknown type");
        assert!(doc("PERMIT:H123").is_err(), "too short");
        assert!(doc("PERMIT:H12345678!").is_err(), "punctuation");
        assert!(doc("A1234563").is_err(), "no type");
    }

    #[test]
    fn debug_hides_the_number() {
        let text = format!("{:?}", doc("HKID:A1234563").ok());
        assert!(!text.contains("1234563"), "{text}");
    }

    #[test]
    fn binding_depends_on_token_document_and_key() {
        let key = IdentityKey::from_bytes(&[1; 32]);
        let other_key = IdentityKey::from_bytes(&[2; 32]);
        let (a, b) = (TokenId::from_bytes([1; 12]), TokenId::from_bytes([2; 12]));
        let alice = doc("HKID:A1234563").unwrap_or_else(|e| panic!("{e}"));
        let bob = doc("PERMIT:H12345678").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.bind(&a, &alice), key.bind(&a, &alice));
        assert_ne!(
            key.bind(&a, &alice),
            key.bind(&b, &alice),
            "unlinkable across tokens"
        );
        assert_ne!(key.bind(&a, &alice), key.bind(&a, &bob));
        assert_ne!(key.bind(&a, &alice), other_key.bind(&a, &alice));
    }
}

//! The signed code token: fixed binary layout, canonical text form, typestate verification.
//!
//! Layout of format versions 1 and 2 (107 bytes; all integers big-endian):
//!
//! | offset | bytes | field |
//! | --- | --- | --- |
//! | 0 | 1 | format version, `1` or `2` |
//! | 1 | 1 | issuer region: 1 HK, 2 GD, 3 MO |
//! | 2 | 4 | key id |
//! | 6 | 12 | token id (random; the revocation handle) |
//! | 18 | 1 | colour: 1 green, 2 amber, 3 red |
//! | 19 | 16 | identity binding |
//! | 35 | 4 | issued-at, seconds since 1970-01-01T00:00:00Z |
//! | 39 | 4 | valid-until, seconds since 1970-01-01T00:00:00Z |
//! | 43 | 64 | Ed25519 signature over [`signing_message`] of bytes 0..43 |
//!
//! Text form: `HC1:` or `HC2:` (the version again) then the 107 bytes in
//! unpadded base64url (147 characters). The algorithms are fixed by the
//! version, never read from the token. The versions differ only in the
//! identity binding (see [`crate::presented`], which checks it) and the signing domain.

use std::fmt;

use rand::{CryptoRng, RngCore};
use time::OffsetDateTime;

use crate::{
    Colour, Error, IdentityBinding, IssuerSecretKey, KeyId, Region, TrustList, b64, hex,
    hktime::{CLOCK_SKEW, from_u32_seconds, to_u32_seconds},
};

/// A token format version. The layout is the same in both; what differs is
/// the identity binding (see [`crate::identity`] for version 1 and
/// [`crate::day_key`] for version 2) and the signing domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenVersion {
    /// HMAC binding under one identity key: verified, no longer issued.
    V1,
    /// Argon2id binding of number and date of issue under a key per Hong Kong day.
    V2,
}

impl TokenVersion {
    /// The version an issuer writes.
    pub const CURRENT: TokenVersion = TokenVersion::V2;
    /// Every version a verifier reads.
    pub const ALL: [TokenVersion; 2] = [TokenVersion::V1, TokenVersion::V2];

    /// The first byte of the payload.
    pub fn to_byte(self) -> u8 {
        match self {
            TokenVersion::V1 => 1,
            TokenVersion::V2 => 2,
        }
    }

    /// The version of a payload's first byte.
    ///
    /// # Errors
    /// [`Error::UnknownVersion`].
    pub fn from_byte(version: u8) -> Result<Self, Error> {
        match version {
            1 => Ok(TokenVersion::V1),
            2 => Ok(TokenVersion::V2),
            _ => Err(Error::UnknownVersion { version }),
        }
    }

    /// The text prefix: `HC1:` or `HC2:`.
    pub fn prefix(self) -> &'static str {
        match self {
            TokenVersion::V1 => "HC1:",
            TokenVersion::V2 => "HC2:",
        }
    }

    /// Domain separation tag of the signed message.
    pub fn signing_domain(self) -> &'static [u8] {
        match self {
            TokenVersion::V1 => b"HKHC/token/v1",
            TokenVersion::V2 => b"HKHC/token/v2",
        }
    }
}

/// Characters of every version's text prefix (`HC<digit>:`).
pub const PREFIX_LEN: usize = 4;
/// Bytes of the signed payload.
pub const PAYLOAD_LEN: usize = 43;
/// Bytes of a whole token (payload and signature).
pub const TOKEN_LEN: usize = PAYLOAD_LEN + 64;
/// Characters of a token's text form.
pub const TEXT_LEN: usize = PREFIX_LEN + (TOKEN_LEN * 8).div_ceil(6);
/// The longest text [`UnverifiedToken::parse`] decodes: twice a token's,
/// room for every future version, refused unread beyond.
pub const MAX_TEXT_LEN: usize = PREFIX_LEN + TEXT_LEN * 2;

/// A token's random id, the handle by which it is revoked.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId([u8; TokenId::LEN]);

impl TokenId {
    /// Bytes in a token id.
    pub const LEN: usize = 12;

    /// A new random token id.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut id = [0u8; Self::LEN];
        rng.fill_bytes(&mut id);
        TokenId(id)
    }

    /// The id from its bytes.
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        TokenId(bytes)
    }

    /// The id's bytes.
    pub fn to_bytes(self) -> [u8; Self::LEN] {
        self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({self})")
    }
}

impl std::str::FromStr for TokenId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidTokenId {
            input: s.to_owned(),
        };
        let bytes = hex::decode_lower(s).ok_or_else(invalid)?;
        bytes.try_into().map(TokenId).map_err(|_| invalid())
    }
}

impl serde::Serialize for TokenId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What an issuer decides about a code; the key supplies region and key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The format version, which says how `identity` was made.
    pub version: TokenVersion,
    /// The revocation handle.
    pub token_id: TokenId,
    /// The colour.
    pub colour: Colour,
    /// The keyed binding to the holder's ID document.
    pub identity: IdentityBinding,
    /// When the code was issued (whole seconds).
    pub issued_at: OffsetDateTime,
    /// The last second the code is valid.
    pub valid_until: OffsetDateTime,
}

/// A token whose syntax is checked but whose signature and validity are not.
#[derive(Debug, Clone)]
pub struct UnverifiedToken {
    region: Region,
    kid: KeyId,
    claims: Claims,
    payload: [u8; PAYLOAD_LEN],
    signature: [u8; 64],
}

/// A token that passed [`UnverifiedToken::verify`]; no other way makes one.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    region: Region,
    kid: KeyId,
    claims: Claims,
    specimen: bool,
}

/// The bytes an issuer signs: the version's domain tag and the payload, each
/// prefixed by its length (tag: 1 byte; payload: 2 bytes big-endian).
pub fn signing_message(version: TokenVersion, payload: &[u8; PAYLOAD_LEN]) -> Vec<u8> {
    let domain = version.signing_domain();
    let mut message = Vec::with_capacity(3 + domain.len() + PAYLOAD_LEN);
    message.push(domain.len() as u8);
    message.extend_from_slice(domain);
    message.extend_from_slice(&(PAYLOAD_LEN as u16).to_be_bytes());
    message.extend_from_slice(payload);
    message
}

/// Signs `claims` with `key`.
///
/// # Errors
/// [`Error::TimeOutOfRange`] for times outside the 32-bit field, and
/// [`Error::ValidUntilBeforeIssuedAt`].
pub fn sign(key: &IssuerSecretKey, claims: &Claims) -> Result<UnverifiedToken, Error> {
    let payload = encode_payload(key.region(), key.kid(), claims)?;
    let signature = key
        .secret()
        .sign(&signing_message(claims.version, &payload));
    UnverifiedToken::from_bytes(&[&payload[..], &signature[..]].concat())
}

/// Signs payload bytes as they are, under `version`'s domain, without
/// checking them: only for making negative test vectors (a well-signed token
/// with a bad field).
pub fn insecure_sign_payload(
    key: &IssuerSecretKey,
    version: TokenVersion,
    payload: &[u8; PAYLOAD_LEN],
) -> [u8; TOKEN_LEN] {
    let mut token = [0u8; TOKEN_LEN];
    token[..PAYLOAD_LEN].copy_from_slice(payload);
    let signature = key.secret().sign(&signing_message(version, payload));
    token[PAYLOAD_LEN..].copy_from_slice(&signature);
    token
}

fn encode_payload(region: Region, kid: KeyId, claims: &Claims) -> Result<[u8; PAYLOAD_LEN], Error> {
    let issued_at = to_u32_seconds(claims.issued_at)?;
    let valid_until = to_u32_seconds(claims.valid_until)?;
    if valid_until < issued_at {
        return Err(Error::ValidUntilBeforeIssuedAt {
            issued_at,
            valid_until,
        });
    }
    let mut p = [0u8; PAYLOAD_LEN];
    p[0] = claims.version.to_byte();
    p[1] = region.to_byte();
    p[2..6].copy_from_slice(&kid.to_bytes());
    p[6..18].copy_from_slice(&claims.token_id.to_bytes());
    p[18] = claims.colour.to_byte();
    p[19..35].copy_from_slice(&claims.identity.to_bytes());
    p[35..39].copy_from_slice(&issued_at.to_be_bytes());
    p[39..43].copy_from_slice(&valid_until.to_be_bytes());
    Ok(p)
}

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    out
}

impl UnverifiedToken {
    /// Parses the text form `HC<version>:<base64url>`.
    ///
    /// # Errors
    /// A `malformed` error for anything but the one canonical encoding,
    /// including a prefix whose version is not the version byte's.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let Some((version, body)) = TokenVersion::ALL
            .into_iter()
            .find_map(|v| Some(v).zip(text.strip_prefix(v.prefix())))
        else {
            return Err(prefix_error(text));
        };
        // Refuse oversized input before decoding it: a megabyte of base64
        // must not cost a megabyte of allocation.
        if text.len() > MAX_TEXT_LEN {
            return Err(Error::TokenTooLong {
                length: text.len(),
                limit: MAX_TEXT_LEN,
            });
        }
        let bytes = b64::decode(body).map_err(|reason| Error::NonCanonicalBase64 { reason })?;
        let token = Self::from_bytes(&bytes)?;
        if token.claims.version != version {
            return Err(Error::VersionMismatch {
                prefix: version.to_byte(),
                byte: token.claims.version.to_byte(),
            });
        }
        Ok(token)
    }

    /// Parses the binary form.
    ///
    /// # Errors
    /// A `malformed` error: wrong version or length, trailing bytes, unknown
    /// region or colour, valid-until before issued-at.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let version = match bytes.first() {
            None => {
                return Err(Error::WrongLength {
                    expected: TOKEN_LEN,
                    actual: 0,
                });
            }
            Some(&byte) => TokenVersion::from_byte(byte)?,
        };
        if bytes.len() > TOKEN_LEN {
            return Err(Error::TrailingBytes {
                count: bytes.len() - TOKEN_LEN,
            });
        }
        if bytes.len() < TOKEN_LEN {
            return Err(Error::WrongLength {
                expected: TOKEN_LEN,
                actual: bytes.len(),
            });
        }
        let payload: [u8; PAYLOAD_LEN] = array(&bytes[..PAYLOAD_LEN]);
        let issued_at = u32::from_be_bytes(array(&payload[35..39]));
        let valid_until = u32::from_be_bytes(array(&payload[39..43]));
        if valid_until < issued_at {
            return Err(Error::ValidUntilBeforeIssuedAt {
                issued_at,
                valid_until,
            });
        }
        Ok(UnverifiedToken {
            region: Region::from_byte(payload[1])?,
            kid: KeyId::from_bytes(array(&payload[2..6])),
            claims: Claims {
                version,
                token_id: TokenId(array(&payload[6..18])),
                colour: Colour::from_byte(payload[18])?,
                identity: IdentityBinding::from_bytes(array(&payload[19..35])),
                issued_at: from_u32_seconds(issued_at),
                valid_until: from_u32_seconds(valid_until),
            },
            payload,
            signature: array(&bytes[PAYLOAD_LEN..]),
        })
    }

    /// The 107 bytes of the token.
    pub fn to_bytes(&self) -> [u8; TOKEN_LEN] {
        let mut out = [0u8; TOKEN_LEN];
        out[..PAYLOAD_LEN].copy_from_slice(&self.payload);
        out[PAYLOAD_LEN..].copy_from_slice(&self.signature);
        out
    }

    /// The text form, as carried in the QR code.
    pub fn to_text(&self) -> String {
        let prefix = self.claims.version.prefix();
        format!("{prefix}{}", b64::encode(&self.to_bytes()))
    }

    /// The region the token claims; a routing hint until verified.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The key id the token claims; a routing hint until verified.
    pub fn kid(&self) -> KeyId {
        self.kid
    }

    /// The token id the token claims; a routing hint until verified.
    pub fn token_id(&self) -> TokenId {
        self.claims.token_id
    }

    /// The claims, unverified: not to be shown as a code's colour or validity.
    pub fn insecure_claims(&self) -> &Claims {
        &self.claims
    }

    /// Verifies the token against `trust` at `now`: the key is trusted for the
    /// region, the signature passes `verify_strict`, the key was not revoked
    /// and was valid when the token was issued, and `now` lies between
    /// issued-at (less [`CLOCK_SKEW`]) and the end of valid-until's second.
    ///
    /// # Errors
    /// `unknown_key`, `bad_signature`, `key_revoked`, `key_not_valid_at_issue`,
    /// `not_yet_valid` or `expired`, in that order of checking.
    pub fn verify(&self, trust: &TrustList, now: OffsetDateTime) -> Result<VerifiedToken, Error> {
        let key = trust.key(self.region, self.kid).ok_or(Error::UnknownKey {
            region: self.region,
            kid: self.kid,
        })?;
        key.public_key().verify_strict(
            &signing_message(self.claims.version, &self.payload),
            &self.signature,
        )?;
        key.check_usable_at(self.kid, self.claims.issued_at)?;
        check_time(&self.claims, now)?;
        Ok(VerifiedToken {
            region: self.region,
            kid: self.kid,
            claims: self.claims.clone(),
            specimen: key.is_test(),
        })
    }
}

/// The version digits of an `HC<version>:` prefix of any version, if `text` has one.
fn prefix_version(text: &str) -> Option<&str> {
    let (version, _) = text.strip_prefix("HC")?.split_once(':')?;
    (version.len() <= 3 && version.bytes().all(|b| b.is_ascii_digit())).then_some(version)
}

/// True when `text` has the shape of a health-code token text of any version
/// (`HC<version>:...`): how a scanner tells a token from a file name, and
/// picks ours among the QR codes of a photo. Says nothing of validity.
pub fn looks_like_token(text: &str) -> bool {
    prefix_version(text).is_some()
}

fn prefix_error(text: &str) -> Error {
    match prefix_version(text).and_then(|v| v.parse::<u8>().ok()) {
        Some(version) if TokenVersion::from_byte(version).is_err() => {
            Error::UnknownVersion { version }
        }
        _ => Error::BadPrefix,
    }
}

fn check_time(claims: &Claims, now: OffsetDateTime) -> Result<(), Error> {
    if claims.issued_at > now + CLOCK_SKEW {
        return Err(Error::NotYetValid {
            issued_at: claims.issued_at,
            now,
        });
    }
    // Valid up to and including the whole second of valid-until.
    if now.unix_timestamp() > claims.valid_until.unix_timestamp() {
        return Err(Error::Expired {
            valid_until: claims.valid_until,
            now,
        });
    }
    Ok(())
}

impl VerifiedToken {
    /// The issuer's region.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The signing key's id.
    pub fn kid(&self) -> KeyId {
        self.kid
    }

    /// The verified claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// True when a test key signed it: show it as SPECIMEN, never as a valid code.
    pub fn is_specimen(&self) -> bool {
        self.specimen
    }
}

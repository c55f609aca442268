//! The one error type of the keys crate.

use std::path::PathBuf;

use time::OffsetDateTime;

use crate::{KeyId, Region};

/// Everything that can go wrong while reading keys, trust lists and tokens.
///
/// Token rejections map onto the stable codes the scanner and verifier print
/// (see [`Error::code`]); the message of each variant names the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token text does not start with a known `HC<version>:` prefix.
    #[error("token text must start with \"HC1:\"")]
    BadPrefix,
    /// The prefix or the version byte names a format version this code does not know.
    #[error("unknown token format version {version}")]
    UnknownVersion {
        /// The version that was found.
        version: u8,
    },
    /// The text prefix names one version and the version byte another.
    #[error("the prefix says format version {prefix} but the token's version byte says {byte}")]
    VersionMismatch {
        /// The version of the `HC<version>:` prefix.
        prefix: u8,
        /// The token's first byte.
        byte: u8,
    },
    /// The base64url part is not the one canonical unpadded encoding.
    #[error("token is not canonical unpadded base64url: {reason}")]
    NonCanonicalBase64 {
        /// What the decoder found.
        reason: base64::DecodeError,
    },
    /// A token text far longer than any version's, refused before decoding.
    #[error("token text is {length} characters; no token is longer than {limit}")]
    TokenTooLong {
        /// Characters given.
        length: usize,
        /// The most accepted.
        limit: usize,
    },
    /// The token has the wrong number of bytes.
    #[error("token has {actual} bytes, a version 1 token has exactly {expected}")]
    WrongLength {
        /// Bytes a token of this version has.
        expected: usize,
        /// Bytes found.
        actual: usize,
    },
    /// Bytes follow the signature.
    #[error("{count} trailing bytes after the signature")]
    TrailingBytes {
        /// How many extra bytes there are.
        count: usize,
    },
    /// A token byte (region, colour) that names no value.
    #[error("unknown {what} byte {byte}")]
    UnknownByte {
        /// What the byte should name.
        what: &'static str,
        /// The byte found.
        byte: u8,
    },
    /// The token ends before it starts.
    #[error("valid-until {} is before issued-at {}", crate::hktime::format_hk(crate::hktime::from_u32_seconds(*valid_until)), crate::hktime::format_hk(crate::hktime::from_u32_seconds(*issued_at)))]
    ValidUntilBeforeIssuedAt {
        /// Issued-at, seconds since the Unix epoch.
        issued_at: u32,
        /// Valid-until, seconds since the Unix epoch.
        valid_until: u32,
    },
    /// A time cannot be written in the token's 32-bit seconds field.
    #[error("time {} is outside the token's range (1970 to 2106)", crate::hktime::format_hk(*at))]
    TimeOutOfRange {
        /// The time given.
        at: OffsetDateTime,
    },
    /// A timestamp that is not RFC 3339 with an explicit offset.
    #[error(
        "invalid time {input:?}: {reason} (RFC 3339 with an offset, e.g. 2022-12-10T09:00:00+08:00)"
    )]
    InvalidTime {
        /// The text given.
        input: String,
        /// The parser's complaint.
        reason: time::error::Parse,
    },
    /// No trusted key has this region and key id.
    #[error("no trusted {region} key with id {kid}")]
    UnknownKey {
        /// Region claimed by the token.
        region: Region,
        /// Key id claimed by the token.
        kid: KeyId,
    },
    /// The Ed25519 signature does not pass `verify_strict`.
    #[error("signature does not verify")]
    BadSignature,
    /// The trust list marks the key as revoked (for example after a leak).
    #[error("key {kid} is revoked")]
    KeyRevoked {
        /// The revoked key.
        kid: KeyId,
    },
    /// The token was issued outside the key's validity period.
    #[error(
        "key {kid} was not valid at issue time {} (valid {} to {})",
        crate::hktime::format_hk(*issued_at),
        crate::hktime::format_hk(*not_before),
        crate::hktime::format_hk(*not_after)
    )]
    KeyNotValidAtIssue {
        /// The key.
        kid: KeyId,
        /// When the token says it was issued.
        issued_at: OffsetDateTime,
        /// Start of the key's validity.
        not_before: OffsetDateTime,
        /// End of the key's validity.
        not_after: OffsetDateTime,
    },
    /// The code was valid until a time that has passed.
    #[error("expired: valid until {}, now {}", crate::hktime::format_hk(*valid_until), crate::hktime::format_hk(*now))]
    Expired {
        /// End of validity.
        valid_until: OffsetDateTime,
        /// The checking time.
        now: OffsetDateTime,
    },
    /// The code was issued further in the future than clock skew explains.
    #[error("not yet valid: issued at {}, now {}", crate::hktime::format_hk(*issued_at), crate::hktime::format_hk(*now))]
    NotYetValid {
        /// Issue time in the token.
        issued_at: OffsetDateTime,
        /// The checking time.
        now: OffsetDateTime,
    },
    /// An ID document string is not `TYPE:NUMBER` of a known type and shape.
    #[error("invalid ID document {input:?}: {problem}")]
    InvalidIdDocument {
        /// What was given (never logged by callers: it is personal data).
        input: String,
        /// What is wrong with it.
        problem: crate::identity::DocumentProblem,
    },
    /// An HKID number whose check digit is wrong.
    #[error("HKID check digit is wrong (expected {expected})")]
    HkidCheckDigit {
        /// The check digit the number should have.
        expected: char,
    },
    /// A key id is not 8 hexadecimal digits.
    #[error("invalid key id {input:?}: expected 8 lowercase hexadecimal digits")]
    InvalidKeyId {
        /// The text given.
        input: String,
    },
    /// A calendar date that is not `YYYY-MM-DD`.
    #[error("invalid date {input:?}: expected YYYY-MM-DD, e.g. 2018-03-01")]
    InvalidDate {
        /// The text given.
        input: String,
    },
    /// A file of day identity keys that cannot be used.
    #[error("identity day keys: {problem}")]
    DayKeys {
        /// What is wrong.
        problem: String,
    },
    /// Identity key files named so that a region's keys are unclear.
    #[error("identity key files: {problem}")]
    IdentityKeyFiles {
        /// What is wrong.
        problem: String,
    },
    /// A token id is not 24 lowercase hexadecimal digits.
    #[error("invalid token id {input:?}: expected 24 lowercase hexadecimal digits")]
    InvalidTokenId {
        /// The text given.
        input: String,
    },
    /// Key or signature text that is not canonical base64url.
    #[error("invalid {what}: {reason}")]
    KeyEncoding {
        /// Which key or signature.
        what: &'static str,
        /// What the decoder found.
        reason: base64::DecodeError,
    },
    /// Key or signature bytes of the wrong length.
    #[error("invalid {what}: {actual} bytes, expected {expected}")]
    KeyLength {
        /// Which key or signature.
        what: &'static str,
        /// Bytes it must have.
        expected: usize,
        /// Bytes it has.
        actual: usize,
    },
    /// Public key bytes that are not a point on the curve.
    #[error("invalid public key: not a point on the curve")]
    NotAPoint,
    /// A weak (small-order) public key, which `verify_strict` would refuse anyway.
    #[error("invalid public key: weak (small-order) key")]
    WeakKey,
    /// A key file whose key id is not the one its key derives.
    #[error("invalid key file: key id {claimed} does not match the key (derived {derived})")]
    KeyIdMismatch {
        /// The id the file claims.
        claimed: KeyId,
        /// The id the key derives.
        derived: KeyId,
    },
    /// A key file or trust list is not the JSON it should be.
    #[error("{what} is not valid: {source}")]
    Json {
        /// What was being read.
        what: &'static str,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// A key file of another kind was given (a public key where a secret one is needed, ...).
    #[error("{path}: expected a {expected} file, found a {found} file")]
    WrongKeyFileKind {
        /// The file.
        path: PathBuf,
        /// The kind wanted.
        expected: &'static str,
        /// The kind found.
        found: String,
    },
    /// A secret file that group or others can read.
    #[error(
        "{path} is readable by other users (mode {mode:o}); a secret file must be mode 0600: chmod 600 {path}"
    )]
    SecretFileTooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A file would be overwritten; keys are never overwritten.
    #[error("{path} already exists; refusing to overwrite a key")]
    FileExists {
        /// The file.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than any valid one.
    #[error("{path} is larger than {limit} bytes")]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// The trust list's signature does not verify under the pinned root key.
    #[error("trust list signature does not verify under the pinned root key")]
    TrustListBadSignature,
    /// The trust list was signed by another root than the pinned one.
    #[error("trust list was signed by root {found}, but root {pinned} is pinned")]
    TrustListWrongRoot {
        /// Pinned root key id.
        pinned: KeyId,
        /// Root named by the list.
        found: KeyId,
    },
    /// The trust list has expired: it could miss a revoked key.
    #[error("trust list expired at {} (now {}); fetch a current one", crate::hktime::format_hk(*expires_at), crate::hktime::format_hk(*now))]
    TrustListExpired {
        /// Expiry of the list.
        expires_at: OffsetDateTime,
        /// The checking time.
        now: OffsetDateTime,
    },
    /// The clock reads earlier than the trust list's issue time: the clock is wrong.
    #[error(
        "clock reads {}, before the trust list was issued ({}); the clock is set back",
        crate::hktime::format_hk(*now),
        crate::hktime::format_hk(*issued_at)
    )]
    ClockBeforeTrustList {
        /// Issue time of the list.
        issued_at: OffsetDateTime,
        /// The checking time.
        now: OffsetDateTime,
    },
    /// A trust list older than one already held (a rollback).
    #[error("trust list sequence {seq} is lower than {held}, which is already held")]
    TrustListRollback {
        /// Sequence number of the offered list.
        seq: u64,
        /// Highest sequence number held.
        held: u64,
    },
    /// A revocation snapshot's signature does not verify.
    #[error("revocation snapshot signature does not verify")]
    SnapshotBadSignature,
    /// An offline bundle that cannot be used.
    #[error("offline bundle: {problem}")]
    Bundle {
        /// What is wrong.
        problem: String,
    },
    /// A conversion record or partner key that cannot be used.
    #[error("conversion: {problem}")]
    Conversion {
        /// What is wrong.
        problem: String,
    },
    /// A compact revocation snapshot that cannot be read.
    #[error("revocation snapshot is invalid: {problem}")]
    SnapshotEncoding {
        /// What is wrong.
        problem: String,
    },
    /// A revocation snapshot of a format this code does not know.
    #[error("revocation snapshot is invalid: format {found:?}")]
    SnapshotFormat {
        /// The format found.
        found: String,
    },
    /// A revocation snapshot issued later than clock skew explains.
    #[error(
        "revocation snapshot is invalid: issued in the future ({}, now {})",
        crate::hktime::format_hk(*issued_at),
        crate::hktime::format_hk(*now)
    )]
    SnapshotFromFuture {
        /// Its issue time.
        issued_at: OffsetDateTime,
        /// The checking time.
        now: OffsetDateTime,
    },
    /// The trust list itself is inconsistent.
    #[error("trust list is invalid: {0}")]
    TrustListInvalid(crate::trust::TrustListProblem),
}

impl Error {
    /// What kind of token rejection this is; `None` for errors that are not
    /// about a token.
    pub fn rejection(&self) -> Option<Rejection> {
        match self {
            Error::BadPrefix
            | Error::UnknownVersion { .. }
            | Error::VersionMismatch { .. }
            | Error::NonCanonicalBase64 { .. }
            | Error::TokenTooLong { .. }
            | Error::WrongLength { .. }
            | Error::TrailingBytes { .. }
            | Error::UnknownByte { .. }
            | Error::ValidUntilBeforeIssuedAt { .. } => Some(Rejection::Malformed),
            Error::UnknownKey { .. } => Some(Rejection::UnknownKey),
            Error::BadSignature => Some(Rejection::BadSignature),
            Error::KeyRevoked { .. } => Some(Rejection::KeyRevoked),
            Error::KeyNotValidAtIssue { .. } => Some(Rejection::KeyNotValidAtIssue),
            Error::Expired { .. } => Some(Rejection::Expired),
            Error::NotYetValid { .. } => Some(Rejection::NotYetValid),
            Error::TimeOutOfRange { .. }
            | Error::InvalidTime { .. }
            | Error::InvalidIdDocument { .. }
            | Error::HkidCheckDigit { .. }
            | Error::InvalidKeyId { .. }
            | Error::InvalidTokenId { .. }
            | Error::InvalidDate { .. }
            | Error::DayKeys { .. }
            | Error::IdentityKeyFiles { .. }
            | Error::KeyEncoding { .. }
            | Error::KeyLength { .. }
            | Error::NotAPoint
            | Error::WeakKey
            | Error::KeyIdMismatch { .. }
            | Error::Json { .. }
            | Error::WrongKeyFileKind { .. }
            | Error::SecretFileTooOpen { .. }
            | Error::FileExists { .. }
            | Error::Io { .. }
            | Error::FileTooLarge { .. }
            | Error::TrustListBadSignature
            | Error::TrustListWrongRoot { .. }
            | Error::TrustListExpired { .. }
            | Error::ClockBeforeTrustList { .. }
            | Error::TrustListRollback { .. }
            | Error::SnapshotBadSignature
            | Error::Bundle { .. }
            | Error::Conversion { .. }
            | Error::SnapshotFormat { .. }
            | Error::SnapshotEncoding { .. }
            | Error::SnapshotFromFuture { .. }
            | Error::TrustListInvalid(_) => None,
        }
    }

    /// True for rejections found after the signature verified: the token's
    /// claims are authentic (if expired, say) and may be shown.
    pub fn is_after_signature(&self) -> bool {
        matches!(
            self.rejection(),
            Some(
                Rejection::KeyRevoked
                    | Rejection::KeyNotValidAtIssue
                    | Rejection::Expired
                    | Rejection::NotYetValid
            )
        )
    }
}

/// The kinds of token rejection, each with the stable code scanners and
/// verifiers print (see [`Rejection::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// Not a token of a known format.
    Malformed,
    /// The signature does not verify.
    BadSignature,
    /// No trusted key has the token's region and key id.
    UnknownKey,
    /// The key was revoked in the trust list.
    KeyRevoked,
    /// The key was not valid when the token says it was issued.
    KeyNotValidAtIssue,
    /// The code's validity has passed.
    Expired,
    /// Issued in the future beyond clock skew.
    NotYetValid,
}

impl Rejection {
    /// Every kind, in the order tokens are checked.
    pub const ALL: [Rejection; 7] = [
        Rejection::Malformed,
        Rejection::UnknownKey,
        Rejection::BadSignature,
        Rejection::KeyRevoked,
        Rejection::KeyNotValidAtIssue,
        Rejection::NotYetValid,
        Rejection::Expired,
    ];

    /// The stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::Malformed => "malformed",
            Rejection::BadSignature => "bad_signature",
            Rejection::UnknownKey => "unknown_key",
            Rejection::KeyRevoked => "key_revoked",
            Rejection::KeyNotValidAtIssue => "key_not_valid_at_issue",
            Rejection::Expired => "expired",
            Rejection::NotYetValid => "not_yet_valid",
        }
    }
}

/// Result with the keys crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

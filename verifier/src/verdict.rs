//! The verdict on one input, as an officer reads it and as programs parse it.
//!
//! One type for the scanner and the service, built only by the [`Checker`]
//! and by [`crate::revocation::apply`]: whether a code is valid is derived
//! from whether it was refused, so the two can never disagree.
//!
//! [`Checker`]: crate::Checker

use healthcode_keys::{
    Claims, Colour, KeyId, Region, Rejection, TokenId,
    hktime::{format_hk, format_utc},
    revocation::RevocationReason,
};
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

/// Whether the holder's ID document was checked against the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Identity {
    /// The code is bound to the document presented.
    Match,
    /// The code belongs to someone else.
    Mismatch,
    /// No document was given (or no identity key is held).
    Unchecked,
}

/// Why an input is not a valid code: the stable codes programs match on,
/// the same in JSON, in the human output and in the audit log. A token's own
/// faults are the keys crate's [`Rejection`]s, spelled as it spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The token was refused: malformed, signature, key or time.
    Token(Rejection),
    /// The code belongs to another ID document.
    IdentityMismatch,
    /// A document was presented but this checkpoint cannot check it against
    /// this code (no key for the code's version or day, or no date of issue).
    IdentityUnavailable,
    /// No QR code was found in the image.
    NoQrFound,
    /// The code was revoked.
    Revoked,
    /// The revocation data is too old (or absent) to vouch for the code.
    RevocationUnavailable,
    /// A test key signed the code: a specimen, never a real code at a
    /// checkpoint (unless a drill accepts specimens).
    Specimen,
    /// The trust list has expired: no code can be checked until a current
    /// one is loaded (a configuration error of the checkpoint).
    TrustListExpired,
}

impl ErrorCode {
    /// Not a token of a known format (or not a readable image).
    pub const MALFORMED: ErrorCode = ErrorCode::Token(Rejection::Malformed);

    /// Every code, for documentation and tests.
    pub fn all() -> impl Iterator<Item = ErrorCode> {
        Rejection::ALL.into_iter().map(ErrorCode::Token).chain([
            ErrorCode::IdentityMismatch,
            ErrorCode::IdentityUnavailable,
            ErrorCode::NoQrFound,
            ErrorCode::Revoked,
            ErrorCode::RevocationUnavailable,
            ErrorCode::Specimen,
            ErrorCode::TrustListExpired,
        ])
    }

    /// The stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Token(rejection) => rejection.as_str(),
            ErrorCode::IdentityMismatch => "identity_mismatch",
            ErrorCode::IdentityUnavailable => "identity_unavailable",
            ErrorCode::NoQrFound => "no_qr_found",
            ErrorCode::Revoked => "revoked",
            ErrorCode::RevocationUnavailable => "revocation_unavailable",
            ErrorCode::Specimen => "specimen",
            ErrorCode::TrustListExpired => "trust_list_expired",
        }
    }
}

impl From<Rejection> for ErrorCode {
    fn from(rejection: Rejection) -> Self {
        ErrorCode::Token(rejection)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What the revocation data says of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationStatus {
    /// Current data holds no revocation of it.
    NotRevoked,
    /// It is revoked.
    Revoked,
    /// The data is too old (or was never received) to say, or the code's id
    /// is not authentic.
    Unknown,
    /// No revocation data was consulted (a scanner given no snapshot).
    Unchecked,
}

impl RevocationStatus {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationStatus::NotRevoked => "not_revoked",
            RevocationStatus::Revoked => "revoked",
            RevocationStatus::Unknown => "unknown",
            RevocationStatus::Unchecked => "unchecked",
        }
    }
}

impl Serialize for RevocationStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why a code was refused: the stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// Stable code.
    pub code: ErrorCode,
    /// What is wrong, for people.
    pub message: String,
}

/// What is known of the token in an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenFacts {
    /// No token could be read.
    None,
    /// A token parsed, but its signature did not verify: routing hints only.
    Routing {
        region: Region,
        kid: KeyId,
        token_id: TokenId,
    },
    /// The signature verified (the code may still be expired, say).
    Authentic {
        region: Region,
        kid: KeyId,
        claims: Claims,
        specimen: bool,
    },
}

/// What the revocation data said, once consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RevocationFacts {
    pub(crate) status: RevocationStatus,
    pub(crate) reason: Option<RevocationReason>,
    pub(crate) as_of: Option<OffsetDateTime>,
    pub(crate) stale: bool,
}

impl RevocationFacts {
    const UNCHECKED: RevocationFacts = RevocationFacts {
        status: RevocationStatus::Unchecked,
        reason: None,
        as_of: None,
        stale: false,
    };
}

/// The verdict on one input.
///
/// A code is valid when nothing refused it: it verified, is within its
/// validity, matches the holder (if checked) and is not revoked. With no ID
/// document, the identity is unchecked and the code can still be valid. A
/// code signed by a test key is a specimen and must be shown as SPECIMEN,
/// never as a plain valid code. Colour and times appear only when the
/// signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    input: String,
    token: TokenFacts,
    identity: Identity,
    revocation: RevocationFacts,
    refusal: Option<Refusal>,
}

impl Verdict {
    /// The verdict on an input that held no token to speak of: an unreadable
    /// line or file (`malformed`).
    pub fn unreadable(input: &str, message: impl Into<String>) -> Self {
        Verdict::refused(input, ErrorCode::MALFORMED, message)
    }

    pub(crate) fn refused(input: &str, code: ErrorCode, message: impl Into<String>) -> Self {
        Verdict::of_token(input, TokenFacts::None).refuse(code, message)
    }

    pub(crate) fn of_token(input: &str, token: TokenFacts) -> Self {
        Verdict {
            input: input.to_owned(),
            token,
            identity: Identity::Unchecked,
            revocation: RevocationFacts::UNCHECKED,
            refusal: None,
        }
    }

    /// Refuses the code, unless it was refused already (the first reason stands).
    pub(crate) fn refuse(mut self, code: ErrorCode, message: impl Into<String>) -> Self {
        if self.refusal.is_none() {
            self.refusal = Some(Refusal {
                code,
                message: message.into(),
            });
        }
        self
    }

    pub(crate) fn with_identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    pub(crate) fn with_revocation(mut self, facts: RevocationFacts) -> Self {
        self.revocation = facts;
        self
    }

    /// The input as named (a path, `-:<line>`, `token`, `request`).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// True when nothing refused the code.
    pub fn is_valid(&self) -> bool {
        self.refusal.is_none()
    }

    /// Why the code was refused, if it was.
    pub fn refusal(&self) -> Option<&Refusal> {
        self.refusal.as_ref()
    }

    /// The refusal's code, if any.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.refusal.as_ref().map(|r| r.code)
    }

    /// True when a test key signed the code.
    pub fn is_specimen(&self) -> bool {
        matches!(self.token, TokenFacts::Authentic { specimen: true, .. })
    }

    /// The colour, if the signature verified.
    pub fn colour(&self) -> Option<Colour> {
        self.claims().map(|c| c.colour)
    }

    /// The end of validity, if the signature verified.
    pub fn valid_until(&self) -> Option<OffsetDateTime> {
        self.claims().map(|c| c.valid_until)
    }

    /// The issue time, if the signature verified.
    pub fn issued_at(&self) -> Option<OffsetDateTime> {
        self.claims().map(|c| c.issued_at)
    }

    /// The issuing region, key id and token id, if a token parsed (unverified
    /// unless the colour is shown).
    pub fn routing(&self) -> Option<(Region, KeyId, TokenId)> {
        match &self.token {
            TokenFacts::None => None,
            TokenFacts::Routing {
                region,
                kid,
                token_id,
            } => Some((*region, *kid, *token_id)),
            TokenFacts::Authentic {
                region,
                kid,
                claims,
                ..
            } => Some((*region, *kid, claims.token_id)),
        }
    }

    /// The token id, only when the signature verified: before that the id is
    /// attacker-controlled bytes.
    pub fn authentic_token_id(&self) -> Option<TokenId> {
        self.claims().map(|c| c.token_id)
    }

    /// The identity check.
    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// What the revocation data said.
    pub fn revocation(&self) -> RevocationStatus {
        self.revocation.status
    }

    /// When the revocation data consulted was last known complete.
    pub fn revocation_as_of(&self) -> Option<OffsetDateTime> {
        self.revocation.as_of
    }

    fn claims(&self) -> Option<&Claims> {
        match &self.token {
            TokenFacts::Authentic { claims, .. } => Some(claims),
            TokenFacts::None | TokenFacts::Routing { .. } => None,
        }
    }

    /// The verdict as one line of JSON.
    pub fn to_json(&self) -> String {
        // Strings, booleans and enums always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The JSON form, fields in the documented order.
#[derive(Serialize)]
struct VerdictJson<'a> {
    input: &'a str,
    valid: bool,
    specimen: bool,
    colour: Option<Colour>,
    issuer: Option<Region>,
    kid: Option<KeyId>,
    token_id: Option<TokenId>,
    issued_at: Option<String>,
    valid_until: Option<String>,
    identity: Identity,
    error: Option<&'a Refusal>,
    revocation: RevocationStatus,
    revocation_reason: Option<&'static str>,
    revocation_as_of: Option<String>,
    revocation_stale: bool,
}

impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let routing = self.routing();
        VerdictJson {
            input: &self.input,
            valid: self.is_valid(),
            specimen: self.is_specimen(),
            colour: self.colour(),
            issuer: routing.map(|r| r.0),
            kid: routing.map(|r| r.1),
            token_id: routing.map(|r| r.2),
            issued_at: self.issued_at().map(format_hk),
            valid_until: self.valid_until().map(format_hk),
            identity: self.identity,
            error: self.refusal.as_ref(),
            revocation: self.revocation.status,
            revocation_reason: self.revocation.reason.map(RevocationReason::as_str),
            revocation_as_of: self.revocation.as_of.map(format_utc),
            revocation_stale: self.revocation.stale,
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rejection_keeps_its_code_and_codes_are_distinct() {
        let mut names: Vec<&str> = ErrorCode::all().map(ErrorCode::as_str).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 14);
        assert_eq!(
            ErrorCode::from(Rejection::BadSignature).as_str(),
            "bad_signature"
        );
        assert_eq!(
            serde_json::to_string(&ErrorCode::from(Rejection::KeyNotValidAtIssue)).ok(),
            Some("\"key_not_valid_at_issue\"".to_owned())
        );
    }

    #[test]
    fn a_verdict_shows_what_the_token_says() {
        let issued_at = time::macros::datetime!(2022-12-10 01:00 UTC);
        let valid_until = time::macros::datetime!(2022-12-10 15:59:59 UTC);
        let (kid, token_id) = (KeyId::from_bytes([1; 4]), TokenId::from_bytes([2; 12]));
        let verdict = Verdict::of_token(
            "photo.jpg",
            TokenFacts::Authentic {
                region: Region::HongKong,
                kid,
                claims: Claims {
                    version: healthcode_keys::TokenVersion::CURRENT,
                    token_id,
                    colour: Colour::Amber,
                    identity: healthcode_keys::IdentityBinding::from_bytes([0; 16]),
                    issued_at,
                    valid_until,
                },
                specimen: true,
            },
        );
        assert_eq!(verdict.input(), "photo.jpg");
        assert_eq!(verdict.colour(), Some(Colour::Amber));
        assert_eq!(
            (verdict.issued_at(), verdict.valid_until()),
            (Some(issued_at), Some(valid_until))
        );
        assert_eq!(verdict.routing(), Some((Region::HongKong, kid, token_id)));
        assert!(verdict.is_specimen());
        assert_eq!(verdict.revocation_as_of(), None);
        let routing_only = Verdict::of_token(
            "x",
            TokenFacts::Routing {
                region: Region::Macao,
                kid,
                token_id,
            },
        );
        assert_eq!(routing_only.routing(), Some((Region::Macao, kid, token_id)));
        assert_eq!(
            (routing_only.colour(), routing_only.is_specimen()),
            (None, false)
        );
        assert_eq!(ErrorCode::Specimen.to_string(), "specimen");
    }

    #[test]
    fn the_first_refusal_stands_and_validity_follows_it() {
        let verdict = Verdict::unreadable("x", "first");
        assert!(!verdict.is_valid());
        let verdict = verdict.refuse(ErrorCode::Revoked, "second");
        assert_eq!(verdict.error_code(), Some(ErrorCode::MALFORMED));
        assert_eq!(verdict.refusal().map(|r| r.message.as_str()), Some("first"));
        let json: serde_json::Value = serde_json::from_str(&verdict.to_json()).unwrap_or_default();
        assert_eq!(json["valid"], false);
        assert_eq!(json["error"]["code"], "malformed");
        assert_eq!(json["revocation"], "unchecked");
    }
}

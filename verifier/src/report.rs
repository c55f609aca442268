//! The verdict on one input, as an officer reads it and as programs parse it.

use healthcode_keys::{Claims, Colour, KeyId, Region, TokenId, VerifiedToken, hktime::format_hk};
use serde::Serialize;

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

/// Why an input is not a valid code: the stable codes programs match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not a token of a known format (or not a readable image).
    Malformed,
    /// The signature does not verify.
    BadSignature,
    /// No trusted key has the token's key id.
    UnknownKey,
    /// The key was revoked in the trust list.
    KeyRevoked,
    /// The key was not valid when the token says it was issued.
    KeyNotValidAtIssue,
    /// The code's day is over.
    Expired,
    /// Issued in the future (beyond clock skew).
    NotYetValid,
    /// The code belongs to another ID document.
    IdentityMismatch,
    /// No QR code was found in the image.
    NoQrFound,
    /// The code was revoked (verifier service only).
    Revoked,
    /// The revocation data is too old to vouch for the code (verifier service only).
    RevocationUnavailable,
}

/// The error part of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportError {
    /// Stable code.
    pub code: ErrorCode,
    /// What is wrong, for people.
    pub message: String,
}

/// The verdict on one input.
///
/// `valid` speaks of the code: with no ID document, `identity` is
/// `unchecked` and the code can still be valid. A code signed by a test key
/// has `specimen: true` and must be shown as SPECIMEN, never as a plain valid
/// code. Colour and times appear only when the signature verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The input as named on the command line (a path, `-:<line>`, or `token`).
    pub input: String,
    /// True when the code verified, is within its validity and (if checked) matches the holder.
    pub valid: bool,
    /// True when a test key signed the code.
    pub specimen: bool,
    /// The colour, if the signature verified.
    pub colour: Option<Colour>,
    /// The issuing region, if the token parsed.
    pub issuer: Option<Region>,
    /// The key id, if the token parsed.
    pub kid: Option<KeyId>,
    /// The token id, if the token parsed.
    pub token_id: Option<TokenId>,
    /// Issue time (Hong Kong time), if the signature verified.
    pub issued_at: Option<String>,
    /// End of validity (Hong Kong time), if the signature verified.
    pub valid_until: Option<String>,
    /// The identity check.
    pub identity: Identity,
    /// Why the code is not valid, or `None`.
    pub error: Option<ReportError>,
}

impl Report {
    /// A report on an input that held no token to speak of.
    pub fn failure(input: &str, code: ErrorCode, message: String) -> Self {
        Report {
            input: input.to_owned(),
            valid: false,
            specimen: false,
            colour: None,
            issuer: None,
            kid: None,
            token_id: None,
            issued_at: None,
            valid_until: None,
            identity: Identity::Unchecked,
            error: Some(ReportError { code, message }),
        }
    }

    /// Fills in the fields that only routing information (unverified) supports.
    pub(crate) fn with_routing(mut self, region: Region, kid: KeyId, token_id: TokenId) -> Self {
        self.issuer = Some(region);
        self.kid = Some(kid);
        self.token_id = Some(token_id);
        self
    }

    /// Fills in the fields of a verified token.
    pub(crate) fn with_verified(self, token: &VerifiedToken) -> Self {
        self.with_claims(
            token.region(),
            token.kid(),
            token.claims(),
            token.is_specimen(),
        )
    }

    /// Fills in the fields of claims whose signature verified (the token may
    /// still be expired, say, which the officer should see).
    pub(crate) fn with_claims(
        mut self,
        region: Region,
        kid: KeyId,
        claims: &Claims,
        specimen: bool,
    ) -> Self {
        self.specimen = specimen;
        self.colour = Some(claims.colour);
        self.issued_at = Some(format_hk(claims.issued_at));
        self.valid_until = Some(format_hk(claims.valid_until));
        self.with_routing(region, kid, claims.token_id)
    }

    /// The token id, only when the signature verified (the colour is shown):
    /// before that the id is attacker-controlled bytes.
    pub fn authentic_token_id(&self) -> Option<TokenId> {
        self.token_id.filter(|_| self.colour.is_some())
    }

    /// Marks a valid code revoked by `revocation` (scanner and service alike).
    pub fn mark_revoked(&mut self, revocation: &crate::revocation::Revocation) {
        if self.valid {
            self.valid = false;
            let message = format!(
                "revoked ({}) at {}",
                revocation.reason,
                healthcode_keys::hktime::format_hk(revocation.revoked_at)
            );
            self.error = Some(ReportError {
                code: ErrorCode::Revoked,
                message,
            });
        }
    }

    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        // Plain strings, booleans and enums always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }
}

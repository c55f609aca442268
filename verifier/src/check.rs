//! From an input (token text or image) to a [`Report`].

use healthcode_keys::{IdDocument, IdentityKey, Rejection, TrustList, UnverifiedToken};
use time::OffsetDateTime;

use crate::{
    ErrorCode, Identity, Report,
    image::{ImageLimits, load_grey},
    qr::find_codes,
};

/// Checks codes against one verified trust list and, optionally, the identity key.
#[derive(Debug)]
pub struct Checker {
    trust: TrustList,
    identity_key: Option<IdentityKey>,
    limits: ImageLimits,
}

impl Checker {
    /// A checker for `trust`; without `identity_key` identities stay unchecked.
    pub fn new(trust: TrustList, identity_key: Option<IdentityKey>) -> Self {
        Checker {
            trust,
            identity_key,
            limits: ImageLimits::default(),
        }
    }

    /// The same checker over another trust list (after a reload).
    pub fn with_trust(&self, trust: TrustList) -> Self {
        Checker {
            trust,
            identity_key: self.identity_key.clone(),
            limits: self.limits,
        }
    }

    /// The trust list in use.
    pub fn trust(&self) -> &TrustList {
        &self.trust
    }

    /// True when an ID document given with a code can be checked.
    pub fn can_check_identity(&self) -> bool {
        self.identity_key.is_some()
    }

    /// Checks the token text `text`, named `input` in the report.
    pub fn check_text(
        &self,
        input: &str,
        text: &str,
        document: Option<&IdDocument>,
        now: OffsetDateTime,
    ) -> Report {
        let token = match UnverifiedToken::parse(text) {
            Ok(token) => token,
            Err(e) => return Report::failure(input, ErrorCode::Malformed, e.to_string()),
        };
        let report = Report::failure(input, ErrorCode::Malformed, String::new());
        let verified = match token.verify(&self.trust, now) {
            Ok(verified) => verified,
            Err(e) => {
                let report = if e.is_after_signature() {
                    let specimen = self
                        .trust
                        .key(token.region(), token.kid())
                        .is_some_and(|k| k.is_test());
                    report.with_claims(
                        token.region(),
                        token.kid(),
                        token.insecure_claims(),
                        specimen,
                    )
                } else {
                    report.with_routing(token.region(), token.kid(), token.token_id())
                };
                return rejected(report, code_of(&e), e.to_string());
            }
        };
        let mut report = report.with_verified(&verified);
        report.identity = match (&self.identity_key, document) {
            (Some(key), Some(doc)) if verified.identity_matches(key, doc) => Identity::Match,
            (Some(_), Some(_)) => Identity::Mismatch,
            _ => Identity::Unchecked,
        };
        if report.identity == Identity::Mismatch {
            let message = "the code was issued to another ID document".to_owned();
            return rejected(report, ErrorCode::IdentityMismatch, message);
        }
        report.valid = true;
        report.error = None;
        report
    }

    /// Checks the first health code found in the PNG or JPEG `bytes`.
    pub fn check_image(
        &self,
        input: &str,
        bytes: &[u8],
        document: Option<&IdDocument>,
        now: OffsetDateTime,
    ) -> Report {
        let image = match load_grey(bytes, &self.limits) {
            Ok(image) => image,
            Err(e) => return Report::failure(input, ErrorCode::Malformed, e.to_string()),
        };
        let codes = find_codes(&image);
        // A photo may hold other QR codes (a poster behind the holder): prefer ours.
        match codes.iter().find(|c| c.starts_with("HC")).or(codes.first()) {
            Some(text) => self.check_text(input, text, document, now),
            None => Report::failure(
                input,
                ErrorCode::NoQrFound,
                "no QR code found in the image".into(),
            ),
        }
    }
}

fn rejected(mut report: Report, code: ErrorCode, message: String) -> Report {
    report.valid = false;
    report.error = Some(crate::report::ReportError { code, message });
    report
}

fn code_of(error: &healthcode_keys::Error) -> ErrorCode {
    match error.rejection() {
        Some(Rejection::BadSignature) => ErrorCode::BadSignature,
        Some(Rejection::UnknownKey) => ErrorCode::UnknownKey,
        Some(Rejection::KeyRevoked) => ErrorCode::KeyRevoked,
        Some(Rejection::KeyNotValidAtIssue) => ErrorCode::KeyNotValidAtIssue,
        Some(Rejection::Expired) => ErrorCode::Expired,
        Some(Rejection::NotYetValid) => ErrorCode::NotYetValid,
        _ => ErrorCode::Malformed,
    }
}

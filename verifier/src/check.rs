//! From an input (token text or image) to a [`Verdict`].

use healthcode_keys::{
    DayKeys, IdentityCheck, IdentityKeyring, Presented, Region, TrustList, UnverifiedToken,
    hktime::format_hk, token::looks_like_token,
};
use time::OffsetDateTime;

use crate::{
    ErrorCode, Identity, Verdict,
    image::{ImageLimits, load_grey},
    qr::{PASSES, Pass, find_codes_with},
    verdict::TokenFacts,
};

/// Checks codes against one verified trust list and, optionally, identity keys.
#[derive(Debug)]
pub struct Checker {
    trust: TrustList,
    identity: IdentityKeyring,
    limits: ImageLimits,
    accept_specimens: bool,
}

impl Checker {
    /// A checker for `trust`; a document presented with a code is checked
    /// under `identity` (Hong Kong's keys alone, or a keyring of regions),
    /// and a code it holds no key for is not valid. Specimens (codes signed
    /// by a test key) are refused.
    pub fn new(trust: TrustList, identity: impl Into<IdentityKeyring>) -> Self {
        Checker {
            trust,
            identity: identity.into(),
            limits: ImageLimits::default(),
            accept_specimens: false,
        }
    }

    /// The same checker, accepting specimens as valid (shown as SPECIMEN):
    /// for drills and demonstrations, never at a real checkpoint.
    pub fn accepting_specimens(mut self, accept: bool) -> Self {
        self.accept_specimens = accept;
        self
    }

    /// The same checker over another trust list (after a reload).
    pub fn with_trust(&self, trust: TrustList) -> Self {
        Checker {
            trust,
            identity: self.identity.clone(),
            limits: self.limits,
            accept_specimens: self.accept_specimens,
        }
    }

    /// True when the trust list in use has expired at `now`: every answer
    /// is then `trust_list_expired`.
    pub fn trust_expired(&self, now: OffsetDateTime) -> bool {
        now > self.trust.expires_at()
    }

    /// The refusal of every input while the trust list is expired.
    fn expired_trust(&self, input: &str, now: OffsetDateTime) -> Option<Verdict> {
        self.trust_expired(now).then(|| {
            let message = format!(
                "the trust list expired at {} (now {}): load a current one; no code can be checked",
                format_hk(self.trust.expires_at()),
                format_hk(now)
            );
            Verdict::refused(input, ErrorCode::TrustListExpired, message)
        })
    }

    /// The trust list in use.
    pub fn trust(&self) -> &TrustList {
        &self.trust
    }

    /// The identity keys in use.
    pub fn identity(&self) -> &IdentityKeyring {
        &self.identity
    }

    /// The same checker with other version 2 day keys of `region` (a
    /// checkpoint's next file of days); the version 1 keys stay.
    pub fn with_day_keys(&self, region: Region, days: DayKeys) -> Self {
        Checker {
            trust: self.trust.clone(),
            identity: self.identity.with_day_keys(region, days),
            limits: self.limits,
            accept_specimens: self.accept_specimens,
        }
    }

    /// True when an ID document given with a code can be checked (for some
    /// codes: a code issued on a day whose key is not held still cannot).
    pub fn can_check_identity(&self) -> bool {
        self.identity.any()
    }

    /// Checks the token text `text`, named `input` in the verdict.
    pub fn check_text(
        &self,
        input: &str,
        text: &str,
        presented: Option<&Presented>,
        now: OffsetDateTime,
    ) -> Verdict {
        if let Some(expired) = self.expired_trust(input, now) {
            return expired;
        }
        let token = match UnverifiedToken::parse(text) {
            Ok(token) => token,
            Err(e) => return Verdict::unreadable(input, e.to_string()),
        };
        let verified = match token.verify(&self.trust, now) {
            Ok(verified) => verified,
            Err(e) => {
                let facts = if e.is_after_signature() {
                    // The claims are authentic (an expired code, say): the officer sees them.
                    let specimen = self
                        .trust
                        .key(token.region(), token.kid())
                        .is_some_and(|k| k.is_test());
                    TokenFacts::Authentic {
                        region: token.region(),
                        kid: token.kid(),
                        claims: token.insecure_claims().clone(),
                        specimen,
                    }
                } else {
                    TokenFacts::Routing {
                        region: token.region(),
                        kid: token.kid(),
                        token_id: token.token_id(),
                    }
                };
                let code = e.rejection().map_or(ErrorCode::MALFORMED, ErrorCode::from);
                return Verdict::of_token(input, facts).refuse(code, e.to_string());
            }
        };
        let facts = TokenFacts::Authentic {
            region: verified.region(),
            kid: verified.kid(),
            claims: verified.claims().clone(),
            specimen: verified.is_specimen(),
        };
        let verdict = Verdict::of_token(input, facts);
        let verdict = if verified.is_specimen() && !self.accept_specimens {
            verdict.refuse(
                ErrorCode::Specimen,
                "SPECIMEN: signed by a TEST key, not a real code",
            )
        } else {
            verdict
        };
        let Some(presented) = presented else {
            return verdict;
        };
        match self.identity.check(&verified, presented) {
            IdentityCheck::Match => verdict.with_identity(Identity::Match),
            IdentityCheck::Mismatch => verdict.with_identity(Identity::Mismatch).refuse(
                ErrorCode::IdentityMismatch,
                "the code was issued to another ID document",
            ),
            // Asked to check and unable to: never valid (secondary inspection).
            IdentityCheck::Unavailable(why) => {
                verdict.refuse(ErrorCode::IdentityUnavailable, why.to_string())
            }
        }
    }

    /// Checks the first health code found in the PNG or JPEG `bytes`.
    pub fn check_image(
        &self,
        input: &str,
        bytes: &[u8],
        presented: Option<&Presented>,
        now: OffsetDateTime,
    ) -> Verdict {
        self.check_image_before(input, bytes, presented, now, None)
    }

    /// Like [`Checker::check_image`], giving up on finding a code once
    /// `deadline` has passed (the image is then refused as holding none).
    pub fn check_image_before(
        &self,
        input: &str,
        bytes: &[u8],
        presented: Option<&Presented>,
        now: OffsetDateTime,
        deadline: Option<std::time::Instant>,
    ) -> Verdict {
        self.check_image_with(input, bytes, presented, now, deadline, &PASSES)
    }

    /// Like [`Checker::check_image_before`] with a chosen list of decoding
    /// passes: [`crate::qr::LIVE_PASSES`] for a live camera's frames, since
    /// the next frame comes in a moment.
    pub fn check_image_with(
        &self,
        input: &str,
        bytes: &[u8],
        presented: Option<&Presented>,
        now: OffsetDateTime,
        deadline: Option<std::time::Instant>,
        passes: &[Pass],
    ) -> Verdict {
        if let Some(expired) = self.expired_trust(input, now) {
            return expired;
        }
        let image = match load_grey(bytes, &self.limits) {
            Ok(image) => image,
            Err(e) => return Verdict::unreadable(input, e.to_string()),
        };
        let codes = find_codes_with(&image, passes, deadline)
            .map(|(_, codes)| codes)
            .unwrap_or_default();
        // A photo may hold other QR codes (a poster behind the holder): prefer ours.
        match codes.iter().find(|c| looks_like_token(c)).or(codes.first()) {
            Some(text) => self.check_text(input, text, presented, now),
            None => Verdict::refused(input, ErrorCode::NoQrFound, "no QR code found in the image"),
        }
    }
}

#[cfg(test)]
mod tests {
    use healthcode_keys::{
        Claims, Colour, IssuerSecretKey, KeyStatus, Region, SecretKey, TokenId, TokenVersion,
        hktime::{self, end_of_hk_day},
        testkeys, token,
    };
    use time::{Duration, macros::datetime};

    use super::*;
    use crate::Identity;

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);
    /// When the trust list below was issued.
    const LISTED: OffsetDateTime = datetime!(2022-12-09 00:00 UTC);

    /// The date of issue on the holder's card.
    const CARD_ISSUED: time::Date = time::macros::date!(2018 - 03 - 01);

    fn presented(text: &str) -> Presented {
        Presented {
            document: text.parse().unwrap_or_else(|e| panic!("{e}")),
            date_of_issue: Some(CARD_ISSUED),
        }
    }

    /// A key like a real issuer's: not marked test.
    fn production_key() -> IssuerSecretKey {
        IssuerSecretKey::from_secret(
            SecretKey::from_bytes(&[42; 32]),
            Region::HongKong,
            datetime!(2022-01-01 00:00 UTC),
            datetime!(2035-12-31 23:59:59 UTC),
            false,
        )
    }

    /// A checker trusting `key`, with the test identity keys, and a version 2
    /// code it signed for `HKID:A123456(3)` issued on [`CARD_ISSUED`].
    fn checker_and_code(key: &IssuerSecretKey) -> (Checker, String) {
        let trust = testkeys::verified_trust_list(LISTED, &[(key, KeyStatus::Active)], NOW);
        let token_id = TokenId::from_bytes([9; 12]);
        let holder = presented("HKID:A123456(3)");
        let day_key = testkeys::identity_master().day_key(hktime::hk_date(NOW));
        let claims = Claims {
            version: TokenVersion::V2,
            token_id,
            colour: Colour::Green,
            identity: day_key.bind(&token_id, &holder.document, CARD_ISSUED),
            issued_at: NOW,
            valid_until: end_of_hk_day(NOW),
        };
        let text = token::sign(key, &claims)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_text();
        (Checker::new(trust, testkeys::identity_keys(NOW)), text)
    }

    #[test]
    fn a_code_of_a_production_key_is_plainly_valid_and_not_a_specimen() {
        let (checker, text) = checker_and_code(&production_key());
        let verdict = checker.check_text("t", &text, None, NOW);
        assert!(verdict.is_valid(), "{verdict:?}");
        assert!(!verdict.is_specimen());
        assert_eq!(verdict.identity(), Identity::Unchecked);
    }

    #[test]
    fn a_specimen_is_refused_unless_a_drill_accepts_it() {
        let (checker, text) = checker_and_code(&testkeys::issuer(Region::HongKong, "a"));
        let refused = checker.check_text("t", &text, None, NOW);
        assert_eq!(refused.error_code(), Some(ErrorCode::Specimen));
        assert!(refused.is_specimen());
        let drill = checker.accepting_specimens(true);
        let accepted = drill.check_text("t", &text, None, NOW);
        assert!(accepted.is_valid(), "{accepted:?}");
        assert!(accepted.is_specimen());
    }

    #[test]
    fn the_holders_document_matches_and_anothers_does_not() {
        let (checker, text) = checker_and_code(&production_key());
        assert!(checker.can_check_identity());
        let holder = checker.check_text("t", &text, Some(&presented("HKID:A123456(3)")), NOW);
        assert_eq!(
            (holder.is_valid(), holder.identity()),
            (true, Identity::Match)
        );
        let other = checker.check_text("t", &text, Some(&presented("PERMIT:H12345678")), NOW);
        assert_eq!(
            (other.error_code(), other.identity()),
            (Some(ErrorCode::IdentityMismatch), Identity::Mismatch)
        );
        // Asked to check a document without the key to do it: not valid, never a guess.
        let blind = Checker::new(checker.trust().clone(), IdentityKeyring::default());
        assert!(!blind.can_check_identity());
        let unchecked = blind.check_text("t", &text, Some(&presented("HKID:A123456(3)")), NOW);
        assert_eq!(
            (unchecked.error_code(), unchecked.identity()),
            (Some(ErrorCode::IdentityUnavailable), Identity::Unchecked)
        );
        let undated = Presented {
            date_of_issue: None,
            ..presented("HKID:A123456(3)")
        };
        let unchecked = checker.check_text("t", &text, Some(&undated), NOW);
        assert_eq!(unchecked.error_code(), Some(ErrorCode::IdentityUnavailable));
        assert!(
            unchecked
                .refusal()
                .is_some_and(|r| r.message.contains("date of issue")),
            "{unchecked:?}"
        );
    }

    #[test]
    fn the_trust_list_expires_after_its_last_second_for_every_input() {
        let (checker, text) = checker_and_code(&production_key());
        let expiry = checker.trust().expires_at();
        assert!(!checker.trust_expired(expiry));
        assert!(checker.trust_expired(expiry + Duration::seconds(1)));
        assert!(!checker.trust_expired(expiry - Duration::seconds(1)));
        let late = expiry + Duration::seconds(1);
        let verdict = checker.check_text("t", &text, None, late);
        assert_eq!(verdict.error_code(), Some(ErrorCode::TrustListExpired));
        let photo = checker.check_image("p", b"not an image", None, late);
        assert_eq!(photo.error_code(), Some(ErrorCode::TrustListExpired));
        assert!(
            verdict
                .refusal()
                .is_some_and(|r| r.message.contains("trust list expired")),
            "{verdict:?}"
        );
    }
}

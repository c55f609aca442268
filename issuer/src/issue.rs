//! From a colour and an ID document to a signed token.

use healthcode_keys::{
    BindingMemory, Claims, Colour, IdDocument, IdentityBinding, IdentityMasterKey, IssuerSecretKey,
    TokenId, TokenVersion, UnverifiedToken,
    hktime::{end_of_hk_day, hk_date, whole_seconds},
    token,
};
use rand::{CryptoRng, RngCore};
use time::{Date, OffsetDateTime};

use crate::Error;

/// The holder a code is made for, as their card reads.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Type and number.
    pub document: IdDocument,
    /// The card's date of issue, which version 2 codes bind.
    pub date_of_issue: Date,
}

/// A new token id bound to its holder: the slow part of issuing (one
/// Argon2id evaluation), done before any lock is taken.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    token_id: TokenId,
    identity: IdentityBinding,
    issued_at: OffsetDateTime,
}

/// `holder`'s binding to the fresh `token_id` under the key of the Hong Kong
/// day of `at`, derived from `master`, worked out in `memory`.
pub fn bind_holder(
    memory: &mut BindingMemory,
    token_id: TokenId,
    master: &IdentityMasterKey,
    holder: &Holder,
    at: OffsetDateTime,
) -> Bound {
    let issued_at = whole_seconds(at);
    let identity = master.day_key(hk_date(issued_at)).bind_in(
        memory,
        &token_id,
        &holder.document,
        holder.date_of_issue,
    );
    Bound {
        token_id,
        identity,
        issued_at,
    }
}

/// Signs a `colour` code for the holder `bound`, valid to 23:59:59 Hong Kong
/// time on the Hong Kong day it was bound.
///
/// # Errors
/// [`Error::Keys`] when the time is outside the token's time range.
pub fn sign_code(
    key: &IssuerSecretKey,
    colour: Colour,
    bound: &Bound,
) -> Result<UnverifiedToken, Error> {
    let claims = Claims {
        version: TokenVersion::CURRENT,
        token_id: bound.token_id,
        colour,
        identity: bound.identity,
        issued_at: bound.issued_at,
        valid_until: end_of_hk_day(bound.issued_at),
    };
    Ok(token::sign(key, &claims)?)
}

/// Binds and signs in one step: a `colour` code for `holder`, issued at `at`.
///
/// # Errors
/// As [`sign_code`].
pub fn issue_code<R: RngCore + CryptoRng>(
    rng: &mut R,
    key: &IssuerSecretKey,
    master: &IdentityMasterKey,
    colour: Colour,
    holder: &Holder,
    at: OffsetDateTime,
) -> Result<UnverifiedToken, Error> {
    let token_id = TokenId::generate(rng);
    let bound = bind_holder(&mut BindingMemory::new(), token_id, master, holder, at);
    sign_code(key, colour, &bound)
}

#[cfg(test)]
mod tests {
    use healthcode_keys::{IdentityCheck, Presented, Region, TrustList, VerifiedToken, testkeys};
    use rand::SeedableRng as _;
    use time::macros::{date, datetime};

    use super::*;

    fn alice() -> Result<Holder, Error> {
        Ok(Holder {
            document: "HKID:A1234563".parse()?,
            date_of_issue: date!(2018 - 03 - 01),
        })
    }

    fn verified(token: &UnverifiedToken, at: OffsetDateTime) -> Result<VerifiedToken, Error> {
        let key = testkeys::issuer(Region::HongKong, "a");
        let trust: TrustList = testkeys::verified_trust_list(
            datetime!(2022-12-09 00:00 UTC),
            &[(&key, healthcode_keys::KeyStatus::Active)],
            at,
        );
        Ok(token.verify(&trust, at)?)
    }

    #[test]
    fn a_checkpoint_with_the_days_key_finds_the_holder_and_only_the_holder() -> Result<(), Error> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let key = testkeys::issuer(Region::HongKong, "a");
        let at = datetime!(2022-12-10 01:00 UTC);
        let holder = alice()?;
        let token = issue_code(
            &mut rng,
            &key,
            &testkeys::identity_master(),
            Colour::Green,
            &holder,
            at,
        )?;
        assert!(token.to_text().starts_with("HC2:"));
        let code = verified(&token, at)?;
        let keys = testkeys::identity_keys(at);
        let shown = |document: &IdDocument, date_of_issue| Presented {
            document: document.clone(),
            date_of_issue: Some(date_of_issue),
        };
        assert_eq!(
            keys.check(&code, &shown(&holder.document, holder.date_of_issue)),
            IdentityCheck::Match
        );
        assert_eq!(
            keys.check(&code, &shown(&holder.document, date!(2019 - 03 - 01))),
            IdentityCheck::Mismatch
        );
        Ok(())
    }

    #[test]
    fn valid_until_is_the_end_of_the_hong_kong_day() -> Result<(), Error> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let key = testkeys::issuer(Region::HongKong, "a");
        // 00:30 on 11 December in Hong Kong.
        let at = datetime!(2022-12-10 16:30:00.25 UTC);
        let master = testkeys::identity_master();
        let token = issue_code(&mut rng, &key, &master, Colour::Amber, &alice()?, at)?;
        let claims = token.insecure_claims();
        assert_eq!(claims.valid_until, datetime!(2022-12-11 23:59:59 +8));
        assert_eq!(claims.issued_at, datetime!(2022-12-10 16:30 UTC));
        assert_eq!(claims.colour, Colour::Amber);
        Ok(())
    }

    #[test]
    fn two_codes_of_one_person_are_unlinkable() -> Result<(), Error> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        let key = testkeys::issuer(Region::HongKong, "a");
        let at = datetime!(2022-12-10 01:00 UTC);
        let master = testkeys::identity_master();
        let a = issue_code(&mut rng, &key, &master, Colour::Green, &alice()?, at)?;
        let b = issue_code(&mut rng, &key, &master, Colour::Green, &alice()?, at)?;
        assert_ne!(a.token_id(), b.token_id());
        assert_ne!(a.insecure_claims().identity, b.insecure_claims().identity);
        Ok(())
    }
}

//! From a colour and an ID document to a signed token.

use healthcode_keys::{
    Claims, Colour, IdDocument, IdentityKey, IssuerSecretKey, TokenId, UnverifiedToken,
    hktime::{end_of_hk_day, whole_seconds},
    token,
};
use rand::{CryptoRng, RngCore};
use time::OffsetDateTime;

use crate::Error;

/// Signs a `colour` code for the holder of `document`, issued at `at` and
/// valid to 23:59:59 Hong Kong time on the Hong Kong day of `at`.
///
/// The token id comes from `rng`; the identity binding is keyed by
/// `identity_key`, so the token reveals nothing of the document without it.
///
/// # Errors
/// [`Error::Keys`] when `at` is outside the token's time range.
pub fn issue_code<R: RngCore + CryptoRng>(
    rng: &mut R,
    key: &IssuerSecretKey,
    identity_key: &IdentityKey,
    colour: Colour,
    document: &IdDocument,
    at: OffsetDateTime,
) -> Result<UnverifiedToken, Error> {
    let issued_at = whole_seconds(at);
    let token_id = TokenId::generate(rng);
    let claims = Claims {
        token_id,
        colour,
        identity: identity_key.bind(&token_id, document),
        issued_at,
        valid_until: end_of_hk_day(issued_at),
    };
    Ok(token::sign(key, &claims)?)
}

#[cfg(test)]
mod tests {
    use healthcode_keys::{Region, testkeys};
    use rand::SeedableRng as _;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn valid_until_is_the_end_of_the_hong_kong_day() -> Result<(), Error> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let key = testkeys::issuer(Region::HongKong, "a");
        let doc: IdDocument = "HKID:A1234563".parse()?;
        // 00:30 on 11 December in Hong Kong.
        let at = datetime!(2022-12-10 16:30:00.25 UTC);
        let token = issue_code(
            &mut rng,
            &key,
            &testkeys::identity(),
            Colour::Amber,
            &doc,
            at,
        )?;
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
        let doc: IdDocument = "HKID:A1234563".parse()?;
        let at = datetime!(2022-12-10 01:00 UTC);
        let a = issue_code(
            &mut rng,
            &key,
            &testkeys::identity(),
            Colour::Green,
            &doc,
            at,
        )?;
        let b = issue_code(
            &mut rng,
            &key,
            &testkeys::identity(),
            Colour::Green,
            &doc,
            at,
        )?;
        assert_ne!(a.token_id(), b.token_id());
        assert_ne!(a.insecure_claims().identity, b.insecure_claims().identity);
        Ok(())
    }
}

//! The edges of every rule the keys crate enforces, each on both sides: the
//! key validity window, the trust list's clock skew and size, the identity
//! key on disk, specimens, the token's length and times, ID documents.
//! (Found blind by a mutation run; see docs/testing.md.)

use healthcode_keys::{
    Claims, Colour, Error, IdDocument, IdentityBinding, IdentityKey, IssuerPublicKey,
    IssuerSecretKey, KeyId, KeyStatus, Region, SecretKey, SignedTrustList, TokenId, TrustEntry,
    TrustListBody, UnverifiedToken,
    hktime::{CLOCK_SKEW, end_of_hk_day},
    identity::DocumentProblem,
    testkeys,
    token::{self, MAX_TEXT_LEN, PREFIX_LEN, TEXT_LEN, TokenVersion, looks_like_token},
    trust::{DEFAULT_LIFETIME, MAX_KEYS, TrustListProblem},
};
use rand::SeedableRng as _;
use time::{Duration, OffsetDateTime, macros::datetime};

const SECOND: Duration = Duration::SECOND;

/// A key of `region` named `name`, usable from `not_before` to `not_after`.
fn key(
    name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    test: bool,
) -> IssuerSecretKey {
    IssuerSecretKey::from_secret(
        SecretKey::from_bytes(&testkeys::seed(name)),
        Region::HongKong,
        not_before,
        not_after,
        test,
    )
}

/// A token signed by `key`, issued at `at` and valid to the end of that day.
fn token(key: &IssuerSecretKey, at: OffsetDateTime) -> UnverifiedToken {
    let claims = Claims {
        version: TokenVersion::CURRENT,
        token_id: TokenId::from_bytes([7; 12]),
        colour: Colour::Green,
        identity: IdentityBinding::from_bytes([0; 16]),
        issued_at: at,
        valid_until: end_of_hk_day(at),
    };
    token::sign(key, &claims).unwrap_or_else(|e| panic!("{e}"))
}

/// Verifies `token` at `now` against a fresh list holding `key`.
fn verify(
    key: &IssuerSecretKey,
    token: &UnverifiedToken,
    now: OffsetDateTime,
) -> Result<bool, Error> {
    let list =
        testkeys::verified_trust_list(now - Duration::hours(1), &[(key, KeyStatus::Active)], now);
    token.verify(&list, now).map(|v| v.is_specimen())
}

#[test]
fn a_key_vouches_for_tokens_issued_from_its_first_to_its_last_second() {
    let (from, to) = (
        datetime!(2022-06-01 00:00 UTC),
        datetime!(2022-06-30 12:00 UTC),
    );
    let key = key("window", from, to, true);
    for at in [from, to] {
        assert!(verify(&key, &token(&key, at), at).is_ok(), "at {at}");
    }
    for at in [from - SECOND, to + SECOND] {
        let result = verify(&key, &token(&key, at), at);
        assert!(
            matches!(result, Err(Error::KeyNotValidAtIssue { .. })),
            "at {at}: {result:?}"
        );
    }
    // The same window decides whether the issuer may sign.
    assert!(key.check_can_sign_at(from).is_ok() && key.check_can_sign_at(to).is_ok());
    assert!(key.check_can_sign_at(from - SECOND).is_err());
    assert!(key.check_can_sign_at(to + SECOND).is_err());
}

#[test]
fn only_a_test_key_makes_a_specimen() {
    let (from, to) = (
        datetime!(2022-01-01 00:00 UTC),
        datetime!(2030-01-01 00:00 UTC),
    );
    let at = datetime!(2022-12-10 01:00 UTC);
    let production = key("production", from, to, false);
    assert_eq!(
        verify(&production, &token(&production, at), at).ok(),
        Some(false)
    );
    assert!(!TrustEntry::new(production.public(), KeyStatus::Active).is_test());
    let test = key("test", from, to, true);
    assert_eq!(verify(&test, &token(&test, at), at).ok(), Some(true));
    assert!(TrustEntry::new(test.public(), KeyStatus::Active).is_test());
}

#[test]
fn a_trust_list_from_the_near_future_is_accepted_within_the_clock_skew_only() {
    let issued = datetime!(2022-12-10 00:00 UTC);
    let hk = testkeys::issuer(Region::HongKong, "a");
    let list = testkeys::trust_list(1, issued, &[(&hk, KeyStatus::Active)]);
    let root = testkeys::root().public();
    assert!(
        list.verify(&root, issued - CLOCK_SKEW).is_ok(),
        "the skew itself"
    );
    assert!(matches!(
        list.verify(&root, issued - CLOCK_SKEW - SECOND),
        Err(Error::ClockBeforeTrustList { .. })
    ));
    // And it lives exactly its lifetime.
    assert!(list.verify(&root, issued + DEFAULT_LIFETIME).is_ok());
    assert!(matches!(
        list.verify(&root, issued + DEFAULT_LIFETIME + SECOND),
        Err(Error::TrustListExpired { .. })
    ));
}

fn body(keys: Vec<TrustEntry>) -> TrustListBody {
    TrustListBody::new(
        1,
        datetime!(2022-12-10 00:00 UTC),
        DEFAULT_LIFETIME,
        testkeys::root().public().kid,
        keys,
    )
}

#[test]
fn a_key_to_revoke_must_be_in_the_list() {
    let a = testkeys::issuer(Region::HongKong, "a");
    let b = testkeys::issuer(Region::HongKong, "b");
    let keys: Vec<IssuerPublicKey> = vec![a.public().clone(), b.public().clone()];
    let at = datetime!(2022-12-10 00:00 UTC);
    let root = testkeys::root().public().kid;
    let made = TrustListBody::from_keys(1, at, DEFAULT_LIFETIME, root, &keys, &[b.kid()])
        .unwrap_or_else(|e| panic!("{e}"));
    let status = |kid: KeyId| made.keys.iter().find(|k| k.kid == kid).map(|k| k.status);
    assert_eq!(status(a.kid()), Some(KeyStatus::Active));
    assert_eq!(status(b.kid()), Some(KeyStatus::Revoked));
    // A typo would leave a leaked key trusted: refused.
    let typo = KeyId::from_bytes([0xde, 0xad, 0xbe, 0xef]);
    let refused = TrustListBody::from_keys(1, at, DEFAULT_LIFETIME, root, &keys, &[typo]);
    assert!(matches!(
        refused,
        Err(Error::TrustListInvalid(TrustListProblem::RevokedKeyNotListed { kid })) if kid == typo
    ));
}

#[test]
fn a_key_whose_validity_ends_before_it_starts_is_refused() {
    let reversed = key(
        "reversed",
        datetime!(2022-06-30 00:00 UTC),
        datetime!(2022-06-01 00:00 UTC),
        true,
    );
    let signed = SignedTrustList::sign(
        body(vec![TrustEntry::new(reversed.public(), KeyStatus::Active)]),
        &testkeys::root(),
    );
    assert!(matches!(
        signed,
        Err(Error::TrustListInvalid(
            TrustListProblem::ValidityReversed { .. }
        ))
    ));
    // A key of one instant is a window, not a reversal.
    let instant = datetime!(2022-06-01 00:00 UTC);
    let single = key("instant", instant, instant, true);
    let signed = SignedTrustList::sign(
        body(vec![TrustEntry::new(single.public(), KeyStatus::Active)]),
        &testkeys::root(),
    );
    assert!(signed.is_ok());
}

#[test]
fn a_list_holds_at_most_its_maximum_of_keys() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
    let (from, to) = (
        datetime!(2022-01-01 00:00 UTC),
        datetime!(2030-01-01 00:00 UTC),
    );
    let mut entries: Vec<TrustEntry> = (0..MAX_KEYS)
        .map(|_| {
            let key = IssuerSecretKey::generate(&mut rng, Region::Macao, from, to, true);
            TrustEntry::new(key.public(), KeyStatus::Active)
        })
        .collect();
    let root = testkeys::root();
    assert!(
        SignedTrustList::sign(body(entries.clone()), &root).is_ok(),
        "exactly the maximum"
    );
    let one_more = IssuerSecretKey::generate(&mut rng, Region::Macao, from, to, true);
    entries.push(TrustEntry::new(one_more.public(), KeyStatus::Active));
    assert!(matches!(
        SignedTrustList::sign(body(entries), &root),
        Err(Error::TrustListInvalid(TrustListProblem::TooManyKeys { count })) if count == MAX_KEYS + 1
    ));
}

#[test]
fn an_identity_key_written_and_read_back_binds_the_same() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("identity.key");
    let key = IdentityKey::generate(&mut rand_chacha::ChaCha20Rng::seed_from_u64(3));
    key.write(&path).unwrap_or_else(|e| panic!("{e}"));
    let read = IdentityKey::read(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(*read.to_bytes(), *key.to_bytes());
    let document: IdDocument = "HKID:A123456(3)".parse().unwrap_or_else(|e| panic!("{e}"));
    let id = TokenId::from_bytes([1; 12]);
    assert!(read.bind(&id, &document) == key.bind(&id, &document));
    let other = IdentityKey::generate(&mut rand_chacha::ChaCha20Rng::seed_from_u64(4));
    assert!(other.bind(&id, &document) != key.bind(&id, &document));
}

#[test]
fn an_oversized_token_text_is_refused_for_its_length_before_decoding() {
    // Room for twice a token's text, for versions to come: no more.
    let longest = format!("HC2:{}", "A".repeat(TEXT_LEN * 2));
    assert_eq!(longest.len(), MAX_TEXT_LEN);
    let too_long = format!("{longest}A");
    assert!(matches!(
        UnverifiedToken::parse(&too_long),
        Err(Error::TokenTooLong { length, .. }) if length == too_long.len()
    ));
    // Up to the limit, the text is decoded and refused for what it holds.
    assert!(!matches!(
        UnverifiedToken::parse(&longest),
        Err(Error::TokenTooLong { .. })
    ));
}

#[test]
fn a_token_may_be_valid_for_a_single_instant_but_never_less() {
    let key = testkeys::issuer(Region::HongKong, "a");
    let at = datetime!(2022-12-10 01:00 UTC);
    let signed = token(&key, at);
    let mut bytes = signed.to_bytes().to_vec();
    // valid_until (bytes 39..43) set to issued_at (35..39): one instant.
    let issued: [u8; 4] = bytes[35..39].try_into().unwrap_or_default();
    bytes[39..43].copy_from_slice(&issued);
    assert!(UnverifiedToken::from_bytes(&bytes).is_ok());
    let earlier = (u32::from_be_bytes(issued) - 1).to_be_bytes();
    bytes[39..43].copy_from_slice(&earlier);
    assert!(matches!(
        UnverifiedToken::from_bytes(&bytes),
        Err(Error::ValidUntilBeforeIssuedAt { .. })
    ));
}

#[test]
fn a_token_id_is_written_and_read_as_24_lowercase_hex_digits() {
    let id = TokenId::from_bytes([0xab; 12]);
    assert_eq!(id.to_string(), "abababababababababababab");
    assert_eq!(id.to_string().parse::<TokenId>().ok(), Some(id));
    for bad in [
        "ABABABABABABABABABABABAB",
        "abab",
        "abababababababababababab00",
        "zzzzzzzzzzzzzzzzzzzzzzzz",
    ] {
        assert!(
            matches!(bad.parse::<TokenId>(), Err(Error::InvalidTokenId { .. })),
            "{bad}"
        );
    }
}

fn problem(text: &str) -> Option<DocumentProblem> {
    match text.parse::<IdDocument>() {
        Err(Error::InvalidIdDocument { problem, .. }) => Some(problem),
        _ => None,
    }
}

#[test]
fn an_id_document_longer_than_64_characters_is_refused_for_its_length() {
    let at_limit = format!("PASSPORT-GBR:{}", "1".repeat(64 - 13));
    assert_eq!(at_limit.len(), 64);
    assert_eq!(problem(&at_limit), Some(DocumentProblem::NumberLength));
    assert_eq!(
        problem(&format!("{at_limit}1")),
        Some(DocumentProblem::TooLong)
    );
}

#[test]
fn passports_name_a_three_letter_country_written_in_any_case() {
    let doc: IdDocument = "passport-gbr:123456789"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc.normalised(), "PASSPORT-GBR:123456789");
    assert_eq!(doc.doc_type(), "PASSPORT-GBR");
    assert!(!doc.is_hkid());
    for bad in [
        "PASSPORT-GB:123456789",
        "PASSPORT-G8R:123456789",
        "PASSPORT:123456789",
        "PASSPORT-GBRX:123456789",
    ] {
        assert_eq!(
            problem(bad),
            Some(DocumentProblem::PassportCountry),
            "{bad}"
        );
    }
    let hkid: IdDocument = "HKID:A123456(3)".parse().unwrap_or_else(|e| panic!("{e}"));
    assert!(hkid.is_hkid());
    assert_eq!(hkid.doc_type(), "HKID");
    for other in ["MOID:1234567(8)", "PERMIT:H12345678"] {
        let doc: IdDocument = other.parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(!doc.is_hkid(), "{other}");
    }
}

#[test]
fn a_token_text_has_its_fixed_length_and_prefix_family() {
    let key = testkeys::issuer(Region::HongKong, "a");
    let text = token(&key, datetime!(2022-12-10 01:00 UTC)).to_text();
    assert_eq!(TEXT_LEN, 147);
    assert_eq!(text.len(), TEXT_LEN);
    assert!(looks_like_token(&text));
    for other in ["HC2:abc", "HC123:abc", "HC:abc"] {
        assert!(looks_like_token(other), "{other}");
    }
    for not_a_token in [
        "HC1234:abc",
        "HCa:abc",
        "HC1abc",
        "photo.png",
        "hc1:abc",
        "",
    ] {
        assert!(!looks_like_token(not_a_token), "{not_a_token}");
    }
}

#[test]
fn another_version_is_named_and_a_mistyped_prefix_is_a_bad_prefix() {
    let body = &token(
        &testkeys::issuer(Region::HongKong, "a"),
        datetime!(2022-12-10 01:00 UTC),
    )
    .to_text()[PREFIX_LEN..];
    assert!(matches!(
        UnverifiedToken::parse(&format!("HC3:{body}")),
        Err(Error::UnknownVersion { version: 3 })
    ));
    for mistyped in [
        format!("HC01:{body}"),
        format!("HCX:{body}"),
        format!("XX1:{body}"),
    ] {
        assert!(
            matches!(UnverifiedToken::parse(&mistyped), Err(Error::BadPrefix)),
            "{mistyped}"
        );
    }
}

#[test]
fn trailing_bytes_are_counted() {
    let bytes = token(
        &testkeys::issuer(Region::HongKong, "a"),
        datetime!(2022-12-10 01:00 UTC),
    )
    .to_bytes();
    for extra in [1usize, 5] {
        let longer = [&bytes[..], &vec![0u8; extra][..]].concat();
        assert!(matches!(
            UnverifiedToken::from_bytes(&longer),
            Err(Error::TrailingBytes { count }) if count == extra
        ));
    }
}

#[test]
fn a_token_is_signed_only_when_it_ends_no_earlier_than_it_starts() {
    let key = testkeys::issuer(Region::HongKong, "a");
    let at = datetime!(2022-12-10 01:00 UTC);
    let claims = |valid_until| Claims {
        version: TokenVersion::CURRENT,
        token_id: TokenId::from_bytes([7; 12]),
        colour: Colour::Amber,
        identity: IdentityBinding::from_bytes([0; 16]),
        issued_at: at,
        valid_until,
    };
    assert!(token::sign(&key, &claims(at)).is_ok(), "one instant");
    assert!(matches!(
        token::sign(&key, &claims(at - SECOND)),
        Err(Error::ValidUntilBeforeIssuedAt { .. })
    ));
}

#[test]
fn an_insecurely_signed_payload_is_the_token_signing_would_make() {
    let key = testkeys::issuer(Region::HongKong, "a");
    let signed = token(&key, datetime!(2022-12-10 01:00 UTC));
    let bytes = signed.to_bytes();
    let payload: [u8; token::PAYLOAD_LEN] = bytes[..token::PAYLOAD_LEN]
        .try_into()
        .unwrap_or([0; token::PAYLOAD_LEN]);
    // Ed25519 is deterministic: the same payload and key, the same bytes.
    assert_eq!(
        token::insecure_sign_payload(&key, TokenVersion::CURRENT, &payload),
        bytes
    );
}

#[test]
fn an_hkid_check_digit_needs_one_or_two_letters_then_six_digits() {
    assert_eq!(
        healthcode_keys::identity::hkid_check_digit("A123456"),
        Some('3')
    );
    for misshapen in [
        "123456",
        "ABC123456",
        "A12345",
        "A1234567",
        "A12345X",
        "a123456",
        "AB12345",
    ] {
        assert_eq!(
            healthcode_keys::identity::hkid_check_digit(misshapen),
            None,
            "{misshapen}"
        );
    }
}

#[test]
fn an_unknown_document_type_is_named_as_such() {
    for unknown in ["XYZ:123456", "HKIDX:A1234563", "DRIVER:12345678"] {
        assert_eq!(
            problem(unknown),
            Some(DocumentProblem::UnknownType),
            "{unknown}"
        );
    }
}

#[test]
fn debug_output_never_shows_secrets_or_numbers_but_says_what_it_is() {
    let document: IdDocument = "HKID:A123456(3)".parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(format!("{document:?}"), "IdDocument(HKID:<redacted>)");
    assert_eq!(
        format!("{:?}", testkeys::identity()),
        "IdentityKey(<redacted>)"
    );
    let id = TokenId::from_bytes([0xab; 12]);
    assert_eq!(format!("{id:?}"), "TokenId(abababababababababababab)");
}

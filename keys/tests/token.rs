//! The token format through the public API: round trips, every tamper, every boundary.

use healthcode_keys::{
    Claims, Colour, Error, IdDocument, IdentityCheck, IdentityKey, IdentityKeys, KeyStatus,
    Presented, Region, TokenId, TokenVersion, TrustList, UnverifiedToken,
    hktime::{end_of_hk_day, hk_date},
    presented::Unavailable,
    testkeys, token,
};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime, macros::datetime};

const ISSUED: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

fn trust(status: KeyStatus) -> TrustList {
    let hk = testkeys::issuer(Region::HongKong, "a");
    testkeys::verified_trust_list(datetime!(2022-12-09 00:00 UTC), &[(&hk, status)], ISSUED)
}

fn alice() -> IdDocument {
    "HKID:A123456(3)".parse().unwrap_or_else(|e| panic!("{e}"))
}

/// The date of issue on Alice's card.
const ALICE_ISSUED: time::Date = time::macros::date!(2018 - 03 - 01);

fn claims_at(issued_at: OffsetDateTime, colour: Colour) -> Claims {
    let token_id = TokenId::from_bytes(*b"0123456789ab");
    let day_key = testkeys::identity_master().day_key(hk_date(issued_at));
    Claims {
        version: TokenVersion::V2,
        token_id,
        colour,
        identity: day_key.bind(&token_id, &alice(), ALICE_ISSUED),
        issued_at,
        valid_until: end_of_hk_day(issued_at),
    }
}

fn claims_v1(issued_at: OffsetDateTime, colour: Colour) -> Claims {
    let token_id = TokenId::from_bytes(*b"0123456789ab");
    Claims {
        version: TokenVersion::V1,
        identity: testkeys::identity().bind(&token_id, &alice()),
        ..claims_at(issued_at, colour)
    }
}

fn sample() -> UnverifiedToken {
    token::sign(
        &testkeys::issuer(Region::HongKong, "a"),
        &claims_at(ISSUED, Colour::Green),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn code(result: Result<impl Sized, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.rejection().map_or("other", |r| r.as_str()),
    }
}

#[test]
fn round_trip_and_size() {
    let token = sample();
    let text = token.to_text();
    assert_eq!(
        token.to_bytes().len(),
        107,
        "at most 110 bytes before base64"
    );
    assert_eq!(text.len(), token::TEXT_LEN);
    assert_eq!(text.len(), 147);
    let parsed = UnverifiedToken::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.to_text(), text);
    let verified = parsed
        .verify(&trust(KeyStatus::Active), ISSUED)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(verified.claims(), &claims_at(ISSUED, Colour::Green));
    assert_eq!(verified.region(), Region::HongKong);
    assert!(verified.is_specimen(), "test keys make specimens");
    assert_eq!(
        verified.claims().valid_until,
        datetime!(2022-12-10 23:59:59 +8),
        "valid to the end of the Hong Kong day"
    );
}

#[test]
fn every_bit_flip_is_rejected() {
    let trust = trust(KeyStatus::Active);
    let bytes = sample().to_bytes();
    for position in 0..bytes.len() {
        for bit in 0..8 {
            let mut tampered = bytes;
            tampered[position] ^= 1 << bit;
            let result =
                UnverifiedToken::from_bytes(&tampered).and_then(|t| t.verify(&trust, ISSUED));
            assert!(
                result.is_err(),
                "flip of bit {bit} at byte {position} accepted"
            );
        }
    }
}

#[test]
fn every_byte_value_at_every_position_is_rejected() {
    let trust = trust(KeyStatus::Active);
    let bytes = sample().to_bytes();
    for position in 0..bytes.len() {
        for value in 0..=255u8 {
            if value == bytes[position] {
                continue;
            }
            let mut tampered = bytes;
            tampered[position] = value;
            let result =
                UnverifiedToken::from_bytes(&tampered).and_then(|t| t.verify(&trust, ISSUED));
            assert!(result.is_err(), "byte {position} set to {value} accepted");
        }
    }
}

#[test]
fn every_text_character_change_is_rejected() {
    let trust = trust(KeyStatus::Active);
    let text = sample().to_text();
    for position in 0..text.len() {
        for replacement in ['A', 'z', '0', '-', '_', '=', ' '] {
            let mut tampered: Vec<char> = text.chars().collect();
            if tampered[position] == replacement {
                continue;
            }
            tampered[position] = replacement;
            let tampered: String = tampered.into_iter().collect();
            let result = UnverifiedToken::parse(&tampered).and_then(|t| t.verify(&trust, ISSUED));
            assert!(result.is_err(), "{tampered} accepted");
        }
    }
}

#[test]
fn non_canonical_encodings_are_malformed() {
    let text = sample().to_text();
    let malformed = |t: &str| matches!(UnverifiedToken::parse(t), Err(e) if e.rejection() == Some(healthcode_keys::Rejection::Malformed));
    assert!(malformed(&format!("{text}=")), "padding");
    // 107 bytes end in a 2-byte group: the last character carries 2 spare bits.
    let last = text.chars().last().unwrap_or('A');
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap_or(0);
    let spare = &alphabet[index + 1..index + 2];
    assert!(
        malformed(&format!("{}{spare}", &text[..text.len() - 1])),
        "spare bits"
    );
    assert!(
        malformed(&text.replace('-', "+")) || !text.contains('-'),
        "standard alphabet"
    );
    assert!(malformed(&text.to_lowercase()), "case-changed");
    assert!(
        malformed(&format!("hc2:{}", &text[4..])),
        "lowercase prefix"
    );
    assert!(malformed(&format!(" {text}")), "leading space");
    assert!(malformed(&format!("{text}\n")), "trailing newline");
    assert!(malformed(""), "empty");
    assert!(malformed(&"A".repeat(100_000)), "huge");
}

#[test]
fn structural_errors_are_named() {
    let bytes = sample().to_bytes().to_vec();
    let parse = |b: &[u8]| UnverifiedToken::from_bytes(b);
    assert!(matches!(
        parse(&[&bytes[..], &[0]].concat()),
        Err(Error::TrailingBytes { count: 1 })
    ));
    assert!(matches!(
        parse(&bytes[..106]),
        Err(Error::WrongLength { actual: 106, .. })
    ));
    assert!(matches!(
        parse(&[]),
        Err(Error::WrongLength { actual: 0, .. })
    ));
    let with = |offset: usize, value: u8| {
        let mut b = bytes.clone();
        b[offset] = value;
        parse(&b)
    };
    assert!(matches!(
        with(0, 3),
        Err(Error::UnknownVersion { version: 3 })
    ));
    let unknown = |what_expected: &str, result| matches!(result, Err(Error::UnknownByte { what, .. }) if what == what_expected);
    assert!(unknown("issuer region", with(1, 4)));
    assert!(unknown("issuer region", with(1, 0)));
    assert!(unknown("colour", with(18, 0)));
    assert!(unknown("colour", with(18, 4)));
    assert!(matches!(
        with(39, 0),
        Err(Error::ValidUntilBeforeIssuedAt { .. })
    ));
    let text = sample().to_text();
    assert!(matches!(
        UnverifiedToken::parse(&text.replacen("HC2:", "HC3:", 1)),
        Err(Error::UnknownVersion { version: 3 })
    ));
    assert!(matches!(
        UnverifiedToken::parse(&text.replacen("HC2:", "XX2:", 1)),
        Err(Error::BadPrefix)
    ));
}

#[test]
fn time_boundaries() {
    let trust = trust(KeyStatus::Active);
    let token = sample();
    let valid_until = token.insecure_claims().valid_until;
    assert_eq!(
        code(token.verify(&trust, valid_until)),
        "ok",
        "valid through its last second"
    );
    assert_eq!(
        code(token.verify(&trust, valid_until + Duration::seconds(1))),
        "expired"
    );
    assert_eq!(
        code(token.verify(&trust, ISSUED - Duration::minutes(5))),
        "ok",
        "5 minutes of skew"
    );
    assert_eq!(
        code(token.verify(&trust, ISSUED - Duration::minutes(5) - Duration::seconds(1))),
        "not_yet_valid"
    );
}

#[test]
fn key_errors() {
    let token = sample();
    assert_eq!(
        code(token.verify(&trust(KeyStatus::Revoked), ISSUED)),
        "key_revoked"
    );
    let other = testkeys::issuer(Region::HongKong, "other");
    let list = testkeys::trust_list(
        1,
        datetime!(2022-12-09 00:00 UTC),
        &[(&other, KeyStatus::Active)],
    )
    .verify(&testkeys::root().public(), ISSUED)
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(token.verify(&list, ISSUED)), "unknown_key");
    // A Macao key with the same seed has another kid: region is part of the key's identity.
    let early = token::sign(
        &testkeys::issuer(Region::HongKong, "a"),
        &claims_at(datetime!(2021-12-31 23:00 UTC), Colour::Red),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let at = datetime!(2021-12-31 23:30 UTC);
    let list = testkeys::trust_list(
        1,
        datetime!(2021-12-30 00:00 UTC),
        &[(&testkeys::issuer(Region::HongKong, "a"), KeyStatus::Active)],
    )
    .verify(&testkeys::root().public(), at)
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(early.verify(&list, at)), "key_not_valid_at_issue");
}

#[test]
fn forged_signature_by_another_key_is_bad_signature() {
    // Same region and kid as the trusted key, signed by someone else.
    let trusted = sample();
    let forger = testkeys::issuer(Region::HongKong, "forger");
    let forged =
        token::sign(&forger, &claims_at(ISSUED, Colour::Green)).unwrap_or_else(|e| panic!("{e}"));
    let mut bytes = forged.to_bytes();
    bytes[2..6].copy_from_slice(&trusted.to_bytes()[2..6]);
    let result = UnverifiedToken::from_bytes(&bytes)
        .and_then(|t| t.verify(&trust(KeyStatus::Active), ISSUED));
    assert_eq!(code(result), "bad_signature");
}

fn presented(document: IdDocument, date_of_issue: Option<time::Date>) -> Presented {
    Presented {
        document,
        date_of_issue,
    }
}

#[test]
fn identity_binding_of_version_2() {
    let verified = sample()
        .verify(&trust(KeyStatus::Active), ISSUED)
        .unwrap_or_else(|e| panic!("{e}"));
    let keys = testkeys::identity_keys(ISSUED);
    let check = |document: IdDocument, issued| keys.check(&verified, &presented(document, issued));
    assert_eq!(check(alice(), Some(ALICE_ISSUED)), IdentityCheck::Match);
    let written_otherwise = "hkid:a1234563".parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        check(written_otherwise, Some(ALICE_ISSUED)),
        IdentityCheck::Match
    );
    let bob: IdDocument = "HKID:K100008A".parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check(bob, Some(ALICE_ISSUED)), IdentityCheck::Mismatch);
    let other_date = ALICE_ISSUED.next_day();
    assert_eq!(check(alice(), other_date), IdentityCheck::Mismatch);
    assert_eq!(
        check(alice(), None),
        IdentityCheck::Unavailable(Unavailable::NoDateOfIssue)
    );
    // A checkpoint given next week's keys cannot check today's code, and says so.
    let next_week = testkeys::identity_keys(ISSUED + Duration::days(7));
    assert_eq!(
        next_week.check(&verified, &presented(alice(), Some(ALICE_ISSUED))),
        IdentityCheck::Unavailable(Unavailable::NoDayKey {
            day: hk_date(ISSUED)
        })
    );
    let v1_only = IdentityKeys {
        v1: Some(testkeys::identity()),
        days: None,
    };
    assert!(matches!(
        v1_only.check(&verified, &presented(alice(), Some(ALICE_ISSUED))),
        IdentityCheck::Unavailable(Unavailable::NoDayKey { .. })
    ));
}

#[test]
fn identity_binding_of_version_1() {
    let token = token::sign(
        &testkeys::issuer(Region::HongKong, "a"),
        &claims_v1(ISSUED, Colour::Green),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(token.to_text().starts_with("HC1:"));
    let verified = UnverifiedToken::parse(&token.to_text())
        .and_then(|t| t.verify(&trust(KeyStatus::Active), ISSUED))
        .unwrap_or_else(|e| panic!("{e}"));
    let keys = testkeys::identity_keys(ISSUED);
    // A version 1 code binds the number only: the date of issue does not matter.
    assert_eq!(
        keys.check(&verified, &presented(alice(), None)),
        IdentityCheck::Match
    );
    let bob: IdDocument = "HKID:K100008A".parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        keys.check(&verified, &presented(bob, None)),
        IdentityCheck::Mismatch
    );
    let other_key = IdentityKeys {
        v1: Some(IdentityKey::from_bytes(&[9; 32])),
        days: None,
    };
    assert_eq!(
        other_key.check(&verified, &presented(alice(), None)),
        IdentityCheck::Mismatch
    );
    let days_only = IdentityKeys {
        v1: None,
        ..testkeys::identity_keys(ISSUED)
    };
    assert_eq!(
        days_only.check(&verified, &presented(alice(), None)),
        IdentityCheck::Unavailable(Unavailable::NoV1Key)
    );
}

#[test]
fn the_prefix_and_the_version_byte_must_agree() {
    let v2 = sample();
    let text = v2.to_text();
    assert!(text.starts_with("HC2:"), "{text}");
    let relabelled = format!("HC1:{}", &text[4..]);
    assert!(matches!(
        UnverifiedToken::parse(&relabelled),
        Err(Error::VersionMismatch { prefix: 1, byte: 2 })
    ));
    assert_eq!(code(UnverifiedToken::parse(&relabelled)), "malformed");
    // A version 2 payload signed under the version 1 domain does not verify.
    let mut payload = [0u8; token::PAYLOAD_LEN];
    payload.copy_from_slice(&v2.to_bytes()[..token::PAYLOAD_LEN]);
    let key = testkeys::issuer(Region::HongKong, "a");
    let cross = token::insecure_sign_payload(&key, TokenVersion::V1, &payload);
    let result = UnverifiedToken::from_bytes(&cross)
        .and_then(|t| t.verify(&trust(KeyStatus::Active), ISSUED));
    assert_eq!(code(result), "bad_signature");
}

proptest! {
    #[test]
    fn encode_decode_round_trips(
        id in any::<[u8; 12]>(),
        binding in any::<[u8; 16]>(),
        colour in prop_oneof![Just(Colour::Green), Just(Colour::Amber), Just(Colour::Red)],
        issued in 0u32..u32::MAX / 2,
        span in 0u32..200_000,
        version in prop_oneof![Just(TokenVersion::V1), Just(TokenVersion::V2)],
    ) {
        let claims = Claims {
            version,
            token_id: TokenId::from_bytes(id),
            colour,
            identity: healthcode_keys::IdentityBinding::from_bytes(binding),
            issued_at: healthcode_keys::hktime::from_u32_seconds(issued),
            valid_until: healthcode_keys::hktime::from_u32_seconds(issued + span),
        };
        let token = token::sign(&testkeys::issuer(Region::Macao, "p"), &claims).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed = UnverifiedToken::parse(&token.to_text()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.insecure_claims(), &claims);
        prop_assert_eq!(parsed.region(), Region::Macao);
        prop_assert_eq!(parsed.to_bytes(), token.to_bytes());
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = UnverifiedToken::parse(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = UnverifiedToken::from_bytes(&bytes);
    }
}

//! The trust list through the public API: signatures, freshness, rollback, strict parsing.

use healthcode_keys::{Error, KeyStatus, Region, RootSecretKey, SignedTrustList, testkeys};
use time::{Duration, macros::datetime};

fn list(seq: u64) -> SignedTrustList {
    let hk = testkeys::issuer(Region::HongKong, "a");
    testkeys::trust_list(
        seq,
        datetime!(2022-12-09 00:00 UTC),
        &[(&hk, KeyStatus::Active)],
    )
}

#[test]
fn json_round_trip_verifies() {
    let text = list(3).to_json();
    let parsed = SignedTrustList::from_json(&text).unwrap_or_else(|e| panic!("{e}"));
    let verified = parsed
        .verify(&testkeys::root().public(), datetime!(2022-12-10 00:00 UTC))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(verified.seq(), 3);
    assert_eq!(
        verified.expires_at(),
        datetime!(2022-12-16 00:00 UTC),
        "7 days by default"
    );
}

#[test]
fn changed_content_breaks_the_signature() {
    let root = testkeys::root().public();
    let now = datetime!(2022-12-10 00:00 UTC);
    let mut tampered = list(1);
    tampered.trust_list.keys[0].status = KeyStatus::Revoked;
    assert!(matches!(
        tampered.verify(&root, now),
        Err(Error::TrustListBadSignature)
    ));
    let mut tampered = list(1);
    tampered.trust_list.seq = 9;
    assert!(matches!(
        tampered.verify(&root, now),
        Err(Error::TrustListBadSignature)
    ));
    let mut tampered = list(1);
    tampered.trust_list.expires_at += Duration::days(30);
    assert!(matches!(
        tampered.verify(&root, now),
        Err(Error::TrustListBadSignature)
    ));
    let mut tampered = list(1);
    tampered.trust_list.keys[0].test = false;
    assert!(matches!(
        tampered.verify(&root, now),
        Err(Error::TrustListBadSignature)
    ));
    let mut tampered = list(1);
    tampered.signature = "AAAA".into();
    assert!(matches!(
        tampered.verify(&root, now),
        Err(Error::TrustListBadSignature)
    ));
}

#[test]
fn another_root_is_refused() {
    let other = RootSecretKey::from_secret(healthcode_keys::SecretKey::from_bytes(&[5; 32]));
    let result = list(1).verify(&other.public(), datetime!(2022-12-10 00:00 UTC));
    assert!(matches!(result, Err(Error::TrustListWrongRoot { .. })));
}

#[test]
fn freshness_and_clock() {
    let root = testkeys::root().public();
    let list = list(1);
    assert!(matches!(
        list.verify(&root, datetime!(2022-12-16 00:00:01 UTC)),
        Err(Error::TrustListExpired { .. })
    ));
    assert!(list.verify(&root, datetime!(2022-12-16 00:00 UTC)).is_ok());
    assert!(matches!(
        list.verify(&root, datetime!(2022-12-08 00:00 UTC)),
        Err(Error::ClockBeforeTrustList { .. })
    ));
}

#[test]
fn rollback_is_refused() {
    let root = testkeys::root().public();
    let verified = list(4)
        .verify(&root, datetime!(2022-12-10 00:00 UTC))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(verified.check_not_older_than(None).is_ok());
    assert!(verified.check_not_older_than(Some(4)).is_ok());
    assert!(matches!(
        verified.check_not_older_than(Some(5)),
        Err(Error::TrustListRollback { seq: 4, held: 5 })
    ));
}

#[test]
fn unknown_fields_and_duplicates_are_refused() {
    let text = list(1)
        .to_json()
        .replacen("\"seq\"", "\"extra\": 1, \"seq\"", 1);
    assert!(matches!(
        SignedTrustList::from_json(&text),
        Err(Error::Json { .. })
    ));
    let text = list(1)
        .to_json()
        .replacen("\"status\"", "\"note\": \"x\", \"status\"", 1);
    assert!(matches!(
        SignedTrustList::from_json(&text),
        Err(Error::Json { .. })
    ));
    let hk = testkeys::issuer(Region::HongKong, "a");
    let root = testkeys::root();
    let entry = healthcode_keys::TrustEntry::new(hk.public(), KeyStatus::Active);
    let body = healthcode_keys::TrustListBody::new(
        1,
        datetime!(2022-12-09 00:00 UTC),
        Duration::days(7),
        root.public().kid,
        vec![entry.clone(), entry],
    );
    assert!(matches!(
        SignedTrustList::sign(body, &root),
        Err(Error::TrustListInvalid { .. })
    ));
    assert!(SignedTrustList::from_json("{").is_err());
    assert!(SignedTrustList::from_json("[]").is_err());
}

//! Deterministic TEST-ONLY keys for test vectors, tests, benchmarks and demos.
//!
//! Every key here is derived from a public label, so anyone can recompute it:
//! they are marked `test` (codes they sign show as SPECIMEN) and must never
//! sign a real code.

use sha2::{Digest, Sha256};
use time::{OffsetDateTime, macros::datetime};

use crate::{
    IdentityKey, IdentityMasterKey, IssuerSecretKey, KeyStatus, Region, RootSecretKey, SecretKey,
    SignedTrustList, TrustEntry, TrustListBody,
};

/// The phrase every test seed is derived from.
pub const LABEL: &str = "HKHC TEST-ONLY KEY, PUBLICLY KNOWN, NEVER FOR PRODUCTION";

/// 32 bytes derived from [`LABEL`] and `name`.
pub fn seed(name: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(LABEL.as_bytes());
    hash.update(b"/");
    hash.update(name.as_bytes());
    hash.finalize().into()
}

/// The test root key.
pub fn root() -> RootSecretKey {
    RootSecretKey::from_secret(SecretKey::from_bytes(&seed("root")))
}

/// A test issuer key for `region`, valid through 2022 to 2035.
pub fn issuer(region: Region, name: &str) -> IssuerSecretKey {
    IssuerSecretKey::from_secret(
        SecretKey::from_bytes(&seed(&format!("issuer/{region}/{name}"))),
        region,
        datetime!(2022-01-01 00:00 UTC),
        datetime!(2035-12-31 23:59:59 UTC),
        true,
    )
}

/// The test identity key.
pub fn identity() -> IdentityKey {
    IdentityKey::from_bytes(&seed("identity"))
}

/// The test master identity key (version 2): day keys derive from it.
pub fn identity_master() -> IdentityMasterKey {
    IdentityMasterKey::from_bytes(&seed("identity-master"))
}

/// Both test identity keys as a checkpoint holds them: the version 1 key
/// and the day keys of the week from the Hong Kong day of `from`.
pub fn identity_keys(from: time::OffsetDateTime) -> crate::IdentityKeys {
    let days = identity_master()
        .day_keys(crate::hktime::hk_date(from), 7)
        .unwrap_or_else(|e| unreachable!("seven days are a valid set: {e}"));
    crate::IdentityKeys {
        v1: Some(identity()),
        days: Some(days),
    }
}

/// A trust list signed by the test [`root`], holding `keys` with their statuses.
pub fn trust_list(
    seq: u64,
    issued_at: OffsetDateTime,
    keys: &[(&IssuerSecretKey, KeyStatus)],
) -> SignedTrustList {
    let root = root();
    let entries = keys
        .iter()
        .map(|(k, status)| TrustEntry::new(k.public(), *status))
        .collect();
    let body = TrustListBody::new(
        seq,
        issued_at,
        crate::trust::DEFAULT_LIFETIME,
        root.public().kid,
        entries,
    );
    // The test keys make a consistent body: distinct ids that match their keys.
    SignedTrustList::sign(body, &root).unwrap_or_else(|e| unreachable!("test trust list: {e}"))
}

/// The verified trust list of [`trust_list`], as a verifier holding the test
/// root would have it at `now`.
pub fn verified_trust_list(
    issued_at: OffsetDateTime,
    keys: &[(&IssuerSecretKey, KeyStatus)],
    now: OffsetDateTime,
) -> crate::TrustList {
    trust_list(1, issued_at, keys)
        .verify(&root().public(), now)
        .unwrap_or_else(|e| panic!("test trust list at {now}: {e}"))
}

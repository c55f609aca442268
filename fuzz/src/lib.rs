//! What the fuzz targets share: a verified TEST-ONLY trust list and checker,
//! the fixed instant they check at, and a store in a temporary folder.

use std::sync::OnceLock;

use healthcode_keys::{KeyStatus, Region, TrustList, testkeys};
use healthcode_verifier::Checker;
use time::{OffsetDateTime, macros::datetime};

/// The instant every target checks at (test keys and lists are valid then).
pub const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

/// A trust list holding the test HK key "a", verified at [`NOW`].
pub fn trust() -> &'static TrustList {
    static TRUST: OnceLock<TrustList> = OnceLock::new();
    TRUST.get_or_init(|| {
        let key = testkeys::issuer(Region::HongKong, "a");
        testkeys::verified_trust_list(
            datetime!(2022-12-09 00:00 UTC),
            &[(&key, KeyStatus::Active)],
            NOW,
        )
    })
}

/// A checker over [`trust`] with the test identity keys (version 1 and the day keys of `NOW`'s week).
pub fn checker() -> &'static Checker {
    static CHECKER: OnceLock<Checker> = OnceLock::new();
    CHECKER.get_or_init(|| Checker::new(trust().clone(), testkeys::identity_keys(NOW)))
}

/// A single-threaded runtime for targets that drive async code.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    })
}

/// A store in a temporary folder that lives as long as the process.
pub fn store() -> &'static healthcode_issuer::store::Store {
    static STORE: OnceLock<(tempfile::TempDir, healthcode_issuer::store::Store)> =
        OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
            let store = runtime()
                .block_on(healthcode_issuer::store::Store::open(dir.path(), None))
                .unwrap_or_else(|e| panic!("store: {e}"));
            (dir, store)
        })
        .1
}

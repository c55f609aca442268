//! Revocation snapshots and single revocations (as Redis carries them):
//! parsed and verified, never a panic.
#![no_main]

use healthcode_fuzz::{NOW, trust};
use healthcode_keys::revocation::{Revocation, SignedSnapshot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(snapshot) = SignedSnapshot::from_json(text) {
        let _ = snapshot.verify(trust(), NOW);
    }
    if let Ok(revocation) = Revocation::from_json(text) {
        assert_eq!(Revocation::from_json(&revocation.to_json()).ok(), Some(revocation));
    }
});

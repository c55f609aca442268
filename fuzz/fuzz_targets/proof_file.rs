//! An uploaded address proof straight into its checks (type sniffing, the
//! PDF active-content scan with its object-stream inflation, image headers):
//! never a panic, and an accepted proof is the bytes given.
#![no_main]

use healthcode_issuer::model::proof::Proof;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(proof) = Proof::check(data.to_vec()) {
        assert_eq!(proof.bytes, data);
    }
});

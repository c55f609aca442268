//! Trust list files: parsed and verified under the test root, never a panic.
#![no_main]

use healthcode_fuzz::NOW;
use healthcode_keys::{SignedTrustList, testkeys};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(list) = SignedTrustList::from_json(text) {
        if let Ok(trust) = list.verify(&testkeys::root().public(), NOW) {
            let _ = trust.check_not_older_than(Some(1));
        }
        let _ = list.to_json();
    }
});

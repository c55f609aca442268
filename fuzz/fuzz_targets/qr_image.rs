//! Photo bytes into the image loader and the QR decoders: never a panic,
//! never an unbounded allocation, never a valid verdict from garbage.
#![no_main]

use healthcode_fuzz::{NOW, checker};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let verdict = checker().check_image("fuzz", data, None, NOW);
    let _ = verdict.to_json();
});

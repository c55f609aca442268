//! Token text as a QR code or a typist hands it over: parsing, verifying,
//! and the whole check must never panic, and an input that is not a valid
//! token must never verify.
#![no_main]

use healthcode_fuzz::{NOW, checker, trust};
use healthcode_keys::{Presented, UnverifiedToken};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(token) = UnverifiedToken::parse(text) {
        // A round trip of whatever parses is the same text: one canonical form.
        assert_eq!(token.to_text(), text);
        let _ = token.verify(trust(), NOW);
    }
    let presented = Presented {
        document: "HKID:A123456(3)".parse().unwrap_or_else(|e| panic!("{e}")),
        date_of_issue: Some(time::macros::date!(2018 - 03 - 01)),
    };
    let verdict = checker().check_text("fuzz", text, Some(&presented), NOW);
    let _ = verdict.to_json();
});

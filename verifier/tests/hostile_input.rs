//! Untrusted input never panics: arbitrary bytes as photos, arbitrary text as
//! tokens and trust lists (proptest in place of a fuzzer on stable Rust).

use healthcode_keys::{KeyStatus, Region, SignedTrustList, testkeys};
use healthcode_verifier::Checker;
use proptest::prelude::*;
use time::macros::datetime;

fn checker() -> Checker {
    let now = datetime!(2022-12-10 01:00 UTC);
    let key = testkeys::issuer(Region::HongKong, "a");
    Checker::new(
        testkeys::verified_trust_list(
            datetime!(2022-12-09 00:00 UTC),
            &[(&key, KeyStatus::Active)],
            now,
        ),
        healthcode_keys::IdentityKeys::default(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_as_a_photo(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let report = checker().check_image("fuzz", &bytes, None, datetime!(2022-12-10 01:00 UTC));
        prop_assert!(!report.is_valid());
    }

    #[test]
    fn damaged_png_headers(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
        let bytes = [&b"\x89PNG\r\n\x1a\n"[..], &tail[..]].concat();
        let report = checker().check_image("fuzz", &bytes, None, datetime!(2022-12-10 01:00 UTC));
        prop_assert!(!report.is_valid());
    }

    #[test]
    fn arbitrary_text_as_a_token(text in "\\PC{0,400}") {
        let report = checker().check_text("fuzz", &text, None, datetime!(2022-12-10 01:00 UTC));
        prop_assert!(!report.is_valid());
    }

    #[test]
    fn arbitrary_text_as_a_trust_list(text in "\\PC{0,400}") {
        let _ = SignedTrustList::from_json(&text);
    }

    #[test]
    fn mangled_trust_list_json(cut in 0usize..2000, insert in "\\PC{0,8}") {
        let key = testkeys::issuer(Region::HongKong, "a");
        let text = testkeys::trust_list(1, datetime!(2022-12-09 00:00 UTC), &[(&key, KeyStatus::Active)]).to_json();
        let at = text.char_indices().map(|(i, _)| i).nth(cut % text.chars().count()).unwrap_or(0);
        let mangled = format!("{}{insert}{}", &text[..at], &text[at..]);
        if let Ok(list) = SignedTrustList::from_json(&mangled) {
            // Whatever still parses must still verify only if unchanged in meaning.
            let _ = list.verify(&testkeys::root().public(), datetime!(2022-12-10 00:00 UTC));
        }
    }
}

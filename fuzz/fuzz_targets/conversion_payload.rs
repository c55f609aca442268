//! A conversion payload as a partner receives it (a QR code, a file): any
//! text is opened with the partner's key and never panics; sealed bytes
//! that the issuer did not seal never open; a record that parses is one
//! canonical encoding.
#![no_main]

use healthcode_fuzz::{NOW, trust};
use healthcode_keys::{
    Region, b64,
    conversion::{ConversionRecord, PartnerSecretKey, TEXT_PREFIX, open},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let partner = PartnerSecretKey::from_seed(Region::Guangdong, [7; 32])
        .unwrap_or_else(|e| panic!("{e}"));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = open(text, &partner, trust(), NOW);
    }
    let sealed = format!("{TEXT_PREFIX}{}", b64::encode(data));
    assert!(open(&sealed, &partner, trust(), NOW).is_err());
    if let Ok(record) = ConversionRecord::from_bytes(data) {
        assert_eq!(record.to_bytes().ok().as_deref(), Some(data));
    }
});

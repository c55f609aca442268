//! A venue poster's payload as a visit record may carry it: never a panic,
//! and whatever is accepted is a valid place id.
#![no_main]

use healthcode_issuer::model::{PlaceId, poster::venue_of_poster};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(place) = venue_of_poster(text) {
        assert!(PlaceId::parse(place.as_str()).is_ok());
    }
});

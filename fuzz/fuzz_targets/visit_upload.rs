//! A visit upload body as the check-in app sends it: the JSON, then each
//! record checked on its own; never a panic, and every accepted record lies
//! in the 31-day window.
#![no_main]

use healthcode_fuzz::NOW;
use healthcode_issuer::{
    model::{VISIT_WINDOW, VisitRecord},
    service::resident_routes::VisitUpload,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(upload) = serde_json::from_slice::<VisitUpload>(data) else {
        return;
    };
    for record in upload.records {
        if let Ok(visit) = VisitRecord::check(record, NOW) {
            assert!(visit.check_in > NOW - VISIT_WINDOW && visit.check_in <= NOW);
            assert!(visit.check_out.is_none_or(|out| out >= visit.check_in && out <= NOW));
        }
    }
});

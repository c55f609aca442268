//! Feed files as operators import them, CSV and JSON, of every kind: never a
//! panic, and a file is refused whole or its rows each stored or refused.
#![no_main]

use std::path::Path;

use healthcode_fuzz::{NOW, runtime, store};
use healthcode_issuer::{
    Error,
    feeds::{
        Submitter,
        import::{Format, import_reader},
    },
    model::{Actor, FeedKind},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let kind = FeedKind::ALL[usize::from(selector % 3)];
    let format = if selector & 4 == 0 { Format::Csv } else { Format::Json };
    let actor = Actor::Staff("fuzz".into());
    let submitter = Submitter {
        actor: &actor,
        source: "fuzz",
    };
    let result = runtime().block_on(import_reader(
        store(),
        kind,
        format,
        file,
        Path::new("fuzz"),
        submitter,
        NOW,
    ));
    match result {
        Ok(summary) => assert_eq!(
            summary.stored + summary.unchanged + summary.refused.len(),
            summary.received
        ),
        Err(Error::ImportFile { .. }) => {}
        Err(other) => panic!("unexpected: {other}"),
    }
});

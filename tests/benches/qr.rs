//! QR decode + verify of 1280x720 photo-like images, beside `zbarimg` on the
//! same files in the same run.
//!
//! `cargo bench -p healthcode-tests --bench qr` (zbarimg from Debian's zbar-tools).

use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use healthcode_keys::{Colour, KeyStatus, Region, testkeys};
use healthcode_tests::photo::{Degradation, corpus};
use healthcode_verifier::Checker;
use rand::SeedableRng as _;
use time::macros::datetime;

fn bench(c: &mut Criterion) {
    let now = datetime!(2022-12-10 01:00 UTC);
    let key = testkeys::issuer(Region::HongKong, "a");
    let trust = testkeys::verified_trust_list(
        datetime!(2022-12-09 00:00 UTC),
        &[(&key, KeyStatus::Active)],
        now,
    );
    let doc = healthcode_issuer::issue::Holder {
        document: "HKID:A1234563".parse().unwrap_or_else(|e| panic!("{e}")),
        date_of_issue: time::macros::date!(2018 - 03 - 01),
    };
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let token = healthcode_issuer::issue::issue_code(
        &mut rng,
        &key,
        &testkeys::identity_master(),
        Colour::Green,
        &doc,
        now,
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .to_text();
    // TEST-ONLY keys: a drill checker, so a read photo answers valid.
    let checker =
        Checker::new(trust, healthcode_keys::IdentityKeys::default()).accepting_specimens(true);
    let photos = corpus(&token, 42, 1);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    let mut group = c.benchmark_group("photo_1280x720");
    group.sample_size(20);
    for kind in [
        Degradation::Clean,
        Degradation::Noisy,
        Degradation::Combined,
    ] {
        let photo = photos
            .iter()
            .find(|p| p.degradation == kind)
            .unwrap_or_else(|| panic!("{kind:?}"));
        let path = dir.path().join(&photo.name);
        std::fs::write(&path, &photo.jpeg).unwrap_or_else(|e| panic!("{e}"));
        let report = checker.check_image("bench", &photo.jpeg, None, now);
        assert!(
            report.is_valid(),
            "{kind:?} photo must decode for the benchmark: {report:?}"
        );
        group.bench_function(format!("{}/decode_and_verify", kind.name()), |b| {
            b.iter(|| {
                checker
                    .check_image("bench", std::hint::black_box(&photo.jpeg), None, now)
                    .is_valid()
            })
        });
        group.bench_function(format!("{}/zbarimg_process", kind.name()), |b| {
            b.iter(|| {
                Command::new("zbarimg")
                    .args(["-q", "--raw"])
                    .arg(&path)
                    .output()
                    .map(|o| o.status)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! `revocation-scale`: what a checkpoint pays to hold a population's
//! revocations (issue 15). For each count it fills the verifier's
//! `RevocationSet` (the service's and the scanner's) with that many
//! revocations and reports the resident memory it took, in bytes per
//! revocation; for the snapshot count it also signs the offline snapshot
//! and reports its size (as JSON, gzip-compressed, and in the compact
//! binary form) and how long the scanner takes to parse, verify and load it;
//! then the filtered snapshot of those revocations among the codes in force
//! (a filter cascade): its size, the issuer's build time, the scanner's load
//! and lookup time, and that it answers every code exactly.
//!
//! `cargo run --release -p healthcode-verifier --example revocation_scale -- 1000000,10000000 1000000 7400000`
//! (the counts held, the snapshot's count, 0 for no snapshot, and the codes
//! in force that the filtered snapshot covers)

use std::{io::Write as _, time::Instant};

use healthcode_keys::{
    KeyStatus, Region, TokenId,
    revocation::{
        Revocation, RevocationReason, SignedSnapshot,
        filtered::{FilteredSnapshot, IssuedCode},
    },
    testkeys,
};
use healthcode_verifier::revocation::RevocationSet;
use rand::SeedableRng as _;
use time::{Duration, OffsetDateTime, macros::datetime};

const NOW: OffsetDateTime = datetime!(2022-12-10 04:00 UTC);

/// `count` revocations with random token ids (seeded), as a designation makes them.
fn revocations(count: usize, seed: u64) -> impl Iterator<Item = Revocation> {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    (0..count).map(move |i| Revocation {
        token_id: TokenId::generate(&mut rng),
        reason: RevocationReason::RiskChanged,
        revoked_at: NOW - Duration::seconds((i % 3600) as i64),
        until: datetime!(2022-12-10 15:59:59 UTC),
    })
}

/// Resident memory of this process, from /proc/self/statm.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn held(count: usize) {
    let before = resident_bytes();
    let started = Instant::now();
    let mut set = RevocationSet::default();
    set.merge(revocations(count, 1));
    let took = started.elapsed();
    let after = resident_bytes();
    assert_eq!(set.len(), count);
    println!(
        "held {count}: {:.1} MiB resident, {:.0} bytes per revocation, filled in {:.2} s",
        (after - before) as f64 / (1 << 20) as f64,
        (after - before) as f64 / count as f64,
        took.as_secs_f64()
    );
}

fn snapshot(count: usize) {
    let key = testkeys::issuer(Region::HongKong, "a");
    let trust = testkeys::trust_list(1, NOW - Duration::days(1), &[(&key, KeyStatus::Active)])
        .verify(&testkeys::root().public(), NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    let signed = SignedSnapshot::sign(&key, NOW, revocations(count, 2).collect());
    let text = signed.to_json();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let compressed = gzip.finish().unwrap_or_default().len();
    compact(&signed, &trust, count);
    drop(signed);
    let started = Instant::now();
    let parsed = SignedSnapshot::from_json(&text).unwrap_or_else(|e| panic!("{e}"));
    let parsing = started.elapsed();
    parsed.verify(&trust, NOW).unwrap_or_else(|e| panic!("{e}"));
    let verifying = started.elapsed() - parsing;
    let mut set = RevocationSet::default();
    set.merge(parsed.snapshot.revocations);
    let total = started.elapsed();
    println!(
        "snapshot of {count}: {:.1} MB as JSON ({:.0} bytes each), {:.1} MB gzip; \
         scanner load {:.2} s (parse {:.2} s, verify {:.2} s, hold {:.2} s)",
        text.len() as f64 / 1e6,
        text.len() as f64 / count as f64,
        compressed as f64 / 1e6,
        total.as_secs_f64(),
        parsing.as_secs_f64(),
        verifying.as_secs_f64(),
        (total - parsing - verifying).as_secs_f64()
    );
}

/// The compact form of the same snapshot: its size, and the scanner's load.
fn compact(signed: &SignedSnapshot, trust: &healthcode_keys::TrustList, count: usize) {
    let started = Instant::now();
    let bytes = signed.to_compact().unwrap_or_else(|e| panic!("{e}"));
    let encoding = started.elapsed();
    let started = Instant::now();
    let parsed = SignedSnapshot::from_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let parsing = started.elapsed();
    parsed.verify(trust, NOW).unwrap_or_else(|e| panic!("{e}"));
    let verifying = started.elapsed() - parsing;
    let mut set = RevocationSet::default();
    set.merge(parsed.snapshot.revocations);
    let total = started.elapsed();
    println!(
        "snapshot of {count}: {:.2} MB compact ({:.2} bytes each), encoded in {:.2} s; \
         scanner load {:.2} s (parse {:.2} s, verify {:.2} s, hold {:.2} s)",
        bytes.len() as f64 / 1e6,
        bytes.len() as f64 / count as f64,
        encoding.as_secs_f64(),
        total.as_secs_f64(),
        parsing.as_secs_f64(),
        verifying.as_secs_f64(),
        (total - parsing - verifying).as_secs_f64()
    );
}

/// `codes` codes issued over the morning, the first `revoked` of them
/// revoked; the filtered snapshot of them: size, build, load, lookups.
fn filtered(revoked: usize, codes: usize, trust: &healthcode_keys::TrustList) {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let issued: Vec<IssuedCode> = (0..codes)
        .map(|i| IssuedCode {
            token_id: TokenId::generate(&mut rng),
            issued_at: NOW - Duration::minutes(10) - Duration::seconds((i % 20_000) as i64),
        })
        .collect();
    let revocations: Vec<Revocation> = issued[..revoked]
        .iter()
        .map(|code| Revocation {
            token_id: code.token_id,
            reason: RevocationReason::RiskChanged,
            revoked_at: code.issued_at,
            until: datetime!(2022-12-10 15:59:59 UTC),
        })
        .collect();
    let key = testkeys::issuer(Region::HongKong, "a");
    let started = Instant::now();
    let snapshot = FilteredSnapshot::build(&key, NOW, &issued, revocations, 11)
        .unwrap_or_else(|e| panic!("{e}"));
    let bytes = snapshot.to_bytes();
    let building = started.elapsed();
    drop(snapshot);
    let started = Instant::now();
    let parsed = FilteredSnapshot::from_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let parsing = started.elapsed();
    parsed.verify(trust, NOW).unwrap_or_else(|e| panic!("{e}"));
    let verifying = started.elapsed() - parsing;
    let mut set = RevocationSet::default();
    set.merge(parsed.recent.iter().cloned());
    let total = started.elapsed();
    let started = Instant::now();
    let wrong = issued
        .iter()
        .enumerate()
        .filter(|(i, code)| {
            let says = parsed
                .filter
                .says_revoked(Region::HongKong, &code.token_id, code.issued_at);
            says != Some(*i < revoked)
        })
        .count();
    let per_lookup = started.elapsed().as_nanos() as f64 / codes as f64;
    assert_eq!(wrong, 0, "the cascade answered a code wrongly");
    println!(
        "filtered snapshot of {revoked} revoked among {codes} codes: {:.3} MB ({:.2} bits per \
         revocation, {} levels, {} listed), built in {:.2} s; scanner load {:.3} s (parse {:.3} s, \
         verify {:.3} s, hold {:.3} s); {:.0} ns a lookup; every code answered exactly",
        bytes.len() as f64 / 1e6,
        bytes.len() as f64 * 8.0 / revoked as f64,
        parsed.filter.cascade.level_count(),
        parsed.recent.len(),
        building.as_secs_f64(),
        total.as_secs_f64(),
        parsing.as_secs_f64(),
        verifying.as_secs_f64(),
        (total - parsing - verifying).as_secs_f64(),
        per_lookup
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |text: &str| {
        text.parse::<usize>().unwrap_or_else(|_| {
            panic!(
                "usage: revocation_scale COUNT[,COUNT...] SNAPSHOT_COUNT ({text:?} is not a count)"
            )
        })
    };
    let counts = args.first().map_or("1000000,10000000", String::as_str);
    for count in counts.split(',') {
        held(number(count));
    }
    let snapshot_count = number(args.get(1).map_or("1000000", String::as_str));
    if snapshot_count > 0 {
        snapshot(snapshot_count);
        let codes = number(args.get(2).map_or("7400000", String::as_str));
        let key = testkeys::issuer(Region::HongKong, "a");
        let trust = testkeys::trust_list(1, NOW - Duration::days(1), &[(&key, KeyStatus::Active)])
            .verify(&testkeys::root().public(), NOW)
            .unwrap_or_else(|e| panic!("{e}"));
        filtered(snapshot_count, codes.max(snapshot_count), &trust);
    }
}

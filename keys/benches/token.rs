//! Token decode + verify against the floor: raw ed25519-dalek `verify_strict`
//! of the same message, in the same run (quote the ratio, machines are noisy).
//!
//! `cargo bench -p healthcode-keys --bench token`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signature, VerifyingKey};
use healthcode_keys::{
    Claims, Colour, IdDocument, KeyStatus, Region, TokenId, TokenVersion, UnverifiedToken,
    hktime::{end_of_hk_day, hk_date},
    testkeys, token,
};
use time::macros::{date, datetime};

fn bench(c: &mut Criterion) {
    let now = datetime!(2022-12-10 01:00 UTC);
    let key = testkeys::issuer(Region::HongKong, "a");
    let trust = testkeys::verified_trust_list(
        datetime!(2022-12-09 00:00 UTC),
        &[(&key, KeyStatus::Active)],
        now,
    );
    let token_id = TokenId::from_bytes([7; 12]);
    let doc: IdDocument = "HKID:A1234563".parse().unwrap_or_else(|e| panic!("{e}"));
    let card_issued = date!(2018 - 03 - 01);
    let day_key = testkeys::identity_master().day_key(hk_date(now));
    let claims = Claims {
        version: TokenVersion::CURRENT,
        token_id,
        colour: Colour::Green,
        identity: day_key.bind(&token_id, &doc, card_issued),
        issued_at: now,
        valid_until: end_of_hk_day(now),
    };
    let signed = token::sign(&key, &claims).unwrap_or_else(|e| panic!("{e}"));
    let text = signed.to_text();
    let bytes = signed.to_bytes();

    // The floor: what any Ed25519 verifier must do for this token.
    let verifying = VerifyingKey::from_bytes(&key.public().public_key.to_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let payload: [u8; token::PAYLOAD_LEN] =
        bytes[..token::PAYLOAD_LEN].try_into().unwrap_or([0; 43]);
    let message = token::signing_message(TokenVersion::CURRENT, &payload);
    let signature =
        Signature::from_bytes(&bytes[token::PAYLOAD_LEN..].try_into().unwrap_or([0; 64]));

    let mut group = c.benchmark_group("token");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_ed25519_verify_strict", |b| {
        b.iter(|| {
            verifying
                .verify_strict(std::hint::black_box(&message), &signature)
                .is_ok()
        })
    });
    group.bench_function("decode_and_verify", |b| {
        b.iter(|| {
            UnverifiedToken::parse(std::hint::black_box(&text))
                .and_then(|t| t.verify(&trust, now))
                .is_ok()
        })
    });
    group.finish();

    // The identity binding: what a checkpoint pays per presented document,
    // and what anyone holding the key pays per guessed (document, date of
    // issue): version 1 (one HMAC) against version 2 (one Argon2id).
    let identity = testkeys::identity();
    let mut group = c.benchmark_group("identity");
    group.throughput(Throughput::Elements(1));
    group.bench_function("bind_one_document_v1", |b| {
        b.iter(|| identity.bind(std::hint::black_box(&token_id), &doc))
    });
    group.sample_size(30);
    group.bench_function("bind_one_document_v2", |b| {
        b.iter(|| day_key.bind(std::hint::black_box(&token_id), &doc, card_issued))
    });
    // As the issuer's binders (and any attacker) do: the 16 MiB used again.
    let mut memory = healthcode_keys::BindingMemory::new();
    group.bench_function("bind_one_document_v2_memory_kept", |b| {
        b.iter(|| {
            day_key.bind_in(
                &mut memory,
                std::hint::black_box(&token_id),
                &doc,
                card_issued,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

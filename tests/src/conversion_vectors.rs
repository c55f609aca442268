//! Conversion vectors: sealed payloads a partner's software opens to check
//! it reads them as ours does (`tests/vectors/conversion/`). Every key is a
//! deterministic TEST-ONLY key and every ephemeral key is fixed, so the
//! files are reproducible byte for byte (`vectors conversion --check`).
//!
//! The worked example is computed here a second time, step by step, from
//! the primitives (X25519, HKDF-SHA256, ChaCha20-Poly1305, Ed25519) as
//! docs/conversion.md describes them, and must give the library's bytes:
//! the document and the code cannot drift apart.

use std::collections::BTreeMap;

use chacha20poly1305::{
    ChaCha20Poly1305, KeyInit,
    aead::{Aead, Payload},
};
use healthcode_keys::{
    Colour, IssuerSecretKey, KeyStatus, Region, b64,
    conversion::{
        self, ConversionRecord, HEADER_LEN, MAGIC, PartnerSecretKey, SEAL_INFO, TEXT_PREFIX,
        VERSION,
    },
    hex,
    hktime::format_hk,
    testkeys,
};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, macros::datetime};

/// The code's issue time: 09:00 Hong Kong time.
const ISSUED: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);
/// When the conversion is made: 09:05 Hong Kong time.
const CONVERTED: OffsetDateTime = datetime!(2022-12-10 01:05 UTC);
/// When the partner checks it: 12:00 Hong Kong time.
const CHECKED: OffsetDateTime = datetime!(2022-12-10 04:00 UTC);

fn key(name: &str) -> IssuerSecretKey {
    testkeys::issuer(Region::HongKong, name)
}

fn partner(name: &str, region: Region) -> PartnerSecretKey {
    PartnerSecretKey::from_seed(region, testkeys::seed(&format!("partner/{name}")))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn record(name: &str, partner: Region, colour: Colour) -> ConversionRecord {
    let mut id = [0u8; 16];
    id.copy_from_slice(&testkeys::seed(&format!("conversion/{name}/id"))[..16]);
    ConversionRecord {
        conversion_id: id,
        partner,
        issuing_region: Region::HongKong,
        colour,
        document_type: "HKID".to_owned(),
        document_number: "A1234563".to_owned(),
        name: "陳大文 CHAN Tai Man".to_owned(),
        issued_at: ISSUED,
        expires_at: datetime!(2022-12-10 15:59:59 UTC),
        converted_at: CONVERTED,
    }
}

fn ephemeral(name: &str) -> [u8; 32] {
    testkeys::seed(&format!("conversion/{name}/ephemeral"))
}

fn sealed(name: &str, signer: &IssuerSecretKey, to: &PartnerSecretKey, colour: Colour) -> String {
    let record = record(name, to.region(), colour);
    conversion::insecure_seal_any_colour(signer, &record, &to.public(), ephemeral(name))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `payload` with the byte at `at` (of the sealed bytes) flipped.
fn flipped(payload: &str, at: usize) -> String {
    let mut bytes = b64::decode(&payload[TEXT_PREFIX.len()..]).unwrap_or_default();
    bytes[at] ^= 0x01;
    format!("{TEXT_PREFIX}{}", b64::encode(&bytes))
}

fn case(name: &str, description: &str, payload: &str, now: OffsetDateTime, expect: Value) -> Value {
    json!({"name": name, "description": description, "payload": payload,
           "now": format_hk(now), "expect": expect})
}

fn refused(refusal: &str) -> Value {
    json!({"accepted": false, "refusal": refusal})
}

fn cases() -> Vec<Value> {
    let (conv, gd) = (key("conversion"), partner("GD", Region::Guangdong));
    let valid = sealed("valid", &conv, &gd, Colour::Green);
    let accepted =
        json!({"accepted": true, "record": record("valid", Region::Guangdong, Colour::Green)});
    let last_second = datetime!(2022-12-10 15:59:59 UTC);
    vec![
        case(
            "valid",
            "a green code converted for Guangdong, checked at noon",
            &valid,
            CHECKED,
            accepted.clone(),
        ),
        case(
            "valid-last-second",
            "the same at 23:59:59 Hong Kong time",
            &valid,
            last_second,
            accepted,
        ),
        case(
            "expired",
            "the same one second later: the code expired at midnight",
            &valid,
            last_second + Duration::seconds(1),
            refused("expired"),
        ),
        case(
            "not-yet-valid",
            "checked an hour before it was made (beyond the 5 minutes of clock skew)",
            &valid,
            CONVERTED - Duration::hours(1),
            refused("not_yet_valid"),
        ),
        case(
            "wrong-colour",
            "an amber record, signed and sealed (the issuer never makes one)",
            &sealed("amber", &conv, &gd, Colour::Amber),
            CHECKED,
            refused("not_green"),
        ),
        case(
            "tampered-ciphertext",
            "one bit of the encrypted record flipped",
            &flipped(&valid, HEADER_LEN + 20),
            CHECKED,
            refused("tampered"),
        ),
        case(
            "tampered-tag",
            "one bit of the authentication tag flipped",
            &flipped(
                &valid,
                b64::decode(&valid[TEXT_PREFIX.len()..])
                    .unwrap_or_default()
                    .len()
                    - 1,
            ),
            CHECKED,
            refused("tampered"),
        ),
        case(
            "tampered-ephemeral-key",
            "one bit of the ephemeral public key flipped",
            &flipped(&valid, 10),
            CHECKED,
            refused("tampered"),
        ),
        case(
            "wrong-partner-key",
            "sealed to another Guangdong key",
            &sealed(
                "other-key",
                &conv,
                &partner("GD/other", Region::Guangdong),
                Colour::Green,
            ),
            CHECKED,
            refused("wrong_partner_key"),
        ),
        case(
            "sealed-to-macao",
            "sealed to Macao's key",
            &sealed("macao", &conv, &partner("MO", Region::Macao), Colour::Green),
            CHECKED,
            refused("wrong_partner_key"),
        ),
        case(
            "unknown-key",
            "signed by a Hong Kong key the trust list does not hold",
            &sealed("unknown", &key("unlisted"), &gd, Colour::Green),
            CHECKED,
            refused("unknown_key"),
        ),
        case(
            "revoked-key",
            "signed by a key the trust list revoked",
            &sealed("revoked", &key("revoked"), &gd, Colour::Green),
            CHECKED,
            refused("key_revoked"),
        ),
        case(
            "truncated",
            "three bytes: not a payload",
            "HKCV1:AAAA",
            CHECKED,
            refused("malformed"),
        ),
        case(
            "a-health-code",
            "a Hong Kong code's own text, not a conversion",
            "HC1:AQHabepZ2-KXa_bNQxYT6soLAYjkJCESc0gaOuIFHz1fyatjk9oQ",
            CHECKED,
            refused("malformed"),
        ),
    ]
}

fn hx(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// The valid case, step by step from the primitives.
fn worked_example() -> Value {
    let (conv, gd) = (key("conversion"), partner("GD", Region::Guangdong));
    let record = record("valid", Region::Guangdong, Colour::Green);
    let record_bytes = record.to_bytes().unwrap_or_else(|e| panic!("{e}"));
    let message = conversion::signing_message(conv.kid(), &record_bytes);
    let seed = testkeys::seed("issuer/HK/conversion");
    let signature =
        ed25519_dalek::Signer::sign(&ed25519_dalek::SigningKey::from_bytes(&seed), &message)
            .to_bytes();
    let mut plain = conv.kid().to_bytes().to_vec();
    plain.extend_from_slice(&record_bytes);
    plain.extend_from_slice(&signature);
    let eph_secret = x25519_dalek::StaticSecret::from(ephemeral("valid"));
    let eph_public = x25519_dalek::PublicKey::from(&eph_secret).to_bytes();
    let partner_public = gd.public().public;
    let shared = eph_secret.diffie_hellman(&x25519_dalek::PublicKey::from(partner_public));
    let salt = [eph_public, partner_public].concat();
    let mut okm = [0u8; 44];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(&salt), shared.as_bytes())
        .expand(SEAL_INFO, &mut okm)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut header = MAGIC.to_vec();
    header.extend_from_slice(&[VERSION, Region::Guangdong.to_byte()]);
    header.extend_from_slice(&gd.public().kid.to_bytes());
    header.extend_from_slice(&eph_public);
    let aead = ChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&okm[..32]));
    let ciphertext = aead
        .encrypt(
            chacha20poly1305::Nonce::from_slice(&okm[32..]),
            Payload {
                msg: &plain,
                aad: &header,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let payload = format!(
        "{TEXT_PREFIX}{}",
        b64::encode(&[header.clone(), ciphertext.clone()].concat())
    );
    assert_eq!(
        payload,
        sealed("valid", &conv, &gd, Colour::Green),
        "the steps give the library's payload"
    );
    json!({
        "conversion_key_seed": hx(&seed),
        "conversion_kid": conv.kid().to_string(),
        "partner_public_key": hx(&partner_public),
        "partner_kid": gd.public().kid.to_string(),
        "record": hx(&record_bytes),
        "signing_message": hx(&message),
        "signature": hx(&signature),
        "plaintext": hx(&plain),
        "ephemeral_secret": hx(&ephemeral("valid")),
        "ephemeral_public": hx(&eph_public),
        "shared_secret": hx(shared.as_bytes()),
        "hkdf_salt": hx(&salt),
        "aead_key": hx(&okm[..32]),
        "aead_nonce": hx(&okm[32..]),
        "header": hx(&header),
        "ciphertext_and_tag": hx(&ciphertext),
        "payload": payload,
    })
}

/// The vector files, by name.
pub fn files() -> BTreeMap<String, String> {
    let trust = testkeys::trust_list(
        1,
        ISSUED - Duration::days(1),
        &[
            (&key("conversion"), KeyStatus::Active),
            (&key("revoked"), KeyStatus::Revoked),
        ],
    );
    let parse = |text: String| serde_json::from_str::<Value>(&text).unwrap_or_default();
    let file = json!({
        "description": "Conversion payloads for Guangdong (docs/conversion.md). Every key here is TEST-ONLY.",
        "root": parse(testkeys::root().public().to_json()),
        "trust_list": parse(trust.to_json()),
        "partner": {"region": "GD", "seed": b64::encode(&testkeys::seed("partner/GD"))},
        "cases": cases(),
        "worked_example": worked_example(),
    });
    let text = serde_json::to_string_pretty(&file).unwrap_or_default() + "\n";
    BTreeMap::from([("gd.json".to_owned(), text)])
}

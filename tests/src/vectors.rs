//! Token test vectors: files that any implementation can check itself against.
//!
//! `tests/vectors/tokens/` holds `trust.json` (signed by the test root),
//! `root.public`, `TEST-ONLY-identity.key` and one JSON file per case. All keys are
//! the deterministic TEST-ONLY keys of `healthcode_keys::testkeys`, so the
//! files are reproducible byte for byte: `vectors tokens --check` proves it.

use std::{collections::BTreeMap, path::Path};

use healthcode_keys::{
    Claims, Colour, DayKeys, IssuerSecretKey, KeyStatus, Region, SecretKey, SignedTrustList,
    TokenId, TokenVersion, TrustEntry, TrustListBody, b64,
    hktime::{end_of_hk_day, format_hk, hk_date, parse_date},
    testkeys, token,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, macros::datetime};

/// One case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// Short name (also the file name).
    pub name: String,
    /// What the case is about.
    pub description: String,
    /// The token text, as a QR code would carry it.
    pub token: String,
    /// The checking instant (RFC 3339).
    pub now: String,
    /// The ID document presented with the code, if any.
    pub id_doc: Option<String>,
    /// The date of issue presented with the document (`YYYY-MM-DD`), if any:
    /// version 2 codes bind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_issue: Option<String>,
    /// The expected result.
    pub expect: Expect,
}

/// What a verifier must answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The code is valid (and, if checked, matches the holder).
    pub valid: bool,
    /// A test key signed it.
    pub specimen: bool,
    /// The colour, when the signature verified.
    pub colour: Option<Colour>,
    /// `match`, `mismatch` or `unchecked`.
    pub identity: String,
    /// The error code, or `None`.
    pub error: Option<String>,
}

/// Seconds of the vectors' reference issue time.
const ISSUED: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

/// A token id derived from a case name, so the files are reproducible.
fn token_id(name: &str) -> TokenId {
    let seed = testkeys::seed(&format!("vector/{name}"));
    let mut id = [0u8; TokenId::LEN];
    id.copy_from_slice(&seed[..TokenId::LEN]);
    TokenId::from_bytes(id)
}

struct Keys {
    hk: IssuerSecretKey,
    mo: IssuerSecretKey,
    revoked: IssuerSecretKey,
    retired: IssuerSecretKey,
    unlisted: IssuerSecretKey,
}

fn keys() -> Keys {
    let retired = IssuerSecretKey::from_secret(
        SecretKey::from_bytes(&testkeys::seed("issuer/HK/retired")),
        Region::HongKong,
        datetime!(2022-01-01 00:00 UTC),
        datetime!(2022-06-30 23:59:59 UTC),
        true,
    );
    Keys {
        hk: testkeys::issuer(Region::HongKong, "a"),
        mo: testkeys::issuer(Region::Macao, "a"),
        revoked: testkeys::issuer(Region::HongKong, "revoked"),
        retired,
        unlisted: testkeys::issuer(Region::HongKong, "unlisted"),
    }
}

/// The vectors' trust list: issued 2022-12-01, valid 30 days.
pub fn trust_list() -> SignedTrustList {
    let k = keys();
    let root = testkeys::root();
    let entries = vec![
        TrustEntry::new(k.hk.public(), KeyStatus::Active),
        TrustEntry::new(k.mo.public(), KeyStatus::Active),
        TrustEntry::new(k.revoked.public(), KeyStatus::Revoked),
        TrustEntry::new(k.retired.public(), KeyStatus::Active),
    ];
    let body = TrustListBody::new(
        1,
        datetime!(2022-12-01 00:00 UTC),
        Duration::days(30),
        root.public().kid,
        entries,
    );
    SignedTrustList::sign(body, &root).unwrap_or_else(|e| unreachable!("vector trust list: {e}"))
}

const ALICE: &str = "HKID:A123456(3)";
/// The date of issue on Alice's card.
const ALICE_ISSUED: &str = "2018-03-01";

/// The Hong Kong days whose keys `TEST-ONLY-identity-days.key` holds: the
/// week from the reference issue day.
const DAY_KEYS_HELD: usize = 7;

/// The day keys of the vectors: the week from the reference issue day.
pub fn day_keys() -> DayKeys {
    testkeys::identity_master()
        .day_keys(hk_date(ISSUED), DAY_KEYS_HELD)
        .unwrap_or_else(|e| unreachable!("{e}"))
}

/// Claims of a version 2 code of Alice's.
fn claims_v2(name: &str, colour: Colour, issued_at: OffsetDateTime) -> Claims {
    let token_id = token_id(name);
    let doc = ALICE.parse().unwrap_or_else(|e| unreachable!("{e}"));
    let issued = parse_date(ALICE_ISSUED).unwrap_or_else(|e| unreachable!("{e}"));
    let day_key = testkeys::identity_master().day_key(hk_date(issued_at));
    Claims {
        version: TokenVersion::V2,
        identity: day_key.bind(&token_id, &doc, issued),
        ..claims(name, colour, issued_at)
    }
}

/// Claims of a version 1 code of Alice's.
fn claims(name: &str, colour: Colour, issued_at: OffsetDateTime) -> Claims {
    let token_id = token_id(name);
    let doc = ALICE.parse().unwrap_or_else(|e| unreachable!("{e}"));
    Claims {
        version: TokenVersion::V1,
        token_id,
        colour,
        identity: testkeys::identity().bind(&token_id, &doc),
        issued_at,
        valid_until: end_of_hk_day(issued_at),
    }
}

fn signed(key: &IssuerSecretKey, claims: &Claims) -> Vec<u8> {
    token::sign(key, claims)
        .unwrap_or_else(|e| unreachable!("{e}"))
        .to_bytes()
        .to_vec()
}

/// The text form of a version 1 token's bytes (whatever its version byte says).
fn text(bytes: &[u8]) -> String {
    format!("HC1:{}", b64::encode(bytes))
}

/// The text form of a version 2 token's bytes.
fn text_v2(bytes: &[u8]) -> String {
    format!("HC2:{}", b64::encode(bytes))
}

struct Case {
    name: &'static str,
    description: &'static str,
    token: String,
    now: OffsetDateTime,
    id_doc: Option<&'static str>,
    date_of_issue: Option<&'static str>,
    expect: Expect,
}

fn ok(colour: Colour, identity: &str) -> Expect {
    Expect {
        valid: true,
        specimen: true,
        colour: Some(colour),
        identity: identity.into(),
        error: None,
    }
}

fn err(code: &str, colour: Option<Colour>) -> Expect {
    Expect {
        valid: false,
        specimen: colour.is_some(),
        colour,
        identity: "unchecked".into(),
        error: Some(code.into()),
    }
}

/// Every case, in order.
pub fn generate() -> Vec<Vector> {
    let k = keys();
    let green = signed(&k.hk, &claims("green", Colour::Green, ISSUED));
    let valid_until = end_of_hk_day(ISSUED);
    let mut cases = vec![
        Case {
            name: "valid-green",
            description: "a green code, no ID document presented",
            token: text(&green),
            now: ISSUED,
            id_doc: None,
            date_of_issue: None,
            expect: ok(Colour::Green, "unchecked"),
        },
        Case {
            name: "valid-amber-identity-match",
            description: "an amber code presented with its holder's HKID",
            token: text(&signed(&k.hk, &claims("amber", Colour::Amber, ISSUED))),
            now: ISSUED,
            id_doc: Some(ALICE),
            date_of_issue: None,
            expect: ok(Colour::Amber, "match"),
        },
        Case {
            name: "valid-red",
            description: "a red code is a valid code whose colour is red",
            token: text(&signed(&k.hk, &claims("red", Colour::Red, ISSUED))),
            now: ISSUED,
            id_doc: None,
            date_of_issue: None,
            expect: ok(Colour::Red, "unchecked"),
        },
        Case {
            name: "valid-macao-issuer",
            description: "a code of Macao's issuer key",
            token: text(&signed(&k.mo, &claims("macao", Colour::Green, ISSUED))),
            now: ISSUED,
            id_doc: None,
            date_of_issue: None,
            expect: ok(Colour::Green, "unchecked"),
        },
        Case {
            name: "valid-last-second",
            description: "valid through 23:59:59 Hong Kong time",
            token: text(&green),
            now: valid_until,
            id_doc: None,
            date_of_issue: None,
            expect: ok(Colour::Green, "unchecked"),
        },
        Case {
            name: "valid-within-clock-skew",
            description: "issued 5 minutes in the verifier's future",
            token: text(&green),
            now: ISSUED - Duration::minutes(5),
            id_doc: None,
            date_of_issue: None,
            expect: ok(Colour::Green, "unchecked"),
        },
        Case {
            name: "valid-id-written-differently",
            description: "the HKID in lower case without brackets normalises to the same document",
            token: text(&green),
            now: ISSUED,
            id_doc: Some("hkid: a1234563"),
            date_of_issue: None,
            expect: ok(Colour::Green, "match"),
        },
        Case {
            name: "identity-mismatch",
            description: "presented with another person's HKID",
            token: text(&green),
            now: ISSUED,
            id_doc: Some("HKID:K100008(A)"),
            date_of_issue: None,
            expect: Expect {
                identity: "mismatch".into(),
                ..err("identity_mismatch", Some(Colour::Green))
            },
        },
        Case {
            name: "expired",
            description: "one second after valid-until",
            token: text(&green),
            now: valid_until + Duration::seconds(1),
            id_doc: None,
            date_of_issue: None,
            expect: err("expired", Some(Colour::Green)),
        },
        Case {
            name: "not-yet-valid",
            description: "issued more than 5 minutes in the verifier's future",
            token: text(&green),
            now: ISSUED - Duration::minutes(5) - Duration::seconds(1),
            id_doc: None,
            date_of_issue: None,
            expect: err("not_yet_valid", Some(Colour::Green)),
        },
        Case {
            name: "key-revoked",
            description: "signed by a key the trust list marks revoked",
            token: text(&signed(
                &k.revoked,
                &claims("revoked", Colour::Green, ISSUED),
            )),
            now: ISSUED,
            id_doc: None,
            date_of_issue: None,
            expect: err("key_revoked", Some(Colour::Green)),
        },
        Case {
            name: "key-not-valid-at-issue",
            description: "signed by a key after its not-after",
            token: text(&signed(
                &k.retired,
                &claims("retired", Colour::Green, ISSUED),
            )),
            now: ISSUED,
            id_doc: None,
            date_of_issue: None,
            expect: err("key_not_valid_at_issue", Some(Colour::Green)),
        },
        Case {
            name: "unknown-key",
            description: "signed by a key not in the trust list",
            token: text(&signed(
                &k.unlisted,
                &claims("unlisted", Colour::Green, ISSUED),
            )),
            now: ISSUED,
            id_doc: None,
            date_of_issue: None,
            expect: err("unknown_key", None),
        },
    ];
    cases.extend(tampered_cases(&green, &k));
    cases.extend(version_2_cases(&k));
    cases
        .into_iter()
        .map(|c| Vector {
            name: c.name.into(),
            description: c.description.into(),
            token: c.token,
            now: format_hk(c.now),
            id_doc: c.id_doc.map(Into::into),
            date_of_issue: c.date_of_issue.map(Into::into),
            expect: c.expect,
        })
        .collect()
}

fn with(bytes: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut copy = bytes.to_vec();
    edit(&mut copy);
    copy
}

/// Cases made by damaging a good token on purpose.
fn tampered_cases(green: &[u8], k: &Keys) -> Vec<Case> {
    let case = |name, description, token: String, code: &str| Case {
        name,
        description,
        token,
        now: ISSUED,
        id_doc: None,
        date_of_issue: None,
        expect: err(code, None),
    };
    let good = text(green);
    let forged = {
        // Another key signs, and the token claims the trusted key's id.
        let mut bytes = signed(&k.unlisted, &claims("green", Colour::Green, ISSUED));
        bytes[2..6].copy_from_slice(&green[2..6]);
        bytes
    };
    let backwards = {
        // Properly signed, so only the order of the times is wrong.
        let mut payload = [0u8; token::PAYLOAD_LEN];
        payload.copy_from_slice(&green[..token::PAYLOAD_LEN]);
        let issued = ISSUED.unix_timestamp() as u32;
        payload[35..39].copy_from_slice(&(issued + 1).to_be_bytes());
        payload[39..43].copy_from_slice(&issued.to_be_bytes());
        token::insecure_sign_payload(&k.hk, TokenVersion::V1, &payload)
    };
    vec![
        case(
            "bad-signature-flipped-bit",
            "the last signature bit flipped",
            text(&with(green, |b| b[106] ^= 0x01)),
            "bad_signature",
        ),
        case(
            "bad-signature-colour-changed",
            "green changed to red after signing",
            text(&with(green, |b| b[18] = 3)),
            "bad_signature",
        ),
        case(
            "bad-signature-forged-kid",
            "signed by an untrusted key claiming a trusted key id",
            text(&forged),
            "bad_signature",
        ),
        case(
            "bad-signature-malleable-s",
            "signature S replaced by S + L: refused by verify_strict",
            text(&with(green, |b| add_group_order(&mut b[75..107]))),
            "bad_signature",
        ),
        case(
            "malformed-trailing-byte",
            "one byte after the signature",
            text(&with(green, |b| b.push(0))),
            "malformed",
        ),
        case(
            "malformed-truncated",
            "the last byte missing",
            text(&green[..green.len() - 1]),
            "malformed",
        ),
        case(
            "malformed-unknown-version-prefix",
            "prefix HC2: on a version 1 token: the prefix and the version byte disagree",
            good.replacen("HC1:", "HC2:", 1),
            "malformed",
        ),
        case(
            "malformed-unknown-version-byte",
            "version byte 2 under the HC1: prefix: the prefix and the version byte disagree",
            text(&with(green, |b| b[0] = 2)),
            "malformed",
        ),
        case(
            "malformed-unknown-region",
            "region byte 9",
            text(&with(green, |b| b[1] = 9)),
            "malformed",
        ),
        case(
            "malformed-unknown-colour",
            "colour byte 4",
            text(&with(green, |b| b[18] = 4)),
            "malformed",
        ),
        case(
            "malformed-valid-until-before-issued-at",
            "properly signed, but valid-until precedes issued-at",
            text(&backwards),
            "malformed",
        ),
        case(
            "malformed-base64-padding",
            "padding appended",
            format!("{good}="),
            "malformed",
        ),
        case(
            "malformed-base64-spare-bits",
            "non-zero spare bits in the last character",
            spare_bits(&good),
            "malformed",
        ),
        case(
            "malformed-base64-standard-alphabet",
            "'+' and '/' are not base64url",
            format!("{}+/", &good[..good.len() - 2]),
            "malformed",
        ),
        case(
            "malformed-empty",
            "nothing after the prefix",
            "HC1:".into(),
            "malformed",
        ),
        case(
            "malformed-no-prefix",
            "base64url without the prefix",
            good[4..].to_owned(),
            "malformed",
        ),
    ]
}

/// The version 2 cases: the binding of number and date of issue under a
/// day key, and what a checkpoint answers when it cannot check it.
fn version_2_cases(k: &Keys) -> Vec<Case> {
    let green = signed(&k.hk, &claims_v2("v2-green", Colour::Green, ISSUED));
    // 23:00 in Hong Kong on the day before the day keys held begin.
    let day_before = ISSUED - Duration::hours(10);
    let earlier = signed(
        &k.hk,
        &claims_v2("v2-day-before", Colour::Green, day_before),
    );
    let mut cross = [0u8; token::PAYLOAD_LEN];
    cross.copy_from_slice(&green[..token::PAYLOAD_LEN]);
    let cross_signed = token::insecure_sign_payload(&k.hk, TokenVersion::V1, &cross);
    let case = |name, description, token, id_doc, date_of_issue, expect| Case {
        name,
        description,
        token,
        now: ISSUED,
        id_doc,
        date_of_issue,
        expect,
    };
    let unavailable = Expect {
        specimen: true,
        colour: Some(Colour::Green),
        ..err("identity_unavailable", None)
    };
    vec![
        case(
            "v2-valid-green",
            "a version 2 green code, no ID document presented",
            text_v2(&green),
            None,
            None,
            ok(Colour::Green, "unchecked"),
        ),
        case(
            "v2-identity-match",
            "a version 2 code presented with its holder's HKID and the card's date of issue",
            text_v2(&green),
            Some(ALICE),
            Some(ALICE_ISSUED),
            ok(Colour::Green, "match"),
        ),
        case(
            "v2-identity-mismatch-date-of-issue",
            "the holder's HKID number with another date of issue",
            text_v2(&green),
            Some(ALICE),
            Some("2018-03-02"),
            Expect {
                identity: "mismatch".into(),
                ..err("identity_mismatch", Some(Colour::Green))
            },
        ),
        case(
            "v2-identity-mismatch-document",
            "another person's HKID with the holder's date of issue",
            text_v2(&green),
            Some("HKID:K100008(A)"),
            Some(ALICE_ISSUED),
            Expect {
                identity: "mismatch".into(),
                ..err("identity_mismatch", Some(Colour::Green))
            },
        ),
        case(
            "v2-identity-unavailable-no-date-of-issue",
            "a version 2 code presented with a document but no date of issue: not checked, not valid",
            text_v2(&green),
            Some(ALICE),
            None,
            unavailable.clone(),
        ),
        Case {
            now: day_before + Duration::minutes(30),
            ..case(
                "v2-identity-unavailable-no-day-key",
                "issued on a Hong Kong day whose key the checkpoint does not hold: not checked, not valid",
                text_v2(&earlier),
                Some(ALICE),
                Some(ALICE_ISSUED),
                unavailable,
            )
        },
        case(
            "v2-malformed-prefix-disagrees",
            "prefix HC1: on a version 2 token",
            text(&green),
            None,
            None,
            err("malformed", None),
        ),
        case(
            "v2-bad-signature-version-1-domain",
            "a version 2 payload signed under the version 1 signing domain",
            text_v2(&cross_signed),
            None,
            None,
            err("bad_signature", None),
        ),
        case(
            "malformed-unknown-version",
            "prefix HC3: and version byte 3, a version this verifier does not know",
            text_v2(&with(&green, |b| b[0] = 3)).replacen("HC2:", "HC3:", 1),
            None,
            None,
            err("malformed", None),
        ),
    ]
}

/// Adds the Ed25519 group order L to a little-endian scalar.
fn add_group_order(s: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (byte, l) in s.iter_mut().zip(L) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
}

fn spare_bits(text: &str) -> String {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = text.chars().last().unwrap_or('A');
    let index = alphabet.find(last).unwrap_or(0);
    // 107 bytes leave 2 spare bits in the last character; set the lowest.
    let replaced = alphabet.chars().nth(index | 1).unwrap_or('B');
    format!("{}{replaced}", &text[..text.len() - 1])
}

/// The files of the vector folder, by name.
pub fn files() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert("trust.json".into(), trust_list().to_json());
    files.insert("root.public".into(), testkeys::root().public().to_json());
    let identity = format!(
        "{{\n  \"kind\": \"healthcode-identity-key\",\n  \"key\": \"{}\"\n}}\n",
        b64::encode(testkeys::identity().to_bytes().as_ref())
    );
    files.insert("TEST-ONLY-identity.key".into(), identity);
    let master = format!(
        "{{\n  \"kind\": \"healthcode-identity-master-key\",\n  \"key\": \"{}\"\n}}\n",
        b64::encode(testkeys::identity_master().to_bytes().as_ref())
    );
    files.insert("TEST-ONLY-identity-master.key".into(), master);
    files.insert(
        "TEST-ONLY-identity-days.key".into(),
        day_keys().to_json().to_string(),
    );
    for (i, vector) in generate().iter().enumerate() {
        let text = serde_json::to_string_pretty(vector).unwrap_or_default() + "\n";
        files.insert(format!("{:02}-{}.json", i + 1, vector.name), text);
    }
    files
}

/// Reads the case files of `dir` (every `NN-*.json`).
///
/// # Errors
/// I/O and JSON errors, naming the file.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<Vector>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name().is_some_and(|n| n != "trust.json")
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)?;
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        })
        .collect()
}

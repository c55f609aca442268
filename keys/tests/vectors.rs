//! Runs every token test vector in `tests/vectors/tokens` through the library.

use std::path::{Path, PathBuf};

use healthcode_keys::{
    DayKeys, IdentityCheck, IdentityKey, IdentityKeys, Presented, RootPublicKey, SignedTrustList,
    UnverifiedToken, b64,
    hktime::{parse_date, parse_rfc3339},
};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/tokens")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn identity_key() -> IdentityKey {
    // The file is TEST-ONLY and lives in git with mode 0644, so parse it here
    // rather than through the 0600 check of IdentityKey::read.
    let file: Value = serde_json::from_str(&read("TEST-ONLY-identity.key")).unwrap_or_default();
    let bytes = b64::decode(file["key"].as_str().unwrap_or_default()).unwrap_or_default();
    IdentityKey::from_bytes(
        &bytes
            .try_into()
            .unwrap_or_else(|_| panic!("identity key length")),
    )
}

/// The TEST-ONLY keys of the vector folder, as a checkpoint holds them.
fn identity_keys() -> IdentityKeys {
    IdentityKeys {
        v1: Some(identity_key()),
        days: Some(
            DayKeys::from_json(&read("TEST-ONLY-identity-days.key"))
                .unwrap_or_else(|e| panic!("{e}")),
        ),
    }
}

/// What the library says of one vector: (valid, colour shown, identity, error code).
fn evaluate(vector: &Value) -> (bool, Option<String>, &'static str, Option<&'static str>) {
    let root = RootPublicKey::from_json(&read("root.public")).unwrap_or_else(|e| panic!("{e}"));
    let now =
        parse_rfc3339(vector["now"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let trust = SignedTrustList::from_json(&read("trust.json"))
        .and_then(|t| t.verify(&root, now))
        .unwrap_or_else(|e| panic!("{e}"));
    let token = match UnverifiedToken::parse(vector["token"].as_str().unwrap_or_default()) {
        Ok(token) => token,
        Err(e) => return (false, None, "unchecked", e.rejection().map(|r| r.as_str())),
    };
    let verified = match token.verify(&trust, now) {
        Ok(verified) => verified,
        Err(e) => {
            let colour = e
                .is_after_signature()
                .then(|| token.insecure_claims().colour.to_string());
            return (
                false,
                colour,
                "unchecked",
                e.rejection().map(|r| r.as_str()),
            );
        }
    };
    let colour = Some(verified.claims().colour.to_string());
    match vector["id_doc"].as_str() {
        None => (true, colour, "unchecked", None),
        Some(doc) => {
            let presented = Presented {
                document: doc.parse().unwrap_or_else(|e| panic!("{e}")),
                date_of_issue: vector["date_of_issue"]
                    .as_str()
                    .map(|d| parse_date(d).unwrap_or_else(|e| panic!("{e}"))),
            };
            match identity_keys().check(&verified, &presented) {
                IdentityCheck::Match => (true, colour, "match", None),
                IdentityCheck::Mismatch => (false, colour, "mismatch", Some("identity_mismatch")),
                IdentityCheck::Unavailable(_) => {
                    (false, colour, "unchecked", Some("identity_unavailable"))
                }
            }
        }
    }
}

#[test]
fn every_vector_gives_its_expected_result() {
    let mut paths: Vec<_> = std::fs::read_dir(dir())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.as_bytes()[0].is_ascii_digit())
        })
        .collect();
    paths.sort();
    assert!(paths.len() >= 29, "vectors missing: {}", paths.len());
    for path in paths {
        let vector: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expect = &vector["expect"];
        let (valid, colour, identity, error) = evaluate(&vector);
        let name = path.display();
        assert_eq!(
            valid,
            expect["valid"].as_bool().unwrap_or(!valid),
            "{name}: valid"
        );
        assert_eq!(
            colour.as_deref(),
            expect["colour"].as_str(),
            "{name}: colour"
        );
        assert_eq!(
            identity,
            expect["identity"].as_str().unwrap_or_default(),
            "{name}: identity"
        );
        assert_eq!(error, expect["error"].as_str(), "{name}: error");
    }
}

//! The offline kit: `verifier bundle` signs the trust list, a revocation
//! snapshot and the policy as one file; a handheld's `scanner verify
//! --bundle` checks every layer under its pinned root, shows the kit's age,
//! refuses a tampered kit, and sends valid codes to secondary inspection
//! once the revocations are older than the policy allows.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use healthcode_tests::redis_server::RedisServer;
use serde_json::Value;

use crate::{
    support::{CARD_ISSUED, KeySet, bin, issuer_revoke, json_lines, stderr, token_id_of},
    verifier_service::{Verifier, wait_connected},
};

const ALICE: &str = "HKID:A123456(3)";

const POLICY: &str = "name = handheld-gd\ngreen = admit\namber = refuse\nred = refuse\n\
                      unchecked-identity = secondary\nrevocations-max-age-hours = 1\n";

/// A snapshot signed by `set`'s issuer key with `token` revoked, as a
/// verifier serves it; its path.
fn snapshot_revoking(set: &KeySet, token: &str) -> String {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let verifier = Verifier::start(set, &["--redis", &redis.url()]);
    wait_connected(&verifier, true);
    let key = set.path(&format!("{}.secret", set.kid));
    let output = issuer_revoke(
        &set.state(),
        &redis.url(),
        &token_id_of(token),
        "fraud",
        &["--key", &key],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let deadline = Instant::now() + Duration::from_secs(5);
    let snapshot = loop {
        if let Ok(response) = ureq::get(&format!("{}/v1/revocations", verifier.base)).call() {
            break response.into_string().unwrap_or_default();
        }
        assert!(Instant::now() < deadline, "snapshot never served");
        std::thread::sleep(Duration::from_millis(50));
    };
    let path = set.path("revocations.json");
    std::fs::write(&path, snapshot).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn make_bundle(set: &KeySet, snapshot: &str, policy: &str, key: &str) -> std::process::Output {
    let (trust, root, out) = (
        set.path("trust.json"),
        set.path("root.public"),
        set.path("kit.json"),
    );
    Command::new(bin("verifier"))
        .args([
            "bundle",
            "--trust",
            &trust,
            "--root",
            &root,
            "--revocations",
            snapshot,
        ])
        .args(["--policy", policy, "--key", key, "--out", &out])
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_handheld_checks_codes_from_a_signed_offline_bundle() {
    let set = KeySet::new(false);
    let revoked = set.issue("green", ALICE, &[]);
    let kept = set.issue("green", ALICE, &[]);
    let snapshot = snapshot_revoking(&set, &revoked);
    let policy = set.path("handheld.policy");
    std::fs::write(&policy, POLICY).unwrap_or_else(|e| panic!("{e}"));
    let key = set.path(&format!("{}.secret", set.kid));
    let made = make_bundle(&set, &snapshot, &policy, &key);
    assert!(made.status.success(), "{}", stderr(&made));
    let kit = set.path("kit.json");

    let days = set.path("identity-days.key");
    let scan = |bundle: &str, extra: &[&str]| {
        let root = set.path("root.public");
        let mut args = vec!["verify", "--root", &root, "--bundle", bundle, "--json"];
        args.extend(["--identity-day-keys", &days, "--id-doc", ALICE]);
        args.extend(["--date-of-issue", CARD_ISSUED]);
        args.extend(extra);
        args.extend([revoked.as_str(), kept.as_str()]);
        crate::support::run("scanner", &args, &set.state())
    };
    let output = scan(&kit, &[]);
    let reports = json_lines(&output);
    assert_eq!(reports.len(), 2, "{}", stderr(&output));
    assert_eq!(reports[0]["error"]["code"], "revoked", "{}", reports[0]);
    assert_eq!(reports[0]["admission"]["decision"], "refuse");
    assert_eq!(
        reports[1]["admission"]["decision"], "admit",
        "{}",
        reports[1]
    );
    assert!(
        stderr(&output).contains("offline bundle made"),
        "{}",
        stderr(&output)
    );

    // Past the policy's hour, the revocations are too old to vouch for a code.
    let later = healthcode_keys::hktime::format_hk(
        healthcode_keys::hktime::now() + time::Duration::minutes(61),
    );
    let old = json_lines(&scan(&kit, &["--at", &later]));
    let stale = &old[1];
    if stale["error"]["code"] != "expired" {
        // (Within an hour of midnight the code itself has expired instead.)
        assert_eq!(stale["error"]["code"], "revocation_unavailable", "{stale}");
        assert_eq!(stale["admission"]["decision"], "secondary", "{stale}");
    }

    // A kit whose policy was loosened after signing is refused whole (exit 2).
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(&kit).unwrap_or_default())
        .unwrap_or_default();
    value["bundle"]["policy"] = Value::from(POLICY.replace("amber = refuse", "amber = admit"));
    let tampered = set.path("tampered.json");
    std::fs::write(&tampered, value.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let refused = scan(&tampered, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("offline bundle: the signature does not verify"),
        "{}",
        stderr(&refused)
    );

    // A bundle and separate files at once is a usage error.
    let trust = set.path("trust.json");
    let both = scan(&kit, &["--trust", &trust]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
}

#[test]
fn a_bundle_is_not_made_from_parts_a_handheld_would_refuse() {
    let set = KeySet::new(false);
    let token = set.issue("green", ALICE, &[]);
    let snapshot = snapshot_revoking(&set, &token);
    let key = set.path(&format!("{}.secret", set.kid));
    let policy = set.path("bad.policy");
    std::fs::write(&policy, "green = admit\namber = maybe\nred = refuse\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let output = make_bundle(&set, &snapshot, &policy, &key);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("line 2"), "{}", stderr(&output));

    // A signing key the trust list does not hold.
    std::fs::write(&policy, POLICY).unwrap_or_else(|e| panic!("{e}"));
    let stranger = KeySet::new(false);
    let foreign = stranger.path(&format!("{}.secret", stranger.kid));
    let output = make_bundle(&set, &snapshot, &policy, &foreign);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not an active key"),
        "{}",
        stderr(&output)
    );
}

//! Three issuing regions set up from scratch with the CLI: Guangdong and
//! Macao issue codes under their own keys, a Hong Kong checkpoint checks
//! each region's identity under that region's key only, and revoking one
//! region's key leaves the others working.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::{
    support::{CARD_ISSUED, bin, json_lines, run, stderr, stdout},
    verifier_service::Verifier,
};

/// One region's keys, made with the real `keys` CLI.
struct RegionKeys {
    region: &'static str,
    kid: String,
    dir: PathBuf,
}

impl RegionKeys {
    fn file(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    fn secret(&self) -> String {
        self.file(&format!("{}.secret", self.kid))
    }

    fn public(&self) -> String {
        self.file(&format!("{}.public", self.kid))
    }

    fn days(&self) -> String {
        self.file("identity-days.key")
    }

    /// `REGION=FILE` for this region's day keys.
    fn days_flag(&self) -> String {
        format!("{}={}", self.region, self.days())
    }
}

fn keys(state: &Path, args: &[&str]) -> String {
    let output = run("keys", args, state);
    assert!(
        output.status.success(),
        "keys {args:?}: {}",
        stderr(&output)
    );
    stdout(&output).trim().to_owned()
}

/// An issuer key of `region`, its master identity key and a week of day keys.
fn set_up_region(root: &Path, state: &Path, region: &'static str) -> RegionKeys {
    let dir = root.join(region.to_lowercase());
    let out = dir.to_string_lossy().into_owned();
    let kid = keys(state, &["generate", "--issuer", region, "--out", &out]);
    let keys_of = RegionKeys { region, kid, dir };
    let master = keys_of.file("identity-master.key");
    keys(state, &["identity-master-key", "--out", &master]);
    let yesterday =
        healthcode_keys::hktime::hk_date(healthcode_keys::hktime::now() - time::Duration::DAY);
    let from = healthcode_keys::hktime::format_date(yesterday);
    let days = keys_of.days();
    keys(
        state,
        &[
            "identity-day-keys",
            "--master",
            &master,
            "--from",
            &from,
            "--days",
            "8",
            "--out",
            &days,
        ],
    );
    keys_of
}

/// A code of `keys`'s region for the holder of `document`, by the real issuer CLI.
fn issue(state: &Path, keys: &RegionKeys, document: &str) -> String {
    let (secret, master) = (keys.secret(), keys.file("identity-master.key"));
    let args = [
        "issue",
        "--key",
        &secret,
        "--identity-master-key",
        &master,
        "--colour",
        "green",
        "--id-doc",
        document,
        "--date-of-issue",
        CARD_ISSUED,
    ];
    let output = run("issuer", &args, state);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_owned()
}

fn trust_list(root: &Path, state: &Path, seq: &str, revoke: Option<&str>, all: &[&RegionKeys]) {
    let secret = root.join("root.secret").to_string_lossy().into_owned();
    let mut args = vec![
        "trust-list".to_owned(),
        "--root".into(),
        secret,
        "--seq".into(),
        seq.into(),
    ];
    if let Some(kid) = revoke {
        args.extend(["--revoke".to_owned(), kid.to_owned()]);
    }
    args.extend(all.iter().map(|k| k.public()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run("keys", &args, state);
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::write(root.join("trust.json"), output.stdout).unwrap_or_else(|e| panic!("{e}"));
}

const HK_HOLDER: &str = "HKID:A123456(3)";
const GD_HOLDER: &str = "PERMIT:H12345678";
const MO_HOLDER: &str = "MOID:1234567(8)";

#[test]
fn guangdong_and_macao_codes_are_checked_under_their_own_keys_only() {
    let folder = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = folder.path();
    let state = root.join("state");
    keys(&state, &["root-generate", "--out", &root.to_string_lossy()]);
    let hk = set_up_region(root, &state, "HK");
    let gd = set_up_region(root, &state, "GD");
    let mo = set_up_region(root, &state, "MO");
    trust_list(root, &state, "1", None, &[&hk, &gd, &mo]);
    let codes = [
        (&hk, HK_HOLDER, issue(&state, &hk, HK_HOLDER)),
        (&gd, GD_HOLDER, issue(&state, &gd, GD_HOLDER)),
        (&mo, MO_HOLDER, issue(&state, &mo, MO_HOLDER)),
    ];
    let (trust, root_public) = (
        root.join("trust.json").to_string_lossy().into_owned(),
        root.join("root.public").to_string_lossy().into_owned(),
    );
    let scan = |day_keys: &[String], document: &str, token: &str| {
        let mut args = vec![
            "verify",
            "--trust",
            &trust,
            "--root",
            &root_public,
            "--json",
        ];
        for file in day_keys {
            args.extend(["--identity-day-keys", file.as_str()]);
        }
        args.extend(["--id-doc", document, "--date-of-issue", CARD_ISSUED, token]);
        let output = run("scanner", &args, &state);
        let reports = json_lines(&output);
        assert_eq!(reports.len(), 1, "{}", stderr(&output));
        reports[0].clone()
    };
    // Hong Kong's keys as a plain FILE, the partners' as REGION=FILE.
    let all_keys = [hk.days(), gd.days_flag(), mo.days_flag()];
    for (keys_of, document, token) in &codes {
        let report = scan(&all_keys, document, token);
        assert_eq!(report["valid"], true, "{}: {report}", keys_of.region);
        assert_eq!(report["identity"], "match", "{}: {report}", keys_of.region);
        assert_eq!(report["issuer"], keys_of.region, "{report}");
    }

    // One region's key given as another's: a mismatch, never a match.
    let swapped = [
        hk.days(),
        format!("GD={}", mo.days()),
        format!("MO={}", gd.days()),
    ];
    for (keys_of, document, token) in &codes[1..] {
        let report = scan(&swapped, document, token);
        assert_eq!(
            report["identity"], "mismatch",
            "{}: {report}",
            keys_of.region
        );
        assert_eq!(report["error"]["code"], "identity_mismatch");
    }
    // Hong Kong's key alone cannot check a Guangdong code: it says so.
    let report = scan(&[hk.days()], GD_HOLDER, &codes[1].2);
    assert_eq!(report["error"]["code"], "identity_unavailable", "{report}");
    let message = report["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("no identity keys of GD"), "{message}");

    // Bad flags name the problem.
    for (flags, expected) in [
        (vec![format!("TW={}", gd.days())], "TW"),
        (
            vec![gd.days_flag(), format!("GD={}", mo.days())],
            "GD is given two files",
        ),
        (vec!["GD=".to_owned()], "names no file"),
    ] {
        let mut args = vec!["verify", "--trust", &trust, "--root", &root_public];
        for file in &flags {
            args.extend(["--identity-day-keys", file.as_str()]);
        }
        args.extend(["--id-doc", GD_HOLDER, &codes[1].2]);
        let output = run("scanner", &args, &state);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flags:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }

    checked_at_a_verifier(root, &state, &all_keys, &codes);

    // Guangdong's key revoked: its codes stop, the others still verify.
    trust_list(root, &state, "2", Some(&gd.kid), &[&hk, &gd, &mo]);
    for (keys_of, document, token) in &codes {
        let report = scan(&all_keys, document, token);
        if keys_of.region == "GD" {
            assert_eq!(report["error"]["code"], "key_revoked", "{report}");
        } else {
            assert_eq!(report["valid"], true, "{}: {report}", keys_of.region);
        }
    }
}

/// The same keys at a `verifier serve`: each region's code is a match.
fn checked_at_a_verifier(
    root: &Path,
    state: &Path,
    day_keys: &[String],
    codes: &[(&RegionKeys, &str, String)],
) {
    let mut command = std::process::Command::new(bin("verifier"));
    command
        .args(["serve", "--trust"])
        .arg(root.join("trust.json"));
    command.arg("--root").arg(root.join("root.public"));
    for file in day_keys {
        command.args(["--identity-day-keys", file]);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let listen = format!("127.0.0.1:{port}");
    command
        .args(["--listen", &listen])
        .env("XDG_STATE_HOME", state);
    command
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null());
    let child = command.spawn().unwrap_or_else(|e| panic!("{e}"));
    let verifier = Verifier::adopt(child, format!("http://{listen}"));
    for (keys_of, document, token) in codes {
        let request = json!({"token": token, "id_doc": document, "date_of_issue": CARD_ISSUED});
        let (status, answer) = verifier.verify_json(&request);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["identity"], "match", "{}: {answer}", keys_of.region);
        let other =
            json!({"token": token, "id_doc": "HKID:K100008(A)", "date_of_issue": CARD_ISSUED});
        assert_eq!(verifier.verify_json(&other).1["identity"], "mismatch");
    }
    let health = verifier.get("/healthz").unwrap_or(Value::Null);
    for region in ["HK", "GD", "MO"] {
        assert_eq!(
            health["identity_day_keys_by_region"][region]["covers_today"], true,
            "{health}"
        );
    }
}

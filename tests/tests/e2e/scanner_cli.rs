//! The scanner as an officer and a script use it: verdicts, batches, exit codes, refusals.

use serde_json::json;

use crate::support::{CARD_ISSUED, KeySet, json_lines, run_with_stdin, stderr, stdout};

const ALICE: &str = "HKID:A123456(3)";

#[test]
fn a_valid_code_reads_at_a_glance() {
    let set = KeySet::new(false);
    let token = set.issue("green", ALICE, &[]);
    let output = set.scan(&[&token]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("GREEN") && text.contains("VALID") && !text.contains("SPECIMEN"),
        "{text}"
    );
    assert!(
        text.contains("(Hong Kong time)") && text.contains("not checked"),
        "{text}"
    );
}

#[test]
fn a_test_key_code_is_a_specimen() {
    let set = KeySet::new(true);
    let token = set.issue("amber", ALICE, &[]);
    // At a checkpoint a specimen is never a valid code: exit 1.
    let output = set.scan(&[&token]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("NOT VALID"), "{}", stdout(&output));
    assert!(stdout(&output).contains("SPECIMEN"), "{}", stdout(&output));
    let json = json_lines(&set.scan(&["--json", &token]));
    assert_eq!(
        (&json[0]["valid"], &json[0]["specimen"]),
        (&json!(false), &json!(true))
    );
    assert_eq!(json[0]["error"]["code"], "specimen");
    // A drill accepts it, shown as SPECIMEN.
    let drill = set.scan(&["--accept-specimen", &token]);
    assert_eq!(drill.status.code(), Some(0), "{}", stdout(&drill));
    assert!(
        stdout(&drill).contains("SPECIMEN - signed by a TEST key"),
        "{}",
        stdout(&drill)
    );
}

#[test]
fn json_has_every_field() {
    let set = KeySet::new(false);
    let token = set.issue("red", ALICE, &["--at", "2022-12-10T16:30:00Z"]);
    set.write_trust_list_at(2, "2022-12-09T00:00:00Z");
    let output = set.scan(&["--json", "--at", "2022-12-11T08:00:00+08:00", &token]);
    let report = &json_lines(&output)[0];
    for field in [
        "input",
        "valid",
        "colour",
        "issuer",
        "kid",
        "token_id",
        "issued_at",
        "valid_until",
        "identity",
        "error",
    ] {
        assert!(report.get(field).is_some(), "missing {field}: {report}");
    }
    assert_eq!(report["valid"], true);
    assert_eq!(report["colour"], "red");
    assert_eq!(report["issuer"], "HK");
    assert_eq!(report["kid"], set.kid.as_str());
    assert_eq!(report["identity"], "unchecked");
    assert_eq!(report["error"], serde_json::Value::Null);
    assert_eq!(
        report["valid_until"], "2022-12-11T23:59:59+08:00",
        "00:30 HK is the next HK day"
    );
}

#[test]
fn identity_match_and_mismatch() {
    let set = KeySet::new(false);
    let token = set.issue("green", ALICE, &[]);
    let days = set.path("identity-days.key");
    let check = |doc: &str, date: Option<&str>, days: &str| {
        let mut args = vec!["--json", "--identity-day-keys", days, "--id-doc", doc];
        if let Some(date) = date {
            args.extend(["--date-of-issue", date]);
        }
        args.push(&token);
        set.scan(&args)
    };
    let matched = check("hkid:a1234563", Some(CARD_ISSUED), &days);
    assert_eq!(json_lines(&matched)[0]["identity"], "match");
    assert_eq!(matched.status.code(), Some(0));
    for (doc, date) in [("HKID:K100008(A)", CARD_ISSUED), (ALICE, "2018-03-02")] {
        let other = check(doc, Some(date), &days);
        let report = &json_lines(&other)[0];
        assert_eq!(report["identity"], "mismatch", "{doc} {date}");
        assert_eq!(report["error"]["code"], "identity_mismatch");
        assert_eq!(other.status.code(), Some(1));
    }
    // Cannot check: not valid (exit 1), and the message says why.
    let undated = check(ALICE, None, &days);
    let report = &json_lines(&undated)[0];
    assert_eq!(report["error"]["code"], "identity_unavailable");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("date of issue"),
        "{report}"
    );
    assert_eq!(undated.status.code(), Some(1));
    let old_days = set.write_day_keys("old-days.key", "2022-12-10", 7);
    let other_days = check(ALICE, Some(CARD_ISSUED), &old_days);
    let report = &json_lines(&other_days)[0];
    assert_eq!(report["error"]["code"], "identity_unavailable");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no identity key for"),
        "{report}"
    );
    assert_eq!(other_days.status.code(), Some(1));
    let bad_date = check(ALICE, Some("01/03/2018"), &days);
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(
        stderr(&bad_date).contains("--date-of-issue"),
        "{}",
        stderr(&bad_date)
    );
    let no_key = set.scan(&["--id-doc", ALICE, &token]);
    assert_eq!(
        no_key.status.code(),
        Some(2),
        "an ID document needs the identity key"
    );
}

#[test]
fn stdin_batch_reports_every_line() {
    let set = KeySet::new(false);
    let (a, b) = (
        set.issue("green", ALICE, &[]),
        set.issue("amber", ALICE, &[]),
    );
    let (trust, root) = (set.path("trust.json"), set.path("root.public"));
    let input = format!("{a}\nnot a token\n\n{}\n{b}\n", "x".repeat(100_000));
    let args = ["verify", "--trust", &trust, "--root", &root, "--json", "-"];
    let output = run_with_stdin("scanner", &args, &set.state(), &input);
    let reports = json_lines(&output);
    let summary: Vec<_> = reports
        .iter()
        .map(|r| {
            (
                r["input"].as_str().unwrap_or("").to_owned(),
                r["valid"].as_bool(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("-:1".into(), Some(true)),
            ("-:2".into(), Some(false)),
            ("-:4".into(), Some(false)),
            ("-:5".into(), Some(true))
        ]
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn expiry_and_future_codes() {
    let set = KeySet::new(false);
    let token = set.issue("green", ALICE, &["--at", "2022-12-10T09:00:00+08:00"]);
    let code = |at: &str| {
        let report = &json_lines(&set.scan(&["--json", "--at", at, &token]))[0];
        report["error"]["code"]
            .as_str()
            .unwrap_or("none")
            .to_owned()
    };
    // The trust list was issued now, so a 2022 clock is refused; check times
    // against a list issued back then.
    set.write_trust_list_at(2, "2022-12-09T00:00:00Z");
    assert_eq!(code("2022-12-10T23:59:59+08:00"), "none");
    assert_eq!(code("2022-12-11T00:00:00+08:00"), "expired");
    assert_eq!(
        code("2022-12-10T08:55:00+08:00"),
        "none",
        "5 minutes of clock skew"
    );
    assert_eq!(code("2022-12-10T08:54:59+08:00"), "not_yet_valid");
}

#[test]
fn a_revoked_key_is_refused() {
    let set = KeySet::new(false);
    let token = set.issue("green", ALICE, &[]);
    set.write_trust_list(2, &[&set.kid]);
    let report = &json_lines(&set.scan(&["--json", &token]))[0];
    assert_eq!(report["error"]["code"], "key_revoked");
}

#[test]
fn trust_list_problems_are_configuration_errors() {
    let set = KeySet::new(false);
    let token = set.issue("green", ALICE, &[]);
    // Rollback: seq 2 seen, then seq 1 offered.
    set.write_trust_list(2, &[]);
    assert_eq!(set.scan(&[&token]).status.code(), Some(0));
    set.write_trust_list(1, &[]);
    let rollback = set.scan(&[&token]);
    assert_eq!(rollback.status.code(), Some(2));
    assert!(
        stderr(&rollback).contains("lower than 2"),
        "{}",
        stderr(&rollback)
    );
    // Tampering: un-revoke by editing the JSON.
    set.write_trust_list(3, &[&set.kid]);
    let path = set.path("trust.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\"revoked\"", "\"active\"");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let tampered = set.scan(&[&token]);
    assert_eq!(tampered.status.code(), Some(2));
    assert!(
        stderr(&tampered).contains("signature"),
        "{}",
        stderr(&tampered)
    );
    // Expired list and a clock set back.
    set.write_trust_list(4, &[]);
    let later = (time::OffsetDateTime::now_utc() + time::Duration::days(8))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let expired = set.scan(&["--at", &later, &token]);
    assert_eq!(expired.status.code(), Some(2));
    assert!(stderr(&expired).contains("expired"), "{}", stderr(&expired));
    let back = set.scan(&["--at", "2020-01-01T00:00:00Z", &token]);
    assert_eq!(back.status.code(), Some(2));
    assert!(stderr(&back).contains("clock"), "{}", stderr(&back));
    // Garbage in place of the list.
    std::fs::write(&path, "{ not json").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.scan(&[&token]).status.code(), Some(2));
}

#[test]
fn hostile_and_missing_inputs_fail_cleanly() {
    let set = KeySet::new(false);
    let dir = set.dir.path();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        path.to_string_lossy().into_owned()
    };
    let fake_pdf = write("fake.png", b"\x7fELF\x02\x01\x01\0not an image");
    let truncated = write("cut.jpg", &[0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F']);
    let blank = write("blank.png", &blank_png());
    let output = set.scan(&["--json", &fake_pdf, &truncated, &blank]);
    let codes: Vec<_> = json_lines(&output)
        .iter()
        .map(|r| r["error"]["code"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(codes, ["malformed", "malformed", "no_qr_found"]);
    assert_eq!(output.status.code(), Some(1));
    let missing = set.scan(&[&dir.join("nowhere.png").to_string_lossy()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot read"),
        "{}",
        stderr(&missing)
    );
}

fn blank_png() -> Vec<u8> {
    let mut bytes = Vec::new();
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    bytes
}

/// A shipped policy file.
fn policy(name: &str) -> String {
    format!("{}/../policies/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_checkpoint_policy_turns_each_verdict_into_an_admission() {
    let set = KeySet::new(false);
    let gd = policy("hk-exit-gd.policy");
    let days = set.path("identity-days.key");
    let admission = |token: &str, doc: Option<&str>| {
        let mut args = vec!["--json", "--policy", &gd];
        if let Some(doc) = doc {
            args.extend([
                "--identity-day-keys",
                &days,
                "--id-doc",
                doc,
                "--date-of-issue",
                CARD_ISSUED,
            ]);
        }
        args.push(token);
        let report = json_lines(&set.scan(&args))[0].clone();
        let decision = &report["admission"];
        assert_eq!(decision["policy"], "hk-exit-gd", "{report}");
        (
            decision["decision"].as_str().unwrap_or_default().to_owned(),
            decision["reason"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let green = set.issue("green", ALICE, &[]);
    let cases = [
        (green.clone(), Some(ALICE), ("admit", "colour_green")),
        (green.clone(), None, ("secondary", "identity_unchecked")),
        (
            green.clone(),
            Some("HKID:K100008(A)"),
            ("refuse", "identity_mismatch"),
        ),
        (
            set.issue("amber", ALICE, &[]),
            Some(ALICE),
            ("refuse", "colour_amber"),
        ),
        (
            set.issue("red", ALICE, &[]),
            Some(ALICE),
            ("refuse", "colour_red"),
        ),
        (
            set.issue("green", ALICE, &["--at", "2022-12-10T01:00:00Z"]),
            Some(ALICE),
            ("refuse", "expired"),
        ),
        (
            "HC2:not-a-code".to_owned(),
            None,
            ("secondary", "malformed"),
        ),
    ];
    for (token, doc, (decision, reason)) in cases {
        assert_eq!(
            admission(&token, doc),
            (decision.to_owned(), reason.to_owned()),
            "{doc:?}"
        );
    }
    // People read the decision as a word, never a colour alone.
    let human = set.scan(&[
        "--policy",
        &gd,
        "--identity-day-keys",
        &days,
        "--id-doc",
        ALICE,
        "--date-of-issue",
        CARD_ISSUED,
        &green,
    ]);
    assert!(
        stdout(&human).contains(" ADMIT ")
            && stdout(&human).contains("(colour_green, policy hk-exit-gd)"),
        "{}",
        stdout(&human)
    );
    let unchecked = set.scan(&["--policy", &gd, &green]);
    assert!(
        stdout(&unchecked).contains("SECONDARY INSPECTION"),
        "{}",
        stdout(&unchecked)
    );

    // A specimen is refused in service, admitted in a drill.
    let test_set = KeySet::new(true);
    let specimen = test_set.issue("green", ALICE, &[]);
    let report = &json_lines(&test_set.scan(&["--json", "--policy", &gd, &specimen]))[0];
    assert_eq!(
        (
            &report["admission"]["decision"],
            &report["admission"]["reason"]
        ),
        (&json!("refuse"), &json!("specimen"))
    );
    let drill = policy("drill.policy");
    let report = &json_lines(&test_set.scan(&[
        "--json",
        "--accept-specimen",
        "--policy",
        &drill,
        &specimen,
    ]))[0];
    assert_eq!(report["admission"]["decision"], "admit", "{report}");
}

#[test]
fn macaos_self_service_lane_wants_a_code_made_within_its_hours_and_bad_policies_are_refused() {
    let set = KeySet::new(false);
    let lane = set.dir.path().join("lane.policy");
    std::fs::write(&lane, "name = lane\ngreen = admit\namber = refuse\nred = refuse\nunchecked-identity = admit\nissued-within-hours = 6\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let lane = lane.to_string_lossy().into_owned();
    let token = set.issue("green", ALICE, &["--at", "2022-12-10T01:00:00Z"]);
    set.write_trust_list_at(2, "2022-12-09T00:00:00Z");
    let at = |instant: &str| {
        let report =
            &json_lines(&set.scan(&["--json", "--policy", &lane, "--at", instant, &token]))[0];
        report["admission"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(at("2022-12-10T06:59:59Z"), "colour_green", "within 6 hours");
    assert_eq!(
        at("2022-12-10T07:00:01Z"),
        "issued_too_long_ago",
        "past 6 hours: a staffed counter"
    );
    assert!(
        stdout(&set.scan(&[
            "--policy",
            &policy("hk-exit-mo.policy"),
            "--at",
            "2022-12-10T02:00:00Z",
            &token
        ]))
        .contains("policy hk-exit-mo-self-service")
    );

    // A bad policy stops the scanner before it checks anything (exit 2), naming the line.
    let bad = set.dir.path().join("bad.policy");
    std::fs::write(&bad, "green = admit\namber = maybe\nred = refuse\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let output = set.scan(&[
        "--policy",
        &bad.to_string_lossy(),
        "--at",
        "2022-12-10T02:00:00Z",
        &token,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("line 2: amber: \"maybe\" is not admit, secondary or refuse"),
        "{}",
        stderr(&output)
    );
}

//! The `keys` and `issuer` command lines: files, modes, refusals.

use std::os::unix::fs::PermissionsExt as _;

use crate::support::{KeySet, run, stderr};

fn mode(path: &str) -> u32 {
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0)
}

#[test]
fn secret_files_are_0600_and_named_by_kid() {
    let set = KeySet::new(false);
    assert_eq!(set.kid.len(), 8, "kid is 8 hex digits: {}", set.kid);
    assert_eq!(mode(&set.path("root.secret")), 0o600);
    assert_eq!(mode(&set.path(&format!("{}.secret", set.kid))), 0o600);
    assert_eq!(mode(&set.path("identity.key")), 0o600);
    assert_eq!(mode(&set.path("identity-master.key")), 0o600);
    assert_eq!(mode(&set.path("identity-days.key")), 0o600);
    assert_eq!(mode(&set.path("root.public")), 0o644);
    let public =
        std::fs::read_to_string(set.path(&format!("{}.public", set.kid))).unwrap_or_default();
    assert!(
        !public.contains("secret"),
        "public file holds no secret: {public}"
    );
}

#[test]
fn a_secret_readable_by_others_is_refused() {
    let set = KeySet::new(false);
    let secret = set.path(&format!("{}.secret", set.kid));
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let identity = set.path("identity-master.key");
    let output = run(
        "issuer",
        &[
            "issue",
            "--key",
            &secret,
            "--identity-master-key",
            &identity,
            "--colour",
            "green",
            "--id-doc",
            "HKID:A1234563",
            "--date-of-issue",
            "2018-03-01",
        ],
        &set.state(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("chmod 600"), "{}", stderr(&output));
}

#[test]
fn keys_are_never_overwritten() {
    let set = KeySet::new(false);
    let output = run(
        "keys",
        &["root-generate", "--out", &set.path("")],
        &set.state(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("refusing to overwrite"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn revoking_an_unknown_kid_is_refused() {
    let set = KeySet::new(false);
    let root = set.path("root.secret");
    let public = set.path(&format!("{}.public", set.kid));
    let output = run(
        "keys",
        &[
            "trust-list",
            "--root",
            &root,
            "--seq",
            "2",
            "--revoke",
            "0badc0de",
            &public,
        ],
        &set.state(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("0badc0de"), "{}", stderr(&output));
}

#[test]
fn issuer_refuses_bad_input_with_clear_errors() {
    let set = KeySet::new(false);
    let key = set.path(&format!("{}.secret", set.kid));
    let identity = set.path("identity-master.key");
    let issue = |colour: &str, doc: &str, at: &str| {
        run(
            "issuer",
            &[
                "issue",
                "--key",
                &key,
                "--identity-master-key",
                &identity,
                "--colour",
                colour,
                "--id-doc",
                doc,
                "--date-of-issue",
                "2018-03-01",
                "--at",
                at,
            ],
            &set.state(),
        )
    };
    let wrong_digit = issue("green", "HKID:A1234564", "2022-12-10T09:00:00+08:00");
    assert_eq!(wrong_digit.status.code(), Some(2));
    assert!(
        stderr(&wrong_digit).contains("check digit"),
        "{}",
        stderr(&wrong_digit)
    );
    let no_offset = issue("green", "HKID:A1234563", "2022-12-10T09:00:00");
    assert_eq!(no_offset.status.code(), Some(2));
    assert!(
        stderr(&no_offset).contains("offset"),
        "{}",
        stderr(&no_offset)
    );
    let colour = issue("purple", "HKID:A1234563", "2022-12-10T09:00:00+08:00");
    assert_eq!(colour.status.code(), Some(2));
    let qr = run(
        "issuer",
        &[
            "issue",
            "--key",
            &key,
            "--identity-master-key",
            &identity,
            "--colour",
            "red",
            "--id-doc",
            "HKID:A1234563",
            "--date-of-issue",
            "2018-03-01",
            "--qr",
            "/tmp/x.gif",
        ],
        &set.state(),
    );
    assert_eq!(qr.status.code(), Some(1));
    assert!(stderr(&qr).contains(".png or .svg"), "{}", stderr(&qr));
}

#[test]
fn day_keys_are_given_for_a_bounded_run_of_days_and_refused_otherwise() {
    let set = KeySet::new(false);
    let written = set.write_day_keys("week.key", "2022-12-10", 7);
    let file = std::fs::read_to_string(&written).unwrap_or_default();
    assert!(
        file.contains("\"2022-12-10\"") && file.contains("\"2022-12-16\""),
        "{file}"
    );
    assert!(!file.contains("2022-12-17"), "{file}");
    let master = set.path("identity-master.key");
    let day_keys = |from: &str, days: &str, out: &str| set.day_keys(out, from, days);
    for (from, days, problem) in [
        ("2022-12-10", "0", "0 is not in 1..=62"),
        ("2022-12-10", "63", "63 is not in 1..=62"),
        ("2022-02-30", "7", "expected YYYY-MM-DD"),
        ("10/12/2022", "7", "expected YYYY-MM-DD"),
    ] {
        let refused = day_keys(from, days, "refused.key");
        assert_eq!(refused.status.code(), Some(2), "{from} {days}");
        assert!(stderr(&refused).contains(problem), "{}", stderr(&refused));
    }
    let again = day_keys("2022-12-10", "7", "week.key");
    assert_eq!(again.status.code(), Some(1), "never overwritten");
    // A day-key file is not a master key: the issuer refuses it by kind.
    let key = set.path(&format!("{}.secret", set.kid));
    let issue = |master: &str, date_of_issue: &str| {
        let args = [
            "issue",
            "--key",
            &key,
            "--identity-master-key",
            master,
            "--colour",
            "green",
            "--id-doc",
            "HKID:A1234563",
            "--date-of-issue",
            date_of_issue,
        ];
        run("issuer", &args, &set.state())
    };
    let wrong_kind = issue(&written, "2018-03-01");
    assert_eq!(wrong_kind.status.code(), Some(1));
    assert!(
        stderr(&wrong_kind).contains("identity master key file is not valid"),
        "{}",
        stderr(&wrong_kind)
    );
    let bad_date = issue(&master, "2018-13-01");
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(
        stderr(&bad_date).contains("YYYY-MM-DD"),
        "{}",
        stderr(&bad_date)
    );
}

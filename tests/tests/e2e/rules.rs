//! `issuer rules eval` and `issuer rules check` over the shared and our own vectors.

use std::path::{Path, PathBuf};

use crate::support::{run, stderr, stdout};

fn shared() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/colour");
    assert!(
        path.is_dir(),
        "the shared vectors must sit beside the repository: {}",
        path.display()
    );
    path
}

fn ours() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/colour")
}

fn issuer(args: &[&str]) -> std::process::Output {
    let state = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    run("issuer", args, state.path())
}

#[test]
fn rules_check_passes_the_shared_and_our_vectors() {
    let (shared, ours) = (shared(), ours());
    let output = issuer(&[
        "rules",
        "check",
        &shared.to_string_lossy(),
        &ours.to_string_lossy(),
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let last = text.lines().last().unwrap_or_default();
    let passed: usize = last
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        last.ends_with(" passed, 0 failed") && passed >= 175,
        "{last}"
    );
}

#[test]
fn rules_eval_prints_a_line_per_vector() {
    let file = shared().join("basic.json");
    let output = issuer(&["rules", "eval", &file.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 13);
    assert_eq!(lines[1]["name"], "active confirmed case is red");
    assert_eq!(lines[1]["colour"], "red");
    assert_eq!(lines[1]["valid_until"], "2022-12-10T23:59:59+08:00");
    assert_eq!(lines[1]["reasons"], serde_json::json!(["confirmed_case"]));
    let refused = &lines[12];
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("person.statuses[0].start")),
        "{refused}"
    );
    assert!(refused.get("colour").is_none());
}

#[test]
fn rules_check_fails_on_a_wrong_expectation_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let wrong = dir.path().join("wrong.json");
    let text = std::fs::read_to_string(shared().join("basic.json")).unwrap_or_default();
    let text = text.replacen("\"colour\": \"red\"", "\"colour\": \"green\"", 1);
    std::fs::write(&wrong, text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap_or_else(|e| panic!("{e}"));
    let output = issuer(&["rules", "check", &dir.path().to_string_lossy()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL") && text.contains("active confirmed case is red"),
        "{text}"
    );
    assert!(text.contains("broken.json"), "{text}");
    assert!(text.trim_end().ends_with("12 passed, 2 failed"), "{text}");
    let eval = issuer(&[
        "rules",
        "eval",
        &dir.path().join("broken.json").to_string_lossy(),
    ]);
    assert_eq!(eval.status.code(), Some(1));
    assert!(stderr(&eval).contains("not JSON"), "{}", stderr(&eval));
}

#[test]
fn colour_vector_files_are_what_the_generator_makes() {
    let files = healthcode_tests::colour_vectors::files();
    assert!(files.len() >= 8);
    healthcode_tests::write_or_check(&ours(), &files, true).unwrap_or_else(|e| panic!("{e:#}"));
}

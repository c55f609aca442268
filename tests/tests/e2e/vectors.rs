//! Every token test vector through the real scanner binary; the files match the generator.

use std::{os::unix::fs::PermissionsExt as _, path::Path};

use healthcode_tests::vectors::{files, read_dir};

use crate::support::{json_lines, run_with_stdin};

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/tokens")
}

#[test]
fn vector_files_are_what_the_generator_makes() {
    for (name, text) in files() {
        let on_disk = std::fs::read_to_string(dir().join(&name)).unwrap_or_default();
        assert!(
            on_disk == text,
            "{name} is out of date: run `cargo run -p healthcode-tests --bin vectors -- tokens`"
        );
    }
}

#[test]
fn conversion_vector_files_are_what_the_generator_makes_and_the_scanner_passes_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/conversion");
    for (name, text) in healthcode_tests::conversion_vectors::files() {
        let on_disk = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        assert!(
            on_disk == text,
            "{name} is out of date: run `cargo run -p healthcode-tests --bin vectors -- conversion`"
        );
        let file = dir.join(&name).to_string_lossy().into_owned();
        let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let output = crate::support::run("scanner", &["conversion-vectors", &file], temp.path());
        assert!(
            output.status.success(),
            "{}",
            crate::support::stderr(&output)
        );
        assert!(crate::support::stdout(&output).contains("14 cases pass"));
    }
}

#[test]
fn scanner_gives_every_vector_its_expected_result() {
    let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The identity keys are TEST-ONLY; git keeps them 0644, the scanner wants 0600.
    let secret_copy = |name: &str| {
        let copy = temp.path().join(name);
        std::fs::copy(dir().join(name), &copy).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|e| panic!("{e}"));
        copy.to_string_lossy().into_owned()
    };
    let identity = secret_copy("TEST-ONLY-identity.key");
    let days = secret_copy("TEST-ONLY-identity-days.key");
    let (trust, root) = (dir().join("trust.json"), dir().join("root.public"));
    let vectors = read_dir(&dir()).unwrap_or_else(|e| panic!("{e}"));
    assert!(vectors.len() >= 38);
    for vector in vectors {
        // The vectors are signed by TEST-ONLY keys: specimens, accepted here.
        let mut args = vec![
            "verify".to_owned(),
            "--accept-specimen".into(),
            "--json".into(),
            "--trust".into(),
            trust.to_string_lossy().into_owned(),
            "--root".into(),
            root.to_string_lossy().into_owned(),
            "--state".into(),
            temp.path()
                .join("state.json")
                .to_string_lossy()
                .into_owned(),
            "--at".into(),
            vector.now.clone(),
        ];
        if let Some(doc) = &vector.id_doc {
            args.extend([
                "--identity-key".into(),
                identity.clone(),
                "--identity-day-keys".into(),
                days.clone(),
                "--id-doc".into(),
                doc.clone(),
            ]);
        }
        if let Some(date) = &vector.date_of_issue {
            args.extend(["--date-of-issue".into(), date.clone()]);
        }
        // Through stdin, where every line is a token text (even one without a prefix).
        args.push("-".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = run_with_stdin(
            "scanner",
            &args,
            temp.path(),
            &format!("{}\n", vector.token),
        );
        let report = &json_lines(&output)[0];
        let name = &vector.name;
        let expect = &vector.expect;
        assert_eq!(report["valid"], expect.valid, "{name}: {report}");
        assert_eq!(report["specimen"], expect.specimen, "{name}: {report}");
        assert_eq!(
            report["colour"].as_str(),
            expect.colour.map(|c| c.as_str()),
            "{name}: {report}"
        );
        assert_eq!(
            report["identity"],
            expect.identity.as_str(),
            "{name}: {report}"
        );
        assert_eq!(
            report["error"]["code"].as_str(),
            expect.error.as_deref(),
            "{name}: {report}"
        );
        assert_eq!(
            output.status.code(),
            Some(if expect.valid { 0 } else { 1 }),
            "{name}"
        );
    }
}

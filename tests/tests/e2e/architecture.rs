//! What the crates link, as `cargo tree` sees it: the offline scanner links
//! no server stack, the keys crate no command-line parser (see
//! `docs/architecture.md`).

use std::process::Command;

/// The normal (not dev, not build) dependencies of `package`, by name.
fn dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cargo tree: {e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn linked<'a>(package: &str, forbidden: &[&'a str]) -> Vec<&'a str> {
    let deps = dependencies(package);
    assert!(deps.iter().any(|d| d == package), "{deps:?}");
    forbidden
        .iter()
        .copied()
        .filter(|name| deps.iter().any(|d| d == name))
        .collect()
}

#[test]
fn the_offline_scanner_links_no_server_stack() {
    let server = ["axum", "tokio", "redis", "rustls", "sqlx", "hyper"];
    assert_eq!(linked("healthcode-scanner", &server), Vec::<&str>::new());
    assert_eq!(linked("healthcode-verifier", &server), Vec::<&str>::new());
}

#[test]
fn libraries_carry_no_binary_only_dependencies() {
    let binary_only = ["clap", "anyhow", "tracing-subscriber"];
    for library in [
        "healthcode-keys",
        "healthcode-verifier",
        "healthcode-issuer",
    ] {
        assert_eq!(
            linked(library, &binary_only),
            Vec::<&str>::new(),
            "{library}"
        );
    }
}

//! Test support for the whole workspace: generators of data and helpers for end-to-end tests.
//!
//! # Layout
//! - [`accounts`]: multipart forms, valid HKIDs, PINs: driving resident accounts.
//! - [`browser`]: a real headless Chromium over WebDriver, with axe-core.
//! - [`photo`]: a seeded generator of degraded photos of QR codes.
//! - [`redis_server`]: a real `redis-server` on a free port, for end-to-end tests.
//! - [`load`]: what the load tools share: servers, concurrent clients, percentiles.
//! - [`vectors`]: the token test vectors: generation and the file format.
//! - [`conversion_vectors`]: the conversion vectors, and the worked example checked step by step.
//! - [`colour_vectors`], [`colour_cases`]: the colour-rule vectors, written by hand.
//! - `src/bin/`: `photo-corpus`, `vectors`, `load-server`, `accounts-load`, `codes-load`, `pages-load`.

use std::{collections::BTreeMap, path::Path};

pub mod accounts;
pub mod browser;
pub mod colour_cases;
pub mod colour_vectors;
pub mod conversion_vectors;
pub mod databases;
pub mod load;
pub mod photo;
pub mod redis_server;
pub mod vectors;

/// Writes `files` into `dir`, or with `check` compares them with what is
/// there; says what it did.
///
/// # Errors
/// I/O errors, and with `check` the names of the files that differ.
pub fn write_or_check(
    dir: &Path,
    files: &BTreeMap<String, String>,
    check: bool,
) -> anyhow::Result<String> {
    if check {
        let stale: Vec<&str> = files
            .iter()
            .filter(|(name, text)| {
                std::fs::read_to_string(dir.join(name)).ok().as_ref() != Some(*text)
            })
            .map(|(name, _)| name.as_str())
            .collect();
        anyhow::ensure!(
            stale.is_empty(),
            "out of date in {}: {} (run the generator to rewrite)",
            dir.display(),
            stale.join(", ")
        );
        return Ok(format!(
            "{} files up to date in {}",
            files.len(),
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir)?;
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(format!("wrote {} files to {}", files.len(), dir.display()))
}

//! `issuer rules eval` and `issuer rules check`: the colour rules over vector files.

use std::{
    collections::BTreeSet,
    io::{self, Read as _, Write},
    path::{Path, PathBuf},
};

use serde_json::Value;

use super::{
    Evaluation, evaluate,
    index::Designations,
    vector::{Case, format_valid_until, name_of, parse_case, parse_time},
};
use crate::Error;

/// The largest vector file read.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Evaluates one vector (ignoring `expect`).
///
/// # Errors
/// [`Error::BadFact`] for bad input, naming the field.
pub fn evaluate_vector(vector: &Value) -> Result<Evaluation, Error> {
    let Case {
        now,
        person,
        high_risk,
    } = parse_case(vector)?;
    Ok(evaluate(&person, &Designations::new(&high_risk), now))
}

/// One `rules eval` output line, fields in the spec's order.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum EvalLine {
    /// The evaluation.
    Result {
        /// The vector's name.
        name: Option<String>,
        /// `green`, `amber` or `red`.
        colour: &'static str,
        /// RFC 3339 at +08:00.
        valid_until: String,
        /// Reason ids.
        reasons: Vec<&'static str>,
    },
    /// Bad input.
    Error {
        /// The vector's name.
        name: Option<String>,
        /// What is wrong, naming the field.
        error: String,
    },
}

/// The `rules eval` line for one vector.
pub fn eval_line(vector: &Value) -> EvalLine {
    let name = name_of(vector);
    match evaluate_vector(vector) {
        Ok(e) => EvalLine::Result {
            name,
            colour: e.colour.name(),
            valid_until: format_valid_until(e.valid_until),
            reasons: e.reasons.iter().map(|r| r.id()).collect(),
        },
        Err(error) => EvalLine::Error {
            name,
            error: error.to_string(),
        },
    }
}

/// Reads a vector file: one object or an array of them.
///
/// # Errors
/// [`Error::Io`] when unreadable or larger than [`MAX_FILE_BYTES`];
/// [`Error::VectorFile`] when not JSON.
pub fn read_vectors(path: &Path) -> Result<Vec<Value>, Error> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        let too_big = io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MAX_FILE_BYTES} bytes"),
        );
        return Err(Error::Io {
            path: path.to_owned(),
            source: too_big,
        });
    }
    let value: Value = serde_json::from_str(&text).map_err(|source| Error::VectorFile {
        path: path.to_owned(),
        source,
    })?;
    Ok(match value {
        Value::Array(items) => items,
        other => vec![other],
    })
}

/// `rules eval FILE...`: a JSON line per vector on `out`; `false` if any file
/// could not be read as JSON (reported on `err`).
///
/// # Errors
/// Only I/O errors writing `out` or `err`.
pub fn eval_files(
    paths: &[PathBuf],
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<bool> {
    let mut all_read = true;
    for path in paths {
        match read_vectors(path) {
            Ok(vectors) => {
                for vector in &vectors {
                    // Strings, options and vectors of strings always serialise.
                    writeln!(
                        out,
                        "{}",
                        serde_json::to_string(&eval_line(vector)).unwrap_or_default()
                    )?;
                }
            }
            Err(e) => {
                writeln!(err, "issuer: {e}")?;
                all_read = false;
            }
        }
    }
    Ok(all_read)
}

/// Counts of a `rules check` run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Vectors whose result matched `expect`.
    pub passed: usize,
    /// Vectors that did not, and files that could not be read.
    pub failed: usize,
}

/// `rules check FILE_OR_DIR...`: a line per failure, then `N passed, M failed`.
///
/// # Errors
/// Only I/O errors writing `out`.
pub fn check_paths(paths: &[PathBuf], out: &mut impl Write) -> io::Result<Summary> {
    let mut summary = Summary::default();
    for root in paths {
        let files = match json_files(root) {
            Ok(files) => files,
            Err(e) => {
                writeln!(out, "FAIL {e}")?;
                summary.failed += 1;
                continue;
            }
        };
        for file in files {
            check_file(&file, out, &mut summary)?;
        }
    }
    writeln!(out, "{} passed, {} failed", summary.passed, summary.failed)?;
    Ok(summary)
}

fn check_file(file: &Path, out: &mut impl Write, summary: &mut Summary) -> io::Result<()> {
    let vectors = match read_vectors(file) {
        Ok(vectors) => vectors,
        Err(e) => {
            summary.failed += 1;
            return writeln!(out, "FAIL {e}");
        }
    };
    for vector in &vectors {
        match compare(vector) {
            Ok(()) => summary.passed += 1,
            Err(why) => {
                let name = name_of(vector).unwrap_or_else(|| "(unnamed)".into());
                writeln!(out, "FAIL {}: {name}: {why}", file.display())?;
                summary.failed += 1;
            }
        }
    }
    Ok(())
}

/// The `.json` files at `path`: itself, or every one below it, sorted.
fn json_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut children = std::fs::read_dir(path)
        .map_err(io)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    children.sort();
    let mut files = Vec::new();
    for child in children {
        if child.is_dir() {
            files.extend(json_files(&child)?);
        } else if child.extension().is_some_and(|e| e == "json") {
            files.push(child);
        }
    }
    Ok(files)
}

/// Compares a vector's evaluation with its `expect`; the error says how they differ.
fn compare(vector: &Value) -> Result<(), String> {
    let expect = vector.get("expect").ok_or("no \"expect\"")?;
    let result = evaluate_vector(vector);
    if expect.get("error") == Some(&Value::Bool(true)) {
        return match result {
            Err(_) => Ok(()),
            Ok(e) => Err(format!("expected an error, got {}", describe(&e))),
        };
    }
    let got = result.map_err(|e| format!("expected a result, got error: {e}"))?;
    let colour = expect
        .get("colour")
        .and_then(Value::as_str)
        .ok_or("expect.colour missing")?;
    let until = expect
        .get("valid_until")
        .and_then(Value::as_str)
        .ok_or("expect.valid_until missing")?;
    let until = parse_time(until).map_err(|p| format!("expect.valid_until: {p}"))?;
    let reasons: BTreeSet<&str> = expect
        .get("reasons")
        .and_then(Value::as_array)
        .ok_or("expect.reasons missing")?
        .iter()
        .map(|r| r.as_str().ok_or("expect.reasons must hold strings"))
        .collect::<Result<_, _>>()?;
    let got_reasons: BTreeSet<&str> = got.reasons.iter().map(|r| r.id()).collect();
    if got.colour.name() == colour && got.valid_until == until && got_reasons == reasons {
        return Ok(());
    }
    let wanted: Vec<_> = reasons.into_iter().collect();
    Err(format!(
        "expected {colour} until {} {wanted:?}, got {}",
        format_valid_until(until),
        describe(&got)
    ))
}

fn describe(e: &Evaluation) -> String {
    let reasons: Vec<_> = e.reasons.iter().map(|r| r.id()).collect();
    format!(
        "{} until {} {reasons:?}",
        e.colour.name(),
        format_valid_until(e.valid_until)
    )
}

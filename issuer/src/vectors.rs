//! `issuer rules eval` and `issuer rules check`: the colour rules over
//! vector files. The rules themselves are pure; this is where files are
//! found, read and compared.

use std::{
    collections::BTreeSet,
    io::{self, Read as _, Write},
    path::{Path, PathBuf},
};

use serde_json::Value;

use crate::{
    Error,
    rules::{
        Evaluation, evaluate,
        index::Designations,
        vector::{Case, FactProblem, format_valid_until, name_of, parse_case, parse_time},
    },
};

/// The largest vector file read.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Evaluates one vector (ignoring `expect`).
///
/// # Errors
/// [`Error::Fact`] for bad input, naming the field.
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
            colour: e.colour.as_str(),
            valid_until: format_valid_until(e.valid_until),
            reasons: e.reasons.iter().map(|r| r.as_str()).collect(),
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

/// How a vector's evaluation differs from its `expect`.
#[derive(Debug, thiserror::Error)]
pub enum Mismatch {
    /// The vector has no `expect`.
    #[error("no \"expect\"")]
    NoExpect,
    /// A field of `expect` is missing or of the wrong type.
    #[error("expect.{field} missing or not {wanted}")]
    BadExpect {
        /// The field.
        field: &'static str,
        /// What it should hold.
        wanted: &'static str,
    },
    /// `expect.valid_until` is not a timestamp.
    #[error("expect.valid_until: {0}")]
    BadExpectTime(FactProblem),
    /// Bad input was expected, and the engine evaluated it.
    #[error("expected an error, got {}", describe(.0))]
    ExpectedError(Evaluation),
    /// A result was expected, and the engine refused the input.
    #[error("expected a result, got error: {0}")]
    ExpectedResult(Error),
    /// Colour, validity or reasons differ.
    #[error("expected {colour} until {} {reasons:?}, got {}", format_valid_until(*valid_until), describe(got))]
    Differs {
        /// The expected colour.
        colour: String,
        /// The expected validity.
        valid_until: time::OffsetDateTime,
        /// The expected reasons.
        reasons: Vec<String>,
        /// What the engine said.
        got: Evaluation,
    },
}

/// Compares a vector's evaluation with its `expect`.
fn compare(vector: &Value) -> Result<(), Mismatch> {
    let expect = vector.get("expect").ok_or(Mismatch::NoExpect)?;
    let result = evaluate_vector(vector);
    if expect.get("error") == Some(&Value::Bool(true)) {
        return match result {
            Err(_) => Ok(()),
            Ok(e) => Err(Mismatch::ExpectedError(e)),
        };
    }
    let got = result.map_err(Mismatch::ExpectedResult)?;
    let bad = |field, wanted| Mismatch::BadExpect { field, wanted };
    let colour = expect
        .get("colour")
        .and_then(Value::as_str)
        .ok_or(bad("colour", "a string"))?;
    let until = expect
        .get("valid_until")
        .and_then(Value::as_str)
        .ok_or(bad("valid_until", "a string"))?;
    let until = parse_time(until).map_err(Mismatch::BadExpectTime)?;
    let reasons: BTreeSet<&str> = expect
        .get("reasons")
        .and_then(Value::as_array)
        .ok_or(bad("reasons", "an array"))?
        .iter()
        .map(|r| r.as_str().ok_or(bad("reasons", "an array of strings")))
        .collect::<Result<_, _>>()?;
    let got_reasons: BTreeSet<&str> = got.reasons.iter().map(|r| r.as_str()).collect();
    if got.colour.as_str() == colour && got.valid_until == until && got_reasons == reasons {
        return Ok(());
    }
    Err(Mismatch::Differs {
        colour: colour.to_owned(),
        valid_until: until,
        reasons: reasons.into_iter().map(str::to_owned).collect(),
        got,
    })
}

fn describe(e: &Evaluation) -> String {
    let reasons: Vec<_> = e.reasons.iter().map(|r| r.as_str()).collect();
    format!(
        "{} until {} {reasons:?}",
        e.colour.as_str(),
        format_valid_until(e.valid_until)
    )
}

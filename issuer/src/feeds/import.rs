//! Bulk files for `issuer feeds import`: CSV with a header row, or JSON (an
//! array of records, or `{"records": [...]}`), the same records as the API.
//!
//! CSV columns are the JSON fields; an empty cell is `null`, and columns the
//! feed does not know are ignored:
//! - statuses: `id_document,kind,start,end[,withdrawn]`
//! - designations: `place,start,end[,withdrawn]`
//! - arrivals: `id_document,at,origin,scheme,quarantine[,withdrawn]`
//!
//! A file that cannot be read as a whole (too large, no header, a missing
//! column, not JSON) changes nothing. Otherwise each bad row is refused with
//! its line and reason, and every good row is stored, in submissions of
//! [`MAX_RECORDS_PER_SUBMISSION`] records.

use std::{fs::File, io::Read as _, path::Path};

use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{MAX_RECORDS_PER_SUBMISSION, Submitter, submit};
use crate::{Error, FileProblem, model::FeedKind, store::Store};

/// The largest file read.
pub const MAX_IMPORT_BYTES: u64 = 256 * 1024 * 1024;

/// The largest JSON file (parsed whole, unlike CSV, which is read in chunks).
pub const MAX_JSON_IMPORT_BYTES: u64 = 64 * 1024 * 1024;

/// The columns every row of `kind` needs.
pub fn required_columns(kind: FeedKind) -> &'static [&'static str] {
    match kind {
        FeedKind::Statuses => &["id_document", "kind", "start", "end"],
        FeedKind::Designations => &["place", "start", "end"],
        FeedKind::Arrivals => &["id_document", "at", "origin", "scheme", "quarantine"],
    }
}

/// Why one CSV row was refused before its record was checked.
#[derive(Debug, thiserror::Error)]
pub enum FeedRowProblem {
    /// Not a row of the header's columns (a wrong count, a broken quote).
    #[error("not a row of the header's columns: {0}")]
    NotARow(#[source] csv::Error),
    /// A cell that is not UTF-8 text.
    #[error("{column}: not UTF-8 text")]
    NotUtf8 {
        /// The column.
        column: String,
    },
}

/// One refused row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedRow {
    /// `line 7` (CSV) or `records[3]` (JSON).
    pub at: String,
    /// Why.
    pub reason: String,
    /// Why, as a stable code (for pages that say it in the reader's language).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// The field the problem is in, where it is in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// The batches stored, one per submission that stored a record.
    pub batches: Vec<String>,
    /// Rows read.
    pub received: usize,
    /// Rows stored.
    pub stored: usize,
    /// Rows identical to what is held.
    pub unchanged: usize,
    /// Rows refused.
    pub refused: Vec<RefusedRow>,
}

/// A record and where it is, for messages.
struct Located {
    at: String,
    path: String,
    value: Value,
}

/// Imports the file at `path` as records of `kind` submitted by `submitter`.
///
/// # Errors
/// [`Error::ImportFile`] when the file cannot be read as a whole (then
/// nothing is stored); [`Error::Db`].
pub async fn import_file(
    store: &Store,
    kind: FeedKind,
    path: &Path,
    submitter: Submitter<'_>,
    now: OffsetDateTime,
) -> Result<ImportSummary, Error> {
    let refuse = |problem: FileProblem| Error::ImportFile {
        path: path.to_owned(),
        problem,
    };
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let limit = if is_json {
        MAX_JSON_IMPORT_BYTES
    } else {
        MAX_IMPORT_BYTES
    };
    if size > limit {
        return Err(refuse(FileProblem::TooLarge { size, limit }));
    }
    let file = File::open(path).map_err(io)?;
    let format = if is_json { Format::Json } else { Format::Csv };
    import_reader(
        store,
        kind,
        format,
        file.take(limit + 1),
        path,
        submitter,
        now,
    )
    .await
}

/// How a feed file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// JSON: an array of records, or `{"records": [...]}`.
    Json,
}

/// Imports the file `input` (named `path` in messages) as [`import_file`]
/// does, once its size is known to be within the limit.
///
/// # Errors
/// As [`import_file`].
pub async fn import_reader(
    store: &Store,
    kind: FeedKind,
    format: Format,
    input: impl std::io::Read,
    path: &Path,
    submitter: Submitter<'_>,
    now: OffsetDateTime,
) -> Result<ImportSummary, Error> {
    let refuse = |problem: FileProblem| Error::ImportFile {
        path: path.to_owned(),
        problem,
    };
    let mut summary = ImportSummary::default();
    if format == Format::Json {
        let records = read_json(input).map_err(refuse)?;
        for chunk in records.chunks(MAX_RECORDS_PER_SUBMISSION) {
            submit_chunk(store, kind, chunk, submitter, now, &mut summary).await?;
        }
        return Ok(summary);
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(input);
    let header = csv_header(&mut reader, kind).map_err(refuse)?;
    let mut chunk = Vec::with_capacity(MAX_RECORDS_PER_SUBMISSION);
    let mut rows = reader.byte_records();
    loop {
        let next = rows.next();
        let done = next.is_none();
        if let Some(row) = next {
            let line = row.as_ref().map_or_else(
                |e| e.position().map(|p| p.line()),
                |r| r.position().map(|p| p.line()),
            );
            let at = format!("line {}", line.unwrap_or(0));
            let record = match row {
                Ok(row) => csv_record(&header, &row),
                Err(e) => Err(FeedRowProblem::NotARow(e)),
            };
            match record {
                Ok(value) => chunk.push(Located {
                    value,
                    at,
                    path: String::new(),
                }),
                Err(problem) => {
                    summary.received += 1;
                    let (code, field) = match &problem {
                        FeedRowProblem::NotARow(_) => ("not_a_row", None),
                        FeedRowProblem::NotUtf8 { column } => ("not_utf8", Some(column.clone())),
                    };
                    summary.refused.push(RefusedRow {
                        at,
                        reason: problem.to_string(),
                        code: Some(code),
                        field,
                    });
                }
            }
        }
        if chunk.len() == MAX_RECORDS_PER_SUBMISSION || (done && !chunk.is_empty()) {
            submit_chunk(store, kind, &chunk, submitter, now, &mut summary).await?;
            chunk.clear();
        }
        if done {
            return Ok(summary);
        }
    }
}

async fn submit_chunk(
    store: &Store,
    kind: FeedKind,
    chunk: &[Located],
    submitter: Submitter<'_>,
    now: OffsetDateTime,
    summary: &mut ImportSummary,
) -> Result<(), Error> {
    let records: Vec<(String, Value)> = chunk
        .iter()
        .map(|r| (r.path.clone(), r.value.clone()))
        .collect();
    let done = submit(store, kind, &records, submitter, now).await?;
    summary.batches.extend(done.batch);
    summary.received += done.received;
    summary.stored += done.stored;
    summary.unchanged += done.unchanged;
    summary
        .refused
        .extend(done.refused.into_iter().map(|r| RefusedRow {
            at: chunk[r.index].at.clone(),
            reason: r.reason,
            code: r.code,
            field: r.field,
        }));
    Ok(())
}

/// The records of a JSON file: an array, or an object with `records`.
fn read_json(input: impl std::io::Read) -> Result<Vec<Located>, FileProblem> {
    let value: Value = serde_json::from_reader(input).map_err(FileProblem::NotJson)?;
    let records = match value {
        Value::Array(records) => records,
        Value::Object(mut object) => match object.remove("records") {
            Some(Value::Array(records)) => records,
            _ => return Err(FileProblem::NotRecords),
        },
        _ => return Err(FileProblem::NotRecords),
    };
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(i, value)| Located {
            at: String::new(),
            path: format!("records[{i}]"),
            value,
        })
        .collect())
}

/// The header's column names, checked to hold every column `kind` needs.
fn csv_header(
    reader: &mut csv::Reader<impl std::io::Read>,
    kind: FeedKind,
) -> Result<Vec<String>, FileProblem> {
    let header: Vec<String> = reader
        .headers()
        .map_err(FileProblem::NoHeader)?
        .iter()
        .map(str::to_owned)
        .collect();
    let missing: Vec<&str> = required_columns(kind)
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if missing.is_empty() {
        Ok(header)
    } else {
        Err(FileProblem::MissingColumns {
            kind,
            missing,
            needed: required_columns(kind),
        })
    }
}

/// A CSV row as the JSON record the API takes: an empty cell is `null`,
/// `withdrawn` a boolean when it reads as one.
///
/// # Errors
/// [`FeedRowProblem::NotUtf8`] naming the column.
fn csv_record(header: &[String], row: &csv::ByteRecord) -> Result<Value, FeedRowProblem> {
    let mut object = Map::new();
    for (name, cell) in header.iter().zip(row.iter()) {
        let text = std::str::from_utf8(cell).map_err(|_| FeedRowProblem::NotUtf8 {
            column: name.clone(),
        })?;
        let value = match (name.as_str(), text) {
            (_, "") => Value::Null,
            ("withdrawn", "true") => Value::Bool(true),
            ("withdrawn", "false") => Value::Bool(false),
            (_, text) => Value::String(text.to_owned()),
        };
        object.insert(name.clone(), value);
    }
    Ok(Value::Object(object))
}

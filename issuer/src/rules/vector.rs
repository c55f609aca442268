//! The JSON test-vector format of the colour-rules spec, read strictly: every
//! refusal names the field (`person.statuses[0].start`) and the problem.
//!
//! A key that may hold `null` must still be present: a missing key is refused
//! rather than guessed to mean `null`. Unknown extra keys are ignored.

use std::fmt;

use healthcode_keys::{hktime::HK_OFFSET, names::UnknownName};
use serde_json::Value;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::facts::{Arrival, Designation, Person, Status, Visit};

/// What is wrong with one field of a vector.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FactProblem {
    /// A required key is absent.
    Missing,
    /// The value has the wrong JSON type.
    WrongType {
        /// The type wanted.
        expected: &'static str,
    },
    /// A timestamp without an offset.
    NoOffset {
        /// The text.
        text: String,
    },
    /// A timestamp that does not parse.
    BadTime {
        /// The text.
        text: String,
    },
    /// A value outside the allowed set.
    UnknownValue {
        /// The value found.
        found: String,
        /// The values allowed.
        known: &'static [&'static str],
    },
    /// An `end` before its `start`.
    EndBeforeStart,
}

impl FactProblem {
    /// A stable code for the problem, for pages that say it in the reader's
    /// language.
    pub fn code(&self) -> &'static str {
        match self {
            FactProblem::Missing => "missing",
            FactProblem::WrongType { .. } => "wrong_type",
            FactProblem::NoOffset { .. } => "no_offset",
            FactProblem::BadTime { .. } => "bad_time",
            FactProblem::UnknownValue { .. } => "unknown_value",
            FactProblem::EndBeforeStart => "end_before_start",
        }
    }
}

impl fmt::Display for FactProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactProblem::Missing => f.write_str("missing"),
            FactProblem::WrongType { expected } => write!(f, "must be {expected}"),
            FactProblem::NoOffset { text } => {
                write!(
                    f,
                    "timestamp {text:?} has no offset (write Z or +08:00 ...)"
                )
            }
            FactProblem::BadTime { text } => write!(f, "{text:?} is not an RFC 3339 timestamp"),
            FactProblem::UnknownValue { found, known } => {
                write!(f, "unknown value {found:?} (known: {})", known.join(", "))
            }
            FactProblem::EndBeforeStart => f.write_str("is before start"),
        }
    }
}

/// A field of a vector or feed record that is wrong: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FactError {
    /// Where in the input, e.g. `person.statuses[0].start`.
    pub field: String,
    /// What is wrong.
    pub problem: FactProblem,
}

/// One vector's input, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The evaluation instant.
    pub now: OffsetDateTime,
    /// The person's facts.
    pub person: Person,
    /// The high-risk designations.
    pub high_risk: Vec<Designation>,
}

/// A JSON value and where it is in the vector.
#[derive(Debug)]
struct At<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> At<'a> {
    fn fail(&self, problem: FactProblem) -> FactError {
        FactError {
            field: self.path.clone(),
            problem,
        }
    }

    fn field(&self, key: &str) -> Result<At<'a>, FactError> {
        let object = self.value.as_object().ok_or_else(|| {
            self.fail(FactProblem::WrongType {
                expected: "an object",
            })
        })?;
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        match object.get(key) {
            Some(value) => Ok(At { value, path }),
            None => Err(FactError {
                field: path,
                problem: FactProblem::Missing,
            }),
        }
    }

    fn items(&self) -> Result<Vec<At<'a>>, FactError> {
        let array = self.value.as_array().ok_or_else(|| {
            self.fail(FactProblem::WrongType {
                expected: "an array",
            })
        })?;
        Ok(array
            .iter()
            .enumerate()
            .map(|(i, value)| At {
                value,
                path: format!("{}[{i}]", self.path),
            })
            .collect())
    }

    fn string(&self) -> Result<String, FactError> {
        self.value.as_str().map(str::to_owned).ok_or_else(|| {
            self.fail(FactProblem::WrongType {
                expected: "a string",
            })
        })
    }

    fn nullable<T>(
        &self,
        parse: impl FnOnce(&Self) -> Result<T, FactError>,
    ) -> Result<Option<T>, FactError> {
        if self.value.is_null() {
            Ok(None)
        } else {
            parse(self).map(Some)
        }
    }

    fn time(&self) -> Result<OffsetDateTime, FactError> {
        let text = self.value.as_str().ok_or_else(|| {
            self.fail(FactProblem::WrongType {
                expected: "an RFC 3339 timestamp string",
            })
        })?;
        parse_time(text).map_err(|problem| self.fail(problem))
    }

    fn choice<T: std::str::FromStr<Err = UnknownName>>(&self) -> Result<T, FactError> {
        let text = self.string()?;
        text.parse().map_err(|e: UnknownName| {
            self.fail(FactProblem::UnknownValue {
                found: text,
                known: e.known,
            })
        })
    }
}

/// Parses an RFC 3339 timestamp that carries an offset; the result is in UTC.
///
/// # Errors
/// [`FactProblem::NoOffset`] or [`FactProblem::BadTime`].
pub fn parse_time(text: &str) -> Result<OffsetDateTime, FactProblem> {
    if let Ok(at) = healthcode_keys::hktime::parse_rfc3339(text) {
        return Ok(at);
    }
    // Only to say why it failed: a local time without an offset is the common mistake.
    let local = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day][first [T] [t] [ ]][hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    match PrimitiveDateTime::parse(text, &local) {
        Ok(_) => Err(FactProblem::NoOffset {
            text: text.to_owned(),
        }),
        Err(_) => Err(FactProblem::BadTime {
            text: text.to_owned(),
        }),
    }
}

/// The vector's `name`, if it has a string one.
pub fn name_of(vector: &Value) -> Option<String> {
    vector
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Parses the input part of one vector (`now`, `person`, `high_risk`).
///
/// # Errors
/// [`FactError`] naming the first field that is wrong.
pub fn parse_case(vector: &Value) -> Result<Case, FactError> {
    let root = At {
        value: vector,
        path: String::new(),
    };
    let now = root.field("now")?.time()?;
    let person = root.field("person")?;
    let statuses = person
        .field("statuses")?
        .items()?
        .iter()
        .map(status)
        .collect::<Result<_, _>>()?;
    let residence = person.field("residence")?.nullable(At::string)?;
    let visits = person
        .field("visits")?
        .items()?
        .iter()
        .map(visit)
        .collect::<Result<_, _>>()?;
    let arrivals = person
        .field("arrivals")?
        .items()?
        .iter()
        .map(arrival)
        .collect::<Result<_, _>>()?;
    let high_risk = root
        .field("high_risk")?
        .items()?
        .iter()
        .map(designation)
        .collect::<Result<_, _>>()?;
    Ok(Case {
        now,
        person: Person {
            statuses,
            residence,
            visits,
            arrivals,
        },
        high_risk,
    })
}

/// One record of a health-authority feed, read with the same strictness as a
/// vector's facts: errors name `path` and the field (`records[3].start`).
#[derive(Debug)]
pub struct Record<'a>(At<'a>);

impl<'a> Record<'a> {
    /// The record `value`, found at `path` in its request or file.
    pub fn new(value: &'a Value, path: impl Into<String>) -> Self {
        Record(At {
            value,
            path: path.into(),
        })
    }

    /// A required string field.
    ///
    /// # Errors
    /// [`FactError`] when missing or not a string.
    pub fn text(&self, key: &str) -> Result<String, FactError> {
        self.0.field(key)?.string()
    }

    /// An optional boolean field; absent or `null` is `false`.
    ///
    /// # Errors
    /// [`FactError`] when it is not a boolean.
    pub fn flag(&self, key: &str) -> Result<bool, FactError> {
        match self.0.value.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(FactError {
                field: format!("{}.{key}", self.0.path),
                problem: FactProblem::WrongType {
                    expected: "true or false",
                },
            }),
        }
    }

    /// The record as a status (`kind`, `start`, `end`).
    ///
    /// # Errors
    /// [`FactError`] naming the field.
    pub fn status(&self) -> Result<Status, FactError> {
        status(&self.0)
    }

    /// The record as a designation (`place`, `start`, `end`).
    ///
    /// # Errors
    /// [`FactError`] naming the field.
    pub fn designation(&self) -> Result<Designation, FactError> {
        designation(&self.0)
    }

    /// The record as an arrival (`at`, `origin`, `scheme`, `quarantine`).
    ///
    /// # Errors
    /// [`FactError`] naming the field.
    pub fn arrival(&self) -> Result<Arrival, FactError> {
        arrival(&self.0)
    }
}

/// `start` and `end` of a record, refusing an end before its start.
fn span(at: &At<'_>) -> Result<(OffsetDateTime, Option<OffsetDateTime>), FactError> {
    let start = at.field("start")?.time()?;
    let end_at = at.field("end")?;
    let end = end_at.nullable(At::time)?;
    if end.is_some_and(|end| end < start) {
        return Err(end_at.fail(FactProblem::EndBeforeStart));
    }
    Ok((start, end))
}

fn status(at: &At<'_>) -> Result<Status, FactError> {
    let kind = at.field("kind")?.choice()?;
    let (start, end) = span(at)?;
    Ok(Status { kind, start, end })
}

fn visit(at: &At<'_>) -> Result<Visit, FactError> {
    let place = at.field("place")?.string()?;
    let (start, end) = span(at)?;
    Ok(Visit { place, start, end })
}

fn designation(at: &At<'_>) -> Result<Designation, FactError> {
    let place = at.field("place")?.string()?;
    let (start, end) = span(at)?;
    Ok(Designation { place, start, end })
}

fn arrival(at: &At<'_>) -> Result<Arrival, FactError> {
    Ok(Arrival {
        at: at.field("at")?.time()?,
        origin: at.field("origin")?.choice()?,
        scheme: at.field("scheme")?.nullable(|s| s.choice())?,
        quarantine: at.field("quarantine")?.choice()?,
    })
}

/// `valid_until` as the spec writes it: RFC 3339 at `+08:00`.
pub fn format_valid_until(at: OffsetDateTime) -> String {
    healthcode_keys::hktime::format_hk(at.to_offset(HK_OFFSET))
}

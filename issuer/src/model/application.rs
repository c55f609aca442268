//! A registration as the applicant submitted it, checked field by field.

use healthcode_keys::{IdDocument, hktime::HK_OFFSET};
use serde::Serialize;
use time::{Date, OffsetDateTime, macros::format_description};

use super::{
    Lang,
    phone::{Phone, PhoneProblem},
    proof::{Proof, ProofProblem, ProofType},
};

/// One field that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The form field, e.g. `id_number`.
    pub field: String,
    /// What is wrong, for the applicant to read.
    pub message: String,
    /// What is wrong as a stable code ([`FieldProblem::code`]), for pages
    /// that say it in the reader's language.
    #[serde(skip)]
    pub code: Option<&'static str>,
}

impl FieldError {
    /// An error for `field`, in the words of `problem`.
    pub fn new(field: &str, problem: impl std::fmt::Display) -> Self {
        FieldError {
            field: field.to_owned(),
            message: problem.to_string(),
            code: None,
        }
    }

    /// An error for `field` that keeps the code of `problem`.
    pub fn of(field: &str, problem: FieldProblem) -> Self {
        FieldError {
            code: Some(problem.code()),
            ..FieldError::new(field, problem)
        }
    }

    /// An error for `field` with a stable `code` of its own.
    pub fn coded(field: &str, code: &'static str, problem: impl std::fmt::Display) -> Self {
        FieldError {
            code: Some(code),
            ..FieldError::new(field, problem)
        }
    }
}

/// What is wrong with one field of a form.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FieldProblem {
    /// Empty or absent.
    #[error("required")]
    Required,
    /// Longer than allowed.
    #[error("at most {max} characters")]
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// Shorter than allowed.
    #[error("{what} needs at least {min} characters")]
    TooShort {
        /// What the field holds, e.g. `an address`.
        what: &'static str,
        /// The fewest characters allowed.
        min: usize,
    },
    /// A character that draws nothing or reorders the text: a control
    /// character (a newline where none belongs, an escape), a bidi control,
    /// a zero-width character.
    #[error("{} is not allowed here: it is invisible or reorders the text (a control, bidi or zero-width character)", super::text::describe(*character))]
    HiddenCharacter {
        /// The first one found.
        character: char,
    },
    /// A name with no letter in any script.
    #[error("a name needs letters or characters")]
    NoLetters,
    /// Not a `YYYY-MM-DD` date.
    #[error("{text:?} is not a date written YYYY-MM-DD")]
    NotADate {
        /// The text given.
        text: String,
    },
    /// A date of issue after today in Hong Kong.
    #[error("the date of issue cannot be in the future")]
    DateInFuture,
    /// A date of issue before 1900.
    #[error("the date of issue is before 1900")]
    DateTooEarly,
    /// The ID document does not parse.
    #[error("{0}")]
    Document(#[from] healthcode_keys::Error),
    /// The phone number is not a mobile number we can reach.
    #[error("{0}")]
    Phone(#[from] PhoneProblem),
    /// The proof file is refused.
    #[error("{0}")]
    Proof(#[from] ProofProblem),
    /// Not one of the service's languages.
    #[error("the language is en or zh-HK")]
    Language,
}

impl FieldProblem {
    /// A stable code for the problem: `required`, `too_long`, `phone_country`, `proof_pdf`...
    pub fn code(&self) -> &'static str {
        match self {
            FieldProblem::Required => "required",
            FieldProblem::TooLong { .. } => "too_long",
            FieldProblem::TooShort { .. } => "too_short",
            FieldProblem::HiddenCharacter { .. } => "hidden_character",
            FieldProblem::NoLetters => "no_letters",
            FieldProblem::NotADate { .. } => "not_a_date",
            FieldProblem::DateInFuture => "date_in_future",
            FieldProblem::DateTooEarly => "date_too_early",
            FieldProblem::Document(_) => "document",
            FieldProblem::Phone(PhoneProblem::CountryCode) => "phone_country",
            FieldProblem::Phone(_) => "phone",
            FieldProblem::Proof(problem) => match problem {
                ProofProblem::Empty => "proof_empty",
                ProofProblem::TooLarge { .. } => "proof_too_large",
                ProofProblem::NotAccepted { .. } => "proof_type",
                ProofProblem::ActivePdf { .. }
                | ProofProblem::EncryptedPdf
                | ProofProblem::UnreadablePdf => "proof_pdf",
                ProofProblem::UnreadableImage | ProofProblem::Dimensions { .. } => "proof_image",
            },
            FieldProblem::Language => "language",
        }
    }
}

/// The form fields as received (text), before checking.
#[derive(Debug, Default)]
pub struct RawApplication {
    /// The name as on the ID document.
    pub name: Option<String>,
    /// `HKID`, `PERMIT`, `MOID` or `PASSPORT-<country>`.
    pub id_type: Option<String>,
    /// The document number.
    pub id_number: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_issue: Option<String>,
    /// A mobile number.
    pub phone: Option<String>,
    /// The residential address in Hong Kong.
    pub address: Option<String>,
    /// The proof file's bytes, if one was attached.
    pub proof: Option<Vec<u8>>,
    /// `en` or `zh-HK`, for SMS and letters; English when absent.
    pub language: Option<String>,
}

/// A registration whose every field is valid.
#[derive(Debug, Clone)]
pub struct Application {
    /// The name, trimmed.
    pub name: String,
    /// The ID document, normalised.
    pub document: IdDocument,
    /// The document's date of issue.
    pub date_of_issue: Date,
    /// The mobile number.
    pub phone: Phone,
    /// The address, trimmed, lines joined with `\n`.
    pub address: String,
    /// The address proof, if any.
    pub proof: Option<Proof>,
    /// The language of the applicant's SMS and letters.
    pub language: Lang,
}

impl RawApplication {
    /// Checks every field against the day it is (for the date of issue).
    ///
    /// # Errors
    /// Every wrong field at once, so the applicant can mend them in one go.
    pub fn check(self, now: OffsetDateTime) -> Result<Application, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut take = |field: &str, value: Option<String>| {
            let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
            if value.is_empty() {
                errors.push(FieldError::of(field, FieldProblem::Required));
            }
            value
        };
        let (name, id_type, id_number) = (
            take("name", self.name),
            take("id_type", self.id_type),
            take("id_number", self.id_number),
        );
        let (date_of_issue, phone, address) = (
            take("date_of_issue", self.date_of_issue),
            take("phone", self.phone),
            take("address", self.address),
        );
        let mut check = |field: &str, result: Result<(), FieldProblem>| {
            if let Err(problem) = result {
                errors.push(FieldError::of(field, problem));
            }
        };
        if !name.is_empty() {
            check("name", check_name(&name));
        }
        let document = (!id_type.is_empty() && !id_number.is_empty())
            .then(|| format!("{id_type}:{id_number}").parse::<IdDocument>())
            .and_then(|parsed| parsed.map_err(|e| check("id_number", Err(e.into()))).ok());
        let date = (!date_of_issue.is_empty())
            .then(|| parse_date_of_issue(&date_of_issue, now))
            .and_then(|parsed| parsed.map_err(|e| check("date_of_issue", Err(e))).ok());
        let phone = (!phone.is_empty())
            .then(|| Phone::parse(&phone))
            .and_then(|parsed| parsed.map_err(|e| check("phone", Err(e.into()))).ok());
        let address = (!address.is_empty())
            .then(|| normalise_address_text(&address))
            .and_then(|parsed| parsed.map_err(|e| check("address", Err(e))).ok());
        let proof = self
            .proof
            .map(Proof::check)
            .transpose()
            .map_err(|e| check("proof", Err(e.into())))
            .ok()
            .flatten();
        let language = match self.language.as_deref().map(str::trim) {
            None | Some("") => Some(Lang::En),
            Some(tag) => Lang::from_tag(tag).or_else(|| {
                check("language", Err(FieldProblem::Language));
                None
            }),
        };
        match (document, date, phone, address, language) {
            (Some(document), Some(date_of_issue), Some(phone), Some(address), Some(language))
                if errors.is_empty() =>
            {
                Ok(Application {
                    name,
                    document,
                    date_of_issue,
                    phone,
                    address,
                    proof,
                    language,
                })
            }
            _ => Err(errors),
        }
    }
}

fn refuse_hidden(text: &str, allow_newline: bool) -> Result<(), FieldProblem> {
    match super::text::hidden_character(text, allow_newline) {
        Some(character) => Err(FieldProblem::HiddenCharacter { character }),
        None => Ok(()),
    }
}

fn check_name(name: &str) -> Result<(), FieldProblem> {
    if name.chars().count() > 100 {
        return Err(FieldProblem::TooLong { max: 100 });
    }
    refuse_hidden(name, false)?;
    if !name.chars().any(char::is_alphabetic) {
        return Err(FieldProblem::NoLetters);
    }
    Ok(())
}

fn parse_date_of_issue(text: &str, now: OffsetDateTime) -> Result<Date, FieldProblem> {
    let date = Date::parse(text, format_description!("[year]-[month]-[day]")).map_err(|_| {
        FieldProblem::NotADate {
            text: text.to_owned(),
        }
    })?;
    let today = now.to_offset(HK_OFFSET).date();
    if date > today {
        return Err(FieldProblem::DateInFuture);
    }
    if date.year() < 1900 {
        return Err(FieldProblem::DateTooEarly);
    }
    Ok(date)
}

/// Trims each line, drops empty ones, joins with `\n`; 5 to 300 characters.
fn normalise_address_text(text: &str) -> Result<String, FieldProblem> {
    refuse_hidden(text, true)?;
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    match joined.chars().count() {
        0..5 => Err(FieldProblem::TooShort {
            what: "an address",
            min: 5,
        }),
        301.. => Err(FieldProblem::TooLong { max: 300 }),
        _ => Ok(joined),
    }
}

/// A name as the register of identity cards is matched: upper case, words
/// in any order, punctuation dropped. `Chan Tai-man` matches `CHAN, Tai Man`.
pub fn name_match_key(name: &str) -> String {
    let mut words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect();
    words.sort_unstable();
    words.join(" ")
}

/// The text whose blind index the register of identity cards holds for one
/// card: document, date of issue, name.
pub fn register_entry(
    document: &healthcode_keys::IdDocument,
    date_of_issue: Date,
    name: &str,
) -> String {
    format!(
        "{}\n{date_of_issue}\n{}",
        document.normalised(),
        name_match_key(name)
    )
}

impl Application {
    /// The proof's type, if a proof was attached.
    pub fn proof_type(&self) -> Option<ProofType> {
        self.proof.as_ref().map(|p| p.kind)
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn names_match_in_any_order_case_and_punctuation() {
        assert_eq!(
            name_match_key("Chan Tai-man"),
            name_match_key("CHAN, Tai Man")
        );
        assert_eq!(
            name_match_key("Tai Man CHAN"),
            name_match_key("CHAN Tai Man")
        );
        assert_ne!(
            name_match_key("CHAN Tai Man"),
            name_match_key("CHAN Tai Ming")
        );
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn raw() -> RawApplication {
        RawApplication {
            name: Some(" CHAN Tai Man ".into()),
            id_type: Some("HKID".into()),
            id_number: Some("A123456(3)".into()),
            date_of_issue: Some("2018-03-01".into()),
            phone: Some("9123 4567".into()),
            address: Some("Flat 12, 3/F\n  Block A, Kwai Chung Estate\n".into()),
            proof: None,
            language: None,
        }
    }

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    #[test]
    fn a_good_application_is_normalised() {
        let app = raw().check(NOW).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(app.name, "CHAN Tai Man");
        assert_eq!(app.document.normalised(), "HKID:A1234563");
        assert_eq!(app.phone.e164(), "+85291234567");
        assert_eq!(app.address, "Flat 12, 3/F\nBlock A, Kwai Chung Estate");
        assert_eq!(app.language, Lang::En);
    }

    #[test]
    fn the_language_is_one_of_the_two_or_refused_at_its_field() {
        let chinese = RawApplication {
            language: Some("zh-HK".into()),
            ..raw()
        };
        assert_eq!(
            chinese.check(NOW).map(|a| a.language).ok(),
            Some(Lang::ZhHk)
        );
        for bad in ["fr", "zh-TW", "en\u{202e}"] {
            let app = RawApplication {
                language: Some(bad.into()),
                ..raw()
            };
            let errors = app.check(NOW).err().unwrap_or_default();
            assert_eq!(errors.len(), 1, "{bad}");
            assert_eq!(errors[0].field, "language");
            assert_eq!(errors[0].code, Some("language"));
        }
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let app = RawApplication {
            name: Some("123".into()),
            id_number: Some("A123456(4)".into()),
            date_of_issue: Some("2030-01-01".into()),
            phone: Some("2123 4567".into()),
            address: Some("x".into()),
            proof: Some(b"\x7FELF".to_vec()),
            ..raw()
        };
        let errors = app.check(NOW).err().unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "id_number",
                "date_of_issue",
                "phone",
                "address",
                "proof"
            ],
            "{errors:?}"
        );
        assert!(errors[1].message.contains("check digit"), "{errors:?}");
    }

    #[test]
    fn missing_fields_are_required() {
        let errors = RawApplication::default()
            .check(NOW)
            .err()
            .unwrap_or_default();
        assert_eq!(errors.len(), 6);
        assert!(errors.iter().all(|e| e.message == "required"));
    }

    #[test]
    fn the_date_of_issue_is_judged_on_the_hong_kong_calendar() {
        // 16:30 UTC on 10 December is 00:30 on 11 December in Hong Kong.
        let late = datetime!(2022-12-10 16:30 UTC);
        let app = RawApplication {
            date_of_issue: Some("2022-12-11".into()),
            ..raw()
        };
        assert!(app.check(late).is_ok());
        let app = RawApplication {
            date_of_issue: Some("2022-12-11".into()),
            ..raw()
        };
        assert!(app.check(NOW).is_err());
    }
}

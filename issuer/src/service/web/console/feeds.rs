//! The health authority's and immigration's console: upload a feed file
//! (CSV with a header row, or JSON) of the kinds the role may submit, and
//! see per row what was stored and what was refused and why (the records
//! in force are on [`super::records`]'s page). The upload is the
//! CLI's import (`feeds::import::import_reader`): the same checks, one
//! audited batch per submission, re-evaluation woken at once.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Multipart, State, multipart::MultipartRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::{allowed, problem_page, sign_in::csrf_of};
use crate::{
    Error,
    feeds::{
        Submitter,
        import::{Format, ImportSummary, RefusedRow, import_reader},
    },
    model::{FeedKind, Role},
    service::{
        AppError, AppState,
        auth::{ConsoleStaff, csrf_matches},
        web::{
            frame::{Errors, Frame},
            lang::Lang,
        },
    },
};

const FEED_STAFF: &[Role] = &[Role::HealthAuthority, Role::Immigration];

/// The feed kinds, in the order the form lists them.
const KINDS: [FeedKind; 3] = [
    FeedKind::Statuses,
    FeedKind::Designations,
    FeedKind::Arrivals,
];

/// What an upload did.
#[derive(Debug)]
pub struct UploadResult {
    said: String,
    refused: Vec<RowSaid>,
}

/// A refused row as the page says it.
#[derive(Debug)]
pub struct RowSaid {
    /// `line 3`, 第 3 行, or `records[3]`.
    at: String,
    /// Why, in the page's language where the problem has a code.
    why: String,
    /// The language of `why` when it is not the page's (the API's English).
    why_lang: Option<&'static str>,
}

impl RowSaid {
    fn of(lang: Lang, row: RefusedRow) -> RowSaid {
        let line = row.at.strip_prefix("line ").map(str::to_owned);
        match (lang, row.code) {
            (Lang::ZhHk, Some(code)) => RowSaid {
                at: line.map_or(row.at, |n| lang.t_with("feeds-line", &[("line", &n)])),
                why: lang.t_with(
                    &format!("feed-problem-{code}"),
                    &[("field", row.field.as_deref().unwrap_or_default())],
                ),
                why_lang: None,
            },
            (Lang::ZhHk, None) => RowSaid {
                at: row.at,
                why: row.reason,
                why_lang: Some("en"),
            },
            (Lang::En, _) => RowSaid {
                at: row.at,
                why: row.reason,
                why_lang: None,
            },
        }
    }
}

/// The feeds page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/feeds.html")]
pub struct FeedsPage {
    frame: Frame,
    errors: Errors,
    /// Each kind's value, name, and whether it is the one chosen last.
    kinds: Vec<(&'static str, String, bool)>,
    result: Option<UploadResult>,
    csrf: String,
}

/// The kinds `role` may submit, with their names in `lang`; `chosen` stays
/// selected after an upload.
fn kinds_of(lang: Lang, role: Role, chosen: &str) -> Vec<(&'static str, String, bool)> {
    KINDS
        .into_iter()
        .filter(|k| k.roles().contains(&role))
        .map(|k| {
            let name = lang.t(&format!("feeds-kind-{}", k.as_str()));
            (k.as_str(), name, k.as_str() == chosen)
        })
        .collect()
}

fn render(
    lang: Lang,
    staff: &ConsoleStaff,
    chosen: &str,
    (status, errors, result): (StatusCode, Errors, Option<UploadResult>),
) -> Response {
    let page = FeedsPage {
        frame: Frame::console(lang, "/staff/feeds", "feeds-title")
            .signed_in(&staff.token)
            .with(&errors),
        errors,
        kinds: kinds_of(lang, staff.member.role, chosen),
        result,
        csrf: csrf_of(staff),
    };
    (status, page).into_response()
}

/// `GET /staff/feeds`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
) -> Response {
    match allowed(&state, lang, staff, FEED_STAFF, "feeds_console").await {
        Ok(staff) => render(lang, &staff, "", (StatusCode::OK, Errors::default(), None)),
        Err(page) => *page,
    }
}

/// The upload as sent.
#[derive(Debug, Default)]
struct Upload {
    csrf: String,
    kind: String,
    name: String,
    bytes: Vec<u8>,
}

async fn read_upload(mut form: Multipart) -> Option<Upload> {
    let mut upload = Upload::default();
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.ok()?;
        match name.as_str() {
            "csrf" => upload.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "kind" => upload.kind = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => {
                upload.name = file_name;
                upload.bytes = bytes.to_vec();
            }
            _ => return None,
        }
    }
    Some(upload)
}

/// JSON when the content starts as JSON does; else CSV.
fn format_of(bytes: &[u8]) -> Format {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[' | b'{') => Format::Json,
        _ => Format::Csv,
    }
}

/// `POST /staff/feeds`: imports the file; the page lists each refused row.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let staff = match allowed(&state, lang, staff, FEED_STAFF, "feeds_console").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    let refuse = |field: &'static str, key: &str| {
        let mut errors = Errors::default();
        errors.add(field, lang.t(key));
        (StatusCode::UNPROCESSABLE_ENTITY, errors, None)
    };
    let upload = match form {
        Ok(form) => read_upload(form).await,
        Err(_) => None,
    };
    let Some(upload) = upload else {
        return render(lang, &staff, "", refuse("file", "feeds-file-unreadable"));
    };
    if !csrf_matches(&upload.csrf, &staff.token) {
        return problem_page(lang, &AppError::CrossSite);
    }
    let kind = KINDS
        .into_iter()
        .find(|k| k.as_str() == upload.kind && k.roles().contains(&staff.member.role));
    let Some(kind) = kind else {
        return render(lang, &staff, "", refuse("kind", "feeds-kind-invalid"));
    };
    if upload.bytes.is_empty() {
        return render(
            lang,
            &staff,
            &upload.kind,
            refuse("file", "feeds-file-missing"),
        );
    }
    let actor = staff.member.actor();
    let source = format!(
        "console:{}",
        upload.name.chars().take(100).collect::<String>()
    );
    let submitter = Submitter {
        actor: &actor,
        source: &source,
    };
    let outcome = import_reader(
        &state.store,
        kind,
        format_of(&upload.bytes),
        upload.bytes.as_slice(),
        std::path::Path::new(&upload.name),
        submitter,
        state.now(),
    )
    .await;
    match outcome {
        Ok(summary) => {
            if !summary.batches.is_empty() {
                state.wake.reevaluate.notify_one();
            }
            let result = Some(result_of(lang, summary));
            render(
                lang,
                &staff,
                &upload.kind,
                (StatusCode::OK, Errors::default(), result),
            )
        }
        Err(Error::ImportFile { problem, .. }) => {
            let mut errors = Errors::default();
            errors.add(
                "file",
                lang.t_with("feeds-file-refused", &[("problem", &problem.to_string())]),
            );
            render(
                lang,
                &staff,
                &upload.kind,
                (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
            )
        }
        Err(other) => problem_page(lang, &AppError::Domain(other)),
    }
}

fn result_of(lang: Lang, summary: ImportSummary) -> UploadResult {
    UploadResult {
        said: lang.t_counts(
            "feeds-result",
            &[
                ("received", summary.received),
                ("stored", summary.stored),
                ("unchanged", summary.unchanged),
                ("refused", summary.refused.len()),
            ],
        ),
        refused: summary
            .refused
            .into_iter()
            .map(|row| RowSaid::of(lang, row))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_code_is_said_in_chinese_with_its_field_and_line() {
        let codes = [
            "missing",
            "wrong_type",
            "no_offset",
            "bad_time",
            "unknown_value",
            "end_before_start",
            "bad_document",
            "bad_place",
            "disagrees",
            "nothing_to_withdraw",
            "not_a_row",
            "not_utf8",
        ];
        for code in codes {
            let row = RefusedRow {
                at: "line 7".to_owned(),
                reason: "the API's words".to_owned(),
                code: Some(code),
                field: Some("start".to_owned()),
            };
            let said = RowSaid::of(Lang::ZhHk, row.clone());
            assert_eq!(said.at, "第 7 行");
            assert!(!said.why.contains("feed-problem"), "{code} has no message");
            assert!(said.why_lang.is_none());
            let english = RowSaid::of(Lang::En, row);
            assert_eq!(
                (english.at.as_str(), english.why.as_str()),
                ("line 7", "the API's words")
            );
        }
        let said = RowSaid::of(
            Lang::ZhHk,
            RefusedRow {
                at: "records[2]".to_owned(),
                reason: "uncoded".to_owned(),
                code: None,
                field: None,
            },
        );
        assert_eq!(
            (said.at.as_str(), said.why.as_str(), said.why_lang),
            ("records[2]", "uncoded", Some("en"))
        );
    }
}

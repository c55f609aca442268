//! Uploading the check-in app's visit records (one file per phone, several
//! at once), what was kept and what was not and why, and the records held
//! with the day each will be deleted.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Multipart, State, multipart::MultipartRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use healthcode_keys::hktime::{format_date, format_hk, hk_date};
use serde_json::Value;

use super::{
    code_page::minute,
    frame::{Errors, Frame},
    lang::Lang,
    pages::{problem_page, signed_in},
};
use crate::{
    Error,
    model::{RefusedRecord, VISIT_WINDOW},
    residents::visits::{self, MAX_RECORDS_PER_UPLOAD, UploadSummary},
    service::{
        AppError, AppState,
        auth::{Resident, csrf_matches, csrf_token},
        resident_routes::held_visits,
    },
    store::visits::StoredVisit,
};

/// A visit as the page lists it.
#[derive(Debug)]
pub struct HeldVisit {
    place: String,
    check_in: String,
    check_out: String,
    deleted_on: String,
}

/// What an upload did, in words.
#[derive(Debug)]
pub struct UploadResult {
    said: String,
    /// (record number from 1, why).
    refused: Vec<(usize, String)>,
}

/// The visits page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "visits.html")]
pub struct VisitsPage {
    frame: Frame,
    errors: Errors,
    result: Option<UploadResult>,
    held: Vec<HeldVisit>,
    csrf: String,
}

fn held_visit(lang: Lang, visit: StoredVisit) -> HeldVisit {
    let name = visit.venue_name.as_ref();
    let zh = name
        .and_then(|n| n.zh.clone())
        .filter(|_| lang == Lang::ZhHk);
    HeldVisit {
        place: zh
            .or_else(|| name.map(|n| n.en.clone()))
            .unwrap_or(visit.venue_id),
        check_in: minute(&format_hk(visit.check_in)),
        check_out: visit.check_out.map_or_else(
            || lang.t("visits-no-check-out"),
            |at| minute(&format_hk(at)),
        ),
        deleted_on: lang.date(&format_date(hk_date(visit.check_in + VISIT_WINDOW))),
    }
}

fn refusal(lang: Lang, refused: &RefusedRecord) -> (usize, String) {
    let why = refused.code.map_or_else(
        || refused.reason.clone(),
        |code| lang.t(&format!("visit-refused-{code}")),
    );
    (refused.index + 1, why)
}

fn upload_result(lang: Lang, summary: &UploadSummary) -> UploadResult {
    UploadResult {
        said: lang.t_counts(
            "visits-received",
            &[
                ("received", summary.received),
                ("stored", summary.stored),
                ("refused", summary.refused.len()),
            ],
        ),
        refused: summary.refused.iter().map(|r| refusal(lang, r)).collect(),
    }
}

async fn render(
    state: &AppState,
    lang: Lang,
    resident: &Resident,
    (status, errors, result): (StatusCode, Errors, Option<UploadResult>),
) -> Response {
    let held = match held_visits(state, &resident.account_id).await {
        Ok(held) => held,
        Err(error) => return problem_page(lang, &error),
    };
    let page = VisitsPage {
        frame: Frame::new(lang, "/visits", "visits-title")
            .with(&errors)
            .resident(resident, state.now()),
        errors,
        result,
        held: held.into_iter().map(|v| held_visit(lang, v)).collect(),
        csrf: csrf_token(&resident.token),
    };
    (status, page).into_response()
}

/// `GET /visits`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
) -> Response {
    match signed_in(lang, resident) {
        Ok(resident) => {
            let ok = (StatusCode::OK, Errors::default(), None);
            render(&state, lang, &resident, ok).await
        }
        Err(page) => *page,
    }
}

/// The form: the CSRF token and the records of every file, or what is
/// wrong with it (a message key).
struct Upload {
    csrf: String,
    records: Vec<Value>,
    files: usize,
}

/// The records of one exported file: `{"records": [...]}` as the app
/// exports it, or the bare list.
fn records_of(bytes: &[u8]) -> Option<Vec<Value>> {
    match serde_json::from_slice::<Value>(bytes).ok()? {
        Value::Array(records) => Some(records),
        Value::Object(mut file) => match file.remove("records")? {
            Value::Array(records) => Some(records),
            _ => None,
        },
        _ => None,
    }
}

async fn read_upload(mut form: Multipart) -> Result<Upload, &'static str> {
    let mut upload = Upload {
        csrf: String::new(),
        records: Vec::new(),
        files: 0,
    };
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|_| "visits-file-unreadable")?;
        match name.as_str() {
            "csrf" => upload.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            // An empty file input is how a browser says "no file".
            "file" if bytes.is_empty() => {}
            "file" => {
                upload.files += 1;
                let records = records_of(&bytes).ok_or("visits-file-unreadable")?;
                upload.records.extend(records);
                if upload.records.len() > MAX_RECORDS_PER_UPLOAD {
                    return Err("visits-file-too-many");
                }
            }
            _ => return Err("visits-file-unreadable"),
        }
    }
    Ok(upload)
}

/// `POST /visits`: stores the good records of every file; the page says what
/// was kept and what was not.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let resident = match signed_in(lang, resident) {
        Ok(resident) => resident,
        Err(page) => return *page,
    };
    let refuse = |key: &str| {
        let mut errors = Errors::default();
        errors.add("file", lang.t(key));
        (StatusCode::UNPROCESSABLE_ENTITY, errors, None)
    };
    let Ok(form) = form else {
        return render(&state, lang, &resident, refuse("visits-file-unreadable")).await;
    };
    let upload = match read_upload(form).await {
        Ok(upload) if !csrf_matches(&upload.csrf, &resident.token) => {
            return problem_page(lang, &AppError::CrossSite);
        }
        Ok(upload) if upload.files == 0 => {
            return render(&state, lang, &resident, refuse("visits-file-missing")).await;
        }
        Ok(upload) => upload,
        Err(key) => return render(&state, lang, &resident, refuse(key)).await,
    };
    let stored = visits::upload(
        &state.store,
        &resident.account_id,
        upload.records,
        state.now(),
    );
    match stored.await {
        Ok(summary) => {
            let result = Some(upload_result(lang, &summary));
            render(
                &state,
                lang,
                &resident,
                (StatusCode::OK, Errors::default(), result),
            )
            .await
        }
        Err(Error::TooManyRecords { .. }) => {
            render(&state, lang, &resident, refuse("visits-file-too-many")).await
        }
        Err(other) => problem_page(lang, &AppError::Domain(other)),
    }
}

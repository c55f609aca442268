//! The officer's scanning page: a photo (or, with JavaScript, the device's
//! camera, frame by frame) and the holder's document in, the decision out
//! as a large word and colour, in English and Traditional Chinese. The same
//! checks, counting and audit as `POST /v1/verify`.

use std::{sync::Arc, time::Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    body::Bytes,
    extract::{Multipart, Query, State, multipart::MultipartRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use healthcode_keys::{Lang, hktime::format_hk};
use healthcode_verifier::{
    ErrorCode, Identity,
    admission::{Admission, Decision},
};
use serde::Deserialize;

use crate::{
    AppError, AppState,
    lanes::PlaceLabel,
    pages::{Frame, PageLang, reason_words, t},
    routes::{self, Checked, Input},
};

/// The form's text fields are short; anything longer is refused.
const MAX_FIELD_BYTES: usize = 200;

/// What the officer sent.
#[derive(Debug, Default)]
struct Sent {
    lane: String,
    id_doc: String,
    date_of_issue: String,
    photo: Option<Bytes>,
    token: String,
    /// A camera frame: a frame without a code is answered 204, uncounted.
    frame: bool,
}

/// A problem with one field of the form.
#[derive(Debug)]
pub struct FieldError {
    /// The field's id.
    pub field: &'static str,
    /// What is wrong, in the page's language.
    pub message: String,
}

/// The decision as the page shows it.
#[derive(Debug)]
pub struct Outcome {
    /// `admit`, `secondary`, `refuse` (with a policy), `valid` or `invalid`.
    pub kind: &'static str,
    /// The decision in large words.
    pub word: String,
    /// Why, in words.
    pub reason: Option<String>,
    /// The code's colour in words, once its signature verified.
    pub colour: Option<String>,
    /// Until when the code is valid, Hong Kong time.
    pub valid_until: Option<String>,
    /// What the document check said.
    pub identity: String,
    /// Signed by a test key.
    pub specimen: bool,
    /// The verdict's error code, or empty.
    pub error: &'static str,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "officer.html")]
struct OfficerPage {
    frame: Frame,
    lane: String,
    id_doc: String,
    date_of_issue: String,
    errors: Vec<FieldError>,
    outcome: Option<Outcome>,
    policy: Option<String>,
    next_href: String,
}

/// The page's query: the lane, kept from one traveller to the next.
#[derive(Debug, Deserialize)]
pub struct OfficerQuery {
    lane: Option<String>,
}

fn page(state: &AppState, lang: Lang, sent: &Sent) -> OfficerPage {
    let lane_query = if sent.lane.is_empty() {
        String::new()
    } else {
        format!("lane={}&", sent.lane)
    };
    OfficerPage {
        frame: Frame {
            lang,
            title: t(lang, "officer-title"),
            here: format!("/officer?{}", lane_query.trim_end_matches('&')),
        },
        lane: sent.lane.clone(),
        id_doc: String::new(),
        date_of_issue: String::new(),
        errors: Vec::new(),
        outcome: None,
        policy: state.policy.as_ref().map(|p| p.name.clone()),
        next_href: format!("/officer?{lane_query}lang={}", lang.tag()),
    }
}

/// `GET /officer`: the empty form (and the camera, with JavaScript).
pub async fn form(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    Query(query): Query<OfficerQuery>,
) -> Response {
    let lane = query
        .lane
        .filter(|l| l.parse::<PlaceLabel>().is_ok())
        .unwrap_or_default();
    let sent = Sent {
        lane,
        ..Sent::default()
    };
    page(&state, lang, &sent).into_response()
}

/// `POST /officer`: checks a photo (or a camera frame, or a token's text)
/// with the document typed in, and shows the decision.
pub async fn check(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let started = Instant::now();
    let sent = match read_form(form).await {
        Ok(sent) => sent,
        Err(message_key) => {
            let mut page = page(&state, lang, &Sent::default());
            page.errors.push(FieldError {
                field: "photo",
                message: t(lang, message_key),
            });
            return (StatusCode::BAD_REQUEST, page).into_response();
        }
    };
    let mut view = page(&state, lang, &sent);
    view.id_doc.clone_from(&sent.id_doc);
    view.date_of_issue.clone_from(&sent.date_of_issue);
    let (input, lane) = match checked_input(lang, &sent) {
        Ok(input) => input,
        Err(errors) => {
            view.errors = errors;
            return (StatusCode::BAD_REQUEST, view).into_response();
        }
    };
    let checked = match routes::check(&state, input).await {
        Ok(checked) => checked,
        Err(e) => {
            let (status, key) = match e {
                AppError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "officer-busy"),
                AppError::NoIdentityKey => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "officer-no-identity-keys")
                }
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "officer-failed"),
            };
            view.errors.push(FieldError {
                field: "id_doc",
                message: t(lang, key),
            });
            return (status, view).into_response();
        }
    };
    if sent.frame && checked.verdict.error_code() == Some(ErrorCode::NoQrFound) {
        // The camera keeps looking; an empty frame is not a verification.
        return StatusCode::NO_CONTENT.into_response();
    }
    let decision = routes::record(&state, &checked, lane, started);
    view.outcome = Some(outcome(lang, &checked, decision));
    view.into_response()
}

/// The field's text, refused when it is too long.
async fn text_of(field: axum::extract::multipart::Field<'_>) -> Result<String, &'static str> {
    let bytes = field.bytes().await.map_err(|_| "officer-form-unreadable")?;
    if bytes.len() > MAX_FIELD_BYTES {
        return Err("officer-field-too-long");
    }
    String::from_utf8(bytes.to_vec())
        .map(|text| text.trim().to_owned())
        .map_err(|_| "officer-form-unreadable")
}

async fn read_form(form: Result<Multipart, MultipartRejection>) -> Result<Sent, &'static str> {
    let mut form = form.map_err(|_| "officer-form-unreadable")?;
    let mut sent = Sent::default();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| "officer-form-unreadable")?
    {
        match field.name().unwrap_or_default() {
            "lane" => sent.lane = text_of(field).await?,
            "id_doc" => sent.id_doc = text_of(field).await?,
            "date_of_issue" => sent.date_of_issue = text_of(field).await?,
            "token" => sent.token = text_of(field).await?,
            "frame" => sent.frame = text_of(field).await? == "1",
            "photo" => {
                let bytes = field.bytes().await.map_err(|_| "officer-photo-too-large")?;
                sent.photo = (!bytes.is_empty()).then_some(bytes);
            }
            _ => return Err("officer-form-unreadable"),
        }
    }
    Ok(sent)
}

/// What to check and for which lane, or each field's problem.
fn checked_input(lang: Lang, sent: &Sent) -> Result<(Input, Option<PlaceLabel>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let lane = match sent.lane.as_str() {
        "" => None,
        text => text.parse::<PlaceLabel>().map_or_else(
            |_| {
                errors.push(FieldError {
                    field: "lane",
                    message: t(lang, "officer-bad-lane"),
                });
                None
            },
            Some,
        ),
    };
    let document = (!sent.id_doc.is_empty()).then_some(sent.id_doc.as_str());
    let date = (!sent.date_of_issue.is_empty()).then_some(sent.date_of_issue.as_str());
    let presented = match routes::presented(document, date) {
        Ok(presented) => presented,
        Err(e) => {
            let (field, key) = match e {
                AppError::BadIdDocument(_) => ("id_doc", "officer-bad-document"),
                AppError::DateWithoutDocument => ("id_doc", "officer-date-without-document"),
                _ => ("date_of_issue", "officer-bad-date"),
            };
            errors.push(FieldError {
                field,
                message: t(lang, key),
            });
            None
        }
    };
    let input = match (&sent.photo, sent.token.is_empty()) {
        (_, false) => Some(Input::Token(sent.token.clone(), presented)),
        (Some(photo), true) if sent.frame => Some(Input::Frame(photo.clone(), presented)),
        (Some(photo), true) => Some(Input::Photo(photo.clone(), presented)),
        (None, true) => {
            errors.push(FieldError {
                field: "photo",
                message: t(lang, "officer-no-photo"),
            });
            None
        }
    };
    match (input, errors.is_empty()) {
        (Some(input), true) => Ok((input, lane)),
        _ => Err(errors),
    }
}

fn outcome(lang: Lang, checked: &Checked, decision: Option<Decision>) -> Outcome {
    let verdict = &checked.verdict;
    let (kind, reason) = match decision {
        Some(d) => (d.admission.as_str(), Some(d.reason)),
        None if verdict.is_valid() => ("valid", None),
        None => ("invalid", verdict.error_code().map(ErrorCode::as_str)),
    };
    let reason = match decision {
        Some(d) if d.admission == Admission::Admit => None,
        _ => reason.map(|r| reason_words(lang, r)),
    };
    Outcome {
        kind,
        word: t(lang, &format!("decision-{kind}")),
        reason,
        colour: verdict
            .colour()
            .map(|c| reason_words(lang, &format!("colour_{}", c.as_str()))),
        valid_until: verdict.valid_until().map(|at| {
            let hk = format_hk(at);
            let date = lang.date(hk.get(..10).unwrap_or_default());
            format!("{} {date}", hk.get(11..16).unwrap_or_default())
        }),
        identity: t(
            lang,
            match verdict.identity() {
                Identity::Match => "identity-match",
                Identity::Mismatch => "identity-mismatch",
                Identity::Unchecked => "identity-unchecked",
            },
        ),
        specimen: verdict.is_specimen(),
        error: verdict.error_code().map_or("", ErrorCode::as_str),
    }
}

//! The post-office console: the clerk looks at the applicant's document and
//! letter, types the reference, the document and the letter's PIN, and
//! confirms who they are; the activation PIN then goes by SMS.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{allowed, allowed_form, problem_page, sign_in::csrf_of};
use crate::{
    Error,
    model::Role,
    residents::verification,
    service::{
        AppError, AppState,
        auth::ConsoleStaff,
        web::{
            frame::{Errors, Frame},
            lang::Lang,
            pages::{CsrfForm, ID_TYPES, document_of},
        },
    },
};

const POST_OFFICE: &[Role] = &[Role::PostOffice];

/// The form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CheckFields {
    csrf: String,
    reference: String,
    id_type: String,
    passport_country: String,
    id_number: String,
    letter_pin: String,
}

impl CsrfForm for CheckFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The identity check page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/post_office.html")]
pub struct PostOfficePage {
    frame: Frame,
    errors: Errors,
    form: CheckFields,
    done: Option<String>,
    csrf: String,
}

fn page(lang: Lang, staff: &ConsoleStaff, errors: Errors, mut form: CheckFields) -> PostOfficePage {
    // The letter's PIN is never sent back.
    form.letter_pin.clear();
    PostOfficePage {
        frame: Frame::console(lang, "/staff/post-office", "post-office-title")
            .signed_in(&staff.token)
            .with(&errors),
        errors,
        form,
        done: None,
        csrf: csrf_of(staff),
    }
}

/// `GET /staff/post-office`.
pub async fn form(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
) -> Response {
    match allowed(&state, lang, staff, POST_OFFICE, "post_office_confirm").await {
        Ok(staff) => {
            let form = CheckFields {
                id_type: "HKID".to_owned(),
                ..CheckFields::default()
            };
            page(lang, &staff, Errors::default(), form).into_response()
        }
        Err(page) => *page,
    }
}

/// `POST /staff/post-office`: the API's confirmation, each refusal shown at
/// its field.
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    form: Result<Form<CheckFields>, FormRejection>,
) -> Response {
    let gate = (POST_OFFICE, "post_office_confirm");
    let (staff, fields) = match allowed_form(&state, lang, staff, form, gate).await {
        Ok(checked) => checked,
        Err(page) => return *page,
    };
    let document = document_of(
        lang,
        &fields.id_type,
        &fields.passport_country,
        &fields.id_number,
    );
    let mut errors = match &document {
        Ok(_) => Errors::default(),
        Err(errors) => errors.clone(),
    };
    let reference = fields.reference.trim().to_owned();
    let pin = fields.letter_pin.trim().to_owned();
    for (field, value, key) in [
        ("reference", &reference, "post-office-field-reference"),
        ("letter_pin", &pin, "post-office-field-pin"),
    ] {
        if value.is_empty() || value.len() > 64 {
            let name = lang.t(key).to_lowercase();
            errors.add(field, lang.t_with("field-required", &[("field", &name)]));
        }
    }
    let document = match document {
        Ok(document) if errors.is_empty() => document,
        _ => {
            let page = page(lang, &staff, errors, fields);
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
    };
    let outcome = verification::confirm_at_post_office(
        &state.store,
        &staff.member,
        &reference,
        &document,
        &pin,
        state.now(),
    )
    .await;
    let (status, field, key) = match outcome {
        Ok(()) => {
            let mut done = page(lang, &staff, Errors::default(), CheckFields::default());
            done.form.id_type = "HKID".to_owned();
            done.done = Some(lang.t_with("post-office-done", &[("reference", &reference)]));
            return done.into_response();
        }
        Err(Error::NotFound { .. }) => (StatusCode::NOT_FOUND, "reference", "post-office-no-such"),
        Err(Error::WrongStatus { .. }) => {
            (StatusCode::CONFLICT, "reference", "post-office-not-waiting")
        }
        Err(Error::DocumentMismatch) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "id_number",
            "post-office-wrong-document",
        ),
        Err(Error::BadCredentials) => (
            StatusCode::UNAUTHORIZED,
            "letter_pin",
            "post-office-wrong-pin",
        ),
        Err(Error::PinLocked) => (StatusCode::LOCKED, "letter_pin", "post-office-pin-locked"),
        Err(other) => return problem_page(lang, &AppError::Domain(other)),
    };
    let mut errors = Errors::default();
    errors.add(field, lang.t(key));
    (status, page(lang, &staff, errors, fields)).into_response()
}

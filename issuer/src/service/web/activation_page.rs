//! Activating an account with the PIN of the SMS or the letter, and
//! choosing a password: the API's activation, with its limits, as a page.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    frame::{Errors, Frame},
    lang::Lang,
    // ID_TYPES: the document fields' template reads it.
    pages::{ID_TYPES, MessagePage, document_of, problem_page, same_site_form},
};
use crate::{
    Error,
    model::password::PasswordProblem,
    service::{
        AppError, AppState, auth::ClientIp, resident_routes::activate_account, state::Limit,
    },
};

/// The activation form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActivationFields {
    id_type: String,
    passport_country: String,
    id_number: String,
    pin: String,
    password: String,
}

/// The activation page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "activate.html")]
pub struct ActivationPage {
    frame: Frame,
    errors: Errors,
    form: ActivationFields,
}

fn page(lang: Lang, status: StatusCode, errors: Errors, mut form: ActivationFields) -> Response {
    // Neither the PIN nor the password is ever sent back.
    form.pin.clear();
    form.password.clear();
    let page = ActivationPage {
        frame: Frame::new(lang, "/activate", "activate-title").with(&errors),
        errors,
        form,
    };
    (status, page).into_response()
}

/// `GET /activate`.
pub async fn form(PageLang(lang): PageLang) -> Response {
    let form = ActivationFields {
        id_type: "HKID".to_owned(),
        ..ActivationFields::default()
    };
    page(lang, StatusCode::OK, Errors::default(), form)
}

/// The problems with the PIN and password fields, before any lookup.
fn field_problems(lang: Lang, form: &ActivationFields, errors: &mut Errors) {
    if !(form.pin.len() == 6 && form.pin.bytes().all(|b| b.is_ascii_digit())) {
        errors.add("pin", lang.t("field-pin-invalid"));
    }
    if !(10..=128).contains(&form.password.chars().count()) {
        errors.add("password", lang.t("field-password-length"));
    }
}

fn refused(lang: Lang, form: ActivationFields, field: &'static str, message: String) -> Response {
    let mut errors = Errors::default();
    errors.add(field, message);
    let status = match field {
        "password" => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::UNAUTHORIZED,
    };
    page(lang, status, errors, form)
}

/// `POST /activate`.
pub async fn activate(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<ActivationFields>, FormRejection>,
) -> Response {
    let form = match same_site_form(lang, &headers, form) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    if state.limiters.check(Limit::Pin, ip).await.is_err() {
        return refused(lang, form, "id_number", lang.t("sign-in-busy"));
    }
    let (document, mut errors) =
        match document_of(lang, &form.id_type, &form.passport_country, &form.id_number) {
            Ok(document) => (Some(document), Errors::default()),
            Err(errors) => (None, errors),
        };
    field_problems(lang, &form, &mut errors);
    let Some(document) = document.filter(|_| errors.is_empty()) else {
        return page(lang, StatusCode::UNPROCESSABLE_ENTITY, errors, form);
    };
    match activate_account(&state, ip, &document, &form.pin, &form.password).await {
        Ok(()) => Redirect::to("/activated").into_response(),
        Err(AppError::Domain(Error::BadCredentials | Error::PinLocked)) => {
            refused(lang, form, "id_number", lang.t("activate-wrong"))
        }
        Err(AppError::Domain(Error::RateLimited {
            retry_after_seconds,
        })) => {
            let seconds = retry_after_seconds.to_string();
            let message = lang.t_with("sign-in-slow-down", &[("seconds", &seconds)]);
            let mut response = refused(lang, form, "id_number", message);
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            response
        }
        Err(AppError::Domain(Error::WeakPassword(problem))) => {
            let key = match problem {
                PasswordProblem::Length => "field-password-length",
                PasswordProblem::Guessable => "field-password-guessable",
            };
            refused(lang, form, "password", lang.t(key))
        }
        Err(other) => problem_page(lang, &other),
    }
}

/// `GET /activated`.
pub async fn activated(PageLang(lang): PageLang) -> MessagePage {
    MessagePage::with_link(
        lang,
        ("/activated", "activated-title", "activated-body"),
        ("/sign-in", "sign-in-title"),
    )
}

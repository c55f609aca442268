//! The second step of signing in: "check your phone", the code sent by SMS
//! to the verified phone. The challenge from the first step rides in the
//! `hc_sign_in` cookie (Path=/sign-in), so the code works only in the
//! browser that gave the right password.

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
    pages::{SignInFields, problem_page, same_site_form, sign_in_refused},
};
use crate::{
    Error,
    residents::sign_in::phone_ending,
    service::{
        AppError, AppState,
        auth::{ClientIp, RESIDENT_SESSION, SIGN_IN_CHALLENGE, cookie},
        resident_routes::check_code,
        state::Limit,
    },
    store::sign_in_codes::SIGN_IN_CODE_LIFETIME,
};

/// The "check your phone" page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "sign_in_code.html")]
pub struct CodePage {
    frame: Frame,
    errors: Errors,
    /// Where the code went and how long it lives.
    lead: String,
}

/// The code form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeFields {
    code: String,
}

fn challenge(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SIGN_IN_CHALLENGE.name).filter(|t| !t.is_empty() && t.len() <= 128)
}

/// The page for a live challenge; the sign-in page for none.
async fn page(state: &AppState, lang: Lang, token: &str, errors: Errors) -> Response {
    let now = state.now();
    let account = match state.store.sign_in_code_account(token, now).await {
        Ok(Some(account)) => account,
        Ok(None) => return Redirect::to("/sign-in").into_response(),
        Err(error) => return problem_page(lang, &AppError::Domain(error)),
    };
    let phone = match state.store.details_of(state.store.pool(), &account).await {
        Ok(details) => details.phone,
        Err(error) => return problem_page(lang, &AppError::Domain(error)),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    let page = CodePage {
        frame: Frame::new(lang, "/sign-in/code", "sign-in-code-title").with(&errors),
        errors,
        lead: lang.t_with(
            "sign-in-code-lead",
            &[
                ("ending", &phone_ending(&phone)),
                (
                    "minutes",
                    &SIGN_IN_CODE_LIFETIME.whole_minutes().to_string(),
                ),
            ],
        ),
    };
    (status, page).into_response()
}

/// `GET /sign-in/code`.
pub async fn form(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
) -> Response {
    match challenge(&headers) {
        Some(token) => page(&state, lang, token, Errors::default()).await,
        None => Redirect::to("/sign-in").into_response(),
    }
}

/// `POST /sign-in/code`: the API's check; a right code signs in and opens
/// today's code.
pub async fn check(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<CodeFields>, FormRejection>,
) -> Response {
    let fields = match same_site_form(lang, &headers, form) {
        Ok(fields) => fields,
        Err(page) => return *page,
    };
    let Some(token) = challenge(&headers) else {
        return Redirect::to("/sign-in").into_response();
    };
    let mut errors = Errors::default();
    if state.limiters.check(Limit::Pin, ip).await.is_err() {
        errors.add("code", lang.t("sign-in-busy"));
        return page(&state, lang, token, errors).await;
    }
    match check_code(&state, token, &fields.code).await {
        Ok((session, expires_at)) => {
            let mut response = Redirect::to("/code").into_response();
            let secure = state.secure_cookies;
            RESIDENT_SESSION.set(&mut response, &session, expires_at - state.now(), secure);
            SIGN_IN_CHALLENGE.clear(&mut response, secure);
            response
        }
        Err(AppError::Domain(Error::BadCredentials)) => {
            errors.add("code", lang.t("sign-in-code-wrong"));
            page(&state, lang, token, errors).await
        }
        Err(AppError::Domain(Error::SignInCodeSpent)) => {
            let mut response =
                sign_in_refused(lang, SignInFields::default(), "sign-in-code-spent", None);
            SIGN_IN_CHALLENGE.clear(&mut response, state.secure_cookies);
            response
        }
        Err(other) => problem_page(lang, &other),
    }
}

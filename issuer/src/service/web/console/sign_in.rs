//! Staff signing in to the consoles: setting up once with the token that
//! `issuer staff add` printed (the authenticator app's secret as a QR code
//! and as text, then a password and the first code), signing in with name,
//! password and a one-time code, the console's home page, signing out.

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
use time::OffsetDateTime;

use super::problem_page;
use crate::{
    Error,
    model::{Role, password::PasswordProblem},
    service::{
        AppError, AppState,
        auth::{ClientIp, ConsoleStaff, STAFF_SESSION, csrf_token},
        resident_routes::count_try,
        state::Limit,
        web::{
            frame::{Errors, Frame},
            lang::Lang,
            pages::{CsrfField, MessagePage, same_site_form, session_form, signed_in},
        },
    },
    staff_access, totp,
};

/// The longest name, token, password or code a form takes.
const MAX_FIELD: usize = 128;

/// The sign-in form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInFields {
    name: String,
    password: String,
    code: String,
}

/// The sign-in page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/sign_in.html")]
pub struct SignInPage {
    frame: Frame,
    errors: Errors,
    name: String,
}

fn sign_in_page(lang: Lang, errors: Errors, name: String) -> SignInPage {
    SignInPage {
        frame: Frame::console(lang, "/staff/sign-in", "console-sign-in-title").with(&errors),
        errors,
        name,
    }
}

/// `GET /staff/sign-in`.
pub async fn sign_in_form(PageLang(lang): PageLang) -> SignInPage {
    sign_in_page(lang, Errors::default(), String::new())
}

/// `POST /staff/sign-in`: name, password and a code not used before.
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<SignInFields>, FormRejection>,
) -> Response {
    let form = match same_site_form(lang, &headers, form) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    let mut errors = required(
        lang,
        &[
            ("name", &form.name, "console-field-name"),
            ("password", &form.password, "field-password"),
            ("code", &form.code, "console-field-code"),
        ],
    );
    if !errors.is_empty() {
        let page = sign_in_page(lang, errors, form.name);
        return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
    }
    let name = form.name.trim();
    let outcome = signed_in_as(&state, ip, name, &form).await;
    let (status, key) = match outcome {
        Ok((token, expires_at)) => return start_session(&state, &token, expires_at),
        Err(AppError::Domain(Error::BadCredentials)) => {
            (StatusCode::UNAUTHORIZED, "console-sign-in-wrong")
        }
        Err(AppError::Domain(Error::RateLimited { .. })) => {
            (StatusCode::TOO_MANY_REQUESTS, "console-slow-down")
        }
        Err(other) => return problem_page(lang, &other),
    };
    errors.add("name", lang.t(key));
    (status, sign_in_page(lang, errors, form.name)).into_response()
}

async fn signed_in_as(
    state: &AppState,
    ip: std::net::IpAddr,
    name: &str,
    form: &SignInFields,
) -> Result<(String, OffsetDateTime), AppError> {
    state.limiters.check(Limit::Login, ip).await?;
    if [name, &form.password, &form.code]
        .iter()
        .any(|f| f.len() > MAX_FIELD)
    {
        return Err(AppError::Domain(Error::BadCredentials));
    }
    let index = format!("staff:{name}");
    state.limiters.backoff.check(ip, &index).await?;
    let outcome =
        staff_access::sign_in(&state.store, name, &form.password, &form.code, state.now()).await;
    count_try(state, ip, &index, &outcome).await;
    Ok(outcome?)
}

/// A "required" problem for each empty `(field, value, name key)`.
fn required(lang: Lang, fields: &[(&'static str, &str, &str)]) -> Errors {
    let mut errors = Errors::default();
    for &(field, value, name_key) in fields {
        if value.trim().is_empty() {
            let name = lang.t(name_key).to_lowercase();
            errors.add(field, lang.t_with("field-required", &[("field", &name)]));
        }
    }
    errors
}

/// The `Set-Cookie` value of a console session, sent only to `/staff` pages.
fn start_session(state: &AppState, token: &str, expires_at: OffsetDateTime) -> Response {
    let mut response = Redirect::to("/staff").into_response();
    let lifetime = expires_at - state.now();
    STAFF_SESSION.set(&mut response, token, lifetime, state.secure_cookies);
    response
}

/// The set-up form as sent: the token, then the password and first code.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetUpFields {
    name: String,
    token: String,
    password: String,
    code: String,
    /// `finish` on the second page, so that an empty second page is
    /// refused rather than taken for the first (which would make a new secret).
    step: String,
}

/// The first set-up page (name and token), or the second (the secret, a
/// password and the first code).
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/set_up.html")]
pub struct SetUpPage {
    frame: Frame,
    errors: Errors,
    name: String,
    /// The second step: the token (to send again), the secret as text and as a QR image.
    secret: Option<SecretView>,
}

/// The authenticator secret as the second step shows it.
#[derive(Debug)]
pub struct SecretView {
    token: String,
    text: String,
    qr_png: String,
}

fn set_up_page(lang: Lang, errors: Errors, name: String, secret: Option<SecretView>) -> SetUpPage {
    SetUpPage {
        frame: Frame::console(lang, "/staff/set-up", "console-set-up-title").with(&errors),
        errors,
        name,
        secret,
    }
}

/// `GET /staff/set-up`.
pub async fn set_up_form(PageLang(lang): PageLang) -> SetUpPage {
    set_up_page(lang, Errors::default(), String::new(), None)
}

/// `POST /staff/set-up`: without a password, checks the token and shows a
/// new secret; with one, checks the first code and finishes.
pub async fn set_up(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<SetUpFields>, FormRejection>,
) -> Response {
    let form = match same_site_form(lang, &headers, form) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    let name = form.name.trim().to_owned();
    let errors = required(
        lang,
        &[
            ("name", &name, "console-field-name"),
            ("token", &form.token, "console-field-token"),
        ],
    );
    if !errors.is_empty() || [&name, &form.token].iter().any(|f| f.len() > MAX_FIELD) {
        let page = set_up_page(lang, errors, name, None);
        return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
    }
    let index = format!("staff:{name}");
    let allowed = match state.limiters.check(Limit::Login, ip).await {
        Ok(()) => state.limiters.backoff.check(ip, &index).await,
        refused => refused,
    };
    if let Err(error) = allowed {
        return set_up_refused(lang, name, "token", &AppError::Domain(error));
    }
    if form.step != "finish" {
        let outcome = staff_access::begin_setup(&state.store, &name, &form.token).await;
        count_try(&state, ip, &index, &outcome).await;
        return match outcome {
            Ok((_, secret)) => show_secret(lang, name, &form.token, &secret),
            Err(error) => set_up_refused(lang, name, "token", &AppError::Domain(error)),
        };
    }
    finish_set_up(&state, lang, ip, &form, name).await
}

async fn finish_set_up(
    state: &AppState,
    lang: Lang,
    ip: std::net::IpAddr,
    form: &SetUpFields,
    name: String,
) -> Response {
    let index = format!("staff:{name}");
    let outcome = staff_access::finish_setup(
        &state.store,
        (&name, &form.token),
        &form.password,
        &form.code,
        state.now(),
    )
    .await;
    count_try(state, ip, &index, &outcome).await;
    match outcome {
        Ok((token, expires_at)) => start_session(state, &token, expires_at),
        Err(error) => {
            let field = match error {
                Error::WeakPassword(_) => "password",
                _ => "code",
            };
            let error = AppError::Domain(error);
            // The secret kept is still the one shown: show it again.
            match staff_access::pending_secret(&state.store, &name, &form.token).await {
                Ok(secret) => {
                    let mut errors = Errors::default();
                    let text = match &error {
                        AppError::Domain(Error::BadCredentials) => lang.t("console-code-wrong"),
                        other => refusal_text(lang, other),
                    };
                    errors.add(field, text);
                    let view = secret_view(&name, &form.token, &secret);
                    let status = refusal_status(&error).unwrap_or(StatusCode::UNAUTHORIZED);
                    (status, set_up_page(lang, errors, name, view)).into_response()
                }
                Err(_) => set_up_refused(lang, name, "token", &error),
            }
        }
    }
}

fn refusal_text(lang: Lang, error: &AppError) -> String {
    match error {
        AppError::Domain(Error::WeakPassword(PasswordProblem::Length)) => {
            lang.t("field-password-length")
        }
        AppError::Domain(Error::WeakPassword(PasswordProblem::Guessable)) => {
            lang.t("field-password-guessable")
        }
        AppError::Domain(Error::RateLimited { .. }) => lang.t("console-slow-down"),
        _ => lang.t("console-set-up-wrong"),
    }
}

/// The status of a refusal the form explains; `None` for a fault.
fn refusal_status(error: &AppError) -> Option<StatusCode> {
    match error {
        AppError::Domain(Error::BadCredentials) => Some(StatusCode::UNAUTHORIZED),
        AppError::Domain(Error::RateLimited { .. }) => Some(StatusCode::TOO_MANY_REQUESTS),
        AppError::Domain(Error::WeakPassword(_)) => Some(StatusCode::UNPROCESSABLE_ENTITY),
        _ => None,
    }
}

fn set_up_refused(lang: Lang, name: String, field: &'static str, error: &AppError) -> Response {
    let Some(status) = refusal_status(error) else {
        return problem_page(lang, error);
    };
    let mut errors = Errors::default();
    errors.add(field, refusal_text(lang, error));
    (status, set_up_page(lang, errors, name, None)).into_response()
}

fn secret_view(name: &str, token: &str, secret: &[u8]) -> Option<SecretView> {
    let url = totp::otpauth_url(staff_access::TOTP_ISSUER, name, secret);
    let png = crate::qr::png(&url).ok()?;
    use base64::Engine as _;
    let text = totp::base32(secret)
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Some(SecretView {
        token: token.to_owned(),
        text,
        qr_png: format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(png)
        ),
    })
}

fn show_secret(lang: Lang, name: String, token: &str, secret: &[u8]) -> Response {
    match secret_view(&name, token, secret) {
        Some(view) => set_up_page(lang, Errors::default(), name, Some(view)).into_response(),
        None => problem_page(lang, &AppError::Domain(Error::TaskFailed)),
    }
}

/// The console's home page: who is signed in and what their role does.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/home.html")]
pub struct HomePage {
    frame: Frame,
    name: String,
    role: Role,
    role_key: String,
}

/// `GET /staff`.
pub async fn home(PageLang(lang): PageLang, staff: Result<ConsoleStaff, AppError>) -> Response {
    match signed_in(lang, staff) {
        Ok(staff) => HomePage {
            frame: Frame::console(lang, "/staff", "console-home-title").signed_in(&staff.token),
            name: staff.member.name,
            role: staff.member.role,
            role_key: format!("role-{}", staff.member.role.as_str()),
        }
        .into_response(),
        Err(page) => *page,
    }
}

/// `POST /staff/sign-out`.
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    form: Result<Form<CsrfField>, FormRejection>,
) -> Response {
    let staff = match session_form(lang, staff, form) {
        Ok((staff, _)) => staff,
        Err(page) => return *page,
    };
    if let Err(error) = state.store.end_staff_session(&staff.token).await {
        return problem_page(lang, &AppError::Domain(error));
    }
    let mut response = Redirect::to("/staff/signed-out").into_response();
    STAFF_SESSION.clear(&mut response, state.secure_cookies);
    response
}

/// `GET /staff/signed-out`.
pub async fn signed_out(PageLang(lang): PageLang) -> MessagePage {
    MessagePage::with_link(
        lang,
        (
            "/staff/signed-out",
            "signed-out-title",
            "console-signed-out-body",
        ),
        ("/staff/sign-in", "console-sign-in-title"),
    )
}

/// The CSRF token of a console page's forms.
pub fn csrf_of(staff: &ConsoleStaff) -> String {
    csrf_token(&staff.token)
}

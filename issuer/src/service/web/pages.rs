//! The start page, signing in and out, and the pages that say what went
//! wrong.

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
use healthcode_keys::IdDocument;
use serde::Deserialize;

use super::{
    frame::{Errors, Frame},
    lang::Lang,
};
use crate::{
    Error,
    service::{
        AppError, AppState,
        auth::{
            ClientIp, ConsoleStaff, RESIDENT_SESSION, Resident, SIGN_IN_CHALLENGE, csrf_matches,
            same_site,
        },
        resident_routes::sign_in as check_sign_in,
        state::Limit,
    },
};

/// The start page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "start.html")]
pub struct StartPage {
    frame: Frame,
}

/// `GET /`.
pub async fn start(PageLang(lang): PageLang) -> StartPage {
    StartPage {
        frame: Frame::new(lang, "/", "start-title"),
    }
}

/// A page that says one thing and offers one link.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "message.html")]
pub struct MessagePage {
    frame: Frame,
    body_key: &'static str,
    link: &'static str,
    link_key: &'static str,
}

impl MessagePage {
    /// A page titled and worded by `(path, title, body)`, linking to `(link, its text)`.
    pub fn with_link(
        lang: Lang,
        (path, title, body): (&'static str, &'static str, &'static str),
        (link, link_key): (&'static str, &'static str),
    ) -> Self {
        MessagePage {
            link,
            link_key,
            ..MessagePage::new(lang, path, title, body)
        }
    }

    fn new(lang: Lang, path: &'static str, title: &'static str, body: &'static str) -> Self {
        MessagePage {
            frame: Frame::new(lang, path, title),
            body_key: body,
            link: "/",
            link_key: "back-home",
        }
    }
}

/// A page's answer to a request it cannot serve: the problem in the page's
/// language, with the API's status. The detail of a fault is logged.
pub fn problem_page(lang: Lang, error: &AppError) -> Response {
    problem_page_in(lang, error, false)
}

/// [`problem_page`] in the resident site's frame, or with `console` in a
/// staff console's (its masthead, and a link to the console's home).
pub fn problem_page_in(lang: Lang, error: &AppError, console: bool) -> Response {
    let response = error.status();
    let (title, body) = match response {
        _ if matches!(error, AppError::Domain(Error::Forbidden { .. })) => {
            ("forbidden-title", "forbidden-body")
        }
        StatusCode::NOT_FOUND => ("not-found-title", "not-found-body"),
        StatusCode::FORBIDDEN => ("cross-site-title", "cross-site-body"),
        _ => {
            if response.is_server_error() {
                tracing::error!(error = %error, "a page failed");
            }
            ("problem-title", "problem-body")
        }
    };
    let mut page = MessagePage::new(lang, "/", title, body);
    if console {
        page.frame = Frame::console(lang, "/staff", title);
        page.link = "/staff";
    }
    (response, page).into_response()
}

/// A form that the browser could not have sent: a page, not a JSON error.
pub fn bad_form(lang: Lang, rejection: &FormRejection) -> Response {
    tracing::debug!(error = %rejection, "a form that does not parse");
    let page = MessagePage::new(lang, "/", "problem-title", "problem-body");
    (rejection.status(), page).into_response()
}

/// The page of a 404, for browsers.
pub async fn not_found_page(lang: Lang) -> Response {
    problem_page(lang, &AppError::Domain(Error::NotFound { what: "page" }))
}

/// The sign-in form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInFields {
    id_type: String,
    passport_country: String,
    id_number: String,
    password: String,
}

/// The sign-in page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    frame: Frame,
    errors: Errors,
    form: SignInFields,
}

/// The document types a resident signs in with, and their names.
pub const ID_TYPES: [(&str, &str); 4] = [
    ("HKID", "id-type-hkid"),
    ("MOID", "id-type-moid"),
    ("PERMIT", "id-type-permit"),
    ("PASSPORT", "id-type-passport"),
];

fn sign_in_page(lang: Lang, errors: Errors, mut form: SignInFields) -> SignInPage {
    // A password is never sent back to the browser.
    form.password.clear();
    SignInPage {
        frame: Frame::new(lang, "/sign-in", "sign-in-title").with(&errors),
        errors,
        form,
    }
}

/// `GET /sign-in`.
pub async fn sign_in_form(PageLang(lang): PageLang) -> SignInPage {
    sign_in_page(
        lang,
        Errors::default(),
        SignInFields {
            id_type: "HKID".to_owned(),
            ..SignInFields::default()
        },
    )
}

/// The longest document number or password the form takes.
const MAX_FIELD: usize = 128;

/// The document of the form, or the problems with it.
pub fn document_of(
    lang: Lang,
    id_type: &str,
    passport_country: &str,
    id_number: &str,
) -> Result<IdDocument, Errors> {
    let mut errors = Errors::default();
    let field_name = |key| lang.t(key).to_lowercase();
    let prefix = match id_type {
        "PASSPORT" => {
            let country = passport_country.trim().to_ascii_uppercase();
            if !healthcode_keys::countries::is_passport_country(&country) {
                errors.add("passport_country", lang.t("field-passport-country-invalid"));
            }
            format!("PASSPORT-{country}")
        }
        "HKID" | "MOID" | "PERMIT" => id_type.to_owned(),
        _ => {
            let field = field_name("field-id-type");
            errors.add(
                "id_type",
                lang.t_with("field-required", &[("field", &field)]),
            );
            String::new()
        }
    };
    let number = id_number.trim();
    if number.is_empty() {
        let field = field_name("field-id-number");
        errors.add(
            "id_number",
            lang.t_with("field-required", &[("field", &field)]),
        );
    } else if number.len() > MAX_FIELD {
        let field = lang.t("field-id-number");
        errors.add(
            "id_number",
            lang.t_with("field-too-long", &[("field", &field)]),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    format!("{prefix}:{number}")
        .parse::<IdDocument>()
        .map_err(|_| {
            errors.add("id_number", lang.t("field-id-number-invalid"));
            errors
        })
}

/// `POST /sign-in`: the API's sign-in, with the same limits, answered as
/// pages.
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
    if state.limiters.check(Limit::Login, ip).await.is_err() {
        return sign_in_refused(lang, form, "sign-in-busy", None);
    }
    let document = match document_of(lang, &form.id_type, &form.passport_country, &form.id_number) {
        Ok(document) => document,
        Err(mut errors) => {
            if form.password.is_empty() {
                let field = lang.t("field-password").to_lowercase();
                errors.add(
                    "password",
                    lang.t_with("field-required", &[("field", &field)]),
                );
            }
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                sign_in_page(lang, errors, form),
            )
                .into_response();
        }
    };
    if form.password.len() > MAX_FIELD || form.password.is_empty() {
        return sign_in_refused(lang, form, "sign-in-wrong", None);
    }
    match check_sign_in(&state, ip, &document, &form.password).await {
        Ok(challenge) => {
            let mut response = Redirect::to("/sign-in/code").into_response();
            let lifetime = challenge.expires_at - state.now();
            let secure = state.secure_cookies;
            SIGN_IN_CHALLENGE.set(&mut response, &challenge.token, lifetime, secure);
            response
        }
        Err(AppError::Domain(Error::RateLimited {
            retry_after_seconds,
        })) => sign_in_refused(
            lang,
            form,
            "sign-in-slow-down",
            Some(retry_after_seconds.to_string()),
        ),
        Err(AppError::Domain(Error::BadCredentials)) => {
            sign_in_refused(lang, form, "sign-in-wrong", None)
        }
        Err(other) => problem_page(lang, &other),
    }
}

/// The sign-in page again, its document field saying `key`.
pub fn sign_in_refused(
    lang: Lang,
    form: SignInFields,
    key: &str,
    seconds: Option<String>,
) -> Response {
    let mut errors = Errors::default();
    let message = match &seconds {
        Some(seconds) => lang.t_with(key, &[("seconds", seconds)]),
        None => lang.t(key),
    };
    errors.add("id_number", message);
    let status = if seconds.is_some() || key == "sign-in-busy" {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNAUTHORIZED
    };
    (status, sign_in_page(lang, errors, form)).into_response()
}

/// A form that only carries the session's CSRF token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfField {
    csrf: String,
}

/// A form that carries the session's CSRF token among its fields.
pub trait CsrfForm {
    /// The token as sent.
    fn csrf(&self) -> &str;
}

impl CsrfForm for CsrfField {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Someone signed in to the pages: a resident, or a staff member in a console.
pub trait Session {
    /// Where someone without a session is sent.
    const SIGN_IN: &'static str;
    /// The session's token, from which its CSRF token derives.
    fn token(&self) -> &str;
}

impl Session for Resident {
    const SIGN_IN: &'static str = "/sign-in";
    fn token(&self) -> &str {
        &self.token
    }
}

impl Session for ConsoleStaff {
    const SIGN_IN: &'static str = "/staff/sign-in";
    fn token(&self) -> &str {
        &self.token
    }
}

/// The signed-in visitor of a page; without a session, the sign-in page
/// (a redirect); for any other refusal, its problem page.
pub fn signed_in<S: Session>(lang: Lang, session: Result<S, AppError>) -> Result<S, Box<Response>> {
    match session {
        Ok(session) => Ok(session),
        Err(AppError::Unauthenticated) => Err(Box::new(Redirect::to(S::SIGN_IN).into_response())),
        Err(other) => Err(Box::new(problem_page(lang, &other))),
    }
}

/// The visitor and fields of a state-changing form: signed in (else the
/// sign-in page), and the form carries the session's CSRF token (else
/// refused).
pub fn session_form<S: Session, F: CsrfForm>(
    lang: Lang,
    session: Result<S, AppError>,
    form: Result<Form<F>, FormRejection>,
) -> Result<(S, F), Box<Response>> {
    let session = signed_in(lang, session)?;
    match form {
        Ok(Form(fields)) if csrf_matches(fields.csrf(), session.token()) => Ok((session, fields)),
        Ok(_) => Err(Box::new(problem_page(lang, &AppError::CrossSite))),
        Err(rejection) => Err(Box::new(bad_form(lang, &rejection))),
    }
}

/// The resident of a form that carries only the CSRF token.
pub fn form_resident(
    lang: Lang,
    resident: Result<Resident, AppError>,
    form: Result<Form<CsrfField>, FormRejection>,
) -> Result<Resident, Box<Response>> {
    session_form(lang, resident, form).map(|(resident, _)| resident)
}

/// The fields of a form sent before signing in (sign-in, activation):
/// refused when the browser says another site sent it, or when it does not
/// parse.
pub fn same_site_form<T>(
    lang: Lang,
    headers: &HeaderMap,
    form: Result<Form<T>, FormRejection>,
) -> Result<T, Box<Response>> {
    if same_site(headers) == Some(false) {
        return Err(Box::new(problem_page(lang, &AppError::CrossSite)));
    }
    match form {
        Ok(Form(fields)) => Ok(fields),
        Err(rejection) => Err(Box::new(bad_form(lang, &rejection))),
    }
}

/// `POST /sign-out`.
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    resident: Result<Resident, AppError>,
    form: Result<Form<CsrfField>, FormRejection>,
) -> Response {
    let resident = match form_resident(lang, resident, form) {
        Ok(resident) => resident,
        Err(page) => return *page,
    };
    if let Err(error) = state.store.end_session(&resident.token).await {
        return problem_page(lang, &AppError::Domain(error));
    }
    let mut response = Redirect::to("/signed-out").into_response();
    RESIDENT_SESSION.clear(&mut response, state.secure_cookies);
    response
}

/// `GET /signed-out`.
pub async fn signed_out(PageLang(lang): PageLang) -> MessagePage {
    MessagePage::with_link(
        lang,
        ("/signed-out", "signed-out-title", "signed-out-body"),
        ("/sign-in", "sign-in-title"),
    )
}

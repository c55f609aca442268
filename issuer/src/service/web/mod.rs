//! The resident web site: server-rendered pages in English and Traditional
//! Chinese over the same workflows as the API, on the same origin. Every
//! page works without JavaScript and loads nothing from elsewhere.
//!
//! - [`lang`]: the page's language and its Fluent messages.
//! - [`frame`]: what every page shows around its content; forms and errors.
//! - [`pages`]: the start page, signing in and out, the problem pages.
//! - [`register_page`]: registering in three parts, with answers to check.
//! - [`activation_page`]: activating an account with its PIN.
//! - [`code_page`]: applying for today's code and showing it.
//! - [`visits_page`]: uploading the check-in app's records; those held.
//! - [`sign_in_code`]: the second step of signing in, the SMS code.
//! - [`account_page`]: the account: language, phone, password; the session.
//! - [`appeals_page`]: lodging an appeal against a record; following it.
//! - [`console`]: the staff consoles (reviewer, post office, administrator).

pub mod account_page;
pub mod activation_page;
pub mod appeals_page;
pub mod code_page;
pub mod console;
pub mod frame;
pub mod lang;
pub mod pages;
pub mod register_page;
pub mod sign_in_code;
pub mod visits_page;

use std::sync::Arc;

use axum::{
    Router,
    extract::Request,
    http::header,
    middleware::{Next, from_fn, from_fn_with_state},
    response::{IntoResponse, Response},
    routing::get,
};

use super::AppState;

/// Scripts, styles and images from this service only (no inline script),
/// no framing, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLESHEET: &str = include_str!("../../../assets/site.css");

const SESSION_SCRIPT: &str = include_str!("../../../assets/session.js");

/// The pages' routes that take small forms.
pub fn routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    page_layers(
        state,
        Router::new()
            .route("/", get(pages::start))
            .route("/sign-in", get(pages::sign_in_form).post(pages::sign_in))
            .route(
                "/sign-in/code",
                get(sign_in_code::form).post(sign_in_code::check),
            )
            .route("/sign-out", axum::routing::post(pages::sign_out))
            .route("/session/extend", axum::routing::post(account_page::extend))
            .route("/account", get(account_page::show))
            .route(
                "/account/language",
                get(account_page::change_form).post(account_page::submit),
            )
            .route(
                "/account/phone",
                get(account_page::change_form).post(account_page::submit),
            )
            .route(
                "/account/phone/confirm",
                get(account_page::change_form).post(account_page::submit),
            )
            .route(
                "/account/password",
                get(account_page::change_form).post(account_page::submit),
            )
            .route(
                "/account/export",
                get(account_page::change_form).post(account_page::submit),
            )
            .route(
                "/account/close",
                get(account_page::change_form).post(account_page::submit),
            )
            .route("/account/closed", get(account_page::closed))
            .route("/signed-out", get(pages::signed_out))
            .route(
                "/activate",
                get(activation_page::form).post(activation_page::activate),
            )
            .route("/activated", get(activation_page::activated))
            .route("/register", get(register_page::start))
            .route(
                "/register/identity",
                get(register_page::identity_form).post(register_page::identity),
            )
            .route(
                "/register/check",
                get(register_page::check_form).post(register_page::send),
            )
            .route("/code", get(code_page::show).post(code_page::apply))
            .route("/code.pdf", get(code_page::download))
            .route("/code/convert", axum::routing::post(code_page::convert))
            .route("/assets/site.css", get(stylesheet))
            .route("/assets/session.js", get(session_script))
            .merge(console::routes()),
    )
}

/// The pages that take a file as large as a proof: registration's address
/// step and the appeals page (the registration's body limit).
pub fn register_upload_routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    page_layers(
        state,
        Router::new()
            .route(
                "/register/address",
                get(register_page::address_form).post(register_page::address),
            )
            .route(
                "/account/appeals",
                get(appeals_page::show).post(appeals_page::lodge),
            ),
    )
}

/// The console page that takes feed files (the feeds' body limit).
pub fn feed_upload_routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    page_layers(state, console::upload_routes())
}

/// The page that takes visit-record files (the visit upload's body limit).
pub fn upload_routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    page_layers(
        state,
        Router::new().route("/visits", get(visits_page::show).post(visits_page::upload)),
    )
}

fn page_layers(state: Arc<AppState>, routes: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    routes
        .layer(from_fn_with_state(state, lang::remember_choice))
        .layer(from_fn(page_headers))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn session_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SESSION_SCRIPT,
    )
        .into_response()
}

/// The headers of every page: a strict policy, no referrer, no sniffing, and
/// no caching of pages that may show personal data.
pub async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    healthcode_service_kit::http::set_page_headers(response.headers_mut(), CONTENT_SECURITY_POLICY);
    response
}

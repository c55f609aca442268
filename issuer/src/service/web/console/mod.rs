//! The staff consoles: each role's whole job in a browser, over the same
//! workflows, role checks and audit as the API. Staff sign in with a name,
//! a password and an authenticator app's one-time code; the session cookie
//! goes only to `/staff` pages.
//!
//! - [`sign_in`]: setting up, signing in and out, the console's home.
//! - [`review`]: the reviewer's queue, an application and its proof, decisions.
//! - [`post_office`]: the post-office identity check.
//! - [`feeds`]: the health authority's and immigration's file uploads.
//! - [`records`]: the records in force with their withdrawal; re-evaluation runs.
//! - [`counter`]: finding or registering a resident in person, their code applied for and printed.
//! - [`appeals`]: the deciders' appeal queue, an appeal, its decision.
//! - [`admin`]: staff, the audit chain, letters waiting, the SMS outbox.

pub mod admin;
pub mod appeals;
pub mod counter;
pub mod feeds;
pub mod post_office;
pub mod records;
pub mod review;
pub mod sign_in;

use std::sync::Arc;

use axum::{
    Form, Router,
    extract::rejection::FormRejection,
    response::Response,
    routing::{get, post},
};

use crate::{
    model::Role,
    service::{
        AppError, AppState,
        auth::{ConsoleStaff, Staff},
        web::{
            lang::Lang,
            pages::{CsrfForm, problem_page_in, session_form, signed_in},
        },
    },
};

/// The feed upload page (the feeds' body limit).
pub fn upload_routes() -> Router<Arc<AppState>> {
    Router::new().route("/staff/feeds", get(feeds::show).post(feeds::upload))
}

/// The consoles' routes (small forms only).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/staff", get(sign_in::home))
        .route(
            "/staff/sign-in",
            get(sign_in::sign_in_form).post(sign_in::sign_in),
        )
        .route(
            "/staff/set-up",
            get(sign_in::set_up_form).post(sign_in::set_up),
        )
        .route("/staff/sign-out", post(sign_in::sign_out))
        .route("/staff/signed-out", get(sign_in::signed_out))
        .route("/staff/review", get(review::queue))
        .route("/staff/review/{reference}", get(review::application))
        .route("/staff/review/{reference}/proof", get(review::proof))
        .route("/staff/review/{reference}/approve", post(review::approve))
        .route("/staff/review/{reference}/reject", post(review::reject))
        .route(
            "/staff/post-office",
            get(post_office::form).post(post_office::confirm),
        )
        .route("/staff/records", get(records::show))
        .route("/staff/records/person", post(records::person))
        .route("/staff/records/withdraw", post(records::withdraw))
        .route("/staff/counter", get(counter::show))
        .route("/staff/counter/find", post(counter::find))
        .route(
            "/staff/counter/register",
            get(counter::register_form).post(counter::register),
        )
        .route("/staff/counter/{reference}", get(counter::resident))
        .route("/staff/counter/{reference}/apply", post(counter::apply))
        .route("/staff/counter/{reference}/code.pdf", get(counter::print))
        .route("/staff/appeals", get(appeals::queue))
        .route("/staff/appeals/{reference}", get(appeals::case))
        .route(
            "/staff/appeals/{reference}/evidence",
            get(appeals::evidence),
        )
        .route("/staff/appeals/{reference}/decide", post(appeals::decide))
        .route("/staff/admin", get(admin::show))
        .route("/staff/admin/staff", post(admin::add))
        .route("/staff/admin/staff/{name}/disable", post(admin::disable))
        .route("/staff/admin/staff/{name}/rotate", post(admin::rotate))
        .route("/staff/admin/outbox", get(admin::outbox))
}

/// A console page's answer to a request it cannot serve, in the console's
/// frame.
pub(super) fn problem_page(lang: Lang, error: &AppError) -> Response {
    problem_page_in(lang, error, true)
}

/// The one gate of every console page: signed in, and in one of `roles`.
/// A refusal is audited under `action`, as the API's role check does.
pub(super) async fn allowed(
    state: &AppState,
    lang: Lang,
    staff: Result<ConsoleStaff, AppError>,
    roles: &'static [Role],
    action: &str,
) -> Result<ConsoleStaff, Box<Response>> {
    let staff = signed_in(lang, staff)?;
    match Staff(staff.member.clone())
        .require(state, roles, action)
        .await
    {
        Ok(()) => Ok(staff),
        Err(error) => Err(Box::new(problem_page(lang, &error))),
    }
}

/// The gate of every console form that changes something: signed in, the
/// session's CSRF token in the form, then [`allowed`]; the fields.
pub(super) async fn allowed_form<F: CsrfForm>(
    state: &AppState,
    lang: Lang,
    staff: Result<ConsoleStaff, AppError>,
    form: Result<Form<F>, FormRejection>,
    (roles, action): (&'static [Role], &str),
) -> Result<(ConsoleStaff, F), Box<Response>> {
    let (staff, fields) = session_form(lang, staff, form)?;
    let staff = allowed(state, lang, Ok(staff), roles, action).await?;
    Ok((staff, fields))
}

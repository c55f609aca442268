//! `issuer serve`: the residents' and staff's HTTP API over the store.
//!
//! # Layout
//! - [`state`]: [`AppState`]: the store, rate limiters, the clock.
//! - [`auth`]: client address, resident sessions, staff tokens and roles.
//! - [`client`]: the client behind trusted proxies, and the key it is limited by.
//! - [`resident_routes`], [`staff_routes`]: the account handlers.
//! - [`account_routes`]: what a resident changes: language, phone, password.
//! - [`appeal_routes`]: appeals: lodged by residents, decided by the record's owner.
//! - [`code_routes`], [`feed_routes`]: applying for codes; the health feeds.
//! - [`counter_routes`]: the counter: finding, registering, applying and printing for a resident.
//! - [`workers`]: re-evaluation, delivering revocations, key reloads.
//! - [`sms`]: delivering the SMS outbox through a webhook gateway.
//! - [`openapi`]: the API description, generated from the handlers.
//! - [`web`]: the resident web site, pages over the same workflows.
//! - [`AppError`]: how a handler refuses a request.

pub mod account_routes;
pub mod appeal_routes;
pub mod auth;
pub mod client;
pub mod code_routes;
pub mod counter_routes;
mod error;
pub mod feed_routes;
pub mod openapi;
pub mod resident_routes;
pub mod sms;
pub mod staff_routes;
pub mod state;
pub mod web;
pub mod workers;

use std::{sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    http::StatusCode,
    response::IntoResponse as _,
    routing::{get, post, put},
};
pub use error::{AppError, ErrorBody, ErrorDetail, JsonBodyRefusals, StaffRefusals};
use healthcode_service_kit::http::ConnectionLimits;
pub use state::AppState;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;

use crate::model::proof::MAX_PROOF_BYTES;

/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The body limit of most routes: JSON forms are small.
pub const SMALL_BODY: usize = 64 * 1024;

/// The body limit of a registration (and an appeal): the proof (the
/// evidence) and the fields around it.
pub const REGISTRATION_BODY: usize = MAX_PROOF_BYTES + 64 * 1024;

/// The body limit of a visit upload: 5,000 records fit.
pub const VISITS_BODY: usize = 2 * 1024 * 1024;

/// The body limit of a feed submission: 10,000 records fit.
pub const FEED_BODY: usize = 4 * 1024 * 1024;

/// The service's routes over `state`.
pub fn app(state: Arc<AppState>) -> Router {
    use account_routes as a;
    use code_routes as c;
    use feed_routes as f;
    use resident_routes as r;
    use staff_routes as s;
    let registration = Router::new()
        .route("/v1/registrations", post(r::register))
        .route(
            "/v1/appeals",
            post(appeal_routes::lodge).get(appeal_routes::list),
        )
        .merge(web::register_upload_routes(state.clone()));
    let visits = Router::new()
        .route("/v1/visits", post(r::upload_visits).get(r::list_visits))
        .merge(web::upload_routes(state.clone()));
    let feeds = Router::new()
        .route(
            "/v1/feeds/{kind}",
            post(f::submit_feed).get(f::list_designations),
        )
        .merge(web::feed_upload_routes(state.clone()));
    let small = Router::new()
        .route("/v1/activation", post(r::activate))
        .route("/v1/activation/pin", post(r::resend_pin))
        .route("/v1/login", post(r::login))
        .route("/v1/login/code", post(r::login_code))
        .route("/v1/session", post(r::extend_session))
        .route("/v1/account/language", put(a::set_language))
        .route("/v1/account/password", post(a::change_password))
        .route("/v1/account/phone", post(a::request_phone_change))
        .route("/v1/account/phone/confirm", post(a::confirm_phone))
        .route("/v1/account/export", post(a::export))
        .route("/v1/account/close", post(a::close))
        .route("/v1/logout", post(r::logout))
        .route("/v1/me", get(r::me))
        .route("/v1/codes", post(c::apply_for_code))
        .route("/v1/codes/today", get(c::todays_code))
        .route("/v1/codes/today/conversions", post(c::convert_code))
        .route("/v1/codes/today/pdf", get(web::code_page::todays_code_pdf))
        .route("/v1/staff/review-queue", get(s::review_queue))
        .route("/v1/staff/applications/{reference}", get(s::application))
        .route("/v1/staff/applications/{reference}/proof", get(s::proof))
        .route(
            "/v1/staff/applications/{reference}/approve",
            post(s::approve),
        )
        .route("/v1/staff/applications/{reference}/reject", post(s::reject))
        .route(
            "/v1/staff/post-office/confirmations",
            post(s::post_office_confirm),
        )
        .route("/v1/staff/appeals", get(appeal_routes::queue))
        .route("/v1/staff/appeals/{reference}", get(appeal_routes::case))
        .route(
            "/v1/staff/appeals/{reference}/evidence",
            get(appeal_routes::evidence),
        )
        .route(
            "/v1/staff/appeals/{reference}/decision",
            post(appeal_routes::decide),
        )
        .route("/v1/staff/counter/lookup", post(counter_routes::lookup))
        .route(
            "/v1/staff/counter/registrations",
            post(counter_routes::register),
        )
        .route(
            "/v1/staff/counter/{reference}/codes",
            post(counter_routes::apply),
        )
        .route(
            "/v1/staff/counter/{reference}/code.pdf",
            get(counter_routes::print),
        )
        .route("/v1/staff/sms-outbox", get(s::sms_outbox))
        .route("/v1/staff/audit", get(s::audit_log))
        .route("/openapi.json", get(openapi::serve))
        .route("/healthz", get(healthz))
        .merge(web::routes(state.clone()));
    Router::new()
        .merge(limited(registration, REGISTRATION_BODY))
        .merge(limited(visits, VISITS_BODY))
        .merge(limited(feeds, FEED_BODY))
        .merge(limited(small, SMALL_BODY))
        .fallback(not_found)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

/// Refuses a body whose declared `Content-Length` is over `limit` before a
/// byte of it is read, so a client that sent `Expect: 100-continue` never
/// uploads it. (`DefaultBodyLimit` still cuts a streamed body at the limit.)
async fn refuse_declared_oversize(
    axum::extract::State(limit): axum::extract::State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let length = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match length {
        Some(length) if length > limit as u64 => {
            AppError::BodyTooLarge { length, limit }.into_response()
        }
        _ => next.run(request).await,
    }
}

/// The two body limits of a route group.
fn limited<S: Clone + Send + Sync + 'static>(router: Router<S>, limit: usize) -> Router<S> {
    router
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            limit,
            refuse_declared_oversize,
        ))
}

async fn healthz(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> Result<Json<serde_json::Value>, AppError> {
    let undelivered = state.store.undelivered_count().await?;
    let delivery = state.delivery_status();
    Ok(Json(serde_json::json!({
        "status": "ok",
        "issuing": state.signer.is_some(),
        "redis_connected": delivery.connected,
        "revocations_undelivered": undelivered,
        "last_delivery": delivery.last_round.map(healthcode_keys::hktime::format_utc),
    })))
}

/// A page for a browser, JSON for the API's clients.
async fn not_found(
    web::lang::PageLang(lang): web::lang::PageLang,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let wants_page = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_page {
        web::pages::not_found_page(lang).await
    } else {
        AppError::Domain(crate::Error::NotFound { what: "route" }).into_response()
    }
}

/// What runs beside the HTTP API, and the limits of its connections.
#[derive(Debug, Clone, Default)]
pub struct Background {
    /// Deliver SMS by POSTing to this gateway.
    pub sms_webhook: Option<String>,
    /// Deliver revocations to this Redis.
    pub redis: Option<String>,
    /// How often to put a new filtered snapshot in that Redis.
    pub filtered_every: std::time::Duration,
    /// Header-read timeout, connection and keep-alive limits.
    pub connections: ConnectionLimits,
    /// Where to keep the audit chain's anchor (none: not anchored, for tests
    /// of the API alone).
    pub audit_anchor: Option<std::path::PathBuf>,
}

/// Serves `app(state)` on `listener` until Ctrl-C or SIGTERM, with the
/// workers: re-evaluations, the signing key's reloads, delivery of SMS and of
/// revocations as `background` asks, and a sweep of idle rate-limit keys.
///
/// # Errors
/// When serving fails.
pub async fn serve(
    state: Arc<AppState>,
    listener: TcpListener,
    background: Background,
) -> std::io::Result<()> {
    if let Some(url) = background.sms_webhook {
        tokio::spawn(sms::deliver_forever(state.clone(), url));
    }
    match background.redis {
        Some(url) => drop(tokio::spawn(workers::deliver_forever(
            state.clone(),
            url,
            background.filtered_every,
        ))),
        None => tracing::warn!(
            "no --redis: revocations are recorded but wait in the database until a service with --redis delivers them"
        ),
    }
    tokio::spawn(workers::listen_forever(state.clone()));
    tokio::spawn(workers::reevaluate_forever(state.clone()));
    tokio::spawn(workers::purge_forever(state.clone()));
    if let Some(path) = background.audit_anchor.clone() {
        tokio::spawn(workers::anchor_forever(state.clone(), path));
    }
    tokio::spawn(workers::watch_signing_key(state.clone()));
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            sweeper.limiters.forget_idle().await;
        }
    });
    healthcode_service_kit::http::serve(
        listener,
        app(state.clone()),
        background.connections,
        healthcode_service_kit::signals::shutdown_signal(),
    )
    .await?;
    if let Some(path) = &background.audit_anchor {
        workers::anchor_once(&state, path).await;
    }
    state.store.close().await;
    Ok(())
}

//! `issuer serve`: the residents' and staff's HTTP API over the store.
//!
//! # Layout
//! - [`state`]: [`AppState`]: the store, rate limiters, the clock.
//! - [`auth`]: client address, resident sessions, staff tokens and roles.
//! - [`resident_routes`], [`staff_routes`]: the handlers.
//! - [`sms`]: delivering the SMS outbox through a webhook gateway.
//! - [`openapi`]: the API description, generated from the handlers.
//! - [`AppError`]: how a handler refuses a request.

pub mod auth;
mod error;
pub mod openapi;
pub mod resident_routes;
pub mod sms;
pub mod staff_routes;
pub mod state;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    http::StatusCode,
    response::IntoResponse as _,
    routing::{get, post},
};
pub use error::{AppError, ErrorBody, ErrorDetail};
pub use state::AppState;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;

use crate::residents::proof::MAX_PROOF_BYTES;

/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The body limit of most routes: JSON forms are small.
pub const SMALL_BODY: usize = 64 * 1024;

/// The body limit of a registration: the proof and the fields around it.
pub const REGISTRATION_BODY: usize = MAX_PROOF_BYTES + 64 * 1024;

/// The body limit of a visit upload: 5,000 records fit.
pub const VISITS_BODY: usize = 2 * 1024 * 1024;

/// The service's routes over `state`.
pub fn app(state: Arc<AppState>) -> Router {
    use resident_routes as r;
    use staff_routes as s;
    let registration = Router::new().route("/v1/registrations", post(r::register));
    let visits = Router::new().route("/v1/visits", post(r::upload_visits).get(r::list_visits));
    let small = Router::new()
        .route("/v1/activation", post(r::activate))
        .route("/v1/activation/pin", post(r::resend_pin))
        .route("/v1/login", post(r::login))
        .route("/v1/logout", post(r::logout))
        .route("/v1/me", get(r::me))
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
        .route("/v1/staff/sms-outbox", get(s::sms_outbox))
        .route("/v1/staff/audit", get(s::audit_log))
        .route("/openapi.json", get(openapi::serve))
        .route("/healthz", get(healthz));
    Router::new()
        .merge(limited(registration, REGISTRATION_BODY))
        .merge(limited(visits, VISITS_BODY))
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
    sqlx::query("SELECT 1")
        .execute(state.store.pool())
        .await
        .map_err(crate::Error::from)?;
    Ok(Json(serde_json::json!({ "status": "ok" })))
}

async fn not_found() -> AppError {
    AppError::Domain(crate::Error::NotFound { what: "route" })
}

/// Serves `app(state)` on `listener` until Ctrl-C or SIGTERM, with the SMS
/// webhook worker when `sms_webhook` is set and a sweep of idle rate-limit keys.
///
/// # Errors
/// When serving fails.
pub async fn serve(
    state: Arc<AppState>,
    listener: TcpListener,
    sms_webhook: Option<String>,
) -> std::io::Result<()> {
    if let Some(url) = sms_webhook {
        tokio::spawn(sms::deliver_forever(state.clone(), url));
    }
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            sweeper.limiters.forget_idle();
        }
    });
    axum::serve(
        listener,
        app(state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(healthcode_verifier::service::shutdown_signal())
    .await?;
    state.store.close().await;
    Ok(())
}

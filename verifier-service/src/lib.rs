//! The checkpoint verifier service: the scanner's checks over HTTP, with
//! revocations held in memory and kept current from Redis. Stateless
//! between instances: any number can stand behind a balancer.
//!
//! # Layout
//! - [`state`]: [`AppState`]: the checker, the revocation set and its freshness.
//! - [`routes`]: the handlers.
//! - [`sync`]: the Redis subscriber with full resyncs and reconnects.
//! - [`trust`]: loading and reloading the trust list while serving.
//! - [`metrics`]: counters for `/metrics`; [`lanes`]: the checkpoint, its
//!   lanes and their last minutes.
//! - [`pages`]: the supervisor's page (English and Traditional Chinese);
//!   [`officer`]: the officer's scanning page.
//! - [`openapi`]: the API description, served at `/openapi.json`.
//! - [`bundle`]: `verifier bundle`, the offline kit for a handheld.
//! - [`AppError`]: how a handler refuses a request.

pub mod bundle;
mod error;
pub mod identity;
pub mod lanes;
pub mod metrics;
pub mod officer;
pub mod openapi;
pub mod pages;
pub mod routes;
pub mod state;
pub mod sync;
pub mod trust;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};
pub use error::AppError;
use healthcode_verifier::image::ImageLimits;
pub use state::AppState;
use tower_http::timeout::TimeoutLayer;

/// How long one request may take (a photo decodes in well under a second).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The pages and their assets, each answered with the pages' headers.
fn page_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/supervisor", get(pages::supervisor))
        .route("/officer", get(officer::form).post(officer::check))
        .route("/assets/officer.js", get(pages::officer_script))
        .route("/assets/verifier.css", get(pages::stylesheet))
        .route("/assets/supervisor.js", get(pages::supervisor_script))
        .layer(axum::middleware::from_fn(pages::page_headers))
}

/// The service's routes over `state`.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/verify", post(routes::verify))
        .route("/v1/codes/{token_id}/status", get(routes::status))
        .route("/v1/revocations", get(routes::revocations))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/metrics", get(routes::metrics))
        .route("/openapi.json", get(openapi::serve))
        .route("/v1/lanes", get(pages::lanes))
        .merge(page_routes())
        .layer(DefaultBodyLimit::max(ImageLimits::default().max_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

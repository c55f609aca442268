//! A registration body through the real router (multipart parsing, field
//! checks, proof sniffing, the store): never a panic, never a 5xx.
#![no_main]

use std::{num::NonZeroU32, sync::OnceLock};

use axum::{Router, body::Body, http::Request};
use healthcode_fuzz::{runtime, store};
use healthcode_issuer::service::{
    AppState, app,
    state::{RateLimits, Settings},
};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

fn router() -> Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER
        .get_or_init(|| {
            // No rate limit: every input must reach the form.
            let unlimited = RateLimits {
                register_per_minute: NonZeroU32::MAX,
                login_per_minute: NonZeroU32::MAX,
                pin_per_minute: NonZeroU32::MAX,
            };
            let settings = Settings {
                limits: unlimited,
                ..Settings::default()
            };
            let state = AppState::new(store().clone(), settings, None, || healthcode_fuzz::NOW);
            app(state)
        })
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let request = Request::post("/v1/registrations")
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(Body::from(data.to_vec()))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = runtime()
        .block_on(router().oneshot(request))
        .unwrap_or_else(|e| match e {});
    assert!(
        !response.status().is_server_error(),
        "{} for {:?}",
        response.status(),
        String::from_utf8_lossy(data)
    );
});

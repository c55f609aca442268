//! The handlers: verify, code status, health, metrics.

use std::{sync::Arc, time::Duration};

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header::CONTENT_TYPE},
    response::IntoResponse,
};
use healthcode_keys::{IdDocument, TokenId, hktime::format_utc};

use healthcode_verifier::{Checker, Verdict};
use serde::Deserialize;
use serde_json::json;

use crate::{
    AppError, AppState,
    metrics::{Gauges, bump},
};

/// The JSON request of `POST /v1/verify`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The token text.
    pub token: String,
    /// The holder's ID document, if the officer checks it.
    pub id_doc: Option<String>,
}

/// `POST /v1/verify`: a JSON token or a PNG/JPEG photo. The answer is the
/// scanner's verdict, with what the revocation data says.
pub async fn verify(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Verdict>, AppError> {
    let answer = verify_body(&state, &headers, body).await;
    if answer.is_err() {
        bump(&state.metrics.bad_requests);
    }
    answer
}

async fn verify_body(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Json<Verdict>, AppError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let checker = state.checker();
    let now = state.now();
    let verdict = match media.as_str() {
        "application/json" => {
            let request: VerifyRequest =
                serde_json::from_slice(&body).map_err(AppError::BadJson)?;
            let document = request
                .id_doc
                .as_deref()
                .map(str::parse::<IdDocument>)
                .transpose()
                .map_err(AppError::BadIdDocument)?;
            if document.is_some() && !checker.can_check_identity() {
                return Err(AppError::NoIdentityKey);
            }
            checker.check_text("request", &request.token, document.as_ref(), now)
        }
        "image/png" | "image/jpeg" => decode(state, checker, body, now).await?,
        _ => return Err(AppError::UnsupportedMediaType(content_type.to_owned())),
    };
    let verdict = state.apply_revocations(verdict);
    bump(if verdict.is_valid() {
        &state.metrics.valid
    } else {
        &state.metrics.invalid
    });
    audit(&verdict);
    Ok(Json(verdict))
}

/// How long a photo may wait for a decoder before the request is refused as busy.
const DECODE_QUEUE_WAIT: Duration = Duration::from_secs(3);
/// How long finding a code in one photo may take before it counts as holding none.
const DECODE_BUDGET: Duration = Duration::from_secs(2);

/// Checks a photo on a blocking thread, once a decoder permit is free: at
/// most `--image-decoders` photos take CPU at once, each within a time
/// budget, so hostile images cannot starve token requests.
async fn decode(
    state: &AppState,
    checker: Arc<Checker>,
    body: Bytes,
    now: time::OffsetDateTime,
) -> Result<Verdict, AppError> {
    let permit = tokio::time::timeout(DECODE_QUEUE_WAIT, state.decoders.clone().acquire_owned())
        .await
        .map_err(|_| AppError::Busy)?
        .map_err(|_| AppError::Busy)?;
    let deadline = std::time::Instant::now() + DECODE_BUDGET;
    // The permit travels with the work: a request that times out does not
    // free it before the decoder really stops.
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        checker.check_image_before("image", &body, None, now, Some(deadline))
    })
    .await
    .map_err(|_| AppError::TaskFailed)
}

/// One audit line per verification: result, kid and token id; never the ID document.
fn audit(verdict: &Verdict) {
    let routing = verdict.routing();
    tracing::info!(
        target: "audit",
        valid = verdict.is_valid(),
        error = verdict.error_code().map(|c| c.as_str()).unwrap_or_default(),
        kid = routing.map(|r| r.1.to_string()).unwrap_or_default(),
        token_id = routing.map(|r| r.2.to_string()).unwrap_or_default(),
        identity = ?verdict.identity(),
        revocation = verdict.revocation().as_str(),
        "verification"
    );
}

/// `GET /v1/codes/{token_id}/status`: what the revocation data says of one code.
pub async fn status(
    State(state): State<Arc<AppState>>,
    Path(token_id): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let token_id: TokenId = token_id.parse().map_err(|e| {
        bump(&state.metrics.bad_requests);
        AppError::BadTokenId(e)
    })?;
    let answer = state.revocation_of(&token_id);
    Ok(Json(json!({
        "token_id": token_id.to_string(),
        "revocation": answer.status(),
        "reason": answer.revoked.as_ref().map(|r| r.reason.as_str()),
        "revoked_at": answer.revoked.as_ref().map(|r| format_utc(r.revoked_at)),
        "revocation_as_of": answer.as_of.map(format_utc),
        "revocation_stale": answer.stale,
    })))
}

/// `GET /v1/revocations`: the newest issuer-signed snapshot, for offline scanners.
pub async fn revocations(
    State(state): State<Arc<AppState>>,
) -> Result<impl IntoResponse, AppError> {
    let snapshot = state
        .with_revocations(|r| r.snapshot.clone())
        .ok_or(AppError::NoSnapshot)?;
    Ok(([(CONTENT_TYPE, "application/json")], snapshot.to_json()))
}

/// `GET /healthz`: alive (always 200), with whether it is ready and the
/// freshness of what it holds.
pub async fn healthz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let summary = state.revocation_summary();
    let checker = state.checker();
    let not_ready = state.not_ready_because();
    Json(json!({
        "status": "ok",
        "ready": not_ready.is_empty(),
        "not_ready": not_ready,
        "trust_list_seq": checker.trust().seq(),
        "trust_list_expires_at": format_utc(checker.trust().expires_at()),
        "trust_list_expired": checker.trust_expired(state.now()),
        "revocations_held": summary.held,
        "revocation_as_of": summary.as_of.map(format_utc),
        "redis_connected": summary.connected,
    }))
}

/// `GET /readyz`: 200 when the service can answer travellers; 503, with
/// why, before its first revocation sync and while its trust list is
/// expired, so that a load balancer sends nobody to it.
pub async fn readyz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let not_ready = state.not_ready_because();
    if not_ready.is_empty() {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        let body = json!({ "status": "not_ready", "not_ready": not_ready });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body))
    }
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let summary = state.revocation_summary();
    let staleness = summary.as_of.map(|t| (state.now() - t).whole_seconds());
    let text = state.metrics.render(&Gauges {
        revocations: summary.held,
        staleness_seconds: staleness,
        connected: summary.connected,
        trust_seq: state.checker().trust().seq(),
        trust_expired: state.checker().trust_expired(state.now()),
        ready: state.not_ready_because().is_empty(),
    });
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

//! The handlers: verify, code status, health, metrics.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, header::CONTENT_TYPE},
    response::IntoResponse,
};
use healthcode_keys::{IdDocument, TokenId, hktime::format_utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{AppError, AppState, metrics::bump, state::WhenStale};
use crate::{ErrorCode, Report, report::ReportError};

/// The JSON request of `POST /v1/verify`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The token text.
    pub token: String,
    /// The holder's ID document, if the officer checks it.
    pub id_doc: Option<String>,
}

/// The scanner's report plus what the revocation data says.
#[derive(Debug, Serialize)]
pub struct VerifyAnswer {
    /// The scanner's fields.
    #[serde(flatten)]
    pub report: Report,
    /// `not_revoked`, `revoked` or `unknown`.
    pub revocation: &'static str,
    /// Why, when revoked.
    pub revocation_reason: Option<&'static str>,
    /// When the revocation data was last known current (UTC).
    pub revocation_as_of: Option<String>,
    /// True when that is older than the service's limit.
    pub revocation_stale: bool,
}

/// `POST /v1/verify`: a JSON token or a PNG/JPEG photo.
pub async fn verify(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<VerifyAnswer>, AppError> {
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
) -> Result<Json<VerifyAnswer>, AppError> {
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
    let report = match media.as_str() {
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
        "image/png" | "image/jpeg" => {
            // Decoding a photo is CPU work: keep it off the async workers.
            tokio::task::spawn_blocking(move || checker.check_image("image", &body, None, now))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
        }
        _ => return Err(AppError::UnsupportedMediaType(content_type.to_owned())),
    };
    let answer = with_revocation(state, report);
    bump(if answer.report.valid {
        &state.metrics.valid
    } else {
        &state.metrics.invalid
    });
    audit(&answer);
    Ok(Json(answer))
}

/// Checks the revocation data and, where it must, turns a valid answer invalid.
fn with_revocation(state: &AppState, mut report: Report) -> VerifyAnswer {
    let Some(token_id) = report.authentic_token_id() else {
        return VerifyAnswer {
            report,
            revocation: "unknown",
            revocation_reason: None,
            revocation_as_of: None,
            revocation_stale: false,
        };
    };
    let answer = state.revocation_of(&token_id);
    let as_of = answer.as_of.map(format_utc);
    let revocation = match (&answer.revoked, answer.stale) {
        (Some(revoked), _) => {
            if report.valid {
                report.valid = false;
                let message = format!(
                    "revoked ({}) at {}",
                    revoked.reason,
                    format_utc(revoked.revoked_at)
                );
                report.error = Some(ReportError {
                    code: ErrorCode::Revoked,
                    message,
                });
            }
            "revoked"
        }
        (None, false) => "not_revoked",
        (None, true) => {
            if report.valid && state.settings.when_stale == WhenStale::Reject {
                report.valid = false;
                let message = format!(
                    "revocation data is older than {}: send to secondary inspection",
                    humantime::format_duration(state.settings.stale_after.unsigned_abs())
                );
                report.error = Some(ReportError {
                    code: ErrorCode::RevocationUnavailable,
                    message,
                });
            }
            "unknown"
        }
    };
    let reason = answer.revoked.as_ref().map(|r| r.reason.id());
    VerifyAnswer {
        report,
        revocation,
        revocation_reason: reason,
        revocation_as_of: as_of,
        revocation_stale: answer.stale,
    }
}

/// One audit line per verification: result, kid and token id; never the ID document.
fn audit(answer: &VerifyAnswer) {
    let report = &answer.report;
    tracing::info!(
        target: "audit",
        valid = report.valid,
        error = report.error.as_ref().map(|e| format!("{:?}", e.code)).unwrap_or_default(),
        kid = report.kid.map(|k| k.to_string()).unwrap_or_default(),
        token_id = report.token_id.map(|t| t.to_string()).unwrap_or_default(),
        identity = ?report.identity,
        revocation = answer.revocation,
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
    let revocation = match (&answer.revoked, answer.stale) {
        (Some(_), _) => "revoked",
        (None, false) => "not_revoked",
        (None, true) => "unknown",
    };
    Ok(Json(json!({
        "token_id": token_id.to_string(),
        "revocation": revocation,
        "reason": answer.revoked.as_ref().map(|r| r.reason.id()),
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

/// `GET /healthz`: alive, with the freshness of what it holds.
pub async fn healthz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let (held, as_of, connected) = state.revocation_summary();
    let checker = state.checker();
    Json(json!({
        "status": "ok",
        "trust_list_seq": checker.trust().seq(),
        "trust_list_expires_at": format_utc(checker.trust().expires_at()),
        "revocations_held": held,
        "revocation_as_of": as_of.map(format_utc),
        "redis_connected": connected,
    }))
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let (held, as_of, connected) = state.revocation_summary();
    let staleness = as_of.map(|t| (state.now() - t).whole_seconds());
    let text = state
        .metrics
        .render(held, staleness, connected, state.checker().trust().seq());
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

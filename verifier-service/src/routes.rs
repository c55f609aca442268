//! The handlers: verify, code status, health, metrics.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Json,
    body::Bytes,
    extract::rejection::BytesRejection,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header::CONTENT_TYPE},
    response::IntoResponse,
};
use healthcode_keys::{
    IdDocument, Presented, TokenId,
    hktime::{format_utc, parse_date},
};

use healthcode_verifier::{
    Checker, Verdict,
    admission::{Admission, Decision},
    qr::{LIVE_PASSES, PASSES},
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    AppError, AppState,
    lanes::{LANE_HEADER, LabelError, Outcome, PlaceLabel},
    metrics::{Gauges, bump},
};

/// The JSON request of `POST /v1/verify`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The token text (`HC2:...`, or `HC1:...` for a version 1 code).
    #[schema(example = "HC2:AgEK...")]
    pub token: String,
    /// The holder's ID document, TYPE:NUMBER, if the officer checks it.
    #[schema(
        pattern = "^(HKID|MOID|PERMIT|PASSPORT-[A-Za-z]{3}):.+$",
        example = "HKID:A123456(3)"
    )]
    pub id_doc: Option<String>,
    /// The date of issue printed on that document, YYYY-MM-DD: version 2
    /// codes bind it, and cannot be checked without it.
    #[schema(format = Date, example = "2018-03-01")]
    pub date_of_issue: Option<String>,
    /// The lane that checked the code (as the `X-Healthcode-Lane` header
    /// does for photos): counted in `/metrics`, the audit log and the
    /// supervisor's page.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,32}$", example = "car-07")]
    pub lane: Option<String>,
}

/// Verify a code: a JSON token, or a photo of the code.
///
/// The answer is the verdict on the code, with what the revocation data
/// says of it. A verifier that cannot know answers `valid: false` with
/// `revocation_unavailable` (secondary inspection), never plainly valid.
#[utoipa::path(
    post, path = "/v1/verify", tag = "checkpoint",
    request_body(content(
        (VerifyRequest = "application/json"),
        (Vec<u8> = "image/png"),
        (Vec<u8> = "image/jpeg"),
    )),
    responses(
        (status = 200, description = "The verdict (valid or not)", body = crate::openapi::VerdictBody),
        (status = 400, description = "The JSON, the ID document, its date of issue or the lane does not parse, or a date of issue comes without a document", body = crate::openapi::ErrorBody),
        (status = 408, description = "The request took longer than 10 s"),
        (status = 413, description = "Over 16 MiB", body = crate::openapi::ErrorBody),
        (status = 415, description = "Neither JSON nor PNG/JPEG", body = crate::openapi::ErrorBody),
        (status = 422, description = "An ID document given to a verifier that holds no identity keys", body = crate::openapi::ErrorBody),
        (status = 500, description = "A decoder failed inside the service", body = crate::openapi::ErrorBody),
        (status = 503, description = "Every worker (photos, identity checks) is busy: retry (Retry-After)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn verify(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let started = Instant::now();
    let answer = match body {
        Ok(body) => verify_body(&state, &headers, body, started).await,
        Err(rejection) => Err(AppError::Body(rejection)),
    };
    if answer.is_err() {
        bump(&state.metrics.bad_requests);
    }
    answer
}

async fn verify_body(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Bytes,
    started: Instant,
) -> Result<Json<serde_json::Value>, AppError> {
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
    let mut lane = lane_header(headers)?;
    let input = match media.as_str() {
        "application/json" => {
            let request: VerifyRequest =
                serde_json::from_slice(&body).map_err(AppError::BadJson)?;
            if let Some(named) = &request.lane {
                lane = Some(named.parse().map_err(AppError::BadLane)?);
            }
            let presented = presented(request.id_doc.as_deref(), request.date_of_issue.as_deref())?;
            Input::Token(request.token, presented)
        }
        "image/png" | "image/jpeg" => Input::Photo(body, None),
        _ => return Err(AppError::UnsupportedMediaType(content_type.to_owned())),
    };
    let checked = check(state, input).await?;
    let decision = record(state, &checked, lane, started);
    Ok(Json(answer(state, &checked, decision)))
}

/// What a checkpoint is asked to check.
#[derive(Debug)]
pub enum Input {
    /// A token's text, with the document the holder presented, if any.
    Token(String, Option<Presented>),
    /// A photo (PNG or JPEG) of a code, with the document presented, if any.
    Photo(Bytes, Option<Presented>),
    /// One frame of a live camera: only the cheap decoding passes.
    Frame(Bytes, Option<Presented>),
}

/// A verdict, with the revocation data applied, and when it was made.
#[derive(Debug)]
pub struct Checked {
    /// The verdict.
    pub verdict: Verdict,
    /// The instant it is as of.
    pub now: time::OffsetDateTime,
}

/// Checks `input`: a token (with its identity check, on a blocking thread)
/// or a photo (on a decoder), then the revocation data.
///
/// # Errors
/// A document given to a verifier without identity keys; every worker busy.
pub async fn check(state: &Arc<AppState>, input: Input) -> Result<Checked, AppError> {
    let checker = state.checker();
    let now = state.now();
    let verdict = match input {
        Input::Token(_, Some(_)) | Input::Photo(_, Some(_)) | Input::Frame(_, Some(_))
            if !checker.can_check_identity() =>
        {
            return Err(AppError::NoIdentityKey);
        }
        Input::Token(token, Some(presented)) => {
            check_identity(state, checker, token, presented, now).await?
        }
        Input::Token(token, None) => checker.check_text("request", &token, None, now),
        Input::Photo(body, presented) => {
            decode(state, checker, body, presented, now, false).await?
        }
        Input::Frame(body, presented) => decode(state, checker, body, presented, now, true).await?,
    };
    Ok(Checked {
        verdict: state.apply_revocations(verdict),
        now,
    })
}

/// Counts and audits `checked` for `lane`, with the policy's decision (returned).
pub fn record(
    state: &AppState,
    checked: &Checked,
    lane: Option<PlaceLabel>,
    started: Instant,
) -> Option<Decision> {
    let Checked { verdict, now } = checked;
    bump(if verdict.is_valid() {
        &state.metrics.valid
    } else {
        &state.metrics.invalid
    });
    let decision = state.policy.as_ref().map(|p| p.decide(verdict, *now));
    if let Some(decision) = decision {
        let counter = match decision.admission {
            Admission::Admit => 0,
            Admission::Secondary => 1,
            Admission::Refuse => 2,
        };
        bump(&state.metrics.admissions[counter]);
    }
    let error = verdict.error_code().map(|c| c.as_str());
    let outcome = Outcome {
        valid: verdict.is_valid(),
        admission: decision.map(|d| d.admission),
        reason: match decision {
            Some(d) => (d.admission != Admission::Admit).then_some(d.reason),
            None => error,
        },
        error,
        latency: started.elapsed(),
    };
    let lane = state.lanes.record(lane, &outcome, *now);
    audit(&state.lanes.checkpoint, &lane, verdict, decision);
    decision
}

/// The lane named by the request's header, if any.
fn lane_header(headers: &HeaderMap) -> Result<Option<PlaceLabel>, AppError> {
    let Some(value) = headers.get(LANE_HEADER) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| AppError::BadLane(LabelError::BadCharacter('\u{fffd}')))?;
    text.parse().map(Some).map_err(AppError::BadLane)
}

/// The verdict as JSON, with the policy's admission when the checkpoint has one.
fn answer(state: &AppState, checked: &Checked, decision: Option<Decision>) -> serde_json::Value {
    let mut value = serde_json::to_value(&checked.verdict).unwrap_or(serde_json::Value::Null);
    if let (Some(policy), Some(decision), Some(object)) =
        (&state.policy, decision, value.as_object_mut())
    {
        object.insert(
            "admission".to_owned(),
            json!({"decision": decision.admission, "reason": decision.reason, "policy": policy.name}),
        );
    }
    value
}

/// The document presented (type and number, and its date of issue), if any.
///
/// # Errors
/// A document or date that does not parse; a date without a document.
pub fn presented(
    document: Option<&str>,
    date_of_issue: Option<&str>,
) -> Result<Option<Presented>, AppError> {
    let Some(document) = document else {
        if date_of_issue.is_some() {
            return Err(AppError::DateWithoutDocument);
        }
        return Ok(None);
    };
    let document: IdDocument = document.parse().map_err(AppError::BadIdDocument)?;
    let date_of_issue = date_of_issue
        .map(parse_date)
        .transpose()
        .map_err(AppError::BadDateOfIssue)?;
    Ok(Some(Presented {
        document,
        date_of_issue,
    }))
}

/// Checks a code with a presented document on a blocking thread, once an
/// identity-check permit is free: a version 2 identity check is one Argon2id
/// evaluation (16 MiB, milliseconds of CPU), so at most one per core runs at
/// once, and never behind a photo.
async fn check_identity(
    state: &AppState,
    checker: Arc<Checker>,
    token: String,
    presented: Presented,
    now: time::OffsetDateTime,
) -> Result<Verdict, AppError> {
    let permits = state.identity_checks.clone();
    let permit = tokio::time::timeout(DECODE_QUEUE_WAIT, permits.acquire_owned())
        .await
        .map_err(|_| AppError::Busy)?
        .map_err(|_| AppError::Busy)?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        checker.check_text("request", &token, Some(&presented), now)
    })
    .await
    .map_err(|_| AppError::TaskFailed)
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
    presented: Option<Presented>,
    now: time::OffsetDateTime,
    live: bool,
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
        let presented = presented.as_ref();
        let (input, passes) = if live {
            ("frame", &LIVE_PASSES[..])
        } else {
            ("image", &PASSES[..])
        };
        checker.check_image_with(input, &body, presented, now, Some(deadline), passes)
    })
    .await
    .map_err(|_| AppError::TaskFailed)
}

/// One audit line per verification: where, the result, the admission, kid
/// and token id; never the ID document.
fn audit(
    checkpoint: &PlaceLabel,
    lane: &PlaceLabel,
    verdict: &Verdict,
    decision: Option<Decision>,
) {
    let routing = verdict.routing();
    tracing::info!(
        target: "audit",
        checkpoint = checkpoint.as_str(),
        lane = lane.as_str(),
        admission = decision.map(|d| d.admission.as_str()).unwrap_or_default(),
        reason = decision.map(|d| d.reason).unwrap_or_default(),
        valid = verdict.is_valid(),
        error = verdict.error_code().map(|c| c.as_str()).unwrap_or_default(),
        kid = routing.map(|r| r.1.to_string()).unwrap_or_default(),
        token_id = routing.map(|r| r.2.to_string()).unwrap_or_default(),
        identity = ?verdict.identity(),
        revocation = verdict.revocation().as_str(),
        "verification"
    );
}

/// What the revocation data says of one code.
#[utoipa::path(
    get, path = "/v1/codes/{token_id}/status", tag = "checkpoint",
    params(("token_id" = String, Path, description = "24 lowercase hex digits", pattern = "^[0-9a-f]{24}$")),
    responses(
        (status = 200, body = crate::openapi::StatusBody),
        (status = 400, description = "Not a token id", body = crate::openapi::ErrorBody),
    )
)]
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

/// The media type of the filtered snapshot.
pub const FILTERED_TYPE: &str = "application/vnd.healthcode.filtered";

/// The newest issuer-signed revocation snapshot, for offline scanners: JSON,
/// or with `Accept: application/octet-stream` the compact form (about 12
/// bytes a revocation instead of 185, under the same signature), or with
/// `Accept: application/vnd.healthcode.filtered` the filtered snapshot (a
/// filter cascade, about one byte a revocation).
#[utoipa::path(
    get, path = "/v1/revocations", tag = "checkpoint",
    responses(
        (status = 200, description = "The snapshot, as `scanner verify --revocations` reads it: JSON, the compact binary form when the request accepts `application/octet-stream`, or the filtered snapshot when it accepts `application/vnd.healthcode.filtered`", content_type = "application/json", body = Object),
        (status = 404, description = "No snapshot has reached this verifier yet", body = crate::openapi::ErrorBody),
    )
)]
pub async fn revocations(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, AppError> {
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if accept.contains(FILTERED_TYPE) {
        let (_, bytes) = state
            .with_revocations(|r| r.filtered.clone())
            .ok_or(AppError::NoSnapshot)?;
        return Ok(([(CONTENT_TYPE, FILTERED_TYPE)], bytes).into_response());
    }
    let snapshot = state
        .with_revocations(|r| r.snapshot.clone())
        .ok_or(AppError::NoSnapshot)?;
    let compact = accept.contains("application/octet-stream");
    if compact {
        // A snapshot that verified has a 64-byte signature, so this cannot fail.
        if let Ok(bytes) = snapshot.to_compact() {
            return Ok(([(CONTENT_TYPE, "application/octet-stream")], bytes).into_response());
        }
    }
    Ok(([(CONTENT_TYPE, "application/json")], snapshot.to_json()).into_response())
}

/// Alive (always 200), with whether it is ready and the freshness of what it holds.
#[utoipa::path(
    get, path = "/healthz", tag = "checkpoint",
    responses((status = 200, description = "Alive: `ready`, `not_ready`, trust list and revocation freshness, the identity day keys held (`first_day`, `last_day`, `covers_today`: Hong Kong's, and `identity_day_keys_by_region`)", body = Object))
)]
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
        "identity_day_keys": crate::identity::summary(&state),
        "identity_day_keys_by_region": crate::identity::summary_by_region(&state),
    }))
}

/// Ready to answer travellers: 503, with why, before the first complete
/// revocation sync and while the trust list is expired.
#[utoipa::path(
    get, path = "/readyz", tag = "checkpoint",
    responses(
        (status = 200, description = "Ready", body = Object),
        (status = 503, description = "Not ready: `not_ready` lists `revocations_not_synced` and/or `trust_list_expired`", body = Object),
    )
)]
pub async fn readyz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let not_ready = state.not_ready_because();
    if not_ready.is_empty() {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        let body = json!({ "status": "not_ready", "not_ready": not_ready });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body))
    }
}

/// Counters and gauges in the Prometheus text format.
#[utoipa::path(
    get, path = "/metrics", tag = "checkpoint",
    responses((status = 200, description = "Prometheus text", content_type = "text/plain", body = String))
)]
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
    let mut text = text;
    state.lanes.render_metrics(&mut text);
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

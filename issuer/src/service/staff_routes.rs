//! The staff routes: the review queue, approving and rejecting proofs, the
//! post-office identity check, the SMS outbox and the audit log. Each checks
//! the role, and each action (reading personal data included) is audited.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, Query, State, rejection::JsonRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use healthcode_keys::hktime::format_utc;
use serde::{Deserialize, Serialize};

use super::{AppError, AppState, auth::Staff};
use crate::{
    Error,
    model::{
        AccountStatus, Role, Route,
        application::{FieldError, FieldProblem},
    },
    residents::verification::{self, RejectReason},
    store::{
        accounts::{Account, Details},
        audit::AuditEntry,
        messages::Sms,
    },
};

const REVIEWERS: &[Role] = &[Role::Reviewer];
const CASE_READERS: &[Role] = &[Role::Reviewer, Role::PostOffice];
const POST_OFFICE: &[Role] = &[Role::PostOffice];
const ADMINS: &[Role] = &[Role::Admin];

/// How many rows a list returns at most.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// 1 to 500 (default 100).
    pub limit: Option<i64>,
}

impl ListParams {
    /// The limit asked for, within 1 to 500.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(100).clamp(1, 500)
    }
}

/// One application in the review queue (no personal data: open it to see that).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    /// The application reference.
    pub reference: String,
    /// The document type.
    pub doc_type: String,
    /// The route.
    pub route: Route,
    /// 0 (proof or public housing) before 1.
    pub priority: i64,
    /// Whether a proof is attached.
    pub has_proof: bool,
    /// When received (UTC).
    #[schema(format = DateTime)]
    pub received_at: String,
}

/// The review queue, in the order to work it.
#[utoipa::path(
    get, path = "/v1/staff/review-queue", tag = "staff", params(ListParams), security(("staff" = [])),
    responses(super::StaffRefusals,
        (status = 200, body = Vec<QueueItem>),
        (status = 400, description = "`limit` is not a number", body = super::ErrorBody))
)]
pub async fn review_queue(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<QueueItem>>, AppError> {
    staff.require(&state, REVIEWERS, "review_queue").await?;
    let queue = state.store.review_queue(params.limit()).await?;
    let items = queue
        .into_iter()
        .map(|(account, has_proof)| QueueItem {
            reference: account.id,
            doc_type: account.doc_type,
            route: account.route,
            priority: account.priority,
            has_proof,
            received_at: format_utc(account.created_at),
        })
        .collect();
    Ok(Json(items))
}

/// An application with its personal data, for the staff who verify it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    /// The reference.
    pub reference: String,
    /// Where it stands.
    pub status: AccountStatus,
    /// The route.
    pub route: Route,
    /// The personal data (reading it is audited).
    pub details: Details,
}

/// One application, decrypted.
#[utoipa::path(
    get, path = "/v1/staff/applications/{reference}", tag = "staff", security(("staff" = [])),
    params(("reference" = String, Path, description = "The application reference")),
    responses(super::StaffRefusals,
        (status = 200, body = ApplicationView),
        (status = 404, description = "No such application", body = super::ErrorBody))
)]
pub async fn application(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(reference): Path<String>,
) -> Result<Json<ApplicationView>, AppError> {
    staff
        .require(&state, CASE_READERS, "view_application")
        .await?;
    let (account, details) = read_application(&state, &staff, &reference).await?;
    Ok(Json(ApplicationView {
        reference,
        status: account.status,
        route: account.route,
        details,
    }))
}

/// An application's account and answers, the read audited as
/// `application_viewed` (the API's and the console's one way to read them).
pub(super) async fn read_application(
    state: &AppState,
    staff: &Staff,
    reference: &str,
) -> Result<(Account, Details), AppError> {
    let store = &state.store;
    let not_found = || {
        AppError::Domain(Error::NotFound {
            what: "application",
        })
    };
    let account = store
        .account(store.pool(), reference)
        .await?
        .ok_or_else(not_found)?;
    let details = store
        .account_details(store.pool(), reference)
        .await?
        .ok_or_else(not_found)?;
    staff
        .audit(
            state,
            "application_viewed",
            reference,
            &serde_json::json!({}),
        )
        .await?;
    Ok((account, details))
}

/// The address proof file, decrypted, with its media type.
#[utoipa::path(
    get, path = "/v1/staff/applications/{reference}/proof", tag = "staff", security(("staff" = [])),
    params(("reference" = String, Path, description = "The application reference")),
    responses(super::StaffRefusals,
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, description = "No such application, or no proof", body = super::ErrorBody)
    )
)]
pub async fn proof(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    staff.require(&state, REVIEWERS, "view_proof").await?;
    let (kind, bytes) = state
        .store
        .proof(&reference)
        .await?
        .ok_or(AppError::Domain(Error::NotFound { what: "proof" }))?;
    staff
        .audit(&state, "proof_viewed", &reference, &serde_json::json!({}))
        .await?;
    // Served as an attachment so a browser never renders it in our origin.
    let headers = [
        (header::CONTENT_TYPE, kind.media_type()),
        (header::CONTENT_DISPOSITION, "attachment"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    Ok((headers, bytes).into_response())
}

/// Approve: the proof shows the address, so the PIN goes by SMS.
#[utoipa::path(
    post, path = "/v1/staff/applications/{reference}/approve", tag = "staff", security(("staff" = [])),
    params(("reference" = String, Path, description = "The application reference")),
    responses(super::StaffRefusals,
        (status = 204, description = "Approved; PIN sent"),
        (status = 404, description = "No such application", body = super::ErrorBody),
        (status = 409, description = "Not under review", body = super::ErrorBody))
)]
pub async fn approve(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(reference): Path<String>,
) -> Result<StatusCode, AppError> {
    staff.require(&state, REVIEWERS, "approve").await?;
    verification::approve(&state.store, &staff.0, &reference, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why the proof did not verify the address.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// The reason.
    pub reason: RejectReason,
}

/// Reject the proof: a confirmation letter goes instead.
#[utoipa::path(
    post, path = "/v1/staff/applications/{reference}/reject", tag = "staff", security(("staff" = [])),
    params(("reference" = String, Path, description = "The application reference")), request_body = RejectRequest,
    responses(super::StaffRefusals, super::JsonBodyRefusals,
        (status = 204, description = "Rejected; letter queued"),
        (status = 404, description = "No such application", body = super::ErrorBody),
        (status = 409, description = "Not under review", body = super::ErrorBody))
)]
pub async fn reject(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Result<Json<RejectRequest>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    staff.require(&state, REVIEWERS, "reject").await?;
    let Json(request) = request?;
    verification::reject(
        &state.store,
        &staff.0,
        &reference,
        request.reason,
        state.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What post-office staff enter after seeing the letter and the document.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostOfficeCheck {
    /// The application reference printed on the letter.
    pub reference: String,
    /// The document type shown.
    #[schema(pattern = "^(HKID|MOID|PERMIT|PASSPORT-[A-Z]{3})$", example = "HKID")]
    pub id_type: String,
    /// The number on the document shown.
    #[schema(min_length = 5, max_length = 64, example = "A123456(3)")]
    pub id_number: String,
    /// The PIN printed on the letter.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub letter_pin: String,
}

/// Confirm an applicant's identity at a post office; the PIN then goes by SMS.
#[utoipa::path(
    post, path = "/v1/staff/post-office/confirmations", tag = "staff", security(("staff" = [])), request_body = PostOfficeCheck,
    responses(super::StaffRefusals, super::JsonBodyRefusals,
        (status = 204, description = "Confirmed; PIN sent"),
        (status = 401, description = "No valid token, or the letter's PIN is wrong", body = super::ErrorBody),
        (status = 404, description = "No such application", body = super::ErrorBody),
        (status = 409, description = "Not waiting for a post-office check", body = super::ErrorBody),
        (status = 422, description = "Fields not valid, or the document does not match the application", body = super::ErrorBody),
        (status = 423, description = "The letter's PIN is locked after 5 wrong tries", body = super::ErrorBody))
)]
pub async fn post_office_confirm(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    request: Result<Json<PostOfficeCheck>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    staff
        .require(&state, POST_OFFICE, "post_office_confirm")
        .await?;
    let Json(request) = request?;
    let document = format!("{}:{}", request.id_type, request.id_number)
        .parse()
        .map_err(|e| AppError::Fields(vec![FieldError::new("id_number", FieldProblem::from(e))]))?;
    verification::confirm_at_post_office(
        &state.store,
        &staff.0,
        &request.reference,
        &document,
        request.letter_pin.trim(),
        state.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The SMS outbox, newest first (reading it is audited: it holds PINs).
#[utoipa::path(
    get, path = "/v1/staff/sms-outbox", tag = "staff", params(ListParams), security(("staff" = [])),
    responses(super::StaffRefusals,
        (status = 200, body = Vec<Sms>),
        (status = 400, description = "`limit` is not a number", body = super::ErrorBody))
)]
pub async fn sms_outbox(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<Sms>>, AppError> {
    staff.require(&state, ADMINS, "sms_outbox").await?;
    let messages = state.store.outbox(params.limit()).await?;
    staff
        .audit(
            &state,
            "sms_outbox_viewed",
            "sms_outbox",
            &serde_json::json!({}),
        )
        .await?;
    Ok(Json(messages))
}

/// The audit log, newest first.
#[utoipa::path(
    get, path = "/v1/staff/audit", tag = "staff", params(ListParams), security(("staff" = [])),
    responses(super::StaffRefusals,
        (status = 200, body = Vec<AuditEntry>),
        (status = 400, description = "`limit` is not a number", body = super::ErrorBody))
)]
pub async fn audit_log(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    staff.require(&state, ADMINS, "audit_log").await?;
    Ok(Json(state.store.audit_entries(params.limit()).await?))
}

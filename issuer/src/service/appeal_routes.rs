//! Appeals over the API: a resident lodges and follows theirs; the health
//! authority (statuses, designations) and immigration (arrivals) work the
//! queue of their grounds and decide. Every read of an appeal is audited
//! against the appellant's account, so they see it in their list of reads.

use std::sync::Arc;

use axum::{
    Json,
    extract::{
        Multipart, Path, Query, State, multipart::MultipartRejection, rejection::JsonRejection,
    },
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use healthcode_keys::hktime::format_utc;
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use super::{AppError, AppState, auth::Resident, auth::Staff, staff_routes::ListParams};
use crate::{
    Error,
    feeds::appeals::{self, Correction, Decided, Lodging, RecordView, Ruling},
    model::{AppealGround, AppealState, Role, application::FieldError},
    store::appeals::Appeal,
};

/// The roles that decide appeals (each on its own grounds).
const DECIDERS: &[Role] = &[Role::HealthAuthority, Role::Immigration];

/// An appeal as its appellant and its decider read it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppealView {
    /// The reference.
    pub reference: String,
    /// What it contests.
    pub ground: AppealGround,
    /// `open`, `upheld` or `rejected`.
    pub state: AppealState,
    /// What the resident said.
    pub statement: String,
    /// Whether evidence was attached.
    pub evidence: bool,
    /// When lodged (UTC).
    #[schema(format = DateTime)]
    pub lodged_at: String,
    /// The decision deadline (UTC).
    #[schema(format = DateTime)]
    pub due_at: String,
    /// When decided (UTC).
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
    /// Why it was decided so.
    pub reason: Option<String>,
}

impl From<Appeal> for AppealView {
    fn from(appeal: Appeal) -> Self {
        AppealView {
            reference: appeal.id,
            ground: appeal.ground,
            state: appeal.state,
            statement: appeal.statement,
            evidence: appeal.evidence.is_some(),
            lodged_at: format_utc(appeal.lodged_at),
            due_at: format_utc(appeal.due_at),
            decided_at: appeal.decided_at.map(format_utc),
            reason: appeal.reason,
        }
    }
}

/// The form that lodges an appeal (`multipart/form-data`).
#[derive(Debug, Default, utoipa::ToSchema)]
#[allow(dead_code)] // Only its description is used; the form is read field by field.
pub struct AppealForm {
    /// `status`, `designation`, `residence` or `arrival`.
    ground: String,
    /// What is wrong with the record, at most 2,000 characters.
    statement: String,
    /// Optional evidence: PDF, JPEG or PNG, at most 10 MiB.
    #[schema(value_type = Option<String>, format = Binary)]
    evidence: Option<Vec<u8>>,
}

/// The most bytes of a text field of the form (2,000 characters of 4 bytes).
const MAX_TEXT_BYTES: usize = 8 * 1024;

/// Reads the appeal form: each field once, the texts as UTF-8; with the
/// pages' CSRF field (empty if absent).
///
/// # Errors
/// [`AppError::Fields`] naming the field; [`AppError::Multipart`].
pub async fn read_lodging(mut form: Multipart) -> Result<(String, Lodging), AppError> {
    let bad = |field: &str, problem: &str| AppError::Fields(vec![FieldError::new(field, problem)]);
    let (mut ground, mut statement, mut evidence, mut csrf) = (None, None, None, None);
    while let Some(field) = form.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await?;
        if name == "evidence" {
            // An empty file input is how a browser says "no file".
            if !bytes.is_empty() && evidence.replace(bytes.to_vec()).is_some() {
                return Err(bad(&name, "given twice"));
            }
            continue;
        }
        let slot = match name.as_str() {
            "ground" => &mut ground,
            "statement" => &mut statement,
            "csrf" => &mut csrf,
            _ => return Err(bad(&name, "unknown field")),
        };
        if bytes.len() > MAX_TEXT_BYTES {
            return Err(bad(&name, "longer than 8 KiB"));
        }
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| bad(&name, "not UTF-8 text"))?;
        if slot.replace(text).is_some() {
            return Err(bad(&name, "given twice"));
        }
    }
    let ground = ground.ok_or_else(|| bad("ground", "required"))?;
    let ground = ground
        .parse::<AppealGround>()
        .map_err(|e| AppError::Fields(vec![FieldError::new("ground", e)]))?;
    let lodging = Lodging {
        ground,
        statement: statement.unwrap_or_default(),
        evidence,
    };
    Ok((csrf.unwrap_or_default(), lodging))
}

/// Lodge an appeal against a record behind your code.
#[utoipa::path(
    post, path = "/v1/appeals", tag = "residents", security(("session" = [])),
    request_body(content = AppealForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Lodged; the decision comes by SMS", body = AppealView),
        (status = 400, description = "The form does not parse", body = super::ErrorBody),
        (status = 401, description = "No session", body = super::ErrorBody),
        (status = 409, description = "The account is not active", body = super::ErrorBody),
        (status = 413, description = "Too large", body = super::ErrorBody),
        (status = 415, description = "Not multipart/form-data", body = super::ErrorBody),
        (status = 422, description = "A field is not valid, or an appeal on the ground is open, or three are", body = super::ErrorBody))
)]
pub async fn lodge(
    State(state): State<Arc<AppState>>,
    resident: Resident,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<AppealView>), AppError> {
    // A cookie session's origin was checked by `Resident`; the CSRF field is the pages'.
    let (_, lodging) = read_lodging(form?).await?;
    let appeal = appeals::lodge(&state.store, &resident.account_id, lodging, state.now()).await?;
    Ok((StatusCode::CREATED, Json(appeal.into())))
}

/// Your appeals, newest first, with their decisions.
#[utoipa::path(
    get, path = "/v1/appeals", tag = "residents", security(("session" = [])),
    responses((status = 200, body = Vec<AppealView>),
        (status = 401, description = "No session", body = super::ErrorBody))
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    resident: Resident,
) -> Result<Json<Vec<AppealView>>, AppError> {
    let store = &state.store;
    let appeals = store.appeals_of(store.pool(), &resident.account_id).await?;
    Ok(Json(appeals.into_iter().map(AppealView::from).collect()))
}

/// One appeal in a decider's queue (no personal data: open it to see that).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueuedAppeal {
    /// The reference.
    pub reference: String,
    /// What it contests.
    pub ground: AppealGround,
    /// Whether evidence is attached.
    pub evidence: bool,
    /// When lodged (UTC).
    #[schema(format = DateTime)]
    pub lodged_at: String,
    /// The deadline (UTC).
    #[schema(format = DateTime)]
    pub due_at: String,
    /// Past its deadline.
    pub overdue: bool,
}

/// The grounds `staff` decides.
pub fn grounds_of(role: Role) -> Vec<AppealGround> {
    AppealGround::ALL
        .iter()
        .copied()
        .filter(|g| g.deciders().contains(&role))
        .collect()
}

/// The open appeals on the caller's grounds, the nearest deadline first.
///
/// # Errors
/// [`AppError`]: the role, the store.
pub async fn queue_for(
    state: &AppState,
    staff: &Staff,
    limit: i64,
) -> Result<Vec<Appeal>, AppError> {
    staff.require(state, DECIDERS, "appeal_queue").await?;
    Ok(state
        .store
        .appeal_queue(&grounds_of(staff.0.role), limit)
        .await?)
}

/// The open appeals on your grounds, the nearest deadline first.
#[utoipa::path(
    get, path = "/v1/staff/appeals", tag = "staff", params(ListParams), security(("staff" = [])),
    responses(super::StaffRefusals, (status = 200, body = Vec<QueuedAppeal>))
)]
pub async fn queue(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<QueuedAppeal>>, AppError> {
    let now = state.now();
    let items = queue_for(&state, &staff, params.limit())
        .await?
        .into_iter()
        .map(|a| QueuedAppeal {
            reference: a.id,
            ground: a.ground,
            evidence: a.evidence.is_some(),
            lodged_at: format_utc(a.lodged_at),
            due_at: format_utc(a.due_at),
            overdue: a.state == AppealState::Open && a.due_at < now,
        })
        .collect();
    Ok(Json(items))
}

/// An appeal with the records it may correct.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppealCase {
    /// The appeal.
    pub appeal: AppealView,
    /// The records in force about the appellant on its ground.
    pub records: Vec<RecordView>,
}

/// Appeal `reference` for `staff`, whose role must decide its ground; the
/// read audited as `action` against the appellant's account.
///
/// # Errors
/// [`AppError`]: not found, the role, the store.
pub async fn case_for(
    state: &AppState,
    staff: &Staff,
    reference: &str,
    action: &str,
) -> Result<(Appeal, Vec<RecordView>), AppError> {
    let store = &state.store;
    let appeal = appeals::appeal(store, reference).await?;
    staff
        .require(state, appeal.ground.deciders(), action)
        .await?;
    let mut conn = store.pool().acquire().await.map_err(Error::from)?;
    let held = appeals::held_records(store, &mut conn, &appeal, state.now()).await?;
    drop(conn);
    staff
        .audit(
            state,
            action,
            &appeal.account_id,
            &serde_json::json!({"appeal": appeal.id}),
        )
        .await?;
    Ok((appeal, held.iter().map(|h| h.view()).collect()))
}

/// One appeal with the records held about the appellant on its ground.
#[utoipa::path(
    get, path = "/v1/staff/appeals/{reference}", tag = "staff", security(("staff" = [])),
    params(("reference" = String, Path, description = "The appeal reference")),
    responses(super::StaffRefusals,
        (status = 200, body = AppealCase),
        (status = 404, description = "No such appeal", body = super::ErrorBody))
)]
pub async fn case(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(reference): Path<String>,
) -> Result<Json<AppealCase>, AppError> {
    let (appeal, records) = case_for(&state, &staff, &reference, "appeal_viewed").await?;
    Ok(Json(AppealCase {
        appeal: appeal.into(),
        records,
    }))
}

/// The evidence file of appeal `reference`, as an attachment.
#[utoipa::path(
    get, path = "/v1/staff/appeals/{reference}/evidence", tag = "staff", security(("staff" = [])),
    params(("reference" = String, Path, description = "The appeal reference")),
    responses(super::StaffRefusals,
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, description = "No such appeal, or no evidence", body = super::ErrorBody))
)]
pub async fn evidence(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let (kind, bytes) = evidence_for(&state, &staff, &reference).await?;
    // Served as an attachment so a browser never renders it in our origin.
    let headers = [
        (header::CONTENT_TYPE, kind.media_type()),
        (header::CONTENT_DISPOSITION, "attachment"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    Ok((headers, bytes).into_response())
}

/// The evidence of appeal `reference`, the read audited.
///
/// # Errors
/// [`AppError`]: not found, the role, the store.
pub async fn evidence_for(
    state: &AppState,
    staff: &Staff,
    reference: &str,
) -> Result<(crate::model::proof::ProofType, Vec<u8>), AppError> {
    let store = &state.store;
    let appeal = appeals::appeal(store, reference).await?;
    staff
        .require(state, appeal.ground.deciders(), "appeal_evidence_viewed")
        .await?;
    let found = store
        .appeal_evidence(reference)
        .await?
        .ok_or(Error::NotFound { what: "evidence" })?;
    staff
        .audit(
            state,
            "appeal_evidence_viewed",
            &appeal.account_id,
            &serde_json::json!({"appeal": appeal.id}),
        )
        .await?;
    Ok(found)
}

healthcode_keys::named_enum! {
    /// How an upheld appeal corrects its record.
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum CorrectionKind("correction") {
        /// Entered in error: it counts for nothing from now on.
        Withdraw = "withdraw",
        /// It ended (or ends) at `end`.
        End = "end",
    }
}

healthcode_keys::named_enum! {
    /// A decision.
    #[derive(utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Outcome("outcome") {
        /// For the resident: the record is corrected.
        Upheld = "upheld",
        /// Against: the record stands.
        Rejected = "rejected",
    }
}

/// A decision on an appeal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `upheld` or `rejected`.
    pub outcome: Outcome,
    /// Why, told to the resident (at most 1,000 characters).
    pub reason: String,
    /// Upheld: the reference of the record to correct (from the case's `records`).
    pub record: Option<String>,
    /// Upheld: `withdraw` (the default) or `end`.
    pub correction: Option<CorrectionKind>,
    /// For `end`: when it ended, RFC 3339 with an offset.
    #[schema(format = DateTime)]
    pub end: Option<String>,
}

impl DecisionRequest {
    /// The ruling it asks for.
    ///
    /// # Errors
    /// [`AppError::Fields`] for an `end` that is missing or not RFC 3339.
    pub fn ruling(self) -> Result<Ruling, AppError> {
        let correction = match self.correction.unwrap_or(CorrectionKind::Withdraw) {
            CorrectionKind::Withdraw => Correction::Withdraw,
            CorrectionKind::End => {
                let end = self.end.as_deref().unwrap_or_default();
                let at = OffsetDateTime::parse(end, &Rfc3339).map_err(|_| {
                    AppError::Fields(vec![FieldError::new(
                        "end",
                        "a time with its offset, e.g. 2022-12-09T10:00:00+08:00",
                    )])
                })?;
                Correction::EndAt(at)
            }
        };
        Ok(Ruling {
            upheld: self.outcome == Outcome::Upheld,
            reason: self.reason,
            record: self.record,
            correction: Some(correction),
        })
    }
}

/// Decides appeal `reference` as `staff` and wakes the delivery of any
/// revocation it made.
///
/// # Errors
/// [`AppError`]: not found, the role, a field, already decided, the store.
pub async fn decide_as(
    state: &AppState,
    staff: &Staff,
    reference: &str,
    ruling: Ruling,
) -> Result<Decided, AppError> {
    let store = &state.store;
    let appeal = appeals::appeal(store, reference).await?;
    staff
        .require(state, appeal.ground.deciders(), "decide_appeal")
        .await?;
    let decided = appeals::decide(store, &staff.0, reference, ruling, state.now()).await?;
    if decided.codes_revoked > 0 {
        state.wake.deliver.notify_one();
    }
    // The correction's batch queued a re-evaluation.
    state.wake.reevaluate.notify_one();
    Ok(decided)
}

/// Decide an appeal: uphold it (correcting a record: withdraw it, or end
/// it earlier) or reject it, with a reason the resident reads.
#[utoipa::path(
    post, path = "/v1/staff/appeals/{reference}/decision", tag = "staff", security(("staff" = [])),
    params(("reference" = String, Path, description = "The appeal reference")),
    request_body = DecisionRequest,
    responses(super::StaffRefusals, super::JsonBodyRefusals,
        (status = 200, description = "Decided; the resident is told by SMS", body = Decided),
        (status = 404, description = "No such appeal", body = super::ErrorBody),
        (status = 409, description = "Already decided", body = super::ErrorBody))
)]
pub async fn decide(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Result<Json<DecisionRequest>, JsonRejection>,
) -> Result<Json<Decided>, AppError> {
    let Json(request) = request?;
    let ruling = request.ruling()?;
    Ok(Json(decide_as(&state, &staff, &reference, ruling).await?))
}

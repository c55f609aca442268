//! The feed routes: the health authority submits statuses and designations,
//! the immigration department arrivals. Each record is checked on its own;
//! the submission, who made it and its digest go into the audit log; the
//! codes it may make more severe are re-evaluated at once.
//!
//! There is deliberately no route that sets a colour: a colour comes only
//! from these records and the rules.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, Query, State, rejection::JsonRejection},
};
use healthcode_keys::hktime::format_hk;
use serde::{Deserialize, Serialize};

use super::{AppError, AppState, auth::Staff, staff_routes::ListParams};
use crate::{
    Error,
    feeds::{FeedSummary, Submitter, submit},
    model::{FeedKind, Role},
    rules::facts::Designation,
};

/// A submission of records.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedUpload {
    /// At most 10,000 records, each checked on its own. A record with
    /// `"withdrawn": true` withdraws the one with the same key.
    pub records: Vec<serde_json::Value>,
}

/// The feed a path names; any other is no route of ours.
fn feed_kind(name: &str) -> Result<FeedKind, AppError> {
    name.parse()
        .map_err(|_| AppError::Domain(Error::NotFound { what: "route" }))
}

/// Submit records of one feed; each is checked on its own and the good ones stored.
///
/// The good records are stored as one audited batch whatever the bad ones say.
///
/// - `statuses` (health authority): `id_document`, `kind`, `start`, `end`.
/// - `designations` (health authority): `place`, `start`, `end`; they may start in the past.
/// - `arrivals` (immigration): `id_document`, `at`, `origin`, `scheme`, `quarantine`.
#[utoipa::path(
    post, path = "/v1/feeds/{kind}", tag = "feeds", security(("staff" = [])), request_body = FeedUpload,
    params(("kind" = FeedKind, Path, description = "statuses, designations or arrivals")),
    responses(super::StaffRefusals, super::JsonBodyRefusals,
        (status = 200, description = "Good records stored; bad ones listed with reasons", body = FeedSummary),
        (status = 404, description = "No such feed", body = super::ErrorBody),
        (status = 413, description = "Over 4 MiB or 10,000 records", body = super::ErrorBody)
    )
)]
pub async fn submit_feed(
    State(state): State<Arc<AppState>>,
    Path(kind): Path<String>,
    staff: Staff,
    upload: Result<Json<FeedUpload>, JsonRejection>,
) -> Result<Json<FeedSummary>, AppError> {
    let kind = feed_kind(&kind)?;
    staff
        .require(&state, kind.roles(), &format!("submit_{kind}"))
        .await?;
    let Json(upload) = upload?;
    let records: Vec<(String, serde_json::Value)> = upload
        .records
        .into_iter()
        .enumerate()
        .map(|(i, value)| (format!("records[{i}]"), value))
        .collect();
    let actor = staff.0.actor();
    let submitter = Submitter {
        actor: &actor,
        source: "api",
    };
    let summary = submit(&state.store, kind, &records, submitter, state.now()).await?;
    if summary.batch.is_some() {
        state.wake.reevaluate.notify_one();
    }
    Ok(Json(summary))
}

/// A designation in force.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DesignationView {
    /// The venue or building.
    pub place: String,
    /// From (Hong Kong time).
    pub start: String,
    /// To; absent while still high-risk.
    pub end: Option<String>,
}

impl From<Designation> for DesignationView {
    fn from(d: Designation) -> Self {
        DesignationView {
            place: d.place,
            start: format_hk(d.start),
            end: d.end.map(format_hk),
        }
    }
}

const DESIGNATION_READERS: &[Role] = &[Role::HealthAuthority, Role::Admin];

/// The designations that count now: in force, or ended within the past 21 days.
///
/// Only designations are listed: statuses and arrivals are personal.
#[utoipa::path(
    get, path = "/v1/feeds/designations", tag = "feeds", params(ListParams), security(("staff" = [])),
    responses(super::StaffRefusals,
        (status = 200, body = Vec<DesignationView>),
        (status = 400, description = "`limit` is not a number", body = super::ErrorBody))
)]
pub async fn list_designations(
    State(state): State<Arc<AppState>>,
    Path(kind): Path<String>,
    staff: Staff,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<DesignationView>>, AppError> {
    if feed_kind(&kind)? != FeedKind::Designations {
        return Err(AppError::Domain(Error::NotFound { what: "route" }));
    }
    staff
        .require(&state, DESIGNATION_READERS, "list_designations")
        .await?;
    let since = state.now() - time::Duration::days(21);
    let list = state
        .store
        .current_designations(since, params.limit())
        .await?;
    Ok(Json(list.into_iter().map(DesignationView::from).collect()))
}

//! The deciders' console for appeals: the health authority sees the
//! appeals on statuses and designations, immigration those on arrivals.
//! An appeal shows the statement, the evidence (drawn again as a fresh
//! image, a PDF only as a download) and the records held about the
//! appellant on its ground; the decision upholds (withdrawing or ending one
//! record) or rejects, with a reason the resident reads. The same functions
//! as the API's decide, check roles and audit.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{Path, Query, State, rejection::FormRejection},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use healthcode_keys::hktime::{format_hk, minute, parse_hk_minute};
use serde::Deserialize;

use super::{allowed, problem_page, review::shown_safely, sign_in::csrf_of};
use crate::{
    Error,
    feeds::appeals::{Correction, RecordView, Ruling},
    model::{AppealState, Role},
    service::{
        AppError, AppState,
        appeal_routes::{case_for, decide_as, evidence_for, queue_for},
        auth::{ConsoleStaff, Staff},
        web::{
            frame::{Errors, Frame},
            lang::Lang,
            pages::{CsrfForm, session_form},
        },
    },
    store::appeals::Appeal,
};

/// The roles that decide appeals (each its own grounds).
const DECIDERS: &[Role] = &[Role::HealthAuthority, Role::Immigration];

/// One row of the queue.
#[derive(Debug)]
pub struct QueueRow {
    reference: String,
    ground_key: String,
    lodged: String,
    due: String,
    overdue: bool,
}

/// The queue.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/appeals.html")]
pub struct QueuePage {
    frame: Frame,
    rows: Vec<QueueRow>,
    done: Option<String>,
}

/// What the last decision was, for the queue's notice.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Done {
    upheld: Option<String>,
    rejected: Option<String>,
}

/// `GET /staff/appeals`.
pub async fn queue(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let staff = match allowed(&state, lang, staff, DECIDERS, "appeal_queue").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    let appeals = match queue_for(&state, &Staff(staff.member.clone()), 200).await {
        Ok(appeals) => appeals,
        Err(error) => return problem_page(lang, &error),
    };
    let now = state.now();
    let rows = appeals
        .into_iter()
        .map(|a| QueueRow {
            ground_key: format!("appeal-ground-{}", a.ground.as_str()),
            lodged: minute(&format_hk(a.lodged_at)),
            due: minute(&format_hk(a.due_at)),
            overdue: a.due_at < now,
            reference: a.id,
        })
        .collect();
    let done = done.map(|Query(done)| done).unwrap_or_default();
    let done = match (done.upheld, done.rejected) {
        (Some(r), _) => Some(lang.t_with("appeals-upheld", &[("reference", &r)])),
        (None, Some(r)) => Some(lang.t_with("appeals-rejected", &[("reference", &r)])),
        _ => None,
    };
    QueuePage {
        frame: Frame::console(lang, "/staff/appeals", "appeals-queue-title")
            .signed_in(&staff.token),
        rows,
        done,
    }
    .into_response()
}

/// A held record as the page lists it.
#[derive(Debug)]
pub struct RecordRow {
    view: RecordView,
    kind_key: String,
    origin_key: Option<String>,
    start: String,
    end: Option<String>,
}

impl From<RecordView> for RecordRow {
    fn from(view: RecordView) -> Self {
        let shown = |utc: &str| {
            healthcode_keys::hktime::parse_rfc3339(utc)
                .map(|at| minute(&format_hk(at)))
                .unwrap_or_else(|_| utc.to_owned())
        };
        RecordRow {
            kind_key: match view.kind {
                "designation" | "arrival" => format!("appeal-record-{}", view.kind),
                status => format!("records-status-{status}"),
            },
            origin_key: view.origin.map(|o| format!("records-origin-{o}")),
            start: shown(&view.start),
            end: view.end.as_deref().map(shown),
            view,
        }
    }
}

/// What the decider typed, shown again with the problems.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionFields {
    csrf: String,
    outcome: String,
    reason: String,
    record: String,
    correction: String,
    end: String,
}

impl CsrfForm for DecisionFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// One appeal with its decision form.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/appeal.html")]
pub struct CasePage {
    frame: Frame,
    errors: Errors,
    appeal: Appeal,
    ground_key: String,
    state_key: String,
    lodged: String,
    due: String,
    records: Vec<RecordRow>,
    typed: DecisionFields,
    csrf: String,
}

impl CasePage {
    fn open(&self) -> bool {
        self.appeal.state == AppealState::Open
    }

    fn checked(&self, field: &str, value: &str) -> bool {
        let typed = match field {
            "outcome" => &self.typed.outcome,
            "record" => &self.typed.record,
            _ => &self.typed.correction,
        };
        typed == value
    }
}

async fn case_page(
    state: &AppState,
    lang: Lang,
    staff: &ConsoleStaff,
    reference: &str,
    errors: Errors,
    typed: DecisionFields,
) -> Result<CasePage, AppError> {
    let (appeal, records) = case_for(
        state,
        &Staff(staff.member.clone()),
        reference,
        "appeal_viewed",
    )
    .await?;
    Ok(CasePage {
        frame: Frame::console(lang, format!("/staff/appeals/{reference}"), "appeal-title")
            .signed_in(&staff.token)
            .with(&errors),
        errors,
        ground_key: format!("appeal-ground-{}", appeal.ground.as_str()),
        state_key: format!("appeal-state-{}", appeal.state.as_str()),
        lodged: minute(&format_hk(appeal.lodged_at)),
        due: minute(&format_hk(appeal.due_at)),
        records: records.into_iter().map(RecordRow::from).collect(),
        appeal,
        typed,
        csrf: csrf_of(staff),
    })
}

/// `GET /staff/appeals/{reference}`: audited as a read of personal data.
pub async fn case(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(reference): Path<String>,
) -> Response {
    // The role is checked against the appeal's own ground in `case_for`.
    let staff = match allowed(&state, lang, staff, DECIDERS, "appeal_viewed").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    let typed = DecisionFields::default();
    match case_page(&state, lang, &staff, &reference, Errors::default(), typed).await {
        Ok(page) => page.into_response(),
        Err(error) => problem_page(lang, &error),
    }
}

/// `GET /staff/appeals/{reference}/evidence`.
pub async fn evidence(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(reference): Path<String>,
) -> Response {
    let staff = match allowed(&state, lang, staff, DECIDERS, "appeal_evidence_viewed").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    let shown = async {
        let (kind, bytes) = evidence_for(&state, &Staff(staff.member.clone()), &reference).await?;
        shown_safely(kind, bytes, &format!("evidence-{reference}.pdf")).await
    };
    match shown.await {
        Ok(response) => response,
        Err(error) => problem_page(lang, &error),
    }
}

/// The ruling the fields ask for, or the problems with them, said in `lang`.
fn ruling_of(lang: Lang, fields: &DecisionFields) -> Result<Ruling, Errors> {
    let mut errors = Errors::default();
    let upheld = match fields.outcome.as_str() {
        "upheld" => Some(true),
        "rejected" => Some(false),
        _ => {
            errors.add("outcome", lang.t("appeal-outcome-missing"));
            None
        }
    };
    let correction = match fields.correction.as_str() {
        "end" => match parse_hk_minute(&fields.end) {
            Some(at) => Some(Correction::EndAt(at)),
            None if upheld == Some(true) => {
                errors.add("end", lang.t("appeal-end-invalid"));
                None
            }
            None => None,
        },
        _ => Some(Correction::Withdraw),
    };
    match upheld {
        Some(upheld) if errors.is_empty() => Ok(Ruling {
            upheld,
            reason: fields.reason.clone(),
            record: (!fields.record.is_empty()).then(|| fields.record.clone()),
            correction,
        }),
        _ => Err(errors),
    }
}

/// `POST /staff/appeals/{reference}/decide`.
pub async fn decide(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(reference): Path<String>,
    form: Result<Form<DecisionFields>, FormRejection>,
) -> Response {
    let (staff, fields) = match session_form(lang, staff, form) {
        Ok(checked) => checked,
        Err(page) => return *page,
    };
    let staff = match allowed(&state, lang, Ok(staff), DECIDERS, "decide_appeal").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    let outcome = match ruling_of(lang, &fields) {
        Ok(ruling) => {
            let upheld = ruling.upheld;
            decide_as(&state, &Staff(staff.member.clone()), &reference, ruling)
                .await
                .map(|_| upheld)
        }
        Err(errors) => return answer(&state, lang, &staff, &reference, errors, fields).await,
    };
    match outcome {
        Ok(true) => Redirect::to(&format!("/staff/appeals?upheld={reference}")).into_response(),
        Ok(false) => Redirect::to(&format!("/staff/appeals?rejected={reference}")).into_response(),
        Err(AppError::Domain(Error::Appeal(problem))) => {
            let mut errors = Errors::default();
            let key = format!("appeal-problem-{}", problem.code().replace('_', "-"));
            errors.add(problem.field(), lang.t(&key));
            answer(&state, lang, &staff, &reference, errors, fields).await
        }
        Err(error) => problem_page(lang, &error),
    }
}

/// The case page again with `errors` at their fields (422).
async fn answer(
    state: &AppState,
    lang: Lang,
    staff: &ConsoleStaff,
    reference: &str,
    errors: Errors,
    typed: DecisionFields,
) -> Response {
    match case_page(state, lang, staff, reference, errors, typed).await {
        Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        Err(error) => problem_page(lang, &error),
    }
}

//! The reviewer's console: the queue in the order to work it, an
//! application with its proof shown safely (an image decoded and drawn
//! again on the server, a PDF offered only as a download), approving, or
//! rejecting with a reason. Each read of personal data is audited, as the
//! API's are.

use crate::service::web::lang::{PageLang, Speak as _};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{Path, Query, State, rejection::FormRejection},
    http::header,
    response::{IntoResponse, Redirect, Response},
};
use healthcode_keys::hktime::format_hk;
use serde::Deserialize;

use super::{allowed, allowed_form, problem_page, sign_in::csrf_of};
use crate::{
    Error,
    model::{Role, proof::ProofType},
    residents::verification::{self, RejectReason},
    service::{
        AppError, AppState,
        auth::{ConsoleStaff, Staff},
        staff_routes::read_application,
        web::{
            code_page::minute,
            frame::Frame,
            lang::Lang,
            pages::{CsrfField, CsrfForm},
        },
    },
    store::accounts::Details,
};

const REVIEWERS: &[Role] = &[Role::Reviewer];

/// The longest side of a proof image as the console draws it.
const PROOF_SIDE: u32 = 1600;

/// One row of the queue.
#[derive(Debug)]
pub struct QueueRow {
    reference: String,
    doc_type: String,
    route_key: String,
    has_proof: bool,
    received: String,
}

/// The review queue.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/queue.html")]
pub struct QueuePage {
    frame: Frame,
    rows: Vec<QueueRow>,
    done: Option<String>,
}

/// What the last action on the queue page did, for its notice.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Done {
    approved: Option<String>,
    rejected: Option<String>,
}

/// `GET /staff/review`.
pub async fn queue(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let staff = match allowed(&state, lang, staff, REVIEWERS, "review_queue").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    let queue = match state.store.review_queue(200).await {
        Ok(queue) => queue,
        Err(error) => return problem_page(lang, &AppError::Domain(error)),
    };
    let rows = queue
        .into_iter()
        .map(|(account, has_proof)| QueueRow {
            reference: account.id,
            doc_type: account.doc_type,
            route_key: format!("route-{}", account.route.as_str()),
            has_proof,
            received: minute(&format_hk(account.created_at)),
        })
        .collect();
    let done = done.map(|Query(done)| done).unwrap_or_default();
    let done = match (done.approved, done.rejected) {
        (Some(r), _) => Some(lang.t_with("review-approved", &[("reference", &r)])),
        (None, Some(r)) => Some(lang.t_with("review-rejected", &[("reference", &r)])),
        _ => None,
    };
    QueuePage {
        frame: Frame::console(lang, "/staff/review", "review-queue-title").signed_in(&staff.token),
        rows,
        done,
    }
    .into_response()
}

/// An application as the reviewer sees it.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "console/application.html")]
pub struct ApplicationPage {
    frame: Frame,
    reference: String,
    status_key: String,
    route_key: String,
    register_key: String,
    details: Details,
    proof: Option<ProofType>,
    reviewable: bool,
    csrf: String,
    reasons: [(&'static str, &'static str); 3],
}

/// The reasons a reviewer picks from (a conflict is the system's, not theirs).
const REASONS: [(&str, &str); 3] = [
    ("unreadable", "reject-unreadable"),
    ("does_not_match", "reject-does-not-match"),
    ("not_accepted", "reject-not-accepted"),
];

/// `GET /staff/review/{reference}`: audited as a read of personal data.
pub async fn application(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(reference): Path<String>,
) -> Response {
    let staff = match allowed(&state, lang, staff, REVIEWERS, "view_application").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    match application_page(&state, lang, &staff, reference).await {
        Ok(page) => page.into_response(),
        Err(error) => problem_page(lang, &error),
    }
}

async fn application_page(
    state: &AppState,
    lang: Lang,
    staff: &ConsoleStaff,
    reference: String,
) -> Result<ApplicationPage, AppError> {
    let (account, details) =
        read_application(state, &Staff(staff.member.clone()), &reference).await?;
    let proof = state.store.proof_type(&reference).await?;
    Ok(ApplicationPage {
        frame: Frame::console(
            lang,
            format!("/staff/review/{reference}"),
            "review-application-title",
        )
        .signed_in(&staff.token),
        status_key: format!("status-{}", account.status.as_str()),
        route_key: format!("route-{}", account.route.as_str()),
        register_key: format!("register-{}", account.register_check.as_str()),
        reviewable: account.status == crate::model::AccountStatus::Review,
        reference,
        details,
        proof,
        csrf: csrf_of(staff),
        reasons: REASONS,
    })
}

/// `GET /staff/review/{reference}/proof`: an image decoded and encoded
/// again as PNG (so no crafted file reaches the reviewer's browser), at
/// most [`PROOF_SIDE`] on a side; a PDF as a download, never shown here.
pub async fn proof(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(reference): Path<String>,
) -> Response {
    let staff = match allowed(&state, lang, staff, REVIEWERS, "view_proof").await {
        Ok(staff) => staff,
        Err(page) => return *page,
    };
    match proof_file(&state, &staff, &reference).await {
        Ok(response) => response,
        Err(error) => problem_page(lang, &error),
    }
}

async fn proof_file(
    state: &AppState,
    staff: &ConsoleStaff,
    reference: &str,
) -> Result<Response, AppError> {
    let (kind, bytes) = state
        .store
        .proof(reference)
        .await?
        .ok_or(AppError::Domain(Error::NotFound { what: "proof" }))?;
    Staff(staff.member.clone())
        .audit(state, "proof_viewed", reference, &serde_json::json!({}))
        .await?;
    shown_safely(kind, bytes, &format!("proof-{reference}.pdf")).await
}

/// An uploaded file as a console shows it: an image drawn again as a new
/// PNG, a PDF only as a download named `pdf_name`.
///
/// # Errors
/// [`AppError`] for an image that no longer decodes.
pub(super) async fn shown_safely(
    kind: ProofType,
    bytes: Vec<u8>,
    pdf_name: &str,
) -> Result<Response, AppError> {
    if kind == ProofType::Pdf {
        let disposition = format!("attachment; filename=\"{pdf_name}\"");
        return Ok((
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response());
    }
    let png = tokio::task::spawn_blocking(move || redrawn(&bytes))
        .await
        .map_err(|_| AppError::Domain(Error::TaskFailed))??;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// The image in `bytes` decoded, scaled to fit [`PROOF_SIDE`], and encoded
/// as a new PNG: only pixels survive, never the uploaded file's other parts.
fn redrawn(bytes: &[u8]) -> Result<Vec<u8>, AppError> {
    let image = image::load_from_memory(bytes).map_err(|e| AppError::Domain(e.into()))?;
    let image = if image.width() > PROOF_SIDE || image.height() > PROOF_SIDE {
        image.thumbnail(PROOF_SIDE, PROOF_SIDE)
    } else {
        image
    };
    let mut png = Vec::new();
    image
        .to_rgb8()
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| AppError::Domain(e.into()))?;
    Ok(png)
}

/// `POST /staff/review/{reference}/approve`.
pub async fn approve(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(reference): Path<String>,
    form: Result<Form<CsrfField>, FormRejection>,
) -> Response {
    let staff = match allowed_form(&state, lang, staff, form, (REVIEWERS, "approve")).await {
        Ok((staff, _)) => staff,
        Err(page) => return *page,
    };
    match verification::approve(&state.store, &staff.member, &reference, state.now()).await {
        Ok(()) => Redirect::to(&format!("/staff/review?approved={reference}")).into_response(),
        Err(error) => problem_page(lang, &AppError::Domain(error)),
    }
}

/// The reject form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RejectFields {
    csrf: String,
    reason: String,
}

impl CsrfForm for RejectFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /staff/review/{reference}/reject`: a letter with a PIN goes instead.
pub async fn reject(
    State(state): State<Arc<AppState>>,
    PageLang(lang): PageLang,
    staff: Result<ConsoleStaff, AppError>,
    Path(reference): Path<String>,
    form: Result<Form<RejectFields>, FormRejection>,
) -> Response {
    let (staff, fields) = match allowed_form(&state, lang, staff, form, (REVIEWERS, "reject")).await
    {
        Ok(decided) => decided,
        Err(page) => return *page,
    };
    let reason = match fields.reason.as_str() {
        "unreadable" => RejectReason::Unreadable,
        "does_not_match" => RejectReason::DoesNotMatch,
        "not_accepted" => RejectReason::NotAccepted,
        _ => {
            let fields = vec![crate::model::application::FieldError::new(
                "reason",
                crate::model::application::FieldProblem::Required,
            )];
            return problem_page(lang, &AppError::Fields(fields));
        }
    };
    let outcome =
        verification::reject(&state.store, &staff.member, &reference, reason, state.now()).await;
    match outcome {
        Ok(()) => Redirect::to(&format!("/staff/review?rejected={reference}")).into_response(),
        Err(error) => problem_page(lang, &AppError::Domain(error)),
    }
}

//! The counter over the API: staff who see a resident's identity document
//! find or register them, apply for today's code on their behalf with their
//! consent, and print it. Every step needs the `counter` role and is
//! audited with the staff member and the consent.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::StatusCode,
    response::Response,
};
use healthcode_keys::{IdDocument, hktime};
use serde::{Deserialize, Serialize};

use super::{
    AppError, AppState,
    auth::Staff,
    code_routes::{CodeAnswer, QrImages, issue_for},
};
use crate::{
    Error,
    model::{
        AccountStatus, Role,
        application::{FieldError, RawApplication},
    },
    residents::counter::{self, Shown},
    store::accounts::Account,
};

/// The role of the counter.
pub const COUNTER: &[Role] = &[Role::Counter];

/// The document in hand.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShownDocument {
    /// `HKID`, `PERMIT`, `MOID` or `PASSPORT-<ISO 3166 alpha-3>`.
    pub id_type: String,
    /// The number as printed.
    pub id_number: String,
    /// Its date of issue, `YYYY-MM-DD`.
    pub date_of_issue: String,
}

impl ShownDocument {
    /// The document and date, or the fields that are wrong.
    ///
    /// # Errors
    /// [`AppError::Fields`].
    pub fn shown(&self) -> Result<Shown, AppError> {
        let document: Result<IdDocument, _> =
            format!("{}:{}", self.id_type, self.id_number).parse();
        let date = hktime::parse_date(self.date_of_issue.trim());
        match (document, date) {
            (Ok(document), Ok(date_of_issue)) => Ok(Shown {
                document,
                date_of_issue,
            }),
            (document, date) => {
                let mut fields = Vec::new();
                if let Err(e) = document {
                    fields.push(FieldError::new("id_number", e));
                }
                if date.is_err() {
                    fields.push(FieldError::new("date_of_issue", "a date as YYYY-MM-DD"));
                }
                Err(AppError::Fields(fields))
            }
        }
    }
}

/// A resident found at the counter.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CounterResident {
    /// The account reference.
    pub reference: String,
    /// The name, to compare with the document.
    pub name: String,
    /// The language of their SMS and printouts.
    pub language: String,
}

/// Finds the active account of the document shown (number and date of issue).
#[utoipa::path(
    post, path = "/v1/staff/counter/lookup", tag = "staff", security(("staff" = [])),
    request_body = ShownDocument,
    responses(super::StaffRefusals, super::JsonBodyRefusals,
        (status = 200, body = CounterResident),
        (status = 404, description = "No active account with this document and date of issue", body = super::ErrorBody))
)]
pub async fn lookup(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    request: Result<Json<ShownDocument>, JsonRejection>,
) -> Result<Json<CounterResident>, AppError> {
    staff.require(&state, COUNTER, "counter_lookup").await?;
    let Json(request) = request?;
    let account = counter::look_up(&state.store, &staff.0, &request.shown()?, state.now()).await?;
    Ok(Json(resident_of(&state, account).await?))
}

/// The resident as the counter sees them.
///
/// # Errors
/// The store's.
pub async fn resident_of(state: &AppState, account: Account) -> Result<CounterResident, AppError> {
    let details = state
        .store
        .details_of(state.store.pool(), &account.id)
        .await?;
    Ok(CounterResident {
        reference: account.id,
        name: details.name,
        language: account.language.tag().to_owned(),
    })
}

/// The registration a counter takes, with the resident's consent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterRegistration {
    /// The name as on the document.
    pub name: String,
    /// `HKID`, `PERMIT`, `MOID` or `PASSPORT-<ISO 3166 alpha-3>`.
    pub id_type: String,
    /// The number as printed.
    pub id_number: String,
    /// `YYYY-MM-DD`.
    pub date_of_issue: String,
    /// A mobile number for SMS (a basic phone is enough).
    pub phone: String,
    /// The residential address.
    pub address: String,
    /// `en` or `zh-HK`.
    pub language: Option<String>,
    /// The resident agreed, in person, that the counter registers them.
    pub consent: bool,
}

/// The refusal of a missing consent.
fn no_consent() -> AppError {
    AppError::Fields(vec![FieldError::new(
        "consent",
        "the resident's consent is required",
    )])
}

/// Registers a resident who shows their document at the counter: active at once.
#[utoipa::path(
    post, path = "/v1/staff/counter/registrations", tag = "staff", security(("staff" = [])),
    request_body = CounterRegistration,
    responses(super::StaffRefusals, super::JsonBodyRefusals,
        (status = 201, body = CounterResident),
        (status = 409, description = "The document already has an active account", body = super::ErrorBody))
)]
pub async fn register(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    request: Result<Json<CounterRegistration>, JsonRejection>,
) -> Result<(StatusCode, Json<CounterResident>), AppError> {
    staff.require(&state, COUNTER, "counter_register").await?;
    let Json(request) = request?;
    if !request.consent {
        return Err(no_consent());
    }
    let raw = RawApplication {
        name: Some(request.name),
        id_type: Some(request.id_type),
        id_number: Some(request.id_number),
        date_of_issue: Some(request.date_of_issue),
        phone: Some(request.phone),
        address: Some(request.address),
        proof: None,
        language: request.language,
    };
    let app = raw.check(state.now()).map_err(AppError::Fields)?;
    let id = counter::register_at_counter(&state.store, &staff.0, &app, state.now()).await?;
    let account = active(&state, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(resident_of(&state, account).await?),
    ))
}

/// The active account `reference`.
///
/// # Errors
/// [`Error::NotFound`], [`Error::WrongStatus`].
pub async fn active(state: &AppState, reference: &str) -> Result<Account, AppError> {
    let store = &state.store;
    Ok(store
        .account_in(store.pool(), reference, AccountStatus::Active)
        .await?)
}

/// The resident's consent to apply on their behalf.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The resident agreed, in person, that the counter applies for them.
    pub consent: bool,
}

/// Applies for today's code for resident `reference` as `staff`, their
/// consent given; audited `code_applied_at_counter`.
///
/// # Errors
/// [`AppError`]: no consent, not active, the issuing's.
pub async fn apply_as(
    state: &AppState,
    staff: &Staff,
    reference: &str,
    consent: bool,
) -> Result<CodeAnswer, AppError> {
    staff.require(state, COUNTER, "counter_apply").await?;
    if !consent {
        return Err(no_consent());
    }
    active(state, reference).await?;
    let code = issue_for(state, reference, QrImages::None).await?;
    let detail = serde_json::json!({"consent": "in_person", "token_id": code.token_id, "colour": code.colour});
    staff
        .audit(state, "code_applied_at_counter", reference, &detail)
        .await?;
    Ok(code)
}

/// Applies for today's code on the resident's behalf (their consent given in person).
#[utoipa::path(
    post, path = "/v1/staff/counter/{reference}/codes", tag = "staff", security(("staff" = [])),
    params(("reference" = String, Path, description = "The account reference")),
    request_body = Consent,
    responses(super::StaffRefusals, super::JsonBodyRefusals,
        (status = 201, description = "Issued (print it with .../code.pdf)", body = CodeAnswer),
        (status = 404, description = "No such account", body = super::ErrorBody),
        (status = 409, description = "The account is not active", body = super::ErrorBody))
)]
pub async fn apply(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Result<Json<Consent>, JsonRejection>,
) -> Result<(StatusCode, Json<CodeAnswer>), AppError> {
    let Json(request) = request?;
    let code = apply_as(&state, &staff, &reference, request.consent).await?;
    Ok((StatusCode::CREATED, Json(code)))
}

/// Today's code of resident `reference`, as the PDF the counter prints;
/// audited `counter_code_printed`.
///
/// # Errors
/// [`AppError`]: the role, no valid code, printing unavailable.
pub async fn print_as(
    state: &AppState,
    staff: &Staff,
    reference: &str,
) -> Result<Response, AppError> {
    staff.require(state, COUNTER, "counter_print").await?;
    let account = active(state, reference).await?;
    let (name, pdf) = super::web::code_page::code_pdf(state, reference, account.language)
        .await?
        .ok_or(Error::NotFound {
            what: "valid code of today",
        })?;
    staff
        .audit(
            state,
            "counter_code_printed",
            reference,
            &serde_json::json!({}),
        )
        .await?;
    Ok(super::web::code_page::pdf_download(&name, pdf))
}

/// Today's code of the resident, to print (English and Chinese, their language first).
#[utoipa::path(
    get, path = "/v1/staff/counter/{reference}/code.pdf", tag = "staff", security(("staff" = [])),
    params(("reference" = String, Path, description = "The account reference")),
    responses(super::StaffRefusals,
        (status = 200, description = "The PDF", content_type = "application/pdf"),
        (status = 404, description = "No such account, or no valid code today", body = super::ErrorBody),
        (status = 503, description = "Printing is unavailable", body = super::ErrorBody))
)]
pub async fn print(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    print_as(&state, &staff, &reference).await
}

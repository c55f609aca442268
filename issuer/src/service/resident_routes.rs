//! The residents' routes: register, activate, log in, upload visit records.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Multipart, State, rejection::JsonRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use healthcode_keys::{IdDocument, hktime::format_utc};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{
    AppError, AppState,
    auth::{ClientIp, RESIDENT_SESSION, Resident, csrf_token},
    state::Limit,
};
use crate::{
    model::{
        AccountStatus, VISIT_WINDOW,
        application::{FieldError, FieldProblem, RawApplication},
        phone::Phone,
        visit::RawVisit,
    },
    residents::{
        self, activation, registration,
        visits::{self, UploadSummary},
    },
    store::visits::StoredVisit,
};

/// The registration form (`multipart/form-data`), as documented.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RegistrationForm {
    /// The name as on the ID document.
    name: String,
    /// `HKID`, `PERMIT`, `MOID` or `PASSPORT-<ISO 3166 alpha-3>`.
    #[schema(pattern = "^(HKID|MOID|PERMIT|PASSPORT-[A-Z]{3})$", example = "HKID")]
    id_type: String,
    /// The document number, e.g. `A123456(3)`.
    #[schema(min_length = 5, max_length = 64, example = "A123456(3)")]
    id_number: String,
    /// The document's date of issue, `YYYY-MM-DD`.
    #[schema(format = Date, example = "2019-06-01")]
    date_of_issue: String,
    /// A Hong Kong, Mainland or Macao mobile number.
    #[schema(example = "+852 9123 4567")]
    phone: String,
    /// The residential address in Hong Kong.
    address: String,
    /// Optional address proof: PDF, JPEG or PNG, at most 10 MiB.
    #[schema(value_type = Option<String>, format = Binary)]
    proof: Option<Vec<u8>>,
    /// The language of SMS and letters: `en` (the default) or `zh-HK`.
    #[schema(pattern = "^(en|zh-HK)$", example = "zh-HK")]
    language: Option<String>,
}

/// The answer to every accepted registration, whatever it led to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Registered {
    /// The application reference (quote it in enquiries).
    pub reference: String,
    /// What happens next.
    pub message: &'static str,
}

const REGISTERED_MESSAGE: &str = "Your application has been received. Once your address is verified you will receive an activation PIN by SMS; if it cannot be verified online, a confirmation letter with a PIN will be posted to you.";

/// The document `id_type` and `id_number` name; a bad one is the
/// `id_number` field's error.
fn parse_document(id_type: &str, id_number: &str) -> Result<IdDocument, AppError> {
    format!("{id_type}:{id_number}")
        .parse::<IdDocument>()
        .map_err(|e| AppError::Fields(vec![FieldError::new("id_number", FieldProblem::from(e))]))
}

/// The largest text field accepted in the form.
const MAX_TEXT_FIELD: usize = 1024;

async fn read_form(mut form: Multipart) -> Result<RawApplication, AppError> {
    let mut raw = RawApplication::default();
    while let Some(field) = form.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "proof" {
            let bytes = field.bytes().await?;
            // An empty file input is how a browser says "no file".
            if !bytes.is_empty() {
                raw.proof = Some(bytes.to_vec());
            }
            continue;
        }
        let slot = match name.as_str() {
            "name" => &mut raw.name,
            "id_type" => &mut raw.id_type,
            "id_number" => &mut raw.id_number,
            "date_of_issue" => &mut raw.date_of_issue,
            "phone" => &mut raw.phone,
            "address" => &mut raw.address,
            "language" => &mut raw.language,
            _ => {
                return Err(AppError::Fields(vec![FieldError::new(
                    &name,
                    "unknown field",
                )]));
            }
        };
        let bytes = field.bytes().await?;
        if bytes.len() > MAX_TEXT_FIELD {
            return Err(AppError::Fields(vec![FieldError::new(
                &name,
                "longer than 1024 bytes",
            )]));
        }
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| AppError::Fields(vec![FieldError::new(&name, "not UTF-8 text")]))?;
        if slot.replace(text).is_some() {
            return Err(AppError::Fields(vec![FieldError::new(
                &name,
                "given twice",
            )]));
        }
    }
    Ok(raw)
}

/// Register for an account.
#[utoipa::path(
    post, path = "/v1/registrations", tag = "residents",
    request_body(content = RegistrationForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Received (the same answer whether or not the document is registered)", body = Registered),
        (status = 400, description = "The body does not parse (JSON syntax, a broken form)", body = super::ErrorBody),
        (status = 413, description = "Too large", body = super::ErrorBody),
        (status = 415, description = "Not multipart/form-data", body = super::ErrorBody),
        (status = 422, description = "Fields not valid", body = super::ErrorBody),
        (status = 429, description = "Rate limited", body = super::ErrorBody),
    )
)]
pub async fn register(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Registered>), AppError> {
    state.limiters.check(Limit::Register, ip).await?;
    let form = form?;
    let now = state.now();
    let application = read_form(form)
        .await?
        .check(now)
        .map_err(AppError::Fields)?;
    let reference = registration::register(&state.store, &application, now).await?;
    let answer = Registered {
        reference,
        message: REGISTERED_MESSAGE,
    };
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// Activation with the PIN from the SMS (or, for HKID holders on the letter
/// route, from the letter).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationRequest {
    /// As at registration.
    #[schema(pattern = "^(HKID|MOID|PERMIT|PASSPORT-[A-Z]{3})$", example = "HKID")]
    pub id_type: String,
    /// As at registration.
    #[schema(min_length = 5, max_length = 64, example = "A123456(3)")]
    pub id_number: String,
    /// The 6-digit PIN.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub pin: String,
    /// The new password (10 to 128 characters).
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
}

fn check_pin_format(pin: &str) -> Result<(), AppError> {
    if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AppError::Fields(vec![FieldError::new(
            "pin",
            "a PIN is 6 digits",
        )]))
    }
}

/// Activate an account.
#[utoipa::path(
    post, path = "/v1/activation", tag = "residents", request_body = ActivationRequest,
    responses(super::JsonBodyRefusals,
        (status = 204, description = "Activated: log in with the password"),
        (status = 401, description = "Document, PIN, expiry wrong, or the PIN dead after 5 wrong tries (not said which: ask for a new one)", body = super::ErrorBody),
        (status = 422, description = "Fields not valid", body = super::ErrorBody),
        (status = 429, description = "Too many tries from this client (per minute), or of this document from this client (a wait that doubles)", body = super::ErrorBody)
    )
)]
pub async fn activate(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    request: Result<Json<ActivationRequest>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    state.limiters.check(Limit::Pin, ip).await?;
    let Json(request) = request?;
    let document = parse_document(&request.id_type, &request.id_number)?;
    check_pin_format(&request.pin)?;
    activate_account(&state, ip, &document, &request.pin, &request.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Activates `document`'s account with `pin` and a new `password`, under
/// the per-document backoff of `client` (the per-client limit and the PIN's
/// format are the caller's). The API and the web pages both activate here.
///
/// # Errors
/// [`AppError`]: rate limited, bad credentials, a weak password, the store.
pub async fn activate_account(
    state: &AppState,
    client: std::net::IpAddr,
    document: &IdDocument,
    pin: &str,
    password: &str,
) -> Result<(), AppError> {
    let index = state.store.document_index(document);
    state.limiters.backoff.check(client, &index).await?;
    let activated = activation::activate(&state.store, document, pin, password, state.now()).await;
    count_try(state, client, &index, &activated).await;
    activated?;
    Ok(())
}

/// A new SMS PIN for a verified application.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendRequest {
    /// As at registration.
    #[schema(pattern = "^(HKID|MOID|PERMIT|PASSPORT-[A-Z]{3})$", example = "HKID")]
    pub id_type: String,
    /// As at registration.
    #[schema(min_length = 5, max_length = 64, example = "A123456(3)")]
    pub id_number: String,
    /// The phone number given at registration.
    #[schema(example = "+852 9123 4567")]
    pub phone: String,
}

/// Ask for a new SMS PIN.
#[utoipa::path(
    post, path = "/v1/activation/pin", tag = "residents", request_body = ResendRequest,
    responses(super::JsonBodyRefusals,
        (status = 202, description = "The same answer whatever the document's state: if an application matches, a new PIN is on its way (SMS at most once a minute and five times a day; a new letter at most once a week)"),
        (status = 422, description = "Fields not valid", body = super::ErrorBody),
        (status = 429, description = "Too many requests from this client", body = super::ErrorBody)
    )
)]
pub async fn resend_pin(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    request: Result<Json<ResendRequest>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    state.limiters.check(Limit::Pin, ip).await?;
    let Json(request) = request?;
    let document = parse_document(&request.id_type, &request.id_number)?;
    let phone = Phone::parse(&request.phone)
        .map_err(|e| AppError::Fields(vec![FieldError::new("phone", e)]))?;
    activation::resend_pin(&state.store, &document, &phone, state.now()).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Log in with the ID document and password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// As at registration.
    #[schema(pattern = "^(HKID|MOID|PERMIT|PASSPORT-[A-Z]{3})$", example = "HKID")]
    pub id_type: String,
    /// As at registration.
    #[schema(min_length = 5, max_length = 64, example = "A123456(3)")]
    pub id_number: String,
    /// The password set at activation.
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
}

/// A session: the token for the app, also set as an HttpOnly cookie for the web.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When it ends (UTC).
    pub expires_at: String,
    /// For a client that uses the cookie and cannot send `Origin` or
    /// `Sec-Fetch-Site`: send it as `X-CSRF-Token` with each state change.
    pub csrf_token: String,
}

/// A right password's answer: a code is on its way by SMS.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignInChallenge {
    /// Send it back with the code to `/v1/login/code`.
    pub challenge: String,
    /// When the code expires (UTC).
    pub expires_at: String,
    /// The last four digits of the phone the code went to.
    pub phone_ending: String,
}

/// Log in, step one: the document and password. The one-time code goes by
/// SMS to the verified phone.
#[utoipa::path(
    post, path = "/v1/login", tag = "residents", request_body = LoginRequest,
    responses(super::JsonBodyRefusals,
        (status = 202, description = "Right: a code was sent by SMS", body = SignInChallenge),
        (status = 401, description = "Not correct (not said which part)", body = super::ErrorBody),
        (status = 429, description = "Too many tries from this client (per minute), or of this document from this client (a wait that doubles), or too many codes this hour", body = super::ErrorBody)
    )
)]
pub async fn login(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    request: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<SignInChallenge>), AppError> {
    state.limiters.check(Limit::Login, ip).await?;
    let Json(request) = request?;
    let document = parse_document(&request.id_type, &request.id_number)?;
    let challenge = sign_in(&state, ip, &document, &request.password).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SignInChallenge {
            challenge: challenge.token,
            expires_at: format_utc(challenge.expires_at),
            phone_ending: challenge.phone_ending,
        }),
    ))
}

/// Log in, step two: the code from the SMS.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// From `/v1/login`.
    #[schema(max_length = 128)]
    pub challenge: String,
    /// The six digits of the SMS.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub code: String,
}

/// Log in with the SMS code.
#[utoipa::path(
    post, path = "/v1/login/code", tag = "residents", request_body = CodeRequest,
    responses(super::JsonBodyRefusals,
        (status = 200, description = "Logged in", body = Session),
        (status = 401, description = "The code is not correct", body = super::ErrorBody),
        (status = 410, description = "The code expired, was used, or was tried 5 times: log in again", body = super::ErrorBody),
        (status = 429, description = "Too many tries from this client", body = super::ErrorBody)
    )
)]
pub async fn login_code(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    request: Result<Json<CodeRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    state.limiters.check(Limit::Pin, ip).await?;
    let Json(request) = request?;
    let (token, expires_at) = check_code(&state, &request.challenge, &request.code).await?;
    Ok(session_response(&state, token, expires_at))
}

/// Checks a sign-in code as both the API and the pages do.
///
/// # Errors
/// [`AppError`]: a wrong or spent code, a malformed one, the store.
pub async fn check_code(
    state: &AppState,
    challenge: &str,
    code: &str,
) -> Result<(String, OffsetDateTime), AppError> {
    let code = code.trim();
    if challenge.len() > 128 || code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::Domain(crate::Error::BadCredentials));
    }
    Ok(residents::sign_in::check_code(&state.store, challenge, code, state.now()).await?)
}

fn session_response(state: &AppState, token: String, expires_at: OffsetDateTime) -> Response {
    let body = Session {
        csrf_token: csrf_token(&token),
        token: token.clone(),
        expires_at: format_utc(expires_at),
    };
    let mut response = Json(body).into_response();
    let lifetime = expires_at - state.now();
    RESIDENT_SESSION.set(&mut response, &token, lifetime, state.secure_cookies);
    response
}

/// Stay logged in: the session runs 45 minutes from now (never more than
/// 12 hours from the login).
#[utoipa::path(
    post, path = "/v1/session", tag = "residents", security(("session" = [])),
    responses((status = 200, description = "Extended", body = Session), (status = 401, body = super::ErrorBody),
        (status = 403, description = "Sent with the session cookie from another site (CSRF)", body = super::ErrorBody))
)]
pub async fn extend_session(
    State(state): State<Arc<AppState>>,
    resident: Resident,
) -> Result<Response, AppError> {
    let expires_at = state
        .store
        .extend_session(&resident.token, state.now())
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(session_response(&state, resident.token, expires_at))
}

/// Counts a PIN or password try of the document with blind index `index`
/// from `client`: a wrong one makes that client (only) wait longer next time.
/// Checks `password` for `document` under the per-document backoff of
/// `client` (the per-client limit is the caller's, checked before parsing);
/// a right one sends the SMS code. The API and the web pages both sign in here.
///
/// # Errors
/// [`AppError`]: rate limited, bad credentials, the store.
pub async fn sign_in(
    state: &AppState,
    client: std::net::IpAddr,
    document: &IdDocument,
    password: &str,
) -> Result<residents::sign_in::Challenge, AppError> {
    let index = state.store.document_index(document);
    state.limiters.backoff.check(client, &index).await?;
    let logged_in =
        residents::sign_in::check_password(&state.store, document, password, state.now()).await;
    count_try(state, client, &index, &logged_in).await;
    Ok(logged_in?)
}

/// Counts a try of a secret for `index` from `client` in the back-off:
/// a wrong one slows the next, a right one clears the count.
pub async fn count_try<T>(
    state: &AppState,
    client: std::net::IpAddr,
    index: &str,
    outcome: &Result<T, crate::Error>,
) {
    match outcome {
        Ok(_) => state.limiters.backoff.succeeded(client, index).await,
        Err(crate::Error::BadCredentials) => state.limiters.backoff.failed(client, index).await,
        Err(_) => {}
    }
}

/// Log out.
#[utoipa::path(
    post, path = "/v1/logout", tag = "residents", security(("session" = [])),
    responses((status = 204, description = "The session is ended"), (status = 401, body = super::ErrorBody),
        (status = 403, description = "Sent with the session cookie from another site (CSRF)", body = super::ErrorBody))
)]
pub async fn logout(
    State(state): State<Arc<AppState>>,
    resident: Resident,
) -> Result<Response, AppError> {
    state.store.end_session(&resident.token).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    RESIDENT_SESSION.clear(&mut response, state.secure_cookies);
    Ok(response)
}

/// The logged-in resident's account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The account reference.
    pub reference: String,
    /// The document type.
    pub doc_type: String,
    /// Always `active` for a logged-in resident.
    pub status: AccountStatus,
    /// The language of SMS and letters: `en` or `zh-HK`.
    pub language: String,
    /// The last four digits of the verified phone.
    pub phone_ending: String,
    /// When this session ends unless extended (UTC).
    pub session_expires_at: String,
}

/// The logged-in resident's account.
#[utoipa::path(
    get, path = "/v1/me", tag = "residents", security(("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = super::ErrorBody))
)]
pub async fn me(
    State(state): State<Arc<AppState>>,
    resident: Resident,
) -> Result<Json<Me>, AppError> {
    let account = state
        .store
        .account(state.store.pool(), &resident.account_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let details = state
        .store
        .details_of(state.store.pool(), &resident.account_id)
        .await?;
    Ok(Json(Me {
        reference: account.id,
        doc_type: account.doc_type,
        status: account.status,
        language: account.language.tag().to_owned(),
        phone_ending: residents::sign_in::phone_ending(&details.phone),
        session_expires_at: format_utc(resident.expires_at),
    }))
}

/// An upload from the check-in app.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitUpload {
    /// The records of the past 31 days (at most 5,000); each is checked on its own.
    #[schema(value_type = Vec<RawVisit>)]
    pub records: Vec<serde_json::Value>,
}

/// Upload visit records.
#[utoipa::path(
    post, path = "/v1/visits", tag = "residents", request_body = VisitUpload, security(("session" = [])),
    responses(super::JsonBodyRefusals,
        (status = 401, description = "No valid session or token", body = super::ErrorBody),
        (status = 403, description = "Sent with the session cookie from another site (CSRF)", body = super::ErrorBody),
        (status = 200, description = "Stored; refused records listed with reasons", body = UploadSummary),
        (status = 413, description = "Over 2 MiB or 5,000 records", body = super::ErrorBody)
    )
)]
pub async fn upload_visits(
    State(state): State<Arc<AppState>>,
    resident: Resident,
    upload: Result<Json<VisitUpload>, JsonRejection>,
) -> Result<Json<UploadSummary>, AppError> {
    let Json(upload) = upload?;
    let summary = visits::upload(
        &state.store,
        &resident.account_id,
        upload.records,
        state.now(),
    )
    .await?;
    Ok(Json(summary))
}

/// The resident's stored visits of the past 31 days.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Visits {
    /// Oldest first.
    pub visits: Vec<StoredVisit>,
}

/// The visit records held for the logged-in resident.
#[utoipa::path(
    get, path = "/v1/visits", tag = "residents", security(("session" = [])),
    responses((status = 200, body = Visits), (status = 401, body = super::ErrorBody))
)]
pub async fn list_visits(
    State(state): State<Arc<AppState>>,
    resident: Resident,
) -> Result<Json<Visits>, AppError> {
    let visits = held_visits(&state, &resident.account_id).await?;
    Ok(Json(Visits { visits }))
}

/// The visits held for `account_id` (the past 31 days), oldest first: the
/// API and the web pages both list them here.
///
/// # Errors
/// [`AppError`] when the store fails.
pub async fn held_visits(state: &AppState, account_id: &str) -> Result<Vec<StoredVisit>, AppError> {
    let since: OffsetDateTime = state.now() - VISIT_WINDOW;
    let mut conn = state
        .store
        .pool()
        .acquire()
        .await
        .map_err(crate::Error::from)?;
    Ok(state
        .store
        .visits_since(&mut conn, account_id, since)
        .await?)
}

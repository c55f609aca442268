//! What a logged-in resident changes on their account: the language of
//! SMS and letters, the phone (a PIN to the new number), the password.
//! Wrong passwords here count in the same back-off as at login.

use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    extract::rejection::JsonRejection,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    AppError, AppState,
    auth::{ClientIp, Resident},
    resident_routes::count_try,
    state::Limit,
};
use crate::{
    Error,
    model::{
        Lang,
        application::{FieldError, FieldProblem},
        phone::Phone,
    },
    residents::{account, export::HeldData},
};

/// The language of SMS and letters.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageRequest {
    /// `en` or `zh-HK`.
    #[schema(pattern = "^(en|zh-HK)$", example = "zh-HK")]
    pub language: String,
}

/// Choose the language of SMS and letters.
#[utoipa::path(
    put, path = "/v1/account/language", tag = "residents", request_body = LanguageRequest,
    security(("session" = [])),
    responses(super::JsonBodyRefusals, (status = 204, description = "Set"),
        (status = 401, body = super::ErrorBody))
)]
pub async fn set_language(
    State(state): State<Arc<AppState>>,
    resident: Resident,
    request: Result<Json<LanguageRequest>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    let Json(request) = request?;
    let language = parse_language(&request.language)?;
    account::set_language(&state.store, &resident.account_id, language, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `en` or `zh-HK`, or the `language` field's error.
pub fn parse_language(tag: &str) -> Result<Lang, AppError> {
    Lang::from_tag(tag.trim())
        .ok_or_else(|| AppError::Fields(vec![FieldError::of("language", FieldProblem::Language)]))
}

/// A new password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    /// The password now.
    #[schema(max_length = 128)]
    pub current_password: String,
    /// The new one (10 to 128 characters, not easily guessed).
    #[schema(min_length = 10, max_length = 128)]
    pub new_password: String,
}

/// Change the password; every other session of the account ends.
#[utoipa::path(
    post, path = "/v1/account/password", tag = "residents", request_body = PasswordRequest,
    security(("session" = [])),
    responses(super::JsonBodyRefusals, (status = 204, description = "Changed"),
        (status = 401, description = "The current password is wrong, or no session", body = super::ErrorBody),
        (status = 422, description = "The new password is too weak", body = super::ErrorBody),
        (status = 429, description = "Too many wrong passwords", body = super::ErrorBody))
)]
pub async fn change_password(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    resident: Resident,
    request: Result<Json<PasswordRequest>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    let Json(request) = request?;
    checked_password(
        &state,
        ip,
        &resident,
        &request.current_password,
        |current| {
            account::change_password(
                &state.store,
                &resident.account_id,
                &resident.token,
                current,
                &request.new_password,
                state.now(),
            )
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs `change` (which checks `current` first) under the back-off of the
/// account from `client`, counting a wrong password.
///
/// # Errors
/// [`AppError`]: the back-off, and whatever `change` refuses.
pub async fn checked_password<'a, T, F, Fut>(
    state: &AppState,
    client: std::net::IpAddr,
    resident: &Resident,
    current: &'a str,
    change: F,
) -> Result<T, AppError>
where
    F: FnOnce(&'a str) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    state.limiters.check(Limit::Pin, client).await?;
    state
        .limiters
        .backoff
        .check(client, &resident.account_id)
        .await?;
    if current.len() > 128 {
        return Err(AppError::Domain(Error::BadCredentials));
    }
    let outcome = change(current).await;
    count_try(state, client, &resident.account_id, &outcome).await;
    Ok(outcome?)
}

/// A new phone number.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneRequest {
    /// The password, asked again.
    #[schema(max_length = 128)]
    pub password: String,
    /// A Hong Kong, Mainland or Macao mobile number.
    #[schema(example = "+852 9123 4567")]
    pub phone: String,
}

/// Change the phone, step one: a PIN goes by SMS to the new number.
#[utoipa::path(
    post, path = "/v1/account/phone", tag = "residents", request_body = PhoneRequest,
    security(("session" = [])),
    responses(super::JsonBodyRefusals, (status = 202, description = "A PIN was sent to the new number"),
        (status = 401, description = "The password is wrong, or no session", body = super::ErrorBody),
        (status = 429, description = "Too many tries or PINs", body = super::ErrorBody))
)]
pub async fn request_phone_change(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    resident: Resident,
    request: Result<Json<PhoneRequest>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    let Json(request) = request?;
    let phone = Phone::parse(&request.phone)
        .map_err(|e| AppError::Fields(vec![FieldError::of("phone", FieldProblem::from(e))]))?;
    checked_password(&state, ip, &resident, &request.password, |password| {
        account::request_phone_change(
            &state.store,
            &resident.account_id,
            password,
            &phone,
            state.now(),
        )
    })
    .await?;
    Ok(StatusCode::ACCEPTED)
}

/// The PIN sent to the new phone.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhonePinRequest {
    /// Six digits.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub pin: String,
}

/// Change the phone, step two: the PIN from the new phone. The old phone is told.
#[utoipa::path(
    post, path = "/v1/account/phone/confirm", tag = "residents", request_body = PhonePinRequest,
    security(("session" = [])),
    responses(super::JsonBodyRefusals, (status = 204, description = "The new number is the account's"),
        (status = 401, description = "The PIN is wrong or expired, or no session", body = super::ErrorBody),
        (status = 423, description = "Too many wrong PINs: ask for a new one", body = super::ErrorBody),
        (status = 429, description = "Too many tries from this client", body = super::ErrorBody))
)]
pub async fn confirm_phone(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    resident: Resident,
    request: Result<Json<PhonePinRequest>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    state.limiters.check(Limit::Pin, ip).await?;
    let Json(request) = request?;
    confirm_pin(&state, &resident, &request.pin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks the new phone's PIN as both the API and the page do.
///
/// # Errors
/// [`AppError`]: a malformed, wrong or locked PIN; the store.
pub async fn confirm_pin(state: &AppState, resident: &Resident, pin: &str) -> Result<(), AppError> {
    let pin = pin.trim();
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::Domain(Error::BadCredentials));
    }
    Ok(account::confirm_phone(&state.store, &resident.account_id, pin, state.now()).await?)
}

/// The name the download is saved under.
pub const EXPORT_FILE_NAME: &str = "healthcode-my-data.json";

/// The password, asked again before everything held is handed over.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// The password, asked again.
    #[schema(max_length = 128)]
    pub password: String,
}

/// Download everything held about the signed-in resident (the personal
/// fields opened). The password is asked again, as for a phone change, so
/// that a session left open is not enough; the download is audited, and
/// staff reads of the resident's data are among the audit entries listed.
#[utoipa::path(
    post, path = "/v1/account/export", tag = "residents", request_body = ExportRequest,
    security(("session" = [])),
    responses(super::JsonBodyRefusals,
        (status = 200, body = HeldData, description = "A JSON file to save"),
        (status = 401, description = "The password is wrong, or no session", body = super::ErrorBody),
        (status = 429, description = "Too many wrong passwords", body = super::ErrorBody))
)]
pub async fn export(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    resident: Resident,
    request: Result<Json<ExportRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    let Json(request) = request?;
    let held = held_data_checked(&state, ip, &resident, &request.password).await?;
    Ok(held_download(&held))
}

/// What is held about `resident`, once `password` is theirs.
///
/// # Errors
/// [`AppError`]: a wrong password, the back-off, the store.
pub async fn held_data_checked(
    state: &AppState,
    ip: std::net::IpAddr,
    resident: &Resident,
    password: &str,
) -> Result<HeldData, AppError> {
    checked_password(state, ip, resident, password, |password| {
        crate::residents::export::held_data(
            &state.store,
            &resident.account_id,
            password,
            state.now(),
        )
    })
    .await
}

/// `held` as a JSON file to save, never kept in a cache.
pub fn held_download(held: &HeldData) -> Response {
    let disposition = format!("attachment; filename=\"{EXPORT_FILE_NAME}\"");
    (
        [
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Json(held),
    )
        .into_response()
}

/// The password, asked again before the account is closed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// The password, asked again.
    #[schema(max_length = 128)]
    pub password: String,
}

/// Close the account: every live code is revoked (reason `holder_request`,
/// delivered to the checkpoints), the personal details are erased, the
/// visits, proof and sessions deleted. The document may register again.
#[utoipa::path(
    post, path = "/v1/account/close", tag = "residents", request_body = CloseRequest,
    security(("session" = [])),
    responses(super::JsonBodyRefusals, (status = 204, description = "Closed"),
        (status = 401, description = "The password is wrong, or no session", body = super::ErrorBody),
        (status = 429, description = "Too many wrong passwords", body = super::ErrorBody))
)]
pub async fn close(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    resident: Resident,
    request: Result<Json<CloseRequest>, JsonRejection>,
) -> Result<StatusCode, AppError> {
    let Json(request) = request?;
    close_checked(&state, ip, &resident, &request.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Closes `resident`'s account once `password` is theirs, and wakes the
/// delivery of its revocations.
///
/// # Errors
/// [`AppError`]: a wrong password, the back-off, the store.
pub async fn close_checked(
    state: &AppState,
    ip: std::net::IpAddr,
    resident: &Resident,
    password: &str,
) -> Result<(), AppError> {
    let closed = checked_password(state, ip, resident, password, |password| {
        account::close(&state.store, &resident.account_id, password, state.now())
    })
    .await?;
    if closed.codes_revoked > 0 {
        state.wake.deliver.notify_one();
    }
    Ok(())
}

//! The residents' code routes: apply for today's code, and see it again.

use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode};
use base64::Engine as _;
use healthcode_keys::{Region, hktime::format_hk};
use serde::{Deserialize, Serialize};

use super::{AppError, AppState, auth::Resident};
use crate::{
    Error,
    codes::{
        apply::apply,
        convert::{Converted, convert},
        explain::{ReasonView, reasons_only},
    },
    qr,
};

/// A revocation, as the holder sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevocationView {
    /// `superseded`, `risk_changed`, `issued_in_error`, `holder_request` or `fraud`.
    pub reason: &'static str,
    /// When (Hong Kong time).
    pub revoked_at: String,
}

/// A code: the token, its QR code, its colour and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeAnswer {
    /// The token text the QR code holds (`HC1:...`).
    pub token: String,
    /// The token id (24 hex digits).
    pub token_id: String,
    /// `green`, `amber` or `red`.
    #[schema(pattern = "^(green|amber|red)$", example = "green")]
    pub colour: &'static str,
    /// When issued (Hong Kong time).
    #[schema(format = DateTime)]
    pub issued_at: String,
    /// Valid up to and including this second: 23:59:59 Hong Kong time on the day of issue.
    #[schema(format = DateTime)]
    pub valid_until: String,
    /// `valid`, or `revoked` (apply again for a new code).
    #[schema(pattern = "^(valid|revoked)$")]
    pub status: &'static str,
    /// Why it was revoked, if it was.
    pub revocation: Option<RevocationView>,
    /// Why the code has its colour: each reason in plain words, with the
    /// facts behind it when just issued. Empty for green.
    pub reasons: Vec<ReasonView>,
    /// The token ids of the day's earlier codes, revoked by this one.
    pub superseded: Vec<String>,
    /// The QR code as a PNG, base64.
    pub qr_png: String,
    /// The QR code as SVG (empty only inside the service, for the web page).
    pub qr_svg: String,
}

/// Which images of the QR code an answer carries: the API gives both, the
/// web page shows only the PNG, so it does not pay for the SVG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrImages {
    /// The PNG only; `qr_svg` is left empty.
    Png,
    /// The PNG and the SVG.
    PngAndSvg,
    /// Neither (a printable copy draws its own).
    None,
}

/// The QR code of `token` as (PNG base64, SVG or empty), rendered off the
/// async workers.
async fn qr_codes(token: String, images: QrImages) -> Result<(String, String), AppError> {
    if images == QrImages::None {
        return Ok((String::new(), String::new()));
    }
    let rendered = tokio::task::spawn_blocking(move || -> Result<_, Error> {
        let modules = qr::Modules::of(&token)?;
        let png = modules.png()?;
        let svg = match images {
            QrImages::PngAndSvg => modules.svg(),
            QrImages::Png | QrImages::None => String::new(),
        };
        Ok((base64::engine::general_purpose::STANDARD.encode(png), svg))
    })
    .await
    .map_err(|_| Error::TaskFailed)??;
    Ok(rendered)
}

/// Apply for today's code.
#[utoipa::path(
    post, path = "/v1/codes", tag = "codes", security(("session" = [])),
    responses(
        (status = 201, description = "Issued; any earlier code of the day is revoked", body = CodeAnswer),
        (status = 401, body = super::ErrorBody),
        (status = 403, description = "Sent with the session cookie from another site (CSRF)", body = super::ErrorBody),
        (status = 429, description = "At most 20 codes a day", body = super::ErrorBody),
        (status = 503, description = "This service issues no codes now", body = super::ErrorBody),
    )
)]
pub async fn apply_for_code(
    State(state): State<Arc<AppState>>,
    resident: Resident,
) -> Result<(StatusCode, Json<CodeAnswer>), AppError> {
    let answer = issue_for(&state, &resident.account_id, QrImages::PngAndSvg).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Issues today's code to `account_id`: the API and the web pages apply here.
///
/// # Errors
/// [`AppError`]: no key that can sign now, the daily limit, the store.
pub async fn issue_for(
    state: &AppState,
    account_id: &str,
    images: QrImages,
) -> Result<CodeAnswer, AppError> {
    let signer = state.signer.as_ref().ok_or(AppError::IssuingUnavailable)?;
    let issued = match apply(&state.store, signer, account_id, state.now()).await {
        Err(Error::Keys(e @ healthcode_keys::Error::KeyNotValidAtIssue { .. })) => {
            tracing::error!(error = %e, "the signing key cannot sign now; no code issued");
            return Err(AppError::IssuingUnavailable);
        }
        other => other?,
    };
    state.wake.deliver.notify_one();
    let claims = issued.token.insecure_claims();
    let text = issued.token.to_text();
    let (qr_png, qr_svg) = qr_codes(text.clone(), images).await?;
    Ok(CodeAnswer {
        token: text,
        token_id: claims.token_id.to_string(),
        colour: issued.evaluation.colour.as_str(),
        issued_at: format_hk(claims.issued_at),
        valid_until: format_hk(claims.valid_until),
        status: "valid",
        revocation: None,
        reasons: issued.reasons,
        superseded: issued.superseded.iter().map(ToString::to_string).collect(),
        qr_png,
        qr_svg,
    })
}

/// Today's newest code, and whether it still stands.
#[utoipa::path(
    get, path = "/v1/codes/today", tag = "codes", security(("session" = [])),
    responses(
        (status = 200, description = "The code; if revoked, apply again", body = CodeAnswer),
        (status = 401, body = super::ErrorBody),
        (status = 404, description = "No code today", body = super::ErrorBody),
    )
)]
pub async fn todays_code(
    State(state): State<Arc<AppState>>,
    resident: Resident,
) -> Result<Json<CodeAnswer>, AppError> {
    let code = todays_code_of(&state, &resident.account_id, QrImages::PngAndSvg)
        .await?
        .ok_or(Error::NotFound { what: "code today" })?;
    Ok(Json(code))
}

/// The newest code of today of `account_id`, if any (revoked ones too).
///
/// # Errors
/// [`AppError`]: the store, rendering the QR code.
pub async fn todays_code_of(
    state: &AppState,
    account_id: &str,
    images: QrImages,
) -> Result<Option<CodeAnswer>, AppError> {
    let Some(code) = state.store.latest_code(account_id, state.now()).await? else {
        return Ok(None);
    };
    let (qr_png, qr_svg) = qr_codes(code.token.clone(), images).await?;
    Ok(Some(CodeAnswer {
        token_id: code.token_id.to_string(),
        colour: code.colour.as_str(),
        issued_at: format_hk(code.issued_at),
        valid_until: format_hk(code.valid_until),
        status: if code.revocation.is_some() {
            "revoked"
        } else {
            "valid"
        },
        revocation: code.revocation.map(|r| RevocationView {
            reason: r.reason.as_str(),
            revoked_at: format_hk(r.revoked_at),
        }),
        reasons: reasons_only(&code.reasons),
        superseded: Vec::new(),
        token: code.token,
        qr_png,
        qr_svg,
    }))
}

/// A conversion asked for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversionRequest {
    /// The partner region: `GD` (Guangdong's YueKang code) or `MO` (Macao's health code).
    #[schema(value_type = String, pattern = "^(GD|MO)$", example = "GD")]
    pub partner: Region,
}

/// Today's green code converted for a partner region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversionAnswer {
    /// The conversion's id (32 hex digits), as audited.
    pub conversion_id: String,
    /// `GD` or `MO`.
    pub partner: &'static str,
    /// The sealed payload (`HKCV1:...`, docs/conversion.md): only the
    /// partner's key opens it.
    pub payload: String,
    /// When the converted code expires (Hong Kong time).
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// The payload's QR code as a PNG, base64.
    pub qr_png: String,
    /// The payload's QR code as SVG.
    pub qr_svg: String,
}

/// Convert today's green code for Guangdong or Macao: a payload signed by
/// this issuer's conversion key and sealed to the partner, carrying only the
/// document, name, colour and validity. Every attempt is audited.
#[utoipa::path(
    post, path = "/v1/codes/today/conversions", tag = "codes", security(("session" = [])),
    request_body = ConversionRequest,
    responses(super::JsonBodyRefusals,
        (status = 201, description = "Converted", body = ConversionAnswer),
        (status = 401, body = super::ErrorBody),
        (status = 403, description = "Sent with the session cookie from another site (CSRF)", body = super::ErrorBody),
        (status = 404, description = "`no_partner`: this service converts for no such partner", body = super::ErrorBody),
        (status = 409, description = "`no_code_today`, `code_revoked`, `not_green` or `too_many_conversions` (audited)", body = super::ErrorBody),
    )
)]
pub async fn convert_code(
    State(state): State<Arc<AppState>>,
    resident: Resident,
    body: Result<Json<ConversionRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<ConversionAnswer>), AppError> {
    let Json(request) = body?;
    let answer = convert_for(
        &state,
        &resident.account_id,
        request.partner,
        QrImages::PngAndSvg,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Converts today's code of `account_id` for `partner`: the API and the
/// web page convert here.
///
/// # Errors
/// [`Error::NoPartner`], [`Error::NotConvertible`], the store's errors.
pub async fn convert_for(
    state: &AppState,
    account_id: &str,
    partner: Region,
    images: QrImages,
) -> Result<ConversionAnswer, AppError> {
    let desk = state
        .conversions
        .as_deref()
        .ok_or(Error::NoPartner { region: partner })?;
    let Converted {
        conversion_id,
        partner,
        payload,
        expires_at,
    } = convert(&state.store, desk, account_id, partner, state.now()).await?;
    let (qr_png, qr_svg) = qr_codes(payload.clone(), images).await?;
    Ok(ConversionAnswer {
        conversion_id,
        partner: partner.as_str(),
        payload,
        expires_at: format_hk(expires_at),
        qr_png,
        qr_svg,
    })
}

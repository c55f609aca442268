//! The one error type of the service's handlers: what the client may know is
//! said; what only operators should see is logged (without personal data).

use axum::{
    Json,
    extract::{
        multipart::{MultipartError, MultipartRejection},
        rejection::JsonRejection,
    },
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::{Error, model::application::FieldError};

/// The JSON body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The refusals of every staff route, for the API description.
#[derive(Debug, utoipa::IntoResponses)]
#[allow(dead_code)] // Only its description is used; the answers are `AppError`s.
pub enum StaffRefusals {
    /// No staff token, or one that is not valid.
    #[response(status = 401, description = "No valid session or token")]
    Unauthenticated(ErrorBody),
    /// The role may not do this; the attempt is audited.
    #[response(
        status = 403,
        description = "The staff member's role may not do this (audited)"
    )]
    Forbidden(ErrorBody),
}

/// The refusals of every route that reads a JSON body, for the API description.
#[derive(Debug, utoipa::IntoResponses)]
#[allow(dead_code)] // Only its description is used; the answers are `AppError`s.
pub enum JsonBodyRefusals {
    /// The body is not JSON.
    #[response(
        status = 400,
        description = "The body does not parse (JSON syntax, a broken form)"
    )]
    Syntax(ErrorBody),
    /// The body is over the route's limit.
    #[response(status = 413, description = "Over the body limit")]
    TooLarge(ErrorBody),
    /// The content type is not JSON.
    #[response(status = 415, description = "Not JSON (content-type application/json)")]
    NotJson(ErrorBody),
    /// Fields are missing or not valid.
    #[response(status = 422, description = "Fields missing or not valid, each named")]
    Invalid(ErrorBody),
}

/// A machine-readable code, a message for people, and the bad fields if any.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// E.g. `invalid`, `unauthenticated`, `rate_limited`.
    pub code: &'static str,
    /// What is wrong, for people.
    pub message: String,
    /// The fields that are wrong, for `invalid`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// Form or JSON fields that are wrong.
    #[error("some fields are not valid")]
    Fields(Vec<FieldError>),
    /// A JSON body that does not parse, or is too large.
    #[error("{0}")]
    Json(#[from] JsonRejection),
    /// A multipart body that does not parse, or is too large.
    #[error("the form cannot be read: {0}")]
    Multipart(#[from] MultipartError),
    /// A registration that is not `multipart/form-data`.
    #[error("send the registration as multipart/form-data: {0}")]
    NotForm(#[from] MultipartRejection),
    /// A body whose declared length is over the route's limit.
    #[error("the request body is {length} bytes; the limit here is {limit}")]
    BodyTooLarge {
        /// The declared length.
        length: u64,
        /// The limit.
        limit: usize,
    },
    /// No valid session or staff token.
    #[error("log in first: send a session cookie or an Authorization: Bearer token")]
    Unauthenticated,
    /// A state change with the session cookie that did not come from this site.
    #[error(
        "this request did not come from this site's pages: send it from the site, \
         or send the session's CSRF token in X-CSRF-Token"
    )]
    CrossSite,
    /// This service has no signing key that can sign now.
    #[error("codes cannot be issued at the moment; try again later")]
    IssuingUnavailable,
    /// The fonts of printable documents are not installed.
    #[error("printing is unavailable at the moment; show the code on screen, or try again later")]
    PrintingUnavailable,
    /// A refusal or failure from the workflows and the store.
    #[error(transparent)]
    Domain(#[from] Error),
}

impl AppError {
    /// The HTTP status of this refusal; the pages answer with the API's.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Fields(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            AppError::Json(rejection) => (rejection.status(), "bad_request"),
            AppError::Multipart(rejection) => (rejection.status(), "bad_request"),
            AppError::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::NotForm(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::CrossSite => (StatusCode::FORBIDDEN, "cross_site"),
            AppError::IssuingUnavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "issuing_unavailable")
            }
            AppError::PrintingUnavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "printing_unavailable")
            }
            AppError::Domain(e) => domain_status(e),
        }
    }
}

fn domain_status(error: &Error) -> (StatusCode, &'static str) {
    match error {
        Error::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
        Error::PinLocked => (StatusCode::LOCKED, "pin_locked"),
        Error::SignInCodeSpent => (StatusCode::GONE, "sign_in_code_spent"),
        Error::WeakPassword(_) => (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
        Error::DocumentMismatch => (StatusCode::UNPROCESSABLE_ENTITY, "document_mismatch"),
        Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        Error::TooManyRecords { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_many_records"),
        Error::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
        Error::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
        Error::WrongStatus { .. } => (StatusCode::CONFLICT, "wrong_status"),
        Error::AppealDecided { .. } => (StatusCode::CONFLICT, "appeal_decided"),
        Error::AlreadyRegistered => (StatusCode::CONFLICT, "already_registered"),
        Error::Appeal(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        Error::NoPartner { .. } => (StatusCode::NOT_FOUND, "no_partner"),
        Error::NotConvertible { why } => (StatusCode::CONFLICT, why.as_str()),
        // Faults of the service, its data or its operator: the detail is logged, not sent.
        Error::Keys(_)
        | Error::Redis(_)
        | Error::RevocationExpired { .. }
        | Error::Qr(_)
        | Error::Png(_)
        | Error::UnknownQrFormat { .. }
        | Error::Fact(_)
        | Error::VectorFile { .. }
        | Error::Io { .. }
        | Error::BadDataKey { .. }
        | Error::DataKeyMismatch { .. }
        | Error::Undecryptable { .. }
        | Error::Corrupt { .. }
        | Error::DatabaseUrl { .. }
        | Error::Db(_)
        | Error::Migrate(_)
        | Error::ImportRows { .. }
        | Error::ImportFile { .. }
        | Error::ImportTooLarge { .. }
        | Error::TaskFailed
        | Error::Thread { .. }
        | Error::RightLost
        | Error::StaffExists { .. }
        | Error::FeedTampered { .. }
        | Error::AuditChainBroken { .. }
        | Error::AuditAnchor(_)
        | Error::Pdf(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// `10 MiB`, `64 KiB`: a body limit as people read it.
fn size_in_words(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// What a client reads when a body is over its route's limit.
fn too_large_message() -> String {
    use crate::model::proof::MAX_PROOF_BYTES;
    format!(
        "the request body is too large: a proof may be at most {}, a visit upload {}, a feed submission {}, other requests {}",
        size_in_words(MAX_PROOF_BYTES),
        size_in_words(super::VISITS_BODY),
        size_in_words(super::FEED_BODY),
        size_in_words(super::SMALL_BODY),
    )
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE
            && matches!(
                self,
                AppError::Json(_) | AppError::Multipart(_) | AppError::NotForm(_)
            ) {
            too_large_message()
        } else if status == StatusCode::INTERNAL_SERVER_ERROR {
            // The detail (a database error, say) is for operators, not clients.
            tracing::error!(error = %self, "internal error");
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let retry_after = match &self {
            AppError::Domain(Error::RateLimited {
                retry_after_seconds,
            }) => Some(*retry_after_seconds),
            _ => None,
        };
        let fields = match self {
            AppError::Fields(fields) => fields,
            AppError::Domain(Error::Appeal(problem)) => {
                vec![FieldError::coded(problem.field(), problem.code(), &problem)]
            }
            _ => Vec::new(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                fields,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_limits_are_said_as_they_are_set() {
        assert_eq!(
            too_large_message(),
            "the request body is too large: a proof may be at most 10 MiB, a visit upload 2 MiB, a feed submission 4 MiB, other requests 64 KiB"
        );
        assert_eq!(size_in_words(1536), "1536 bytes");
    }
}

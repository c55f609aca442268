//! The one error type of the service's handlers: client messages kept, internal ones logged.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// Why a request was not answered with a verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The JSON body does not parse or lacks `token`.
    #[error(
        "request body is not the JSON expected ({{\"token\": \"HC2:...\", \"id_doc\": \"HKID:...\"?, \"date_of_issue\": \"YYYY-MM-DD\"?}}): {0}"
    )]
    BadJson(#[source] serde_json::Error),
    /// The ID document does not parse.
    #[error("id_doc: {0}")]
    BadIdDocument(#[source] healthcode_keys::Error),
    /// The date of issue is not `YYYY-MM-DD`.
    #[error("date_of_issue: {0}")]
    BadDateOfIssue(#[source] healthcode_keys::Error),
    /// A lane id (field or header) that is not 1 to 32 plain characters.
    #[error("lane: {0}")]
    BadLane(#[source] crate::lanes::LabelError),
    /// A date of issue without the document it belongs to.
    #[error("date_of_issue is the date printed on the ID document: send id_doc with it")]
    DateWithoutDocument,
    /// An ID document was sent to a verifier without the identity key.
    #[error("this verifier holds no identity keys, so it cannot check id_doc")]
    NoIdentityKey,
    /// A body that is neither JSON nor PNG/JPEG.
    #[error("unsupported content type {0:?}: send application/json, image/png or image/jpeg")]
    UnsupportedMediaType(String),
    /// A path token id that is not 24 hex digits.
    #[error("{0}")]
    BadTokenId(#[source] healthcode_keys::Error),
    /// No issuer-signed snapshot has reached this verifier yet.
    #[error("no signed revocation snapshot is available yet")]
    NoSnapshot,
    /// The body could not be read (over the size limit, or cut short).
    #[error("{0}")]
    Body(#[source] axum::extract::rejection::BytesRejection),
    /// Every worker is busy (more photos and identity checks at once than the
    /// service runs).
    #[error("too many photos or identity checks at once; try again in a moment")]
    Busy,
    /// The task that decodes a photo or checks an identity died (a bug).
    #[error("internal error")]
    TaskFailed,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            AppError::BadJson(_)
            | AppError::BadIdDocument(_)
            | AppError::BadDateOfIssue(_)
            | AppError::DateWithoutDocument
            | AppError::BadLane(_)
            | AppError::BadTokenId(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::NoIdentityKey => (StatusCode::UNPROCESSABLE_ENTITY, "identity_unavailable"),
            AppError::NoSnapshot => (StatusCode::NOT_FOUND, "no_snapshot"),
            AppError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            AppError::Body(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
            }
            AppError::Body(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::TaskFailed => {
                tracing::error!("a blocking task (photo or identity check) failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let body = json!({"error": {"code": code, "message": self.to_string()}});
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

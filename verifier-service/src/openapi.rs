//! The verifier service's API description, generated from the handlers'
//! annotations. `docs/verifier-openapi.json` is a checked-in copy that a test
//! compares with this; another drives every documented status.
//!
//! The verdict's JSON is written by `healthcode_verifier::Verdict` itself;
//! [`VerdictBody`] describes it for the document, and a unit test holds the
//! two to the same fields.

use axum::Json;
use utoipa::{OpenApi, ToSchema};

use crate::routes;

/// The verifier service's API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hong Kong Health Code checkpoint verifier",
        description = "Checks codes offline against the trust list it holds, with revocations kept current from Redis. Every answer about a code is a verdict; a verifier that cannot know sends the traveller to secondary inspection."
    ),
    paths(
        routes::verify,
        routes::status,
        routes::revocations,
        routes::healthz,
        routes::readyz,
        routes::metrics,
        crate::pages::lanes,
    ),
    components(schemas(ErrorBody, ErrorDetail, VerdictBody, RefusalBody, StatusBody, AdmissionBody)),
    tags((name = "checkpoint", description = "What a checkpoint asks"))
)]
#[derive(Debug)]
pub struct ApiDoc;

/// The document as pretty JSON, with a final newline (as checked in).
pub fn json() -> String {
    let text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    format!("{text}\n")
}

/// `GET /openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The JSON body of every error answer.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// The error.
    error: ErrorDetail,
}

/// A machine-readable code and a message for people.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// `bad_request`, `identity_unavailable`, `no_snapshot`,
    /// `unsupported_media_type`, `too_large`, `busy` or `internal`.
    #[schema(example = "bad_request")]
    code: String,
    /// What is wrong, for people.
    message: String,
}

/// Why a code is not valid.
#[derive(Debug, ToSchema)]
#[schema(as = Refusal)]
#[allow(dead_code)]
pub struct RefusalBody {
    /// The stable code.
    #[schema(inline)]
    code: ErrorCodeName,
    /// What is wrong, for people.
    message: String,
}

/// The stable codes of a refusal.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ErrorCodeName {
    /// Not a token of a known format, or not a readable image.
    Malformed,
    /// The signature does not verify.
    BadSignature,
    /// No trusted key has the token's key id.
    UnknownKey,
    /// The key was revoked in the trust list.
    KeyRevoked,
    /// The key was not valid when the token says it was issued.
    KeyNotValidAtIssue,
    /// Issued in the future beyond clock skew.
    NotYetValid,
    /// The code's day is over.
    Expired,
    /// The code belongs to another ID document (or another date of issue).
    IdentityMismatch,
    /// A document was presented but cannot be checked against this code (no
    /// key for its version or day, or no date of issue): secondary inspection.
    IdentityUnavailable,
    /// No QR code in the image.
    NoQrFound,
    /// The code was revoked.
    Revoked,
    /// The revocation data cannot vouch for the code: secondary inspection.
    RevocationUnavailable,
    /// A test key signed it (refused unless the verifier runs a drill).
    Specimen,
    /// The verifier's trust list has expired.
    TrustListExpired,
}

/// The verdict on one code, as the scanner prints it with `--json`.
#[derive(Debug, ToSchema)]
#[schema(as = Verdict)]
#[allow(dead_code)]
pub struct VerdictBody {
    /// `request`, `image`, or `frame` (a camera frame from the officer's page).
    input: String,
    /// True when nothing refused the code.
    valid: bool,
    /// True when a test key signed it.
    specimen: bool,
    /// The colour, once the signature verified.
    #[schema(value_type = Option<String>, pattern = "^(green|amber|red)$")]
    colour: Option<String>,
    /// The issuing region, once the token parsed.
    #[schema(value_type = Option<String>, pattern = "^(HK|GD|MO)$")]
    issuer: Option<String>,
    /// The key id (8 hex digits), once the token parsed.
    #[schema(value_type = Option<String>, pattern = "^[0-9a-f]{8}$")]
    kid: Option<String>,
    /// The token id (24 hex digits), once the token parsed.
    #[schema(value_type = Option<String>, pattern = "^[0-9a-f]{24}$")]
    token_id: Option<String>,
    /// When issued, in Hong Kong time.
    #[schema(value_type = Option<String>, format = DateTime)]
    issued_at: Option<String>,
    /// Valid up to and including this second, in Hong Kong time.
    #[schema(value_type = Option<String>, format = DateTime)]
    valid_until: Option<String>,
    /// `match`, `mismatch` or `unchecked`.
    #[schema(value_type = String, pattern = "^(match|mismatch|unchecked)$")]
    identity: String,
    /// Why the code is not valid; null when it is.
    error: Option<RefusalBody>,
    /// `not_revoked`, `revoked`, `unknown` (stale, never synced, or an id not yet authentic).
    #[schema(value_type = String, pattern = "^(not_revoked|revoked|unknown|unchecked)$")]
    revocation: String,
    /// Why revoked.
    #[schema(
        value_type = Option<String>,
        pattern = "^(superseded|risk_changed|issued_in_error|holder_request|fraud)$"
    )]
    revocation_reason: Option<String>,
    /// When the revocation data was last known complete (UTC).
    #[schema(value_type = Option<String>, format = DateTime)]
    revocation_as_of: Option<String>,
    /// True when that is older than the verifier's limit.
    revocation_stale: bool,
    /// What the officer does, by the checkpoint's policy: present only when
    /// the verifier runs with `--policy` (docs/admission.md).
    admission: Option<AdmissionBody>,
}

/// What the officer does with the traveller.
#[derive(Debug, ToSchema)]
#[schema(as = Admission)]
#[allow(dead_code)]
pub struct AdmissionBody {
    /// `admit`, `secondary` (secondary inspection) or `refuse`.
    #[schema(value_type = String, pattern = "^(admit|secondary|refuse)$")]
    decision: String,
    /// Why: `colour_green`, `identity_unchecked`, `specimen`,
    /// `issued_too_long_ago`, or the verdict's error code.
    reason: String,
    /// The policy's name.
    policy: String,
}

/// What the revocation data says of one code.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct StatusBody {
    /// The token id.
    token_id: String,
    /// `not_revoked`, `revoked` or `unknown`.
    #[schema(value_type = String, pattern = "^(not_revoked|revoked|unknown)$")]
    revocation: String,
    /// Why, when revoked.
    reason: Option<String>,
    /// When, when revoked (UTC).
    #[schema(value_type = Option<String>, format = DateTime)]
    revoked_at: Option<String>,
    /// When the data was last known complete (UTC).
    #[schema(value_type = Option<String>, format = DateTime)]
    revocation_as_of: Option<String>,
    /// True when that is older than the verifier's limit.
    revocation_stale: bool,
}

#[cfg(test)]
mod tests {
    use healthcode_verifier::{ErrorCode, Verdict};

    use super::*;

    fn schema_properties(name: &str) -> Vec<String> {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        let mut names: Vec<String> = doc["components"]["schemas"][name]["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn the_described_verdict_has_the_fields_a_verdict_serialises() {
        let json = serde_json::to_value(Verdict::unreadable("request", "x")).unwrap_or_default();
        let mut fields: Vec<String> = json
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        // `admission` is added by the service when it runs with a policy.
        fields.push("admission".to_owned());
        fields.sort();
        assert_eq!(schema_properties("Verdict"), fields);
    }

    #[test]
    fn every_error_code_is_described() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        let code = &doc["components"]["schemas"]["Refusal"]["properties"]["code"];
        let described = code["enum"]
            .as_array()
            .or_else(|| code["oneOf"][0]["enum"].as_array())
            .cloned()
            .unwrap_or_default();
        let mut described: Vec<String> = described
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        described.sort();
        let mut codes: Vec<String> = ErrorCode::all().map(|c| c.as_str().to_owned()).collect();
        codes.sort();
        assert_eq!(described, codes);
    }
}

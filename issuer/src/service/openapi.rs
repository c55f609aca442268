//! The API description, generated from the handlers and their types, so it
//! cannot drift from the code. `docs/openapi.json` is a checked-in copy that a
//! test compares with this.

use axum::Json;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use super::{
    account_routes, appeal_routes, code_routes, counter_routes, feed_routes, resident_routes,
    staff_routes, web,
};

/// The issuer's API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Hong Kong Health Code issuer", description = "Resident accounts: registration, verification, activation, visit records; applying for a code; the health authority's and immigration department's records; and the staff who verify and submit them."),
    paths(
        resident_routes::register, resident_routes::activate, resident_routes::resend_pin,
        resident_routes::login, resident_routes::login_code, resident_routes::extend_session,
        resident_routes::logout, resident_routes::me,
        account_routes::set_language, account_routes::change_password,
        account_routes::request_phone_change, account_routes::confirm_phone,
        account_routes::export, account_routes::close,
        resident_routes::upload_visits, resident_routes::list_visits,
        staff_routes::review_queue, staff_routes::application, staff_routes::proof,
        staff_routes::approve, staff_routes::reject, staff_routes::post_office_confirm,
        staff_routes::sms_outbox, staff_routes::audit_log,
        code_routes::apply_for_code, code_routes::todays_code, web::code_page::todays_code_pdf,
        code_routes::convert_code,
        feed_routes::submit_feed,
        feed_routes::list_designations,
        appeal_routes::lodge, appeal_routes::list, appeal_routes::queue,
        appeal_routes::case, appeal_routes::evidence, appeal_routes::decide,
        counter_routes::lookup, counter_routes::register, counter_routes::apply, counter_routes::print,
    ),
    modifiers(&Security),
    tags(
        (name = "residents", description = "What applicants and residents do"),
        (name = "codes", description = "A resident's Health Code: applying, and seeing it again"),
        (name = "feeds", description = "Records from the health authority and the immigration department; no route sets a colour"),
        (name = "staff", description = "What staff do; every call is audited"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            "session",
            bearer("A resident's session token from /v1/login (or the hc_session cookie)"),
        );
        components.add_security_scheme(
            "staff",
            bearer("A staff token (hcstaff_...) from `issuer staff add`"),
        );
    }
}

/// The document as pretty JSON, with a final newline (as checked in).
pub fn json() -> String {
    let text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    format!("{text}\n")
}

/// `GET /openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

//! Untrusted requests never panic or fail inside: arbitrary bodies to every
//! resident route, through the real router over a real SQLite file
//! (proptest in place of a fuzzer on stable Rust). Whatever they send, the
//! answer is a 2xx or a 4xx, and the audit chain stays whole.

mod common;

use std::sync::OnceLock;

use axum::{
    body::Body,
    http::{Request, header},
};
use common::{NOW, Service, service};
use healthcode_issuer::model::{VISIT_WINDOW, VisitRecord};
use proptest::prelude::*;
use tower::ServiceExt as _;

fn fixture() -> &'static Service {
    static FIXTURE: OnceLock<Service> = OnceLock::new();
    FIXTURE.get_or_init(service)
}

fn status_of(path: &str, content_type: &str, body: Vec<u8>) -> u16 {
    let fixture = fixture();
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = fixture
        .runtime
        .block_on(fixture.router.clone().oneshot(request))
        .unwrap_or_else(|e| match e {});
    response.status().as_u16()
}

fn form(fields: &[(String, String)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--x\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .bytes(),
        );
    }
    body.extend(b"--x--\r\n");
    body
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_as_a_registration_form(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let status = status_of("/v1/registrations", "multipart/form-data; boundary=x", bytes);
        prop_assert!((400..500).contains(&status), "{status}");
    }

    #[test]
    fn arbitrary_fields_in_a_registration_form(
        fields in proptest::collection::vec(
            ("(name|id_type|id_number|date_of_issue|phone|address|proof|[a-z]{1,8})", "\\PC{0,80}"),
            0..9,
        )
    ) {
        let status = status_of("/v1/registrations", "multipart/form-data; boundary=x", form(&fields));
        prop_assert!(status == 202 || (400..500).contains(&status), "{status}");
    }

    #[test]
    fn arbitrary_json_to_activation_login_and_resend(text in "\\PC{0,300}", route in 0..3usize) {
        let path = ["/v1/activation", "/v1/login", "/v1/activation/pin"][route];
        let status = status_of(path, "application/json", text.into_bytes());
        prop_assert!((400..500).contains(&status), "{status}");
    }

    #[test]
    fn plausible_json_to_activation(
        id_type in "(HKID|PERMIT|PASSPORT-GBR|\\PC{0,6})",
        id_number in "\\PC{0,14}",
        pin in "\\PC{0,8}",
        password in "\\PC{0,140}",
    ) {
        let body = serde_json::json!({"id_type": id_type, "id_number": id_number, "pin": pin, "password": password});
        let status = status_of("/v1/activation", "application/json", body.to_string().into_bytes());
        prop_assert!((400..500).contains(&status), "{status}");
    }

    #[test]
    fn a_visit_record_is_accepted_only_inside_the_window(
        offset_seconds in -40 * 86_400i64..86_400,
        venue in "\\PC{0,70}",
        name in "\\PC{0,210}",
        with_offset in any::<bool>(),
    ) {
        let at = NOW + time::Duration::seconds(offset_seconds);
        let text = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let check_in = if with_offset { text } else { text.trim_end_matches('Z').to_owned() };
        let record = serde_json::json!({"venue_id": venue, "venue_name": name, "check_in": check_in});
        if let Ok(visit) = VisitRecord::check(record, NOW) {
            prop_assert!(visit.check_in > NOW - VISIT_WINDOW && visit.check_in <= NOW);
            prop_assert!(with_offset);
        }
    }
}

#[test]
fn after_all_that_the_audit_chain_is_whole() {
    let fixture = fixture();
    let valid = [
        ("name", "CHAN Tai Man"),
        ("id_type", "HKID"),
        ("id_number", "A123456(3)"),
        ("date_of_issue", "2018-03-01"),
        ("phone", "9123 4567"),
        ("address", "Flat 1, Some House"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let status = status_of(
        "/v1/registrations",
        "multipart/form-data; boundary=x",
        form(&valid),
    );
    assert_eq!(status, 202);
    let entries = fixture
        .runtime
        .block_on(fixture.store.verify_audit_chain())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(entries >= 1, "the registration was audited");
}

//! Untrusted feed submissions never fail inside: arbitrary bodies and
//! plausible but hostile records to every feed route, through the real router
//! over a real SQLite file. The answer is a 2xx or a 4xx; a record either is
//! stored exactly as sent (to the second) or is refused with a reason; and
//! afterwards the feed digests and the audit chain still verify.

mod common;

use std::sync::OnceLock;

use axum::{
    body::Body,
    http::{Request, header},
};
use common::{NOW, Service, service};
use healthcode_issuer::model::Role;
use proptest::prelude::*;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use tower::ServiceExt as _;

/// The service, and a health authority staff token.
struct Fixture {
    service: Service,
    authority: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let service = service();
        let authority = service
            .runtime
            .block_on(service.store.add_staff("hana", Role::HealthAuthority, NOW))
            .unwrap_or_else(|e| panic!("{e}"));
        Fixture { service, authority }
    })
}

/// POSTs `body` to `path` as the health authority; (status, JSON answer).
fn post(path: &str, body: Vec<u8>) -> (u16, Value) {
    let fixture = fixture();
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", fixture.authority),
        )
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    fixture.service.runtime.block_on(async {
        let response = fixture
            .service
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    })
}

/// A valid HKID number for `n`.
fn hkid(n: u32) -> String {
    let body = format!("K{:06}", n % 1_000_000);
    let check = healthcode_keys::identity::hkid_check_digit(&body).unwrap_or('?');
    format!("HKID:{body}({check})")
}

fn time_text(seconds: i64, with_offset: bool) -> String {
    let text = (NOW + time::Duration::seconds(seconds))
        .format(&Rfc3339)
        .unwrap_or_default();
    if with_offset {
        text
    } else {
        text.trim_end_matches('Z').to_owned()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bodies_to_every_feed_route(text in "\\PC{0,400}", route in 0..3usize) {
        let path = ["/v1/feeds/statuses", "/v1/feeds/designations", "/v1/feeds/arrivals"][route];
        let (status, _) = post(path, text.into_bytes());
        prop_assert!((400..500).contains(&status), "{status}");
    }

    #[test]
    fn arbitrary_values_as_records(records in proptest::collection::vec(
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            "\\PC{0,40}".prop_map(Value::from),
            ("\\PC{0,12}", "\\PC{0,30}").prop_map(|(k, v)| json!({ k: v })),
        ],
        0..20,
    ), route in 0..2usize) {
        let path = ["/v1/feeds/statuses", "/v1/feeds/designations"][route];
        let body = json!({ "records": records }).to_string().into_bytes();
        let (status, summary) = post(path, body);
        prop_assert_eq!(status, 200);
        prop_assert_eq!(summary["refused"].as_array().map(Vec::len), Some(records.len()));
    }

    #[test]
    fn a_status_is_stored_exactly_or_refused_with_a_reason(
        person in 0u32..1_000_000,
        kind in "(confirmed_case|close_contact|symptoms|discharged|\\PC{0,12})",
        start in -40 * 86_400i64..86_400,
        length in proptest::option::of(-86_400i64..40 * 86_400),
        with_offset in any::<bool>(),
    ) {
        let id = hkid(person);
        let end = length.map(|l| time_text(start + l, true));
        let record = json!({"id_document": id, "kind": kind, "start": time_text(start, with_offset), "end": end});
        let (status, summary) = post("/v1/feeds/statuses", json!({"records": [record]}).to_string().into_bytes());
        prop_assert_eq!(status, 200);
        let stored = summary["stored"].as_u64().unwrap_or(0) + summary["unchanged"].as_u64().unwrap_or(0);
        let valid = with_offset
            && length.is_none_or(|l| l >= 0)
            && ["confirmed_case", "close_contact", "symptoms", "discharged"].contains(&kind.as_str());
        prop_assert_eq!(stored == 1, valid, "{}", summary);
        if valid {
            let fixture = fixture();
            let held = fixture.service.runtime.block_on(async {
                let mut conn = fixture.service.store.pool().acquire().await?;
                let document = id.parse().map_err(healthcode_issuer::Error::from)?;
                let index = fixture.service.store.document_index(&document);
                fixture.service.store.statuses_of(&mut conn, &[index]).await
            });
            let held: Vec<_> = held.unwrap_or_default().into_iter().map(|(_, s)| s).collect();
            let at = |s: i64| NOW + time::Duration::seconds(s);
            prop_assert!(held.iter().any(|s| s.kind.as_str() == kind
                && s.start == at(start)
                && s.end == length.map(|l| at(start + l))), "{:?}", held);
        } else {
            prop_assert_eq!(summary["refused"][0]["index"].as_u64(), Some(0));
        }
    }
}

#[test]
fn after_all_that_the_feed_records_and_the_audit_chain_verify() {
    let place =
        json!({"records": [{"place": "venue-1", "start": "2022-12-01T00:00:00Z", "end": null}]});
    let (status, _) = post("/v1/feeds/designations", place.to_string().into_bytes());
    assert_eq!(status, 200);
    let fixture = fixture();
    let (records, batches) = fixture
        .service
        .runtime
        .block_on(fixture.service.store.verify_feeds())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(records >= 1 && batches >= 1);
    let entries = fixture
        .service
        .runtime
        .block_on(fixture.service.store.verify_audit_chain())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(entries as usize > batches, "every submission is audited");
}

//! The counter for residents without a smartphone, over the API of a real
//! `issuer serve`: registered by the document in hand, found again by it,
//! today's code applied for with consent and printed; the printed page
//! (rendered by poppler) verifies at a real verifier. Every step audited
//! with the counter staff member.

use serde_json::{Value, json};

use crate::{
    codes::{issuer_args, start_issuer},
    issuer_server::{IssuerServer, Person},
    printing::page_image,
    support::KeySet,
    verifier_service::Verifier,
};

fn registration(person: &Person, consent: bool) -> Value {
    json!({"name": person.name, "id_type": "HKID", "id_number": person.id_number,
           "date_of_issue": person.date_of_issue, "phone": person.phone, "address": person.address,
           "language": "zh-HK", "consent": consent})
}

fn field_of(body: &Value) -> &str {
    body["error"]["fields"][0]["field"]
        .as_str()
        .unwrap_or_default()
}

/// POSTs `png` to the verifier as a photo of a code.
fn verify_photo(verifier: &Verifier, png: &[u8]) -> Value {
    let response = ureq::post(&format!("{}/v1/verify", verifier.base))
        .set("content-type", "image/png")
        .send_bytes(png);
    match response {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r.into_json().unwrap_or(Value::Null),
        Err(e) => panic!("transport error: {e}"),
    }
}

fn audited(server: &IssuerServer, admin: &str) -> Vec<(String, String)> {
    let (_, entries) = server.get("/v1/staff/audit?limit=200", Some(admin));
    entries
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (text("actor"), text("action"))
        })
        .collect()
}

#[test]
fn a_resident_without_a_smartphone_is_registered_served_and_printed_at_a_counter() {
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, None));
    let verifier = Verifier::start(&keys, &[]);
    let clerk = server.staff("cora", "counter");
    let reviewer = server.staff("rita", "reviewer");
    let admin = server.staff("ada", "admin");
    let person = Person::hkid();

    // Consent first, the counter role only, every field checked.
    let register = |body: &Value, token: &str| {
        server.post("/v1/staff/counter/registrations", body, Some(token))
    };
    let (status, body) = register(&registration(&person, false), &clerk);
    assert_eq!((status, field_of(&body)), (422, "consent"), "{body}");
    assert_eq!(register(&registration(&person, true), &reviewer).0, 403);
    let mut bad = registration(&person, true);
    bad["id_number"] = json!("A123456(4)");
    let (status, body) = register(&bad, &clerk);
    assert_eq!((status, field_of(&body)), (422, "id_number"), "{body}");

    let (status, registered) = register(&registration(&person, true), &clerk);
    assert_eq!(status, 201, "{registered}");
    assert_eq!(registered["name"], person.name.as_str());
    let reference = registered["reference"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, again) = register(&registration(&person, true), &clerk);
    assert_eq!(
        (status, &again["error"]["code"]),
        (409, &json!("already_registered")),
        "{again}"
    );

    // Found again by the card in hand: number and date of issue.
    let lookup = |date: &str| {
        let shown =
            json!({"id_type": "HKID", "id_number": person.id_number, "date_of_issue": date});
        server.post("/v1/staff/counter/lookup", &shown, Some(&clerk))
    };
    assert_eq!(lookup("2001-01-01").0, 404, "another card");
    let (status, found) = lookup(&person.date_of_issue);
    assert_eq!(
        (status, &found["reference"]),
        (200, &json!(reference)),
        "{found}"
    );
    assert_eq!(found["language"], "zh-HK");

    // No valid code, nothing to print; then the code, with consent.
    let pdf_path = format!("/v1/staff/counter/{reference}/code.pdf");
    assert_eq!(server.get_bytes(&pdf_path, &clerk).0, 404);
    let apply_path = format!("/v1/staff/counter/{reference}/codes");
    let (status, body) = server.post(&apply_path, &json!({"consent": false}), Some(&clerk));
    assert_eq!((status, field_of(&body)), (422, "consent"), "{body}");
    let (status, code) = server.post(&apply_path, &json!({"consent": true}), Some(&clerk));
    assert_eq!(status, 201, "{code}");
    assert_eq!(code["colour"], "green");

    // Printed, rendered by poppler, and checked at the checkpoint's verifier.
    let (status, kind, pdf) = server.get_bytes(&pdf_path, &clerk);
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert_eq!(server.get_bytes(&pdf_path, &reviewer).0, 403);
    let file = server.dir.path().join("counter.pdf");
    std::fs::write(&file, &pdf).unwrap_or_else(|e| panic!("{e}"));
    let png = std::fs::read(page_image(&file, 150)).unwrap_or_default();
    let checked = verify_photo(&verifier, &png);
    assert_eq!(checked["valid"], true, "{checked}");
    assert_eq!(checked["colour"], "green", "{checked}");
    assert_eq!(checked["token_id"], code["token_id"], "{checked}");

    // No password: the account cannot be signed in to online.
    let (status, _) = server.post(
        "/v1/login",
        &person.with(json!({"password": "any password at all"})),
        None,
    );
    assert_eq!(status, 401);

    // Each step is the counter staff member's, in the audit log.
    let actions = audited(&server, &admin);
    for action in [
        "registered_at_counter",
        "counter_account_viewed",
        "code_applied_at_counter",
        "counter_code_printed",
    ] {
        assert!(
            actions
                .iter()
                .any(|(actor, a)| a == action && actor.starts_with("staff:")),
            "{action} in {actions:?}"
        );
    }
    assert!(server.cli(&["audit", "verify"]).status.success());
}

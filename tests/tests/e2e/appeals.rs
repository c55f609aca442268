//! Appeals over the API against a real `issuer serve`, a real Redis and a
//! real verifier: an upheld appeal corrects the record through a feed
//! version and the code issued on it stops at the checkpoint; a rejected
//! one changes nothing; bad appeals are refused by field.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    codes::{apply, brief, resident},
    issuer_server::{IssuerServer, PASSWORD, Person, png_proof},
    resident_account::{issuer_to_checkpoint, newest_sms},
};

/// Lodges an appeal as the holder of `session` (multipart, as the page sends it).
pub fn lodge(
    server: &IssuerServer,
    session: &str,
    fields: &[(&str, &str)],
    evidence: Option<(&str, &[u8])>,
) -> (u16, Value) {
    let (content_type, body) =
        healthcode_tests::accounts::multipart_with("evidence", fields, evidence);
    let response = ureq::post(&server.url("/v1/appeals"))
        .set("authorization", &format!("Bearer {session}"))
        .set("content-type", &content_type)
        .send_bytes(&body);
    match response {
        Ok(r) | Err(ureq::Error::Status(_, r)) => {
            let status = r.status();
            (status, r.into_json().unwrap_or(Value::Null))
        }
        Err(e) => panic!("transport error: {e}"),
    }
}

/// Records a close-contact status from yesterday for `person`, as the health authority.
pub fn close_contact(server: &IssuerServer, authority: &str, person: &Person) {
    let yesterday =
        crate::accounts::rfc3339(time::OffsetDateTime::now_utc() - time::Duration::days(1));
    let status = json!({"records": [{"id_document": format!("HKID:{}", person.id_number),
        "kind": "close_contact", "start": yesterday, "end": null}]});
    let (code, body) = server.post("/v1/feeds/statuses", &status, Some(authority));
    assert_eq!((code, &body["stored"]), (200, &json!(1)), "{body}");
}

fn field_of(body: &Value) -> (&str, &str) {
    (
        body["error"]["code"].as_str().unwrap_or_default(),
        body["error"]["fields"][0]["field"]
            .as_str()
            .unwrap_or_default(),
    )
}

#[test]
fn an_upheld_appeal_corrects_the_status_and_the_code_stops_at_the_checkpoint() {
    let (_redis, _keys, server, verifier) = issuer_to_checkpoint();
    let authority = server.staff("hana", "health_authority");
    let immigration = server.staff("ivan", "immigration");
    let (person, session) = resident(&server, &[]);
    close_contact(&server, &authority, &person);
    let amber = apply(&server, &session);
    assert_ne!(amber["colour"], "green", "{}", brief(&amber));
    let token = amber["token"].as_str().unwrap_or_default().to_owned();

    let statement = "I was not in Hong Kong on that day.\nMy boarding pass is attached.";
    let fields = [("ground", "status"), ("statement", statement)];
    let (status, lodged) = lodge(&server, &session, &fields, Some(("pass.png", &png_proof())));
    assert_eq!(status, 201, "{lodged}");
    assert_eq!(
        (&lodged["state"], &lodged["evidence"]),
        (&json!("open"), &json!(true))
    );
    let reference = lodged["reference"].as_str().unwrap_or_default().to_owned();

    // Immigration decides arrivals only: not in its queue, not its to read.
    let (_, queue) = server.get("/v1/staff/appeals", Some(&immigration));
    assert_eq!(queue, json!([]), "{queue}");
    let case_path = format!("/v1/staff/appeals/{reference}");
    assert_eq!(server.get(&case_path, Some(&immigration)).0, 403);
    let ruling = json!({"outcome": "rejected", "reason": "no"});
    let decision_path = format!("{case_path}/decision");
    assert_eq!(
        server.post(&decision_path, &ruling, Some(&immigration)).0,
        403
    );
    // A resident session is not a staff token.
    assert_eq!(server.get("/v1/staff/appeals", Some(&session)).0, 401);

    let (_, queue) = server.get("/v1/staff/appeals", Some(&authority));
    assert_eq!(queue[0]["reference"], reference.as_str(), "{queue}");
    assert_eq!(queue[0]["overdue"], false);
    let (status, case) = server.get(&case_path, Some(&authority));
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["appeal"]["statement"], statement);
    let records = case["records"].as_array().cloned().unwrap_or_default();
    assert_eq!(records.len(), 1, "{case}");
    assert_eq!(records[0]["kind"], "close_contact");
    let (status, kind, bytes) = server.get_bytes(&format!("{case_path}/evidence"), &authority);
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    assert_eq!(bytes, png_proof());

    // Upheld: the status is withdrawn as a new version; the amber code was issued in error.
    let ruling = json!({"outcome": "upheld", "reason": "The boarding pass shows you were abroad.",
        "record": records[0]["reference"], "correction": "withdraw"});
    let (status, decided) = server.post(&decision_path, &ruling, Some(&authority));
    assert_eq!(status, 200, "{decided}");
    assert_eq!(
        (&decided["state"], &decided["codes_revoked"]),
        (&json!("upheld"), &json!(1))
    );
    let took = verifier.time_until_revoked(&token, Duration::from_secs(2));
    eprintln!("appeal upheld to revoked at the checkpoint: {took:?}");
    let (_, checked) = verifier.verify(&token);
    assert_eq!(
        (&checked["valid"], &checked["revocation"]),
        (&json!(false), &json!("revoked")),
        "{checked}"
    );
    let sms = newest_sms(&server, &person.phone_e164, "appeal").unwrap_or_default();
    assert!(sms.contains("upheld"), "{sms}");
    let green = apply(&server, &session);
    assert_eq!(green["colour"], "green", "{}", brief(&green));

    // The resident sees the outcome; a decision is final.
    let (_, mine) = server.get("/v1/appeals", Some(&session));
    assert_eq!(mine[0]["state"], "upheld", "{mine}");
    assert_eq!(
        mine[0]["reason"],
        "The boarding pass shows you were abroad."
    );
    let (status, again) = server.post(&decision_path, &ruling, Some(&authority));
    assert_eq!(
        (status, field_of(&again).0),
        (409, "appeal_decided"),
        "{again}"
    );

    // The correction is a feed batch in the chain; the reads are the resident's to see.
    assert!(server.cli(&["audit", "verify"]).status.success());
    let (status, held) = server.post(
        "/v1/account/export",
        &json!({"password": PASSWORD}),
        Some(&session),
    );
    assert_eq!(status, 200);
    assert_eq!(held["appeals"][0]["state"], "upheld", "{}", held["appeals"]);
    let reads: Vec<&str> = held["audit"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["by"] == "staff")
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["appeal_viewed", "appeal_evidence_viewed", "appeal_upheld"] {
        assert!(reads.contains(&action), "{action} in {reads:?}");
    }
    assert!(
        !held["audit"].to_string().contains("hana"),
        "staff by role only"
    );
}

#[test]
fn a_rejected_appeal_changes_nothing_and_bad_appeals_are_refused() {
    let (_redis, _keys, server, verifier) = issuer_to_checkpoint();
    let authority = server.staff("hana", "health_authority");
    let (person, session) = resident(&server, &[]);
    close_contact(&server, &authority, &person);
    let amber = apply(&server, &session);
    let token = amber["token"].as_str().unwrap_or_default().to_owned();

    // Hostile and malformed appeals: refused by field, nothing stored.
    let good = [("ground", "status"), ("statement", "Not me.")];
    let html = b"<html><script>alert(1)</script></html>".as_slice();
    type Refusal<'a> = (
        &'a [(&'a str, &'a str)],
        Option<(&'a str, &'a [u8])>,
        u16,
        (&'a str, &'a str),
    );
    let refusals: [Refusal<'_>; 6] = [
        (&good, Some(("x.pdf", html)), 422, ("invalid", "evidence")),
        (
            &[("ground", "colour"), ("statement", "x")],
            None,
            422,
            ("invalid", "ground"),
        ),
        (&[("statement", "x")], None, 422, ("invalid", "ground")),
        (
            &[("ground", "status"), ("statement", " \n ")],
            None,
            422,
            ("invalid", "statement"),
        ),
        (
            &[("ground", "status"), ("statement", "a\u{202E}b")],
            None,
            422,
            ("invalid", "statement"),
        ),
        (
            &[("ground", "status"), ("statement", "x"), ("admin", "1")],
            None,
            422,
            ("invalid", "admin"),
        ),
    ];
    for (fields, evidence, status, expected) in refusals {
        let (got, body) = lodge(&server, &session, fields, evidence);
        assert_eq!(
            (got, field_of(&body)),
            (status, expected),
            "{fields:?}: {body}"
        );
    }
    // Over the body limit: refused before it is sent. Under it but over the
    // evidence limit: refused at the field.
    let (status, body) = crate::accounts_abuse::announce_upload(&server, "/v1/appeals", 50 << 20);
    assert_eq!(status, 413, "{body}");
    let over = vec![b'%'; (10 << 20) + 1];
    let (status, body) = lodge(&server, &session, &good, Some(("big.pdf", &over)));
    assert_eq!(
        (status, field_of(&body)),
        (422, ("invalid", "evidence")),
        "{body}"
    );
    assert_eq!(lodge(&server, "not-a-session", &good, None).0, 401);
    let (_, mine) = server.get("/v1/appeals", Some(&session));
    assert_eq!(mine, json!([]), "nothing stored: {mine}");

    // In Chinese, so the decision's SMS is too.
    let language = ureq::put(&server.url("/v1/account/language"))
        .set("authorization", &format!("Bearer {session}"))
        .send_json(json!({"language": "zh-HK"}));
    assert!(language.is_ok(), "{language:?}");
    let (status, lodged) = lodge(&server, &session, &good, None);
    assert_eq!(status, 201, "{lodged}");
    let (status, twice) = lodge(&server, &session, &good, None);
    assert_eq!(
        (status, field_of(&twice)),
        (422, ("invalid", "ground")),
        "{twice}"
    );
    let reference = lodged["reference"].as_str().unwrap_or_default();
    let decision_path = format!("/v1/staff/appeals/{reference}/decision");
    let bad_rulings = [
        (
            json!({"outcome": "upheld", "reason": "ok"}),
            ("invalid", "record"),
        ),
        (
            json!({"outcome": "upheld", "reason": "ok", "record": "ffffffffffffffff"}),
            ("invalid", "record"),
        ),
        (
            json!({"outcome": "rejected", "reason": ""}),
            ("invalid", "reason"),
        ),
        (
            json!({"outcome": "upheld", "reason": "ok", "correction": "end", "end": "yesterday"}),
            ("invalid", "end"),
        ),
        (json!({"outcome": "maybe", "reason": "ok"}), ("invalid", "")),
    ];
    for (ruling, expected) in bad_rulings {
        let (status, body) = server.post(&decision_path, &ruling, Some(&authority));
        assert_eq!(status, 422, "{ruling}: {body}");
        assert_eq!(field_of(&body).1, expected.1, "{ruling}: {body}");
    }
    let ruling = json!({"outcome": "rejected", "reason": "紀錄正確。"});
    let (status, decided) = server.post(&decision_path, &ruling, Some(&authority));
    assert_eq!(status, 200, "{decided}");
    assert_eq!(
        (&decided["codes_revoked"], &decided["batch"]),
        (&json!(0), &Value::Null)
    );
    let sms = newest_sms(&server, &person.phone_e164, "appeal").unwrap_or_default();
    assert!(sms.contains("不獲接納"), "{sms}");

    // Everything stands: the code at the checkpoint, the colour of the next code.
    let (_, checked) = verifier.verify(&token);
    assert_eq!(checked["revocation"], "not_revoked", "{checked}");
    let next = apply(&server, &session);
    assert_eq!(next["colour"], amber["colour"], "{}", brief(&next));
    let (_, mine) = server.get("/v1/appeals", Some(&session));
    assert_eq!(
        (&mine[0]["state"], &mine[0]["reason"]),
        (&json!("rejected"), &json!("紀錄正確。"))
    );
}

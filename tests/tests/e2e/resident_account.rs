//! Issue 14's account pieces over the API against a real `issuer serve`:
//! the SMS code at sign-in, the session's extension, and what a resident
//! changes (language, phone, password), with the SMS read from the real
//! outbox and the audit from the real log.

use serde_json::{Value, json};

use crate::{
    accounts::registered_tenant,
    codes::{apply, issuer_args, resident, start_issuer},
    issuer_server::{IssuerServer, PASSWORD, Person, RELAXED, pin_in, png_proof},
    support::KeySet,
    verifier_service::{Verifier, wait_connected},
};

/// PUTs JSON as the holder of `session`.
fn put(server: &IssuerServer, path: &str, body: &Value, session: &str) -> (u16, Value) {
    match ureq::put(&server.url(path))
        .set("authorization", &format!("Bearer {session}"))
        .send_json(body.clone())
    {
        Ok(r) | Err(ureq::Error::Status(_, r)) => {
            let status = r.status();
            (status, r.into_json().unwrap_or(Value::Null))
        }
        Err(e) => panic!("transport error: {e}"),
    }
}

/// The newest SMS of `purpose` to `phone`: its body.
pub fn newest_sms(server: &IssuerServer, phone: &str, purpose: &str) -> Option<String> {
    server
        .outbox()
        .into_iter()
        .find(|m| m["phone"] == phone && m["purpose"] == purpose)
        .and_then(|m| m["body"].as_str().map(str::to_owned))
}

fn challenge(server: &IssuerServer, person: &Person, password: &str) -> (u16, Value) {
    server.post(
        "/v1/login",
        &person.with(json!({ "password": password })),
        None,
    )
}

fn code(server: &IssuerServer, challenge: &Value, code: &str) -> (u16, Value) {
    server.post(
        "/v1/login/code",
        &json!({ "challenge": challenge["challenge"], "code": code }),
        None,
    )
}

fn activated(server: &IssuerServer) -> Person {
    let (person, pin) = registered_tenant(server);
    assert_eq!(person.activate(server, &pin).0, 204);
    person
}

#[test]
fn the_sms_code_is_bound_to_its_challenge_works_once_and_dies_after_five_wrong_tries() {
    let server = IssuerServer::start(RELAXED);
    let person = activated(&server);

    // A wrong password sends nothing.
    assert_eq!(
        challenge(&server, &person, "not the password at all").0,
        401
    );
    assert_eq!(newest_sms(&server, &person.phone_e164, "sign_in"), None);

    let (status, first) = challenge(&server, &person, PASSWORD);
    assert_eq!(status, 202, "{first}");
    assert!(
        first.get("token").is_none(),
        "no session before the code: {first}"
    );
    let text = newest_sms(&server, &person.phone_e164, "sign_in").unwrap_or_default();
    assert!(
        text.starts_with("Hong Kong Health Code: your sign-in code is"),
        "{text}"
    );
    let right = pin_in(&text).unwrap_or_default();
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };

    // Malformed answers are refused without a try counted against the code.
    assert_eq!(code(&server, &first, "12ab56").0, 401);
    assert_eq!(
        code(&server, &json!({"challenge": "x".repeat(200)}), &right).0,
        401
    );
    let (status, _) = server.post(
        "/v1/login/code",
        &json!({"challenge": first["challenge"], "code": right, "extra": 1}),
        None,
    );
    assert_eq!(status, 422, "unknown fields are refused");
    // The code is not good for another challenge.
    assert_eq!(code(&server, &json!({"challenge": "AAAA"}), &right).0, 410);

    // Four wrong tries are told as wrong; the fifth kills the challenge, and
    // then even the right code opens nothing.
    for _ in 0..4 {
        assert_eq!(code(&server, &first, wrong).0, 401);
    }
    let (status, body) = code(&server, &first, wrong);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (410, Some("sign_in_code_spent")),
        "{body}"
    );
    assert_eq!(code(&server, &first, &right).0, 410);

    // A new sign-in: a new code; the right one opens a session, once.
    let (_, second) = challenge(&server, &person, PASSWORD);
    let fresh = server.sms_code(&person.phone_e164).unwrap_or_default();
    let (status, session) = code(&server, &second, &fresh);
    assert_eq!(status, 200, "{session}");
    assert_eq!(code(&server, &second, &fresh).0, 410, "a code works once");
    let token = session["token"].as_str().unwrap_or_default();
    let (status, me) = server.get("/v1/me", Some(token));
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["language"], "en");
    assert_eq!(
        me["phone_ending"],
        &person.phone_e164[person.phone_e164.len() - 4..]
    );
}

fn minutes_left(me: &Value) -> i64 {
    let ends = me["session_expires_at"].as_str().unwrap_or_default();
    let ends = time::OffsetDateTime::parse(ends, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{ends}: {e}"));
    (ends - time::OffsetDateTime::now_utc()).whole_minutes()
}

#[test]
fn a_session_lasts_45_minutes_and_is_extended_on_request() {
    let server = IssuerServer::start(RELAXED);
    let person = activated(&server);
    let session = person.login(&server);
    let (_, me) = server.get("/v1/me", Some(&session));
    let left = minutes_left(&me);
    assert!((43..=45).contains(&left), "{left} minutes: {me}");
    let (status, extended) = server.post("/v1/session", &json!({}), Some(&session));
    assert_eq!(status, 200, "{extended}");
    assert_eq!(extended["token"], session.as_str(), "the same session");
    assert!(extended["expires_at"].as_str() >= me["session_expires_at"].as_str());
    assert_eq!(server.post("/v1/session", &json!({}), Some("nope")).0, 401);
    assert_eq!(server.post("/v1/logout", &json!({}), Some(&session)).0, 204);
    assert_eq!(
        server.post("/v1/session", &json!({}), Some(&session)).0,
        401,
        "an ended session cannot be brought back"
    );
}

#[test]
fn a_resident_changes_language_phone_and_password_and_each_is_checked_and_audited() {
    let server = IssuerServer::start(RELAXED);
    let person = activated(&server);
    let session = person.login(&server);
    let other = person.login(&server);

    // Language: only the two; the next SMS is in Chinese.
    let (status, body) = put(
        &server,
        "/v1/account/language",
        &json!({"language": "fr"}),
        &session,
    );
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (422, Some("language")),
        "{body}"
    );
    assert_eq!(
        put(
            &server,
            "/v1/account/language",
            &json!({"language": "zh-HK"}),
            &session
        )
        .0,
        204
    );
    assert_eq!(challenge(&server, &person, PASSWORD).0, 202);
    let text = newest_sms(&server, &person.phone_e164, "sign_in").unwrap_or_default();
    assert!(text.starts_with("香港健康碼：你的登入驗證碼是"), "{text}");
    assert!(
        text.encode_utf16().count() <= 70,
        "one UCS-2 message: {text}"
    );

    // Phone: the password again, then the PIN sent to the new number.
    let new_phone = "+85261234567";
    let ask = |password: &str| {
        server.post(
            "/v1/account/phone",
            &json!({"password": password, "phone": "6123 4567"}),
            Some(&session),
        )
    };
    assert_eq!(ask("not the password at all").0, 401);
    assert_eq!(
        newest_sms(&server, new_phone, "new_phone"),
        None,
        "nothing sent"
    );
    let (status, body) = server.post(
        "/v1/account/phone",
        &json!({"password": PASSWORD, "phone": "2123 4567"}),
        Some(&session),
    );
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (422, Some("phone")),
        "a landline: {body}"
    );
    assert_eq!(ask(PASSWORD).0, 202);
    let pin = server
        .sms_code_for(new_phone, "new_phone")
        .unwrap_or_else(|| panic!("no PIN to the new phone"));
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let confirm = |pin: &str| {
        server
            .post(
                "/v1/account/phone/confirm",
                &json!({"pin": pin}),
                Some(&session),
            )
            .0
    };
    assert_eq!(confirm(wrong), 401);
    assert_eq!(confirm(&pin), 204);
    assert_eq!(confirm(&pin), 401, "the PIN works once");
    let notice = newest_sms(&server, &person.phone_e164, "notice").unwrap_or_default();
    assert!(
        notice.contains("電話號碼已更改"),
        "the old phone is told: {notice}"
    );
    let (_, me) = server.get("/v1/me", Some(&session));
    assert_eq!(me["phone_ending"], "4567");
    assert_eq!(me["language"], "zh-HK");
    let (_, fresh) = challenge(&server, &person, PASSWORD);
    assert_eq!(
        fresh["phone_ending"], "4567",
        "the next code goes to the new phone"
    );

    // Password: the current one, a strong new one; the other session ends.
    let change = |current: &str, new: &str| {
        server.post(
            "/v1/account/password",
            &json!({"current_password": current, "new_password": new}),
            Some(&session),
        )
    };
    let stronger = "violet tram harbour lantern";
    assert_eq!(change("not the password at all", stronger).0, 401);
    let (status, body) = change(PASSWORD, "aaaaaaaaaa");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("weak_password")),
        "{body}"
    );
    assert_eq!(change(PASSWORD, stronger).0, 204);
    assert_eq!(
        server.get("/v1/me", Some(&other)).0,
        401,
        "the other session ended"
    );
    assert_eq!(
        server.get("/v1/me", Some(&session)).0,
        200,
        "this one goes on"
    );
    assert_eq!(
        challenge(&server, &person, PASSWORD).0,
        401,
        "the old password is dead"
    );
    assert_eq!(challenge(&server, &person, stronger).0, 202);

    let admin = server.staff("ada", "admin");
    let (_, audit) = server.get("/v1/staff/audit?limit=50", Some(&admin));
    let actions: Vec<&str> = audit
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    for action in [
        "language_changed",
        "phone_change_requested",
        "phone_changed",
        "password_changed",
    ] {
        assert!(actions.contains(&action), "{action} not in {actions:?}");
    }
}

#[test]
fn a_resident_downloads_everything_held_about_them_with_the_staff_who_looked_by_role() {
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, None));
    let reviewer = server.staff("rita", "reviewer");
    let authority = server.staff("hana", "health_authority");
    let admin = server.staff("ada", "admin");
    let person = Person::hkid();
    let (status, body) = server.register(&person.form(), Some(("bill.png", &png_proof())));
    assert_eq!(status, 202, "{body}");
    let reference = body["reference"].as_str().unwrap_or_default().to_owned();
    let application = format!("/v1/staff/applications/{reference}");
    assert_eq!(server.get(&application, Some(&reviewer)).0, 200);
    let approve = format!("{application}/approve");
    assert_eq!(server.post(&approve, &json!({}), Some(&reviewer)).0, 204);
    let pin = server
        .sms_pin(&person.phone_e164)
        .unwrap_or_else(|| panic!("approval sends the PIN"));
    assert_eq!(person.activate(&server, &pin).0, 204);
    let session = person.login(&server);
    let password = json!({ "password": PASSWORD });
    assert_eq!(server.post("/v1/account/export", &password, None).0, 401);

    let now = time::OffsetDateTime::now_utc();
    let check_in = crate::accounts::rfc3339(now - time::Duration::days(3));
    let visits = json!({"records": [{"venue_id": "venue-export", "check_in": check_in}]});
    assert_eq!(server.post("/v1/visits", &visits, Some(&session)).0, 200);
    let yesterday = crate::accounts::rfc3339(now - time::Duration::days(1));
    let status_record = json!({"records": [{"id_document": format!("HKID:{}", person.id_number),
        "kind": "close_contact", "start": yesterday, "end": null}]});
    let (code, body) = server.post("/v1/feeds/statuses", &status_record, Some(&authority));
    assert_eq!(code, 200, "{body}");
    let (code, issued) = server.post("/v1/codes", &json!({}), Some(&session));
    assert_eq!(code, 201, "{}", issued["error"]);

    // The password is asked again: a session alone is not enough.
    let (status, body) = server.post(
        "/v1/account/export",
        &json!({ "password": "not the password at all" }),
        Some(&session),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("bad_credentials")),
        "{body}"
    );
    let answer = ureq::post(&server.url("/v1/account/export"))
        .set("authorization", &format!("Bearer {session}"))
        .send_json(password.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        answer.header("content-disposition"),
        Some("attachment; filename=\"healthcode-my-data.json\"")
    );
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let text = answer.into_string().unwrap_or_default();
    let held: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let account = &held["account"];
    assert_eq!(account["reference"], reference.as_str());
    assert_eq!(account["name"], person.name.as_str());
    assert_eq!(account["address"], person.address.as_str());
    assert_eq!(account["phone"], person.phone_e164.as_str());
    assert_eq!(account["status"], "active");
    assert_eq!(account["route"], "proof");
    assert!(
        account["id_document"]
            .as_str()
            .is_some_and(|d| d.contains(&person.id_number[1..7])),
        "{account}"
    );
    assert_eq!(held["visits"][0]["venue_id"], "venue-export");
    assert_eq!(held["statuses"][0]["kind"], "close_contact");
    assert_eq!(held["codes"][0]["token_id"], issued["token_id"]);
    assert_eq!(held["codes"][0]["colour"], "red", "{}", held["codes"]);
    assert_eq!(held["codes"][0]["reasons"][0], "close_contact");

    // The reviewer's reads are listed by role; no staff name or id is given.
    let audit = held["audit"].as_array().cloned().unwrap_or_default();
    let reads: Vec<(&str, &str)> = audit
        .iter()
        .filter(|e| e["by"] == "staff")
        .map(|e| {
            (
                e["role"].as_str().unwrap_or_default(),
                e["action"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        reads.contains(&("reviewer", "application_viewed")),
        "{reads:?}"
    );
    assert!(
        reads.contains(&("reviewer", "application_approved")),
        "{reads:?}"
    );
    // The download itself is recorded, and shows in the next one.
    let (_, again) = server.post("/v1/account/export", &password, Some(&session));
    let again = again["audit"].as_array().cloned().unwrap_or_default();
    assert!(
        again
            .iter()
            .any(|e| e["by"] == "you" && e["action"] == "data_exported"),
        "{again:?}"
    );
    assert!(!text.contains("rita"), "no staff name: {text}");
    let (_, staff_list) = server.get("/v1/staff/audit?limit=200", Some(&admin));
    let entries = staff_list.as_array().cloned().unwrap_or_default();
    let reviewer_actor = entries
        .iter()
        .find(|e| e["action"] == "application_viewed")
        .and_then(|e| e["actor"].as_str())
        .unwrap_or_else(|| panic!("the read is audited"))
        .to_owned();
    assert!(!text.contains(&reviewer_actor), "no staff id: {text}");
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "data_exported" && e["subject"] == reference.as_str()),
        "the download is audited"
    );
}

#[test]
fn a_resident_closes_their_account_and_their_code_stops_at_the_checkpoint() {
    let (_redis, _keys, server, verifier) = issuer_to_checkpoint();
    let (person, session) = resident(&server, &[("venue-closing-cafe", 5)]);
    let code = apply(&server, &session);
    let token = code["token"].as_str().unwrap_or_default().to_owned();
    assert_eq!(verifier.verify(&token).1["revocation"], "not_revoked");
    let admin = server.staff("ada", "admin");
    let (_, me) = server.get("/v1/me", Some(&session));
    let reference = me["reference"].as_str().unwrap_or_default().to_owned();

    // No session, or a wrong password: nothing happens.
    let close = |password: &str, session: Option<&str>| {
        server.post(
            "/v1/account/close",
            &json!({ "password": password }),
            session,
        )
    };
    assert_eq!(close(PASSWORD, None).0, 401);
    let (status, body) = close("not the password at all", Some(&session));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("bad_credentials"))
    );
    assert_eq!(server.get("/v1/me", Some(&session)).0, 200);

    assert_eq!(close(PASSWORD, Some(&session)).0, 204);
    // The code stops at the checkpoint, through Redis, within seconds.
    let took = verifier.time_until_revoked(&token, std::time::Duration::from_secs(2));
    eprintln!("account closed to revoked at the checkpoint: {took:?}");
    let (_, checked) = verifier.verify(&token);
    assert_eq!(checked["valid"], false, "{checked}");
    // The session is gone, the password opens nothing.
    assert_eq!(server.get("/v1/me", Some(&session)).0, 401);
    assert_eq!(challenge(&server, &person, PASSWORD).0, 401);
    // The details are erased: a reviewer's view shows nothing of the person.
    let reviewer = server.staff("rita", "reviewer");
    let (status, view) = server.get(
        &format!("/v1/staff/applications/{reference}"),
        Some(&reviewer),
    );
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "closed", "{view}");
    assert!(!view.to_string().contains(&person.name), "{view}");
    assert!(!view.to_string().contains(&person.address), "{view}");
    let (_, audit) = server.get("/v1/staff/audit?limit=100", Some(&admin));
    let closed = audit
        .as_array()
        .and_then(|a| a.iter().find(|e| e["action"] == "account_closed").cloned())
        .unwrap_or_else(|| panic!("the closing is audited"));
    assert_eq!(closed["subject"], reference.as_str());
    let detail: Value =
        serde_json::from_str(closed["detail"].as_str().unwrap_or("{}")).unwrap_or(Value::Null);
    assert_eq!(detail["codes_revoked"], 1, "{detail}");
    assert!(
        detail["rows_deleted"].as_u64().is_some_and(|n| n >= 2),
        "{detail}"
    );
    let output = server.cli(&["audit", "verify"]);
    assert!(output.status.success(), "the chain still verifies");

    // The document may register again.
    let (status, body) = server.register(&person.form(), None);
    assert_eq!(status, 202, "{body}");
}

/// An issuer and a verifier joined by a real Redis, the verifier subscribed:
/// (Redis, keys, issuer, verifier), each stopped on drop.
pub fn issuer_to_checkpoint() -> (
    healthcode_tests::redis_server::RedisServer,
    KeySet,
    IssuerServer,
    Verifier,
) {
    let redis =
        healthcode_tests::redis_server::RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, Some(&redis.url())));
    let verifier = Verifier::start(&keys, &["--redis", &redis.url()]);
    wait_connected(&verifier, true);
    (redis, keys, server, verifier)
}

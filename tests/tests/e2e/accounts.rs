//! Resident accounts end to end: each verification route of the press release
//! over HTTP against a real `issuer serve` and its SQLite file, with the SMS
//! outbox, letters and staff accounts driven through the real CLI.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{
    issuer_server::{IssuerServer, Person, RELAXED, pin_in},
    support::stderr,
};

/// RFC 3339 in UTC.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// 31 days of 20 check-ins a day, all inside the window.
fn month_of_visits(now: OffsetDateTime) -> Vec<Value> {
    (0..31)
        .flat_map(|day| (0..20).map(move |i| (day, i)))
        .map(|(day, i)| {
            let check_in = now - Duration::days(day) - Duration::minutes(30 * i + 25);
            json!({
                "venue_id": format!("venue-{:04}", (day * 20 + i) % 300),
                "venue_name": format!("Venue {}", (day * 20 + i) % 300),
                "check_in": rfc3339(check_in),
                "check_out": rfc3339(check_in + Duration::minutes(20)),
            })
        })
        .collect()
}

/// Lists `person` in the public housing database (replacing it), so they verify at once.
pub fn import_housing(server: &IssuerServer, person: &Person) {
    import_housing_of(server, &[person]);
}

/// Lists `people` in the public housing database (replacing it).
pub fn import_housing_of(server: &IssuerServer, people: &[&Person]) {
    let csv = server.dir.path().join("housing.csv");
    let mut text = "id_document,address,building_id,phone\n".to_owned();
    for person in people {
        text.push_str(&format!(
            "\"{}:{}\",\"{}\",bldg-kwai-chung-a,{}\n",
            person.id_type,
            person.id_number,
            person.address.to_uppercase().replace(',', ""),
            person.phone_e164
        ));
    }
    std::fs::write(&csv, text).unwrap_or_else(|e| panic!("{e}"));
    let output = server.cli(&["housing", "import", &csv.to_string_lossy()]);
    assert!(output.status.success(), "{}", stderr(&output));
}

/// A new public-housing tenant, registered: verified against the housing
/// file at once, so the PIN is in the SMS outbox; (the person, the PIN).
pub fn registered_tenant(server: &IssuerServer) -> (Person, String) {
    let person = Person::hkid();
    import_housing(server, &person);
    let (status, body) = server.register(&person.form(), None);
    assert_eq!(status, 202, "{body}");
    let pin = server
        .sms_pin(&person.phone_e164)
        .unwrap_or_else(|| panic!("no SMS PIN"));
    (person, pin)
}

#[test]
fn public_housing_resident_activates_logs_in_and_uploads_visits() {
    let server = IssuerServer::start(RELAXED);
    let (person, pin) = registered_tenant(&server);
    let (status, body) = person.activate(&server, &pin);
    assert_eq!(status, 204, "{body}");
    // Single use.
    assert_eq!(person.activate(&server, &pin).0, 401);

    let token = person.login(&server);
    let (status, me) = server.get("/v1/me", Some(&token));
    assert_eq!(
        (status, me["status"].as_str()),
        (200, Some("active")),
        "{me}"
    );

    let now = OffsetDateTime::now_utc();
    let mut records = month_of_visits(now);
    let good = records.len();
    // The same visit twice in one upload, once without its check-out: one row, check-out kept.
    let mut repeat = records[0].clone();
    repeat["check_out"] = Value::Null;
    records.insert(1, repeat);
    records.push(json!({"venue_id": "venue-old", "venue_name": "Old", "check_in": rfc3339(now - Duration::days(32))}));
    records.push(json!({"venue_id": "venue-future", "venue_name": "Later", "check_in": rfc3339(now + Duration::hours(2))}));
    records.push(json!({"venue_id": "venue-x", "venue_name": "No offset", "check_in": "2022-12-09T10:00:00"}));
    let upload = json!({ "records": records });
    let (status, summary) = server.post("/v1/visits", &upload, Some(&token));
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["stored"], good + 1, "the repeat counts as stored");
    let reasons: Vec<(u64, &str)> = summary["refused"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["index"].as_u64().unwrap_or(0),
                        r["reason"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(reasons.len(), 3, "{summary}");
    assert_eq!(
        reasons[0],
        (good as u64 + 1, "check_in: older than 31 days")
    );
    assert_eq!(reasons[1], (good as u64 + 2, "check_in: in the future"));
    assert!(
        reasons[2].1.contains("no offset") || reasons[2].1.contains("check_in"),
        "{summary}"
    );

    // Uploading the same records again changes nothing.
    let (_, again) = server.post("/v1/visits", &upload, Some(&token));
    assert_eq!(again["stored"], good + 1);
    let (_, listed) = server.get("/v1/visits", Some(&token));
    assert_eq!(listed["visits"].as_array().map(Vec::len), Some(good));
    let first = listed["visits"].as_array().and_then(|v| {
        v.iter()
            .find(|v| v["venue_id"] == records[0]["venue_id"] && v["check_in"].is_string())
    });
    assert!(
        first.is_some_and(|v| !v["check_out"].is_null()),
        "check-out kept: {first:?}"
    );

    // Logged out, the token is dead.
    assert_eq!(server.post("/v1/logout", &json!({}), Some(&token)).0, 204);
    assert_eq!(server.get("/v1/me", Some(&token)).0, 401);
}

#[test]
fn proof_goes_to_review_then_approval_sends_the_pin() {
    let server = IssuerServer::start(RELAXED);
    let reviewer = server.staff("rita", "reviewer");
    let clerk = server.staff("pat", "post_office");
    let person = Person::hkid();
    // A photo of a bill, sent under a PDF's name: the type comes from the content.
    let proof = crate::issuer_server::png_proof();
    let (status, body) = server.register(&person.form(), Some(("bill.pdf", &proof)));
    assert_eq!(status, 202, "{body}");
    let reference = body["reference"].as_str().unwrap_or_default().to_owned();
    assert!(
        server.sms_pin(&person.phone_e164).is_none(),
        "no PIN before review"
    );

    // Staff endpoints need a token, and the right role.
    assert_eq!(server.get("/v1/staff/review-queue", None).0, 401);
    assert_eq!(
        server
            .get("/v1/staff/review-queue", Some("hcstaff_forged"))
            .0,
        401
    );
    assert_eq!(server.get("/v1/staff/review-queue", Some(&clerk)).0, 403);

    let (status, queue) = server.get("/v1/staff/review-queue", Some(&reviewer));
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue[0]["reference"], reference.as_str());
    assert_eq!(
        (
            queue[0]["has_proof"].as_bool(),
            queue[0]["priority"].as_i64()
        ),
        (Some(true), Some(0))
    );

    let (status, view) = server.get(
        &format!("/v1/staff/applications/{reference}"),
        Some(&reviewer),
    );
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["details"]["name"], person.name.as_str());
    let (status, kind, bytes) = server.get_bytes(
        &format!("/v1/staff/applications/{reference}/proof"),
        &reviewer,
    );
    assert_eq!(
        (status, kind.as_str(), bytes),
        (200, "image/png", proof),
        "type from the content, not the name"
    );

    let approve = format!("/v1/staff/applications/{reference}/approve");
    assert_eq!(server.post(&approve, &json!({}), Some(&clerk)).0, 403);
    assert_eq!(server.post(&approve, &json!({}), Some(&reviewer)).0, 204);
    assert_eq!(
        server.post(&approve, &json!({}), Some(&reviewer)).0,
        409,
        "only once"
    );

    let pin = server
        .sms_pin(&person.phone_e164)
        .unwrap_or_else(|| panic!("no PIN after approval"));
    assert_eq!(person.activate(&server, &pin).0, 204);
    person.login(&server);

    // Every staff action is in the audit log, whose chain holds.
    let admin = server.staff("ada", "admin");
    let (_, audit) = server.get("/v1/staff/audit", Some(&admin));
    let actions: Vec<&str> = audit
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    for action in [
        "application_approved",
        "proof_viewed",
        "application_viewed",
        "access_denied",
        "account_activated",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    let output = server.cli(&["audit", "verify"]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn rejected_proof_and_no_proof_go_by_letter() {
    let server = IssuerServer::start(RELAXED);
    let reviewer = server.staff("rita", "reviewer");
    let (with_proof, without) = (Person::hkid(), Person::hkid());
    let (_, body) = server.register(&with_proof.form(), Some(("scan.pdf", b"%PDF-1.7 scan")));
    let reference = body["reference"].as_str().unwrap_or_default().to_owned();
    assert_eq!(server.register(&without.form(), None).0, 202);

    let reject = format!("/v1/staff/applications/{reference}/reject");
    assert_eq!(
        server
            .post(&reject, &json!({"reason": "whatever"}), Some(&reviewer))
            .0,
        422
    );
    assert_eq!(
        server
            .post(
                &reject,
                &json!({"reason": "does_not_match"}),
                Some(&reviewer)
            )
            .0,
        204
    );

    // Two letters, the proof applicant's first (priority), each with its own PIN.
    let letters = server.export_letters();
    assert_eq!(letters.len(), 2, "{letters:?}");
    let first = std::fs::read_to_string(&letters[0]).unwrap_or_default();
    let second = std::fs::read_to_string(&letters[1]).unwrap_or_default();
    assert!(
        first.contains(&with_proof.name) && second.contains(&without.name),
        "{first}\n{second}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&letters[0])
            .map(|m| m.permissions().mode() & 0o777)
            .ok();
        assert_eq!(mode, Some(0o600), "a letter holds a PIN");
        let pdf_mode = std::fs::metadata(letters[0].with_extension("pdf"))
            .map(|m| m.permissions().mode() & 0o777)
            .ok();
        assert_eq!(pdf_mode, Some(0o600), "so does its PDF");
    }
    // The PDF beside each says what the text says, the PIN once, in both languages.
    for (letter, text) in [(&letters[0], &first), (&letters[1], &second)] {
        let pdf = letter.with_extension("pdf");
        let output = std::process::Command::new("pdftotext")
            .args([&pdf.to_string_lossy(), "-"])
            .output()
            .unwrap_or_else(|e| panic!("pdftotext (poppler-utils): {e}"));
        let printed = String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let pin = text
            .lines()
            .find_map(|l| l.strip_prefix("PIN: "))
            .unwrap_or("none");
        assert_eq!(printed.matches(pin).count(), 1, "{printed}");
        for expected in [
            "HONG KONG HEALTH CODE: CONFIRMATION LETTER",
            "香港健康碼：確認信",
            "切勿向任何人透露此密碼",
        ] {
            assert!(printed.contains(expected), "{expected} in {printed}");
        }
    }
    assert!(server.export_letters().is_empty(), "marked sent");

    let pin_of = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("PIN: "))
            .and_then(pin_in)
            .unwrap_or_else(|| panic!("no PIN in {text}"))
    };
    assert_eq!(without.activate(&server, &pin_of(&second)).0, 204);
    assert_eq!(with_proof.activate(&server, &pin_of(&first)).0, 204);
    with_proof.login(&server);
    without.login(&server);
}

#[test]
fn non_hkid_holder_needs_the_post_office_check() {
    let server = IssuerServer::start(RELAXED);
    let clerk = server.staff("pat", "post_office");
    let reviewer = server.staff("rita", "reviewer");
    let person = Person {
        id_type: "PASSPORT-GBR".into(),
        id_number: "123456789".into(),
        ..Person::hkid()
    };
    let (status, body) = server.register(&person.form(), None);
    assert_eq!(status, 202, "{body}");
    let reference = body["reference"].as_str().unwrap_or_default().to_owned();

    let letters = server.export_letters();
    assert_eq!(letters.len(), 1);
    let letter = std::fs::read_to_string(&letters[0]).unwrap_or_default();
    assert!(
        letter.contains("post office") && letter.contains(&reference),
        "{letter}"
    );
    let letter_pin = letter
        .lines()
        .find_map(|l| l.strip_prefix("PIN: "))
        .and_then(pin_in)
        .unwrap_or_default();

    // The letter's PIN alone does not activate.
    assert_eq!(person.activate(&server, &letter_pin).0, 401);

    let confirm = |id_number: &str, pin: &str, token: &str| {
        server.post(
            "/v1/staff/post-office/confirmations",
            &json!({"reference": reference, "id_type": "PASSPORT-GBR", "id_number": id_number, "letter_pin": pin}),
            Some(token),
        )
    };
    assert_eq!(
        confirm("123456789", &letter_pin, &reviewer).0,
        403,
        "post-office staff only"
    );
    let (status, body) = confirm("987654321", &letter_pin, &clerk);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("document_mismatch")),
        "{body}"
    );
    assert!(server.sms_pin(&person.phone_e164).is_none());
    let (status, body) = confirm("123456789", &letter_pin, &clerk);
    assert_eq!(status, 204, "{body}");

    let pin = server
        .sms_pin(&person.phone_e164)
        .unwrap_or_else(|| panic!("no SMS PIN"));
    assert_eq!(person.activate(&server, &pin).0, 204);
    person.login(&server);
}

#[test]
fn five_wrong_pins_kill_the_pin_and_a_new_one_can_be_asked_for() {
    let server = IssuerServer::start(RELAXED);
    let person = Person::hkid();
    import_housing(&server, &person);
    server.register(&person.form(), None);
    let pin = server.sms_pin(&person.phone_e164).unwrap_or_default();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    // Three free tries, then each waits twice as long as the one before.
    let mut statuses = Vec::new();
    for wait in [0, 0, 0, 1100, 2100] {
        std::thread::sleep(std::time::Duration::from_millis(wait));
        statuses.push(person.activate(&server, wrong).0);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401]);
    std::thread::sleep(std::time::Duration::from_millis(4100));
    let (status, body) = person.activate(&server, &pin);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("bad_credentials")),
        "the right PIN no longer works, and the answer says no more than a wrong one"
    );
    // A new PIN can be asked for: the answer is the same as for anyone.
    let resend = person.with(json!({ "phone": person.phone }));
    assert_eq!(server.post("/v1/activation/pin", &resend, None).0, 202);
}

#[test]
fn one_account_per_document_without_telling_who_is_registered() {
    let server = IssuerServer::start(RELAXED);
    let person = Person::hkid();
    import_housing(&server, &person);
    server.register(&person.form(), None);
    let pin = server.sms_pin(&person.phone_e164).unwrap_or_default();
    assert_eq!(person.activate(&server, &pin).0, 204);

    // Someone else registers the same document with their own phone.
    let squatter = Person {
        phone: "6000 0001".into(),
        phone_e164: "+85260000001".into(),
        ..Person::hkid()
    };
    let squatter = Person {
        id_number: person.id_number.clone(),
        ..squatter
    };
    let (dup_status, dup_body) = server.register(&squatter.form(), None);
    let (new_status, new_body) = server.register(&Person::hkid().form(), None);
    // Trying again and again sends the holder no more than one notice a day.
    for _ in 0..3 {
        assert_eq!(server.register(&squatter.form(), None).0, 202);
    }
    assert_eq!((dup_status, new_status), (202, 202));
    assert_eq!(dup_body["message"], new_body["message"], "the same answer");
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&dup_body), keys(&new_body));

    // No PIN or letter for the squatter; the holder is told.
    assert!(server.sms_pin("+85260000001").is_none());
    let notices: Vec<Value> = server
        .outbox()
        .into_iter()
        .filter(|m| m["purpose"] == "notice")
        .collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["phone"], person.phone_e164.as_str());
    assert_eq!(
        server.export_letters().len(),
        1,
        "the letter is for the other, new applicant only"
    );
    person.login(&server);
}

#[test]
fn sms_goes_out_through_the_webhook_gateway() {
    use std::{io::Read as _, net::TcpListener, sync::mpsc};
    // A minimal gateway: answers 500 once, then 200, and reports each body.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}/sms",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let (sender, received) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = vec![0u8; 64 * 1024];
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut request = Vec::new();
            while let Ok(read) = stream.read(&mut buffer) {
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request);
                let Some((head, body)) = text.split_once("\r\n\r\n") else {
                    continue;
                };
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if read == 0 || body.len() >= length {
                    break;
                }
            }
            let status = if n == 0 {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = std::io::Write::write_all(
                &mut stream,
                format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .as_bytes(),
            );
            let _ = sender.send(String::from_utf8_lossy(&request).into_owned());
        }
    });
    let mut args = RELAXED.to_vec();
    args.extend(["--sms-webhook", &url]);
    let server = IssuerServer::start(&args);
    let person = Person::hkid();
    import_housing(&server, &person);
    server.register(&person.form(), None);

    let timeout = std::time::Duration::from_secs(15);
    let first = received
        .recv_timeout(timeout)
        .unwrap_or_else(|e| panic!("no delivery: {e}"));
    let second = received
        .recv_timeout(timeout)
        .unwrap_or_else(|e| panic!("no retry: {e}"));
    assert_eq!(pin_in(&first), pin_in(&second));
    assert!(second.contains(&person.phone_e164), "{second}");
    let deadline = std::time::Instant::now() + timeout;
    while server.outbox()[0]["status"] != "sent" {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            server.outbox()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(server.outbox()[0]["attempts"], 2);
}

/// `issuer purge` against a live service's data: the dry run counts and
/// deletes nothing, the real run is audited with counts, the audit log still
/// verifies, and a recent upload is kept.
#[test]
fn the_purge_command_counts_deletes_nothing_early_and_is_audited() {
    let server = IssuerServer::start(RELAXED);
    let person = Person::hkid();
    crate::accounts::import_housing(&server, &person);
    let (status, body) = server.register(&person.form(), None);
    assert_eq!(status, 202, "{body}");
    let purge = |args: &[&str]| {
        let output = server.cli(args);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_slice::<Value>(&output.stdout).unwrap_or(Value::Null)
    };
    let dry = purge(&["purge", "--dry-run"]);
    assert_eq!(dry["dry_run"], true, "{dry}");
    for kind in ["visits", "sms", "letters", "sessions", "sign_in_codes"] {
        assert_eq!(
            dry["purged"][kind], 0,
            "nothing is past its time yet: {dry}"
        );
    }
    let real = purge(&["purge"]);
    assert_eq!(real["dry_run"], false, "{real}");
    let audited = server.cli(&["audit", "verify"]);
    assert!(audited.status.success(), "{}", stderr(&audited));
    // The PIN SMS queued at registration is still there: kept two days.
    assert!(!server.outbox().is_empty(), "a fresh SMS is not purged");
}

//! Resident accounts under bad input, abuse and crashes: hostile uploads,
//! oversized bodies, brute force, `kill -9`, and what an attacker holding the
//! database file or the logs would see.

use serde_json::json;

use crate::issuer_server::{IssuerServer, Person, RELAXED, multipart};

fn queue_len(server: &IssuerServer, reviewer: &str) -> usize {
    let (status, queue) = server.get("/v1/staff/review-queue", Some(reviewer));
    assert_eq!(status, 200, "{queue}");
    queue.as_array().map_or(0, Vec::len)
}

#[test]
fn an_executable_named_pdf_is_refused_and_nothing_is_stored() {
    let server = IssuerServer::start(RELAXED);
    let reviewer = server.staff("rita", "reviewer");
    let program = std::fs::read("/bin/ls").unwrap_or_else(|_| b"\x7FELF\x02\x01\x01\x00".to_vec());
    let (status, body) = server.register(
        &Person::hkid().form(),
        Some(("address-proof.pdf", &program)),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "proof");
    let message = body["error"]["fields"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("Linux program"), "{message}");
    assert_eq!(queue_len(&server, &reviewer), 0);
    assert!(server.outbox().is_empty());
    assert!(server.export_letters().is_empty());
}

#[test]
fn a_50_mb_upload_is_refused_and_nothing_is_stored() {
    let server = IssuerServer::start(RELAXED);
    let reviewer = server.staff("rita", "reviewer");
    let (status, body) = announce_upload(&server, "/v1/registrations", 50 * 1024 * 1024);
    assert_eq!(status, 413, "{body}");
    assert!(
        body.contains("\"too_large\"") && body.contains("the limit here is"),
        "{body}"
    );
    // Just over the proof limit but under the body limit: refused by the proof check.
    let mut over = b"%PDF-1.7\n".to_vec();
    over.resize(10 * 1024 * 1024 + 1, b'x');
    let (status, body) = server.register(&Person::hkid().form(), Some(("over.pdf", &over)));
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (422, Some("proof")),
        "{body}"
    );
    assert_eq!(queue_len(&server, &reviewer), 0);
    assert!(server.export_letters().is_empty());
    // The service is still there.
    assert_eq!(server.register(&Person::hkid().form(), None).0, 202);
}

/// Announces a registration of `length` bytes with `Expect: 100-continue`, as
/// curl does for large uploads, and sends the body only if the server asks
/// for it; (status, body text).
pub fn announce_upload(server: &IssuerServer, path: &str, length: usize) -> (u16, String) {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\
         Expect: 100-continue\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(head.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !status_line.contains(" 100 "),
        "the server asked for all {length} bytes"
    );
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut rest = String::new();
    let _ = reader.read_to_string(&mut rest);
    (status, rest)
}

#[test]
fn malformed_requests_get_clear_errors() {
    let server = IssuerServer::start(RELAXED);
    let response =
        ureq::post(&format!("{}/v1/registrations", server.base)).send_json(json!({"name": "x"}));
    let status = match response {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r.status(),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, 415, "a registration is a form");

    let person = Person::hkid();
    let mut form = person.form();
    form.push(("favourite_colour", "green"));
    let (status, body) = server.register(&form, None);
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (422, Some("favourite_colour"))
    );
    let mut form = person.form();
    form.retain(|(name, _)| *name != "favourite_colour");
    form.push(("name", "Another Name"));
    assert_eq!(server.register(&form, None).0, 422, "a field given twice");

    let (status, body) = server.post("/v1/activation", &json!({"id_type": "HKID"}), None);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("missing field"),
        "{body}"
    );
    let (status, body) = server.post(
        "/v1/activation",
        &json!({"id_type": "HKID", "id_number": "A123456(3)", "pin": "12ab56", "password": "long enough pw"}),
        None,
    );
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (422, Some("pin"))
    );
    let (status, _) = server.post(
        "/v1/login",
        &json!({"id_type": "HKID", "id_number": "A123456(4)", "password": "x"}),
        None,
    );
    assert_eq!(status, 422, "a bad check digit is named");

    // Unknown document and wrong password answer alike.
    let stranger = Person::hkid().with(json!({"password": "not the password"}));
    let (status, body) = server.post("/v1/login", &stranger, None);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("bad_credentials"))
    );

    // A visit upload needs a session, and its size is bounded.
    assert_eq!(
        server.post("/v1/visits", &json!({"records": []}), None).0,
        401
    );
    assert_eq!(server.get("/v1/nowhere", None).0, 404);
}

#[test]
fn an_acknowledged_registration_survives_kill_9() {
    let mut server = IssuerServer::start(RELAXED);
    let reviewer = server.staff("rita", "reviewer");
    let people: Vec<Person> = (0..5).map(|_| Person::hkid()).collect();
    let mut references = Vec::new();
    for person in &people {
        let (status, body) =
            server.register(&person.form(), Some(("proof.pdf", b"%PDF-1.4 proof")));
        assert_eq!(status, 202, "{body}");
        references.push(body["reference"].as_str().unwrap_or_default().to_owned());
    }
    server.kill9();
    server.restart();
    let (_, queue) = server.get("/v1/staff/review-queue", Some(&reviewer));
    let queued: Vec<&str> = queue
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["reference"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        queued,
        references.iter().map(String::as_str).collect::<Vec<_>>()
    );
    for (person, reference) in people.iter().zip(&references) {
        let (status, view) = server.get(
            &format!("/v1/staff/applications/{reference}"),
            Some(&reviewer),
        );
        assert_eq!(
            (status, view["details"]["name"].as_str()),
            (200, Some(person.name.as_str()))
        );
    }
    let output = server.cli(&["audit", "verify"]);
    assert!(output.status.success());
}

#[test]
fn personal_data_is_neither_readable_at_rest_nor_logged() {
    let server = IssuerServer::start(RELAXED);
    let person = Person::hkid();
    let reviewer = server.staff("rita", "reviewer");
    let (_, body) = server.register(
        &person.form(),
        Some(("proof.pdf", b"%PDF-1.4 SECRET-PROOF-CONTENT")),
    );
    let reference = body["reference"].as_str().unwrap_or_default().to_owned();
    let (status, _) = server.get(
        &format!("/v1/staff/applications/{reference}"),
        Some(&reviewer),
    );
    assert_eq!(status, 200);

    let number_digits: String = person
        .id_number
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let secrets = [
        person.name.as_str(),
        number_digits.as_str(),
        person.phone_e164.as_str(),
        &person.phone_e164[4..],
        "Kwai Chung",
        "SECRET-PROOF-CONTENT",
    ];
    let data = std::path::PathBuf::from(server.data());
    let stored = healthcode_tests::databases::stored_bytes(&server.data());
    assert!(
        stored.len() > 4_000 && stored.windows(8).any(|w| w == b"accounts"),
        "the database was read: {} bytes",
        stored.len()
    );
    let log = server.log();
    assert!(log.contains("issuer listening"), "the log was read: {log}");
    for secret in secrets {
        // pg_dump writes byte strings in hex: look for that form too.
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        for form in [secret.as_bytes(), hex.as_bytes()] {
            let found = stored.windows(form.len()).any(|w| w == form);
            assert!(!found, "{secret:?} is readable in the database");
        }
        assert!(!log.contains(secret), "{secret:?} is in the log");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mut files = vec![("data.key", 0o600)];
        if !healthcode_tests::databases::on_postgres() {
            files.push(("healthcode.db", 0o600));
        }
        for (name, mode) in files {
            let found = std::fs::metadata(data.join(name))
                .map(|m| m.permissions().mode() & 0o777)
                .ok();
            assert_eq!(found, Some(mode), "{name}");
        }
    }
}

#[test]
fn the_wrong_data_key_is_refused_at_start() {
    let server = IssuerServer::start(RELAXED);
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key = other.path().join("other.key");
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let output = server.cli(&["sms", "outbox", "--data-key", &key.to_string_lossy()]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("not the data key"), "{message}");
}

#[test]
fn registrations_logins_and_pins_are_rate_limited() {
    let server = IssuerServer::start(&[
        "--register-per-minute",
        "3",
        "--login-per-minute",
        "4",
        "--pin-per-minute",
        "5",
    ]);
    crate::support::with_most_of_a_minute_left();
    let statuses: Vec<u16> = (0..5)
        .map(|_| server.register(&Person::hkid().form(), None).0)
        .collect();
    assert_eq!(statuses, [202, 202, 202, 429, 429]);
    let (content_type, body) = multipart(&Person::hkid().form(), None);
    let response = ureq::post(&format!("{}/v1/registrations", server.base))
        .set("content-type", &content_type)
        .send_bytes(&body);
    match response {
        Err(ureq::Error::Status(429, r)) => {
            let wait: u64 = r
                .header("retry-after")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            assert!((1..=60).contains(&wait), "Retry-After {wait}");
        }
        other => panic!("expected 429, got {other:?}"),
    }
    // Each try names another document, so that only the per-address limit counts.
    let statuses: Vec<u16> = (0..6)
        .map(|_| {
            let login = Person::hkid().with(json!({"password": "wrong password!"}));
            server.post("/v1/login", &login, None).0
        })
        .collect();
    assert_eq!(statuses, [401, 401, 401, 401, 429, 429]);
    let statuses: Vec<u16> = (0..7)
        .map(|_| {
            let pin = Person::hkid()
                .with(json!({"pin": "123456", "password": "long enough password, surely"}));
            server.post("/v1/activation", &pin, None).0
        })
        .collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
}

#[test]
fn the_served_api_description_is_the_checked_in_one() {
    let server = IssuerServer::start(RELAXED);
    let (status, served) = server.get("/openapi.json", None);
    assert_eq!(status, 200);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let checked_in: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("docs/openapi.json: {e}"));
    assert_eq!(
        served, checked_in,
        "regenerate with: issuer openapi > docs/openapi.json"
    );
    for path in [
        "/v1/registrations",
        "/v1/activation",
        "/v1/login",
        "/v1/login/code",
        "/v1/session",
        "/v1/account/phone",
        "/v1/visits",
        "/v1/staff/review-queue",
    ] {
        assert!(served["paths"][path].is_object(), "{path} undocumented");
    }
}

/// Issue 12, attack 6: re-uploading a stored visit with an earlier check-out
/// (to end it before its place became high-risk) must not rewrite it.
#[test]
fn a_stored_check_out_cannot_be_moved_by_a_re_upload() {
    use crate::accounts::{import_housing, rfc3339};
    use time::{Duration, OffsetDateTime};

    let server = IssuerServer::start(RELAXED);
    let person = Person::hkid();
    import_housing(&server, &person);
    assert_eq!(server.register(&person.form(), None).0, 202);
    let pin = server
        .sms_pin(&person.phone_e164)
        .unwrap_or_else(|| panic!("no SMS PIN"));
    assert_eq!(person.activate(&server, &pin).0, 204);
    let token = person.login(&server);

    // Whole seconds, as visits are stored.
    let now = OffsetDateTime::now_utc();
    let check_in = now - Duration::hours(5) - Duration::nanoseconds(i64::from(now.nanosecond()));
    let visit = |check_out: Option<OffsetDateTime>| {
        json!({"venue_id": "venue-rewrite", "venue_name": "Cafe",
               "check_in": rfc3339(check_in), "check_out": check_out.map(rfc3339)})
    };
    let stored_check_out = || {
        let (_, listed) = server.get("/v1/visits", Some(&token));
        listed["visits"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["venue_id"] == "venue-rewrite"))
            .map(|v| v["check_out"].clone())
    };

    // No check-out at first; the app learns it later: filled in.
    let first = json!({"records": [visit(None)]});
    assert_eq!(
        server.post("/v1/visits", &first, Some(&token)).1["stored"],
        1
    );
    assert_eq!(stored_check_out(), Some(serde_json::Value::Null));
    let real_out = check_in + Duration::hours(3);
    let filled = json!({"records": [visit(Some(real_out))]});
    let (_, summary) = server.post("/v1/visits", &filled, Some(&token));
    assert_eq!(summary["stored"], 1, "{summary}");
    assert_eq!(stored_check_out(), Some(json!(rfc3339(real_out))));

    // An earlier check-out, or a later one, is refused and changes nothing.
    for moved in [
        check_in + Duration::minutes(10),
        check_in + Duration::hours(4),
    ] {
        let rewrite = json!({"records": [visit(None), visit(Some(moved))]});
        let (status, summary) = server.post("/v1/visits", &rewrite, Some(&token));
        assert_eq!(status, 200, "{summary}");
        assert_eq!(summary["stored"], 1, "{summary}");
        assert_eq!(summary["refused"][0]["index"], 1, "{summary}");
        assert!(
            summary["refused"][0]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("cannot be changed")),
            "{summary}"
        );
        assert_eq!(stored_check_out(), Some(json!(rfc3339(real_out))));
    }

    // Two different check-outs for one visit in one upload: the second is refused.
    let other = check_in - Duration::days(1);
    let twice = json!({"records": [
        {"venue_id": "venue-twice", "venue_name": "Bar", "check_in": rfc3339(other), "check_out": rfc3339(other + Duration::hours(1))},
        {"venue_id": "venue-twice", "venue_name": "Bar", "check_in": rfc3339(other), "check_out": rfc3339(other + Duration::minutes(5))},
    ]});
    let (_, summary) = server.post("/v1/visits", &twice, Some(&token));
    assert_eq!(
        (
            summary["stored"].clone(),
            summary["refused"][0]["index"].clone()
        ),
        (json!(1), json!(1)),
        "{summary}"
    );
}

/// Issue 12, attack 10: a leaked or departed staff member's token can be
/// replaced or switched off, at once and audited.
#[test]
fn a_staff_token_can_be_rotated_and_a_member_disabled_at_once() {
    let server = IssuerServer::start(RELAXED);
    let admin = server.staff("ada", "admin");
    let old = server.staff("rita", "reviewer");
    assert_eq!(server.get("/v1/staff/review-queue", Some(&old)).0, 200);

    let rotated = server.cli(&["staff", "rotate", "--name", "rita"]);
    assert!(
        rotated.status.success(),
        "{}",
        crate::support::stderr(&rotated)
    );
    let new = String::from_utf8_lossy(&rotated.stdout).trim().to_owned();
    assert!(new.starts_with("hcstaff_") && new != old, "{new}");
    assert_eq!(server.get("/v1/staff/review-queue", Some(&old)).0, 401);
    assert_eq!(server.get("/v1/staff/review-queue", Some(&new)).0, 200);

    let disabled = server.cli(&["staff", "disable", "--name", "rita"]);
    assert!(
        disabled.status.success(),
        "{}",
        crate::support::stderr(&disabled)
    );
    assert_eq!(server.get("/v1/staff/review-queue", Some(&new)).0, 401);
    // Neither can be done twice, nor to someone who does not exist.
    for args in [
        ["staff", "disable", "--name", "rita"],
        ["staff", "rotate", "--name", "rita"],
        ["staff", "disable", "--name", "nobody"],
    ] {
        let output = server.cli(&args);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            crate::support::stderr(&output).contains("staff member"),
            "{args:?}: {}",
            crate::support::stderr(&output)
        );
    }

    let (_, audit) = server.get("/v1/staff/audit?limit=20", Some(&admin));
    let actions: Vec<&str> = audit
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert!(actions.contains(&"staff_token_rotated"), "{actions:?}");
    assert!(actions.contains(&"staff_disabled"), "{actions:?}");
}

/// One wrong login sent as if through a proxy that forwarded `forwarded_for`.
fn login_forwarded(server: &IssuerServer, forwarded_for: &str) -> u16 {
    let body = Person::hkid().with(json!({"password": "wrong password!"}));
    match ureq::post(&format!("{}/v1/login", server.base))
        .set("x-forwarded-for", forwarded_for)
        .send_json(body)
    {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r.status(),
        Err(e) => panic!("transport error: {e}"),
    }
}

/// Issue 12, attack 5: behind the recommended proxy every client shared one
/// bucket, and a client could not be told from another; a forwarding header
/// from anyone but a trusted proxy must not pick the bucket either.
#[test]
fn rate_limits_key_on_the_client_behind_a_trusted_proxy_and_on_its_ipv6_64() {
    let server =
        IssuerServer::start(&["--login-per-minute", "2", "--trusted-proxy", "127.0.0.1/32"]);
    crate::support::with_most_of_a_minute_left();
    let statuses: Vec<u16> = (0..3)
        .map(|_| login_forwarded(&server, "198.51.100.1"))
        .collect();
    assert_eq!(statuses, [401, 401, 429], "one client, limited");
    // A client-written first entry is not believed: the proxy's is the last.
    assert_eq!(login_forwarded(&server, "198.51.100.1, 198.51.100.2"), 401);
    assert_eq!(login_forwarded(&server, "198.51.100.1, 198.51.100.2"), 401);
    assert_eq!(login_forwarded(&server, "198.51.100.9, 198.51.100.2"), 429);
    // IPv6: one /64 is one client, however many addresses it uses.
    assert_eq!(login_forwarded(&server, "2001:db8:0:1::1"), 401);
    assert_eq!(login_forwarded(&server, "2001:db8:0:1::2"), 401);
    assert_eq!(login_forwarded(&server, "2001:db8:0:1:ffff::3"), 429);
    assert_eq!(login_forwarded(&server, "2001:db8:0:2::1"), 401);

    // Without --trusted-proxy the header is ignored: varying it does not
    // buy a new bucket.
    let server = IssuerServer::start(&["--login-per-minute", "2"]);
    crate::support::with_most_of_a_minute_left();
    let statuses: Vec<u16> = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .map(|ip| login_forwarded(&server, ip))
        .collect();
    assert_eq!(statuses, [401, 401, 429]);

    let refused = std::process::Command::new(crate::support::bin("issuer"))
        .args(["serve", "--trusted-proxy", "10.0.0.0/33"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("10.0.0.0/33") && message.contains("CIDR"),
        "{message}"
    );
}

/// POSTs `body` to `path` with the session cookie and `headers`; (status, error code).
fn post_with_cookie(
    server: &IssuerServer,
    path: &str,
    session: &str,
    headers: &[(&str, &str)],
    body: &serde_json::Value,
) -> (u16, String) {
    let mut request = ureq::post(&format!("{}{path}", server.base))
        .set("cookie", &format!("hc_session={session}"));
    for (name, value) in headers {
        request = request.set(name, value);
    }
    match request.send_json(body.clone()) {
        Ok(r) => (r.status(), String::new()),
        Err(ureq::Error::Status(status, r)) => {
            let body: serde_json::Value = r.into_json().unwrap_or_default();
            (
                status,
                body["error"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        }
        Err(e) => panic!("transport error: {e}"),
    }
}

/// Issue 12, attack 11: a page on another site could POST with the
/// resident's cookie (only SameSite=Strict stood in the way) and use up the
/// day's codes; cookie-authenticated changes now need proof of same origin.
#[test]
fn a_cross_site_request_with_the_session_cookie_is_refused() {
    let server = IssuerServer::start(RELAXED);
    let person = Person::hkid();
    crate::accounts::import_housing(&server, &person);
    assert_eq!(server.register(&person.form(), None).0, 202);
    let pin = server
        .sms_pin(&person.phone_e164)
        .unwrap_or_else(|| panic!("no SMS PIN"));
    assert_eq!(person.activate(&server, &pin).0, 204);
    let (status, challenge) = server.post(
        "/v1/login",
        &person.with(json!({"password": crate::issuer_server::PASSWORD})),
        None,
    );
    assert_eq!(status, 202, "{challenge}");
    let code = server.sms_code(&person.phone_e164).unwrap_or_default();
    let (status, session) = server.post(
        "/v1/login/code",
        &json!({"challenge": challenge["challenge"], "code": code}),
        None,
    );
    assert_eq!(status, 200, "{session}");
    let token = session["token"].as_str().unwrap_or_default().to_owned();
    let csrf = session["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(csrf.len() >= 40 && csrf != token, "{session}");

    let upload = json!({"records": [{"venue_id": "venue-csrf", "venue_name": "Cafe",
        "check_in": crate::accounts::rfc3339(time::OffsetDateTime::now_utc() - time::Duration::hours(2)),
        "check_out": null}]});
    let evil = "https://evil.example";
    let refused: [&[(&str, &str)]; 5] = [
        &[("sec-fetch-site", "cross-site"), ("origin", evil)],
        &[("sec-fetch-site", "same-site")],
        &[("origin", evil)],
        &[("origin", "null")],
        &[("x-csrf-token", "not-the-token")],
    ];
    for headers in refused {
        assert_eq!(
            post_with_cookie(&server, "/v1/visits", &token, headers, &upload),
            (403, "cross_site".to_owned()),
            "{headers:?}"
        );
        assert_eq!(
            post_with_cookie(&server, "/v1/codes", &token, headers, &json!({})).0,
            403,
            "{headers:?}"
        );
    }
    // A client that sends nothing at all is not told apart from a forger.
    assert_eq!(
        post_with_cookie(&server, "/v1/visits", &token, &[], &upload).0,
        403
    );
    let (_, listed) = server.get("/v1/visits", Some(&token));
    assert_eq!(listed["visits"], json!([]), "nothing was stored");

    let own_origin = server.base.clone();
    let allowed: [&[(&str, &str)]; 3] = [
        &[("sec-fetch-site", "same-origin"), ("origin", &own_origin)],
        &[("origin", &own_origin)],
        &[("x-csrf-token", &csrf)],
    ];
    for headers in allowed {
        assert_eq!(
            post_with_cookie(&server, "/v1/visits", &token, headers, &upload).0,
            200,
            "{headers:?}"
        );
    }
    // A bearer token is sent only by a client that holds it: no check.
    let (status, _) = server.post("/v1/visits", &upload, Some(&token));
    assert_eq!(status, 200);
}

/// A PNG whose header claims `width` x `height` pixels and holds none.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    for chunk in [ihdr, b"IDAT".to_vec(), b"IEND".to_vec()] {
        png.extend_from_slice(&(chunk.len() as u32 - 4).to_be_bytes());
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32fast::hash(&chunk).to_be_bytes());
    }
    png
}

/// The refusal of a registration: (status, field, message).
fn refused_field(
    server: &IssuerServer,
    fields: &[(&str, &str)],
    proof: Option<&[u8]>,
) -> (u16, String, String) {
    let (status, body) = server.register(fields, proof.map(|p| ("bill.pdf", p)));
    let field = &body["error"]["fields"][0];
    (
        status,
        field["field"].as_str().unwrap_or_default().to_owned(),
        field["message"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Issue 12, attack 12: a guessable password, a name that hides or reorders
/// characters, a made-up passport country, and proofs that act when opened
/// or take gigabytes to show were all accepted and shown to reviewers.
#[test]
fn weak_passwords_hidden_characters_unknown_countries_and_active_proofs_are_refused() {
    let server = IssuerServer::start(RELAXED);
    let reviewer = server.staff("rita", "reviewer");
    let person = Person::hkid();
    let with = |field: &'static str, value: &'static str| {
        let mut form = person.form();
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        form
    };

    let (status, field, message) =
        refused_field(&server, &with("name", "CHAN\u{202E}NAM IAT"), None);
    assert_eq!((status, field.as_str()), (422, "name"), "{message}");
    assert!(message.contains("U+202E"), "{message}");
    let (_, field, message) = refused_field(&server, &with("name", "CH\u{200B}AN Tai Man"), None);
    assert_eq!(field, "name", "{message}");

    let mut passport = with("id_type", "PASSPORT-ZZZ");
    passport.retain(|(k, _)| *k != "id_number");
    passport.push(("id_number", "K12345678"));
    let (status, _, message) = refused_field(&server, &passport, None);
    assert_eq!(status, 422);
    assert!(
        message.contains("ZZZ is not an ISO 3166-1 alpha-3"),
        "{message}"
    );

    let script = b"%PDF-1.4\n1 0 obj << /OpenAction << /S /J#61vaScript /JS (app.alert(1)) >> >> endobj\n%%EOF";
    let (status, field, message) = refused_field(&server, &person.form(), Some(script));
    assert_eq!((status, field.as_str()), (422, "proof"), "{message}");
    assert!(message.contains("JavaScript"), "{message}");
    let launch = b"%PDF-1.4\n<< /AA << /O << /S /Launch /F (cmd.exe) >> >> >>";
    let (_, field, message) = refused_field(&server, &person.form(), Some(launch));
    assert!(
        field == "proof" && message.contains("launches a program"),
        "{message}"
    );
    let (_, field, message) = refused_field(
        &server,
        &person.form(),
        Some(&png_claiming(100_000, 100_000)),
    );
    assert!(
        field == "proof" && message.contains("100000 x 100000"),
        "{message}"
    );
    assert_eq!(
        queue_len(&server, &reviewer),
        0,
        "nothing reached a reviewer"
    );

    // A guessable password is refused and costs nothing: the PIN still works.
    crate::accounts::import_housing(&server, &person);
    assert_eq!(server.register(&person.form(), None).0, 202);
    let pin = server
        .sms_pin(&person.phone_e164)
        .unwrap_or_else(|| panic!("no SMS PIN"));
    for weak in ["aaaaaaaaaa", "1234567890", "password123", "qwertyuiop"] {
        let (status, body) = server.post(
            "/v1/activation",
            &person.with(json!({"pin": pin, "password": weak})),
            None,
        );
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("weak_password")),
            "{weak}: {body}"
        );
    }
    let number = person.id_number.replace(['(', ')'], "");
    let own = format!("{number}{number}");
    let (status, _) = server.post(
        "/v1/activation",
        &person.with(json!({"pin": pin, "password": own})),
        None,
    );
    assert_eq!(status, 422, "the document number is not a password");
    assert_eq!(person.activate(&server, &pin).0, 204);
}

/// Registers, activates and logs in each of `people` (housing route); their sessions.
fn active_residents(server: &IssuerServer, people: &[&Person]) -> Vec<String> {
    crate::accounts::import_housing_of(server, people);
    people
        .iter()
        .map(|person| {
            assert_eq!(server.register(&person.form(), None).0, 202);
            let pin = server
                .sms_pin(&person.phone_e164)
                .unwrap_or_else(|| panic!("no SMS PIN"));
            assert_eq!(person.activate(server, &pin).0, 204);
            person.login(server)
        })
        .collect()
}

/// Issue 12, attack 7: one resident's upload renamed a venue for everyone
/// who had been there (`"Your code is void. Pay HK$500 at http://..."`).
/// Names now come only from the operator's registry.
#[test]
fn venue_names_come_from_the_registry_never_from_an_upload() {
    use crate::accounts::rfc3339;
    let server = IssuerServer::start(RELAXED);
    let registry = server.dir.path().join("venues.csv");
    std::fs::write(
        &registry,
        "venue_id,name_en,name_zh\nvenue-lucky,Lucky Cafe,好運茶餐廳\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = server.cli(&["venues", "import", &registry.to_string_lossy()]);
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 1 venues"
    );

    let (attacker, victim) = (Person::hkid(), Person::hkid());
    let sessions = active_residents(&server, &[&attacker, &victim]);
    let at = rfc3339(time::OffsetDateTime::now_utc() - time::Duration::hours(3));
    let scam = "Your code is void. Pay HK$500 at http://pay.example";
    let upload = |session: &str, name: &str| {
        let records = json!({"records": [
            {"venue_id": "venue-lucky", "venue_name": name, "check_in": at},
            {"venue_id": "venue-unlisted", "venue_name": name, "check_in": at},
        ]});
        let (status, body) = server.post("/v1/visits", &records, Some(session));
        assert_eq!((status, &body["stored"]), (200, &json!(2)), "{body}");
    };
    upload(&sessions[1], "Lucky Cafe");
    upload(&sessions[0], scam);
    for session in &sessions {
        let (_, listed) = server.get("/v1/visits", Some(session));
        let names: Vec<(&str, &serde_json::Value)> = listed["visits"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| (v["venue_id"].as_str().unwrap_or_default(), &v["venue_name"]))
            .collect();
        assert_eq!(
            names,
            [
                (
                    "venue-lucky",
                    &json!({"en": "Lucky Cafe", "zh": "好運茶餐廳"})
                ),
                ("venue-unlisted", &serde_json::Value::Null),
            ],
            "the registry's name, or none: {listed}"
        );
    }
    // The scam text was never stored.
    let data = std::path::Path::new(&server.data()).to_path_buf();
    let mut stored = vec![healthcode_tests::databases::stored_bytes(&server.data())];
    for entry in std::fs::read_dir(&data).unwrap_or_else(|e| panic!("{e}")) {
        stored.push(std::fs::read(entry.map(|e| e.path()).unwrap_or_default()).unwrap_or_default());
    }
    for bytes in stored {
        assert!(
            !bytes.windows(10).any(|w| w == b"Pay HK$500"),
            "stored in the database or the data folder"
        );
    }

    // A registry row that hides characters refuses the whole file.
    std::fs::write(
        &registry,
        "venue_id,name_en,name_zh\nvenue-lucky,Lucky\u{202E}efaC,\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = server.cli(&["venues", "import", &registry.to_string_lossy()]);
    assert!(!output.status.success());
    let message = crate::support::stderr(&output);
    assert!(
        message.contains("line 2") && message.contains("U+202E"),
        "{message}"
    );
    let (_, listed) = server.get("/v1/visits", Some(&sessions[1]));
    assert_eq!(
        listed["visits"][0]["venue_name"]["en"], "Lucky Cafe",
        "unchanged"
    );
}

/// Runs SQL on the SQLite database in `data` (no service running).
fn tamper(data: &std::path::Path, statements: &[String]) {
    let url = healthcode_tests::databases::issuer_database_url(&data.to_string_lossy());
    healthcode_tests::databases::execute(&url, statements);
}

/// The audit chain's rows: (seq, at, actor, action, subject, detail).
type AuditRow = (i64, i64, String, String, String, String);

/// Rewrites the whole audit chain with the unkeyed SHA-256 links that
/// older versions used, as an insider who has only the database can.
fn recompute_with_sha256(data: &std::path::Path) {
    use sha2::{Digest as _, Sha256};
    let url = healthcode_tests::databases::issuer_database_url(&data.to_string_lossy());
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<AuditRow> = runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let rows = sqlx::query_as(
            "SELECT seq, at, actor, action, subject, detail FROM audit_log ORDER BY seq",
        )
        .fetch_all(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        pool.close().await;
        rows
    });
    let mut prev = "0".repeat(64);
    let mut statements = Vec::new();
    for (index, (seq, at, actor, action, subject, detail)) in rows.iter().enumerate() {
        let new_seq = index as i64 + 1;
        let mut hasher = Sha256::new();
        hasher.update(b"HKHC/audit/v1");
        for part in [
            prev.as_str(),
            &new_seq.to_string(),
            &at.to_string(),
            actor,
            action,
            subject,
            detail,
        ] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        let hash: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        statements.push(format!(
            "UPDATE audit_log SET seq = {new_seq}, prev_hash = '{prev}', hash = '{hash}' WHERE seq = {seq}"
        ));
        prev = hash;
    }
    tamper(data, &statements);
}

/// `issuer audit verify` on a copy of `data`: (exit code, stdout + stderr).
fn verify_copy(
    server: &IssuerServer,
    name: &str,
    change: impl FnOnce(&std::path::Path),
) -> (Option<i32>, String) {
    let copy = server.dir.path().join(name);
    std::fs::create_dir_all(&copy).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(server.data()).unwrap_or_else(|e| panic!("{e}")) {
        let from = entry.map(|e| e.path()).unwrap_or_default();
        let to = copy.join(from.file_name().unwrap_or_default());
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("{e}"));
    }
    let copy_data = copy.to_string_lossy().into_owned();
    healthcode_tests::databases::copy_issuer_database(&server.data(), &copy_data);
    change(&copy);
    let output = std::process::Command::new(crate::support::bin("issuer"))
        .args(["audit", "verify", "--data", &copy_data])
        .args(healthcode_tests::databases::issuer_database_args(
            &copy_data,
        ))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "{}{}",
        crate::support::stdout(&output),
        crate::support::stderr(&output)
    );
    (output.status.code(), text)
}

/// Issue 12, attack 9: deleting the newest entries, or deleting any entry
/// and recomputing the unkeyed chain, or rewriting who submitted a batch,
/// when or from where, all left `issuer audit verify` at "intact".
#[test]
fn the_audit_log_cannot_be_cut_or_rewritten_unseen() {
    let mut server = IssuerServer::start(RELAXED);
    let authority = server.staff("hana", "health_authority");
    let reviewer = server.staff("rita", "reviewer");
    let designation = json!({"records": [{"place": "venue-audit", "start": "2026-11-01T00:00:00Z", "end": null}]});
    assert_eq!(
        server
            .post("/v1/feeds/designations", &designation, Some(&authority))
            .0,
        200
    );
    // Traffic while the service dies by SIGKILL.
    let base = server.base.clone();
    let traffic = std::thread::spawn(move || {
        for _ in 0..60 {
            let (content_type, body) = multipart(&Person::hkid().form(), None);
            let _ = ureq::post(&format!("{base}/v1/registrations"))
                .set("content-type", &content_type)
                .send_bytes(&body);
            let _ = ureq::get(&format!("{base}/v1/staff/review-queue"))
                .set("authorization", &format!("Bearer {reviewer}"))
                .call();
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    server.kill9();
    let _ = traffic.join();

    let (code, text) = verify_copy(&server, "untouched", |_| {});
    assert_eq!(code, Some(0), "after kill -9, untouched: {text}");
    assert!(text.contains("audit anchor holds"), "{text}");
    // The anchor lags the head by at most a second of writes; a verify that
    // passes moves it up to the head, so that cutting even the last entry shows.
    let output = server.cli(&["audit", "verify"]);
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );

    let newest_cut = |data: &std::path::Path| {
        tamper(
            data,
            &["DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 2 FROM audit_log)".into()],
        );
    };
    let (code, text) = verify_copy(&server, "newest-cut", newest_cut);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("entries were cut"), "{text}");

    let (code, text) = verify_copy(&server, "recomputed", |data| {
        tamper(data, &["DELETE FROM audit_log WHERE seq = 2".into()]);
        recompute_with_sha256(data);
    });
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("breaks at entry 1"), "{text}");

    for (name, change) in [
        ("submitter", "submitted_by = 'staff:someone-else'"),
        ("time", "submitted_at = submitted_at - 3600"),
        ("source", "source = 'import:other.csv'"),
    ] {
        let (code, text) = verify_copy(&server, name, |data| {
            tamper(data, &[format!("UPDATE feed_batches SET {change}")]);
        });
        assert_eq!(code, Some(1), "{name}: {text}");
        assert!(
            text.contains("its submitter, time or source"),
            "{name}: {text}"
        );
    }

    let (code, text) = verify_copy(&server, "anchor-gone", |data| {
        std::fs::remove_file(data.join("audit-anchor.json")).unwrap_or_else(|e| panic!("{e}"));
    });
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("no audit anchor"), "{text}");

    // A restarted service does not bless a cut: the anchor stays, verify keeps failing.
    newest_cut(std::path::Path::new(&server.data()));
    server.restart();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    server.kill9();
    assert!(
        server.log().contains("AUDIT LOG ALTERED"),
        "{}",
        server.log()
    );
    let (code, _) = verify_copy(&server, "after-restart", |_| {});
    assert_eq!(code, Some(1));
}

/// Loads the register of identity cards with `people` as they are.
fn import_register(server: &IssuerServer, people: &[&Person]) {
    let csv = server.dir.path().join("register.csv");
    let mut text = "id_document,date_of_issue,name\n".to_owned();
    for p in people {
        text.push_str(&format!(
            "\"{}:{}\",{},\"{}\"\n",
            p.id_type, p.id_number, p.date_of_issue, p.name
        ));
    }
    std::fs::write(&csv, text).unwrap_or_else(|e| panic!("{e}"));
    let output = server.cli(&["id-register", "import", &csv.to_string_lossy()]);
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );
}

/// `victim`'s document, name and address, with `date_of_issue` and the phone of `caller`.
fn impostor_of(victim: &Person, caller: &Person, date_of_issue: &str) -> Person {
    Person {
        name: victim.name.clone(),
        id_type: victim.id_type.clone(),
        id_number: victim.id_number.clone(),
        date_of_issue: date_of_issue.to_owned(),
        phone: caller.phone.clone(),
        phone_e164: caller.phone_e164.clone(),
        address: victim.address.clone(),
    }
}

/// The messages sent to `phone` so far.
fn messages_to(server: &IssuerServer, phone: &str) -> Vec<serde_json::Value> {
    server
        .outbox()
        .into_iter()
        .filter(|m| m["phone"] == phone)
        .collect()
}

/// Issue 12, attack 1: knowing a housing tenant's document number and
/// address was enough to get their PIN on one's own phone, activate, see
/// their health status, and pass the checkpoint's identity check.
#[test]
fn an_impostor_who_knows_a_tenants_document_and_address_gets_no_pin() {
    let server = IssuerServer::start(RELAXED);
    let reviewer = server.staff("rita", "reviewer");
    let (victim, caller) = (Person::hkid(), Person::hkid());
    crate::accounts::import_housing(&server, &victim);
    import_register(&server, &[&victim]);

    // A made-up date of issue: not in the register, so a reviewer decides.
    let guess = impostor_of(&victim, &caller, "2011-07-15");
    assert_eq!(server.register(&guess.form(), None).0, 202);
    assert!(
        messages_to(&server, &caller.phone_e164).is_empty(),
        "nothing to the impostor"
    );
    assert_eq!(queue_len(&server, &reviewer), 1);

    // Everything on the card (a photo of it), from another phone: the PIN
    // goes by letter to the tenancy address, and the tenant is told.
    let card = impostor_of(&victim, &caller, &victim.date_of_issue);
    assert_eq!(server.register(&card.form(), None).0, 202);
    assert!(
        messages_to(&server, &caller.phone_e164).is_empty(),
        "still nothing to the impostor"
    );
    let notices = messages_to(&server, &victim.phone_e164);
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["purpose"], "notice");
    let letters = server.export_letters();
    assert_eq!(letters.len(), 1);
    let letter = std::fs::read_to_string(&letters[0]).unwrap_or_default();
    assert!(
        letter.contains(&victim.address),
        "the letter goes to the tenancy: {letter}"
    );

    // The tenant registers from their own phone: a PIN by SMS, and an account.
    assert_eq!(server.register(&victim.form(), None).0, 202);
    let pin = server
        .sms_pin(&victim.phone_e164)
        .unwrap_or_else(|| panic!("no SMS PIN for the tenant"));
    assert_eq!(victim.activate(&server, &pin).0, 204);
    let session = victim.login(&server);
    assert_eq!(server.get("/v1/me", Some(&session)).0, 200);
    // The letter's PIN, in the impostor's hands, opens nothing now.
    let letter_pin = letter
        .lines()
        .find_map(|l| l.strip_prefix("PIN: "))
        .and_then(crate::issuer_server::pin_in)
        .unwrap_or_default();
    assert_eq!(card.activate(&server, &letter_pin).0, 401);
    // A later try is refused, and the notice reaches the holder, not the caller.
    assert_eq!(server.register(&card.form(), None).0, 202);
    assert!(messages_to(&server, &caller.phone_e164).is_empty());
    assert_eq!(
        messages_to(&server, &victim.phone_e164).len(),
        4,
        "the PIN, the sign-in code, then two notices"
    );
}

/// Issue 12, attack 2: a second registration of a pending tenant's HKID,
/// with another date of issue, pushed the tenant's application into review
/// and killed their PIN. It needed only the document number.
#[test]
fn a_competing_registration_does_not_push_a_pending_application_aside() {
    let server = IssuerServer::start(RELAXED);
    let reviewer = server.staff("rita", "reviewer");
    let (victim, caller) = (Person::hkid(), Person::hkid());
    crate::accounts::import_housing(&server, &victim);
    assert_eq!(server.register(&victim.form(), None).0, 202);
    let pin = server
        .sms_pin(&victim.phone_e164)
        .unwrap_or_else(|| panic!("no SMS PIN"));

    let squatter = Person {
        address: caller.address.clone(),
        ..impostor_of(&victim, &caller, "2012-01-01")
    };
    assert_eq!(server.register(&squatter.form(), None).0, 202);
    assert_eq!(
        queue_len(&server, &reviewer),
        1,
        "only the newcomer waits for a reviewer"
    );
    assert_eq!(
        victim.activate(&server, &pin).0,
        204,
        "the tenant's PIN still works"
    );
}

/// POSTs `body` to `path` as the client `client` behind the trusted proxy;
/// (status, body).
fn post_as(
    server: &IssuerServer,
    client: &str,
    path: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    match ureq::post(&format!("{}{path}", server.base))
        .set("x-forwarded-for", client)
        .send_json(body.clone())
    {
        Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_json().unwrap_or_default()),
        Err(e) => panic!("transport error: {e}"),
    }
}

/// Issue 12, attacks 3 and 4: wrong PINs answered 401 for an unregistered
/// document but 423 for a pending one, a resend answered 429 only for the
/// right document and phone, the letter route had no resend, and anyone's
/// ten wrong tries locked the holder out of activation or login.
#[test]
fn activation_resend_and_login_answer_alike_and_lock_no_holder_out() {
    let server = IssuerServer::start(&[RELAXED, &["--trusted-proxy", "127.0.0.1"]].concat());
    let (attacker, holder) = ("198.51.100.66", "203.0.113.5");
    let (pending, active, stranger) = (Person::hkid(), Person::hkid(), Person::hkid());
    crate::accounts::import_housing_of(&server, &[&pending, &active]);
    for person in [&pending, &active] {
        assert_eq!(server.register(&person.form(), None).0, 202);
    }
    let active_pin = server.sms_pin(&active.phone_e164).unwrap_or_default();
    assert_eq!(active.activate(&server, &active_pin).0, 204);
    let pin = server.sms_pin(&pending.phone_e164).unwrap_or_default();
    let wrong = if pin == "000000" { "111111" } else { "000000" };

    // Activation: the same answers, in the same order, whoever the document is.
    let tries = |person: &Person| -> Vec<(u16, serde_json::Value)> {
        let body = person.with(json!({"pin": wrong, "password": crate::issuer_server::PASSWORD}));
        (0..5)
            .map(|_| {
                let (status, mut answer) = post_as(&server, attacker, "/v1/activation", &body);
                answer["error"]["message"] = json!(
                    answer["error"]["message"].as_str().map(|m| m
                        .split(" in ")
                        .next()
                        .unwrap_or(m)
                        .to_owned())
                );
                (status, answer)
            })
            .collect()
    };
    let (for_pending, for_stranger) = (tries(&pending), tries(&stranger));
    assert_eq!(
        for_pending, for_stranger,
        "nothing tells a pending document from an unknown one"
    );
    let statuses: Vec<u16> = for_pending.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses,
        [401, 401, 401, 429, 429],
        "the attacker waits, doubling"
    );
    // The holder, from their own phone's address, is not held up at all.
    assert_eq!(
        post_as(
            &server,
            holder,
            "/v1/activation",
            &pending.with(json!({"pin": pin, "password": crate::issuer_server::PASSWORD}))
        )
        .0,
        204
    );

    // Resend: 202 for everyone, every time; the limits act in silence.
    for person in [&active, &pending, &stranger, &active] {
        let (status, body) = post_as(
            &server,
            attacker,
            "/v1/activation/pin",
            &person.with(json!({"phone": person.phone})),
        );
        assert_eq!(status, 202, "{body}");
    }
    // The letter route has a way back too. While a letter's PIN is good, a
    // new letter comes at most once a week; once someone has killed it with
    // wrong tries, the holder asks and a new one is on its way.
    let letter = Person::hkid();
    assert_eq!(server.register(&letter.form(), None).0, 202);
    assert_eq!(server.export_letters().len(), 1);
    let again = letter.with(json!({"phone": letter.phone}));
    assert_eq!(
        post_as(&server, holder, "/v1/activation/pin", &again).0,
        202
    );
    assert_eq!(
        server.export_letters().len(),
        0,
        "the letter's PIN is good: no second letter"
    );
    let kill = letter.with(json!({"pin": wrong, "password": crate::issuer_server::PASSWORD}));
    for (n, wait) in [0, 0, 0, 1100, 2100].into_iter().enumerate() {
        std::thread::sleep(std::time::Duration::from_millis(wait));
        assert_eq!(
            post_as(&server, attacker, "/v1/activation", &kill).0,
            401,
            "try {n}"
        );
    }
    assert_eq!(
        post_as(&server, holder, "/v1/activation/pin", &again).0,
        202
    );
    assert_eq!(
        server.export_letters().len(),
        1,
        "a new letter for a killed PIN"
    );

    // Login: ten tries by anyone used to lock the holder out for 15 minutes.
    let guess = active.with(json!({"password": "not the password at all"}));
    let statuses: Vec<u16> = (0..12)
        .map(|_| post_as(&server, attacker, "/v1/login", &guess).0)
        .collect();
    assert_eq!(&statuses[..4], [401, 401, 401, 429]);
    assert!(statuses[4..].iter().all(|s| *s == 429));
    // (Another stranger: the one above has already spent its free tries on activation.)
    let unknown = Person::hkid().with(json!({"password": "not the password at all"}));
    let statuses: Vec<u16> = (0..4)
        .map(|_| post_as(&server, attacker, "/v1/login", &unknown).0)
        .collect();
    assert_eq!(
        statuses,
        [401, 401, 401, 429],
        "the same for a document with no account"
    );
    let right = active.with(json!({"password": crate::issuer_server::PASSWORD}));
    assert_eq!(
        post_as(&server, holder, "/v1/login", &right).0,
        202,
        "the holder's password is right, and the SMS code is on its way"
    );
}

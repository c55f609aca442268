//! The API descriptions say what the services do: the checked-in copy is the
//! one served, and every status a route documents is one a real request
//! gets (and none it gets is missing from the document).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::{
    support::{KeySet, run},
    verifier_service::Verifier,
};

/// Every (method, path, status) a description documents.
fn documented(description: &Value) -> BTreeSet<(String, String, u16)> {
    let mut found = BTreeSet::new();
    for (path, methods) in description["paths"].as_object().into_iter().flatten() {
        for (method, operation) in methods.as_object().into_iter().flatten() {
            for status in operation["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(s, _)| s)
            {
                let status = status
                    .parse()
                    .unwrap_or_else(|e| panic!("{path} {status}: {e}"));
                found.insert((method.to_uppercase(), path.clone(), status));
            }
        }
    }
    found
}

/// Sends `body` (with `content_type`) to `url`; the status.
fn send(method: &str, url: &str, content_type: &str, body: &[u8]) -> u16 {
    let request = ureq::request(method, url).set("content-type", content_type);
    let response = if method == "GET" {
        request.call()
    } else {
        request.send_bytes(body)
    };
    match response {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{method} {url}: {e}"),
    }
}

/// Statuses no request from outside can bring about on demand, and why.
const NOT_DRIVEN: &[(u16, &str)] = &[
    (
        408,
        "a request that takes longer than the service's time limit",
    ),
    (500, "a fault inside the service"),
    (
        503,
        "every photo decoder held longer than the 3 s queue wait",
    ),
];

#[test]
fn the_verifier_description_is_served_and_every_status_it_documents_happens() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/verifier-openapi.json");
    let checked_in: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default())
            .unwrap_or_else(|e| panic!("docs/verifier-openapi.json: {e}"));
    let printed = run("verifier", &["openapi"], std::path::Path::new("."));
    let printed: Value = serde_json::from_slice(&printed.stdout).unwrap_or_default();
    assert_eq!(
        printed, checked_in,
        "regenerate with: verifier openapi > docs/verifier-openapi.json"
    );

    let set = KeySet::new(false);
    let token = set.issue("green", "HKID:A123456(3)", &[]);
    let token_id = crate::support::token_id_of(&token);
    // One verifier with the identity key, one without; one that never syncs.
    let with_identity = Verifier::start(&set, &[]);
    let served: Value = ureq::get(&format!("{}/openapi.json", with_identity.base))
        .call()
        .ok()
        .and_then(|r| r.into_json().ok())
        .unwrap_or_default();
    assert_eq!(
        served, checked_in,
        "served and checked-in descriptions differ"
    );
    let snapshot_file = set.path("snapshot.json");
    let key = healthcode_keys::IssuerSecretKey::read(std::path::Path::new(
        &set.path(&format!("{}.secret", set.kid)),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let snapshot = healthcode_keys::revocation::SignedSnapshot::sign(
        &key,
        healthcode_keys::hktime::now(),
        vec![],
    );
    std::fs::write(&snapshot_file, snapshot.to_json()).unwrap_or_else(|e| panic!("{e}"));
    let with_snapshot = Verifier::start(&set, &["--revocations", &snapshot_file]);
    let unsynced = Verifier::start(&set, &["--redis", "redis://127.0.0.1:1"]);
    let no_identity = {
        // Started by hand: Verifier::start always passes the identity key.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let listen = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(crate::support::bin("verifier"))
            .args([
                "serve",
                "--trust",
                &set.path("trust.json"),
                "--root",
                &set.path("root.public"),
                "--listen",
                &listen,
            ])
            .env("XDG_STATE_HOME", set.state())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        crate::verifier_service::Verifier::adopt(child, format!("http://{listen}"))
    };

    let json_token = json!({"token": token}).to_string();
    let json_with_doc = json!({"token": token, "id_doc": "HKID:A123456(3)"}).to_string();
    let huge = vec![b'x'; 17 << 20];
    let status_path = format!("/v1/codes/{token_id}/status");
    // (method, documented path, the verifier to ask, the path to send, content type, body, status)
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a Verifier,
        String,
        &'a str,
        Vec<u8>,
        u16,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "POST",
            "/v1/verify",
            &with_identity,
            "/v1/verify".into(),
            "application/json",
            json_token.clone().into_bytes(),
            200,
        ),
        (
            "POST",
            "/v1/verify",
            &with_identity,
            "/v1/verify".into(),
            "application/json",
            b"{not json".to_vec(),
            400,
        ),
        (
            "POST",
            "/v1/verify",
            &with_identity,
            "/v1/verify".into(),
            "application/json",
            huge,
            413,
        ),
        (
            "POST",
            "/v1/verify",
            &with_identity,
            "/v1/verify".into(),
            "text/plain",
            json_token.clone().into_bytes(),
            415,
        ),
        (
            "POST",
            "/v1/verify",
            &no_identity,
            "/v1/verify".into(),
            "application/json",
            json_with_doc.into_bytes(),
            422,
        ),
        (
            "GET",
            "/v1/codes/{token_id}/status",
            &with_identity,
            status_path,
            "",
            Vec::new(),
            200,
        ),
        (
            "GET",
            "/v1/codes/{token_id}/status",
            &with_identity,
            "/v1/codes/NOT-AN-ID/status".into(),
            "",
            Vec::new(),
            400,
        ),
        (
            "GET",
            "/v1/revocations",
            &with_snapshot,
            "/v1/revocations".into(),
            "",
            Vec::new(),
            200,
        ),
        (
            "GET",
            "/v1/revocations",
            &with_identity,
            "/v1/revocations".into(),
            "",
            Vec::new(),
            404,
        ),
        (
            "GET",
            "/healthz",
            &with_identity,
            "/healthz".into(),
            "",
            Vec::new(),
            200,
        ),
        (
            "GET",
            "/readyz",
            &with_identity,
            "/readyz".into(),
            "",
            Vec::new(),
            200,
        ),
        (
            "GET",
            "/readyz",
            &unsynced,
            "/readyz".into(),
            "",
            Vec::new(),
            503,
        ),
        (
            "GET",
            "/metrics",
            &with_identity,
            "/metrics".into(),
            "",
            Vec::new(),
            200,
        ),
        (
            "GET",
            "/v1/lanes",
            &with_identity,
            "/v1/lanes?minutes=15".into(),
            "",
            Vec::new(),
            200,
        ),
        (
            "GET",
            "/v1/lanes",
            &with_identity,
            "/v1/lanes?minutes=0".into(),
            "",
            Vec::new(),
            400,
        ),
    ];
    let mut driven = BTreeSet::new();
    for (method, documented_path, verifier, path, content_type, body, expected) in &cases {
        let got = send(
            method,
            &format!("{}{path}", verifier.base),
            content_type,
            body,
        );
        assert_eq!(got, *expected, "{method} {path}");
        driven.insert((
            (*method).to_owned(),
            (*documented_path).to_owned(),
            *expected,
        ));
    }
    let described = documented(&checked_in);
    let undocumented: Vec<_> = driven.difference(&described).collect();
    assert!(
        undocumented.is_empty(),
        "statuses answered but not documented: {undocumented:?}"
    );
    let never_driven: Vec<_> = described
        .difference(&driven)
        .filter(|(_, _, status)| !NOT_DRIVEN.iter().any(|(s, _)| s == status))
        .collect();
    assert!(
        never_driven.is_empty(),
        "documented but never driven: {never_driven:?}"
    );
}

/// A documented path with its parameters filled in with values that name nothing.
fn concrete(path: &str) -> String {
    path.replace("{reference}", "HC-NO-SUCH-REF")
        .replace("{kind}", "statuses")
        .replace("{id}", "no-such-id")
}

/// Hostile and careless requests to every route the issuer documents; each
/// answer's status must be one the description lists for that route, so a
/// client written from the description is never surprised.
#[test]
fn every_status_the_issuer_answers_to_bad_requests_is_documented() {
    let server = crate::issuer_server::IssuerServer::start(crate::issuer_server::RELAXED);
    let (_, description) = server.get("/openapi.json", None);
    let described = documented(&description);
    let admin = server.staff("api-description-check", "admin");
    let bodies: &[(&str, &[u8])] = &[
        ("application/json", b"{not json"),
        ("application/json", b"{}"),
        ("application/json", b"[1,2,3]"),
        ("text/plain", b"hello"),
        ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
    ];
    let mut answered = BTreeSet::new();
    for (method, path, _) in &described {
        let url = format!("{}{}", server.base, concrete(path));
        for bearer in [None, Some(admin.as_str()), Some("not-a-token")] {
            let attempts: Vec<(&str, &[u8])> = if method == "GET" {
                vec![("", b"")]
            } else {
                bodies.to_vec()
            };
            for (content_type, body) in attempts {
                let mut request = ureq::request(method, &url);
                if !content_type.is_empty() {
                    request = request.set("content-type", content_type);
                }
                if let Some(token) = bearer {
                    request = request.set("authorization", &format!("Bearer {token}"));
                }
                let response = if method == "GET" {
                    request.call()
                } else {
                    request.send_bytes(body)
                };
                let status = match response {
                    Ok(r) => r.status(),
                    Err(ureq::Error::Status(code, _)) => code,
                    Err(e) => panic!("{method} {url}: {e}"),
                };
                answered.insert((method.clone(), path.clone(), status));
            }
        }
        if method == "GET" {
            let status = send("GET", &format!("{url}?limit=many"), "", b"");
            answered.insert((method.clone(), path.clone(), status));
        }
    }
    let undocumented: Vec<_> = answered.difference(&described).collect();
    assert!(
        undocumented.is_empty(),
        "statuses answered but not documented: {undocumented:?}"
    );
    // The generic refusals really happen, so the check above saw them.
    for status in [400, 401, 415, 422] {
        assert!(
            answered.iter().any(|(_, _, s)| *s == status),
            "no route answered {status}"
        );
    }
}

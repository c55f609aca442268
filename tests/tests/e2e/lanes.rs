//! A checkpoint with lanes: each code against the Guangdong exit policy gets
//! its documented admission, `/metrics` and the audit log carry checkpoint
//! and lane (and never the document), and the supervisor's page shows the
//! lanes in headless Chromium, in both languages, updating itself.

use std::time::{Duration, Instant};

use healthcode_tests::{browser::Browser, redis_server::RedisServer};
use serde_json::{Value, json};

use crate::{
    support::{CARD_ISSUED, KeySet, issuer_revoke, stderr, token_id_of},
    verifier_service::{Verifier, wait_connected},
    web_pages::{html_lang, keep_screen, words},
};

const ALICE: &str = "HKID:A123456(3)";
const BOB: &str = "HKID:K100008(A)";

fn gd_policy() -> String {
    format!(
        "{}/../policies/hk-exit-gd.policy",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `POST /v1/verify` with `request`, and the lane in the header when given.
fn verify(verifier: &Verifier, request: &Value, header_lane: Option<&str>) -> (u16, Value) {
    let mut call = ureq::post(&format!("{}/v1/verify", verifier.base));
    if let Some(lane) = header_lane {
        call = call.set("X-Healthcode-Lane", lane);
    }
    match call.send_json(request.clone()) {
        Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("transport error: {e}"),
    }
}

fn decision(answer: &Value) -> (String, String) {
    let field = |name: &str| {
        answer["admission"][name]
            .as_str()
            .unwrap_or_else(|| panic!("no admission {name} in {answer}"))
            .to_owned()
    };
    (field("decision"), field("reason"))
}

fn checked(token: &str, document: &str, lane: &str) -> Value {
    json!({"token": token, "id_doc": document, "date_of_issue": CARD_ISSUED, "lane": lane})
}

fn text_of(url: &str) -> String {
    ureq::get(url)
        .call()
        .ok()
        .and_then(|r| r.into_string().ok())
        .unwrap_or_default()
}

#[test]
fn each_lane_is_counted_audited_and_shown_to_the_supervisor() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let set = KeySet::new(false);
    let log = set.dir.path().join("verifier.log");
    let policy = gd_policy();
    let verifier = Verifier::start_logging(
        &set,
        &[
            "--redis",
            &redis.url(),
            "--policy",
            &policy,
            "--checkpoint",
            "LWS",
            "--stale-after",
            "3s",
        ],
        Some(&log),
    );
    wait_connected(&verifier, true);

    let green = set.issue("green", ALICE, &[]);
    let revoked = set.issue("green", ALICE, &[]);
    let output = issuer_revoke(
        &set.state(),
        &redis.url(),
        &token_id_of(&revoked),
        "risk_changed",
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let deadline = Instant::now() + Duration::from_secs(5);
    while verify(&verifier, &json!({"token": revoked}), None).1["error"]["code"] != "revoked" {
        assert!(Instant::now() < deadline, "the revocation did not arrive");
        std::thread::sleep(Duration::from_millis(20));
    }
    let amber = set.issue("amber", ALICE, &[]);
    let red = set.issue("red", ALICE, &[]);

    // Lane car-1 names itself in the body, bus-2 in the header.
    let cases = [
        (
            checked(&green, ALICE, "car-1"),
            None,
            ("admit", "colour_green"),
        ),
        (
            checked(&amber, ALICE, "car-1"),
            None,
            ("refuse", "colour_amber"),
        ),
        (
            checked(&red, ALICE, "car-1"),
            None,
            ("refuse", "colour_red"),
        ),
        (
            checked(&green, BOB, "car-1"),
            None,
            ("refuse", "identity_mismatch"),
        ),
        (
            json!({"token": green}),
            Some("bus-2"),
            ("secondary", "identity_unchecked"),
        ),
        (
            json!({"token": revoked}),
            Some("bus-2"),
            ("refuse", "revoked"),
        ),
    ];
    for (request, header, (want, why)) in &cases {
        let (status, answer) = verify(&verifier, request, *header);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            decision(&answer),
            ((*want).to_owned(), (*why).to_owned()),
            "{request}"
        );
    }

    // A bad lane is refused by name, and counts nowhere.
    for (request, header) in [
        (json!({"token": green, "lane": "car 1"}), None),
        (json!({"token": green, "lane": ""}), None),
        (json!({"token": green}), Some("x".repeat(33))),
    ] {
        let (status, answer) = verify(&verifier, &request, header.as_deref());
        assert_eq!(status, 400, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("lane: "), "{message}");
    }

    // Stale revocation data: Redis gone past --stale-after sends a valid
    // code to secondary inspection.
    // (Probed without a lane, so that car-1's counts stay exact.)
    drop(redis);
    let stale = ("secondary".to_owned(), "revocation_unavailable".to_owned());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let unlaned = json!({"token": green, "id_doc": ALICE, "date_of_issue": CARD_ISSUED});
        let (_, answer) = verify(&verifier, &unlaned, None);
        if decision(&answer) == stale {
            break;
        }
        assert_eq!(decision(&answer).0, "admit", "{answer}");
        assert!(Instant::now() < deadline, "never stale: {answer}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let (_, answer) = verify(&verifier, &checked(&green, ALICE, "car-1"), None);
    assert_eq!(decision(&answer), stale, "{answer}");

    let metrics = text_of(&format!("{}/metrics", verifier.base));
    for line in [
        "healthcode_lane_verifications_total{checkpoint=\"LWS\",lane=\"car-1\",admission=\"refuse\",error=\"none\"} 2",
        "healthcode_lane_verifications_total{checkpoint=\"LWS\",lane=\"car-1\",admission=\"refuse\",error=\"identity_mismatch\"} 1",
        "healthcode_lane_verifications_total{checkpoint=\"LWS\",lane=\"car-1\",admission=\"secondary\",error=\"revocation_unavailable\"} 1",
        "healthcode_lane_verifications_total{checkpoint=\"LWS\",lane=\"bus-2\",admission=\"secondary\",error=\"none\"} 1",
        "healthcode_lane_verifications_total{checkpoint=\"LWS\",lane=\"bus-2\",admission=\"refuse\",error=\"revoked\"} 1",
        "healthcode_verification_duration_seconds_count{checkpoint=\"LWS\",lane=\"bus-2\"} 2",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    assert!(
        metrics.contains("healthcode_verification_duration_seconds_bucket{checkpoint=\"LWS\",lane=\"car-1\",le=\"+Inf\"}"),
        "{metrics}"
    );

    let audit = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<&str> = audit
        .lines()
        .filter(|l| l.contains("verification"))
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("checkpoint=\"LWS\"")
            && l.contains("lane=\"car-1\"")
            && l.contains("admission=\"refuse\"")
            && l.contains("reason=\"identity_mismatch\"")),
        "{audit}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("lane=\"bus-2\"") && l.contains("reason=\"revoked\"")),
        "{audit}"
    );
    for document in ["A123456", "K100008", CARD_ISSUED] {
        assert!(!audit.contains(document), "{document} in the audit log");
    }

    let lanes = verifier.get("/v1/lanes?minutes=15").unwrap_or_default();
    assert_eq!(lanes["checkpoint"], "LWS", "{lanes}");
    let car = lanes["lanes"]
        .as_array()
        .and_then(|all| all.iter().find(|l| l["lane"] == "car-1"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            &car["verifications"],
            &car["admitted"],
            &car["refused"],
            &car["secondary"]
        ),
        (&json!(5), &json!(1), &json!(3), &json!(1)),
        "{car}"
    );
    assert_eq!(
        ureq::get(&format!("{}/v1/lanes?minutes=16", verifier.base))
            .call()
            .err()
            .and_then(|e| match e {
                ureq::Error::Status(code, _) => Some(code),
                _ => None,
            }),
        Some(400)
    );

    supervisor_page_shows_the_lanes(&verifier);
}

fn supervisor_page_shows_the_lanes(verifier: &Verifier) {
    let browser = Browser::start(1280, 900);
    browser.goto(&format!("{}/supervisor?lang=en", verifier.base));
    assert_eq!(html_lang(&browser), "en");
    assert!(
        words(&browser.text("h1")).contains("Lanes at checkpoint LWS"),
        "{}",
        browser.text("h1")
    );
    let car = words(&browser.text("tbody tr:first-child"));
    assert!(car.starts_with("bus-2 2 0.4 0 1 1 1"), "{car}");
    let table = words(&browser.text("table"));
    for expected in [
        "car-1 5 1.0 1 1 3 2",
        "Red code: 1",
        "Amber code: 1",
        "ID document does not match the code: 1",
        "Revocation data too old: 1",
        "Code revoked: 1",
    ] {
        assert!(table.contains(expected), "{expected} in {table}");
    }
    let freshness = words(&browser.text("#freshness"));
    assert!(freshness.contains("Ready for travellers"), "{freshness}");
    assert!(freshness.contains("Not connected"), "{freshness}");
    assert!(freshness.contains("STALE"), "{freshness}");
    assert!(freshness.contains("hk-exit-gd"), "{freshness}");
    browser.assert_accessible("supervisor page, en");
    for url in browser.loaded_urls() {
        assert!(
            url.starts_with(&verifier.base),
            "loaded from elsewhere: {url}"
        );
    }
    keep_screen(&browser, "supervisor-en");

    // Keyboard only: the pause button is reached and pressed.
    browser.tab_to("#pause", 30);
    browser.enter_in_place();
    assert_eq!(browser.text("#pause"), "Resume updates");
    assert_eq!(
        browser.attr("#pause", "aria-pressed").as_deref(),
        Some("true")
    );
    browser.enter_in_place();
    assert_eq!(browser.text("#pause"), "Pause updates");

    // The page updates itself: a new check shows within one update.
    let (status, _) = verify(
        verifier,
        &json!({"token": "HC2:garbage", "lane": "walk-3"}),
        None,
    );
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(25);
    while !browser.text("table").contains("walk-3") {
        assert!(Instant::now() < deadline, "the page did not update itself");
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(words(&browser.text("table")).contains("Not a health code: 1"));

    browser.goto(&format!(
        "{}/supervisor?minutes=15&lang=zh-HK",
        verifier.base
    ));
    assert_eq!(html_lang(&browser), "zh-HK");
    let table = words(&browser.text("table"));
    for expected in [
        "各通道，最近 15 分鐘",
        "紅碼：1",
        "黃碼：1",
        "健康碼已撤銷：1",
        "不是健康碼：1",
    ] {
        assert!(table.contains(expected), "{expected} in {table}");
    }
    assert!(words(&browser.text("#freshness")).contains("未連線"));
    browser.assert_accessible("supervisor page, zh-HK");
    keep_screen(&browser, "supervisor-zh-HK");

    // A window out of range is refused in words.
    let answer = ureq::get(&format!(
        "{}/supervisor?minutes=99&lang=zh-HK",
        verifier.base
    ))
    .call();
    match answer {
        Err(ureq::Error::Status(400, response)) => {
            let text = response.into_string().unwrap_or_default();
            assert!(text.contains("1 至 15"), "{text}");
        }
        other => panic!("expected 400, got {other:?}"),
    }
}

#[test]
fn a_specimen_at_a_real_checkpoint_is_refused_and_counted() {
    let set = KeySet::new(true);
    let policy = gd_policy();
    let verifier = Verifier::start(&set, &["--policy", &policy, "--checkpoint", "LWS"]);
    let token = set.issue("green", ALICE, &[]);
    let (status, answer) = verify(&verifier, &checked(&token, ALICE, "car-1"), None);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        decision(&answer),
        ("refuse".to_owned(), "specimen".to_owned())
    );
    let metrics = text_of(&format!("{}/metrics", verifier.base));
    let line = "healthcode_lane_verifications_total{checkpoint=\"LWS\",lane=\"car-1\",admission=\"refuse\",error=\"specimen\"} 1";
    assert!(metrics.contains(line), "{metrics}");
}

#[test]
fn a_bad_checkpoint_id_stops_the_verifier_at_start() {
    let set = KeySet::new(false);
    let output = std::process::Command::new(crate::support::bin("verifier"))
        .args(["serve", "--trust", &set.path("trust.json"), "--root"])
        .args([&set.path("root.public"), "--checkpoint", "Lo Wu"])
        .env("XDG_STATE_HOME", set.state())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("--checkpoint") && message.contains("' '"),
        "{message}"
    );
}

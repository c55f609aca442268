//! Converting a green code for Guangdong and Macao end to end: the real
//! `keys` CLI makes the conversion key and the partners' keys, a real
//! `issuer serve` converts, and the real `scanner convert-check` opens the
//! payload as the partner would, from its text and from a photo of its QR
//! code. Amber is refused and audited; another key, a changed byte or a
//! later day is refused by name. The resident's page does it by keyboard
//! in both languages, axe-core clean.

use std::path::PathBuf;

use base64::Engine as _;
use healthcode_tests::browser::Browser;
use serde_json::{Value, json};

use crate::{
    codes::{apply, issuer_args, resident, start_issuer, submit},
    issuer_server::IssuerServer,
    support::{KeySet, run, stderr, stdout},
    web_pages::{PHONE, html_lang, keep_screen, sign_in_and_apply_by_keyboard, words},
};

/// A conversion key of its own in `keys`' trust list, and the partners' key pairs.
struct Partners {
    conversion_secret: String,
    /// (secret, public) of GD, then of MO.
    gd: (String, String),
    mo: (String, String),
}

fn partners(keys: &KeySet) -> Partners {
    let folder = keys.path("conversion");
    let output = run(
        "keys",
        &["generate", "--issuer", "HK", "--out", &folder],
        &keys.state(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let kid = stdout(&output).trim().to_owned();
    // The trust list now holds the signing key and the conversion key.
    let signing = keys.path(&format!("{}.public", keys.kid));
    let conversion = format!("{folder}/{kid}.public");
    let root = keys.path("root.secret");
    let output = run(
        "keys",
        &[
            "trust-list",
            "--root",
            &root,
            "--seq",
            "2",
            &signing,
            &conversion,
        ],
        &keys.state(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::write(keys.path("trust.json"), output.stdout).unwrap_or_else(|e| panic!("{e}"));
    let pair = |region: &str| {
        let out = keys.path(&format!("partner-{region}"));
        let output = run(
            "keys",
            &["partner-key", "--region", region, "--out", &out],
            &keys.state(),
        );
        assert!(output.status.success(), "{}", stderr(&output));
        let paths: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
        assert!(
            paths[0].ends_with(".secret") && paths[1].ends_with(".public"),
            "{paths:?}"
        );
        (paths[0].clone(), paths[1].clone())
    };
    Partners {
        conversion_secret: format!("{folder}/{kid}.secret"),
        gd: pair("GD"),
        mo: pair("MO"),
    }
}

fn conversion_args(keys: &KeySet, partners: &Partners) -> Vec<String> {
    let mut args = issuer_args(keys, None, None);
    args.extend([
        "--conversion-key".to_owned(),
        partners.conversion_secret.clone(),
        "--partner-key".to_owned(),
        format!("GD={}", partners.gd.1),
        "--partner-key".to_owned(),
        format!("MO={}", partners.mo.1),
    ]);
    args
}

/// `scanner convert-check --json` of `input` with `partner_secret`; (exit code, answer).
fn convert_check(keys: &KeySet, partner_secret: &str, input: &str, extra: &[&str]) -> (i32, Value) {
    let (trust, root) = (keys.path("trust.json"), keys.path("root.public"));
    let mut args = vec![
        "convert-check",
        "--json",
        "--partner-key",
        partner_secret,
        "--trust",
        &trust,
        "--root",
        &root,
    ];
    args.extend(extra);
    args.push(input);
    let output = run("scanner", &args, &keys.state());
    let answer = serde_json::from_str(stdout(&output).trim()).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), answer)
}

fn convert(issuer: &IssuerServer, session: &str, partner: &str) -> (u16, Value) {
    issuer.post(
        "/v1/codes/today/conversions",
        &json!({ "partner": partner }),
        Some(session),
    )
}

fn write(keys: &KeySet, name: &str, bytes: &[u8]) -> String {
    let path = PathBuf::from(keys.path(name));
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    path.to_string_lossy().into_owned()
}

#[test]
fn a_green_code_converts_for_its_partner_and_everything_else_is_refused_by_name() {
    let keys = KeySet::new(false);
    let partners = partners(&keys);
    let issuer = start_issuer(&conversion_args(&keys, &partners));
    let (person, session) = resident(&issuer, &[("venue-conv-cafe", 30)]);
    let code = apply(&issuer, &session);
    assert_eq!(code["colour"], "green");

    let (status, converted) = convert(&issuer, &session, "GD");
    assert_eq!(status, 201, "{converted}");
    let payload = converted["payload"].as_str().unwrap_or_default().to_owned();
    assert!(payload.starts_with("HKCV1:"), "{payload}");
    assert_eq!(converted["expires_at"], code["valid_until"]);
    for leak in [person.name.as_str(), "A1234", person.address.as_str()] {
        assert!(!payload.contains(leak), "the payload is sealed");
    }

    // The partner opens it from the text, from a file, and from its QR code.
    let file = write(&keys, "conversion.txt", payload.as_bytes());
    let png = base64::engine::general_purpose::STANDARD
        .decode(converted["qr_png"].as_str().unwrap_or_default())
        .unwrap_or_default();
    let photo = write(&keys, "conversion.png", &png);
    for input in [&payload, &file, &photo] {
        let (exit, answer) = convert_check(&keys, &partners.gd.0, input, &[]);
        assert_eq!(
            (exit, &answer["accepted"]),
            (0, &json!(true)),
            "{input:.40}: {answer}"
        );
        let record = &answer["record"];
        assert_eq!(record["name"], person.name.as_str());
        assert_eq!(record["document_type"], person.id_type.as_str());
        let number: String = person
            .id_number
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        assert_eq!(record["document_number"], number.as_str());
        assert_eq!(
            (
                &record["colour"],
                &record["partner"],
                &record["issuing_region"]
            ),
            (&json!("green"), &json!("GD"), &json!("HK"))
        );
        assert_eq!(record["conversion_id"], converted["conversion_id"]);
    }

    // Anything else is refused, and says why.
    let refusal = |secret: &str, input: &str, extra: &[&str]| {
        let (exit, answer) = convert_check(&keys, secret, input, extra);
        assert_eq!(exit, 1, "{answer}");
        answer["refusal"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(refusal(&partners.mo.0, &payload, &[]), "wrong_partner_key");
    let middle = payload.len() / 2;
    let flipped = if &payload[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let tampered = format!("{}{flipped}{}", &payload[..middle], &payload[middle + 1..]);
    assert_eq!(refusal(&partners.gd.0, &tampered, &[]), "tampered");
    let tomorrow = healthcode_keys::hktime::format_hk(
        healthcode_keys::hktime::end_of_hk_day(healthcode_keys::hktime::now())
            + time::Duration::seconds(1),
    );
    assert_eq!(
        refusal(&partners.gd.0, &payload, &["--at", &tomorrow]),
        "expired"
    );
    let (exit, _) = convert_check(&keys, &partners.gd.1, &payload, &[]);
    assert_eq!(exit, 2, "a public key is not the partner's secret key");

    // Macao gets its own payload; Hong Kong and unknown regions are not partners.
    let (status, macao) = convert(&issuer, &session, "MO");
    assert_eq!(status, 201, "{macao}");
    let (exit, answer) = convert_check(
        &keys,
        &partners.mo.0,
        macao["payload"].as_str().unwrap_or_default(),
        &[],
    );
    assert_eq!(
        (exit, &answer["record"]["partner"]),
        (0, &json!("MO")),
        "{answer}"
    );
    for partner in ["HK", "TW", ""] {
        let (status, refused) = convert(&issuer, &session, partner);
        assert!(matches!(status, 404 | 422), "{partner}: {status} {refused}");
    }
    let (status, _) = issuer.post(
        "/v1/codes/today/conversions",
        &json!({"partner": "GD"}),
        None,
    );
    assert_eq!(status, 401);

    // An amber code cannot be converted: refused, and the attempt audited.
    let (_, amber_session) = resident(&issuer, &[("venue-conv-gym", 30)]);
    let authority = issuer.staff("hana", "health_authority");
    let start = healthcode_keys::hktime::format_utc(
        healthcode_keys::hktime::now() - time::Duration::hours(48),
    );
    submit(
        &issuer,
        &authority,
        "designations",
        json!([{"place": "venue-conv-gym", "start": start, "end": null}]),
    );
    let amber = apply(&issuer, &amber_session);
    assert_eq!(amber["colour"], "amber");
    let (status, refused) = convert(&issuer, &amber_session, "GD");
    assert_eq!(
        (status, &refused["error"]["code"]),
        (409, &json!("not_green")),
        "{refused}"
    );

    let admin = issuer.staff("ada", "admin");
    let (status, audit) = issuer.get("/v1/staff/audit?limit=200", Some(&admin));
    assert_eq!(status, 200);
    let entries: Vec<&Value> = audit
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["action"].as_str().is_some_and(|a| a.contains("conver")))
                .collect()
        })
        .unwrap_or_default();
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "code_converted").count(),
        2,
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "conversion_refused")
            .count(),
        1,
        "{actions:?}"
    );
    let logged = serde_json::to_string(&entries).unwrap_or_default();
    assert!(
        logged.contains(converted["conversion_id"].as_str().unwrap_or("?")),
        "{logged}"
    );
    assert!(
        !logged.contains(&person.name) && !logged.contains(&number_of(&person.id_number)),
        "{logged}"
    );
    let output = issuer.cli(&["audit", "verify"]);
    assert!(output.status.success(), "{}", stderr(&output));

    // A loop stops after 10 attempts on one code, and fills no more audit lines.
    for attempt in 2..=12 {
        let (status, refused) = convert(&issuer, &amber_session, "GD");
        let expected = if attempt <= 10 {
            "not_green"
        } else {
            "too_many_conversions"
        };
        assert_eq!(
            (status, &refused["error"]["code"]),
            (409, &json!(expected)),
            "attempt {attempt}"
        );
    }
    let (_, audit) = issuer.get("/v1/staff/audit?limit=500", Some(&admin));
    let refusals = audit.as_array().map_or(0, |a| {
        a.iter()
            .filter(|e| e["action"] == "conversion_refused")
            .count()
    });
    assert_eq!(refusals, 10);
}

fn number_of(id_number: &str) -> String {
    id_number
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

#[test]
fn a_partner_key_given_as_hong_kong_or_for_the_wrong_region_stops_the_service_at_start() {
    let keys = KeySet::new(false);
    let partners = partners(&keys);
    for (flag, problem) in [
        (format!("HK={}", partners.gd.1), "GD=FILE or MO=FILE"),
        (format!("MO={}", partners.gd.1), "given for MO"),
        (
            format!("GD={}", partners.gd.0),
            "healthcode-partner-public-key",
        ),
    ] {
        let data = keys.path("data");
        let output = run(
            "issuer",
            &[
                "serve",
                "--data",
                &data,
                "--conversion-key",
                &partners.conversion_secret,
                "--partner-key",
                &flag,
            ],
            &keys.state(),
        );
        assert!(!output.status.success());
        assert!(
            stderr(&output).contains(problem),
            "{flag}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn a_resident_converts_on_the_page_by_keyboard_in_both_languages() {
    let keys = KeySet::new(false);
    let partners = partners(&keys);
    let issuer = start_issuer(&conversion_args(&keys, &partners));
    for (lang, partner, title) in [
        ("en", "GD", "Your code converted for Guangdong"),
        ("zh-HK", "MO", "已為澳門轉換的健康碼"),
    ] {
        let (person, _) = resident(&issuer, &[]);
        let browser = Browser::start(PHONE.0, PHONE.1);
        browser.goto(&format!("{}/sign-in?lang={lang}", issuer.base));
        sign_in_and_apply_by_keyboard(&browser, &issuer, &person);
        assert!(
            browser.has(&format!("#convert-{partner}")),
            "the convert buttons show for green"
        );
        browser.tab_to(&format!("#convert-{partner}"), 20);
        browser.enter();
        browser.wait_for_path("/code/convert");
        assert_eq!(html_lang(&browser), lang);
        assert_eq!(words(&browser.text("h1")), title);
        browser.assert_accessible("conversion page");
        keep_screen(&browser, &format!("conversion-{lang}"));
        assert!(
            browser
                .loaded_urls()
                .iter()
                .all(|u| u.starts_with(&issuer.base) || u.starts_with("data:"))
        );

        // The QR code on the page is the payload the partner opens.
        let src = browser.attr("#conversion-qr", "src").unwrap_or_default();
        let png = base64::engine::general_purpose::STANDARD
            .decode(src.trim_start_matches("data:image/png;base64,"))
            .unwrap_or_default();
        let photo = write(&keys, &format!("page-{lang}.png"), &png);
        let secret = if partner == "GD" {
            &partners.gd.0
        } else {
            &partners.mo.0
        };
        let (exit, answer) = convert_check(&keys, secret, &photo, &[]);
        assert_eq!(
            (exit, &answer["record"]["name"]),
            (0, &json!(person.name)),
            "{answer}"
        );

        // "Save as a file" posts the form back and gets the same payload as a download.
        let field = |name: &str| {
            browser
                .attr(&format!("form input[name='{name}']"), "value")
                .unwrap_or_default()
        };
        let cookie = format!(
            "hc_session={}",
            browser.cookie("hc_session").unwrap_or_default()
        );
        let encode = |v: String| v.replace('+', "%2B").replace('=', "%3D");
        let body = format!(
            "csrf={}&partner={}&payload={}",
            encode(field("csrf")),
            field("partner"),
            encode(field("payload"))
        );
        let saved = ureq::post(&issuer.url("/code/convert"))
            .set("cookie", &cookie)
            .set("sec-fetch-site", "same-origin")
            .set("content-type", "application/x-www-form-urlencoded")
            .send_string(&body)
            .unwrap_or_else(|e| panic!("{e}"));
        let disposition = saved
            .header("content-disposition")
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            disposition,
            format!("attachment; filename=\"health-code-conversion-{partner}.txt\"")
        );
        assert_eq!(
            saved.into_string().unwrap_or_default().trim(),
            field("payload")
        );
        // Only a payload's shape is echoed.
        let hostile = body.replace("payload=HKCV1", "payload=%3Cscript%3EHKCV1");
        let refused = ureq::post(&issuer.url("/code/convert"))
            .set("cookie", &cookie)
            .set("sec-fetch-site", "same-origin")
            .set("content-type", "application/x-www-form-urlencoded")
            .send_string(&hostile);
        assert!(
            matches!(refused, Err(ureq::Error::Status(404, _))),
            "{refused:?}"
        );
        browser.tab_to("a[href='/code']", 20);
        browser.enter();
        browser.wait_for_path("/code");
    }
}

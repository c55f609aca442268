//! The resident web site in a real headless Chromium against the real
//! `issuer serve`: every page state in both languages passes axe-core's
//! WCAG 2.2 AA rules, loads nothing from elsewhere, and can be completed
//! with the keyboard alone; the code on screen is read by our scanner and by
//! zbarimg from a screenshot, and verifies.

use std::{path::Path, process::Command};

use healthcode_tests::browser::Browser;
use serde_json::{Value, json};

use crate::{
    accounts::{import_housing, registered_tenant, rfc3339},
    codes::{issuer_args, resident, start_issuer},
    issuer_server::{IssuerServer, PASSWORD, Person, RELAXED},
    support::{KeySet, json_lines, stderr},
};

/// Phone-sized, as most residents open the site.
pub const PHONE: (u32, u32) = (412, 915);

fn assert_only_from(browser: &Browser, base: &str) {
    for url in browser.loaded_urls() {
        assert!(
            url.starts_with(base) || url.starts_with("data:"),
            "the page loaded {url} from outside the service"
        );
    }
}

/// Text as read aloud: runs of white space as one space.
pub fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Saves a screenshot as `docs/screens/NAME.png` when `HEALTHCODE_SCREENS`
/// names that folder (`HEALTHCODE_SCREENS=docs/screens cargo test ... web_pages`).
pub fn keep_screen(browser: &Browser, name: &str) {
    if let Ok(folder) = std::env::var("HEALTHCODE_SCREENS") {
        let path = Path::new(&folder).join(format!("{name}.png"));
        std::fs::write(&path, browser.screenshot()).unwrap_or_else(|e| panic!("{e}"));
    }
}

pub fn html_lang(browser: &Browser) -> String {
    browser
        .script("return document.documentElement.lang;")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn title(browser: &Browser) -> String {
    browser
        .script("return document.title;")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_start_and_sign_in_pages_are_bilingual_accessible_and_say_what_is_wrong() {
    let server = IssuerServer::start(RELAXED);
    let browser = Browser::start(PHONE.0, PHONE.1);
    // The rules can fail: a page without a language or an image's text does.
    browser.goto("data:text/html,<html><body><img src='/x.png'></body></html>");
    let found: Vec<String> = browser
        .axe_violations()
        .iter()
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .filter(|id| id == "image-alt" || id == "html-has-lang")
        .collect();
    assert_eq!(found, ["html-has-lang", "image-alt"]);
    browser.goto(&format!("{}/", server.base));
    assert_eq!(html_lang(&browser), "en");
    assert_eq!(browser.text("h1"), "Get a Hong Kong Health Code");
    browser.assert_accessible("start page, English");
    keep_screen(&browser, "start-en");
    assert_only_from(&browser, &server.base);

    // The switch keeps the place and is remembered without the link.
    browser.click(".language-switch");
    assert_eq!(html_lang(&browser), "zh-HK");
    assert_eq!(browser.text("h1"), "申請香港健康碼");
    browser.assert_accessible("start page, Chinese");
    keep_screen(&browser, "start-zh-HK");
    browser.goto(&format!("{}/sign-in", server.base));
    assert_eq!(html_lang(&browser), "zh-HK", "the choice is remembered");
    assert_eq!(browser.text("h1"), "登入");
    browser.assert_accessible("sign-in page, Chinese");

    // Nothing filled in: the summary links each problem to its field, the
    // title says there is an error, the field says what is wrong.
    browser.click("button[type=submit]");
    assert!(title(&browser).starts_with("錯誤："), "{}", title(&browser));
    assert_eq!(
        browser.attr(".error-summary a", "href").as_deref(),
        Some("#id_number")
    );
    assert_eq!(
        words(&browser.text("#id_number-error")),
        "錯誤： 請輸入證件號碼"
    );
    browser.assert_accessible("sign-in errors, Chinese");
    keep_screen(&browser, "sign-in-errors-zh-HK");

    browser.click(".language-switch");
    assert_eq!(browser.text("h1"), "Sign in");
    browser.fill("#id_number", "A123456(7)");
    browser.fill("#password", "not the password at all");
    browser.click("button[type=submit]");
    assert!(title(&browser).starts_with("Error:"), "{}", title(&browser));
    assert_eq!(
        words(&browser.text("#id_number-error")),
        "Error: Enter the document number as it is written on the document"
    );
    assert_eq!(
        browser.attr("#id_number", "value").as_deref(),
        Some("A123456(7)"),
        "what was typed stays"
    );
    assert_eq!(
        browser.attr("#password", "value"),
        None,
        "a password is never sent back"
    );
    browser.assert_accessible("sign-in errors, English");

    // A well-formed number that is not registered: the same words as a wrong
    // password, so the page says nothing about who is registered.
    let stranger = Person::hkid();
    browser.fill("#id_number", &stranger.id_number);
    browser.fill("#password", PASSWORD);
    browser.click("button[type=submit]");
    assert_eq!(
        words(&browser.text("#id_number-error")),
        "Error: The document number or password is not correct"
    );
    browser.goto(&format!("{}/no-such-page", server.base));
    assert_eq!(browser.text("h1"), "Page not found");
    browser.assert_accessible("404 page");
}

/// On "check your phone": types the code the SMS brought, by keyboard.
pub fn enter_sign_in_code(browser: &Browser, server: &IssuerServer, person: &Person) {
    browser.wait_for_path("/sign-in/code");
    let ending = &person.phone_e164[person.phone_e164.len() - 4..];
    assert!(
        browser.text("main p").contains(ending),
        "where the code went"
    );
    assert_eq!(
        browser.attr("#code", "autocomplete").as_deref(),
        Some("one-time-code")
    );
    browser.assert_accessible("sign-in code");
    let code = server
        .sms_code(&person.phone_e164)
        .unwrap_or_else(|| panic!("no sign-in code by SMS"));
    browser.tab_to("#code", 12);
    browser.type_text(&code);
    browser.enter();
    browser.wait_for_path("/code");
}

/// Signs in on the page with the keyboard alone (password, then the SMS
/// code), then applies with it.
pub fn sign_in_and_apply_by_keyboard(browser: &Browser, server: &IssuerServer, person: &Person) {
    browser.tab_to("#id_number", 12);
    browser.type_text(&person.id_number);
    browser.tab_to("#password", 3);
    browser.type_text(PASSWORD);
    browser.enter();
    enter_sign_in_code(browser, server, person);
    assert!(!browser.has("img.qr"), "no code before applying");
    browser.assert_accessible("code page before applying");
    browser.tab_to("#apply", 12);
    browser.enter();
    browser.wait_for_path("/code");
    // The answer to the POST is a redirect to the page that shows the code.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !browser.has("img.qr") {
        assert!(std::time::Instant::now() < deadline, "no code on the page");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn decode_with_zbarimg(png: &Path) -> String {
    let output = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(png)
        .output()
        .unwrap_or_else(|e| panic!("zbarimg: {e}"));
    assert!(output.status.success(), "zbarimg: {}", stderr(&output));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn a_resident_signs_in_and_applies_by_keyboard_and_the_code_on_screen_verifies() {
    let keys = KeySet::new(false);
    let issuer = start_issuer(&issuer_args(&keys, None, None));
    for (lang, colour_word, apply_again) in [
        ("en", "Colour Green", "Apply again"),
        ("zh-HK", "顏色 綠碼", "重新申請"),
    ] {
        let (person, session) = resident(&issuer, &[]);
        let browser = Browser::start(PHONE.0, PHONE.1);
        browser.goto(&format!("{}/sign-in?lang={lang}", issuer.base));
        sign_in_and_apply_by_keyboard(&browser, &issuer, &person);

        assert_eq!(html_lang(&browser), lang);
        assert_eq!(words(&browser.text(".code-colour")), colour_word);
        assert_eq!(browser.text("#apply"), apply_again);
        let masked = browser.text(".summary-list dd");
        assert!(masked.starts_with("HKID "), "{masked}");
        assert!(masked.contains('*'), "the number is masked: {masked}");
        assert!(
            !masked.contains(&person.id_number[2..6]),
            "the middle of the number is not shown: {masked}"
        );
        browser.assert_accessible(&format!("code page, {lang}"));
        keep_screen(&browser, &format!("code-{lang}"));
        assert_only_from(&browser, &issuer.base);

        // What the screen shows is what the API holds, and it verifies.
        let (_, today) = issuer.get("/v1/codes/today", Some(&session));
        let token = today["token"].as_str().unwrap_or_default().to_owned();
        assert!(token.starts_with("HC2:"), "{today}");
        let png = issuer.dir.path().join(format!("code-{lang}.png"));
        std::fs::write(&png, browser.screenshot()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decode_with_zbarimg(&png), token, "zbarimg read the screen");
        let png_arg = png.to_string_lossy().into_owned();
        let day_keys = keys.path("identity-days.key");
        let document = format!("{}:{}", person.id_type, person.id_number);
        let report = &json_lines(&keys.scan(&[
            "--json",
            "--identity-day-keys",
            &day_keys,
            "--id-doc",
            &document,
            "--date-of-issue",
            &person.date_of_issue,
            &png_arg,
        ]))[0];
        assert_eq!(report["valid"], Value::Bool(true), "{report}");
        assert_eq!(report["colour"], "green", "{report}");
        assert_eq!(report["identity"], "match", "{report}");

        // Sign out with the keyboard: the code page is closed again.
        browser.tab_to(".link-button", 30);
        browser.enter();
        browser.wait_for_path("/signed-out");
        browser.assert_accessible(&format!("signed out, {lang}"));
        browser.goto(&format!("{}/code", issuer.base));
        browser.wait_for_path("/sign-in");
    }
}

#[test]
fn a_tenant_activates_with_the_sms_pin_on_the_page_and_signs_in() {
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, None));
    let (person, pin) = registered_tenant(&server);
    let wrong_pin = if pin == "000000" { "111111" } else { "000000" };

    let browser = Browser::start(PHONE.0, PHONE.1);
    browser.goto(&format!("{}/?lang=zh-HK", server.base));
    browser.click("a[href='/activate']");
    assert_eq!(browser.text("h1"), "啟動您的帳戶");
    assert_eq!(
        browser.attr("#pin", "autocomplete").as_deref(),
        Some("one-time-code")
    );
    assert_eq!(
        browser.attr("#pin", "inputmode").as_deref(),
        Some("numeric")
    );
    browser.assert_accessible("activation, Chinese");

    let fill = |pin: &str, password: &str| {
        browser.fill("#id_number", &person.id_number);
        browser.fill("#pin", pin);
        browser.fill("#password", password);
        browser.click("button[type=submit]");
    };
    fill(wrong_pin, PASSWORD);
    assert!(words(&browser.text("#id_number-error")).contains("證件號碼或啟動密碼不正確"));
    assert_eq!(
        browser.attr("#pin", "value").as_deref(),
        Some(""),
        "a PIN is never sent back"
    );
    browser.assert_accessible("activation refused, Chinese");
    fill(&pin, "aaaaaaaaaa");
    assert_eq!(
        words(&browser.text("#password-error")),
        "錯誤： 此密碼太容易被猜到。請改用數個互不相關的字詞"
    );
    browser.assert_accessible("weak password, Chinese");
    fill(&pin, PASSWORD);
    browser.wait_for_path("/activated");
    assert_eq!(browser.text("h1"), "您的帳戶已啟動");
    browser.click("main a");
    sign_in_and_apply_by_keyboard(&browser, &server, &person);
    assert!(browser.has("img.qr"), "the code is on the page");
}

#[test]
fn visit_records_are_uploaded_on_the_page_from_two_phones_and_refusals_are_said() {
    let server = IssuerServer::start(RELAXED);
    let (person, _) = resident(&server, &[]);
    let now = time::OffsetDateTime::now_utc();
    let hours_ago = |h: i64| rfc3339(now - time::Duration::hours(h));
    let phone1 = json!({"records": [
        {"venue_id": "venue-web-1", "check_in": hours_ago(30), "check_out": hours_ago(29)},
        {"venue_id": "venue-web-2", "check_in": hours_ago(5)},
        {"venue_id": "venue-web-3", "check_in": hours_ago(24 * 40)},
    ]});
    // The app may keep a scanned poster's payload in place of the venue id.
    let poster = json!({"hash": "venue-web-poster", "nameZh": "海報茶餐廳", "nameEn": "Poster Cafe",
        "type": "IMPORT", "metadata": {"typeEn": "Restaurant", "typeZh": "餐廳"}});
    let poster = format!(
        "HKEN:012345678{}",
        healthcode_keys::b64::encode(poster.to_string().as_bytes())
    );
    let phone2 = json!([
        {"venue_id": "no spaces allowed", "check_in": hours_ago(3)},
        {"venue_qr": poster, "check_in": hours_ago(2)},
        {"venue_qr": "HKEN:not a poster", "check_in": hours_ago(1)},
    ]);
    let files: Vec<String> = [
        ("phone1.json", phone1.to_string()),
        ("phone2.json", phone2.to_string()),
        ("photo.json", "not json".to_owned()),
    ]
    .iter()
    .map(|(name, text)| {
        let path = server.dir.path().join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path.to_string_lossy().into_owned()
    })
    .collect();

    let browser = Browser::start(1024, 900);
    browser.goto(&format!("{}/sign-in", server.base));
    browser.fill("#id_number", &person.id_number);
    browser.fill("#password", PASSWORD);
    browser.click("button[type=submit]");
    enter_sign_in_code(&browser, &server, &person);
    browser.click("a[href='/visits']");
    assert_eq!(
        browser.text("#held-none"),
        "We hold no visit records for you."
    );
    browser.assert_accessible("visits, none held");

    // Nothing chosen, then a file that is not the app's: said at the field.
    browser.click("#upload");
    assert_eq!(
        words(&browser.text("#file-error")),
        "Error: Choose the file that the app exported"
    );
    browser.fill("#file", &files[2]);
    browser.click("#upload");
    assert_eq!(
        words(&browser.text("#file-error")),
        "Error: The file is not a visit record file from the app"
    );
    browser.assert_accessible("visits, unreadable file");

    // Two phones' files at once: each record kept or refused on its own.
    browser.fill("#file", &format!("{}\n{}", files[0], files[1]));
    browser.click("#upload");
    assert_eq!(
        words(&browser.text("[role=status]")),
        "We received 6 records: 3 kept, 3 not kept."
    );
    let refused = words(&browser.text("main table"));
    assert!(refused.contains("3 It is older than 31 days."), "{refused}");
    assert!(
        refused.contains("4 The place's code is not valid."),
        "{refused}"
    );
    assert!(
        refused.contains("6 The scanned poster cannot be read as a LeaveHomeSafe venue poster."),
        "{refused}"
    );
    let held = words(&browser.text("main table:last-of-type tbody"));
    assert!(
        held.contains("venue-web-1") && held.contains("venue-web-2"),
        "{held}"
    );
    assert!(
        held.contains("venue-web-poster"),
        "the poster's venue: {held}"
    );
    assert!(
        !held.contains("Poster Cafe"),
        "names come from the registry only: {held}"
    );
    assert!(
        held.contains("Not recorded"),
        "a missing check-out is said: {held}"
    );
    browser.assert_accessible("visits, after an upload");

    // The same in Chinese: the records held and the reasons.
    browser.click(".language-switch");
    browser.fill("#file", &files[0]);
    browser.click("#upload");
    assert_eq!(
        words(&browser.text("[role=status]")),
        "我們收到 3 項紀錄：保留 2 項，沒有保留 1 項。"
    );
    assert!(words(&browser.text("main table")).contains("紀錄超過 31 日。"));
    assert!(words(&browser.text("main table:last-of-type")).contains("沒有紀錄"));
    browser.assert_accessible("visits, Chinese");
    let (_, listed) = server.get("/v1/visits", Some(&person.login(&server)));
    assert_eq!(
        listed["visits"].as_array().map(Vec::len),
        Some(3),
        "{listed}"
    );
}

fn post_form(
    server: &IssuerServer,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    // Redirects are not followed: a 303 is what the test looks at.
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut request = agent
        .post(&format!("{}{path}", server.base))
        .set("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.set(name, value);
    }
    match request.send_string(body) {
        Ok(r) | Err(ureq::Error::Status(_, r)) => {
            let status = r.status();
            (status, r.into_string().unwrap_or_default())
        }
        Err(e) => panic!("transport error: {e}"),
    }
}

#[test]
fn forms_refuse_other_sites_and_hostile_input_with_a_page_and_no_5xx() {
    let keys = KeySet::new(false);
    let issuer = start_issuer(&issuer_args(&keys, None, None));
    let (_, session) = resident(&issuer, &[]);
    let cookie = format!("hc_session={session}");

    // Every page carries the policy: no script, no framing, no referrer.
    let page = ureq::get(&format!("{}/", issuer.base))
        .call()
        .unwrap_or_else(|e| panic!("{e}"));
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("cache-control"), Some("no-store"));

    // Another site's form: refused before anything is done, with a page.
    let (status, body) = post_form(
        &issuer,
        "/code",
        &[("cookie", &cookie), ("sec-fetch-site", "cross-site")],
        "csrf=x",
    );
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("This form was sent from another site"),
        "{body}"
    );
    let (status, _) = post_form(
        &issuer,
        "/sign-in",
        &[("sec-fetch-site", "cross-site")],
        "id_type=HKID&id_number=A1234563&password=x",
    );
    assert_eq!(status, 403);
    // Our own site, but without the session's form token: refused too.
    let (status, _) = post_form(
        &issuer,
        "/code",
        &[("cookie", &cookie), ("sec-fetch-site", "same-origin")],
        "csrf=forged",
    );
    assert_eq!(status, 403);
    let (_, today) = issuer.get("/v1/codes/today", Some(&session));
    assert_eq!(
        today["error"]["code"], "not_found",
        "no code was issued: {today}"
    );
    // With it, the code is issued and the browser is sent to see it.
    let csrf = healthcode_issuer::service::auth::csrf_token(&session);
    let (status, _) = post_form(
        &issuer,
        "/code",
        &[("cookie", &cookie), ("sec-fetch-site", "same-origin")],
        &format!("csrf={csrf}"),
    );
    assert_eq!(status, 303);

    // Hostile sign-ins: each gets the form back with its problem, never a 5xx.
    let long = "A".repeat(5000);
    for (body, expect) in [
        (format!("id_type=HKID&id_number={long}&password=x"), 422),
        (
            "id_type=HKID&id_number=A12%E2%80%AE3456(3)&password=x".to_owned(),
            422,
        ),
        ("id_type=NOPE&id_number=A1234563&password=x".to_owned(), 422),
        (
            "id_type=PASSPORT&passport_country=ZZZ&id_number=123456789&password=x".to_owned(),
            422,
        ),
        ("id_type=HKID&id_number=%FF%FE&password=x".to_owned(), 422),
        (
            "id_type=HKID&id_type=MOID&id_number=A1234563&password=x".to_owned(),
            422,
        ),
    ] {
        let (status, page) = post_form(&issuer, "/sign-in", &[], &body);
        assert_eq!(status, expect, "{body}: {page}");
        assert!(
            page.contains("<html lang=\"en\">"),
            "a page, not JSON: {page}"
        );
    }
    // A body declared over the limit is refused before it is sent.
    let address = issuer.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "POST /sign-in HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n"
    );
    std::io::Write::write_all(&mut stream, head.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!issuer.log().contains("panicked"), "{}", issuer.log());
}

#[test]
fn a_tenant_registers_in_three_parts_by_keyboard_and_gets_a_code_on_screen_in_both_languages() {
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, None));
    let person = Person::hkid();
    import_housing(&server, &person);
    let browser = Browser::start(PHONE.0, PHONE.1);
    browser.goto(&format!("{}/?lang=zh-HK", server.base));
    browser.click("#start-register");
    browser.wait_for_path("/register/identity");
    assert_eq!(browser.text("h1"), "您的身份");
    browser.assert_accessible("registration part 1, Chinese");

    // Nothing given: every field of the part says what it needs.
    browser.click("button[type=submit]");
    assert!(title(&browser).starts_with("錯誤："), "{}", title(&browser));
    for field in ["id_number", "date_of_issue", "name", "phone"] {
        assert!(
            browser.has(&format!("#{field}-error")),
            "{field} has no error"
        );
    }
    browser.assert_accessible("registration part 1 errors, Chinese");
    keep_screen(&browser, "register-errors-zh-HK");

    // The keyboard alone, from here to the confirmation.
    for (field, text) in [
        ("#id_number", person.id_number.as_str()),
        ("#date_of_issue", person.date_of_issue.as_str()),
        ("#name", person.name.as_str()),
        ("#phone", "12345"),
    ] {
        browser.tab_to(field, 20);
        browser.type_text(text);
    }
    browser.enter();
    assert_eq!(
        words(&browser.text("#phone-error")),
        "錯誤： 請輸入手提電話號碼：香港 8 位數字（4 至 9 字頭）、內地 11 位數字、澳門 8 位數字"
    );
    assert_eq!(
        browser.attr("#name", "value").as_deref(),
        Some(person.name.as_str()),
        "what was typed stays"
    );
    browser.fill("#phone", "");
    browser.tab_to("#phone", 20);
    browser.type_text(&person.phone);
    browser.enter();
    browser.wait_for_path("/register/address");
    assert_eq!(browser.text("h1"), "您的住址");
    browser.assert_accessible("registration part 2, Chinese");
    browser.tab_to("#address", 20);
    browser.type_text(&person.address);
    browser.tab_to("button[type=submit]", 5);
    browser.enter();
    browser.wait_for_path("/register/check");
    let answers = browser.text("#answers");
    for given in [&person.id_number, &person.name, &person.address] {
        assert!(answers.contains(given.as_str()), "{given} not in {answers}");
    }
    assert!(answers.contains("沒有"), "no proof: {answers}");
    assert!(
        answers.contains("繁體中文"),
        "the page's language is the SMS language unless chosen: {answers}"
    );
    browser.assert_accessible("check answers, Chinese");
    keep_screen(&browser, "register-check-zh-HK");

    // A change link leads back with the answers kept; continuing returns here.
    browser.click("a[href='/register/identity#name']");
    assert_eq!(
        browser.attr("#phone", "value").as_deref(),
        Some(person.phone.as_str())
    );
    browser.click("button[type=submit]");
    browser.wait_for_path("/register/check");
    browser.tab_to("#send", 30);
    browser.enter();
    assert_eq!(browser.text("h1"), "已收到申請");
    let reference = browser.text("#reference");
    assert!(!reference.is_empty());
    browser.assert_accessible("application received, Chinese");
    keep_screen(&browser, "register-done-zh-HK");

    // The draft is gone: the check page starts again.
    browser.goto(&format!("{}/register/check", server.base));
    browser.wait_for_path("/register/identity");

    let pin = server
        .sms_pin(&person.phone_e164)
        .unwrap_or_else(|| panic!("the housing route sends a PIN"));
    let text = server
        .outbox()
        .into_iter()
        .find(|m| m["phone"] == person.phone_e164.as_str() && m["purpose"] == "pin")
        .and_then(|m| m["body"].as_str().map(str::to_owned))
        .unwrap_or_default();
    assert!(
        text.starts_with("香港健康碼：你的啟用密碼是"),
        "in the chosen language: {text}"
    );
    assert_eq!(person.activate(&server, &pin).0, 204);
    browser.goto(&format!("{}/sign-in", server.base));
    sign_in_and_apply_by_keyboard(&browser, &server, &person);
    assert_eq!(words(&browser.text(".code-colour")), "顏色 綠碼");

    // Another tenant, in English: the PIN by SMS in English, activation on
    // the page, and a green code.
    let tenant = Person::hkid();
    import_housing(&server, &tenant);
    let browser = Browser::start(PHONE.0, PHONE.1);
    register_on_pages(&browser, &server, &tenant, "en");
    assert_eq!(browser.text("h1"), "Application received");
    browser.assert_accessible("application received, English");
    keep_screen(&browser, "register-done-en");
    let text = server
        .outbox()
        .into_iter()
        .find(|m| m["phone"] == tenant.phone_e164.as_str() && m["purpose"] == "pin")
        .and_then(|m| m["body"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let pin = crate::issuer_server::pin_in(&text).unwrap_or_else(|| panic!("no PIN: {text}"));
    assert!(text.is_ascii(), "in English: {text}");
    browser.click("a[href='/activate']");
    assert_eq!(browser.text("h1"), "Activate your account");
    browser.fill("#id_number", &tenant.id_number);
    browser.fill("#pin", &pin);
    browser.fill("#password", PASSWORD);
    browser.click("main button[type=submit]");
    browser.wait_for_path("/activated");
    browser.click("main a");
    sign_in_and_apply_by_keyboard(&browser, &server, &tenant);
    assert_eq!(words(&browser.text(".code-colour")), "Colour Green");
    assert_eq!(html_lang(&browser), "en");
}

#[test]
fn a_proof_is_uploaded_at_registration_and_a_hostile_one_is_refused_at_its_field() {
    let server = IssuerServer::start(RELAXED);
    let reviewer = server.staff("rita", "reviewer");
    let person = Person::hkid();
    let program = server.dir.path().join("bill.pdf");
    std::fs::write(&program, b"\x7fELF\x02\x01\x01 not a bill").unwrap_or_else(|e| panic!("{e}"));
    let photo = server.dir.path().join("bill.png");
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(64, 48, image::Rgb([240, 240, 230]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&photo, png.into_inner()).unwrap_or_else(|e| panic!("{e}"));

    let browser = Browser::start(1024, 900);
    browser.goto(&format!("{}/register/address?lang=en", server.base));
    browser.wait_for_path("/register/identity");
    browser.fill("#id_number", &person.id_number);
    browser.fill("#date_of_issue", "2999-01-01");
    browser.fill("#name", &person.name);
    browser.fill("#phone", &person.phone);
    browser.click("button[type=submit]");
    assert_eq!(
        words(&browser.text("#date_of_issue-error")),
        "Error: The date of issue must be today or in the past"
    );
    browser.fill("#date_of_issue", &person.date_of_issue);
    browser.click("button[type=submit]");
    browser.wait_for_path("/register/address");
    browser.fill("#address", &person.address);
    browser.fill("#proof", &program.to_string_lossy());
    browser.click("button[type=submit]");
    assert_eq!(
        words(&browser.text("#proof-error")),
        "Error: The file must be a PDF, JPEG or PNG"
    );
    browser.assert_accessible("registration proof refused, English");
    browser.fill("#proof", &photo.to_string_lossy());
    browser.click("button[type=submit]");
    browser.wait_for_path("/register/check");
    assert!(browser.text("#answers").contains("bill.png"));
    browser.assert_accessible("check answers, English");
    keep_screen(&browser, "register-check-en");
    browser.click("#send");
    let reference = browser.text("#reference");

    // The reviewer sees it with the proof, as an API registration would be.
    let (status, queue) = server.get("/v1/staff/review-queue", Some(&reviewer));
    assert_eq!(status, 200);
    let item = queue
        .as_array()
        .and_then(|q| q.iter().find(|i| i["reference"] == reference.as_str()))
        .unwrap_or_else(|| panic!("{reference} not in {queue}"));
    assert_eq!(item["has_proof"], Value::Bool(true), "{item}");
}

#[test]
fn a_resident_stays_signed_in_and_changes_language_phone_and_password_on_the_account_pages() {
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, None));
    let (person, _) = resident(&server, &[]);
    let browser = Browser::start(1024, 900);
    browser.goto(&format!("{}/sign-in?lang=zh-HK", server.base));
    browser.tab_to("#id_number", 12);
    browser.type_text(&person.id_number);
    browser.tab_to("#password", 3);
    browser.type_text(PASSWORD);
    browser.enter();
    // A wrong code is said at its field, in Chinese.
    browser.wait_for_path("/sign-in/code");
    browser.fill("#code", "12345x");
    browser.click("main button[type=submit]");
    assert_eq!(
        words(&browser.text("#code-error")),
        "錯誤： 驗證碼不正確。請查看短訊後再試"
    );
    assert!(title(&browser).starts_with("錯誤："), "{}", title(&browser));
    browser.assert_accessible("sign-in code refused, Chinese");
    enter_sign_in_code(&browser, &server, &person);

    // The session bar says when it ends; staying signed in keeps the place.
    assert!(
        browser.text("#session-bar").contains("香港時間"),
        "{}",
        browser.text("#session-bar")
    );
    assert!(browser.has("#session-warning[hidden]"), "no warning yet");
    browser.tab_to("#session-extend", 20);
    browser.enter();
    browser.wait_for_path("/code");
    assert_only_from(&browser, &server.base);

    browser.tab_to("a[href='/account']", 10);
    browser.enter();
    browser.wait_for_path("/account");
    let ending = &person.phone_e164[person.phone_e164.len() - 4..];
    assert!(
        browser
            .text("#account")
            .contains(&format!("尾數為 {ending} 的手機"))
    );
    assert_eq!(browser.text("#reads-none"), "沒有職員查看過您的資料。");
    browser.assert_accessible("account, Chinese");

    // A reviewer opens the application: the page lists it, by role.
    let session = person.login(&server);
    let (_, me) = server.get("/v1/me", Some(&session));
    let reference = me["reference"].as_str().unwrap_or_default().to_owned();
    let reviewer = server.staff("rita", "reviewer");
    let application = format!("/v1/staff/applications/{reference}");
    assert_eq!(server.get(&application, Some(&reviewer)).0, 200);
    browser.goto(&format!("{}/account", server.base));
    let reads = words(&browser.text("#staff-reads tbody"));
    assert!(reads.ends_with("審核員 您的申請"), "{reads}");
    assert!(!reads.contains("rita"), "staff are named by role: {reads}");
    browser.assert_accessible("account with a staff read, Chinese");
    keep_screen(&browser, "account-zh-HK");

    // Everything held, behind the password asked again.
    browser.click("#export");
    browser.wait_for_path("/account/export");
    assert_eq!(browser.text("h1"), "下載您的資料");
    browser.assert_accessible("download, Chinese");
    browser.fill("#password", "not the password at all");
    browser.click("main button[type=submit]");
    assert_eq!(words(&browser.text("#password-error")), "錯誤： 密碼不正確");
    browser.assert_accessible("download refused, Chinese");
    // The right password makes the browser save a file and stay on the
    // page, so the test sends the same form with the page's cookie and token.
    let cookie = browser
        .cookie("hc_session")
        .unwrap_or_else(|| panic!("no session cookie"));
    let csrf = browser
        .attr("input[name=csrf]", "value")
        .unwrap_or_default();
    let answer = ureq::post(&format!("{}/account/export", server.base))
        .set("cookie", &format!("hc_session={cookie}"))
        .set("origin", &server.base)
        .send_form(&[("csrf", csrf.as_str()), ("password", PASSWORD)])
        .unwrap_or_else(|e| match e {
            ureq::Error::Status(code, r) => {
                panic!("{code}: {}", r.into_string().unwrap_or_default())
            }
            other => panic!("{other}"),
        });
    assert_eq!(
        answer.header("content-disposition"),
        Some("attachment; filename=\"healthcode-my-data.json\"")
    );
    let held: Value = answer.into_json().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(held["account"]["name"], person.name.as_str());
    assert_eq!(held["account"]["reference"], reference.as_str());
    browser.goto(&format!("{}/account", server.base));

    // Language, by keyboard: English for SMS and letters.
    browser.tab_to("a[href='/account/language']", 20);
    browser.enter();
    browser.wait_for_path("/account/language");
    browser.assert_accessible("language change, Chinese");
    browser.choose("#language-en");
    browser.click("main button[type=submit]");
    browser.wait_for_path("/account");
    assert_eq!(words(&browser.text(".notice")), "已儲存短訊及信件的語言");

    // Phone: the password again (a wrong one said at its field), then the
    // PIN from the new phone.
    browser.click("a[href='/account/phone']");
    browser.wait_for_path("/account/phone");
    browser.fill("#password", "not the password at all");
    browser.fill("#phone", "6123 4567");
    browser.click("main button[type=submit]");
    assert_eq!(words(&browser.text("#password-error")), "錯誤： 密碼不正確");
    browser.assert_accessible("phone change refused, Chinese");
    browser.fill("#password", PASSWORD);
    browser.fill("#phone", "6123 4567");
    browser.click("main button[type=submit]");
    browser.wait_for_path("/account/phone/confirm");
    assert_eq!(
        browser.attr("#pin", "autocomplete").as_deref(),
        Some("one-time-code")
    );
    browser.assert_accessible("new phone PIN, Chinese");
    let pin = server
        .sms_code_for("+85261234567", "new_phone")
        .unwrap_or_else(|| panic!("no PIN to the new phone"));
    browser.fill("#pin", &pin);
    browser.click("main button[type=submit]");
    browser.wait_for_path("/account");
    assert_eq!(words(&browser.text(".notice")), "您的手機號碼已更改");
    assert!(browser.text("#account").contains("尾數為 4567 的手機"));

    // Password, in English: a weak one is refused at its field.
    browser.goto(&format!("{}/account/password?lang=en", server.base));
    browser.fill("#current_password", PASSWORD);
    browser.fill("#new_password", "aaaaaaaaaa");
    browser.click("main button[type=submit]");
    assert_eq!(
        words(&browser.text("#new_password-error")),
        "Error: Choose a password of at least 10 characters that is harder to guess"
    );
    browser.assert_accessible("password change refused, English");
    browser.fill("#current_password", PASSWORD);
    browser.fill("#new_password", "violet tram harbour lantern");
    browser.click("main button[type=submit]");
    browser.wait_for_path("/account");
    assert_eq!(
        words(&browser.text(".notice")),
        "Your password has been changed. Other sessions have been signed out"
    );
    let reads = words(&browser.text("#staff-reads tbody"));
    assert!(reads.ends_with("Reviewer Your application"), "{reads}");
    browser.assert_accessible("account after changes, English");

    // The next sign-in code goes to the new phone, in English.
    let (status, challenge) = server.post(
        "/v1/login",
        &person.with(json!({"password": "violet tram harbour lantern"})),
        None,
    );
    assert_eq!(
        (status, challenge["phone_ending"].as_str()),
        (202, Some("4567"))
    );
    let text = server
        .outbox()
        .into_iter()
        .find(|m| m["phone"] == "+85261234567" && m["purpose"] == "sign_in")
        .and_then(|m| m["body"].as_str().map(str::to_owned))
        .unwrap_or_default();
    assert!(
        text.starts_with("Hong Kong Health Code: your sign-in code"),
        "{text}"
    );

    // Closing the account, in English: the password again, then the end.
    browser.goto(&format!("{}/account", server.base));
    browser.click("#close");
    browser.wait_for_path("/account/close");
    assert_eq!(browser.text("h1"), "Close your account");
    browser.assert_accessible("close the account, English");
    browser.fill("#password", PASSWORD);
    browser.click("main button[type=submit]");
    assert_eq!(
        words(&browser.text("#password-error")),
        "Error: The password is not correct"
    );
    browser.assert_accessible("close refused, English");
    browser.fill("#password", "violet tram harbour lantern");
    browser.click("main button[type=submit]");
    browser.wait_for_path("/account/closed");
    assert_eq!(browser.text("h1"), "Your account is closed");
    browser.assert_accessible("account closed, English");
    browser.click(".language-switch");
    assert_eq!(browser.text("h1"), "您的帳戶已關閉");
    browser.assert_accessible("account closed, Chinese");
    browser.goto(&format!("{}/account", server.base));
    browser.wait_for_path("/sign-in");
}

/// Registers `person` on the three pages in `lang`, without a proof;
/// returns the reference on the confirmation page.
fn register_on_pages(
    browser: &Browser,
    server: &IssuerServer,
    person: &Person,
    lang: &str,
) -> String {
    browser.goto(&format!("{}/register/identity?lang={lang}", server.base));
    browser.fill("#id_number", &person.id_number);
    browser.fill("#date_of_issue", &person.date_of_issue);
    browser.fill("#name", &person.name);
    browser.fill("#phone", &person.phone);
    browser.click("main button[type=submit]");
    browser.wait_for_path("/register/address");
    browser.fill("#address", &person.address);
    browser.click("main button[type=submit]");
    browser.wait_for_path("/register/check");
    browser.click("#send");
    let reference = browser.text("#reference");
    assert!(!reference.is_empty(), "no reference on the confirmation");
    reference
}

#[test]
fn an_hkid_holder_on_the_letter_route_registers_activates_with_the_letters_pin_and_gets_a_code_in_both_languages()
 {
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, None));
    for (lang, activated, green) in [
        ("en", "Your account is active", "Colour Green"),
        ("zh-HK", "您的帳戶已啟動", "顏色 綠碼"),
    ] {
        // Not a tenant, no proof: the application goes by letter.
        let person = Person::hkid();
        let browser = Browser::start(PHONE.0, PHONE.1);
        let reference = register_on_pages(&browser, &server, &person, lang);
        assert!(
            server.sms_pin(&person.phone_e164).is_none(),
            "no SMS PIN: the address is not verified online"
        );

        // The letter, as `issuer letters export` writes it for the printer.
        let letters = server.export_letters();
        assert_eq!(letters.len(), 1, "{letters:?}");
        let letter = std::fs::read_to_string(&letters[0]).unwrap_or_default();
        assert!(
            letter.contains(&person.name) && letter.contains(&reference),
            "{letter}"
        );
        // Bilingual, the language chosen at registration first.
        let [en, zh] = [
            "HONG KONG HEALTH CODE: CONFIRMATION LETTER",
            "香港健康碼：確認信",
        ]
        .map(|title| {
            letter
                .find(title)
                .unwrap_or_else(|| panic!("{title}: {letter}"))
        });
        assert_eq!(en < zh, lang == "en", "{letter}");
        let pin = letter
            .lines()
            .find_map(|l| l.strip_prefix("PIN: "))
            .and_then(crate::issuer_server::pin_in)
            .unwrap_or_else(|| panic!("no PIN in {letter}"));

        // The letter's PIN on the activation page, then sign in and apply.
        browser.click("a[href='/activate']");
        browser.wait_for_path("/activate");
        browser.assert_accessible(&format!("activation from the letter, {lang}"));
        browser.fill("#id_number", &person.id_number);
        browser.fill("#pin", &pin);
        browser.fill("#password", PASSWORD);
        browser.click("main button[type=submit]");
        browser.wait_for_path("/activated");
        assert_eq!(browser.text("h1"), activated);
        browser.click("main a");
        sign_in_and_apply_by_keyboard(&browser, &server, &person);
        assert_eq!(words(&browser.text(".code-colour")), green);
        assert_eq!(html_lang(&browser), lang);
        browser.assert_accessible(&format!("code from the letter route, {lang}"));
    }
}

//! The staff consoles in a real headless Chromium against the real `issuer
//! serve`: staff set up sign-in with the token `issuer staff add` printed and
//! an authenticator code computed here from the secret the page shows (its
//! QR read by zbarimg), then do their whole job in the browser: a reviewer
//! approves a proof, a post-office clerk confirms a passport holder, an
//! administrator adds and disables staff; the health authority uploads a
//! designation file and a resident's next code is amber. Every page state passes
//! axe-core, in English and Chinese.

use std::process::Command;

use healthcode_issuer::totp;
use healthcode_tests::browser::Browser;
use serde_json::{Value, json};

use crate::{
    codes::{issuer_args, resident, start_issuer},
    issuer_server::{IssuerServer, Person, RELAXED, png_proof},
    support::{KeySet, stderr},
    web_pages::{html_lang, keep_screen, sign_in_and_apply_by_keyboard, words},
};

/// A pass phrase that the password policy accepts.
const STAFF_PASSWORD: &str = "violet harbour tram quietly 1862";

/// A desk's screen.
const DESK: (u32, u32) = (1280, 1000);

/// Decodes base32 (RFC 4648, spaces ignored): the authenticator app's side.
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        let value = ALPHABET
            .find(c)
            .unwrap_or_else(|| panic!("{c} is not base32"));
        bits = (bits << 5) | value as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    bytes
}

/// The authenticator app's code for `secret`, `steps_ahead` steps from now.
fn app_code(secret: &[u8], steps_ahead: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    totp::code(secret, totp::step_at(now) + steps_ahead, totp::DIGITS)
}

/// What zbarimg reads from the QR image of the set-up page.
fn set_up_qr(browser: &Browser, dir: &std::path::Path) -> String {
    use base64::Engine as _;
    let src = browser.attr("img.qr-small", "src").unwrap_or_default();
    let data = src
        .strip_prefix("data:image/png;base64,")
        .unwrap_or_else(|| panic!("not a PNG data URI: {src:.40}"));
    let png = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join(format!("set-up-{}.png", crate::issuer_server::unique()));
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("zbarimg: {e}"));
    assert!(output.status.success(), "zbarimg: {}", stderr(&output));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Sets up console sign-in for `name` with `token` on the pages; returns
/// the authenticator secret. Ends signed in, on the console's home page.
fn set_up(browser: &Browser, server: &IssuerServer, name: &str, token: &str) -> Vec<u8> {
    browser.goto(&format!("{}/staff/sign-in", server.base));
    browser.click("a[href='/staff/set-up']");
    browser.fill("#name", name);
    browser.fill("#token", token);
    browser.click("button[type=submit]");
    let secret = base32_decode(&browser.text("#totp-secret"));
    assert_eq!(secret.len(), totp::SECRET_BYTES);
    let url = set_up_qr(browser, server.dir.path());
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    assert!(
        url.contains(&format!("secret={}", totp::base32(&secret))),
        "{url}"
    );
    browser.fill("#password", STAFF_PASSWORD);
    browser.fill("#code", &app_code(&secret, 0));
    browser.click("button[type=submit]");
    browser.wait_for_path("/staff");
    secret
}

fn sign_in(browser: &Browser, server: &IssuerServer, name: &str, code: &str) {
    browser.goto(&format!("{}/staff/sign-in", server.base));
    browser.fill("#name", name);
    browser.fill("#password", STAFF_PASSWORD);
    browser.fill("#code", code);
    browser.click("button[type=submit]");
}

fn audit_actions(server: &IssuerServer, admin: &str) -> Vec<(String, String)> {
    let (status, entries) = server.get("/v1/staff/audit?limit=200", Some(admin));
    assert_eq!(status, 200, "{entries}");
    entries
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
                    (text("actor"), text("action"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A passport holder registered (the post-office route) and the PIN of the
/// letter `issuer letters export` wrote for them: (person, reference, PIN).
fn passport_holder_with_letter(server: &IssuerServer) -> (Person, String, String) {
    let person = Person {
        id_type: "PASSPORT-GBR".into(),
        id_number: format!("5{:08}", crate::issuer_server::unique()),
        ..Person::hkid()
    };
    let (status, body) = server.register(&person.form(), None);
    assert_eq!(status, 202, "{body}");
    let reference = body["reference"].as_str().unwrap_or_default().to_owned();
    let letters = server.export_letters();
    let letter = std::fs::read_to_string(&letters[0]).unwrap_or_default();
    let pin = letter
        .lines()
        .find_map(|l| l.strip_prefix("PIN: "))
        .and_then(healthcode_tests::accounts::pin_in)
        .unwrap_or_else(|| panic!("no PIN in {letter}"));
    (person, reference, pin)
}

#[test]
fn a_reviewer_sets_up_sign_in_in_chinese_and_approves_proofs_in_both_languages() {
    let server = IssuerServer::start(RELAXED);
    let token = server.staff("rita", "reviewer");
    let admin = server.staff("ada", "admin");
    let person = Person::hkid();
    let (status, body) = server.register(&person.form(), Some(("bill.png", &png_proof())));
    assert_eq!(status, 202, "{body}");
    let reference = body["reference"].as_str().unwrap_or_default().to_owned();

    let browser = Browser::start(DESK.0, DESK.1);
    browser.goto(&format!("{}/staff/sign-in?lang=zh-HK", server.base));
    assert_eq!(browser.text("h1"), "職員登入");
    assert_eq!(
        browser.attr("#code", "autocomplete").as_deref(),
        Some("one-time-code")
    );
    browser.assert_accessible("staff sign-in, Chinese");
    browser.click("a[href='/staff/set-up']");
    browser.assert_accessible("set-up, Chinese");
    // A wrong token: refused at its field, in the page's language.
    browser.fill("#name", "rita");
    browser.fill("#token", "hcstaff_not-the-token");
    browser.click("button[type=submit]");
    assert!(
        words(&browser.text("#token-error")).starts_with("錯誤： 名稱或設定碼不正確"),
        "{}",
        browser.text("#token-error")
    );
    browser.assert_accessible("set-up refused, Chinese");
    browser.fill("#token", &token);
    browser.click("button[type=submit]");
    let secret = base32_decode(&browser.text("#totp-secret"));
    browser.assert_accessible("set-up secret, Chinese");
    // A guessable password, then a wrong code: the same secret stays.
    browser.fill("#password", "aaaaaaaaaa");
    browser.fill("#code", &app_code(&secret, 0));
    browser.click("button[type=submit]");
    assert!(browser.has("#password-error"), "a weak password is refused");
    assert_eq!(base32_decode(&browser.text("#totp-secret")), secret);
    browser.assert_accessible("set-up weak password, Chinese");
    browser.fill("#password", STAFF_PASSWORD);
    browser.fill("#code", &app_code(&secret, 5));
    browser.click("button[type=submit]");
    assert_eq!(
        words(&browser.text("#code-error")),
        "錯誤： 驗證碼不正確。請輸入應用程式現時為此帳戶顯示的驗證碼",
        "a code of another time is refused"
    );
    // An empty second page is refused, and the secret shown stays the same.
    browser.fill("#password", "");
    browser.fill("#code", "");
    browser.click("button[type=submit]");
    assert!(
        browser.has("#password-error"),
        "an empty password is refused"
    );
    assert_eq!(base32_decode(&browser.text("#totp-secret")), secret);
    browser.fill("#password", STAFF_PASSWORD);
    browser.fill("#code", &app_code(&secret, 0));
    browser.click("button[type=submit]");
    browser.wait_for_path("/staff");
    assert_eq!(browser.text("h1"), "你的工作");
    assert_eq!(browser.text("#signed-in-as"), "已登入：rita (審核員)");
    browser.assert_accessible("console home, Chinese");

    // The reviewer's work, in English.
    browser.click(".language-switch");
    assert_eq!(browser.text("h1"), "Your work");
    browser.click("a[href='/staff/review']");
    assert!(browser.text("table").contains(&reference));
    browser.assert_accessible("review queue, English");
    keep_screen(&browser, "review-queue-en");
    browser.click(&format!("a[href='/staff/review/{reference}']"));
    assert_eq!(browser.text("#name"), person.name);
    assert_eq!(browser.text("#address"), person.address);
    assert_eq!(browser.text("#status"), "Waiting for review");
    // The proof is drawn again by the server: a PNG of the same size.
    let width = browser.script(
        "const i = document.getElementById('proof-image'); \
         return i.complete ? i.naturalWidth : -1;",
    );
    assert_eq!(width, Value::from(64), "the proof image is shown");
    browser.assert_accessible("application, English");
    browser.click("#approve");
    assert!(
        browser.text(".notice").contains(&reference),
        "{}",
        browser.text(".notice")
    );
    assert_eq!(
        browser.text("#queue-empty"),
        "No application is waiting for review."
    );
    browser.assert_accessible("review queue after approving, English");
    let pin = server
        .sms_pin(&person.phone_e164)
        .unwrap_or_else(|| panic!("approval sends the PIN"));
    assert_eq!(person.activate(&server, &pin).0, 204);

    // The same work in Chinese, for the next applicant.
    let next_person = Person::hkid();
    let (status, body) = server.register(&next_person.form(), Some(("bill.png", &png_proof())));
    assert_eq!(status, 202, "{body}");
    let next_reference = body["reference"].as_str().unwrap_or_default().to_owned();
    browser.click(".language-switch");
    assert_eq!(browser.text("h1"), "審核隊列");
    assert_eq!(browser.text("caption"), "共 1 宗申請等候處理");
    browser.assert_accessible("review queue, Chinese");
    keep_screen(&browser, "review-queue-zh-HK");
    browser.click(&format!("a[href='/staff/review/{next_reference}']"));
    assert_eq!(browser.text("#status"), "等候審核");
    assert_eq!(html_lang(&browser), "zh-HK");
    browser.assert_accessible("application, Chinese");
    browser.click("#approve");
    assert_eq!(
        browser.text(".notice"),
        format!("申請 {next_reference} 已批准。啟用密碼正以短訊發出。")
    );
    assert_eq!(browser.text("#queue-empty"), "沒有等候審核的申請。");
    browser.assert_accessible("review queue after approving, Chinese");
    assert!(server.sms_pin(&next_person.phone_e164).is_some());
    browser.click(".language-switch");

    // Each code works once: signing out and in again with a spent code fails.
    browser.tab_to(".link-button", 10);
    browser.enter();
    browser.wait_for_path("/staff/signed-out");
    browser.goto(&format!("{}/staff/review", server.base));
    browser.wait_for_path("/staff/sign-in");
    let next = app_code(&secret, 1);
    sign_in(&browser, &server, "rita", &next);
    browser.wait_for_path("/staff");
    browser.tab_to(".link-button", 10);
    browser.enter();
    browser.wait_for_path("/staff/signed-out");
    sign_in(&browser, &server, "rita", &next);
    assert_eq!(
        words(&browser.text("#name-error")),
        "Error: The name, password or code is not right"
    );
    browser.assert_accessible("staff sign-in refused, English");

    let actions = audit_actions(&server, &admin);
    for action in [
        "staff_sign_in_set_up",
        "staff_signed_in",
        "staff_sign_in_refused",
        "application_viewed",
        "proof_viewed",
        "application_approved",
    ] {
        assert!(
            actions.iter().any(|(_, a)| a == action),
            "{action} is not in the audit log: {actions:?}"
        );
    }
}

#[test]
fn an_administrator_adds_and_disables_staff_and_a_clerk_confirms_passport_holders_in_both_languages()
 {
    let server = IssuerServer::start(RELAXED);
    let admin_token = server.staff("ada", "admin");
    let admin = Browser::start(DESK.0, DESK.1);
    set_up(&admin, &server, "ada", &admin_token);
    admin.click("a[href='/staff/admin']");
    assert!(
        admin
            .text("#audit-state")
            .starts_with("The audit log is intact")
    );
    admin.assert_accessible("administration, English");
    admin.fill("#name", "pat");
    admin.select("#role", "post_office");
    admin.click("#add");
    let clerk_token = admin.text("#new-token");
    assert!(clerk_token.starts_with("hcstaff_"), "{clerk_token}");
    admin.assert_accessible("staff added, English");
    keep_screen(&admin, "admin-en");
    // The same name again, then a name with a space: said at the field.
    for bad in ["pat", "pat smith"] {
        admin.fill("#name", bad);
        admin.click("#add");
        assert!(admin.has("#name-error"), "{bad} is refused");
    }
    admin.assert_accessible("staff refused, English");

    // A passport holder registers; the letter's PIN goes with them to the post office.
    let (person, reference, letter_pin) = passport_holder_with_letter(&server);
    let wrong_pin = if letter_pin == "000000" {
        "111111"
    } else {
        "000000"
    };

    let clerk = Browser::start(DESK.0, DESK.1);
    clerk.goto(&format!("{}/staff?lang=zh-HK", server.base));
    clerk.wait_for_path("/staff/sign-in");
    set_up(&clerk, &server, "pat", &clerk_token);
    // Not an administrator: refused, and the attempt is audited.
    clerk.goto(&format!("{}/staff/admin", server.base));
    assert_eq!(clerk.text("h1"), "你不能進行此操作");
    assert_eq!(
        clerk.text(".service-name"),
        "健康碼職員控制台",
        "the refusal is in the console's frame"
    );
    assert_eq!(clerk.attr("main a", "href").as_deref(), Some("/staff"));
    clerk.assert_accessible("refused, Chinese");
    clerk.goto(&format!("{}/staff/post-office", server.base));
    assert_eq!(clerk.text("h1"), "在郵政局核實身份");
    clerk.assert_accessible("post office, Chinese");
    let fill = |pin: &str| {
        clerk.fill("#reference", &reference);
        clerk.select("#id_type", "PASSPORT");
        clerk.fill("#passport_country", "GBR");
        clerk.fill("#id_number", &person.id_number);
        clerk.fill("#letter_pin", pin);
        clerk.click("button.button");
    };
    fill(wrong_pin);
    assert_eq!(
        words(&clerk.text("#letter_pin-error")),
        "錯誤： 密碼與信件上的不符"
    );
    clerk.assert_accessible("post office refused, Chinese");
    assert!(server.sms_pin(&person.phone_e164).is_none());
    fill(&letter_pin);
    assert!(clerk.text("#done").contains(&reference));
    clerk.assert_accessible("post office confirmed, Chinese");
    let pin = server
        .sms_pin(&person.phone_e164)
        .unwrap_or_else(|| panic!("the check sends the PIN"));
    assert_eq!(person.activate(&server, &pin).0, 204);

    // The clerk's work in English, for the next passport holder.
    let (next_person, next_reference, next_pin) = passport_holder_with_letter(&server);
    clerk.goto(&format!("{}/staff/post-office?lang=en", server.base));
    assert_eq!(clerk.text("h1"), "Confirm identity at the post office");
    clerk.assert_accessible("post office, English");
    let fill = |reference: &str, id_number: &str, pin: &str| {
        clerk.fill("#reference", reference);
        clerk.select("#id_type", "PASSPORT");
        clerk.fill("#passport_country", "GBR");
        clerk.fill("#id_number", id_number);
        clerk.fill("#letter_pin", pin);
        clerk.click("button.button");
    };
    fill(&next_reference, &person.id_number, &next_pin);
    assert_eq!(
        words(&clerk.text("#id_number-error")),
        "Error: The document does not match the application"
    );
    clerk.assert_accessible("post office refused, English");
    fill(&next_reference, &next_person.id_number, &next_pin);
    assert_eq!(
        clerk.text("#done"),
        format!(
            "Identity confirmed for application {next_reference}. \
             The activation PIN is being sent by SMS."
        )
    );
    clerk.assert_accessible("post office confirmed, English");
    assert!(server.sms_pin(&next_person.phone_e164).is_some());

    // Disabled: the clerk's open console stops at once.
    admin.goto(&format!("{}/staff/admin", server.base));
    admin.click("#staff-pat form[action$='/disable'] button");
    assert!(admin.text("#done").contains("pat"));
    assert!(admin.text("#staff-pat").contains("Disabled"));
    clerk.goto(&format!("{}/staff/post-office", server.base));
    clerk.wait_for_path("/staff/sign-in");
    let (status, _) = server.get("/v1/staff/review-queue", Some(&clerk_token));
    assert_eq!(status, 401, "the API token stops too");

    // The administrator's work in Chinese: add a reviewer, then disable them.
    admin.click(".language-switch");
    assert_eq!(admin.text("h1"), "職員及系統");
    assert!(
        admin.text("#audit-state").starts_with("審計紀錄完整"),
        "{}",
        admin.text("#audit-state")
    );
    admin.assert_accessible("administration, Chinese");
    admin.fill("#name", "pat");
    admin.select("#role", "reviewer");
    admin.click("#add");
    assert_eq!(
        words(&admin.text("#name-error")),
        "錯誤： 已有職員使用此名稱"
    );
    admin.assert_accessible("staff refused, Chinese");
    admin.fill("#name", "sam");
    admin.click("#add");
    assert_eq!(admin.text("#done"), "已新增 sam。");
    let sam_token = admin.text("#new-token");
    assert_eq!(
        server.get("/v1/staff/review-queue", Some(&sam_token)).0,
        200
    );
    admin.assert_accessible("staff added, Chinese");
    keep_screen(&admin, "admin-zh-HK");
    admin.click("#staff-sam form[action$='/disable'] button");
    assert_eq!(
        admin.text("#done"),
        "已停用 sam。其權杖及登入工作階段已失效。"
    );
    assert!(admin.text("#staff-sam").contains("停用"));
    admin.assert_accessible("staff disabled, Chinese");
    assert_eq!(
        server.get("/v1/staff/review-queue", Some(&sam_token)).0,
        401
    );
}

#[test]
fn the_health_authority_uploads_designations_and_the_residents_next_code_is_amber_in_both_languages()
 {
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, None));
    let (person, _) = resident(&server, &[("venue-console-cafe", 30)]);
    let resident_browser = Browser::start(412, 915);
    resident_browser.goto(&format!("{}/sign-in?lang=zh-HK", server.base));
    sign_in_and_apply_by_keyboard(&resident_browser, &server, &person);
    assert_eq!(words(&resident_browser.text(".code-colour")), "顏色 綠碼");

    let authority_token = server.staff("hana", "health_authority");
    let authority = Browser::start(DESK.0, DESK.1);
    authority.goto(&format!("{}/staff/sign-in?lang=zh-HK", server.base));
    set_up(&authority, &server, "hana", &authority_token);
    authority.click("a[href='/staff/records']");
    assert_eq!(authority.text("#designations-none"), "現時沒有指定地點。");
    assert_eq!(authority.text("#runs-none"), "尚未進行任何重新評估。");
    authority.assert_accessible("records, none, Chinese");
    // A person's statuses, found by the document typed: none yet; a bad
    // number is said at its field.
    authority.fill("#id_number", "A123456(4)");
    authority.click("#find");
    assert!(authority.has("#id_number-error"), "a bad check digit");
    authority.assert_accessible("records, bad document, Chinese");
    authority.fill("#id_number", &person.id_number);
    authority.click("#find");
    assert_eq!(authority.text("#person-none"), "此證件現時沒有此類紀錄。");
    authority.goto(&format!("{}/staff", server.base));
    authority.click("a[href='/staff/feeds']");
    authority.assert_accessible("feeds, Chinese");
    // Nothing chosen: said at the field.
    authority.click("#upload");
    assert_eq!(words(&authority.text("#file-error")), "錯誤： 請選擇檔案");
    authority.assert_accessible("feeds, no file, Chinese");
    let two_days_ago =
        crate::accounts::rfc3339(time::OffsetDateTime::now_utc() - time::Duration::days(2));
    let csv = server.dir.path().join("designations.csv");
    std::fs::write(
        &csv,
        format!("place,start,end\nvenue-console-cafe,{two_days_ago},\n,not a date,\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    authority.select("#kind", "designations");
    authority.fill("#file", &csv.to_string_lossy());
    authority.click("#upload");
    assert_eq!(
        authority.text("#feeds-result"),
        "已讀取 2 列：已儲存 1 列、無變更 0 列、已拒絕 1 列。"
    );
    // The refused row in Chinese: its line and why.
    assert_eq!(
        words(&authority.text("#feeds-refused tbody")),
        "第 3 行 place：值的類型不正確"
    );
    assert_eq!(
        authority.script("return document.getElementById('kind').value;"),
        Value::from("designations"),
        "the kind chosen stays chosen"
    );
    authority.assert_accessible("feeds uploaded, Chinese");
    keep_screen(&authority, "feeds-zh-HK");

    // The records in force hold the designation, and the re-evaluation run
    // it caused revoked the resident's green code.
    authority.click("a[href='/staff/records']");
    assert!(
        authority
            .text("#designations")
            .contains("venue-console-cafe")
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !authority.has("#runs") || authority.text("#runs .revoked") != "1" {
        assert!(
            std::time::Instant::now() < deadline,
            "no run revoked the green code"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
        authority.goto(&format!("{}/staff/records", server.base));
    }
    authority.assert_accessible("records with a run, Chinese");
    keep_screen(&authority, "records-zh-HK");

    // The resident applies again on the site: amber, with the place as the reason.
    resident_browser.goto(&format!("{}/code", server.base));
    resident_browser.click("#apply");
    assert_eq!(words(&resident_browser.text(".code-colour")), "顏色 黃碼");
    let reasons = resident_browser.text(".reasons");
    assert!(reasons.contains("高風險"), "{reasons}");
    resident_browser.assert_accessible("amber code, Chinese");

    // Entered in error: withdrawn on the records page, the next code is green.
    authority.click("#designations button");
    assert_eq!(
        authority.text("#records-done"),
        "紀錄已撤回。受影響的健康碼正在重新評估。"
    );
    assert_eq!(authority.text("#designations-none"), "現時沒有指定地點。");
    authority.assert_accessible("records, withdrawn, Chinese");
    resident_browser.click("#apply");
    assert_eq!(words(&resident_browser.text(".code-colour")), "顏色 綠碼");

    // A close-contact status sent by the API is found by the resident's
    // document and withdrawn from the page.
    let yesterday =
        crate::accounts::rfc3339(time::OffsetDateTime::now_utc() - time::Duration::days(1));
    let status = json!({"records": [{"id_document": format!("HKID:{}", person.id_number),
        "kind": "close_contact", "start": yesterday, "end": null}]});
    let (code, body) = server.post("/v1/feeds/statuses", &status, Some(&authority_token));
    assert_eq!(code, 200, "{body}");
    authority.fill("#id_number", &person.id_number);
    authority.click("#find");
    assert!(authority.text("#person-records").contains("密切接觸者"));
    authority.assert_accessible("records, a person's status, Chinese");
    authority.click("#person-records button");
    assert_eq!(
        authority.text("#records-done"),
        "紀錄已撤回。受影響的健康碼正在重新評估。"
    );
    authority.fill("#id_number", &person.id_number);
    authority.click("#find");
    assert_eq!(authority.text("#person-none"), "此證件現時沒有此類紀錄。");

    // The same page in English, with both runs counted.
    authority.goto(&format!("{}/staff/records?lang=en", server.base));
    assert_eq!(authority.text("h1"), "Records in force");
    assert!(
        authority
            .text("#runs")
            .contains("Designated high-risk places")
    );
    authority.assert_accessible("records, English");

    // The upload in English: the place is designated again, and the
    // resident's next code, applied for in English, is amber.
    authority.click("a[href='/staff']");
    authority.click("a[href='/staff/feeds']");
    assert_eq!(authority.text("h1"), "Upload health records");
    authority.assert_accessible("feeds, English");
    authority.click("#upload");
    assert_eq!(
        words(&authority.text("#file-error")),
        "Error: Choose a file"
    );
    authority.assert_accessible("feeds, no file, English");
    authority.select("#kind", "designations");
    authority.fill("#file", &csv.to_string_lossy());
    authority.click("#upload");
    assert_eq!(
        authority.text("#feeds-result"),
        "2 rows read: 1 stored, 0 unchanged, 1 refused."
    );
    assert_eq!(
        words(&authority.text("#feeds-refused tbody")),
        "line 3 place: must be a string",
        "the API's own words"
    );
    authority.assert_accessible("feeds uploaded, English");
    keep_screen(&authority, "feeds-en");
    resident_browser.click(".language-switch");
    resident_browser.click("#apply");
    assert_eq!(html_lang(&resident_browser), "en");
    assert_eq!(
        words(&resident_browser.text(".code-colour")),
        "Colour Amber"
    );
    let reasons = resident_browser.text(".reasons");
    assert!(
        reasons.contains("You visited a place in the past 21 days while it was high-risk."),
        "{reasons}"
    );
    resident_browser.assert_accessible("amber code, English");
    let (_, audit) = server.get(
        "/v1/staff/audit?limit=100",
        Some(&server.staff("ada", "admin")),
    );
    let sources: Vec<String> = audit
        .as_array()
        .map(|a| a.iter().map(|e| e["detail"].to_string()).collect())
        .unwrap_or_default();
    assert!(
        sources.iter().any(|d| d.contains("console:withdrawal")),
        "the withdrawal is an audited batch: {sources:?}"
    );
}

#[test]
fn a_resident_appeals_on_the_site_and_the_health_authority_upholds_it_in_the_console() {
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, None));
    let (person, _) = resident(&server, &[]);
    let authority_token = server.staff("hana", "health_authority");
    crate::appeals::close_contact(&server, &authority_token, &person);
    let resident_browser = Browser::start(412, 915);
    resident_browser.goto(&format!("{}/sign-in", server.base));
    sign_in_and_apply_by_keyboard(&resident_browser, &server, &person);
    assert_ne!(
        words(&resident_browser.text(".code-colour")),
        "Colour Green"
    );

    // From the account page to the appeals; nothing chosen is said at its field.
    resident_browser.goto(&format!("{}/account", server.base));
    resident_browser.click("a[href='/account/appeals']");
    assert_eq!(
        resident_browser.text("#appeals-none"),
        "You have not lodged an appeal."
    );
    resident_browser.assert_accessible("appeals, none, English");
    resident_browser.click("#lodge");
    assert_eq!(
        words(&resident_browser.text("#ground-error")),
        "Error: Choose what is wrong"
    );
    resident_browser.assert_accessible("appeals, nothing chosen, English");
    resident_browser.choose("#ground");
    resident_browser.fill(
        "#statement",
        "I was at work that day; my employer's letter is attached.",
    );
    let evidence = server.dir.path().join("letter.png");
    std::fs::write(&evidence, png_proof()).unwrap_or_else(|e| panic!("{e}"));
    resident_browser.fill("#evidence", &evidence.to_string_lossy());
    resident_browser.click("#lodge");
    let lodged = resident_browser.text("#lodged");
    assert!(lodged.starts_with("Your appeal "), "{lodged}");
    assert!(
        resident_browser
            .text("#appeals")
            .contains("Waiting for a decision")
    );
    resident_browser.assert_accessible("appeals, lodged, English");
    keep_screen(&resident_browser, "appeals-en");
    resident_browser.goto(&format!("{}/account/appeals?lang=zh-HK", server.base));
    assert_eq!(resident_browser.text("h1"), "覆核申請");
    assert!(resident_browser.text("#appeals").contains("等候決定"));
    resident_browser.assert_accessible("appeals, lodged, Chinese");

    // The health authority, in Chinese: the queue, the appeal, its evidence redrawn.
    let authority = Browser::start(DESK.0, DESK.1);
    authority.goto(&format!("{}/staff/sign-in?lang=zh-HK", server.base));
    set_up(&authority, &server, "hana", &authority_token);
    authority.click("a[href='/staff/appeals']");
    authority.assert_accessible("appeals queue, Chinese");
    authority.click("table a");
    assert!(
        authority
            .text("#statement")
            .starts_with("I was at work that day")
    );
    assert!(authority.has("#evidence-image"));
    assert!(authority.text("label[for=record]").contains("密切接觸者"));
    authority.assert_accessible("appeal, Chinese");
    // Neither outcome nor reason: both said at their fields.
    authority.click("#decide");
    assert_eq!(
        words(&authority.text("#outcome-error")),
        "錯誤： 請選擇接納或不接納覆核申請"
    );
    authority.assert_accessible("appeal, no outcome, Chinese");
    authority.choose("#outcome");
    authority.click("#decide");
    assert_eq!(
        words(&authority.text("#reason-error")),
        "錯誤： 請輸入給申請人的理由"
    );
    authority.choose("#outcome");
    authority.fill("#reason", "Your employer's letter shows you were at work.");
    keep_screen(&authority, "appeal-zh-HK");
    authority.click("#decide");
    authority.wait_for_path("/staff/appeals");
    let notice = authority.text(".notice");
    assert!(notice.contains("已獲接納"), "{notice}");
    assert_eq!(authority.text("#appeals-empty"), "沒有等候決定的覆核申請。");
    authority.assert_accessible("appeals, upheld, Chinese");

    // The resident sees the outcome and the reason; the next code is green.
    resident_browser.goto(&format!("{}/account/appeals?lang=en", server.base));
    let appeals = resident_browser.text("#appeals");
    assert!(
        appeals.contains("Upheld: the record was corrected"),
        "{appeals}"
    );
    assert!(appeals.contains("Your employer's letter shows you were at work."));
    resident_browser.assert_accessible("appeals, upheld, English");
    resident_browser.goto(&format!("{}/code", server.base));
    resident_browser.click("#apply");
    assert_eq!(
        words(&resident_browser.text(".code-colour")),
        "Colour Green"
    );
}

#[test]
fn a_counter_clerk_registers_a_resident_without_a_smartphone_and_prints_their_code_in_chinese() {
    let keys = KeySet::new(false);
    let server = start_issuer(&issuer_args(&keys, None, None));
    let clerk_token = server.staff("cora", "counter");
    let person = Person::hkid();
    let clerk = Browser::start(DESK.0, DESK.1);
    clerk.goto(&format!("{}/staff/sign-in?lang=zh-HK", server.base));
    set_up(&clerk, &server, "cora", &clerk_token);
    clerk.click("a[href='/staff/counter']");
    clerk.assert_accessible("counter, Chinese");
    clerk.click("#find");
    assert!(clerk.has("#id_number-error") && clerk.has("#date_of_issue-error"));
    clerk.assert_accessible("counter, nothing typed, Chinese");

    // Registering: every problem at its field, consent included.
    clerk.click("#register-link");
    clerk.assert_accessible("counter registration, Chinese");
    clerk.click("#register");
    for field in [
        "name",
        "id_number",
        "date_of_issue",
        "phone",
        "address",
        "consent",
    ] {
        assert!(clerk.has(&format!("#{field}-error")), "{field}");
    }
    assert_eq!(
        words(&clerk.text("#consent-error")),
        "錯誤： 市民同意後，請剔選此方格"
    );
    clerk.assert_accessible("counter registration, errors, Chinese");
    clerk.fill("#name", &person.name);
    clerk.fill("#id_number", &person.id_number);
    clerk.fill("#date_of_issue", &person.date_of_issue);
    clerk.fill("#phone", &person.phone);
    clerk.fill("#address", &person.address);
    clerk.choose("#consent");
    clerk.click("#register");
    assert_eq!(
        clerk.text("#done"),
        "市民已登記，帳戶已生效。請在市民同意下申請今日的健康碼。"
    );
    assert_eq!(clerk.text("#name"), person.name);
    assert_eq!(clerk.text("#todays-code"), "今日沒有有效的健康碼");
    assert!(!clerk.has("#print"), "nothing to print yet");
    clerk.assert_accessible("counter resident, registered, Chinese");

    // Applying needs the resident's agreement, ticked.
    clerk.click("#apply");
    assert!(clerk.has("#consent-error"));
    clerk.assert_accessible("counter resident, no consent, Chinese");
    clerk.choose("#consent");
    clerk.click("#apply");
    assert_eq!(clerk.text("#done"), "已發出今日的健康碼。請為市民列印。");
    assert!(
        clerk.text("#todays-code").starts_with("綠碼"),
        "{}",
        clerk.text("#todays-code")
    );
    clerk.assert_accessible("counter resident, code issued, Chinese");
    keep_screen(&clerk, "counter-zh-HK");
    // The print link gives the PDF to the console's session.
    let href = clerk.attr("#print", "href").unwrap_or_default();
    let session = clerk.cookie("hc_staff").unwrap_or_default();
    let printed = ureq::get(&format!("{}{href}", server.base))
        .set("cookie", &format!("hc_staff={session}"))
        .call()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(printed.content_type(), "application/pdf");

    // Found again by the card in hand.
    clerk.click("a[href='/staff/counter']");
    clerk.fill("#id_number", &person.id_number);
    clerk.fill("#date_of_issue", &person.date_of_issue);
    clerk.click("#find");
    assert_eq!(clerk.text("#name"), person.name);
}

//! The officer's scanning page in headless Chromium: a photo and a document
//! typed in give the decision as a large word, in both languages, without
//! JavaScript's help; with a fake camera playing a phone's screen (clean,
//! then blurred), the page finds the code by itself and shows the decision.

use std::time::{Duration, Instant};

use healthcode_tests::{
    browser::Browser,
    photo::{self, Degradation},
};

use crate::{
    support::{CARD_ISSUED, KeySet},
    verifier_service::Verifier,
    web_pages::{html_lang, keep_screen, words},
};

const ALICE: &str = "HKID:A123456(3)";

fn gd_verifier(set: &KeySet) -> Verifier {
    let policy = format!(
        "{}/../policies/hk-exit-gd.policy",
        env!("CARGO_MANIFEST_DIR")
    );
    Verifier::start(set, &["--policy", &policy, "--checkpoint", "LWS"])
}

fn metrics(verifier: &Verifier) -> String {
    ureq::get(&format!("{}/metrics", verifier.base))
        .call()
        .ok()
        .and_then(|r| r.into_string().ok())
        .unwrap_or_default()
}

#[test]
fn an_officer_checks_a_photo_and_a_document_and_reads_the_decision() {
    let set = KeySet::new(false);
    let verifier = gd_verifier(&set);
    let green_png = set.dir.path().join("green.png");
    set.issue("green", ALICE, &["--qr", &green_png.to_string_lossy()]);
    let red_png = set.dir.path().join("red.png");
    set.issue("red", ALICE, &["--qr", &red_png.to_string_lossy()]);

    let browser = Browser::start(820, 1180);
    browser.goto(&format!("{}/officer?lane=car-1&lang=en", verifier.base));
    assert_eq!(html_lang(&browser), "en");
    assert_eq!(browser.text("h1"), "Check a health code");
    browser.assert_accessible("officer page");

    // Nothing chosen: the error is named and leads to its field.
    browser.click("button[type=submit]");
    let summary = words(&browser.text("#error-summary"));
    assert!(summary.contains("Choose a photo of the code"), "{summary}");
    assert_eq!(
        browser.attr("#error-summary a", "href").as_deref(),
        Some("#photo")
    );
    browser.assert_accessible("officer page with an error");

    // A green code with the holder's card: admitted.
    browser.fill("#id_doc", ALICE);
    browser.fill("#date_of_issue", CARD_ISSUED);
    browser.fill("#photo", &green_png.to_string_lossy());
    browser.click("button[type=submit]");
    assert_eq!(browser.text("#decision-word"), "ADMIT");
    assert_eq!(
        browser.attr("#result", "data-decision").as_deref(),
        Some("admit")
    );
    let facts = words(&browser.text("#result"));
    assert!(
        facts.contains("Green code") && facts.contains("Matches the code"),
        "{facts}"
    );
    assert!(facts.contains("23:59"), "{facts}");
    browser.assert_accessible("officer page, admitted");

    // Keyboard only: the next traveller, then a red code with another card, in Chinese.
    browser.tab_to("#next", 10);
    browser.enter();
    assert!(browser.url().contains("lane=car-1"), "{}", browser.url());
    browser.goto(&format!("{}/officer?lane=car-1&lang=zh-HK", verifier.base));
    assert_eq!(html_lang(&browser), "zh-HK");
    browser.fill("#id_doc", "HKID:K100008(A)");
    browser.fill("#date_of_issue", CARD_ISSUED);
    browser.fill("#photo", &red_png.to_string_lossy());
    browser.click("button[type=submit]");
    assert_eq!(browser.text("#decision-word"), "拒絕通關");
    let facts = words(&browser.text("#result"));
    assert!(facts.contains("與健康碼不符"), "{facts}");
    browser.assert_accessible("officer page, refused, zh-HK");
    keep_screen(&browser, "officer-refuse-zh-HK");

    // A document that does not parse is refused at its field, in Chinese.
    browser.fill("#id_doc", "A123456");
    browser.fill("#photo", &green_png.to_string_lossy());
    browser.click("button[type=submit]");
    let summary = words(&browser.text("#error-summary"));
    assert!(summary.contains("請以「類別:號碼」輸入證件"), "{summary}");

    let counted = metrics(&verifier);
    for line in [
        "healthcode_lane_verifications_total{checkpoint=\"LWS\",lane=\"car-1\",admission=\"admit\",error=\"none\"} 1",
        "healthcode_lane_verifications_total{checkpoint=\"LWS\",lane=\"car-1\",admission=\"refuse\",error=\"identity_mismatch\"} 1",
    ] {
        assert!(counted.contains(line), "{line} in\n{counted}");
    }
}

#[test]
fn the_camera_finds_a_code_on_a_phone_screen_and_shows_the_decision() {
    let set = KeySet::new(false);
    let verifier = gd_verifier(&set);
    let token = set.issue("green", ALICE, &[]);
    let corpus = photo::corpus(&token, 16, 1);
    let frame_of = |kind: Degradation| {
        corpus
            .iter()
            .find(|p| p.degradation == kind)
            .map(|p| p.jpeg.clone())
            .unwrap_or_else(|| panic!("no {kind:?} frame"))
    };
    for (kind, name) in [
        (Degradation::Clean, "clean"),
        (Degradation::Blurred, "blurred"),
    ] {
        let jpeg = frame_of(kind);
        let video = set.dir.path().join(format!("{name}.y4m"));
        std::fs::write(&video, photo::camera_video(&[&jpeg], 20, 10))
            .unwrap_or_else(|e| panic!("{e}"));
        let flags = [
            "--use-fake-device-for-media-stream".to_owned(),
            "--use-fake-ui-for-media-stream".to_owned(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
            "--autoplay-policy=no-user-gesture-required".to_owned(),
        ];
        let browser = Browser::start_with(820, 1180, &flags);
        let lane = format!("cam-{name}");
        browser.goto(&format!("{}/officer?lane={lane}&lang=en", verifier.base));
        assert!(
            !browser.has("#camera[hidden]"),
            "the camera section stays hidden"
        );
        browser.fill("#id_doc", ALICE);
        browser.fill("#date_of_issue", CARD_ISSUED);
        let started = Instant::now();
        browser.choose("#camera-start");
        let deadline = started + Duration::from_secs(30);
        while !browser.has("#decision-word") {
            assert!(
                Instant::now() < deadline,
                "{name}: no decision; status {:?}",
                browser.text("#camera-status")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let took = started.elapsed();
        eprintln!(
            "officer camera, {name}: decision shown {} ms after the camera started",
            took.as_millis()
        );
        assert_eq!(browser.text("#decision-word"), "ADMIT", "{name}");
        assert_eq!(browser.focused(), "h1#decision-word", "{name}: focus");
        browser.assert_accessible("officer page, camera decision");
        if kind == Degradation::Clean {
            keep_screen(&browser, "officer-camera-en");
        }
        // Frames without a code are not counted: one verification per decision.
        let counted = metrics(&verifier);
        let line = format!(
            "healthcode_lane_verifications_total{{checkpoint=\"LWS\",lane=\"{lane}\",admission=\"admit\",error=\"none\"}} 1"
        );
        assert!(counted.contains(&line), "{line} in\n{counted}");
        let any_other = counted
            .lines()
            .filter(|l| {
                l.contains(&format!("lane=\"{lane}\""))
                    && l.starts_with("healthcode_lane_verifications_total")
            })
            .count();
        assert_eq!(any_other, 1, "{counted}");
        // The next traveller: scanning starts again without reloading.
        browser.choose("#next");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !browser.has("#decision-word") {
            assert!(Instant::now() < deadline, "{name}: no second decision");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

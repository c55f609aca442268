//! Applying for a code end to end: the real `issuer serve` with a signing key
//! and a real Redis, the real `verifier serve` at the checkpoint. A green
//! code is revoked at the checkpoint within 2 seconds of a designation, and
//! within 2 seconds of Redis coming back when Redis was down; the signing key
//! rotates without a restart; residence and arrivals count.

use std::time::{Duration, Instant};

use base64::Engine as _;
use healthcode_service_kit::redis::RevocationStore;
use healthcode_tests::redis_server::RedisServer;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{
    accounts::{registered_tenant, rfc3339},
    issuer_server::{IssuerServer, Person, RELAXED, pin_in},
    support::{KeySet, run, stderr, stdout, token_id_of, with_minutes_of_the_day_left},
    verifier_service::{Verifier, redis_command, wait_connected},
};

/// `issuer serve` flags: the relaxed rate limits, `keys`' signing and
/// identity keys (signing with `signing_key` if given), and Redis if given.
pub fn issuer_args(keys: &KeySet, signing_key: Option<&str>, redis: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = RELAXED.iter().map(|s| (*s).to_owned()).collect();
    let default_key = keys.path(&format!("{}.secret", keys.kid));
    args.extend([
        "--signing-key".to_owned(),
        signing_key.map_or(default_key, str::to_owned),
        "--identity-master-key".to_owned(),
        keys.path("identity-master.key"),
    ]);
    if let Some(url) = redis {
        args.extend(["--redis".to_owned(), url.to_owned()]);
    }
    args
}

/// Starts `issuer serve` with `args`.
pub fn start_issuer(args: &[String]) -> IssuerServer {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    IssuerServer::start(&args)
}

/// A resident activated through the public housing route and logged in, with
/// a visit of an hour to each `(venue, hours ago)` uploaded; their session.
pub fn resident(server: &IssuerServer, visits: &[(&str, i64)]) -> (Person, String) {
    let (person, pin) = registered_tenant(server);
    assert_eq!(person.activate(server, &pin).0, 204);
    let session = person.login(server);
    upload_visits(server, &session, visits);
    (person, session)
}

fn upload_visits(server: &IssuerServer, session: &str, visits: &[(&str, i64)]) {
    let now = OffsetDateTime::now_utc();
    let records: Vec<Value> = visits
        .iter()
        .map(|(venue, hours_ago)| {
            let check_in = now - time::Duration::hours(*hours_ago);
            json!({"venue_id": venue, "venue_name": format!("Venue {venue}"),
                   "check_in": rfc3339(check_in), "check_out": rfc3339(check_in + time::Duration::hours(1))})
        })
        .collect();
    let (status, summary) =
        server.post("/v1/visits", &json!({ "records": records }), Some(session));
    assert_eq!(
        (status, summary["stored"].as_u64()),
        (200, Some(visits.len() as u64)),
        "{summary}"
    );
}

/// Applies for a code; the answer.
pub fn apply(server: &IssuerServer, session: &str) -> Value {
    let (status, code) = server.post("/v1/codes", &json!({}), Some(session));
    assert_eq!(status, 201, "{}", brief(&code));
    code
}

/// Submits `records` to the `kind` feed as `staff`; the summary.
pub fn submit(server: &IssuerServer, staff: &str, kind: &str, records: Value) -> Value {
    let (status, summary) = server.post(
        &format!("/v1/feeds/{kind}"),
        &json!({ "records": records }),
        Some(staff),
    );
    assert_eq!(status, 200, "{summary}");
    summary
}

fn hours_ago(hours: i64) -> String {
    rfc3339(OffsetDateTime::now_utc() - time::Duration::hours(hours))
}

/// A code without its images and token, for messages.
pub fn brief(code: &Value) -> Value {
    let mut code = code.clone();
    if let Some(object) = code.as_object_mut() {
        for key in ["qr_png", "qr_svg", "token"] {
            object.remove(key);
        }
    }
    code
}

fn reason_ids(code: &Value) -> Vec<&str> {
    code["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["id"].as_str()).collect())
        .unwrap_or_default()
}

fn token(code: &Value) -> String {
    code["token"].as_str().unwrap_or_default().to_owned()
}

/// Waits up to `limit` for `/v1/codes/today` to answer revoked.
pub fn wait_revoked_for_resident(server: &IssuerServer, session: &str, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let (status, today) = server.get("/v1/codes/today", Some(session));
        assert_eq!(status, 200, "{}", brief(&today));
        if today["status"] == "revoked" {
            return brief(&today);
        }
        assert!(Instant::now() < deadline, "not revoked: {}", brief(&today));
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the re-evaluation of `batch` has run (its audit entry is
/// there, read by `admin`); its detail.
fn wait_reevaluated(server: &IssuerServer, admin: &str, batch: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let (_, audit) = server.get("/v1/staff/audit?limit=50", Some(admin));
        let entry = audit.as_array().and_then(|entries| {
            entries
                .iter()
                .find(|e| e["action"] == "codes_reevaluated" && &e["subject"] == batch)
        });
        if let Some(entry) = entry {
            return serde_json::from_str(entry["detail"].as_str().unwrap_or("{}"))
                .unwrap_or_default();
        }
        assert!(Instant::now() < deadline, "batch {batch} not re-evaluated");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The verifier's answer to a photo: the QR code as PNG, read by its decoder.
fn verify_png(verifier: &Verifier, png: &[u8]) -> Value {
    ureq::post(&format!("{}/v1/verify", verifier.base))
        .set("content-type", "image/png")
        .send_bytes(png)
        .ok()
        .and_then(|r| r.into_json().ok())
        .unwrap_or(Value::Null)
}

#[test]
fn a_designation_revokes_a_green_code_at_the_checkpoint_even_through_a_redis_outage() {
    let mut redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let keys = KeySet::new(false);
    let issuer = start_issuer(&issuer_args(&keys, None, Some(&redis.url())));
    let verifier = Verifier::start(&keys, &["--redis", &redis.url()]);
    wait_connected(&verifier, true);

    // The operator's venue registry names the cafe (the gym is not in it).
    let registry = issuer.dir.path().join("venues.csv");
    std::fs::write(
        &registry,
        "venue_id,name_en,name_zh\nvenue-e2e-cafe,E2E Cafe,端對端咖啡室\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = issuer.cli(&["venues", "import", &registry.to_string_lossy()]);
    assert!(output.status.success(), "{}", stderr(&output));

    // Registered, activated, visits uploaded (yesterday at the cafe): green.
    let (_, session) = resident(&issuer, &[("venue-e2e-cafe", 24), ("venue-e2e-gym", 50)]);
    let green = apply(&issuer, &session);
    assert_eq!(green["colour"], "green", "{}", brief(&green));
    assert!(reason_ids(&green).is_empty());
    assert!(
        green["valid_until"]
            .as_str()
            .is_some_and(|v| v.ends_with("T23:59:59+08:00")),
        "{}",
        brief(&green)
    );
    // The PNG is a real QR code of the token: the checkpoint reads it from the image.
    let png = base64::engine::general_purpose::STANDARD
        .decode(green["qr_png"].as_str().unwrap_or_default())
        .unwrap_or_default();
    let read = verify_png(&verifier, &png);
    assert_eq!(
        (&read["valid"], &read["colour"], &read["token_id"]),
        (&json!(true), &json!("green"), &green["token_id"]),
        "{read}"
    );
    assert!(green["qr_svg"].as_str().is_some_and(|s| s.contains("<svg")));
    let (_, checked) = verifier.verify(&token(&green));
    assert_eq!(checked["revocation"], "not_revoked", "{checked}");

    // The health authority designates the cafe from two days ago.
    let authority = issuer.staff("hana", "health_authority");
    let sent = Instant::now();
    let summary = submit(
        &issuer,
        &authority,
        "designations",
        json!([{"place": "venue-e2e-cafe", "start": hours_ago(48), "end": null}]),
    );
    assert_eq!(summary["stored"], 1, "{summary}");
    let took = verifier.time_until_revoked(&token(&green), Duration::from_secs(2));
    eprintln!(
        "designation submitted to revoked at the checkpoint: {:?}",
        sent.elapsed().min(took + Duration::from_secs(1))
    );
    assert_eq!(
        verifier.verify(&token(&green)).1["revocation_reason"],
        "risk_changed"
    );

    // The resident sees the revocation; applying again gives amber, with the facts.
    let today = wait_revoked_for_resident(&issuer, &session, Duration::from_secs(1));
    assert_eq!(
        today["revocation"]["reason"],
        "risk_changed",
        "{}",
        brief(&today)
    );
    let amber = apply(&issuer, &session);
    assert_eq!(amber["colour"], "amber", "{}", brief(&amber));
    assert_eq!(reason_ids(&amber), ["high_risk_visit"]);
    let fact = &amber["reasons"][0]["facts"][0];
    assert_eq!(
        (
            &fact["type"],
            &fact["place"],
            &fact["place_name"],
            &fact["place_name_zh"]
        ),
        (
            &json!("visit"),
            &json!("venue-e2e-cafe"),
            &json!("E2E Cafe"),
            &json!("端對端咖啡室")
        ),
        "{}",
        brief(&amber)
    );
    assert!(
        amber["reasons"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("high-risk"))
    );
    assert_eq!(verifier.verify(&token(&amber)).1["colour"], "amber");

    // Redis is down while the next designation is made.
    let (_, other) = resident(&issuer, &[("venue-e2e-gym", 30)]);
    let other_green = apply(&issuer, &other);
    assert_eq!(other_green["colour"], "green");
    redis.kill();
    wait_connected(&verifier, false);
    submit(
        &issuer,
        &authority,
        "designations",
        json!([{"place": "venue-e2e-gym", "start": hours_ago(72), "end": null}]),
    );
    // The revocation is decided and waits in the issuer's database.
    wait_revoked_for_resident(&issuer, &other, Duration::from_secs(2));
    let (_, health) = issuer.get("/healthz", None);
    assert_eq!(
        (
            &health["redis_connected"],
            &health["revocations_undelivered"]
        ),
        (&json!(false), &json!(1)),
        "{health}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        verifier.verify(&token(&other_green)).1["revocation"],
        "not_revoked"
    );

    // Redis comes back, empty (no persistence).
    redis.restart().unwrap_or_else(|e| panic!("{e:#}"));
    let took = verifier.time_until_revoked(&token(&other_green), Duration::from_secs(2));
    eprintln!("redis back to revoked at the checkpoint: {took:?}");

    // The issuer restored what Redis lost: a checkpoint started now knows
    // both revocations, the one made before the outage too.
    let fresh = Verifier::start(&keys, &["--redis", &redis.url()]);
    wait_connected(&fresh, true);
    for code in [&green, &other_green] {
        fresh.time_until_revoked(&token(code), Duration::from_secs(2));
    }
    assert_eq!(fresh.verify(&token(&amber)).1["valid"], true);

    // A failover to a replica that lagged: a marker the issuer did not set,
    // and a revocation missing. The issuer restores it.
    let id = token_id_of(&token(&other_green));
    let key = format!("healthcode:revocation:{id}");
    redis_command(
        &redis.url(),
        &["SET", "healthcode:revocations:complete", "lagged"],
    );
    redis_command(&redis.url(), &["DEL", &key]);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let store = runtime
        .block_on(RevocationStore::connect(&redis.url()))
        .unwrap_or_else(|e| panic!("{e}"));
    let id = id.parse().unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(2);
    while runtime.block_on(store.status(&id)).ok().flatten().is_none() {
        assert!(Instant::now() < deadline, "not restored after the failover");
        std::thread::sleep(Duration::from_millis(20));
    }

    let output = issuer.cli(&["audit", "verify"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("feed records intact: 2 records in 2 batches"),
        "{}",
        stdout(&output)
    );
}

/// A resident living at `address`, registered without proof: the letter
/// route, its PIN, then an account; the person and their session.
fn letter_resident(issuer: &IssuerServer, address: &str) -> (Person, String) {
    let person = Person {
        address: address.into(),
        ..Person::hkid()
    };
    assert_eq!(issuer.register(&person.form(), None).0, 202);
    let letters = issuer.export_letters();
    let letter = std::fs::read_to_string(&letters[0]).unwrap_or_default();
    let pin = letter
        .lines()
        .find_map(|l| l.strip_prefix("PIN: "))
        .and_then(pin_in)
        .unwrap_or_else(|| panic!("no PIN in {letter}"));
    assert_eq!(person.activate(issuer, &pin).0, 204);
    let session = person.login(issuer);
    (person, session)
}

/// Issue 12, attack 8: "Harbour Gdn, Twr 5" stayed green while "Harbour
/// Garden" went amber. Every common way of writing the building, in English
/// or Chinese, must reach its residents.
#[test]
fn a_building_designation_reaches_residents_however_they_spell_the_address() {
    let keys = KeySet::new(false);
    let issuer = start_issuer(&issuer_args(&keys, None, None));
    let directory = issuer.dir.path().join("buildings.csv");
    std::fs::write(
        &directory,
        "building_id,address\nbldg-hg-t5,\"Tower 5, Harbour Garden\"\nbldg-hg-t5,港灣花園第5座\n\
         bldg-hg-t15,\"Tower 15, Harbour Garden\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = issuer.cli(&["buildings", "import", &directory.to_string_lossy()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let spellings = [
        "Flat 3A, 12/F, Twr 5, Harbour Gdn, Kowloon",
        "FLAT B 7/F TOWER FIVE HARBOUR GARDEN",
        "香港九龍港灣花園第五座12樓A室",
        "九龙港湾花园5座3楼",
    ];
    let residents: Vec<String> = spellings
        .iter()
        .map(|address| letter_resident(&issuer, address).1)
        .collect();
    let (_, neighbour) = letter_resident(&issuer, "Flat 1, 2/F, Twr 15, Harbour Gdn");

    let authority = issuer.staff("hana", "health_authority");
    submit(
        &issuer,
        &authority,
        "designations",
        json!([{"place": "bldg-hg-t5", "start": hours_ago(48), "end": null}]),
    );
    for (session, address) in residents.iter().zip(spellings) {
        let code = apply(&issuer, session);
        assert_eq!(
            reason_ids(&code),
            ["high_risk_residence"],
            "{address}: {}",
            brief(&code)
        );
    }
    assert_eq!(
        apply(&issuer, &neighbour)["colour"],
        "green",
        "tower 15 is not tower 5"
    );
}

#[test]
fn residence_and_arrivals_count_and_applications_are_limited() {
    let keys = KeySet::new(false);
    let issuer = start_issuer(&issuer_args(&keys, None, None));
    // The building directory maps an address that no housing record has.
    let directory = issuer.dir.path().join("buildings.csv");
    std::fs::write(
        &directory,
        "building_id,address\nbldg-e2e-tower-5,\"Tower 5, Harbour Garden\"\nbldg-e2e-estate,Harbour Garden\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = issuer.cli(&["buildings", "import", &directory.to_string_lossy()]);
    assert!(output.status.success(), "{}", stderr(&output));

    let (person, session) =
        letter_resident(&issuer, "Flat 3A, 12/F, Tower 5, Harbour Garden, Kowloon");
    let green = apply(&issuer, &session);
    assert_eq!(green["colour"], "green");

    // The tower (not the whole estate) was high-risk from 5 days to 1 day ago.
    let authority = issuer.staff("hana", "health_authority");
    submit(
        &issuer,
        &authority,
        "designations",
        json!([{"place": "bldg-e2e-tower-5", "start": hours_ago(120), "end": hours_ago(24)}]),
    );
    wait_revoked_for_resident(&issuer, &session, Duration::from_secs(3));
    let amber = apply(&issuer, &session);
    assert_eq!(
        reason_ids(&amber),
        ["high_risk_residence"],
        "{}",
        brief(&amber)
    );
    assert_eq!(amber["reasons"][0]["facts"][0]["place"], "bldg-e2e-tower-5");

    // An arrival from overseas: amber already, so nothing is revoked, and the
    // next application carries both reasons. Only immigration may submit it.
    let immigration = issuer.staff("ivan", "immigration");
    let arrival = json!([{"id_document": format!("HKID:{}", person.id_number), "at": hours_ago(30),
                          "origin": "overseas", "scheme": null, "quarantine": "completed"}]);
    let (status, _) = issuer.post(
        "/v1/feeds/arrivals",
        &json!({ "records": arrival }),
        Some(&authority),
    );
    assert_eq!(status, 403);
    let summary = submit(&issuer, &immigration, "arrivals", arrival);
    let admin = issuer.staff("ada", "admin");
    let done = wait_reevaluated(&issuer, &admin, &summary["batch"]);
    assert_eq!(
        (&done["examined"], &done["revoked"]),
        (&json!(1), &json!(0))
    );
    let (_, today) = issuer.get("/v1/codes/today", Some(&session));
    assert_eq!(today["status"], "valid", "not more severe: {today}");
    let both = apply(&issuer, &session);
    assert_eq!(
        reason_ids(&both),
        ["high_risk_residence", "recent_arrival"],
        "{}",
        brief(&both)
    );
    assert_eq!(both["superseded"], json!([amber["token_id"]]));

    // A body cannot choose the colour: the rules do.
    let (status, chosen) = issuer.post("/v1/codes", &json!({"colour": "green"}), Some(&session));
    assert_eq!((status, &chosen["colour"]), (201, &json!("amber")));

    // At most 20 codes a day.
    let mut last = 0;
    for _ in 0..20 {
        last = issuer.post("/v1/codes", &json!({}), Some(&session)).0;
        if last != 201 {
            break;
        }
    }
    assert_eq!(last, 429);
}

/// The identity binding end to end: a code applied for on the issuer binds
/// the resident's document and the card's date of issue under the day's key;
/// a checkpoint given that day's key (never the master) matches the holder
/// only, and one that cannot check says so and does not answer valid.
#[test]
fn a_checkpoint_with_the_days_key_matches_the_holders_card_and_nothing_else() {
    let keys = KeySet::new(false);
    let issuer = start_issuer(&issuer_args(&keys, None, None));
    let verifier = Verifier::start(&keys, &[]);
    let (person, session) = resident(&issuer, &[]);
    let code = apply(&issuer, &session);
    let token = token(&code);
    assert!(token.starts_with("HC2:"), "{token}");
    let document = format!("{}:{}", person.id_type, person.id_number);
    let check = |id_doc: &str, date: Option<&str>| {
        let mut request = json!({"token": token, "id_doc": id_doc});
        if let Some(date) = date {
            request["date_of_issue"] = json!(date);
        }
        verifier.verify_json(&request)
    };
    let (status, holder) = check(&document, Some(&person.date_of_issue));
    assert_eq!(
        (status, &holder["identity"]),
        (200, &json!("match")),
        "{holder}"
    );
    assert_eq!(holder["error"], Value::Null, "{holder}");
    let (_, wrong_date) = check(&document, Some("2001-01-01"));
    assert_eq!(wrong_date["identity"], "mismatch", "{wrong_date}");
    assert_eq!(wrong_date["valid"], false);
    let (_, undated) = check(&document, None);
    assert_eq!(
        undated["error"]["code"], "identity_unavailable",
        "{undated}"
    );
    assert_eq!(undated["valid"], false, "cannot check: never plainly valid");

    // A checkpoint holding other days' keys cannot check today's code.
    let old = keys.write_day_keys("old-days.key", "2022-12-10", 7);
    let elsewhere = Verifier::start(&keys, &["--identity-day-keys", &old]);
    let (_, answer) = elsewhere.verify_json(&json!({
        "token": token, "id_doc": document, "date_of_issue": person.date_of_issue,
    }));
    assert_eq!(answer["error"]["code"], "identity_unavailable", "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no identity key for"),
        "{answer}"
    );
    let health = elsewhere.get("/healthz").unwrap_or_default();
    assert_eq!(
        health["identity_day_keys"]["covers_today"], false,
        "{health}"
    );
    // The operator puts the current days in place: taken up without a restart.
    std::fs::copy(keys.path("identity-days.key"), &old).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(6);
    loop {
        let (_, answer) = elsewhere.verify_json(&json!({
            "token": token, "id_doc": document, "date_of_issue": person.date_of_issue,
        }));
        if answer["identity"] == "match" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "new day keys not taken up: {answer}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let health = elsewhere.get("/healthz").unwrap_or_default();
    assert_eq!(
        health["identity_day_keys"]["covers_today"], true,
        "{health}"
    );
    // A date of issue that is not a date, or without a document: 400, named.
    for request in [
        json!({"token": token, "id_doc": document, "date_of_issue": "1/3/2018"}),
        json!({"token": token, "date_of_issue": "2018-03-01"}),
    ] {
        let (status, answer) = verifier.verify_json(&request);
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("date_of_issue"),
            "{answer}"
        );
    }
}

#[test]
fn without_a_signing_key_no_code_is_issued() {
    let issuer = IssuerServer::start(RELAXED);
    let (_, session) = resident(&issuer, &[]);
    let (status, body) = issuer.post("/v1/codes", &json!({}), Some(&session));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("issuing_unavailable")),
        "{body}"
    );
    assert_eq!(issuer.post("/v1/codes", &json!({}), None).0, 401);
    let (_, health) = issuer.get("/healthz", None);
    assert_eq!(health["issuing"], false);
}

/// A second issuer key in `keys`' folder; its kid.
fn generate_key(keys: &KeySet, not_before: &str, not_after: &str) -> String {
    let dir = keys.path("");
    let output = run(
        "keys",
        &[
            "generate",
            "--issuer",
            "HK",
            "--out",
            &dir,
            "--not-before",
            not_before,
            "--not-after",
            not_after,
        ],
        &keys.state(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_owned()
}

/// Points the symlink `link` at `target`, atomically.
fn point(link: &str, target: &str) {
    let staging = format!("{link}.new");
    let _ = std::fs::remove_file(&staging);
    std::os::unix::fs::symlink(target, &staging).unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(&staging, link).unwrap_or_else(|e| panic!("{e}"));
}

fn kid_of(code: &Value) -> String {
    healthcode_keys::UnverifiedToken::parse(&token(code))
        .unwrap_or_else(|e| panic!("{e}"))
        .kid()
        .to_string()
}

#[test]
fn the_signing_key_rotates_without_a_restart() {
    let keys = KeySet::new(false);
    let second = generate_key(&keys, "2022-01-01T00:00:00Z", "2035-12-31T23:59:59Z");
    // The new key goes into the trust list first, beside the old one.
    let output = run(
        "keys",
        &[
            "trust-list",
            "--root",
            &keys.path("root.secret"),
            "--seq",
            "2",
            &keys.path(&format!("{}.public", keys.kid)),
            &keys.path(&format!("{second}.public")),
        ],
        &keys.state(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::write(keys.path("trust.json"), &output.stdout).unwrap_or_else(|e| panic!("{e}"));
    let verifier = Verifier::start(&keys, &[]);

    let current = keys.path("current.secret");
    point(&current, &keys.path(&format!("{}.secret", keys.kid)));
    let issuer = start_issuer(&issuer_args(&keys, Some(&current), None));
    let (_, session) = resident(&issuer, &[]);
    let old = apply(&issuer, &session);
    assert_eq!(kid_of(&old), keys.kid);

    // Rotate: the link now names the new key; the service notices by itself.
    point(&current, &keys.path(&format!("{second}.secret")));
    let deadline = Instant::now() + Duration::from_secs(6);
    let new = loop {
        let code = apply(&issuer, &session);
        if kid_of(&code) == second {
            break code;
        }
        assert!(Instant::now() < deadline, "still signing with the old key");
        std::thread::sleep(Duration::from_millis(200));
    };
    // Both verify: the old key stays trusted for the codes it signed.
    assert_eq!(verifier.verify(&token(&new)).1["valid"], true);
    assert_eq!(verifier.verify(&token(&old)).1["valid"], true);

    // A key that cannot sign now is refused, and the one in use stays.
    let expired = generate_key(&keys, "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z");
    point(&current, &keys.path(&format!("{expired}.secret")));
    std::thread::sleep(Duration::from_millis(3000));
    assert_eq!(kid_of(&apply(&issuer, &session)), second);
    assert!(
        issuer.log().contains("new signing key refused"),
        "{}",
        issuer.log()
    );
}

#[test]
fn a_filtered_snapshot_carries_the_days_revocations_to_an_offline_scanner() {
    with_minutes_of_the_day_left(10);
    let keys = KeySet::new(false);
    let issuer = start_issuer(&issuer_args(&keys, None, None));
    let tokens: Vec<String> = (0..3)
        .map(|_| token(&apply(&issuer, &resident(&issuer, &[]).1)))
        .collect();
    let output = issuer.cli(&[
        "revoke",
        "--token-id",
        &token_id_of(&tokens[0]),
        "--reason",
        "fraud",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    // Made as of six minutes on, the codes (issued more than the
    // five-minute margin before) are answered by its filter, not listed.
    let at = rfc3339(OffsetDateTime::now_utc() + time::Duration::minutes(6));
    let (key, file) = (
        keys.path(&format!("{}.secret", keys.kid)),
        keys.path("revocations.hcrc"),
    );
    let made = issuer.cli(&[
        "revocations",
        "filtered",
        "--key",
        &key,
        "--out",
        &file,
        "--at",
        &at,
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(
        stdout(&made).contains(" 0 revocations listed"),
        "{}",
        stdout(&made)
    );
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        bytes.starts_with(b"HCRC\x01") && bytes.len() < 200,
        "{} bytes",
        bytes.len()
    );

    let mut args = vec!["--json", "--at", &at, "--revocations", &file];
    args.extend(tokens.iter().map(String::as_str));
    let output = keys.scan(&args);
    let reports = crate::support::json_lines(&output);
    assert_eq!(reports[0]["error"]["code"], "revoked", "{}", reports[0]);
    assert!(
        reports[1..].iter().all(|r| r["valid"] == true),
        "{reports:?}"
    );
    assert!(
        stderr(&output).contains("0 revocations and a filter of revoked codes issued up to"),
        "{}",
        stderr(&output)
    );

    // A file is never overwritten; a changed byte is refused, not misread.
    let again = issuer.cli(&["revocations", "filtered", "--key", &key, "--out", &file]);
    assert!(!again.status.success());
    let mut changed = bytes.clone();
    changed[30] ^= 0x04;
    std::fs::write(&file, &changed).unwrap_or_else(|e| panic!("{e}"));
    let tampered = keys.scan(&["--at", &at, "--revocations", &file, &tokens[1]]);
    assert_eq!(tampered.status.code(), Some(2), "{}", stderr(&tampered));
    assert!(
        stderr(&tampered).contains("revocation snapshot"),
        "{}",
        stderr(&tampered)
    );
}

#[test]
fn verifiers_serve_the_filtered_snapshot_that_the_issuer_keeps_in_redis() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let keys = KeySet::new(false);
    let mut args = issuer_args(&keys, None, Some(&redis.url()));
    args.extend(["--filtered-every".to_owned(), "1s".to_owned()]);
    let issuer = start_issuer(&args);
    let verifier = Verifier::start(&keys, &["--redis", &redis.url()]);
    wait_connected(&verifier, true);
    let tokens: Vec<String> = (0..2)
        .map(|_| token(&apply(&issuer, &resident(&issuer, &[]).1)))
        .collect();
    let revoked = token_id_of(&tokens[0]);
    let output = issuer.cli(&["revoke", "--token-id", &revoked, "--reason", "fraud"]);
    assert!(output.status.success(), "{}", stderr(&output));

    // Within a few periods a snapshot listing it reaches the verifier
    // (revoked within the cover margin, it is listed exactly).
    let deadline = Instant::now() + Duration::from_secs(20);
    let bytes = loop {
        let response = ureq::get(&format!("{}/v1/revocations", verifier.base))
            .set("Accept", "application/vnd.healthcode.filtered")
            .call();
        if let Ok(response) = response {
            assert_eq!(
                response.content_type(),
                "application/vnd.healthcode.filtered"
            );
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes)
                .unwrap_or_else(|e| panic!("{e}"));
            let snapshot =
                healthcode_keys::revocation::filtered::FilteredSnapshot::from_bytes(&bytes)
                    .unwrap_or_else(|e| panic!("{e}"));
            if snapshot
                .recent
                .iter()
                .any(|r| r.token_id.to_string() == revoked)
            {
                break bytes;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no filtered snapshot with the revocation"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let file = keys.path("served.hcrc");
    std::fs::write(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let output = keys.scan(&["--json", "--revocations", &file, &tokens[0], &tokens[1]]);
    let reports = crate::support::json_lines(&output);
    assert_eq!(reports[0]["error"]["code"], "revoked", "{}", reports[0]);
    assert_eq!(reports[1]["valid"], true, "{}", reports[1]);
}

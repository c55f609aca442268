//! The checkpoint fails closed: a Redis that lost its data, a trust list that
//! expires while serving, an older list after a restart, a specimen, and a
//! verifier that is not ready yet (see docs/security.md).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use healthcode_tests::redis_server::RedisServer;
use serde_json::{Value, json};

use crate::{
    support::{CARD_ISSUED, KeySet, bin, issuer_deliver, issuer_revoke, run, stderr, token_id_of},
    verifier_service::{Verifier, redis_command, wait_connected},
};

const ALICE: &str = "HKID:A123456(3)";

/// GETs `path`; (status, JSON body), whatever the status.
fn get(verifier: &Verifier, path: &str) -> (u16, Value) {
    match ureq::get(&format!("{}{path}", verifier.base)).call() {
        Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("transport error: {e}"),
    }
}

/// Polls `check` every 20 ms until it holds; the time it took.
fn within(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    start.elapsed()
}

#[test]
fn a_verifier_started_on_a_flushed_redis_never_says_not_revoked() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let set = KeySet::new(false);
    let (revoked, other) = (
        set.issue("green", ALICE, &[]),
        set.issue("amber", ALICE, &[]),
    );
    let output = issuer_revoke(
        &set.state(),
        &redis.url(),
        &token_id_of(&revoked),
        "fraud",
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    // The issuer is stopped (the CLI has exited) and Redis loses everything.
    redis_command(&redis.url(), &["FLUSHALL"]);

    let verifier = Verifier::start(&set, &["--redis", &redis.url()]);
    wait_connected(&verifier, true);
    for token in [&revoked, &other] {
        let (status, body) = verifier.verify(token);
        assert_eq!(status, 200, "{body}");
        assert_ne!(body["revocation"], "not_revoked", "{body}");
        assert_eq!(body["valid"], false, "{body}");
        assert_eq!(body["error"]["code"], "revocation_unavailable", "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("no revocation data"), "{message}");
    }
    let (status, ready) = get(&verifier, "/readyz");
    assert_eq!(
        (status, &ready["not_ready"]),
        (503, &json!(["revocations_not_synced"])),
        "{ready}"
    );

    // The issuer comes back and restores: the verifier converges at once.
    issuer_deliver(&set.state(), &redis.url());
    let took = within(Duration::from_secs(2), "restored data used", || {
        verifier.verify(&revoked).1["revocation"] == "revoked"
    });
    eprintln!("a restore reached a new verifier in {took:?}");
    assert_eq!(verifier.verify(&other).1["valid"], true);
    assert_eq!(get(&verifier, "/readyz").0, 200);
}

#[test]
fn a_restore_reaches_running_verifiers_within_two_seconds() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let set = KeySet::new(false);
    let token = set.issue("green", ALICE, &[]);
    issuer_deliver(&set.state(), &redis.url());
    // A verifier that resyncs only every 10 minutes: only the restore's
    // announcement can bring what follows in time.
    let verifier = Verifier::start(&set, &["--redis", &redis.url(), "--resync-every", "10m"]);
    wait_connected(&verifier, true);
    assert_eq!(verifier.verify(&token).1["revocation"], "not_revoked");

    // Redis loses its data; a revocation is recorded while it is gone.
    redis_command(&redis.url(), &["FLUSHALL"]);
    let data = set.state().join("issuer-data");
    let recorded = run(
        "issuer",
        &[
            "revoke",
            "--data",
            &data.to_string_lossy(),
            "--token-id",
            &token_id_of(&token),
            "--reason",
            "fraud",
        ],
        &set.state(),
    );
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    let started = Instant::now();
    issuer_deliver(&set.state(), &redis.url());
    within(Duration::from_secs(2), "the restored revocation", || {
        verifier.verify(&token).1["revocation"] == "revoked"
    });
    eprintln!(
        "a restore reached a running verifier in {:?}",
        started.elapsed()
    );
}

#[test]
fn an_expired_trust_list_answers_every_code_trust_list_expired() {
    let set = KeySet::new(false);
    let token = set.issue("green", ALICE, &[]);
    // A list that expires 4 seconds from now.
    let expires = time::OffsetDateTime::now_utc() + time::Duration::seconds(4);
    let expires = expires.replace_nanosecond(0).unwrap_or(expires);
    set.write_trust_list_expiring(2, expires);
    let verifier = Verifier::start(&set, &[]);
    assert_eq!(verifier.verify(&token).1["valid"], true);
    assert_eq!(get(&verifier, "/readyz").0, 200);

    // Within a second of expiry, every answer says so.
    let after_expiry = expires + time::Duration::SECOND;
    let wait = (after_expiry - time::OffsetDateTime::now_utc()).max(time::Duration::ZERO);
    std::thread::sleep(wait.unsigned_abs());
    within(Duration::from_secs(1), "trust_list_expired", || {
        verifier.verify(&token).1["error"]["code"] == "trust_list_expired"
    });
    let (status, ready) = get(&verifier, "/readyz");
    assert_eq!(
        (status, &ready["not_ready"]),
        (503, &json!(["trust_list_expired"]))
    );
    let (_, health) = get(&verifier, "/healthz");
    assert_eq!(health["trust_list_expired"], true);
    let metrics = ureq::get(&format!("{}/metrics", verifier.base))
        .call()
        .ok()
        .and_then(|r| r.into_string().ok())
        .unwrap_or_default();
    assert!(
        metrics.contains("healthcode_trust_list_expired 1"),
        "{metrics}"
    );

    // The scanner over a long batch: the expiry is checked at every input.
    let output = set.scan(&[&token]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn an_older_trust_list_is_refused_after_a_restart() {
    let set = KeySet::new(false);
    set.write_trust_list(13, &[]);
    let first = Verifier::start(&set, &[]);
    drop(first);
    set.write_trust_list(10, &[]);
    let output = run(
        "verifier",
        &[
            "serve",
            "--trust",
            &set.path("trust.json"),
            "--root",
            &set.path("root.public"),
            "--listen",
            "127.0.0.1:0",
        ],
        &set.state(),
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("sequence 10 is lower than 13"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_specimen_is_refused_unless_a_drill_accepts_it() {
    let set = KeySet::new(true);
    let token = set.issue("green", ALICE, &[]);
    let checkpoint = Verifier::start(&set, &[]);
    let (status, body) = checkpoint.verify(&token);
    assert_eq!(status, 200);
    assert_eq!(
        (&body["valid"], &body["specimen"]),
        (&json!(false), &json!(true)),
        "{body}"
    );
    assert_eq!(body["error"]["code"], "specimen");
    let drill = Verifier::start(&set, &["--accept-specimen"]);
    let (_, body) = drill.verify(&token);
    assert_eq!(
        (&body["valid"], &body["specimen"]),
        (&json!(true), &json!(true)),
        "{body}"
    );
}

#[test]
fn the_verifier_binary_documents_its_new_flags() {
    let help = Command::new(bin("verifier"))
        .args(["serve", "--help"])
        .stdout(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in ["--accept-specimen", "--state"] {
        assert!(text.contains(flag), "{flag} missing from --help");
    }
}

/// How long the server at `base` keeps a connection open that sends `send`,
/// one byte every 300 ms, then nothing: until it closes the connection.
fn held_open(base: &str, send: &[u8]) -> Duration {
    use std::io::{Read as _, Write as _};
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap_or_else(|e| panic!("{e}"));
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    let mut bytes = send.iter();
    let mut buffer = [0u8; 256];
    loop {
        if let Some(byte) = bytes.next()
            && stream.write_all(&[*byte]).is_err()
        {
            return start.elapsed();
        }
        match stream.read(&mut buffer) {
            Ok(0) => return start.elapsed(),
            // The server's answer to a header timeout (or an error); then it closes.
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return start.elapsed(),
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "still open after 20 s"
        );
    }
}

#[test]
fn trickling_and_idle_clients_are_cut_off_by_both_services() {
    let set = KeySet::new(false);
    let verifier = Verifier::start(&set, &["--header-read-timeout", "1s"]);
    let issuer = crate::issuer_server::IssuerServer::start(&["--header-read-timeout", "1s"]);
    let trickle = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for base in [&verifier.base, &issuer.base] {
        let idle = held_open(base, b"");
        let slow = held_open(base, trickle);
        eprintln!("{base}: idle cut off after {idle:?}, trickle after {slow:?}");
        for held in [idle, slow] {
            assert!(held >= Duration::from_millis(900), "{base}: {held:?}");
            assert!(
                held < Duration::from_secs(4),
                "{base}: held {held:?} with a 1 s limit"
            );
        }
        // A normal request still answers.
        let health = ureq::get(&format!("{base}/healthz")).call();
        assert!(health.is_ok(), "{base}: {health:?}");
    }
}

/// A PNG of `side` x `side` black pixels: tiny on the wire, costly to decode.
fn black_png(side: u32) -> Vec<u8> {
    let image = image::GrayImage::new(side, side);
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{e}"));
    png
}

#[test]
fn hostile_images_cannot_starve_a_token_request_or_an_identity_check() {
    let set = KeySet::new(false);
    let token = set.issue("green", ALICE, &[]);
    let verifier = Verifier::start(&set, &[]);
    let post_png = |png: &[u8]| match ureq::post(&format!("{}/v1/verify", verifier.base))
        .set("content-type", "image/png")
        .send_bytes(png)
    {
        Ok(r) => (r.status(), r.into_json::<Value>().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("transport error: {e}"),
    };
    // Over the pixel budget: refused from the header, at no cost.
    let (status, body) = post_png(&black_png(8192));
    assert_eq!(
        (status, &body["error"]["code"]),
        (200, &json!("malformed")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("pixels"),
        "{body}"
    );

    // Eight of the most costly images the budget allows, at once.
    let hostile = black_png(4096);
    eprintln!("hostile PNG: {} bytes", hostile.len());
    let slowest = std::thread::scope(|scope| {
        let attackers: Vec<_> = (0..8).map(|_| scope.spawn(|| post_png(&hostile))).collect();
        std::thread::sleep(Duration::from_millis(200));
        let mut slowest = Duration::ZERO;
        let with_card = json!({"token": token, "id_doc": ALICE, "date_of_issue": CARD_ISSUED});
        for _ in 0..10 {
            let started = Instant::now();
            let (status, body) = verifier.verify(&token);
            assert_eq!((status, &body["valid"]), (200, &json!(true)), "{body}");
            slowest = slowest.max(started.elapsed());
            // An officer's identity check does not queue behind the photos.
            let started = Instant::now();
            let (status, body) = verifier.verify_json(&with_card);
            assert_eq!(
                (status, &body["identity"]),
                (200, &json!("match")),
                "{body}"
            );
            slowest = slowest.max(started.elapsed());
            std::thread::sleep(Duration::from_millis(50));
        }
        for attacker in attackers {
            let (status, body) = attacker
                .join()
                .unwrap_or_else(|_| panic!("attacker panicked"));
            // Decoded within its budget (no code found), or refused as busy: never a 5xx but 503.
            assert!(status == 200 || status == 503, "{status} {body}");
            if status == 200 {
                assert_eq!(body["valid"], false, "{body}");
            }
        }
        slowest
    });
    let peak = verifier.peak_memory_kib();
    eprintln!(
        "slowest token answer under 8 hostile images: {slowest:?}; verifier peak memory {} MiB",
        peak / 1024
    );
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
    // Unbounded, eight such decodes took 926 MB; the pixel budget and the
    // decoder permits hold it to a few decodes' worth.
    assert!(peak < 400 * 1024, "peak memory {} MiB", peak / 1024);
}

//! The verifier service against a real redis-server: revocations within a
//! second, Redis killed and restarted, flushed, stale data.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use healthcode_tests::redis_server::RedisServer;
use serde_json::{Value, json};

use crate::support::{KeySet, bin, issuer_deliver, issuer_revoke, run, stderr, token_id_of};

/// A `verifier serve` process on a free port; killed on drop.
pub struct Verifier {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Verifier {
    /// The process's peak resident memory so far (Linux `VmHWM`), in KiB.
    pub fn peak_memory_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_else(|e| panic!("{e}"));
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no VmHWM in /proc status"))
    }

    /// Takes over a `verifier serve` started by hand, waiting until it answers.
    pub fn adopt(child: Child, base: String) -> Verifier {
        let verifier = Verifier { child, base };
        let deadline = Instant::now() + Duration::from_secs(10);
        while verifier.get("/healthz").is_none() {
            assert!(Instant::now() < deadline, "verifier did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        verifier
    }

    /// Starts one with `set`'s trust list, root and identity key, plus `extra`.
    pub fn start(set: &KeySet, extra: &[&str]) -> Verifier {
        Verifier::start_logging(set, extra, None)
    }

    /// Starts one as [`Verifier::start`] does, its audit log (and warnings)
    /// written to `log` when given.
    pub fn start_logging(set: &KeySet, extra: &[&str], log: Option<&std::path::Path>) -> Verifier {
        let (stderr, rust_log) = match log {
            Some(path) => (
                Stdio::from(std::fs::File::create(path).unwrap_or_else(|e| panic!("{e}"))),
                "warn,audit=info",
            ),
            None => (Stdio::null(), "warn"),
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(bin("verifier"))
            .args([
                "serve",
                "--trust",
                &set.path("trust.json"),
                "--root",
                &set.path("root.public"),
            ])
            .args([
                "--identity-key",
                &set.path("identity.key"),
                "--listen",
                &listen,
            ])
            .args(
                // `extra` may name other day keys.
                (!extra.contains(&"--identity-day-keys"))
                    .then(|| {
                        [
                            "--identity-day-keys".to_owned(),
                            set.path("identity-days.key"),
                        ]
                    })
                    .into_iter()
                    .flatten(),
            )
            .args(extra)
            .env("RUST_LOG", rust_log)
            .env("XDG_STATE_HOME", set.state())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let verifier = Verifier {
            child,
            base: format!("http://{listen}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while verifier.get("/healthz").is_none() {
            assert!(Instant::now() < deadline, "verifier did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        verifier
    }

    /// GETs `path` as JSON.
    pub fn get(&self, path: &str) -> Option<Value> {
        ureq::get(&format!("{}{path}", self.base))
            .call()
            .ok()?
            .into_json()
            .ok()
    }

    /// POSTs a token; returns (HTTP status, body).
    pub fn verify(&self, token: &str) -> (u16, Value) {
        self.verify_json(&json!({"token": token}))
    }

    /// `POST /v1/verify` with the JSON `request`: (status, answer).
    pub fn verify_json(&self, request: &Value) -> (u16, Value) {
        let response = ureq::post(&format!("{}/v1/verify", self.base)).send_json(request);
        match response {
            Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
            Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Value::Null)),
            Err(e) => panic!("transport error: {e}"),
        }
    }

    /// Polls until `token` answers revoked; the time it took.
    pub fn time_until_revoked(&self, token: &str, limit: Duration) -> Duration {
        let start = Instant::now();
        loop {
            let (status, body) = self.verify(token);
            assert_eq!(status, 200, "{body}");
            if body["revocation"] == "revoked" {
                assert_eq!(body["valid"], false);
                assert_eq!(body["error"]["code"], "revoked");
                return start.elapsed();
            }
            assert!(
                start.elapsed() < limit,
                "not revoked within {limit:?}: {body}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn revoke(set: &KeySet, redis_url: &str, token: &str) {
    let output = issuer_revoke(
        &set.state(),
        redis_url,
        &token_id_of(token),
        "risk_changed",
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Runs one Redis command (its answer ignored).
pub fn redis_command(url: &str, args: &[&str]) {
    let _: redis::Value = redis_query(url, args);
}

/// Runs one Redis command; its answer.
pub fn redis_query<T: redis::FromRedisValue>(url: &str, args: &[&str]) -> T {
    let client = redis::Client::open(url).unwrap_or_else(|e| panic!("{e}"));
    let mut connection = client.get_connection().unwrap_or_else(|e| panic!("{e}"));
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    command
        .query(&mut connection)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Waits until the verifier's Redis connection is `connected`.
pub fn wait_connected(verifier: &Verifier, connected: bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while verifier
        .get("/healthz")
        .map(|h| h["redis_connected"] == connected)
        != Some(true)
    {
        assert!(
            Instant::now() < deadline,
            "redis_connected never became {connected}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn revocations_reach_the_service_through_kills_restarts_and_flushes() {
    let mut redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let set = KeySet::new(false);
    let [a, b, c, d] =
        ["green", "amber", "green", "red"].map(|colour| set.issue(colour, "HKID:A123456(3)", &[]));
    issuer_deliver(&set.state(), &redis.url());
    let verifier = Verifier::start(&set, &["--redis", &redis.url(), "--resync-every", "1s"]);
    wait_connected(&verifier, true);

    let (status, body) = verifier.verify(&a);
    assert_eq!(
        (status, &body["valid"], &body["revocation"]),
        (200, &json!(true), &json!("not_revoked")),
        "{body}"
    );
    assert!(body["revocation_as_of"].is_string());

    revoke(&set, &redis.url(), &a);
    let took = verifier.time_until_revoked(&a, Duration::from_secs(1));
    eprintln!("revocation visible after {took:?}");

    // Redis dies: answers go on from what is held, never a 5xx.
    redis.kill();
    wait_connected(&verifier, false);
    let as_of = verifier
        .get("/healthz")
        .map(|h| h["revocation_as_of"].clone());
    std::thread::sleep(Duration::from_millis(1500));
    for token in [&a, &b] {
        let (status, body) = verifier.verify(token);
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["revocation_as_of"],
            as_of.clone().unwrap_or(Value::Null),
            "as_of stops advancing"
        );
    }
    assert_eq!(
        verifier.verify(&a).1["revocation"],
        "revoked",
        "still revoked while Redis is down"
    );
    assert_eq!(
        verifier.verify(&b).1["valid"],
        true,
        "within --stale-after, still valid"
    );

    // Redis comes back empty (no persistence): a new revocation is picked up,
    // and the old one is not forgotten.
    redis.restart().unwrap_or_else(|e| panic!("{e:#}"));
    wait_connected(&verifier, true);
    revoke(&set, &redis.url(), &b);
    verifier.time_until_revoked(&b, Duration::from_secs(1));
    assert_eq!(
        verifier.verify(&a).1["revocation"],
        "revoked",
        "a resync only adds"
    );

    // Flushed, then an entry written without a publish: only a resync can bring it.
    redis_command(&redis.url(), &["FLUSHALL"]);
    let id_c = healthcode_keys::UnverifiedToken::parse(&c)
        .unwrap_or_else(|e| panic!("{e}"))
        .token_id();
    let entry = json!({"token_id": id_c.to_string(), "reason": "fraud", "revoked_at": "2026-01-01T00:00:00Z", "until": "2099-01-01T00:00:00Z"});
    redis_command(
        &redis.url(),
        &[
            "SET",
            &format!("healthcode:revocation:{id_c}"),
            &entry.to_string(),
        ],
    );
    verifier.time_until_revoked(&c, Duration::from_secs(3));
    for token in [&a, &b] {
        assert_eq!(
            verifier.verify(token).1["revocation"],
            "revoked",
            "flush does not un-revoke"
        );
    }
    assert_eq!(verifier.verify(&d).1["valid"], true);

    let status = verifier
        .get(&format!("/v1/codes/{id_c}/status"))
        .unwrap_or_default();
    assert_eq!(
        (status["revocation"].clone(), status["reason"].clone()),
        (json!("revoked"), json!("fraud"))
    );
    let metrics = ureq::get(&format!("{}/metrics", verifier.base))
        .call()
        .ok()
        .and_then(|r| r.into_string().ok())
        .unwrap_or_default();
    assert!(
        metrics.contains("healthcode_revocations_held 3"),
        "{metrics}"
    );
}

#[test]
fn stale_revocation_data_sends_to_secondary_inspection_unless_accepted() {
    let mut redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let set = KeySet::new(false);
    let token = set.issue("green", "HKID:A123456(3)", &[]);
    issuer_deliver(&set.state(), &redis.url());
    let strict = Verifier::start(&set, &["--redis", &redis.url(), "--stale-after", "2s"]);
    let lenient = Verifier::start(
        &set,
        &[
            "--redis",
            &redis.url(),
            "--stale-after",
            "2s",
            "--when-stale",
            "accept",
        ],
    );
    wait_connected(&strict, true);
    wait_connected(&lenient, true);
    assert_eq!(strict.verify(&token).1["valid"], true);
    redis.kill();
    std::thread::sleep(Duration::from_millis(3500));
    let (status, body) = strict.verify(&token);
    assert_eq!(status, 200);
    assert_eq!(body["valid"], false, "{body}");
    assert_eq!(body["error"]["code"], "revocation_unavailable");
    assert_eq!(body["revocation_stale"], true);
    let (status, body) = lenient.verify(&token);
    assert_eq!(
        (status, &body["valid"], &body["revocation"]),
        (200, &json!(true), &json!("unknown")),
        "{body}"
    );
    assert_eq!(body["revocation_stale"], true);
}

#[test]
fn without_redis_the_service_starts_on_embedded_defaults_and_refuses_bad_requests() {
    let set = KeySet::new(false);
    let png_path = set.path("code.png");
    let token = set.issue("amber", "HKID:A123456(3)", &["--qr", &png_path]);
    let verifier = Verifier::start(&set, &[]);
    let (status, body) = verifier.verify(&token);
    assert_eq!(
        (status, &body["valid"], &body["colour"]),
        (200, &json!(true), &json!("amber")),
        "{body}"
    );
    assert_eq!(body["revocation"], "not_revoked");
    let post =
        |content_type: &str, body: &[u8]| match ureq::post(&format!("{}/v1/verify", verifier.base))
            .set("content-type", content_type)
            .send_bytes(body)
        {
            Ok(r) => (r.status(), r.into_json::<Value>().unwrap_or(Value::Null)),
            Err(ureq::Error::Status(code, r)) => {
                (code, r.into_json::<Value>().unwrap_or(Value::Null))
            }
            Err(e) => panic!("{e}"),
        };
    let png = std::fs::read(&png_path).unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = post("image/png", &png);
    assert_eq!(
        (status, &body["valid"], &body["input"]),
        (200, &json!(true), &json!("image")),
        "{body}"
    );
    let (status, body) = post("application/json", b"{ not json");
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("bad_request"))
    );
    let (status, body) = post(
        "application/json",
        br#"{"token": "HC1:x", "id_doc": "HKID:A1234564"}"#,
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("check digit")),
        "{body}"
    );
    let (status, _) = post("text/plain", b"HC1:x");
    assert_eq!(status, 415);
    let (status, body) = post("image/png", b"\x89PNG\r\n\x1a\nnot really");
    assert_eq!(
        (status, &body["error"]["code"]),
        (200, &json!("malformed")),
        "{body}"
    );
    let too_big = vec![0u8; 17 << 20];
    let (status, _) = post("image/png", &too_big);
    assert_eq!(status, 413);
    assert!(verifier.get("/v1/codes/nothex/status").is_none());
}

#[test]
fn trust_list_reloads_on_change_and_refuses_worse_lists() {
    let set = KeySet::new(false);
    let token = set.issue("green", "HKID:A123456(3)", &[]);
    let verifier = Verifier::start(&set, &[]);
    assert_eq!(verifier.verify(&token).1["valid"], true);
    let seq = || {
        verifier
            .get("/healthz")
            .map(|h| h["trust_list_seq"].clone())
            .unwrap_or_default()
    };
    let wait_for = |predicate: &dyn Fn() -> bool, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(6);
        while !predicate() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    // A new list revoking the key is picked up from the file by itself.
    set.write_trust_list(2, &[&set.kid]);
    wait_for(&|| seq() == json!(2), "seq 2 not loaded");
    assert_eq!(verifier.verify(&token).1["error"]["code"], "key_revoked");

    // A lower sequence number (a rollback) is refused, even on SIGHUP.
    set.write_trust_list(1, &[]);
    let hup = Command::new("kill")
        .args(["-HUP", &verifier.child.id().to_string()])
        .status();
    assert!(hup.is_ok_and(|s| s.success()));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(seq(), json!(2));
    assert_eq!(verifier.verify(&token).1["error"]["code"], "key_revoked");

    // A tampered list (un-revoked by hand) is refused.
    set.write_trust_list(3, &[&set.kid]);
    wait_for(&|| seq() == json!(3), "seq 3 not loaded");
    let path = set.path("trust.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\"revoked\"", "\"active\"")
        .replace("\"seq\": 3", "\"seq\": 4");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(seq(), json!(3));
    assert_eq!(verifier.verify(&token).1["error"]["code"], "key_revoked");
}

#[test]
fn a_signed_snapshot_carries_revocations_to_offline_scanners() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let set = KeySet::new(false);
    let (revoked, kept) = (
        set.issue("green", "HKID:A123456(3)", &[]),
        set.issue("amber", "HKID:A123456(3)", &[]),
    );
    let verifier = Verifier::start(&set, &["--redis", &redis.url()]);
    wait_connected(&verifier, true);
    let missing = ureq::get(&format!("{}/v1/revocations", verifier.base)).call();
    assert!(
        matches!(missing, Err(ureq::Error::Status(404, _))),
        "no snapshot yet"
    );

    let id = token_id_of(&revoked);
    let key = set.path(&format!("{}.secret", set.kid));
    let output = issuer_revoke(&set.state(), &redis.url(), &id, "fraud", &["--key", &key]);
    assert!(output.status.success(), "{}", stderr(&output));
    let deadline = Instant::now() + Duration::from_secs(3);
    let snapshot = loop {
        if let Ok(response) = ureq::get(&format!("{}/v1/revocations", verifier.base)).call() {
            break response.into_string().unwrap_or_default();
        }
        assert!(Instant::now() < deadline, "snapshot never served");
        std::thread::sleep(Duration::from_millis(50));
    };
    let file = set.path("revocations.json");
    std::fs::write(&file, &snapshot).unwrap_or_else(|e| panic!("{e}"));

    let output = set.scan(&["--json", "--revocations", &file, &revoked, &kept]);
    let reports = crate::support::json_lines(&output);
    assert_eq!(reports[0]["error"]["code"], "revoked", "{}", reports[0]);
    assert_eq!(reports[1]["valid"], true);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("1 revocations as of"),
        "{}",
        stderr(&output)
    );

    // The compact form, under the same signature, says the same.
    let response = ureq::get(&format!("{}/v1/revocations", verifier.base))
        .set("Accept", "application/octet-stream")
        .call()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.content_type(), "application/octet-stream");
    let mut compact = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut compact)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(compact.starts_with(b"HCRS\x01"), "not the compact form");
    assert!(
        compact.len() < snapshot.len() / 3,
        "{} bytes",
        compact.len()
    );
    let compact_file = set.path("revocations.bin");
    std::fs::write(&compact_file, &compact).unwrap_or_else(|e| panic!("{e}"));
    let output = set.scan(&["--json", "--revocations", &compact_file, &revoked, &kept]);
    let reports = crate::support::json_lines(&output);
    assert_eq!(reports[0]["error"]["code"], "revoked", "{}", reports[0]);
    assert_eq!(reports[1]["valid"], true);
    // A flipped bit in the last token id's bits: refused, not misread.
    let mut flipped = compact.clone();
    flipped[87] ^= 0x01;
    std::fs::write(&compact_file, &flipped).unwrap_or_else(|e| panic!("{e}"));
    let tampered = set.scan(&["--revocations", &compact_file, &revoked]);
    assert_eq!(tampered.status.code(), Some(2), "{}", stderr(&tampered));
    assert!(
        stderr(&tampered).contains("revocation snapshot"),
        "{}",
        stderr(&tampered)
    );

    // Dropping the entry from the file breaks the issuer's signature.
    let mut value: Value = serde_json::from_str(&snapshot).unwrap_or_default();
    value["snapshot"]["revocations"] = json!([]);
    std::fs::write(&file, value.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let tampered = set.scan(&["--revocations", &file, &revoked]);
    assert_eq!(tampered.status.code(), Some(2));
    assert!(
        stderr(&tampered).contains("signature"),
        "{}",
        stderr(&tampered)
    );
}

#[test]
fn without_redis_snapshot_files_are_the_revocation_source() {
    let set = KeySet::new(false);
    let token = set.issue("green", "HKID:A123456(3)", &[]);
    let key = healthcode_keys::IssuerSecretKey::read(std::path::Path::new(
        &set.path(&format!("{}.secret", set.kid)),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let now = healthcode_keys::hktime::now();
    let revocation = healthcode_keys::revocation::Revocation {
        token_id: healthcode_keys::UnverifiedToken::parse(&token)
            .unwrap_or_else(|e| panic!("{e}"))
            .token_id(),
        reason: healthcode_keys::revocation::RevocationReason::Superseded,
        revoked_at: now,
        until: healthcode_keys::hktime::end_of_hk_day(now),
    };
    let snapshot = healthcode_keys::revocation::SignedSnapshot::sign(&key, now, vec![revocation]);
    let file = set.path("snapshot.json");
    std::fs::write(&file, snapshot.to_json()).unwrap_or_else(|e| panic!("{e}"));
    let verifier = Verifier::start(&set, &["--revocations", &file]);
    let (status, body) = verifier.verify(&token);
    assert_eq!(
        (status, &body["revocation"], &body["error"]["code"]),
        (200, &json!("revoked"), &json!("revoked")),
        "{body}"
    );
    assert!(
        ureq::get(&format!("{}/v1/revocations", verifier.base))
            .call()
            .is_ok(),
        "serves the snapshot it loaded"
    );
    // A snapshot file that does not verify stops the service from starting.
    std::fs::write(&file, snapshot.to_json().replace("superseded", "fraud"))
        .unwrap_or_else(|e| panic!("{e}"));
    let output = run(
        "verifier",
        &[
            "serve",
            "--trust",
            &set.path("trust.json"),
            "--root",
            &set.path("root.public"),
            "--revocations",
            &file,
            "--listen",
            "127.0.0.1:0",
        ],
        &set.state(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("signature"), "{}", stderr(&output));
}

/// The `ACL SETUSER` commands of docs/redis.md, joined across line continuations.
fn documented_acl_commands() -> Vec<Vec<String>> {
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/redis.md"),
    )
    .unwrap_or_default();
    let joined = docs.replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("ACL SETUSER"))
        .map(|line| {
            line.split_whitespace()
                .skip(1)
                .map(|word| {
                    word.replace("ISSUER-PASSWORD", "issuer-pw")
                        .replace("VERIFIER-PASSWORD", "verifier-pw")
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_documented_acl_users_are_enough_and_the_verifier_cannot_write() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let admin = redis::Client::open(redis.url()).unwrap_or_else(|e| panic!("{e}"));
    let mut admin = admin.get_connection().unwrap_or_else(|e| panic!("{e}"));
    let commands = documented_acl_commands();
    assert_eq!(
        commands.len(),
        3,
        "issuer, verifier and default: {commands:?}"
    );
    // Turn the default user off last, after creating the others through it.
    for args in &commands {
        let mut command = redis::cmd("ACL");
        command.arg(args);
        let _: redis::Value = command
            .query(&mut admin)
            .unwrap_or_else(|e| panic!("ACL {args:?}: {e}"));
    }
    let port = redis.port();
    let issuer_url = format!("redis://healthcode-issuer:issuer-pw@127.0.0.1:{port}");
    let verifier_url = format!("redis://healthcode-verifier:verifier-pw@127.0.0.1:{port}");

    let set = KeySet::new(false);
    let token = set.issue("green", "HKID:A123456(3)", &[]);
    let verifier = Verifier::start(&set, &["--redis", &verifier_url]);
    wait_connected(&verifier, true);
    let id = token_id_of(&token);
    let key = set.path(&format!("{}.secret", set.kid));
    let output = issuer_revoke(&set.state(), &issuer_url, &id, "fraud", &["--key", &key]);
    assert!(output.status.success(), "{}", stderr(&output));
    verifier.time_until_revoked(&token, Duration::from_secs(1));
    let deadline = Instant::now() + Duration::from_secs(3);
    while ureq::get(&format!("{}/v1/revocations", verifier.base))
        .call()
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the verifier user could not read the snapshot"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let client = redis::Client::open(verifier_url).unwrap_or_else(|e| panic!("{e}"));
    let mut as_verifier = client.get_connection().unwrap_or_else(|e| panic!("{e}"));
    let write: redis::RedisResult<()> = redis::cmd("SET")
        .arg(format!("healthcode:revocation:{id}"))
        .arg("{}")
        .query(&mut as_verifier);
    let refused = write
        .as_ref()
        .is_err_and(|e| e.to_string().to_lowercase().contains("no permissions"));
    assert!(refused, "the verifier user must not write: {write:?}");

    // `issuer serve` under its user keeps a filtered snapshot in Redis,
    // which the verifier's user reads and the verifier serves.
    let _issuer =
        crate::codes::start_issuer(&crate::codes::issuer_args(&set, None, Some(&issuer_url)));
    let deadline = Instant::now() + Duration::from_secs(10);
    while ureq::get(&format!("{}/v1/revocations", verifier.base))
        .set("Accept", "application/vnd.healthcode.filtered")
        .call()
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the filtered snapshot never reached the verifier under the documented users"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn tls_urls_fail_cleanly_against_a_plain_server() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let state = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("rediss://127.0.0.1:{}", redis.port());
    let output = issuer_revoke(state.path(), &url, "0123456789abcdef01234567", "fraud", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("redis") && !stderr(&output).contains("panicked"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_verifier_with_a_policy_answers_each_code_with_its_admission_and_counts_them() {
    let set = KeySet::new(false);
    let gd = format!(
        "{}/../policies/hk-exit-gd.policy",
        env!("CARGO_MANIFEST_DIR")
    );
    let verifier = Verifier::start(&set, &["--policy", &gd]);
    let admission = |request: Value| {
        let (status, answer) = verifier.verify_json(&request);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["admission"]["policy"], "hk-exit-gd", "{answer}");
        (
            answer["admission"]["decision"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            answer["admission"]["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let alice = "HKID:A123456(3)";
    let green = set.issue("green", alice, &[]);
    let checked = |token: &str, doc: &str| json!({"token": token, "id_doc": doc, "date_of_issue": crate::support::CARD_ISSUED});
    let cases = [
        (checked(&green, alice), ("admit", "colour_green")),
        (json!({"token": green}), ("secondary", "identity_unchecked")),
        (
            checked(&green, "HKID:K100008(A)"),
            ("refuse", "identity_mismatch"),
        ),
        (
            checked(&set.issue("amber", alice, &[]), alice),
            ("refuse", "colour_amber"),
        ),
        (
            checked(&set.issue("red", alice, &[]), alice),
            ("refuse", "colour_red"),
        ),
        (json!({"token": "HC2:garbage"}), ("secondary", "malformed")),
    ];
    for (request, (decision, reason)) in cases {
        assert_eq!(
            admission(request.clone()),
            (decision.to_owned(), reason.to_owned()),
            "{request}"
        );
    }
    let metrics = ureq::get(&format!("{}/metrics", verifier.base))
        .call()
        .ok()
        .and_then(|r| r.into_string().ok())
        .unwrap_or_default();
    for line in [
        "healthcode_admissions_total{decision=\"admit\"} 1",
        "healthcode_admissions_total{decision=\"secondary\"} 2",
        "healthcode_admissions_total{decision=\"refuse\"} 3",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }

    // Without a policy, no admission is made up.
    let plain = Verifier::start(&set, &[]);
    assert!(plain.verify(&green).1.get("admission").is_none());

    // A bad policy stops the service at start, naming the line.
    let bad = set.dir.path().join("bad.policy");
    std::fs::write(&bad, "green = admit\namber = maybe\nred = refuse\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new(bin("verifier"))
        .args([
            "serve",
            "--trust",
            &set.path("trust.json"),
            "--root",
            &set.path("root.public"),
        ])
        .args([
            "--policy",
            &bad.to_string_lossy(),
            "--listen",
            "127.0.0.1:0",
        ])
        .env("XDG_STATE_HOME", set.state())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("line 2: amber: \"maybe\""), "{said}");
}

//! Two `issuer serve` instances on one PostgreSQL database, as behind a load
//! balancer: what one SQLite writer guarantees still holds when requests race
//! on both (docs/scale.md), and killing one loses nothing it acknowledged.

use std::{
    collections::BTreeMap,
    io::Read as _,
    net::TcpListener,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use healthcode_tests::databases::TestDatabase;
use serde_json::{Value, json};

use crate::{
    codes::{apply, issuer_args, resident, submit},
    issuer_server::{IssuerServer, Person},
    support::{KeySet, stderr},
};

/// Starts an instance on `database`; beside `first`, it shares its data key.
fn instance(
    database: &TestDatabase,
    args: &[String],
    first: Option<&IssuerServer>,
) -> IssuerServer {
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    let key;
    if let Some(first) = first {
        key = first.data_key();
        args.extend(["--data-key", &key]);
    }
    IssuerServer::start_on_postgres(&database.url, &args)
}

/// One value from `database`, read with psql.
fn query(database: &TestDatabase, sql: &str) -> String {
    let output = std::process::Command::new("psql")
        .args([&database.url, "-Atqc", sql])
        .output()
        .unwrap_or_else(|e| panic!("psql: {e}"));
    assert!(output.status.success(), "{sql}: {}", stderr(&output));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// An SMS gateway that takes every message; the ids it was given, in order.
fn gateway() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}/sms",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stream.read(&mut buffer) {
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request);
                if read == 0 || text.ends_with('}') {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&request);
            let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
            if let Ok(message) = serde_json::from_str::<Value>(body) {
                let id = message["id"].as_str().unwrap_or_default().to_owned();
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(id);
            }
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (url, received)
}

/// Waits up to 15 s for `sql` to answer `expected`.
fn wait_for(database: &TestDatabase, sql: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = query(database, sql);
        if found == expected {
            return;
        }
        assert!(Instant::now() < deadline, "{sql}: {found}, not {expected}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_instances_on_one_postgres_keep_the_guarantees_of_one_writer() {
    let database = TestDatabase::new();
    let keys = KeySet::new(false);
    let (gateway_url, delivered) = gateway();
    let mut args = issuer_args(&keys, None, None);
    args.extend(["--sms-webhook".to_owned(), gateway_url]);
    let a = instance(&database, &args, None);
    let b = instance(&database, &args, Some(&a));
    let authority = b.staff("hana", "health_authority");

    // Residents registered on either instance, all at the cafe yesterday.
    let sessions: Vec<(usize, String)> = (0..6)
        .map(|i| {
            let server = if i % 2 == 0 { &a } else { &b };
            (i, resident(server, &[("venue-scale-cafe", 24)]).1)
        })
        .collect();

    // Applications on both instances race a designation of the cafe.
    std::thread::scope(|scope| {
        for (i, session) in &sessions {
            let (first, second) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
            scope.spawn(move || {
                apply(first, session);
                apply(second, session);
            });
        }
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(30));
            submit(
                &b,
                &authority,
                "designations",
                json!([{"place": "venue-scale-cafe", "start": crate::accounts::rfc3339(
                    time::OffsetDateTime::now_utc() - time::Duration::hours(48)), "end": null}]),
            );
        });
    });
    wait_for(
        &database,
        "SELECT COUNT(*) FROM reevaluations WHERE done_at IS NULL",
        "0",
    );
    assert_eq!(
        query(&database, "SELECT COUNT(*) FROM codes"),
        "12",
        "every application stored a code"
    );
    assert_eq!(
        query(
            &database,
            "SELECT COUNT(*) FROM codes c WHERE colour = 'green' \
             AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.token_id = c.token_id)"
        ),
        "0",
        "a green code slipped past the re-evaluation"
    );

    // One resident's applications race on both instances: codes are numbered
    // without gaps, only the newest stands, and the daily limit holds.
    let (_, session) = &sessions[0];
    let answers: Vec<u16> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..4)
            .map(|t| {
                let server = if t % 2 == 0 { &a } else { &b };
                scope.spawn(move || {
                    (0..6)
                        .map(|_| server.post("/v1/codes", &json!({}), Some(session)).0)
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        racers
            .into_iter()
            .flat_map(|racer| racer.join().unwrap_or_default())
            .collect()
    });
    let mut counted = BTreeMap::new();
    for status in answers {
        *counted.entry(status).or_insert(0) += 1;
    }
    assert_eq!(
        counted,
        BTreeMap::from([(201, 18), (429, 6)]),
        "20 codes a day in all, 2 of them issued before"
    );
    assert_eq!(
        query(
            &database,
            "SELECT COUNT(*) FROM (SELECT account_id FROM codes GROUP BY account_id \
             HAVING COUNT(*) <> MAX(seq) OR COUNT(DISTINCT seq) <> COUNT(*)) gaps"
        ),
        "0",
        "code numbers with a gap or a repeat"
    );
    assert_eq!(
        query(
            &database,
            "SELECT COUNT(*) FROM (SELECT account_id FROM codes c WHERE NOT EXISTS \
             (SELECT 1 FROM revocations r WHERE r.token_id = c.token_id) \
             GROUP BY account_id HAVING COUNT(*) > 1) doubles"
        ),
        "0",
        "two codes stand for one resident"
    );

    // The SMS outbox, drained by both: every message sent, each once.
    wait_for(
        &database,
        "SELECT COUNT(*) FROM sms_outbox WHERE status <> 'sent'",
        "0",
    );
    let ids = delivered.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    let queued: usize = query(&database, "SELECT COUNT(*) FROM sms_outbox")
        .parse()
        .unwrap_or_default();
    assert!(queued >= 6, "at least a PIN message per resident: {queued}");
    assert_eq!(
        (ids.len(), unique.len()),
        (queued, queued),
        "each message delivered once: {ids:?}"
    );

    // One instance killed mid-traffic: everything it acknowledged is stored,
    // and the other goes on answering.
    let others: Vec<&String> = sessions[1..].iter().map(|(_, s)| s).collect();
    let (acknowledged, interrupted) = std::thread::scope(|scope| {
        let applying = scope.spawn(|| {
            let mut stored = Vec::new();
            let mut interrupted = false;
            // Round after round until the instance is gone (or every
            // resident is at the daily limit).
            for session in others.iter().cycle().take(others.len() * 18) {
                let answer = ureq::post(&a.url("/v1/codes"))
                    .set("authorization", &format!("Bearer {session}"))
                    .send_json(json!({}));
                match answer {
                    Ok(response) => {
                        let code: Value = response.into_json().unwrap_or_default();
                        stored.push(code["token_id"].as_str().unwrap_or_default().to_owned());
                    }
                    Err(ureq::Error::Status(..)) => {}
                    Err(ureq::Error::Transport(_)) => {
                        interrupted = true;
                        break;
                    }
                }
            }
            (stored, interrupted)
        });
        std::thread::sleep(Duration::from_millis(300));
        let pid = a
            .pid()
            .unwrap_or_else(|| panic!("instance a is not running"));
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
        assert!(killed.is_ok_and(|s| s.success()));
        applying.join().unwrap_or_default()
    });
    assert!(
        interrupted && !acknowledged.is_empty(),
        "the kill came mid-traffic: {} codes acknowledged before it",
        acknowledged.len()
    );
    for token_id in &acknowledged {
        assert_eq!(
            query(
                &database,
                &format!("SELECT COUNT(*) FROM codes WHERE token_id = '{token_id}'")
            ),
            "1",
            "acknowledged code {token_id} lost"
        );
    }
    let (status, today) = b.get("/v1/codes/today", Some(others[0]));
    assert_eq!(status, 200, "{today}");
    assert!(
        today["token_id"].is_string(),
        "the other instance serves: {today}"
    );

    // The audit chain that both wrote verifies.
    let verified = b.cli(&["audit", "verify"]);
    assert!(verified.status.success(), "{}", stderr(&verified));
}

#[test]
fn two_instances_count_one_client_together() {
    let database = TestDatabase::new();
    let limits = ["--register-per-minute", "3", "--login-per-minute", "100"];
    let a = IssuerServer::start_on_postgres(&database.url, &limits);
    let key = a.data_key();
    let mut beside = limits.to_vec();
    beside.extend(["--data-key", &key]);
    let b = IssuerServer::start_on_postgres(&database.url, &beside);
    crate::support::with_most_of_a_minute_left();

    // Three registrations a minute from one address, whichever instance.
    let statuses: Vec<u16> = (0..4)
        .map(|i| {
            let server = if i % 2 == 0 { &a } else { &b };
            server.register(&Person::hkid().form(), None).0
        })
        .collect();
    assert_eq!(&statuses[..3], &[202, 202, 202]);
    assert_eq!(statuses[3], 429, "the limit is counted across instances");

    // Wrong passwords for one document slow the next try on both instances.
    let person = Person::hkid();
    let wrong = |server: &IssuerServer| {
        server
            .post(
                "/v1/login",
                &person.with(json!({ "password": "not the password at all" })),
                None,
            )
            .0
    };
    let tries: Vec<u16> = (0..5)
        .map(|i| wrong(if i % 2 == 0 { &a } else { &b }))
        .collect();
    assert_eq!(
        tries,
        [401, 401, 401, 429, 429],
        "after three failures, on either instance, the next tries wait"
    );
    assert_eq!(
        query(
            &database,
            "SELECT COUNT(*) FROM rate_counts WHERE key LIKE '%.%'"
        ),
        "0",
        "keys are blind indexes, never addresses"
    );
}

//! Redis with failover (issue 15): a real master, a replica and a Sentinel
//! started by the test on free ports. The issuer and a verifier reach the
//! master through `redis+sentinel://`; `SENTINEL FAILOVER` happens in the
//! middle of a stream of revocations; every revocation reaches the
//! verifier, both services keep answering, and a generation copied from
//! the old master is not taken as complete on the new one.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use healthcode_tests::redis_server::{RedisServer, SentinelServer};
use rand::RngCore as _;

use crate::{
    codes::{issuer_args, start_issuer},
    support::{KeySet, stderr},
    verifier_service::{Verifier, redis_query, wait_connected},
};

/// Revocations in the stream.
const STREAM: usize = 60;
/// The failover starts after this many have been recorded.
const FAILOVER_AFTER: usize = 20;

/// Runs one command on the Redis or Sentinel at `address` (`host:port`).
fn command<T: redis::FromRedisValue>(address: &str, args: &[&str]) -> T {
    redis_query(&format!("redis://{address}"), args)
}

fn info_field(address: &str, field: &str) -> String {
    let info: String = command(address, &["INFO", "replication"]);
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Polls `check` every 50 ms until it holds, for at most `limit`.
fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn master_port(sentinel: &SentinelServer) -> String {
    let (_, port): (String, String) = command(
        &sentinel.address(),
        &[
            "SENTINEL",
            "get-master-addr-by-name",
            SentinelServer::MASTER,
        ],
    );
    port
}

fn revoked_at(verifier: &Verifier, id: &str) -> bool {
    verifier
        .get(&format!("/v1/codes/{id}/status"))
        .is_some_and(|s| s["revocation"] == "revoked")
}

#[test]
fn a_sentinel_failover_during_revocations_loses_none_at_the_checkpoint() {
    let master = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let replica = RedisServer::start_replica(&master).unwrap_or_else(|e| panic!("{e:#}"));
    let replica_address = format!("127.0.0.1:{}", replica.port());
    wait_until("the replica in sync", Duration::from_secs(15), || {
        info_field(&replica_address, "master_link_status") == "up"
    });
    let sentinel = SentinelServer::start(&master).unwrap_or_else(|e| panic!("{e:#}"));
    wait_until(
        "the Sentinel knows the replica",
        Duration::from_secs(20),
        || {
            let replicas: Vec<redis::Value> = command(
                &sentinel.address(),
                &["SENTINEL", "replicas", SentinelServer::MASTER],
            );
            !replicas.is_empty()
        },
    );

    let url = format!(
        "redis+sentinel://{}/{}",
        sentinel.address(),
        SentinelServer::MASTER
    );
    let keys = KeySet::new(false);
    let issuer = Arc::new(start_issuer(&issuer_args(&keys, None, Some(&url))));
    let verifier = Verifier::start(&keys, &["--redis", &url]);
    wait_connected(&verifier, true);

    // The stream: revocations recorded one after another, as decisions are
    // made; the running issuer delivers each.
    let ids: Vec<String> = (0..STREAM)
        .map(|_| {
            let mut bytes = [0u8; 12];
            rand::thread_rng().fill_bytes(&mut bytes);
            healthcode_keys::hex::encode(&bytes)
        })
        .collect();
    let recorded = Arc::new(AtomicUsize::new(0));
    let stream = {
        let (issuer, ids, recorded) = (issuer.clone(), ids.clone(), recorded.clone());
        std::thread::spawn(move || {
            for id in &ids {
                let output = issuer.cli(&["revoke", "--token-id", id, "--reason", "risk_changed"]);
                assert!(output.status.success(), "{}", stderr(&output));
                recorded.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    wait_until("the first revocations", Duration::from_secs(30), || {
        recorded.load(Ordering::SeqCst) >= FAILOVER_AFTER
    });
    let marker_before: String = command(
        &format!("127.0.0.1:{}", master.port()),
        &["GET", "healthcode:revocations:complete"],
    );

    let failover_started = Instant::now();
    let _: String = command(
        &sentinel.address(),
        &["SENTINEL", "FAILOVER", SentinelServer::MASTER],
    );
    wait_until("the replica promoted", Duration::from_secs(15), || {
        master_port(&sentinel) == replica.port().to_string()
            && info_field(&replica_address, "role") == "master"
    });
    eprintln!("failover: promoted in {:?}", failover_started.elapsed());
    // The services keep answering while it happens.
    assert!(verifier.get("/healthz").is_some());
    assert_eq!(issuer.get("/healthz", None).0, 200);

    stream
        .join()
        .unwrap_or_else(|_| panic!("the stream failed"));
    let all_delivered = Instant::now();
    for id in &ids {
        wait_until(
            &format!("{id} at the checkpoint"),
            Duration::from_secs(15),
            || revoked_at(&verifier, id),
        );
    }
    eprintln!(
        "failover: every revocation at the checkpoint {:?} after the stream ended",
        all_delivered.elapsed()
    );
    wait_connected(&verifier, true);

    // The new master holds every revocation and a generation of its own.
    for id in &ids {
        let key = format!("healthcode:revocation:{id}");
        wait_until(
            &format!("{id} on the new master"),
            Duration::from_secs(5),
            || command::<i64>(&replica_address, &["EXISTS", &key]) == 1,
        );
    }
    let replication_id = info_field(&replica_address, "master_replid");
    wait_until(
        "a generation on the new master",
        Duration::from_secs(5),
        || {
            let marker: Option<String> = command(
                &replica_address,
                &["GET", "healthcode:revocations:complete"],
            );
            marker.is_some_and(|m| m.ends_with(&format!("@{replication_id}")))
        },
    );

    // What a replica that lagged would hold: the old master's generation
    // and a revocation missing. With the issuer stopped, a checkpoint
    // started now must not take that generation as complete: it is not
    // one set on the new master's replication history.
    let mut issuer = Arc::try_unwrap(issuer).unwrap_or_else(|_| panic!("the issuer is shared"));
    issuer.kill9();
    let lost_id = &ids[STREAM - 1];
    let lost = format!("healthcode:revocation:{lost_id}");
    let _: () = command(
        &replica_address,
        &["SET", "healthcode:revocations:complete", &marker_before],
    );
    let _: i64 = command(&replica_address, &["DEL", &lost]);
    let fresh = Verifier::start(&keys, &["--redis", &url]);
    wait_connected(&fresh, true);
    std::thread::sleep(Duration::from_millis(1500));
    let status = fresh
        .get(&format!("/v1/codes/{lost_id}/status"))
        .unwrap_or_default();
    assert_eq!(status["revocation"], "unknown", "{status}");
    let ready = ureq::get(&format!("{}/readyz", fresh.base)).call();
    assert!(
        matches!(ready, Err(ureq::Error::Status(503, _))),
        "a checkpoint is ready on a generation copied from the old master"
    );

    // The issuer comes back, restores on the new master, and every
    // checkpoint knows every revocation again.
    issuer.restart();
    for id in &ids {
        wait_until(
            &format!("{id} at a new checkpoint"),
            Duration::from_secs(10),
            || revoked_at(&fresh, id),
        );
    }
    wait_until("the new checkpoint ready", Duration::from_secs(5), || {
        ureq::get(&format!("{}/readyz", fresh.base)).call().is_ok()
    });
}

#[test]
fn a_bad_sentinel_url_is_refused_at_start_with_the_reason() {
    let keys = KeySet::new(false);
    for (url, says) in [
        ("redis+sentinel://127.0.0.1:26379", "no master name"),
        ("redis+sentinel://127.0.0.1/healthcode", "no port"),
        ("redis+sentinel://127.0.0.1:1/bad name", "master name"),
    ] {
        let output = std::process::Command::new(crate::support::bin("verifier"))
            .args(["serve", "--trust", &keys.path("trust.json")])
            .args(["--root", &keys.path("root.public"), "--redis", url])
            .args(["--identity-key", &keys.path("identity.key")])
            .args(["--listen", "127.0.0.1:0"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!output.status.success(), "{url} accepted");
        assert!(stderr(&output).contains(says), "{url}: {}", stderr(&output));
    }
}

#[test]
fn no_reachable_master_is_named_in_the_error() {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    // A port nothing listens on.
    let port = healthcode_tests::load::free_port().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("redis+sentinel://127.0.0.1:{port}/healthcode");
    let error = runtime
        .block_on(healthcode_service_kit::redis::RevocationStore::connect(
            &url,
        ))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("no Sentinel named a reachable master for \"healthcode\"")
            && error.contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}

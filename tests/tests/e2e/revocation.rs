//! `issuer revoke` against a real redis-server: stored until the code
//! expires, published at once, listed for a resync, refused when it cannot be.

use std::time::Duration;

use futures_util::StreamExt as _;
use healthcode_keys::revocation::RevocationReason;
use healthcode_keys::{TokenId, UnverifiedToken, hktime};
use healthcode_service_kit::redis::{CHANNEL, RevocationStore};
use healthcode_tests::redis_server::RedisServer;

use crate::support::{KeySet, issuer_revoke, stderr, stdout};

fn token_id(token: &str) -> TokenId {
    UnverifiedToken::parse(token)
        .unwrap_or_else(|e| panic!("{e}"))
        .token_id()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn revoke_stores_publishes_and_lists() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let set = KeySet::new(false);
    let id = token_id(&set.issue("green", "HKID:A123456(3)", &[]));
    let runtime = runtime();
    let store = runtime
        .block_on(RevocationStore::connect(&redis.url()))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut pubsub = runtime
        .block_on(async {
            let mut pubsub = store.client().get_async_pubsub().await?;
            pubsub.subscribe(CHANNEL).await?;
            Ok::<_, redis::RedisError>(pubsub)
        })
        .unwrap_or_else(|e| panic!("{e}"));

    let output = issuer_revoke(
        &set.state(),
        &redis.url(),
        &id.to_string(),
        "risk-changed",
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains(&id.to_string()));

    let published = runtime.block_on(async {
        let mut messages = pubsub.on_message();
        tokio::time::timeout(Duration::from_secs(1), messages.next()).await
    });
    let payload: String = published
        .ok()
        .flatten()
        .and_then(|m| m.get_payload().ok())
        .unwrap_or_else(|| panic!("no message published within 1 s"));
    assert!(payload.contains(&id.to_string()), "{payload}");

    let stored = runtime
        .block_on(store.status(&id))
        .unwrap_or_else(|e| panic!("{e}"));
    let stored = stored.unwrap_or_else(|| panic!("not stored"));
    assert_eq!(stored.reason, RevocationReason::RiskChanged);
    assert_eq!(
        stored.until,
        hktime::end_of_hk_day(hktime::now()),
        "until the code would expire anyway"
    );
    let (all, corrupt) = runtime
        .block_on(store.all())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((all.len(), corrupt), (1, 0));
    let other = TokenId::from_bytes([9; 12]);
    assert_eq!(runtime.block_on(store.status(&other)).ok().flatten(), None);
}

#[test]
fn revocations_expire_with_their_code() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    // Build the binaries first: the clock below must not include a build.
    crate::support::bin("issuer");
    let until = (time::OffsetDateTime::now_utc() + time::Duration::seconds(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let id = "0123456789abcdef01234567";
    let state = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let output = issuer_revoke(
        state.path(),
        &redis.url(),
        id,
        "superseded",
        &["--until", &until],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let runtime = runtime();
    let store = runtime
        .block_on(RevocationStore::connect(&redis.url()))
        .unwrap_or_else(|e| panic!("{e}"));
    let id: TokenId = id.parse().unwrap_or_else(|e| panic!("{e}"));
    assert!(runtime.block_on(store.status(&id)).ok().flatten().is_some());
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(
        runtime.block_on(store.status(&id)).ok().flatten(),
        None,
        "gone after the code expired"
    );
}

#[test]
fn revoke_refuses_what_it_cannot_do() {
    let mut redis = RedisServer::start().unwrap_or_else(|e| panic!("{e:#}"));
    let state = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let revoke = |url: &str, id: &str, reason: &str, extra: &[&str]| {
        issuer_revoke(state.path(), url, id, reason, extra)
    };
    let id = "0123456789abcdef01234567";
    let bad_reason = revoke(&redis.url(), id, "covid positive", &[]);
    assert_eq!(bad_reason.status.code(), Some(2));
    assert!(
        stderr(&bad_reason).contains("risk_changed"),
        "{}",
        stderr(&bad_reason)
    );
    assert_eq!(
        revoke(&redis.url(), "0123", "fraud", &[]).status.code(),
        Some(2)
    );
    let expired = revoke(
        &redis.url(),
        id,
        "fraud",
        &["--until", "2020-01-01T00:00:00Z"],
    );
    assert_eq!(expired.status.code(), Some(1));
    assert!(
        stderr(&expired).contains("nothing to revoke"),
        "{}",
        stderr(&expired)
    );
    let url = redis.url();
    redis.kill();
    let down = revoke(&url, id, "fraud", &[]);
    assert_eq!(down.status.code(), Some(1));
    assert!(stderr(&down).contains("redis"), "{}", stderr(&down));
}

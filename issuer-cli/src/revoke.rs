//! `issuer revoke`: one code, recorded in the database and delivered to Redis.

use healthcode_issuer::{
    Error,
    codes::{publish, revoke::revoke as revoke_code},
    model::Actor,
    store::Store,
};
use healthcode_keys::{IssuerSecretKey, hktime};
use healthcode_service_kit::redis::RevocationStore;
use time::OffsetDateTime;

use crate::{
    Done,
    args::{DataArgs, RevocationsCommand, RevokeArgs},
};

/// Revokes the code, then delivers what waits in the database if `--redis` is given.
pub fn revoke(
    runtime: &tokio::runtime::Runtime,
    args: RevokeArgs,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    let key = args.key.as_deref().map(IssuerSecretKey::read).transpose()?;
    let store = args.data.open(runtime)?;
    runtime.block_on(async {
        let revoked = revoke_code(
            &store,
            args.token_id,
            args.reason,
            args.until,
            &Actor::Cli,
            now,
        )
        .await?;
        let r = &revoked.revocation;
        if revoked.new {
            println!(
                "revoked {} ({}) until {}",
                r.token_id,
                r.reason,
                hktime::format_hk(r.until)
            );
        } else {
            println!(
                "{} was already revoked ({}); that revocation stands",
                r.token_id, r.reason
            );
        }
        let Some(url) = &args.redis else {
            eprintln!("recorded; `issuer serve --redis` delivers it to Redis");
            return Ok(Done::Succeeded);
        };
        deliver(&store, url, key, now).await.map_err(|e| {
            anyhow::anyhow!(
                "recorded in the database, but not delivered (`issuer serve --redis` will): {e}"
            )
        })?;
        Ok(Done::Succeeded)
    })
}

/// `issuer revocations deliver` and `issuer revocations filtered`.
pub fn revocations(
    runtime: &tokio::runtime::Runtime,
    command: RevocationsCommand,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    let (data, redis, key) = match command {
        RevocationsCommand::Deliver { data, redis, key } => (data, redis, key),
        RevocationsCommand::Filtered { data, key, out, at } => {
            return filtered(runtime, data, &key, &out, at.unwrap_or(now));
        }
    };
    let key = key.as_deref().map(IssuerSecretKey::read).transpose()?;
    let store = data.open(runtime)?;
    let done = runtime.block_on(deliver(&store, &redis, key, now))?;
    println!(
        "{} revocations delivered, {} restored",
        done.delivered, done.restored
    );
    Ok(Done::Succeeded)
}

/// Writes the filtered snapshot of what is in force at `at` to `out`.
fn filtered(
    runtime: &tokio::runtime::Runtime,
    data: DataArgs,
    key: &std::path::Path,
    out: &std::path::Path,
    at: OffsetDateTime,
) -> anyhow::Result<Done> {
    let key = IssuerSecretKey::read(key)?;
    let store = data.open(runtime)?;
    let snapshot = runtime.block_on(publish::filtered_snapshot(
        &store,
        std::sync::Arc::new(key),
        at,
    ))?;
    let bytes = snapshot.to_bytes();
    healthcode_keys::files::write_public(out, &bytes)?;
    println!(
        "filtered snapshot: codes issued up to {} in its filter ({} levels), {} revocations listed, {} bytes, written to {}",
        healthcode_keys::hktime::format_hk(snapshot.filter.covers_until),
        snapshot.filter.cascade.level_count(),
        snapshot.recent.len(),
        bytes.len(),
        out.display()
    );
    Ok(Done::Succeeded)
}

/// One delivery round over a new connection: a restore and a new
/// generation first (a new connection always restores), then everything
/// waiting; the snapshot re-signed with `key` if given.
async fn deliver(
    store: &Store,
    url: &str,
    key: Option<IssuerSecretKey>,
    now: OffsetDateTime,
) -> Result<publish::Delivery, Error> {
    let mut publisher = publish::Publisher::new(RevocationStore::connect(url).await?);
    let done = publisher.round(store, now).await?;
    if let Some(key) = key {
        let key = std::sync::Arc::new(key);
        publish::refresh_snapshot(store, publisher.redis(), &key, now).await?;
    }
    Ok(done)
}

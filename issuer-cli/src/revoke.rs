//! `issuer revoke`: one code, recorded in the database and delivered to Redis.

use healthcode_issuer::{
    Error,
    codes::{publish, revoke::revoke as revoke_code},
    model::Actor,
};
use healthcode_keys::{IssuerSecretKey, hktime};
use healthcode_service_kit::redis::RevocationStore;
use time::OffsetDateTime;

use crate::{Done, args::RevokeArgs};

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
        let deliver = async {
            let mut publisher = publish::Publisher::new(RevocationStore::connect(url).await?);
            publisher.round(&store, now).await?;
            if let Some(key) = key {
                let key = std::sync::Arc::new(key);
                publish::refresh_snapshot(&store, publisher.redis(), &key, now).await?;
            }
            Ok::<_, Error>(())
        };
        deliver.await.map_err(|e| {
            anyhow::anyhow!(
                "recorded in the database, but not delivered (`issuer serve --redis` will): {e}"
            )
        })?;
        Ok(Done::Succeeded)
    })
}

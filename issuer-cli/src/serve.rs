//! `issuer serve`: the flags turned into the service's state, then served.

use healthcode_issuer::{
    codes::{convert::ConversionDesk, signer::Signer},
    service::{
        self,
        client::TrustedProxies,
        state::{RateLimits, Settings},
    },
};
use healthcode_keys::hktime;
use healthcode_service_kit::http::ConnectionLimits;

use crate::{Done, args::ServeArgs};

/// Serves until Ctrl-C or SIGTERM.
pub fn serve(runtime: &tokio::runtime::Runtime, args: ServeArgs) -> anyhow::Result<Done> {
    let signer = match (&args.signing_key, &args.identity_master_key) {
        (Some(key), Some(identity)) => Some(Signer::load(key, identity, hktime::now())?),
        _ => None,
    };
    if signer.is_none() {
        tracing::warn!("no --signing-key: applications for codes are refused (503)");
    }
    let conversions = match &args.conversion_key {
        Some(key) => {
            let desk = ConversionDesk::load(key, &args.partner_key, hktime::now())?;
            anyhow::ensure!(
                signer
                    .as_ref()
                    .and_then(|s| s.key_at(hktime::now()).ok())
                    .is_none_or(|signing| signing.kid() != desk.kid()),
                "--conversion-key must be a key of its own, not the --signing-key"
            );
            tracing::info!(kid = %desk.kid(), partners = ?desk.partners(), "conversions offered");
            Some(std::sync::Arc::new(desk))
        }
        None => None,
    };
    if let Some(url) = &args.redis {
        anyhow::Context::context(healthcode_service_kit::redis::check_url(url), "--redis")?;
    }
    let store = args.data.open(runtime)?;
    let limits = RateLimits {
        register_per_minute: args.register_per_minute,
        login_per_minute: args.login_per_minute,
        pin_per_minute: args.pin_per_minute,
    };
    let settings = Settings {
        limits,
        secure_cookies: !args.insecure_cookies,
        trusted_proxies: TrustedProxies::new(args.trusted_proxies),
        conversions,
    };
    let state = service::AppState::new(store, settings, signer, hktime::now);
    let background = service::Background {
        audit_anchor: Some(args.data.anchor_path()),
        sms_webhook: args.sms_webhook,
        redis: args.redis,
        filtered_every: args.filtered_every,
        connections: ConnectionLimits {
            header_read_timeout: args.header_read_timeout,
            max_connections: args.max_connections,
            max_requests_per_connection: args.max_requests_per_connection,
        },
    };
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        tracing::info!(address = %listener.local_addr()?, "issuer listening");
        service::serve(state, listener, background).await
    })?;
    tracing::info!("issuer stopped");
    Ok(Done::Succeeded)
}

//! `load-server`: the verifier service for load tests, beside two floor
//! handlers measured in the same process on the same machine:
//! `/floor/trivial` (answers at once) and `/floor/verify_strict` (only the
//! Ed25519 check of a fixed token). `/policy/...` is the same service with
//! the Guangdong exit policy and a checkpoint id: every answer then carries
//! an admission, counted per lane. Prints its address, serves until killed.
//!
//! Uses the TEST-ONLY keys; `scripts/load-bench` drives it.

use std::{net::SocketAddr, sync::Arc};

use axum::{Router, routing::post};
use clap::Parser;
use ed25519_dalek::{Signature, VerifyingKey};
use healthcode_keys::{Colour, KeyStatus, Region, hktime, testkeys, token};
use healthcode_verifier::{
    Checker,
    admission::Policy,
    revocation::{StalenessPolicy, WhenStale},
};
use healthcode_verifier_service::{
    AppState, app,
    state::{RevocationSource, Settings},
};
use rand::SeedableRng as _;

#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let now = hktime::now();
    let key = testkeys::issuer(Region::HongKong, "a");
    let trust = testkeys::verified_trust_list(
        now - time::Duration::hours(1),
        &[(&key, KeyStatus::Active)],
        now,
    );
    let holder = healthcode_issuer::issue::Holder {
        document: "HKID:A1234563".parse()?,
        date_of_issue: time::macros::date!(2018 - 03 - 01),
    };
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let signed = healthcode_issuer::issue::issue_code(
        &mut rng,
        &key,
        &testkeys::identity_master(),
        Colour::Green,
        &holder,
        now,
    )?;
    // The token the load script posts.
    std::fs::write("target/load-token.txt", signed.to_text())?;

    let bytes = signed.to_bytes();
    let payload: [u8; token::PAYLOAD_LEN] = bytes[..token::PAYLOAD_LEN].try_into()?;
    let message = Arc::new(token::signing_message(
        token::TokenVersion::CURRENT,
        &payload,
    ));
    let signature = Signature::from_bytes(&bytes[token::PAYLOAD_LEN..].try_into()?);
    let verifying = VerifyingKey::from_bytes(&key.public().public_key.to_bytes())?;

    let settings = Settings {
        staleness: StalenessPolicy {
            stale_after: Some(time::Duration::minutes(10)),
            when_stale: WhenStale::Reject,
        },
        source: RevocationSource::Embedded,
        image_decoders: Settings::default_image_decoders(),
    };
    // TEST-ONLY keys: configured as a drill checkpoint, so the token answers
    // valid and the measured route is the whole admission path.
    let checker = || {
        Checker::new(trust.clone(), healthcode_keys::IdentityKeys::default())
            .accepting_specimens(true)
    };
    let state = Arc::new(AppState::new(checker(), settings, hktime::now));
    let policy = Policy::parse(include_str!("../../../policies/hk-exit-gd.policy"))?;
    let with_policy = Arc::new(
        AppState::new(checker(), settings, hktime::now)
            .with_policy(Some(policy))
            .with_checkpoint("LOAD".parse()?),
    );
    let floors = Router::new()
        .route("/floor/trivial", post(|| async { "{}" }))
        .route(
            "/floor/verify_strict",
            post(move || {
                let message = message.clone();
                async move {
                    if verifying.verify_strict(&message, &signature).is_ok() {
                        "{\"valid\":true}"
                    } else {
                        "{\"valid\":false}"
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let routes = app(state).merge(floors).nest("/policy", app(with_policy));
    axum::serve(listener, routes).await?;
    Ok(())
}

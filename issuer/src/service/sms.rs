//! Delivering the SMS outbox through an HTTP webhook gateway.
//!
//! The outbox table is the source of truth: a message is queued in the same
//! transaction as the change that produced it, and this worker posts it to
//! the gateway until the gateway says 2xx, backing off on failure. Without a
//! gateway, messages stay in the outbox for operators to read.

use std::{sync::Arc, time::Duration};

use serde_json::json;

use super::AppState;
use crate::store::messages::Sms;

/// Messages claimed per round.
const CLAIM: i64 = 20;

/// How long a claim keeps other senders off: longer than [`CLAIM`] posts
/// at the gateway's timeout.
const CLAIM_LEASE: time::Duration = time::Duration::minutes(5);

/// Attempts before a message is marked failed.
pub const MAX_SMS_ATTEMPTS: i64 = 10;

/// Posts due messages to `url` forever: every second, and at once when an
/// instance queues one (on PostgreSQL, [`super::workers::listen_forever`]).
pub async fn deliver_forever(state: Arc<AppState>, url: String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.wake.sms.notified() => {}
        }
        if let Err(e) = deliver_due(&state, &agent, &url).await {
            tracing::warn!(error = %e, "SMS delivery round failed");
        }
    }
}

async fn deliver_due(state: &AppState, agent: &ureq::Agent, url: &str) -> Result<(), crate::Error> {
    let claimed = state
        .store
        .claim_due_sms(state.now(), CLAIM, CLAIM_LEASE)
        .await?;
    for sms in claimed {
        let outcome = post(agent.clone(), url.to_owned(), &sms).await;
        if let Err(e) = &outcome {
            // The gateway's error only: never the number or the text.
            tracing::warn!(message_id = %sms.id, error = %e, "SMS gateway refused a message");
        }
        let error = outcome.err().map(|e| e.to_string());
        state
            .store
            .record_sms_attempt(&sms, error.as_deref(), MAX_SMS_ATTEMPTS, state.now())
            .await?;
    }
    Ok(())
}

/// Why the gateway did not take a message (never its number or text).
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The gateway answered with an error status.
    #[error("gateway answered HTTP {0}")]
    Status(u16),
    /// The gateway could not be reached.
    #[error("gateway unreachable: {0}")]
    Unreachable(ureq::ErrorKind),
    /// The task that posts died.
    #[error("delivery task failed")]
    TaskFailed,
}

async fn post(agent: ureq::Agent, url: String, sms: &Sms) -> Result<(), GatewayError> {
    let body = json!({ "id": sms.id, "to": sms.phone, "text": sms.body });
    tokio::task::spawn_blocking(move || match agent.post(&url).send_json(body) {
        Ok(_) => Ok(()),
        Err(ureq::Error::Status(code, _)) => Err(GatewayError::Status(code)),
        Err(e) => Err(GatewayError::Unreachable(e.kind())),
    })
    .await
    .unwrap_or(Err(GatewayError::TaskFailed))
}

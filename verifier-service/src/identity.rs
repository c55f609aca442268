//! The checkpoint's identity day keys while serving: a new file (the next
//! weeks' days) is put in use without a restart, and a verifier whose days do
//! not cover today says so in its log and `/healthz`.

use std::{path::PathBuf, sync::Arc, time::Duration};

use healthcode_keys::{
    DayKeys, Error,
    hktime::{format_date, hk_date},
};
use healthcode_service_kit::signals::on_file_change;
use serde_json::{Value, json};

use crate::AppState;

/// Reads the day-key file at `path` and puts it in use; returns its first
/// and last day.
///
/// # Errors
/// File, permission and format errors; the keys in use stay.
pub fn reload(state: &AppState, path: &std::path::Path) -> Result<(time::Date, time::Date), Error> {
    let days = DayKeys::read(path)?;
    let span = days.span();
    state.update_checker(|current| Ok::<_, Error>(current.with_day_keys(days)))?;
    Ok(span)
}

/// Reloads the day keys on SIGHUP and when their file changes; runs forever.
pub async fn watch(state: Arc<AppState>, path: PathBuf) {
    let file = path.clone();
    on_file_change(path, move || match reload(&state, &file) {
        Ok((first, last)) => tracing::info!(
            first = %format_date(first),
            last = %format_date(last),
            "identity day keys reloaded"
        ),
        Err(e) => {
            tracing::error!(error = %e, "new identity day keys refused; keeping those in use")
        }
    })
    .await;
}

/// What `/healthz` says of the day keys: the days held and whether today is
/// one of them (`null` when the verifier holds none).
pub fn summary(state: &AppState) -> Value {
    let checker = state.checker();
    let Some(days) = &checker.identity().days else {
        return Value::Null;
    };
    let (first, last) = days.span();
    json!({
        "first_day": format_date(first),
        "last_day": format_date(last),
        "covers_today": days.get(hk_date(state.now())).is_some(),
    })
}

/// How often a verifier without today's day key says so in the log.
const UNCOVERED_WARN_EVERY: Duration = Duration::from_secs(60);

/// Logs an error every minute while day keys are held but none is today's:
/// every document presented with today's codes is then `identity_unavailable`.
pub async fn warn_while_uncovered(state: Arc<AppState>) {
    let mut every = tokio::time::interval(UNCOVERED_WARN_EVERY);
    loop {
        every.tick().await;
        let summary = summary(&state);
        if summary["covers_today"] == false {
            tracing::error!(
                last_day = %summary["last_day"],
                "no identity day key for today: documents presented with today's codes cannot be checked (identity_unavailable); load the next file of days"
            );
        }
    }
}

//! The checkpoint's identity day keys while serving: a new file (the next
//! weeks' days) is put in use without a restart, and a verifier whose days do
//! not cover today says so in its log and `/healthz`.

use std::{path::PathBuf, sync::Arc, time::Duration};

use healthcode_keys::{
    DayKeys, Error, Region,
    hktime::{format_date, hk_date},
};
use healthcode_service_kit::signals::on_file_change;
use serde_json::{Value, json};

use crate::AppState;

/// Reads `region`'s day-key file at `path` and puts it in use; returns its
/// first and last day.
///
/// # Errors
/// File, permission and format errors; the keys in use stay.
pub fn reload(
    state: &AppState,
    region: Region,
    path: &std::path::Path,
) -> Result<(time::Date, time::Date), Error> {
    let days = DayKeys::read(path)?;
    let span = days.span();
    state.update_checker(|current| Ok::<_, Error>(current.with_day_keys(region, days)))?;
    Ok(span)
}

/// Reloads `region`'s day keys on SIGHUP and when their file changes; runs
/// forever.
pub async fn watch(state: Arc<AppState>, region: Region, path: PathBuf) {
    let file = path.clone();
    on_file_change(path, move || match reload(&state, region, &file) {
        Ok((first, last)) => tracing::info!(
            region = %region,
            first = %format_date(first),
            last = %format_date(last),
            "identity day keys reloaded"
        ),
        Err(e) => {
            tracing::error!(region = %region, error = %e, "new identity day keys refused; keeping those in use")
        }
    })
    .await;
}

/// What `/healthz` says of Hong Kong's day keys: the days held and whether
/// today is one of them (`null` when the verifier holds none).
pub fn summary(state: &AppState) -> Value {
    summary_of(state, Region::HongKong)
}

/// The same for every region whose day keys are held, by region.
pub fn summary_by_region(state: &AppState) -> Value {
    let checker = state.checker();
    let regions = checker
        .identity()
        .regions()
        .filter(|(_, keys)| keys.days.is_some())
        .map(|(region, _)| (region.to_string(), summary_of(state, region)))
        .collect::<serde_json::Map<_, _>>();
    Value::Object(regions)
}

fn summary_of(state: &AppState, region: Region) -> Value {
    let checker = state.checker();
    let Some(days) = checker
        .identity()
        .region(region)
        .and_then(|k| k.days.as_ref())
    else {
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
        let regions = summary_by_region(&state);
        let uncovered = regions
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, summary)| summary["covers_today"] == false);
        for (region, summary) in uncovered {
            tracing::error!(
                region = %region,
                last_day = %summary["last_day"],
                "no identity day key for today: documents presented with today's codes cannot be checked (identity_unavailable); load the next file of days"
            );
        }
    }
}

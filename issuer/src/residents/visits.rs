//! Visit records from the check-in app: the past 31 days, checked record by
//! record, so one bad record never costs the others.

use healthcode_keys::hktime::parse_rfc3339;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::housing::is_place_id;
use crate::{Error, store::Store};

/// How far back records are kept.
pub const VISIT_WINDOW: Duration = Duration::days(31);

/// The most records in one upload (31 days of 20 check-ins is 620).
pub const MAX_RECORDS_PER_UPLOAD: usize = 5_000;

/// One record as the app sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct RawVisit {
    /// The venue's place id, e.g. `venue-0001`.
    pub venue_id: String,
    /// The venue's name as the app shows it.
    pub venue_name: String,
    /// RFC 3339 with offset.
    pub check_in: String,
    /// RFC 3339 with offset; absent or null for a check-in without check-out.
    #[serde(default)]
    pub check_out: Option<String>,
}

/// A checked record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRecord {
    /// The venue's place id.
    pub venue_id: String,
    /// The venue's name.
    pub venue_name: String,
    /// Check-in.
    pub check_in: OffsetDateTime,
    /// Check-out.
    pub check_out: Option<OffsetDateTime>,
}

/// A record refused, by its position in the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RefusedRecord {
    /// Position in `records`, from 0.
    pub index: usize,
    /// Why.
    pub reason: String,
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UploadSummary {
    /// Records received.
    pub received: usize,
    /// Records stored (or already stored: uploading again changes nothing).
    pub stored: usize,
    /// Records refused, each with its reason.
    pub refused: Vec<RefusedRecord>,
}

/// Checks one record (as JSON, so a record with a missing field is refused on
/// its own) against the window `(now − 31 days, now]`.
///
/// # Errors
/// The reason, for the resident to read.
pub fn check_record(value: serde_json::Value, now: OffsetDateTime) -> Result<VisitRecord, String> {
    let raw: RawVisit =
        serde_json::from_value(value).map_err(|e| format!("not a visit record: {e}"))?;
    if !is_place_id(&raw.venue_id) {
        return Err("venue_id: 1 to 64 letters, digits, '.', '_', ':' or '-'".into());
    }
    let name = raw.venue_name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err("venue_name: 1 to 200 characters, no control characters".into());
    }
    let check_in = parse_rfc3339(&raw.check_in).map_err(|e| format!("check_in: {e}"))?;
    let check_out = raw
        .check_out
        .as_deref()
        .map(parse_rfc3339)
        .transpose()
        .map_err(|e| format!("check_out: {e}"))?;
    if check_in <= now - VISIT_WINDOW {
        return Err("check_in: older than 31 days".into());
    }
    if check_in > now {
        return Err("check_in: in the future".into());
    }
    match check_out {
        Some(out) if out < check_in => Err("check_out: before check_in".into()),
        Some(out) if out > now => Err("check_out: in the future".into()),
        _ => Ok(VisitRecord {
            venue_id: raw.venue_id,
            venue_name: name.to_owned(),
            check_in,
            check_out,
        }),
    }
}

/// Checks every record and stores the good ones for `account_id`.
///
/// # Errors
/// [`Error::TooManyRecords`] over the per-upload limit; [`Error::Db`].
pub async fn upload(
    store: &Store,
    account_id: &str,
    records: Vec<serde_json::Value>,
    now: OffsetDateTime,
) -> Result<UploadSummary, Error> {
    if records.len() > MAX_RECORDS_PER_UPLOAD {
        return Err(Error::TooManyRecords {
            count: records.len(),
            limit: MAX_RECORDS_PER_UPLOAD,
        });
    }
    let received = records.len();
    let mut good = Vec::with_capacity(received);
    let mut refused = Vec::new();
    for (index, value) in records.into_iter().enumerate() {
        match check_record(value, now) {
            Ok(record) => good.push(record),
            Err(reason) => refused.push(RefusedRecord { index, reason }),
        }
    }
    store.store_visits(account_id, &good, now).await?;
    Ok(UploadSummary {
        received,
        stored: good.len(),
        refused,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    fn check(check_in: &str, check_out: Option<&str>) -> Result<VisitRecord, String> {
        check_record(
            json!({"venue_id": "venue-0001", "venue_name": "Cafe", "check_in": check_in, "check_out": check_out}),
            NOW,
        )
    }

    #[test]
    fn the_window_is_the_past_31_days_half_open() {
        // Exactly 31 days before now is outside; a second later is inside.
        assert!(check("2022-11-09T01:00:00Z", None).is_err());
        assert!(check("2022-11-09T01:00:01Z", None).is_ok());
        assert!(
            check("2022-12-10T09:00:00+08:00", None).is_ok(),
            "now itself"
        );
        assert!(
            check("2022-12-10T01:00:01Z", None).is_err(),
            "a second ahead"
        );
        assert_eq!(
            check("2022-11-08T01:00:00Z", None).err().as_deref(),
            Some("check_in: older than 31 days")
        );
    }

    #[test]
    fn bad_records_say_why() {
        assert!(
            check("2022-12-09T10:00:00", None)
                .err()
                .unwrap_or_default()
                .contains("check_in")
        );
        assert_eq!(
            check("2022-12-09T10:00:00Z", Some("2022-12-09T09:00:00Z"))
                .err()
                .as_deref(),
            Some("check_out: before check_in")
        );
        let missing = check_record(
            json!({"venue_id": "v1", "check_in": "2022-12-09T10:00:00Z"}),
            NOW,
        );
        assert!(missing.err().unwrap_or_default().contains("venue_name"));
        let bad_id = check_record(
            json!({"venue_id": "a b", "venue_name": "x", "check_in": "2022-12-09T10:00:00Z"}),
            NOW,
        );
        assert!(bad_id.err().unwrap_or_default().starts_with("venue_id"));
        assert!(check_record(json!(42), NOW).is_err());
    }
}

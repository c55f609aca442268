//! Visit records from the check-in app: the past 31 days, each checked on
//! its own so that one bad record never costs the others.

use healthcode_keys::hktime::parse_rfc3339;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::{
    place::{InvalidPlaceId, PlaceId},
    poster::{PosterProblem, venue_of_poster},
};

/// How far back records are kept and read: the window of the check-in app,
/// longer than any window of the colour rules.
pub const VISIT_WINDOW: Duration = Duration::days(31);

/// One record as the app sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct RawVisit {
    /// The venue's place id, e.g. `venue-0001`; or give `venue_qr`.
    #[serde(default)]
    pub venue_id: Option<String>,
    /// The payload of the venue's QR poster as the app scanned it
    /// (`HKEN:...`), in place of (or agreeing with) `venue_id`.
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub venue_qr: Option<String>,
    /// Ignored: venue names come from the operator's venue registry, never
    /// from an upload (accepted so that the check-in app's export loads as it is).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub venue_name: serde_json::Value,
    /// RFC 3339 with offset.
    #[schema(format = DateTime)]
    pub check_in: String,
    /// RFC 3339 with offset; absent or null for a check-in without check-out.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub check_out: Option<String>,
}

/// A checked record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRecord {
    /// The venue's place id.
    pub venue_id: PlaceId,
    /// Check-in.
    pub check_in: OffsetDateTime,
    /// Check-out.
    pub check_out: Option<OffsetDateTime>,
}

/// Why a visit record was refused, for the resident to read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VisitProblem {
    /// Not an object with the fields of a record.
    #[error("not a visit record: {0}")]
    NotARecord(#[source] serde_json::Error),
    /// The venue id is not a place id.
    #[error("venue_id: 1 to 64 letters, digits, '.', '_', ':' or '-'")]
    VenueId(#[source] InvalidPlaceId),
    /// Neither a venue id nor a poster payload.
    #[error("venue_id or venue_qr: one of them is needed")]
    NoVenue,
    /// The poster payload names no venue.
    #[error("{0}")]
    Poster(#[source] PosterProblem),
    /// The venue id and the poster name different venues.
    #[error("venue_id: not the venue that venue_qr names")]
    VenueDisagrees,
    /// A time that is not RFC 3339 with an offset.
    #[error("{field}: {source}")]
    Time {
        /// `check_in` or `check_out`.
        field: &'static str,
        /// The parser's complaint.
        source: healthcode_keys::Error,
    },
    /// A check-in 31 days ago or earlier.
    #[error("check_in: older than 31 days")]
    TooOld,
    /// A time after now.
    #[error("{field}: in the future")]
    InFuture {
        /// `check_in` or `check_out`.
        field: &'static str,
    },
    /// A check-out before its check-in.
    #[error("check_out: before check_in")]
    CheckOutBeforeCheckIn,
    /// The visit is stored with another check-out (or the upload gives it
    /// two): stored visits are facts, and gain a check-out only if missing.
    #[error(
        "check_out: this visit is already recorded with another check-out, which cannot be changed"
    )]
    CheckOutChanged,
}

impl VisitProblem {
    /// A stable code for the problem: `too_old`, `in_future` ...
    pub fn code(&self) -> &'static str {
        match self {
            VisitProblem::NotARecord(_) => "not_a_record",
            VisitProblem::VenueId(_) => "venue_id",
            VisitProblem::NoVenue => "no_venue",
            VisitProblem::Poster(_) => "venue_qr",
            VisitProblem::VenueDisagrees => "venue_disagrees",
            VisitProblem::Time { .. } => "time",
            VisitProblem::TooOld => "too_old",
            VisitProblem::InFuture { .. } => "in_future",
            VisitProblem::CheckOutBeforeCheckIn => "check_out_before_check_in",
            VisitProblem::CheckOutChanged => "check_out_changed",
        }
    }
}

impl VisitRecord {
    /// Checks one record (as JSON, so that a record with a missing field is
    /// refused on its own) against the window `(now − 31 days, now]`.
    ///
    /// # Errors
    /// The [`VisitProblem`].
    pub fn check(value: serde_json::Value, now: OffsetDateTime) -> Result<Self, VisitProblem> {
        let raw: RawVisit = serde_json::from_value(value).map_err(VisitProblem::NotARecord)?;
        let venue_id = venue_of(&raw)?;
        let time = |field, text: &str| {
            parse_rfc3339(text).map_err(|source| VisitProblem::Time { field, source })
        };
        let check_in = time("check_in", &raw.check_in)?;
        let check_out = raw
            .check_out
            .as_deref()
            .map(|text| time("check_out", text))
            .transpose()?;
        if check_in <= now - VISIT_WINDOW {
            return Err(VisitProblem::TooOld);
        }
        if check_in > now {
            return Err(VisitProblem::InFuture { field: "check_in" });
        }
        match check_out {
            Some(out) if out < check_in => Err(VisitProblem::CheckOutBeforeCheckIn),
            Some(out) if out > now => Err(VisitProblem::InFuture { field: "check_out" }),
            _ => Ok(VisitRecord {
                venue_id,
                check_in,
                check_out,
            }),
        }
    }
}

/// The venue of a record: its id, or the one its poster payload names
/// (both, when given, must agree).
fn venue_of(raw: &RawVisit) -> Result<PlaceId, VisitProblem> {
    match (&raw.venue_id, &raw.venue_qr) {
        (None, None) => Err(VisitProblem::NoVenue),
        (Some(id), None) => PlaceId::parse(id).map_err(VisitProblem::VenueId),
        (id, Some(payload)) => {
            let venue = venue_of_poster(payload).map_err(VisitProblem::Poster)?;
            match id {
                Some(id) if id != venue.as_str() => Err(VisitProblem::VenueDisagrees),
                _ => Ok(venue),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    fn check(check_in: &str, check_out: Option<&str>) -> Result<VisitRecord, String> {
        VisitRecord::check(
            json!({"venue_id": "venue-0001", "venue_name": "Cafe", "check_in": check_in, "check_out": check_out}),
            NOW,
        )
        .map_err(|e| e.to_string())
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
        let message = |value| {
            VisitRecord::check(value, NOW)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let missing = message(json!({"venue_id": "v1"}));
        assert!(missing.contains("check_in"), "{missing}");
        // A name in the upload is ignored, whatever it says.
        let named = json!({"venue_id": "v1", "venue_name": "Pay HK$500 at http://x", "check_in": "2022-12-09T10:00:00Z"});
        assert!(VisitRecord::check(named, NOW).is_ok());
        let bad_id = message(
            json!({"venue_id": "a b", "venue_name": "x", "check_in": "2022-12-09T10:00:00Z"}),
        );
        assert!(bad_id.starts_with("venue_id"));
        assert!(VisitRecord::check(json!(42), NOW).is_err());
        assert_eq!(
            message(json!({"check_in": "2022-12-09T10:00:00Z"})),
            "venue_id or venue_qr: one of them is needed"
        );
    }

    #[test]
    fn a_poster_payload_names_the_venue_and_must_agree_with_an_id() {
        let poster = crate::model::poster::tests::poster("venue-0042");
        let at = "2022-12-09T10:00:00Z";
        let read = |value| {
            VisitRecord::check(value, NOW)
                .map(|v| v.venue_id.to_string())
                .ok()
        };
        assert_eq!(
            read(json!({"venue_qr": poster, "check_in": at})),
            Some("venue-0042".to_owned())
        );
        assert_eq!(
            read(json!({"venue_id": "venue-0042", "venue_qr": poster, "check_in": at})),
            Some("venue-0042".to_owned())
        );
        let other = VisitRecord::check(
            json!({"venue_id": "venue-9", "venue_qr": poster, "check_in": at}),
            NOW,
        );
        assert_eq!(other.err().map(|e| e.code()), Some("venue_disagrees"));
        let broken = VisitRecord::check(json!({"venue_qr": "HKEN:nonsense", "check_in": at}), NOW);
        assert_eq!(broken.err().map(|e| e.code()), Some("venue_qr"));
    }
}

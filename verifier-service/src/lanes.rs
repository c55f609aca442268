//! Where a code was checked: the checkpoint's id, the lane of each request,
//! and what each lane did in its last minutes, for `/metrics`, the audit
//! log and the supervisor's page. Nothing here holds personal data: counts,
//! stable reason codes and latencies only.

use std::{
    collections::{BTreeMap, VecDeque},
    fmt::{self, Write as _},
    str::FromStr,
    sync::Mutex,
    time::Duration,
};

use healthcode_verifier::admission::Admission;
use serde::Serialize;
use time::OffsetDateTime;

/// Lanes tracked by name; later ones are counted together as [`OTHER_LANE`],
/// so that a misconfigured device cannot grow the service's memory.
pub const MAX_LANES: usize = 64;
/// Minutes of history kept per lane.
pub const WINDOW_MINUTES: usize = 15;
/// The lane of a request that names none.
pub const UNASSIGNED_LANE: &str = "unassigned";
/// The lane that lanes past [`MAX_LANES`] are counted in.
pub const OTHER_LANE: &str = "other";
/// The request header that names the lane (a JSON `lane` field wins over it).
pub const LANE_HEADER: &str = "x-healthcode-lane";

/// A checkpoint's or a lane's id, as printed on the booth: 1 to 32 ASCII
/// letters, digits, `.`, `_` or `-`, so that it is safe in a metric label,
/// a log line and a page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PlaceLabel(String);

/// Why a checkpoint or lane id is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// Nothing given.
    #[error("is empty")]
    Empty,
    /// Over 32 characters.
    #[error("is longer than 32 characters")]
    TooLong,
    /// A character outside the allowed set.
    #[error("holds {0:?}: only letters A-Z and a-z, digits, '.', '_' and '-' may be used")]
    BadCharacter(char),
}

impl FromStr for PlaceLabel {
    type Err = LabelError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(LabelError::Empty);
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(LabelError::BadCharacter(bad));
        }
        if text.len() > 32 {
            return Err(LabelError::TooLong);
        }
        Ok(PlaceLabel(text.to_owned()))
    }
}

impl PlaceLabel {
    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn fixed(name: &str) -> PlaceLabel {
        PlaceLabel(name.to_owned())
    }
}

impl fmt::Display for PlaceLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What one verification came to, as a lane counts it.
#[derive(Debug, Clone, Copy)]
pub struct Outcome<'a> {
    /// Whether the code was valid.
    pub valid: bool,
    /// The policy's decision, when the checkpoint has a policy.
    pub admission: Option<Admission>,
    /// Why the traveller was not admitted (the policy's reason), or without
    /// a policy why the code was not valid (the verdict's error code).
    pub reason: Option<&'a str>,
    /// The verdict's error code, if not valid.
    pub error: Option<&'a str>,
    /// Time from the request to the answer.
    pub latency: Duration,
}

/// Upper bounds of the latency histogram's buckets, in seconds.
const LATENCY_BUCKETS: [f64; 11] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations at or under each bound (not cumulative here).
    buckets: [u64; LATENCY_BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// One minute of one lane.
#[derive(Debug, Default, Clone)]
struct Minute {
    /// Minutes since the Unix epoch.
    index: i64,
    verifications: u64,
    admitted: u64,
    secondary: u64,
    refused: u64,
    invalid: u64,
    reasons: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
struct Lane {
    /// Verifications by (admission or `none`, error code or `none`).
    totals: BTreeMap<(&'static str, String), u64>,
    latency: Histogram,
    minutes: VecDeque<Minute>,
    last_at: Option<OffsetDateTime>,
}

impl Lane {
    fn record(&mut self, outcome: &Outcome<'_>, now: OffsetDateTime) {
        let admission = outcome.admission.map_or("none", Admission::as_str);
        let error = outcome.error.unwrap_or("none").to_owned();
        *self.totals.entry((admission, error)).or_default() += 1;
        self.latency.observe(outcome.latency.as_secs_f64());
        self.last_at = Some(now);
        let minute = self.minute(minute_index(now));
        minute.verifications += 1;
        match outcome.admission {
            Some(Admission::Admit) => minute.admitted += 1,
            Some(Admission::Secondary) => minute.secondary += 1,
            Some(Admission::Refuse) => minute.refused += 1,
            None => {}
        }
        minute.invalid += u64::from(!outcome.valid);
        if let Some(reason) = outcome.reason {
            *minute.reasons.entry(reason.to_owned()).or_default() += 1;
        }
    }

    /// The minute `index`, started if new; minutes past the window are dropped.
    fn minute(&mut self, index: i64) -> &mut Minute {
        if self.minutes.back().is_none_or(|m| m.index < index) {
            self.minutes.push_back(Minute {
                index,
                ..Minute::default()
            });
        }
        while self
            .minutes
            .front()
            .is_some_and(|m| m.index <= index - WINDOW_MINUTES as i64)
        {
            self.minutes.pop_front();
        }
        // A clock that stepped back counts into the newest minute.
        let newest = self.minutes.len() - 1;
        &mut self.minutes[newest]
    }

    fn summary(&self, lane: &PlaceLabel, since: i64) -> LaneSummary {
        let mut summary = LaneSummary {
            lane: lane.clone(),
            verifications: 0,
            admitted: 0,
            secondary: 0,
            refused: 0,
            invalid: 0,
            reasons: Vec::new(),
            last_at: self.last_at,
        };
        let mut reasons: BTreeMap<&str, u64> = BTreeMap::new();
        for minute in self.minutes.iter().filter(|m| m.index >= since) {
            summary.verifications += minute.verifications;
            summary.admitted += minute.admitted;
            summary.secondary += minute.secondary;
            summary.refused += minute.refused;
            summary.invalid += minute.invalid;
            for (reason, count) in &minute.reasons {
                *reasons.entry(reason).or_default() += count;
            }
        }
        let mut reasons: Vec<ReasonCount> = reasons
            .into_iter()
            .map(|(reason, count)| ReasonCount {
                reason: reason.to_owned(),
                count,
            })
            .collect();
        reasons.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
        summary.reasons = reasons;
        summary
    }
}

fn minute_index(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(60)
}

/// How often one reason was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonCount {
    /// The stable code (`colour_red`, `identity_mismatch`, `revoked`, ...).
    pub reason: String,
    /// Times given.
    pub count: u64,
}

/// What one lane did in the last minutes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaneSummary {
    /// The lane.
    pub lane: PlaceLabel,
    /// Verifications answered.
    pub verifications: u64,
    /// Admitted, sent to secondary inspection, refused (with a policy).
    pub admitted: u64,
    /// Sent to secondary inspection.
    pub secondary: u64,
    /// Refused.
    pub refused: u64,
    /// Codes that were not valid.
    pub invalid: u64,
    /// Why travellers were not admitted (or codes not valid), most frequent first.
    pub reasons: Vec<ReasonCount>,
    /// The lane's last verification, ever.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_at: Option<OffsetDateTime>,
}

/// Every lane of one checkpoint.
#[derive(Debug)]
pub struct LaneBook {
    /// The checkpoint's id (`--checkpoint`).
    pub checkpoint: PlaceLabel,
    lanes: Mutex<BTreeMap<PlaceLabel, Lane>>,
}

impl LaneBook {
    /// An empty book for `checkpoint`.
    pub fn new(checkpoint: PlaceLabel) -> LaneBook {
        LaneBook {
            checkpoint,
            lanes: Mutex::new(BTreeMap::new()),
        }
    }

    /// Counts `outcome` at `now` in the lane the request `named`, and
    /// returns that lane: its own while there is room, else [`OTHER_LANE`];
    /// [`UNASSIGNED_LANE`] when it names none. One lock for both, so the
    /// limit holds under concurrent requests.
    pub fn record(
        &self,
        named: Option<PlaceLabel>,
        outcome: &Outcome<'_>,
        now: OffsetDateTime,
    ) -> PlaceLabel {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let lane = match named {
            None => PlaceLabel::fixed(UNASSIGNED_LANE),
            Some(lane) if lanes.contains_key(&lane) || lanes.len() < MAX_LANES - 1 => lane,
            Some(_) => PlaceLabel::fixed(OTHER_LANE),
        };
        lanes.entry(lane.clone()).or_default().record(outcome, now);
        lane
    }

    /// Each lane's last `minutes` (at most [`WINDOW_MINUTES`]) up to `now`,
    /// by lane id.
    pub fn summaries(&self, now: OffsetDateTime, minutes: usize) -> Vec<LaneSummary> {
        let since = minute_index(now) - minutes.clamp(1, WINDOW_MINUTES) as i64 + 1;
        let lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        lanes
            .iter()
            .map(|(name, lane)| lane.summary(name, since))
            .collect()
    }

    /// The lanes' counters and latency histograms in the Prometheus text format.
    pub fn render_metrics(&self, out: &mut String) {
        let checkpoint = &self.checkpoint;
        let lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(
            out,
            "# HELP healthcode_lane_verifications_total Verifications by checkpoint, lane, admission and error code.\n\
             # TYPE healthcode_lane_verifications_total counter"
        );
        for (lane, counts) in lanes.iter() {
            for ((admission, error), count) in &counts.totals {
                let _ = writeln!(
                    out,
                    "healthcode_lane_verifications_total{{checkpoint=\"{checkpoint}\",lane=\"{lane}\",admission=\"{admission}\",error=\"{error}\"}} {count}"
                );
            }
        }
        let name = "healthcode_verification_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time from a verification request to its answer, by checkpoint and lane.\n# TYPE {name} histogram"
        );
        for (lane, counts) in lanes.iter() {
            let labels = format!("checkpoint=\"{checkpoint}\",lane=\"{lane}\"");
            let histogram = &counts.latency;
            let mut cumulative = 0;
            for (bound, count) in LATENCY_BUCKETS.iter().zip(histogram.buckets) {
                cumulative += count;
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
            }
            let total = histogram.count;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {total}");
            let _ = writeln!(out, "{name}_sum{{{labels}}} {}", histogram.sum);
            let _ = writeln!(out, "{name}_count{{{labels}}} {total}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn label(text: &str) -> PlaceLabel {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn outcome(admission: Admission, reason: Option<&'static str>) -> Outcome<'static> {
        Outcome {
            valid: reason.is_none(),
            admission: Some(admission),
            reason,
            error: None,
            latency: Duration::from_micros(700),
        }
    }

    #[test]
    fn ids_are_short_and_plain() {
        assert_eq!(label("LWS-07").as_str(), "LWS-07");
        assert_eq!(label(&"a".repeat(32)).as_str().len(), 32);
        assert_eq!("".parse::<PlaceLabel>(), Err(LabelError::Empty));
        assert_eq!(
            "a".repeat(33).parse::<PlaceLabel>(),
            Err(LabelError::TooLong)
        );
        for (bad, c) in [("lane 7", ' '), ("a\"b", '"'), ("a}", '}'), ("通道", '通')] {
            assert_eq!(bad.parse::<PlaceLabel>(), Err(LabelError::BadCharacter(c)));
        }
    }

    #[test]
    fn a_lane_counts_its_window_and_forgets_older_minutes() {
        let book = LaneBook::new(label("LWS"));
        let lane = label("L1");
        let start = datetime!(2026-12-01 02:00:30 UTC);
        let counted_in = book.record(Some(lane.clone()), &outcome(Admission::Admit, None), start);
        assert_eq!(counted_in, lane);
        let later = start + time::Duration::minutes(3);
        book.record(
            Some(lane.clone()),
            &outcome(Admission::Refuse, Some("colour_red")),
            later,
        );
        book.record(
            Some(lane.clone()),
            &outcome(Admission::Refuse, Some("colour_red")),
            later,
        );
        book.record(
            Some(lane.clone()),
            &outcome(Admission::Secondary, Some("identity_unchecked")),
            later,
        );

        let [five] = <[LaneSummary; 1]>::try_from(book.summaries(later, 5))
            .unwrap_or_else(|s| panic!("{s:?}"));
        assert_eq!((five.verifications, five.admitted), (4, 1));
        assert_eq!((five.secondary, five.refused, five.invalid), (1, 2, 3));
        assert_eq!(five.reasons[0].reason, "colour_red");
        assert_eq!(five.reasons[0].count, 2);
        assert_eq!(five.last_at, Some(later));
        // The last minute alone no longer holds the admitted one.
        let one = &book.summaries(later, 1)[0];
        assert_eq!((one.verifications, one.admitted), (3, 0));
        // Past the window, the minutes are gone but the lane remains.
        let gone = later + time::Duration::minutes(WINDOW_MINUTES as i64);
        book.record(Some(lane.clone()), &outcome(Admission::Admit, None), gone);
        let all = &book.summaries(gone, WINDOW_MINUTES)[0];
        assert_eq!((all.verifications, all.refused), (1, 0));
        // ...and not kept in memory either.
        assert_eq!(minutes_held(&book, &lane), 1);
    }

    fn minutes_held(book: &LaneBook, lane: &PlaceLabel) -> usize {
        let lanes = book.lanes.lock().unwrap_or_else(|e| e.into_inner());
        lanes.get(lane).map_or(0, |l| l.minutes.len())
    }

    #[test]
    fn one_minute_is_one_entry_and_the_window_is_exactly_its_minutes() {
        let book = LaneBook::new(label("LWS"));
        let lane = label("L1");
        let start = datetime!(2026-12-01 02:00:05 UTC);
        for second in [0, 20, 40] {
            let at = start + time::Duration::seconds(second);
            book.record(Some(lane.clone()), &outcome(Admission::Admit, None), at);
        }
        assert_eq!(minutes_held(&book, &lane), 1);
        let next = start + time::Duration::minutes(1);
        book.record(
            Some(lane.clone()),
            &outcome(Admission::Refuse, Some("colour_red")),
            next,
        );
        assert_eq!(minutes_held(&book, &lane), 2);
        // The last minute alone holds only the refusal; two minutes hold all.
        let last = &book.summaries(next, 1)[0];
        assert_eq!((last.verifications, last.admitted, last.refused), (1, 0, 1));
        assert_eq!(book.summaries(next, 2)[0].verifications, 4);
    }

    #[test]
    fn lanes_past_the_limit_count_together_and_an_unnamed_one_is_unassigned() {
        let book = LaneBook::new(label("LWS"));
        let at = datetime!(2026-12-01 02:00:00 UTC);
        for i in 0..MAX_LANES + 10 {
            book.record(
                Some(label(&format!("L{i}"))),
                &outcome(Admission::Admit, None),
                at,
            );
        }
        let summaries = book.summaries(at, 5);
        assert_eq!(summaries.len(), MAX_LANES);
        let other = summaries.iter().find(|s| s.lane.as_str() == OTHER_LANE);
        assert_eq!(other.map(|s| s.verifications), Some(11));
        // A known lane keeps its own name once the book is full.
        let admitted = outcome(Admission::Admit, None);
        assert_eq!(book.record(Some(label("L3")), &admitted, at).as_str(), "L3");
        assert_eq!(
            book.record(Some(label("L99")), &admitted, at).as_str(),
            OTHER_LANE
        );
        assert_eq!(book.record(None, &admitted, at).as_str(), UNASSIGNED_LANE);
    }

    #[test]
    fn metrics_carry_checkpoint_lane_admission_error_and_a_cumulative_histogram() {
        let book = LaneBook::new(label("LWS"));
        let lane = label("L2");
        let at = datetime!(2026-12-01 02:00:00 UTC);
        book.record(Some(lane.clone()), &outcome(Admission::Admit, None), at);
        let slow = Outcome {
            valid: false,
            admission: Some(Admission::Refuse),
            reason: Some("revoked"),
            error: Some("revoked"),
            latency: Duration::from_millis(30),
        };
        book.record(Some(lane.clone()), &slow, at);
        let mut text = String::new();
        book.render_metrics(&mut text);
        for line in [
            "healthcode_lane_verifications_total{checkpoint=\"LWS\",lane=\"L2\",admission=\"admit\",error=\"none\"} 1",
            "healthcode_lane_verifications_total{checkpoint=\"LWS\",lane=\"L2\",admission=\"refuse\",error=\"revoked\"} 1",
            "healthcode_verification_duration_seconds_bucket{checkpoint=\"LWS\",lane=\"L2\",le=\"0.001\"} 1",
            "healthcode_verification_duration_seconds_bucket{checkpoint=\"LWS\",lane=\"L2\",le=\"0.025\"} 1",
            "healthcode_verification_duration_seconds_bucket{checkpoint=\"LWS\",lane=\"L2\",le=\"0.05\"} 2",
            "healthcode_verification_duration_seconds_bucket{checkpoint=\"LWS\",lane=\"L2\",le=\"+Inf\"} 2",
            "healthcode_verification_duration_seconds_count{checkpoint=\"LWS\",lane=\"L2\"} 2",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        let sum: f64 = text
            .lines()
            .find_map(|l| {
                l.strip_prefix(
                    "healthcode_verification_duration_seconds_sum{checkpoint=\"LWS\",lane=\"L2\"} ",
                )
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or_default();
        assert!((sum - 0.0307).abs() < 1e-9, "{sum}");
    }
}

//! Counters for `/metrics`, in the Prometheus text format.

use std::{
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
};

/// Monotonic counters (relaxed atomics: exactness across threads is not needed).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Verifications answered valid.
    pub valid: AtomicU64,
    /// Verifications answered not valid.
    pub invalid: AtomicU64,
    /// Admissions decided (with a policy): admit, secondary, refuse.
    pub admissions: [AtomicU64; 3],
    /// Requests refused as bad (4xx).
    pub bad_requests: AtomicU64,
    /// Full revocation resyncs done.
    pub resyncs: AtomicU64,
    /// Revocations received by pub/sub.
    pub published: AtomicU64,
    /// Redis connection failures.
    pub redis_errors: AtomicU64,
    /// Times Redis was found without the generation synced against (it lost its data).
    pub generation_lost: AtomicU64,
}

/// Adds one to `counter`.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The gauges of one `/metrics` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gauges {
    /// Revocations held in memory.
    pub revocations: usize,
    /// Age of the revocation data, if any was ever received.
    pub staleness_seconds: Option<i64>,
    /// Whether Redis answers.
    pub connected: bool,
    /// Sequence number of the trust list in use.
    pub trust_seq: u64,
    /// Whether that list has expired.
    pub trust_expired: bool,
    /// Whether the service is ready to answer travellers.
    pub ready: bool,
}

impl Metrics {
    /// The Prometheus text of the counters and `gauges`.
    pub fn render(&self, gauges: &Gauges) -> String {
        let Gauges {
            revocations,
            staleness_seconds,
            connected,
            trust_seq,
            trust_expired,
            ready,
        } = *gauges;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, lines: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in lines {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        metric(
            "healthcode_verifications_total",
            "counter",
            "Verifications answered, by result.",
            &[
                ("{result=\"valid\"}".into(), get(&self.valid)),
                ("{result=\"invalid\"}".into(), get(&self.invalid)),
            ],
        );
        metric(
            "healthcode_admissions_total",
            "counter",
            "Admissions decided by the checkpoint's policy, by decision.",
            &[
                ("{decision=\"admit\"}".into(), get(&self.admissions[0])),
                ("{decision=\"secondary\"}".into(), get(&self.admissions[1])),
                ("{decision=\"refuse\"}".into(), get(&self.admissions[2])),
            ],
        );
        metric(
            "healthcode_bad_requests_total",
            "counter",
            "Requests refused as malformed.",
            &[(String::new(), get(&self.bad_requests))],
        );
        metric(
            "healthcode_revocation_resyncs_total",
            "counter",
            "Full revocation resyncs from Redis.",
            &[(String::new(), get(&self.resyncs))],
        );
        metric(
            "healthcode_revocations_published_total",
            "counter",
            "Revocations received by pub/sub.",
            &[(String::new(), get(&self.published))],
        );
        metric(
            "healthcode_redis_errors_total",
            "counter",
            "Redis connection or command failures.",
            &[(String::new(), get(&self.redis_errors))],
        );
        metric(
            "healthcode_revocation_generation_lost_total",
            "counter",
            "Times Redis was found without the revocation generation synced against.",
            &[(String::new(), get(&self.generation_lost))],
        );
        metric(
            "healthcode_revocations_held",
            "gauge",
            "Revocations held in memory.",
            &[(String::new(), revocations as u64)],
        );
        metric(
            "healthcode_redis_connected",
            "gauge",
            "1 when Redis answers.",
            &[(String::new(), u64::from(connected))],
        );
        metric(
            "healthcode_trust_list_seq",
            "gauge",
            "Sequence number of the trust list in use.",
            &[(String::new(), trust_seq)],
        );
        metric(
            "healthcode_trust_list_expired",
            "gauge",
            "1 when the trust list has expired: every answer is trust_list_expired.",
            &[(String::new(), u64::from(trust_expired))],
        );
        metric(
            "healthcode_ready",
            "gauge",
            "1 when the service can answer travellers (synced, trust list current).",
            &[(String::new(), u64::from(ready))],
        );
        if let Some(seconds) = staleness_seconds {
            metric(
                "healthcode_revocation_staleness_seconds",
                "gauge",
                "Age of the revocation data.",
                &[(String::new(), seconds.max(0) as u64)],
            );
        }
        out
    }
}

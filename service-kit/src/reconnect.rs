//! Reconnecting to a server that went away: exponential backoff between
//! tries, reset once a connection works, and a warning that is said once and
//! then every so often rather than at every try.

use std::time::Duration;

use tokio::time::Instant;

/// Lets a repeated warning through at most once every `every`: a Redis that
/// stays down is retried every second, but said once, then every half minute.
#[derive(Debug)]
pub struct LogLimit {
    every: Duration,
    last: Option<Instant>,
}

impl LogLimit {
    /// A limit of one every `every`.
    pub fn new(every: Duration) -> Self {
        LogLimit { every, last: None }
    }

    /// True for the first call, and then once `every` has passed since the last true.
    pub fn ready(&mut self) -> bool {
        let now = Instant::now();
        let ready = self.last.is_none_or(|last| now - last >= self.every);
        if ready {
            self.last = Some(now);
        }
        ready
    }

    /// Starts again: the next call is ready (after a recovery, say).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// How often a server that stays down is mentioned in the log.
pub const WARN_EVERY: Duration = Duration::from_secs(30);

/// The state of a reconnect loop: the next wait and the warning limit.
///
/// A loop calls [`Reconnect::connected`] whenever its connection has done
/// useful work; when it breaks, [`Reconnect::failed`] says whether to warn,
/// and [`Reconnect::pause`] waits before the next try.
#[derive(Debug)]
pub struct Reconnect {
    first: Duration,
    max: Duration,
    wait: Duration,
    warnings: LogLimit,
}

impl Reconnect {
    /// Waits of `first`, doubling to at most `max`, between tries.
    pub fn new(first: Duration, max: Duration) -> Self {
        Reconnect {
            first,
            max,
            wait: first,
            warnings: LogLimit::new(WARN_EVERY),
        }
    }

    /// The connection works: the next failure is news, and is retried soon.
    pub fn connected(&mut self) {
        self.wait = self.first;
        self.warnings.reset();
    }

    /// The connection broke: true when a warning is due.
    pub fn failed(&mut self) -> bool {
        self.warnings.ready()
    }

    /// Waits before the next try, and doubles the next wait.
    pub async fn pause(&mut self) {
        tokio::time::sleep(self.wait).await;
        self.wait = (self.wait * 2).min(self.max);
    }

    /// The wait before the next try.
    pub fn next_wait(&self) -> Duration {
        self.wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_passes_once_then_after_its_interval_or_a_reset() {
        let mut hourly = LogLimit::new(Duration::from_secs(3600));
        assert!(hourly.ready());
        assert!(!hourly.ready(), "not again within the hour");
        hourly.reset();
        assert!(hourly.ready(), "news after a reset");
        let mut always = LogLimit::new(Duration::ZERO);
        assert!(always.ready() && always.ready());
    }

    #[tokio::test(start_paused = true)]
    async fn waits_double_to_the_maximum_and_reset_once_connected() {
        let mut reconnect = Reconnect::new(Duration::from_millis(100), Duration::from_millis(500));
        let mut warned = 0;
        for expected in [100, 200, 400, 500, 500] {
            assert_eq!(reconnect.next_wait(), Duration::from_millis(expected));
            warned += usize::from(reconnect.failed());
            reconnect.pause().await;
        }
        assert_eq!(warned, 1, "said once while it stays down");
        reconnect.connected();
        assert_eq!(reconnect.next_wait(), Duration::from_millis(100));
        assert!(reconnect.failed(), "a failure after a recovery is news");
    }
}

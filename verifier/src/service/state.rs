//! What the service holds: the checker, the revocation set and how fresh it is.

use std::sync::{Arc, RwLock};

use healthcode_keys::TokenId;
use time::{Duration, OffsetDateTime};

use crate::{
    Checker,
    revocation::{Revocation, RevocationSet, SignedSnapshot},
    service::metrics::Metrics,
};

/// What to answer for a valid code when the revocation data is too old.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WhenStale {
    /// Answer `revocation_unavailable`: send the holder to secondary inspection.
    Reject,
    /// Answer valid, reporting the staleness (an operator's knowing choice).
    Accept,
}

/// Where revocations come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationSource {
    /// The in-process set is the only source: always current.
    Embedded,
    /// Redis; current as of the last successful sync or heartbeat.
    Redis,
}

/// The service's settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How old revocation data may be before answers change.
    pub stale_after: Duration,
    /// What to do past that.
    pub when_stale: WhenStale,
    /// Where revocations come from.
    pub source: RevocationSource,
}

/// Revocations held in memory, and the instant they were last known current.
#[derive(Debug, Default)]
pub struct Revocations {
    /// The set (additive; pruned only of expired codes).
    pub set: RevocationSet,
    /// When the data was last confirmed current; `None` before the first sync.
    pub as_of: Option<OffsetDateTime>,
    /// Whether Redis answers now (always true without Redis).
    pub connected: bool,
    /// The newest issuer-signed snapshot seen (verified), for offline scanners.
    pub snapshot: Option<SignedSnapshot>,
}

impl Revocations {
    /// Keeps `snapshot` if it is at least as new as the one held.
    pub fn keep_newest_snapshot(&mut self, snapshot: SignedSnapshot) {
        let newer = self
            .snapshot
            .as_ref()
            .is_none_or(|held| held.snapshot.issued_at <= snapshot.snapshot.issued_at);
        if newer {
            self.snapshot = Some(snapshot);
        }
    }
}

/// The one state behind every handler.
#[derive(Debug)]
pub struct AppState {
    checker: RwLock<Arc<Checker>>,
    revocations: RwLock<Revocations>,
    /// Settings.
    pub settings: Settings,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    clock: fn() -> OffsetDateTime,
}

/// What the revocation data says of one code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationAnswer {
    /// The revocation, if the code is revoked.
    pub revoked: Option<Revocation>,
    /// When the data was last known current.
    pub as_of: Option<OffsetDateTime>,
    /// True when the data is older than `stale_after` (or was never synced).
    pub stale: bool,
}

impl AppState {
    /// State over `checker`; `clock` gives the current instant (tests fix it).
    pub fn new(checker: Checker, settings: Settings, clock: fn() -> OffsetDateTime) -> Self {
        AppState {
            checker: RwLock::new(Arc::new(checker)),
            revocations: RwLock::new(Revocations::default()),
            settings,
            metrics: Metrics::default(),
            clock,
        }
    }

    /// The current instant.
    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// The checker in use (a new trust list swaps it without blocking requests).
    pub fn checker(&self) -> Arc<Checker> {
        // A poisoned lock only means a panic elsewhere mid-swap; the Arc inside is whole.
        self.checker
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the checker (after a trust list reload).
    pub fn set_checker(&self, checker: Checker) {
        *self.checker.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(checker);
    }

    /// Runs `change` on the revocations.
    pub fn with_revocations<T>(&self, change: impl FnOnce(&mut Revocations) -> T) -> T {
        change(&mut self.revocations.write().unwrap_or_else(|e| e.into_inner()))
    }

    /// What the revocation data says of `token_id` now.
    pub fn revocation_of(&self, token_id: &TokenId) -> RevocationAnswer {
        let now = self.now();
        let held = self.revocations.read().unwrap_or_else(|e| e.into_inner());
        let as_of = match self.settings.source {
            RevocationSource::Embedded => Some(now),
            RevocationSource::Redis => held.as_of,
        };
        let stale = as_of.is_none_or(|as_of| now - as_of > self.settings.stale_after);
        RevocationAnswer {
            revoked: held.set.get(token_id).cloned(),
            as_of,
            stale,
        }
    }

    /// A snapshot of the counts `/metrics` and `/healthz` show.
    pub fn revocation_summary(&self) -> (usize, Option<OffsetDateTime>, bool) {
        let held = self.revocations.read().unwrap_or_else(|e| e.into_inner());
        match self.settings.source {
            RevocationSource::Embedded => (held.set.len(), Some(self.now()), true),
            RevocationSource::Redis => (held.set.len(), held.as_of, held.connected),
        }
    }
}

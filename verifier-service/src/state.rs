//! What the service holds: the checker, the revocation set and how fresh it is.

use std::sync::{Arc, RwLock};

use healthcode_keys::{TokenId, revocation::SignedSnapshot};
use healthcode_verifier::{
    Checker, Verdict,
    admission::Policy,
    revocation::{self, Held, Lookup, RevocationSet, StalenessPolicy},
};
use time::OffsetDateTime;

use crate::{
    lanes::{LaneBook, PlaceLabel},
    metrics::Metrics,
};

/// The checkpoint id of a service started without `--checkpoint`.
pub const UNNAMED_CHECKPOINT: &str = "unnamed";

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
    /// How old revocation data may be, and what happens past that.
    pub staleness: StalenessPolicy,
    /// Where revocations come from.
    pub source: RevocationSource,
    /// Photos decoded at once; the others wait their turn (briefly).
    pub image_decoders: usize,
}

impl Settings {
    /// Photos decoded at once by default: one core fewer than the machine
    /// has (at least one), so that token requests always find a core.
    pub fn default_image_decoders() -> usize {
        std::thread::available_parallelism()
            .map_or(1, |cores| cores.get().saturating_sub(1))
            .max(1)
    }
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
    /// The newest filtered snapshot seen (verified): when it was made, and
    /// its bytes as the issuer signed them.
    pub filtered: Option<(OffsetDateTime, axum::body::Bytes)>,
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

    /// Keeps the filtered snapshot `bytes`, made at `made`, if it is at
    /// least as new as the one held.
    pub fn keep_newest_filtered(&mut self, made: OffsetDateTime, bytes: Vec<u8>) {
        if self.filtered.as_ref().is_none_or(|(held, _)| *held <= made) {
            self.filtered = Some((made, bytes.into()));
        }
    }
}

/// Why a verifier is not ready to answer travellers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotReady {
    /// No revocation data has been received from Redis yet.
    RevocationsNotSynced,
    /// The trust list has expired: every answer would be `trust_list_expired`.
    TrustListExpired,
}

/// How many revocations are held, since when they are current, and whether
/// Redis answers: what `/healthz` and `/metrics` show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationSummary {
    /// Revocations held.
    pub held: usize,
    /// When they were last known current.
    pub as_of: Option<OffsetDateTime>,
    /// Whether Redis answers (always true without Redis).
    pub connected: bool,
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
    /// Permits to decode a photo: decoding is CPU work without await points.
    pub decoders: Arc<tokio::sync::Semaphore>,
    /// Permits to check a presented document (one Argon2id evaluation, 16
    /// MiB): as many as the machine has cores, and apart from the photos, so
    /// that an officer's check never queues behind a slow photo.
    pub identity_checks: Arc<tokio::sync::Semaphore>,
    /// The checkpoint's admission policy, when one was given.
    pub policy: Option<Policy>,
    /// The checkpoint's id and what each of its lanes did.
    pub lanes: LaneBook,
    clock: fn() -> OffsetDateTime,
}

impl AppState {
    /// State over `checker`; `clock` gives the current instant (tests fix it).
    pub fn new(checker: Checker, settings: Settings, clock: fn() -> OffsetDateTime) -> Self {
        AppState {
            checker: RwLock::new(Arc::new(checker)),
            revocations: RwLock::new(Revocations::default()),
            settings,
            metrics: Metrics::default(),
            decoders: Arc::new(tokio::sync::Semaphore::new(settings.image_decoders.max(1))),
            identity_checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |cores| cores.get()),
            )),
            policy: None,
            lanes: LaneBook::new(
                UNNAMED_CHECKPOINT
                    .parse()
                    .unwrap_or_else(|_| unreachable!("a plain id")),
            ),
            clock,
        }
    }

    /// The same state deciding admissions by `policy`.
    pub fn with_policy(mut self, policy: Option<Policy>) -> Self {
        self.policy = policy;
        self
    }

    /// The same state for the checkpoint `id`.
    pub fn with_checkpoint(mut self, id: PlaceLabel) -> Self {
        self.lanes = LaneBook::new(id);
        self
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

    /// Replaces the checker with `change` of the one in use, under the lock,
    /// so that two reloads at once (trust list and day keys, on one SIGHUP)
    /// cannot undo each other. `change` may refuse; the checker then stays.
    pub fn update_checker<E>(
        &self,
        change: impl FnOnce(&Checker) -> Result<Checker, E>,
    ) -> Result<(), E> {
        let mut held = self.checker.write().unwrap_or_else(|e| e.into_inner());
        *held = Arc::new(change(&held)?);
        Ok(())
    }

    /// Runs `change` on the revocations.
    pub fn with_revocations<T>(&self, change: impl FnOnce(&mut Revocations) -> T) -> T {
        change(&mut self.revocations.write().unwrap_or_else(|e| e.into_inner()))
    }

    /// The held revocations as of `now`: always current when embedded.
    fn with_held<T>(&self, now: OffsetDateTime, read: impl FnOnce(Held<'_>) -> T) -> T {
        let held = self.revocations.read().unwrap_or_else(|e| e.into_inner());
        let as_of = match self.settings.source {
            RevocationSource::Embedded => Some(now),
            RevocationSource::Redis => held.as_of,
        };
        read(Held {
            set: &held.set,
            filter: None,
            as_of,
        })
    }

    /// `verdict` after the revocation data and the staleness policy have had their say.
    pub fn apply_revocations(&self, verdict: Verdict) -> Verdict {
        let now = self.now();
        self.with_held(now, |held| {
            revocation::apply(verdict, Some(held), &self.settings.staleness, now)
        })
    }

    /// What the revocation data says of `token_id` now.
    pub fn revocation_of(&self, token_id: &TokenId) -> Lookup {
        let now = self.now();
        self.with_held(now, |held| {
            held.lookup(token_id, &self.settings.staleness, now)
        })
    }

    /// Why the service cannot be trusted to answer now, if it cannot: no
    /// revocation data yet, or an expired trust list. Empty when ready.
    pub fn not_ready_because(&self) -> Vec<NotReady> {
        let mut reasons = Vec::new();
        if self.revocation_summary().as_of.is_none() {
            reasons.push(NotReady::RevocationsNotSynced);
        }
        if self.checker().trust_expired(self.now()) {
            reasons.push(NotReady::TrustListExpired);
        }
        reasons
    }

    /// The counts `/metrics` and `/healthz` show.
    pub fn revocation_summary(&self) -> RevocationSummary {
        let held = self.revocations.read().unwrap_or_else(|e| e.into_inner());
        match self.settings.source {
            RevocationSource::Embedded => RevocationSummary {
                held: held.set.len(),
                as_of: Some(self.now()),
                connected: true,
            },
            RevocationSource::Redis => RevocationSummary {
                held: held.set.len(),
                as_of: held.as_of,
                connected: held.connected,
            },
        }
    }
}

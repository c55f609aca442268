//! What every handler shares: the store, the rate limiters, the clock.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::client::{TrustedProxies, limit_key};
use crate::{
    Error,
    codes::{convert::ConversionDesk, signer::Signer},
    store::{Store, notify::Work},
};

/// Requests per minute allowed from one client address, per kind of request.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Registrations.
    pub register_per_minute: NonZeroU32,
    /// Logins.
    pub login_per_minute: NonZeroU32,
    /// PIN activations, resends and post-office checks.
    pub pin_per_minute: NonZeroU32,
}

impl Default for RateLimits {
    fn default() -> Self {
        let n = |v| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        RateLimits {
            register_per_minute: n(10),
            login_per_minute: n(20),
            pin_per_minute: n(20),
        }
    }
}

/// Failed tries of one document from one client before each further try
/// must wait; the wait then doubles with each failure, up to [`MAX_BACKOFF`].
const FREE_FAILURES: u32 = 3;

/// The longest wait between two tries of one document from one client.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

/// The most (client, document) pairs remembered; past it, expired ones are
/// forgotten first.
const MAX_BACKOFF_ENTRIES: usize = 200_000;

/// Failed PIN and password tries, by client and document: the client that
/// fails waits longer and longer, and nobody else does, so an attacker can
/// slow only themselves and never lock a holder out. Kept in memory, or in
/// the database when several instances share it.
#[derive(Debug, Default)]
pub struct Backoff {
    entries:
        std::sync::Mutex<std::collections::HashMap<(IpAddr, String), (u32, std::time::Instant)>>,
    shared: Option<Store>,
}

/// How long the `failures`th failure makes the next try wait: nothing for
/// the first [`FREE_FAILURES`], then 1 s, 2 s, 4 s ... up to [`MAX_BACKOFF`].
fn backoff_wait(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_FAILURES)?;
    Some(Duration::from_secs(1u64 << over.min(20)).min(MAX_BACKOFF))
}

impl Backoff {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<(IpAddr, String), (u32, std::time::Instant)>,
    > {
        // A poisoned lock only means a panic elsewhere; the counts are whole.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The shared key of (client, document): a blind index, no address stored.
    fn shared_key(store: &Store, client: IpAddr, document: &str) -> String {
        store
            .key()
            .blind_index("backoff", &format!("{}\u{0}{document}", limit_key(client)))
    }

    /// Refuses a try of `document` from `client` that comes before its wait is over.
    ///
    /// # Errors
    /// [`Error::RateLimited`] with the rest of the wait; [`Error::Db`].
    pub async fn check(&self, client: IpAddr, document: &str) -> Result<(), Error> {
        if let Some(store) = &self.shared {
            let now = OffsetDateTime::now_utc().unix_timestamp();
            let key = Backoff::shared_key(store, client, document);
            return match store.backoff_until(&key).await? {
                Some(not_before) if not_before > now => Err(Error::RateLimited {
                    retry_after_seconds: (not_before - now).max(1) as u64,
                }),
                _ => Ok(()),
            };
        }
        let key = (limit_key(client), document.to_owned());
        let now = std::time::Instant::now();
        match self.lock().get(&key) {
            Some((_, not_before)) if *not_before > now => Err(Error::RateLimited {
                retry_after_seconds: (*not_before - now).as_secs().max(1),
            }),
            _ => Ok(()),
        }
    }

    /// Counts a failed try; from the [`FREE_FAILURES`]th on, the next waits
    /// 1 s, 2 s, 4 s ... up to [`MAX_BACKOFF`].
    pub async fn failed(&self, client: IpAddr, document: &str) {
        if let Some(store) = &self.shared {
            let key = Backoff::shared_key(store, client, document);
            let now = OffsetDateTime::now_utc().unix_timestamp();
            let wait = |failures: i64| {
                backoff_wait(u32::try_from(failures).unwrap_or(u32::MAX))
                    .map_or(0, |w| w.as_secs() as i64)
            };
            if let Err(e) = store.record_backoff_failure(&key, now, wait).await {
                tracing::warn!(error = %e, "a failed try could not be counted");
            }
            return;
        }
        let now = std::time::Instant::now();
        let mut entries = self.lock();
        if entries.len() >= MAX_BACKOFF_ENTRIES {
            entries.retain(|_, (_, not_before)| *not_before + MAX_BACKOFF > now);
        }
        if entries.len() >= MAX_BACKOFF_ENTRIES {
            return;
        }
        let entry = entries
            .entry((limit_key(client), document.to_owned()))
            .or_insert((0, now));
        entry.0 += 1;
        if let Some(wait) = backoff_wait(entry.0) {
            entry.1 = now + wait;
        }
    }

    /// Forgets the failures of a client that got it right.
    pub async fn succeeded(&self, client: IpAddr, document: &str) {
        if let Some(store) = &self.shared {
            let key = Backoff::shared_key(store, client, document);
            if let Err(e) = store.clear_backoff(&key).await {
                tracing::warn!(error = %e, "a back-off could not be cleared");
            }
            return;
        }
        self.lock()
            .remove(&(limit_key(client), document.to_owned()));
    }

    fn forget_idle(&self) {
        let now = std::time::Instant::now();
        self.lock()
            .retain(|_, (_, not_before)| *not_before + MAX_BACKOFF > now);
    }
}

/// The rate limiters: in memory, each instance limiting what it sees (one
/// SQLite process), or in the database, counted together by every
/// instance on it (PostgreSQL).
#[derive(Debug)]
pub struct Limiters {
    register: DefaultKeyedRateLimiter<IpAddr>,
    login: DefaultKeyedRateLimiter<IpAddr>,
    pin: DefaultKeyedRateLimiter<IpAddr>,
    limits: RateLimits,
    shared: Option<Store>,
    /// Failed PIN and password tries, by client and document.
    pub backoff: Backoff,
}

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    /// Registrations per address.
    Register,
    /// Logins per address.
    Login,
    /// PIN tries per address.
    Pin,
}

impl Limit {
    fn name(self) -> &'static str {
        match self {
            Limit::Register => "register",
            Limit::Login => "login",
            Limit::Pin => "pin",
        }
    }
}

impl Limiters {
    /// Limiters in memory, or shared through `shared`'s database.
    pub fn new(limits: RateLimits, shared: Option<Store>) -> Self {
        Limiters {
            register: RateLimiter::keyed(Quota::per_minute(limits.register_per_minute)),
            login: RateLimiter::keyed(Quota::per_minute(limits.login_per_minute)),
            pin: RateLimiter::keyed(Quota::per_minute(limits.pin_per_minute)),
            limits,
            backoff: Backoff {
                shared: shared.clone(),
                ..Backoff::default()
            },
            shared,
        }
    }

    /// Counts one request from `ip` against `limit`.
    ///
    /// # Errors
    /// [`Error::RateLimited`] with the wait; [`Error::Db`].
    pub async fn check(&self, limit: Limit, ip: IpAddr) -> Result<(), Error> {
        let (limiter, per_minute) = match limit {
            Limit::Register => (&self.register, self.limits.register_per_minute),
            Limit::Login => (&self.login, self.limits.login_per_minute),
            Limit::Pin => (&self.pin, self.limits.pin_per_minute),
        };
        let Some(store) = &self.shared else {
            return limiter.check_key(&limit_key(ip)).map_err(rate_limited);
        };
        // Fixed minutes: at most the limit in each, counted by every instance.
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let window_start = now - now.rem_euclid(60);
        let key = store
            .key()
            .blind_index("rate", &format!("{}\u{0}{}", limit.name(), limit_key(ip)));
        let hits = store.count_request(&key, window_start).await?;
        if hits > i64::from(per_minute.get()) {
            return Err(Error::RateLimited {
                retry_after_seconds: (window_start + 60 - now).max(1) as u64,
            });
        }
        Ok(())
    }

    /// Forgets keys that are back to full allowance, so memory (or the
    /// shared tables) stay bounded.
    pub async fn forget_idle(&self) {
        self.register.retain_recent();
        self.login.retain_recent();
        self.pin.retain_recent();
        self.backoff.forget_idle();
        if let Some(store) = &self.shared {
            let now = OffsetDateTime::now_utc().unix_timestamp();
            let idle = now - MAX_BACKOFF.as_secs() as i64;
            if let Err(e) = store.forget_rate_counts(now - 120, idle).await {
                tracing::warn!(error = %e, "old rate counts could not be forgotten");
            }
        }
    }
}

fn rate_limited(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> Error {
    use governor::clock::{Clock as _, DefaultClock};
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    Error::RateLimited {
        retry_after_seconds: wait.as_secs().max(1),
    }
}

/// Wake-ups for the background workers, so that work done by a request is
/// taken up at once rather than at the next poll.
#[derive(Debug, Default)]
pub struct Wake {
    /// Feed records were stored: re-evaluations are due.
    pub reevaluate: Notify,
    /// Revocations were recorded: deliver them to Redis.
    pub deliver: Notify,
    /// SMS messages were queued.
    pub sms: Notify,
}

impl Wake {
    /// Wakes the worker of `work`.
    pub fn to(&self, work: Work) {
        match work {
            Work::Reevaluate => self.reevaluate.notify_one(),
            Work::Deliver => self.deliver.notify_one(),
            Work::Sms => self.sms.notify_one(),
        }
    }

    /// Wakes every worker, to look for work it may not have heard of.
    pub fn everyone(&self) {
        for work in Work::ALL {
            self.to(*work);
        }
    }
}

/// How delivery to Redis stands, for `/healthz`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliveryStatus {
    /// Whether Redis answered the last round.
    pub connected: bool,
    /// When the last round completed.
    pub last_round: Option<OffsetDateTime>,
}

/// How the service meets its clients, set by `issuer serve`'s flags.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Rate limits.
    pub limits: RateLimits,
    /// Whether the session cookie is marked `Secure` (off only for plain-HTTP development).
    pub secure_cookies: bool,
    /// The proxies whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// The conversion key and partners' keys; without them, no conversions.
    pub conversions: Option<Arc<ConversionDesk>>,
}

impl Default for Settings {
    /// Default limits, `Secure` cookies, no proxy trusted, no conversions.
    fn default() -> Self {
        Settings {
            limits: RateLimits::default(),
            secure_cookies: true,
            trusted_proxies: TrustedProxies::default(),
            conversions: None,
        }
    }
}

/// The one state behind every handler.
#[derive(Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Rate limits.
    pub limiters: Limiters,
    /// Whether the session cookie is marked `Secure` (off only for plain-HTTP development).
    pub secure_cookies: bool,
    /// The proxies whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// The signing key; without one, applications for codes are refused.
    pub signer: Option<Signer>,
    /// The conversion key and partners' keys; without them, conversions are refused.
    pub conversions: Option<Arc<ConversionDesk>>,
    /// Wake-ups for the workers.
    pub wake: Wake,
    /// Delivery to Redis, when configured.
    pub delivery: std::sync::Mutex<DeliveryStatus>,
    /// The fonts of printable codes, loaded at the first print (40 MB
    /// read once); `None` when they cannot be (printing then answers 503).
    pdf_fonts: std::sync::OnceLock<Option<crate::pdf::PdfFonts>>,
    clock: fn() -> OffsetDateTime,
}

impl AppState {
    /// State over `store`, signing codes with `signer` if given; `clock`
    /// gives the current instant (tests may fix it).
    pub fn new(
        store: Store,
        settings: Settings,
        signer: Option<Signer>,
        clock: fn() -> OffsetDateTime,
    ) -> Arc<Self> {
        Arc::new(AppState {
            limiters: Limiters::new(
                settings.limits,
                (store.engine() == crate::store::Engine::Postgres).then(|| store.clone()),
            ),
            store,
            secure_cookies: settings.secure_cookies,
            trusted_proxies: settings.trusted_proxies,
            signer,
            conversions: settings.conversions,
            wake: Wake::default(),
            delivery: std::sync::Mutex::default(),
            pdf_fonts: std::sync::OnceLock::new(),
            clock,
        })
    }

    /// How delivery to Redis stands.
    pub fn delivery_status(&self) -> DeliveryStatus {
        // A poisoned lock only means a panic elsewhere; the status inside is whole.
        *self.delivery.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records how a delivery round ended.
    pub fn set_delivery_status(&self, status: DeliveryStatus) {
        *self.delivery.lock().unwrap_or_else(|e| e.into_inner()) = status;
    }

    /// The fonts printable documents are set in (Debian's Noto Sans CJK).
    ///
    /// # Errors
    /// [`super::AppError::PrintingUnavailable`] when they cannot be loaded
    /// (logged once, with the reason).
    pub fn pdf_fonts(&self) -> Result<&crate::pdf::PdfFonts, super::AppError> {
        self.pdf_fonts
            .get_or_init(|| match crate::pdf::PdfFonts::debian() {
                Ok(fonts) => Some(fonts),
                Err(error) => {
                    tracing::error!(%error, "printing is unavailable: install fonts-noto-cjk");
                    None
                }
            })
            .as_ref()
            .ok_or(super::AppError::PrintingUnavailable)
    }

    /// The current instant.
    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }
}

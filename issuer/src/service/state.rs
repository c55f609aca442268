//! What every handler shares: the store, the rate limiters, the clock.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::client::{TrustedProxies, limit_key};
use crate::{
    Error,
    codes::{convert::ConversionDesk, signer::Signer},
    store::Store,
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
/// slow only themselves and never lock a holder out.
#[derive(Debug, Default)]
pub struct Backoff {
    entries:
        std::sync::Mutex<std::collections::HashMap<(IpAddr, String), (u32, std::time::Instant)>>,
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

    /// Refuses a try of `document` from `client` that comes before its wait is over.
    ///
    /// # Errors
    /// [`Error::RateLimited`] with the rest of the wait.
    pub fn check(&self, client: IpAddr, document: &str) -> Result<(), Error> {
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
    pub fn failed(&self, client: IpAddr, document: &str) {
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
        if let Some(over) = entry.0.checked_sub(FREE_FAILURES) {
            let wait = Duration::from_secs(1u64 << over.min(20)).min(MAX_BACKOFF);
            entry.1 = now + wait;
        }
    }

    /// Forgets the failures of a client that got it right.
    pub fn succeeded(&self, client: IpAddr, document: &str) {
        self.lock()
            .remove(&(limit_key(client), document.to_owned()));
    }

    fn forget_idle(&self) {
        let now = std::time::Instant::now();
        self.lock()
            .retain(|_, (_, not_before)| *not_before + MAX_BACKOFF > now);
    }
}

/// The rate limiters (in memory: each instance limits what it sees).
#[derive(Debug)]
pub struct Limiters {
    register: DefaultKeyedRateLimiter<IpAddr>,
    login: DefaultKeyedRateLimiter<IpAddr>,
    pin: DefaultKeyedRateLimiter<IpAddr>,
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

impl Limiters {
    fn new(limits: RateLimits) -> Self {
        Limiters {
            register: RateLimiter::keyed(Quota::per_minute(limits.register_per_minute)),
            login: RateLimiter::keyed(Quota::per_minute(limits.login_per_minute)),
            pin: RateLimiter::keyed(Quota::per_minute(limits.pin_per_minute)),
            backoff: Backoff::default(),
        }
    }

    /// Counts one request from `ip` against `limit`.
    ///
    /// # Errors
    /// [`Error::RateLimited`] with the wait.
    pub fn check(&self, limit: Limit, ip: IpAddr) -> Result<(), Error> {
        let limiter = match limit {
            Limit::Register => &self.register,
            Limit::Login => &self.login,
            Limit::Pin => &self.pin,
        };
        limiter.check_key(&limit_key(ip)).map_err(rate_limited)
    }

    /// Forgets keys that are back to full allowance, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.register.retain_recent();
        self.login.retain_recent();
        self.pin.retain_recent();
        self.backoff.forget_idle();
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
            store,
            limiters: Limiters::new(settings.limits),
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

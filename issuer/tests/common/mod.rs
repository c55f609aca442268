//! What the hostile-input tests share: the real router over a real SQLite
//! file in a temporary folder, with rate limits out of the way and a fixed clock.

use std::{num::NonZeroU32, sync::Arc};

use axum::Router;
use healthcode_issuer::{
    service::{
        AppState, app,
        state::{RateLimits, Settings},
    },
    store::Store,
};
use time::{OffsetDateTime, macros::datetime};

/// The clock of every request.
pub const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

/// A runtime, a new store in a temporary folder, and the router over it.
pub struct Service {
    /// Runs the requests.
    pub runtime: tokio::runtime::Runtime,
    /// The router.
    pub router: Router,
    /// The store behind it.
    pub store: Store,
    /// Removed on drop.
    pub _dir: tempfile::TempDir,
}

/// Opens a new [`Service`].
pub fn service() -> Service {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = runtime
        .block_on(Store::open(dir.path(), None))
        .unwrap_or_else(|e| panic!("{e}"));
    let many = NonZeroU32::new(u32::MAX).unwrap_or(NonZeroU32::MIN);
    let limits = RateLimits {
        register_per_minute: many,
        login_per_minute: many,
        pin_per_minute: many,
    };
    let settings = Settings {
        limits,
        ..Settings::default()
    };
    let state: Arc<AppState> = AppState::new(store.clone(), settings, None, || NOW);
    Service {
        runtime,
        router: app(state),
        store,
        _dir: dir,
    }
}

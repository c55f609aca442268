//! What the issuer service and the checkpoint verifier service share, and
//! nothing the offline scanner needs: the Redis channel that carries
//! revocations, reconnecting with backoff, graceful shutdown, reloading a
//! file when it changes, rate-limited warnings and the tracing set-up.
//!
//! # Layout
//! - [`http`]: serving a router with header-read timeouts, a connection limit and keep-alive limits.
//! - [`redis`]: revocations in Redis: key and channel names, store, publish, subscribe.
//! - [`sentinel`]: finding the Redis master through Sentinel, and noticing a failover.
//! - [`reconnect`]: backoff between reconnects and warnings that do not flood the log.
//! - [`signals`]: graceful shutdown on Ctrl-C or SIGTERM; reloads on SIGHUP or a file change.
//! - `logging` (feature `logging`): the tracing subscriber every service binary installs.
//! - `messages` (feature `pages`): a page's Fluent messages in either language.
//! - [`Error`]: this crate's one error type.

mod error;
pub mod http;
#[cfg(feature = "logging")]
pub mod logging;
#[cfg(feature = "pages")]
pub mod messages;
pub mod reconnect;
pub mod redis;
pub mod sentinel;
pub mod signals;

pub use error::Error;

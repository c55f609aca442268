//! The tracing set-up of every service binary: to stderr, at the level
//! `RUST_LOG` asks for, `info` by default.

use std::io::IsTerminal as _;

/// Installs the subscriber; call once, first thing in `main`. Colours only
/// on a terminal: a log file or journal gets plain `key="value"` fields.
pub fn init() {
    tracing_subscriber::fmt()
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

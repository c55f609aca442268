//! The one error type of the service kit.

/// What can go wrong talking to Redis.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Connecting to Redis or a command failed.
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    /// A Redis URL or setting that cannot be used.
    #[error("{0}")]
    Config(String),
    /// No Sentinel named a server that answers as the master.
    #[error("no Sentinel named a reachable master for {name:?} ({answers})")]
    NoMaster {
        /// The master's name.
        name: String,
        /// What each Sentinel answered.
        answers: String,
    },
    /// Sentinel moved the master: connect again to reach the new one.
    #[error("the redis master moved (a failover)")]
    MasterMoved,
    /// The subscription to Redis ended.
    #[error("redis closed the subscription")]
    SubscriptionClosed,
    /// An entry in Redis is not a revocation or snapshot of ours.
    #[error("corrupt {what} in redis: {source}")]
    Corrupt {
        /// `revocation` or `revocation snapshot`.
        what: &'static str,
        /// Why it does not parse.
        #[source]
        source: healthcode_keys::Error,
    },
}

//! Finding the Redis master through Sentinel, and noticing when it moves.
//!
//! A URL `redis+sentinel://[user:password@]host:port[,host:port...]/master[/db]`
//! (or `rediss+sentinel://` for TLS to the data nodes) names the Sentinels
//! and the master's name. Each connection asks the Sentinels in turn for the
//! master's address, then asks that server whether it is a master (a
//! Sentinel that has not yet seen a failover may name a demoted one). The
//! credentials and database are the data nodes'; Sentinels are asked
//! without them.
//!
//! The master moves on a failover. [`Sentinel::moved_from`] completes when
//! it has: on the `+switch-master` event, and, because a subscription can
//! miss events (a Sentinel restarted, a dropped connection; the redis
//! crate's own Sentinel client has had such a bug), also when polling the
//! Sentinels finds another address. Callers then end their session and
//! connect again, which resolves the new master.

use std::time::Duration;

use futures_util::StreamExt as _;

use crate::Error;

/// How often the Sentinels are polled for the master's address, whatever
/// the event subscription says.
const POLL: Duration = Duration::from_secs(1);
/// How long asking one Sentinel or server may take.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);
/// Sentinels named in one URL, at most: more is a typo, not a deployment.
const MAX_SENTINELS: usize = 16;

/// A Sentinel-managed Redis, as named by its URL.
#[derive(Clone, PartialEq, Eq)]
pub struct Sentinel {
    /// `host:port` of each Sentinel, in the order given.
    sentinels: Vec<String>,
    /// The master's name, as Sentinel monitors it.
    master: String,
    /// `rediss` to the data nodes.
    tls: bool,
    /// `user:password@` for the data nodes, or empty.
    userinfo: String,
    /// `/db`, or empty.
    database: String,
}

impl std::fmt::Debug for Sentinel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The userinfo may hold a password: never print it.
        f.debug_struct("Sentinel")
            .field("sentinels", &self.sentinels)
            .field("master", &self.master)
            .finish_non_exhaustive()
    }
}

/// The master that a resolution found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Master {
    /// `host:port`.
    pub address: String,
    /// The URL to connect to it with (it may hold a password: never print it).
    pub url: String,
}

impl Sentinel {
    /// Parses a `redis+sentinel://` or `rediss+sentinel://` URL; `None` for
    /// any other scheme (a plain Redis URL).
    ///
    /// # Errors
    /// [`Error::Config`] naming what is wrong with a Sentinel URL.
    pub fn parse(url: &str) -> Result<Option<Sentinel>, Error> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("redis+sentinel://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("rediss+sentinel://") {
            (true, rest)
        } else {
            return Ok(None);
        };
        let bad = |why: &str| Error::Config(format!("Sentinel URL: {why}"));
        let (userinfo, rest) = match rest.rsplit_once('@') {
            Some((userinfo, rest)) => (format!("{userinfo}@"), rest),
            None => (String::new(), rest),
        };
        let (hosts, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("no master name: write redis+sentinel://host:port/master"))?;
        let sentinels: Vec<String> = hosts.split(',').map(str::to_owned).collect();
        if sentinels.len() > MAX_SENTINELS {
            return Err(bad(&format!("more than {MAX_SENTINELS} Sentinels")));
        }
        for host in &sentinels {
            check_host_port(host).map_err(|why| bad(&format!("{host:?}: {why}")))?;
        }
        let (master, database) = match path.split_once('/') {
            Some((master, db)) => (master, db),
            None => (path, ""),
        };
        if master.is_empty()
            || master.len() > 64
            || !master
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return Err(bad(
                "the master name must be 1 to 64 letters, digits, '.', '_' or '-'",
            ));
        }
        if !database.is_empty() && database.parse::<u16>().is_err() {
            return Err(bad(&format!("database {database:?} is not a number")));
        }
        Ok(Some(Sentinel {
            sentinels,
            master: master.to_owned(),
            tls,
            userinfo,
            database: if database.is_empty() {
                String::new()
            } else {
                format!("/{database}")
            },
        }))
    }

    /// Asks the Sentinels in turn for the master, and that server whether
    /// it is one.
    ///
    /// # Errors
    /// [`Error::NoMaster`] with each Sentinel's answer when none named a
    /// server that answers as master.
    pub async fn resolve(&self) -> Result<Master, Error> {
        let mut answers = Vec::new();
        for sentinel in &self.sentinels {
            match self.ask(sentinel).await {
                Ok(master) => return Ok(master),
                Err(why) => answers.push(format!("{sentinel}: {why}")),
            }
        }
        Err(Error::NoMaster {
            name: self.master.clone(),
            answers: answers.join("; "),
        })
    }

    async fn ask(&self, sentinel: &str) -> Result<Master, String> {
        let address = self.master_address(sentinel).await?;
        let master = Master {
            url: format!(
                "{}://{}{address}{}",
                if self.tls { "rediss" } else { "redis" },
                self.userinfo,
                self.database
            ),
            address,
        };
        let role = timed(async {
            let client = redis::Client::open(master.url.as_str())?;
            let mut connection = client.get_multiplexed_async_connection().await?;
            redis::cmd("INFO")
                .arg("replication")
                .query_async::<String>(&mut connection)
                .await
        })
        .await?;
        match info_field(&role, "role") {
            Some("master") => Ok(master),
            Some(other) => Err(format!("it names {}, which is a {other}", master.address)),
            None => Err(format!("{} did not say its role", master.address)),
        }
    }

    /// What `sentinel` says the master's `host:port` is.
    async fn master_address(&self, sentinel: &str) -> Result<String, String> {
        let answer: Option<(String, u16)> = timed(async {
            let client = redis::Client::open(format!("redis://{sentinel}"))?;
            let mut connection = client.get_multiplexed_async_connection().await?;
            redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(&self.master)
                .query_async(&mut connection)
                .await
        })
        .await?;
        let (host, port) =
            answer.ok_or_else(|| format!("it does not monitor a master named {}", self.master))?;
        Ok(format!("{host}:{port}"))
    }

    /// Completes once the Sentinels name a master other than `address`: on
    /// `+switch-master`, or when a poll finds it moved.
    pub async fn moved_from(&self, address: &str) {
        // Fused: once an event has come, it is not polled again.
        let events = futures_util::FutureExt::fuse(self.switch_events());
        tokio::pin!(events);
        let mut poll = tokio::time::interval(POLL);
        loop {
            tokio::select! {
                () = &mut events => {}
                _ = poll.tick() => {}
            }
            if let Ok(now) = self.first_answer().await
                && now != address
            {
                tracing::warn!(from = %address, to = %now, master = %self.master, "redis master moved");
                return;
            }
        }
    }

    /// The first address any Sentinel gives.
    async fn first_answer(&self) -> Result<String, String> {
        let mut last = String::new();
        for sentinel in &self.sentinels {
            match self.master_address(sentinel).await {
                Ok(address) => return Ok(address),
                Err(why) => last = why,
            }
        }
        Err(last)
    }

    /// Completes on the next `+switch-master` of this master from any
    /// Sentinel that can be subscribed to; never if none can.
    async fn switch_events(&self) {
        let mut streams = Vec::new();
        for sentinel in &self.sentinels {
            let subscribed = timed(async {
                let client = redis::Client::open(format!("redis://{sentinel}"))?;
                let mut pubsub = client.get_async_pubsub().await?;
                pubsub.subscribe("+switch-master").await?;
                Ok(pubsub.into_on_message())
            })
            .await;
            if let Ok(stream) = subscribed {
                streams.push(stream);
            }
        }
        let mut events = futures_util::stream::select_all(streams);
        while let Some(message) = events.next().await {
            // "<name> <old-ip> <old-port> <new-ip> <new-port>"
            let payload: String = message.get_payload().unwrap_or_default();
            if payload.split(' ').next() == Some(self.master.as_str()) {
                return;
            }
        }
        std::future::pending::<()>().await;
    }
}

/// Runs `ask` within [`ASK_TIMEOUT`], as a message on failure.
async fn timed<T>(ask: impl Future<Output = Result<T, redis::RedisError>>) -> Result<T, String> {
    match tokio::time::timeout(ASK_TIMEOUT, ask).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {ASK_TIMEOUT:?}")),
    }
}

/// `host:port` with a non-empty host and a port number.
fn check_host_port(host_port: &str) -> Result<(), &'static str> {
    let (host, port) = host_port.rsplit_once(':').ok_or("no port")?;
    if host.is_empty() {
        return Err("no host");
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err("the port is not a number from 1 to 65535"),
    }
}

/// The value of `field` in an `INFO` answer.
pub(crate) fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_url_is_not_a_sentinel_url() {
        assert!(matches!(
            Sentinel::parse("redis://127.0.0.1:6379"),
            Ok(None)
        ));
    }

    #[test]
    fn a_sentinel_url_names_sentinels_master_and_credentials() -> Result<(), Error> {
        let parsed = Sentinel::parse("rediss+sentinel://u:p@a:26379,b:26380/healthcode/2")?;
        let Some(sentinel) = parsed else {
            panic!("not parsed as Sentinel");
        };
        assert_eq!(sentinel.sentinels, ["a:26379", "b:26380"]);
        assert_eq!(sentinel.master, "healthcode");
        assert!(sentinel.tls);
        assert_eq!(sentinel.userinfo, "u:p@");
        assert_eq!(sentinel.database, "/2");
        assert!(
            !format!("{sentinel:?}").contains("u:p"),
            "the password is printed"
        );
        Ok(())
    }

    #[test]
    fn bad_sentinel_urls_say_what_is_wrong() {
        for (url, says) in [
            ("redis+sentinel://a:26379", "no master name"),
            ("redis+sentinel://a/m", "no port"),
            ("redis+sentinel://a:0/m", "port"),
            ("redis+sentinel://a:huge/m", "port"),
            ("redis+sentinel://:26379/m", "no host"),
            ("redis+sentinel://a:1,,b:2/m", "no port"),
            ("redis+sentinel://a:1/", "master name"),
            ("redis+sentinel://a:1/m m", "master name"),
            ("redis+sentinel://a:1/m/x", "not a number"),
        ] {
            match Sentinel::parse(url) {
                Err(Error::Config(message)) => {
                    assert!(message.contains(says), "{url}: {message}");
                }
                other => panic!("{url}: {other:?}"),
            }
        }
        let many = vec!["h:1"; MAX_SENTINELS + 1].join(",");
        assert!(Sentinel::parse(&format!("redis+sentinel://{many}/m")).is_err());
    }

    #[test]
    fn info_fields_are_read_by_name() {
        let info = "# Replication\r\nrole:slave\r\nmaster_replid:abc\r\nmaster_replid2:000\r\n";
        assert_eq!(info_field(info, "role"), Some("slave"));
        assert_eq!(info_field(info, "master_replid"), Some("abc"));
        assert_eq!(info_field(info, "master"), None);
    }
}

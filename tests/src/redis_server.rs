//! A real `redis-server` for tests, on a free loopback port, started and
//! stopped by the test (never the machine's own Redis on 6379); a replica of
//! one; and a real Sentinel watching them.

use std::{
    io::{Read as _, Write as _},
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::load::free_port;

/// A running `redis-server` owned by a test; killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// `--replicaof 127.0.0.1 <port>` when this is a replica.
    replica_of: Option<u16>,
}

impl RedisServer {
    /// Starts a server without persistence on a free port.
    ///
    /// # Errors
    /// When `redis-server` is not installed or does not answer within 10 s.
    pub fn start() -> anyhow::Result<Self> {
        RedisServer::start_replicating(None)
    }

    /// Starts a replica of `master` on a free port.
    ///
    /// # Errors
    /// As [`RedisServer::start`].
    pub fn start_replica(master: &RedisServer) -> anyhow::Result<Self> {
        RedisServer::start_replicating(Some(master.port))
    }

    fn start_replicating(replica_of: Option<u16>) -> anyhow::Result<Self> {
        let mut server = RedisServer {
            port: free_port()?,
            dir: tempfile::tempdir()?,
            child: None,
            replica_of,
        };
        server.restart()?;
        Ok(server)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (as a crash would).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port; it comes back empty, as a
    /// Redis without persistence does.
    ///
    /// # Errors
    /// When it does not answer within 10 s.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        let log: PathBuf = self.dir.path().join("redis.log");
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .args(
                self.replica_of
                    .map(|port| ["--replicaof".to_owned(), format!("127.0.0.1 {port}")])
                    .into_iter()
                    .flatten(),
            )
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!("redis-server must be installed (Debian redis-server): {e}")
            })?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&self) -> anyhow::Result<()> {
        wait_for_pong(self.port)
    }
}

fn wait_for_pong(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ping(port) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    anyhow::bail!("redis-server on port {port} did not answer PING")
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut answer = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG\r\n"
}

/// A real `redis-server --sentinel` watching one master by the name
/// [`SentinelServer::MASTER`], with quorum 1 and short timeouts, so that a
/// test's failover takes about a second; killed on drop.
#[derive(Debug)]
pub struct SentinelServer {
    port: u16,
    _dir: tempfile::TempDir,
    child: Child,
}

impl SentinelServer {
    /// The master's name.
    pub const MASTER: &'static str = "healthcode";

    /// Starts a Sentinel watching `master`.
    ///
    /// # Errors
    /// When it does not answer within 10 s.
    pub fn start(master: &RedisServer) -> anyhow::Result<Self> {
        let port = free_port()?;
        let dir = tempfile::tempdir()?;
        // Sentinel rewrites its configuration file, so it must be its own.
        let config = dir.path().join("sentinel.conf");
        let name = Self::MASTER;
        std::fs::write(
            &config,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\nlogfile {dir}/sentinel.log\n\
                 sentinel monitor {name} 127.0.0.1 {master} 1\n\
                 sentinel down-after-milliseconds {name} 1000\n\
                 sentinel failover-timeout {name} 5000\n\
                 sentinel parallel-syncs {name} 1\n",
                dir = dir.path().display(),
                master = master.port(),
            ),
        )?;
        let child = Command::new("redis-server")
            .arg(&config)
            .arg("--sentinel")
            .stdout(Stdio::null())
            .spawn()?;
        let sentinel = SentinelServer {
            port,
            _dir: dir,
            child,
        };
        wait_for_pong(port)?;
        Ok(sentinel)
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for SentinelServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

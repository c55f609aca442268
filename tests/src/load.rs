//! What the load tools share: development keys, starting a sibling binary as a server, driving
//! concurrent clients, and the table rows with per-second rates and
//! percentiles.

use anyhow::Context as _;
use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

/// A timed run: (seconds, sorted latencies).
pub type Run = (f64, Vec<Duration>);

/// A child process killed on drop.
#[derive(Debug)]
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The path of a binary beside the running one (`target/release/issuer`).
///
/// # Errors
/// When the running binary's path is unknown.
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe.with_file_name(name))
}

/// Waits up to `limit` for `url` to answer.
///
/// # Errors
/// When it does not.
pub fn wait_for(url: &str, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while ureq::get(url).call().is_err() {
        anyhow::ensure!(Instant::now() < deadline, "{url} did not answer");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// A root, one HK issuer key, the identity master key (under `dir/keys`)
/// and a trust list (`dir/trust.json`), made with the real `keys` binary
/// beside this one; (the issuer key id, the key folder).
///
/// # Errors
/// When a `keys` command fails.
pub fn dev_keys(dir: &Path) -> anyhow::Result<(String, String)> {
    let keys = sibling("keys")?;
    let out = dir.join("keys");
    let run = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new(&keys).args(args).output()?;
        anyhow::ensure!(
            output.status.success(),
            "keys {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let out_arg = out.to_string_lossy();
    run(&["root-generate", "--out", &out_arg])?;
    let kid = run(&["generate", "--issuer", "HK", "--out", &out_arg])?;
    run(&[
        "identity-master-key",
        "--out",
        &out.join("identity-master.key").to_string_lossy(),
    ])?;
    let root = out.join("root.secret");
    let public = out.join(format!("{kid}.public"));
    let trust = run(&[
        "trust-list",
        "--root",
        &root.to_string_lossy(),
        "--seq",
        "1",
        &public.to_string_lossy(),
    ])?;
    std::fs::write(dir.join("trust.json"), trust)?;
    Ok((kid, out_arg.into_owned()))
}

/// Starts the sibling `binary` with `args` and waits for `url` to answer.
///
/// # Errors
/// When it cannot start or does not answer within a minute.
pub fn start(binary: &str, args: &[String], url: &str) -> anyhow::Result<Server> {
    let child = Command::new(sibling(binary)?)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("start target/release/{binary} (cargo build --release --bins)"))?;
    let server = Server(child);
    wait_for(url, Duration::from_secs(60))?;
    Ok(server)
}

/// A free port on loopback.
///
/// # Errors
/// When none can be bound.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Runs `total` calls of `call` over `clients` threads; (seconds, sorted latencies).
///
/// # Errors
/// The first error of a call.
pub fn drive(
    total: usize,
    clients: usize,
    call: impl Fn(usize) -> anyhow::Result<()> + Sync,
) -> anyhow::Result<Run> {
    over_clients(total, clients, |n| {
        let began = Instant::now();
        call(n)?;
        Ok(began.elapsed())
    })
}

/// Runs `total` calls of `call` at a fixed `rate` per second over `clients`
/// threads: call `n` is due at `n / rate` seconds, and its latency counts
/// from when it was due, so a slow answer that delays the next calls is
/// charged to them too (no coordinated omission). (seconds, sorted latencies).
///
/// # Errors
/// The first error of a call.
pub fn paced(
    total: usize,
    rate: f64,
    clients: usize,
    call: impl Fn(usize) -> anyhow::Result<()> + Sync,
) -> anyhow::Result<Run> {
    let start = Instant::now();
    over_clients(total, clients, |n| {
        let due = start + Duration::from_secs_f64(n as f64 / rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        call(n)?;
        Ok(due.elapsed())
    })
}

/// Runs `timed(n)` for `n` in `0..total` over `clients` threads, each
/// taking the next `n`; (seconds, the sorted latencies it returned).
fn over_clients(
    total: usize,
    clients: usize,
    timed: impl Fn(usize) -> anyhow::Result<Duration> + Sync,
) -> anyhow::Result<Run> {
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    let results: Vec<anyhow::Result<Vec<Duration>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                scope.spawn(|| {
                    let mut latencies = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= total {
                            return Ok(latencies);
                        }
                        latencies.push(timed(n)?);
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("client panicked")))
            })
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let mut all = Vec::with_capacity(total);
    for result in results {
        all.extend(result?);
    }
    Ok((elapsed, sorted(all)))
}

/// Times `total` serial calls of `call`.
///
/// # Errors
/// The first error of a call.
pub fn serial(
    total: usize,
    mut call: impl FnMut(usize) -> anyhow::Result<()>,
) -> anyhow::Result<Run> {
    let (mut latencies, start) = (Vec::with_capacity(total), Instant::now());
    for n in 0..total {
        let began = Instant::now();
        call(n)?;
        latencies.push(began.elapsed());
    }
    Ok((start.elapsed().as_secs_f64(), sorted(latencies)))
}

/// The fsync every acknowledged write pays: `count` one-row commits,
/// serially, on `store` (a store of its own, so the rows harm nothing).
///
/// # Errors
/// [`healthcode_issuer::Error`] from the store.
pub async fn commit_floor(
    store: &healthcode_issuer::store::Store,
    count: usize,
) -> Result<Run, healthcode_issuer::Error> {
    let (mut commits, start) = (Vec::with_capacity(count), Instant::now());
    for n in 0..count {
        let began = Instant::now();
        let mut tx = store.write().await?;
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, 'floor')")
            .bind(format!("floor-{n}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        commits.push(began.elapsed());
    }
    Ok((start.elapsed().as_secs_f64(), sorted(commits)))
}

/// `v`, sorted.
pub fn sorted(mut v: Vec<Duration>) -> Vec<Duration> {
    v.sort();
    v
}

/// The `p` quantile of sorted `latencies`, in milliseconds.
pub fn percentile(latencies: &[Duration], p: f64) -> f64 {
    let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len().max(1)) - 1;
    latencies
        .get(index)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// `| name | total | per second | p50 ms | p99 ms |`.
pub fn row(name: &str, total: usize, (seconds, latencies): &Run) -> String {
    format!(
        "| {name} | {total} | {:.0} | {:.2} | {:.2} |",
        total as f64 / seconds,
        percentile(latencies, 0.50),
        percentile(latencies, 0.99)
    )
}

//! `accounts-load`: registrations and visit-record uploads per second against
//! a real `issuer serve` on SQLite, with p50/p99 latency, beside the floors
//! measured in the same run: an HTTP round trip (`GET /healthz`), a one-row
//! SQLite commit (the fsync every acknowledged write pays), and storing 620
//! records in-process with no HTTP.
//!
//! `cargo build --release --bins && target/release/accounts-load`

use std::{
    net::TcpListener,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use clap::Parser;
use healthcode_issuer::{
    model::{VisitRecord, application::RawApplication},
    residents::registration,
    store::Store,
};
use healthcode_tests::{
    accounts::{hkid, log_in, multipart, newest_sms_code, pin_in},
    load::{Run, Server, commit_floor, drive, row, sibling, sorted, wait_for},
};
use serde_json::{Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

#[derive(Parser)]
struct Args {
    /// Registrations to send.
    #[arg(long, default_value_t = 2000)]
    registrations: usize,
    /// Visit uploads (31 days x 20 records each) to send.
    #[arg(long, default_value_t = 200)]
    uploads: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
}

fn person(n: usize) -> Vec<(String, String)> {
    let n = n as u32;
    vec![
        ("name".into(), format!("LOAD Test {n}")),
        ("id_type".into(), "HKID".into()),
        (
            "id_number".into(),
            hkid(if n.is_multiple_of(2) { 'L' } else { 'M' }, n / 2),
        ),
        ("date_of_issue".into(), "2015-06-01".into()),
        ("phone".into(), format!("5{:07}", n % 10_000_000)),
        ("address".into(), format!("Flat {n}, Load Test House")),
    ]
}

fn register(base: &str, n: usize) -> anyhow::Result<()> {
    let fields = person(n);
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (content_type, body) = multipart(&borrowed, None);
    let response = ureq::post(&format!("{base}/v1/registrations"))
        .set("content-type", &content_type)
        .send_bytes(&body)?;
    anyhow::ensure!(
        response.status() == 202,
        "registration answered {}",
        response.status()
    );
    Ok(())
}

/// 620 records ending `shift` seconds before now, so each upload is new rows.
fn month(now: OffsetDateTime, shift: i64) -> Vec<Value> {
    (0..31)
        .flat_map(|day| (0..20).map(move |i| (day, i)))
        .map(|(day, i)| {
            let at = now - time::Duration::days(day) - time::Duration::minutes(30 * i + 25) - time::Duration::seconds(shift);
            json!({
                "venue_id": format!("venue-{:04}", (day * 20 + i) % 500),
                "venue_name": format!("Venue {}", (day * 20 + i) % 500),
                "check_in": at.format(&Rfc3339).unwrap_or_default(),
                "check_out": (at + time::Duration::minutes(15)).format(&Rfc3339).unwrap_or_default(),
            })
        })
        .collect()
}

fn start_server(dir: &Path, port: u16) -> anyhow::Result<Server> {
    let child = Command::new(sibling("issuer")?)
        .args(["serve", "--data"])
        .arg(dir.join("data"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--register-per-minute",
            "1000000",
            "--login-per-minute",
            "1000000",
            "--pin-per-minute",
            "1000000",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .context("start target/release/issuer (cargo build --release --bins)")?;
    let server = Server(child);
    wait_for(
        &format!("http://127.0.0.1:{port}/healthz"),
        Duration::from_secs(30),
    )?;
    Ok(server)
}

/// Accounts for the upload phase: housing route, PIN from the outbox, login.
fn sessions(dir: &Path, base: &str, count: usize) -> anyhow::Result<Vec<String>> {
    let issuer = sibling("issuer")?;
    let data = dir.join("data");
    let mut tokens = Vec::new();
    for n in 0..count {
        let fields = person(1_000_000 + n);
        let get = |k: &str| {
            fields
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let csv = dir.join("housing.csv");
        std::fs::write(
            &csv,
            format!(
                "id_document,address,building_id,phone\n\"HKID:{}\",\"{}\",bldg-load,\"{}\"\n",
                get("id_number"),
                get("address"),
                get("phone")
            ),
        )?;
        let status = Command::new(&issuer)
            .args(["housing", "import", "--data"])
            .arg(&data)
            .arg(&csv)
            .output()?;
        anyhow::ensure!(status.status.success(), "housing import failed");
        register(base, 1_000_000 + n)?;
        let outbox = Command::new(&issuer)
            .args(["sms", "outbox", "--limit", "1", "--data"])
            .arg(&data)
            .output()?;
        let newest: Value = serde_json::from_slice(&outbox.stdout).context("the outbox")?;
        let body = newest["body"].as_str().unwrap_or_default();
        let pin = pin_in(body).context("no PIN in the outbox")?;
        let who = json!({"id_type": "HKID", "id_number": get("id_number")});
        let mut activation = who.clone();
        activation["pin"] = json!(pin);
        activation["password"] = json!("load test password");
        ureq::post(&format!("{base}/v1/activation")).send_json(activation)?;
        let token = log_in(base, &who, "load test password", || {
            let outbox = Command::new(&issuer)
                .args(["sms", "outbox", "--limit", "1", "--data"])
                .arg(&data)
                .output()?;
            newest_sms_code(&String::from_utf8_lossy(&outbox.stdout), "sign_in")
                .context("no sign-in code in the outbox")
        })?;
        tokens.push(token);
    }
    Ok(tokens)
}

/// The SQLite floors, in-process: one-row commits, and 620 records stored directly.
fn floors(dir: &Path, total: usize, uploads: usize) -> anyhow::Result<(Run, Run)> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let store = Store::open(&dir.join("floor"), None).await?;
        let commit_floor = commit_floor(&store, total).await?;
        let now = OffsetDateTime::now_utc();
        let fields = person(2_000_000);
        let raw = RawApplication {
            name: Some(fields[0].1.clone()),
            id_type: Some(fields[1].1.clone()),
            id_number: Some(fields[2].1.clone()),
            date_of_issue: Some(fields[3].1.clone()),
            phone: Some(fields[4].1.clone()),
            address: Some(fields[5].1.clone()),
            proof: None,
            language: None,
        };
        let application = raw.check(now).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let account = registration::register(&store, &application, now).await?;
        let (mut stores, start) = (Vec::new(), Instant::now());
        for shift in 0..uploads {
            let records: Vec<_> = month(now, shift as i64)
                .into_iter()
                .filter_map(|v| VisitRecord::check(v, now).ok())
                .collect();
            let began = Instant::now();
            store.store_visits(&account, &records, now).await?;
            stores.push(began.elapsed());
        }
        Ok((
            (commit_floor),
            (start.elapsed().as_secs_f64(), sorted(stores)),
        ))
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let _server = start_server(dir.path(), port)?;
    let base = format!("http://127.0.0.1:{port}");
    let tokens = sessions(dir.path(), &base, args.clients)?;

    let healthz = drive(args.registrations, args.clients, |_| {
        ureq::get(&format!("{base}/healthz")).call()?;
        Ok(())
    })?;
    let registrations = drive(args.registrations, args.clients, |n| register(&base, n))?;
    // The same documents as the active accounts of `sessions`: refused, and
    // should take the same time as a new registration.
    let duplicates = drive(args.registrations, args.clients, |n| {
        register(&base, 1_000_000 + n % args.clients)
    })?;
    let now = OffsetDateTime::now_utc();
    let uploads = drive(args.uploads, args.clients, |n| {
        let body = json!({ "records": month(now, n as i64) });
        let answer: Value = ureq::post(&format!("{base}/v1/visits"))
            .set(
                "authorization",
                &format!("Bearer {}", tokens[n % tokens.len()]),
            )
            .send_json(body)?
            .into_json()?;
        anyhow::ensure!(
            answer["stored"] == 620,
            "upload stored {}",
            answer["stored"]
        );
        Ok(())
    })?;
    let (commit_floor, store_floor) = floors(dir.path(), args.registrations, args.uploads)?;

    let rows = [
        (
            "floor: GET /healthz (HTTP + SELECT 1)",
            args.registrations,
            &healthz,
        ),
        (
            "floor: one-row SQLite commit, in-process, serial",
            args.registrations,
            &commit_floor,
        ),
        (
            "POST /v1/registrations (no proof)",
            args.registrations,
            &registrations,
        ),
        (
            "POST /v1/registrations of a document with an account (refused)",
            args.registrations,
            &duplicates,
        ),
        (
            "floor: store 620 records, in-process, serial",
            args.uploads,
            &store_floor,
        ),
        (
            "POST /v1/visits (31 days x 20 records)",
            args.uploads,
            &uploads,
        ),
    ];
    println!("| operation | count | per second | p50 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, count, run) in rows {
        println!("{}", row(name, count, run));
    }
    println!(
        "\n{} clients, {} cores",
        args.clients,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    Ok(())
}

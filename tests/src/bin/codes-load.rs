//! `codes-load`: code applications per second against a real `issuer serve`
//! (evaluate, sign, store, QR), and the time from a designation that touches
//! many residents with codes to the last of their revocations visible in
//! Redis, and held by a real `verifier serve`. Floors measured in the same
//! run: an HTTP round trip, signing and rendering a code in-process, a
//! one-row commit; evaluating the touched residents in-process, and
//! publishing as many revocations straight to Redis. Last, the purge of every
//! seeded visit, 32 days on, beside counting them.
//!
//! `cargo build --release --bins && target/release/codes-load`
//!
//! The residents and their codes are seeded in-process through the store's
//! own calls (`insert_account`, `insert_code`) in large transactions; visits
//! by multi-row SQL into the same tables the upload writes. The measured
//! paths are the service's own.

use std::{
    collections::BTreeSet,
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use clap::Parser;
use futures_util::StreamExt as _;
use healthcode_issuer::store::sql::SqlBuilder;
use healthcode_issuer::{
    codes::{
        gather::{GROUP, gather},
        signer::Signer,
    },
    issue::{Holder, bind_holder, sign_code},
    model::{AccountStatus, Role, Route, application::Application, phone::Phone, venue::VenueName},
    qr,
    rules::evaluate,
    store::{Store, accounts::NewAccount, codes::NewCode, visits::VenueNames},
};
use healthcode_keys::revocation::{Revocation, RevocationReason};
use healthcode_keys::{Colour, IdDocument, TokenId, hktime};
use healthcode_service_kit::redis::RevocationStore;
use healthcode_tests::{
    accounts::hkid,
    load::{commit_floor, dev_keys, drive, free_port, row, serial, start},
    redis_server::RedisServer,
};
use serde_json::{Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

#[derive(Parser)]
struct Args {
    /// Residents with a code today.
    #[arg(long, default_value_t = 100_000)]
    residents: usize,
    /// How many of them visited the place that is then designated.
    #[arg(long, default_value_t = 10_000)]
    touched: usize,
    /// Code applications to send.
    #[arg(long, default_value_t = 2000)]
    applications: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// The store's engine: sqlite, or postgres (a new database on the server
    /// HEALTHCODE_TEST_POSTGRES names, or scripts/test-postgres finds).
    #[arg(long, default_value = "sqlite")]
    engine: String,
    /// Issuer instances serving the applications, round robin (PostgreSQL only).
    #[arg(long, default_value_t = 1)]
    instances: usize,
}

/// Residents seeded per transaction.
const SEED_STEP: usize = 2000;
/// Visits of each resident (the first, for the touched ones, at the hot venue).
const VISITS_EACH: usize = 5;
const HOT_VENUE: &str = "venue-hot";
/// Other venues the residents visited.
const VENUES: usize = 20_000;

fn application(n: usize) -> anyhow::Result<Application> {
    let document: IdDocument = format!("HKID:{}", hkid('L', n as u32)).parse()?;
    Ok(Application {
        name: format!("LOAD Resident {n}"),
        document,
        date_of_issue: time::macros::date!(2015 - 06 - 01),
        phone: Phone::parse(&format!("5{:07}", n % 10_000_000)).map_err(|e| anyhow::anyhow!(e))?,
        address: format!("Flat {n}, Load Test House"),
        proof: None,
        language: healthcode_issuer::model::Lang::En,
    })
}

/// A green version 2 code with a random identity binding, for seeding.
fn seeded_code(
    rng: &mut rand::rngs::OsRng,
    key: &healthcode_keys::IssuerSecretKey,
    now: OffsetDateTime,
) -> anyhow::Result<healthcode_keys::UnverifiedToken> {
    use rand::RngCore as _;
    let mut binding = [0u8; healthcode_keys::IdentityBinding::LEN];
    rng.fill_bytes(&mut binding);
    let claims = healthcode_keys::Claims {
        version: healthcode_keys::TokenVersion::CURRENT,
        token_id: TokenId::generate(rng),
        colour: Colour::Green,
        identity: healthcode_keys::IdentityBinding::from_bytes(binding),
        issued_at: hktime::whole_seconds(now),
        valid_until: hktime::end_of_hk_day(now),
    };
    Ok(healthcode_keys::token::sign(key, &claims)?)
}

/// Active residents with visits and a green code each; their account ids.
async fn seed(
    store: &Store,
    signer: &Signer,
    args: &Args,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<String>> {
    let key = signer.key_at(now)?;
    let mut rng = rand::rngs::OsRng;
    let mut accounts = Vec::with_capacity(args.residents);
    let no_reasons = BTreeSet::new();
    // The venues the visits name, as an upload stores them.
    let venues: Vec<String> = std::iter::once(HOT_VENUE.to_owned())
        .chain((0..VENUES).map(|v| format!("venue-{v:05}")))
        .collect();
    // The operator's venue registry, through the store's own import.
    let registry: Vec<(String, VenueName)> = venues
        .iter()
        .map(|venue| {
            let name = VenueName {
                en: format!("Venue {venue}"),
                zh: None,
            };
            (venue.clone(), name)
        })
        .collect();
    store.replace_venues(&registry, now).await?;
    for first in (0..args.residents).step_by(SEED_STEP) {
        let mut tx = store.write().await?;
        let mut visits = Vec::new();
        for n in first..(first + SEED_STEP).min(args.residents) {
            let app = application(n)?;
            let id = store.new_id();
            let building = format!("bldg-{:05}", n % 5000);
            let id_index = store.document_index(&app.document);
            let new = NewAccount {
                id: &id,
                application: &app,
                id_index: &id_index,
                issue_index: "seeded",
                route: Route::Housing,
                status: AccountStatus::Active,
                priority: 0,
                building_id: Some(&building),
                register_check: healthcode_issuer::model::RegisterCheck::Unchecked,
            };
            store.insert_account(&mut tx, &new, now).await?;
            // A random binding: the load never checks identity, and a real
            // one (an Argon2id evaluation each) would make seeding take minutes.
            let token = seeded_code(&mut rng, &key, now)?;
            let claims = token.insecure_claims();
            let text = token.to_text();
            let code = NewCode {
                token_id: claims.token_id,
                account_id: &id,
                kid: key.kid(),
                colour: Colour::Green,
                reasons: &no_reasons,
                token: &text,
                issued_at: claims.issued_at,
                valid_until: claims.valid_until,
            };
            store.insert_code(&mut tx, &code).await?;
            for k in 0..VISITS_EACH {
                let venue = if n < args.touched && k == 0 {
                    HOT_VENUE.to_owned()
                } else {
                    format!("venue-{:05}", (n * VISITS_EACH + k) % VENUES)
                };
                let check_in = now
                    - time::Duration::days(k as i64 + 1)
                    - time::Duration::seconds((n % 600) as i64);
                visits.push((id.clone(), venue, check_in));
            }
            accounts.push(id);
        }
        for chunk in visits.chunks(500) {
            let mut insert = SqlBuilder::new(
                store.engine(),
                "INSERT INTO visits (account_id, venue_id, check_in, check_out, uploaded_at) ",
            );
            insert.push_values(chunk, |mut row, (account, venue, at)| {
                row.push_bind(account)
                    .push_bind(venue)
                    .push_bind(at.unix_timestamp())
                    .push_bind(at.unix_timestamp() + 3600)
                    .push_bind(now.unix_timestamp());
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(accounts)
}

fn health(base: &str) -> Value {
    ureq::get(&format!("{base}/healthz"))
        .call()
        .ok()
        .and_then(|r| r.into_json().ok())
        .unwrap_or(Value::Null)
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> anyhow::Result<Duration> {
    let start = Instant::now();
    while !done() {
        anyhow::ensure!(start.elapsed() < limit, "not done within {limit:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(start.elapsed())
}

/// `risk_changed` revocations published on Redis from now on: how many, when
/// the first and the latest came.
#[derive(Debug, Clone, Copy)]
struct Seen {
    count: usize,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// Counts `risk_changed` revocations published on Redis from now on.
fn subscribe(url: &str) -> anyhow::Result<Arc<Mutex<Seen>>> {
    let seen = Arc::new(Mutex::new(Seen {
        count: 0,
        first: None,
        last: None,
    }));
    let counter = seen.clone();
    let client = redis::Client::open(url)?;
    let (ready, subscribed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        let Ok(runtime) = runtime else { return };
        runtime.block_on(async move {
            let Ok(mut pubsub) = client.get_async_pubsub().await else {
                return;
            };
            if pubsub
                .subscribe(healthcode_service_kit::redis::CHANNEL)
                .await
                .is_err()
            {
                return;
            }
            let _ = ready.send(());
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let payload: String = message.get_payload().unwrap_or_default();
                if payload.contains("risk_changed") {
                    let mut seen = counter.lock().unwrap_or_else(|e| e.into_inner());
                    let now = Instant::now();
                    seen.count += 1;
                    seen.first.get_or_insert(now);
                    seen.last = Some(now);
                }
            }
        });
    });
    subscribed
        .recv_timeout(Duration::from_secs(10))
        .context("subscribing to redis")?;
    Ok(seen)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.touched <= args.residents,
        "--touched is at most --residents"
    );
    let dir = tempfile::tempdir()?;
    let redis = RedisServer::start()?;
    let (kid, keys_dir) = dev_keys(dir.path())?;
    let signing_key = format!("{keys_dir}/{kid}.secret");
    let identity_key = format!("{keys_dir}/identity-master.key");
    let data = dir.path().join("data");
    let runtime = tokio::runtime::Runtime::new()?;
    let now = hktime::now();
    let signer = Signer::load(Path::new(&signing_key), Path::new(&identity_key), now)?;

    anyhow::ensure!(
        args.instances == 1 || args.engine == "postgres",
        "several instances need --engine postgres"
    );
    let postgres = match args.engine.as_str() {
        "sqlite" => None,
        "postgres" => Some(healthcode_tests::databases::TestDatabase::new()),
        other => anyhow::bail!("--engine is sqlite or postgres, not {other}"),
    };
    let database = match &postgres {
        Some(db) => healthcode_issuer::store::Database::parse(&db.url)?,
        None => healthcode_issuer::store::Database::in_data_dir(&data),
    };
    let store = runtime.block_on(Store::open_at(
        &database,
        &data,
        None,
        healthcode_issuer::store::Entropy::system(),
    ))?;
    let seeding = Instant::now();
    let accounts = runtime.block_on(seed(&store, &signer, &args, now))?;
    if postgres.is_some() {
        // The statistics that autovacuum keeps on a database that has lived:
        // without them the planner takes the freshly loaded tables for
        // small ones and scans them.
        runtime.block_on(sqlx::query("ANALYZE").execute(store.pool()))?;
    }
    let authority =
        runtime.block_on(store.add_staff("load-authority", Role::HealthAuthority, now))?;
    // Applicants are residents the designation does not touch.
    let applicants = (args.applications / 5)
        .max(args.clients)
        .min(args.residents - args.touched);
    let sessions: Vec<String> = runtime.block_on(async {
        let mut tokens = Vec::new();
        for id in &accounts[args.touched..args.touched + applicants] {
            tokens.push(store.create_session(id, now).await?.0);
        }
        Ok::<_, healthcode_issuer::Error>(tokens)
    })?;
    eprintln!(
        "seeded {} residents with codes in {:?}",
        accounts.len(),
        seeding.elapsed()
    );

    let data_arg = data.to_string_lossy().into_owned();
    let data_key = data.join("data.key").to_string_lossy().into_owned();
    let mut bases = Vec::new();
    let mut issuers = Vec::new();
    for instance in 0..args.instances {
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let own_data = format!("{data_arg}-{instance}");
        let mut serve: Vec<String> = [
            "serve",
            "--data",
            if instance == 0 { &data_arg } else { &own_data },
            "--data-key",
            &data_key,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--signing-key",
            &signing_key,
            "--identity-master-key",
            &identity_key,
            "--redis",
            &redis.url(),
        ]
        .map(str::to_owned)
        .to_vec();
        if let Some(db) = &postgres {
            serve.extend(["--database".to_owned(), db.url.clone()]);
        }
        issuers.push(start("issuer", &serve, &format!("{base}/healthz"))?);
        bases.push(base);
    }
    let base = bases[0].clone();
    let verifier_port = free_port()?;
    let checkpoint = format!("http://127.0.0.1:{verifier_port}");
    let trust = dir.path().join("trust.json").to_string_lossy().into_owned();
    let _verifier = start(
        "verifier",
        &[
            "serve",
            "--trust",
            &trust,
            "--root",
            &format!("{keys_dir}/root.public"),
            "--redis",
            &redis.url(),
            "--listen",
            &format!("127.0.0.1:{verifier_port}"),
        ]
        .map(str::to_owned),
        &format!("{checkpoint}/healthz"),
    )?;

    // Applications: evaluate, sign, store, supersede, QR.
    let apply = |n: usize| -> anyhow::Result<()> {
        let base = &bases[n % bases.len()];
        let answer: Value = ureq::post(&format!("{base}/v1/codes"))
            .set(
                "authorization",
                &format!("Bearer {}", sessions[n % sessions.len()]),
            )
            .call()?
            .into_json()?;
        anyhow::ensure!(answer["colour"] == "green", "unexpected answer");
        Ok(())
    };
    let healthz = drive(args.applications, args.clients, |_| {
        ureq::get(&format!("{base}/healthz")).call()?;
        Ok(())
    })?;
    let applied = drive(args.applications, args.clients, apply)?;
    let serial_count = args.applications / 4;
    let applied_serial = serial(serial_count, |n| apply(n + args.applications))?;
    let key = signer.key_at(now)?;
    let app = application(0)?;
    let holder = Holder {
        document: app.document,
        date_of_issue: app.date_of_issue,
    };
    // As the service's binders do: one Argon2id memory, used again.
    let mut memory = healthcode_keys::BindingMemory::new();
    let sign_floor = serial(serial_count, |_| {
        let token_id = TokenId::generate(&mut rand::rngs::OsRng);
        let bound = bind_holder(&mut memory, token_id, signer.identity(), &holder, now);
        let token = sign_code(&key, Colour::Green, &bound)?;
        let text = token.to_text();
        let modules = qr::Modules::of(&text)?;
        modules.png()?;
        modules.svg();
        Ok(())
    })?;
    let commit_floor = runtime.block_on(async {
        let floor = Store::open(&dir.path().join("floor"), None).await?;
        commit_floor(&floor, serial_count).await
    })?;
    wait_until(Duration::from_secs(60), || {
        health(&base)["revocations_undelivered"] == 0
    })?;

    // The designation.
    let held_before = health(&checkpoint)["revocations_held"]
        .as_u64()
        .unwrap_or(0);
    let seen = subscribe(&redis.url())?;
    let start_at = OffsetDateTime::now_utc() - time::Duration::days(3);
    let body = json!({"records": [{"place": HOT_VENUE, "start": start_at.format(&Rfc3339)?, "end": null}]});
    let sent = Instant::now();
    let summary: Value = ureq::post(&format!("{base}/v1/feeds/designations"))
        .set("authorization", &format!("Bearer {authority}"))
        .send_json(body)?
        .into_json()?;
    let answered = sent.elapsed();
    anyhow::ensure!(summary["stored"] == 1, "designation not stored: {summary}");
    wait_until(Duration::from_secs(300), || {
        seen.lock()
            .map(|s| s.count >= args.touched)
            .unwrap_or(false)
    })?;
    let seen_now = *seen
        .lock()
        .map_err(|_| anyhow::anyhow!("subscriber panicked"))?;
    let after = |at: Option<Instant>| at.map(|t| t.duration_since(sent)).unwrap_or_default();
    let (first_in_redis, in_redis) = (after(seen_now.first), after(seen_now.last));
    let target = held_before + args.touched as u64;
    wait_until(Duration::from_secs(300), || {
        health(&checkpoint)["revocations_held"]
            .as_u64()
            .unwrap_or(0)
            >= target
    })?;
    let at_checkpoint = sent.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    let revoked = seen.lock().map(|s| s.count).unwrap_or(0);
    anyhow::ensure!(
        revoked == args.touched,
        "{revoked} codes revoked, expected {}",
        args.touched
    );

    // Floors of the same work, in-process.
    let evaluate_floor = runtime.block_on(async {
        let started = Instant::now();
        let mut conn = store.pool().acquire().await?;
        let now = hktime::now();
        for group in accounts[..args.touched].chunks(GROUP) {
            let accounts = store.active_accounts(&mut conn, group).await?;
            let facts = gather(&store, &mut conn, &accounts, now, VenueNames::Skipped).await?;
            for person in &facts.people {
                anyhow::ensure!(evaluate(person, &facts.designations, now).colour == Colour::Amber);
            }
        }
        Ok::<_, anyhow::Error>(started.elapsed())
    })?;
    let publish_floor = runtime.block_on(async {
        let redis = RevocationStore::connect(&redis.url()).await?;
        let now = hktime::now();
        let revocations: Vec<Revocation> = (0..args.touched)
            .map(|n| Revocation {
                token_id: {
                    let mut bytes = [0xee; 12];
                    bytes[4..].copy_from_slice(&(n as u64).to_be_bytes());
                    TokenId::from_bytes(bytes)
                },
                reason: RevocationReason::Fraud,
                revoked_at: now,
                until: hktime::end_of_hk_day(now),
            })
            .collect();
        let started = Instant::now();
        redis.publish(&revocations).await?;
        Ok::<_, anyhow::Error>(started.elapsed())
    })?;

    println!(
        "## Applications ({} clients; {} cores; {}, {} issuer instance(s))\n",
        args.clients,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.engine,
        args.instances
    );
    println!("| operation | count | per second | p50 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    println!(
        "{}",
        row(
            "floor: GET /healthz (HTTP + one COUNT)",
            args.applications,
            &healthz
        )
    );
    println!(
        "{}",
        row(
            &format!("POST /v1/codes, {} clients", args.clients),
            args.applications,
            &applied
        )
    );
    println!(
        "{}",
        row("POST /v1/codes, 1 client", serial_count, &applied_serial)
    );
    println!(
        "{}",
        row(
            "floor: sign + QR PNG + SVG, in-process, serial",
            serial_count,
            &sign_floor
        )
    );
    println!(
        "{}",
        row(
            "floor: one-row SQLite commit, in-process, serial",
            serial_count,
            &commit_floor
        )
    );
    println!(
        "\n## A designation touching {} of {} residents with codes\n",
        args.touched, args.residents
    );
    println!("| step | ms after the designation was sent |");
    println!("| --- | ---: |");
    println!(
        "| POST /v1/feeds/designations answered | {:.0} |",
        answered.as_secs_f64() * 1000.0
    );
    println!(
        "| first revocation published in Redis | {:.0} |",
        first_in_redis.as_secs_f64() * 1000.0
    );
    println!(
        "| last of {} revocations published in Redis | {:.0} |",
        args.touched,
        in_redis.as_secs_f64() * 1000.0
    );
    println!(
        "| all {} held by a verifier | {:.0} |",
        args.touched,
        at_checkpoint.as_secs_f64() * 1000.0
    );
    println!(
        "| floor: gather (groups of {GROUP}) + evaluate the {} residents in-process | {:.0} |",
        args.touched,
        evaluate_floor.as_secs_f64() * 1000.0
    );
    println!(
        "| floor: publish {} revocations straight to Redis | {:.0} |",
        args.touched,
        publish_floor.as_secs_f64() * 1000.0
    );
    let key = healthcode_keys::IssuerSecretKey::read(Path::new(&signing_key))?;
    filtered_figures(&runtime, &store, &key)?;
    purge_figures(&runtime, &store, now)
}

/// The filtered snapshot (issue 15) of every code and revocation in force
/// after the designation: the issuer's read and its build, and the size.
/// Made as of six minutes on, so every seeded code is inside its cover.
fn filtered_figures(
    runtime: &tokio::runtime::Runtime,
    store: &Store,
    key: &healthcode_keys::IssuerSecretKey,
) -> anyhow::Result<()> {
    let at = hktime::now() + time::Duration::minutes(6);
    let started = Instant::now();
    let (codes, revocations) = runtime.block_on(store.codes_and_revocations_in_force(at))?;
    let reading = started.elapsed();
    let revoked = revocations.len();
    let started = Instant::now();
    let snapshot = healthcode_keys::revocation::filtered::FilteredSnapshot::build(
        key,
        at,
        &codes,
        revocations,
        0x5eed,
    )?;
    let bytes = snapshot.to_bytes().len();
    let building = started.elapsed();
    println!(
        "\n## The filtered snapshot of {} codes in force, {revoked} revoked\n",
        codes.len()
    );
    println!("| step | ms |");
    println!("| --- | ---: |");
    println!(
        "| read the codes and revocations in force | {:.0} |",
        reading.as_secs_f64() * 1000.0
    );
    println!(
        "| build the cascade and sign ({bytes} bytes, {} listed exactly) | {:.0} |",
        snapshot.recent.len(),
        building.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// The purge 32 days on, when every seeded visit is past its time: rows per
/// second, beside counting the same rows (the dry run) in the same run.
fn purge_figures(
    runtime: &tokio::runtime::Runtime,
    store: &Store,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let later = now + time::Duration::days(32);
    let actor = healthcode_issuer::model::Actor::Cli;
    let started = Instant::now();
    let counted = runtime.block_on(store.purge(later, true, &actor))?;
    let counting = started.elapsed();
    let started = Instant::now();
    let purged = runtime.block_on(store.purge(later, false, &actor))?;
    let purging = started.elapsed();
    anyhow::ensure!(
        purged == counted,
        "the purge deleted what the dry run did not count"
    );
    let per_second = |rows: i64, took: Duration| rows as f64 / took.as_secs_f64();
    println!("\n## The purge, 32 days on\n");
    println!("| operation | rows | ms | rows per second |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| purge (secure delete, audit, WAL truncated) | {} | {:.0} | {:.0} |",
        purged.total(),
        purging.as_secs_f64() * 1000.0,
        per_second(purged.total(), purging)
    );
    println!(
        "| floor: count the same rows (dry run) | {} | {:.0} | {:.0} |",
        counted.total(),
        counting.as_secs_f64() * 1000.0,
        per_second(counted.total(), counting)
    );
    Ok(())
}

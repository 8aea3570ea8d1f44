#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench: failing loudly is the point

//! SensorThings read latency over a month of history: what the data lake,
//! a report or an operator's chart asks of the gateway.
//!
//! `cargo bench -p sontinh-feeds-gateway --bench sensorthings [-- GAUGES DAYS DAY_REPS MONTH_REPS]`
//! (defaults 50 gauges, 30 days, 200 and 20 repetitions). The history
//! database is SQLite by default, PostgreSQL (a throw-away cluster of
//! Debian's server) with `SONTINH_BENCH_DATABASE=postgres`.
//!
//! The store is filled through its own insert path (`Store::commit`, 50,000
//! readings a transaction) with a reading a minute of every gauge for DAYS
//! days; then a gateway (with a private mosquitto, as in service) serves
//! it on loopback and a client asks, again and again:
//! - (a) a day of one gauge's readings, `Datastreams(n)/Observations?
//!   $filter=phenomenonTime ge … and phenomenonTime lt …&$top=2000` (the
//!   last day; the gauge changes at each repetition);
//! - (b) the month of every gauge hourly, `Datastreams?$filter=properties/
//!   aggregatePeriod eq 'PT1H'&$top=10&$expand=Observations($filter=…;$top=1000)`,
//!   every page through `@iot.nextLink` (and any expanded collection's own).
//!
//! Both are measured twice: with every reading still raw (the hourly means
//! summarised from the raw rows on each request: a month younger than the
//! retention's `raw_days`) and after all but the last day was folded into
//! the hourly table (a month older than it); on PostgreSQL each phase starts
//! after a `VACUUM ANALYZE` (`psql`). Latency runs from sending a
//! page's request to having its whole response, summed over the pages of
//! one query (the client's JSON parsing is outside it). Every answer's
//! number of Observations is checked.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sontinh_feeds::{Observation, Reading, Registry, Role};
use sontinh_feeds_gateway::broker::{GATEWAY_USER, LocalBroker};
use sontinh_feeds_gateway::{GatewayConfig, Limits, Secret, run_gateway_with_limits, token};
use sontinh_feeds_store::Store;

/// 2020-10-01 00:00 UTC: the month starts here.
const START_MS: i64 = 1_601_510_400_000;
const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// Readings per `Store::commit` while filling.
const BATCH: usize = 50_000;

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A level that moves through the day, different per gauge.
fn level(gauge: usize, minute: i64) -> f64 {
    let m = minute + gauge as i64 * 37;
    2.0 + ((m * 7) % 500) as f64 / 100.0
}

/// PostgreSQL: `VACUUM ANALYZE` through `psql`, so that each phase is measured
/// on a settled database (as in service, where autovacuum keeps up with the
/// hourly folds), not beside an autovacuum of millions of rows.
fn settle(database: &str, postgres: bool) {
    if !postgres {
        return;
    }
    let started = Instant::now();
    let status = std::process::Command::new("psql").args(["-q", "-c", "VACUUM ANALYZE", database]).status().expect("psql (Debian's postgresql-client)");
    assert!(status.success(), "VACUUM ANALYZE failed");
    println!("VACUUM ANALYZE: {:.1} s", started.elapsed().as_secs_f64());
}

/// One GET on a fresh connection: the status line and the body, and the time it took.
fn get(address: SocketAddr, path: &str, token: &str) -> (String, Vec<u8>, Duration) {
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_nodelay(true).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let took = started.elapsed();
    let at = response.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP response");
    let status = String::from_utf8_lossy(&response[..at]).lines().next().unwrap_or("").to_owned();
    (status, response[at + 4..].to_vec(), took)
}

/// `http://bench/v1.1/…` → `/v1.1/…`, spaces escaped.
fn path_of(link: &str) -> String {
    link[link.find("/v1.1").unwrap()..].replace(' ', "%20")
}

/// What one query (all its pages) brought.
struct Answer {
    took: Duration,
    pages: usize,
    observations: usize,
    bytes: usize,
}

/// Asks `path` and every next link it leads to (the collection's and the expanded collections').
fn query(address: SocketAddr, path: &str, token: &str) -> Answer {
    let mut answer = Answer { took: Duration::ZERO, pages: 0, observations: 0, bytes: 0 };
    let mut pending = vec![path.replace(' ', "%20")];
    while let Some(path) = pending.pop() {
        let (status, body, took) = get(address, &path, token);
        assert!(status.contains(" 200"), "{path}: {status} {}", String::from_utf8_lossy(&body));
        answer.took += took;
        answer.pages += 1;
        answer.bytes += body.len();
        let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
        for item in page["value"].as_array().unwrap() {
            match item.get("Observations") {
                Some(expanded) => {
                    answer.observations += expanded.as_array().unwrap().len();
                    if let Some(next) = item.get("Observations@iot.nextLink").and_then(|l| l.as_str()) {
                        pending.push(path_of(next));
                    }
                }
                None => answer.observations += 1,
            }
        }
        if let Some(next) = page.get("@iot.nextLink").and_then(|l| l.as_str()) {
            pending.push(path_of(next));
        }
    }
    answer
}

/// Runs `ask` `reps` times (after one unmeasured warm-up); prints a row of the table.
fn measure(label: &str, reps: usize, expected: usize, mut ask: impl FnMut(usize) -> Answer) {
    let first = ask(usize::MAX);
    assert_eq!(first.observations, expected, "{label}");
    let mut took: Vec<Duration> = Vec::with_capacity(reps);
    for rep in 0..reps {
        let answer = ask(rep);
        assert_eq!(answer.observations, expected, "{label}");
        took.push(answer.took);
    }
    took.sort_unstable();
    let pick = |q: f64| {
        // Nearest rank.
        let rank = ((q * took.len() as f64).ceil() as usize).clamp(1, took.len());
        took[rank - 1].as_secs_f64() * 1e3
    };
    println!(
        "  {label:<44} {:>5} {:>7} {:>9.1} {:>5} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
        first.pages,
        first.observations,
        first.bytes as f64 / 1e6,
        reps,
        pick(0.50),
        pick(0.95),
        pick(0.99),
        took.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    );
}

fn header() {
    println!(
        "  {:<44} {:>5} {:>7} {:>9} {:>5} {:>8} {:>8} {:>8} {:>8}",
        "query", "pages", "obs", "MB", "reps", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let arg = |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).filter(|n| *n > 0).unwrap_or(default);
    let (gauges, days, day_reps, month_reps) = (arg(0, 50), arg(1, 30), arg(2, 200), arg(3, 20));
    let end_ms = START_MS + days as i64 * DAY_MS;

    let dir = tempfile::tempdir().unwrap();
    let postgres = (std::env::var("SONTINH_BENCH_DATABASE").as_deref() == Ok("postgres"))
        .then(|| sontinh_feeds_store::postgres_server::TemporaryPostgres::start().expect("PostgreSQL's server (tools/setup-debian.sh installs it)"));
    let database = match &postgres {
        Some(server) => server.create_database("bench").unwrap(),
        None => format!("sqlite:{}", dir.path().join("history.sqlite").display()),
    };
    let devices: Vec<serde_json::Value> = (0..gauges)
        .map(|i| {
            serde_json::json!({"id": format!("g{i}"), "names": {"vi": format!("Trạm {i}"), "en": format!("Gauge {i}")},
                "kind": "water_gauge", "river": "Thạch Hãn", "alarm_levels_m": [3.0, 4.5, 6.0], "position": [107.19, 16.75, 0.0],
                "owner": "bench", "visible_to": ["tourist", "operator"], "expected_period_s": 60})
        })
        .collect();
    let devices_json = serde_json::to_string(&devices).unwrap();
    std::fs::write(dir.path().join("devices.json"), &devices_json).unwrap();
    let registry = Registry::from_json(&devices_json).unwrap();
    println!(
        "sensorthings bench: {gauges} gauges, {days} days of a reading a minute ({} readings), history database: {}",
        gauges as i64 * days as i64 * DAY_MS / MINUTE_MS,
        if postgres.is_some() { "PostgreSQL" } else { "SQLite" }
    );

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let store = runtime.block_on(async {
        let store = Store::open(&database).await.unwrap();
        let started = Instant::now();
        let mut batch = Vec::with_capacity(BATCH);
        let mut rows = 0u64;
        for minute in 0..(days as i64 * DAY_MS / MINUTE_MS) {
            for g in 0..gauges {
                batch.push(Observation { device: format!("g{g}"), time_ms: START_MS + minute * MINUTE_MS, reading: Reading::WaterLevel { level_m: level(g, minute) } });
            }
            if batch.len() >= BATCH {
                rows += store.commit(&batch, &[], end_ms).await.unwrap();
                batch.clear();
            }
        }
        rows += store.commit(&batch, &[], end_ms).await.unwrap();
        let took = started.elapsed().as_secs_f64();
        println!(
            "filled: {rows} readings in {took:.1} s ({:.0} readings/s), database {:.1} MB",
            rows as f64 / took,
            store.size_bytes().await.unwrap() as f64 / 1e6
        );
        store
    });
    settle(&database, postgres.is_some());

    // The gateway, as in service: its own mosquitto, the database above.
    let broker = LocalBroker::start(dir.path(), &registry).unwrap();
    Secret::generate().unwrap().write_new(&dir.path().join("secret")).unwrap();
    let config_path = dir.path().join("gateway.toml");
    std::fs::write(
        &config_path,
        format!(
            "broker = \"{}\"\nlisten = \"127.0.0.1:0\"\ndevices = \"devices.json\"\nsecret_file = \"secret\"\nhistory = 100\nclient_id = \"bench-sta-{}\"\n[mqtt]\nusername = \"{GATEWAY_USER}\"\npassword_file = \"passwords/{GATEWAY_USER}\"\n[database]\nurl = \"{database}\"\nraw_days = 36500\n",
            broker.url(),
            broker.port
        ),
    )
    .unwrap();
    let config = GatewayConfig::load(&config_path).unwrap();
    let token = token::issue(config.secret.as_bytes(), Role::Operator, chrono::Utc::now().timestamp() + 24 * 3600);
    // One client asking as fast as it can: no rate limit.
    let limits = Limits { requests_per_second: 1e9, ..Limits::default() };
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let gateway = runtime.spawn(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            if let Ok(a) = rx.await {
                let _ = bound_tx.send(a);
            }
        });
        run_gateway_with_limits(config, limits, Some(tx), async move {
            let _ = stop_rx.await;
        })
        .await
        .unwrap();
    });
    let address: SocketAddr = bound_rx.recv_timeout(Duration::from_secs(120)).unwrap();

    let last_day = end_ms - DAY_MS;
    let day = |rep: usize| {
        let number = rep % gauges + 1;
        query(
            address,
            &format!("/v1.1/Datastreams({number})/Observations?$filter=phenomenonTime ge {} and phenomenonTime lt {}&$top=2000", time(last_day), time(end_ms)),
            &token,
        )
    };
    let month_path = format!(
        "/v1.1/Datastreams?$filter=properties/aggregatePeriod eq 'PT1H'&$top=10&$expand=Observations($filter=phenomenonTime ge {} and phenomenonTime lt {};$top=1000)",
        time(START_MS),
        time(end_ms)
    );
    let month = |_rep: usize| query(address, &month_path, &token);
    let (day_label, month_label) = ("(a) a day of one gauge, raw", "(b) the month of every gauge, hourly");
    let (per_day, per_month) = ((DAY_MS / MINUTE_MS) as usize, gauges * days * 24);

    println!("every reading raw (hourly means summarised from the raw rows at each request):");
    header();
    measure(day_label, day_reps, per_day, day);
    measure(month_label, month_reps, per_month, month);

    let folded = runtime.block_on(async {
        let started = Instant::now();
        let done = store.downsample(last_day).await.unwrap();
        println!(
            "folded all but the last day: {} readings into {} hourly summaries in {:.1} s, {} readings left raw",
            done.observations,
            done.hours,
            started.elapsed().as_secs_f64(),
            store.count(None, i64::MIN, i64::MAX).await.unwrap()
        );
        done
    });
    settle(&database, postgres.is_some());
    // The freed space is kept for reuse (SQLite's free pages, PostgreSQL's vacuumed tuples), not given back.
    println!("database {:.1} MB", runtime.block_on(store.size_bytes()).unwrap() as f64 / 1e6);
    assert!(folded.observations > 0);
    println!("all but the last day folded (hourly means from the hourly table, the last day's from raw rows):");
    header();
    measure(day_label, day_reps, per_day, day);
    measure(month_label, month_reps, per_month, month);

    let _ = stop_tx.send(());
    runtime.block_on(async {
        let _ = gateway.await;
        store.close().await;
    });
    drop(broker);
}

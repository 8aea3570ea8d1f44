#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! The history store on both databases: every test runs on an embedded
//! SQLite file and on a temporary PostgreSQL cluster (Debian's server,
//! started by the test; a machine without it fails with a clear message).
//! Expected figures are worked out by hand from the readings written.

use approx::assert_relative_eq;
use sontinh_feeds::{Observation, Reading, Registry};
use sontinh_feeds_store::postgres_server::TemporaryPostgres;
use sontinh_feeds_store::{Acknowledgement, Backend, HOUR_MS, RejectRecord, Store};

/// 2020-10-18 00:00 UTC, the 2020 flood's peak day.
const T0: i64 = 1_602_979_200_000;

fn level(device: &str, time_ms: i64, level_m: f64) -> Observation {
    Observation { device: device.to_owned(), time_ms, reading: Reading::WaterLevel { level_m } }
}

/// A store of each kind, empty; the PostgreSQL server lives as long as the returned guard.
async fn stores(name: &str) -> (Vec<(Store, String)>, tempfile::TempDir, TemporaryPostgres) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite:{}", dir.path().join(format!("{name}.sqlite")).display());
    let sqlite = Store::open(&sqlite_url).await.unwrap();
    let server = TemporaryPostgres::start().unwrap_or_else(|e| panic!("the PostgreSQL half of this test needs a server: {e}"));
    let postgres_url = server.create_database(name).unwrap();
    let postgres = Store::open(&postgres_url).await.unwrap();
    assert_eq!((sqlite.backend(), postgres.backend()), (Backend::Sqlite, Backend::Postgres));
    (vec![(sqlite, sqlite_url), (postgres, postgres_url)], dir, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn observations_are_stored_once_per_device_and_time() {
    let (stores, _dir, _server) = stores("once").await;
    for (store, _) in &stores {
        let first = [level("g1", T0, 1.5), level("g1", T0 + 60_000, 1.75), level("g2", T0, 0.5)];
        assert_eq!(store.commit(&first, &[], T0).await.unwrap(), 3, "{:?}", store.backend());
        // Redelivered (the broker never heard the acknowledgement) with one new reading: only that one is added.
        let again = [level("g1", T0 + 60_000, 9.0), level("g1", T0 + 120_000, 2.0)];
        assert_eq!(store.commit(&again, &[], T0).await.unwrap(), 1, "{:?}", store.backend());
        assert_eq!(store.count(None, i64::MIN, i64::MAX).await.unwrap(), 4);
        assert_eq!(store.count(Some("g1"), T0 + 1, i64::MAX).await.unwrap(), 2);
        let g1 = store.range(Some("g1"), T0, T0 + HOUR_MS, false, 10, 0).await.unwrap();
        // The first reading of a time stays (1.75 m, not the redelivered 9.0 m).
        assert_eq!(g1, vec![level("g1", T0, 1.5), level("g1", T0 + 60_000, 1.75), level("g1", T0 + 120_000, 2.0)]);
        let newest = store.range(None, T0, T0 + HOUR_MS, true, 2, 1).await.unwrap();
        assert_eq!(newest, vec![level("g1", T0 + 60_000, 1.75), level("g2", T0, 0.5)], "{:?}", store.backend());
        assert_eq!(store.latest("g1", 2).await.unwrap(), vec![level("g1", T0 + 60_000, 1.75), level("g1", T0 + 120_000, 2.0)]);
        // Every kind of reading comes back as it went in.
        let others = [
            Observation { device: "cam".into(), time_ms: T0, reading: Reading::Camera { online: true, snapshot_url: Some("cam-1.jpg".into()) } },
            Observation { device: "light".into(), time_ms: T0, reading: Reading::Light { on: true, dim: 0.25, fault: Some("lamp".into()) } },
            Observation { device: "rain".into(), time_ms: T0, reading: Reading::Value { value: -3.5 } },
        ];
        store.commit(&others, &[], T0).await.unwrap();
        for o in &others {
            assert_eq!(store.latest(&o.device, 5).await.unwrap(), vec![o.clone()]);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_history_survives_reopening() {
    let (stores, _dir, _server) = stores("reopen").await;
    for (store, url) in &stores {
        store.commit(&[level("g1", T0, 3.25)], &[], T0).await.unwrap();
        store.close().await;
        let reopened = Store::open(url).await.unwrap();
        assert_eq!(reopened.latest("g1", 10).await.unwrap(), vec![level("g1", T0, 3.25)], "{url}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn old_observations_fold_into_hourly_minimum_mean_and_maximum() {
    let (stores, _dir, _server) = stores("hourly").await;
    for (store, _) in &stores {
        let readings = [
            level("g1", T0 + 60_000, 1.0),
            level("g1", T0 + 1_800_000, 2.0),
            level("g1", T0 + 3_540_000, 4.0),
            level("g1", T0 + HOUR_MS, 3.0),
            level("g1", T0 + HOUR_MS + 600_000, 5.0),
            level("g1", T0 + 2 * HOUR_MS + 60_000, 6.0),
            // A device silent since the first hour keeps its one reading raw.
            level("g2", T0 + 120_000, 0.5),
        ];
        store.commit(&readings, &[], T0).await.unwrap();
        // Half an hour into the third hour: the first two hours are folded.
        let folded = store.downsample(T0 + 2 * HOUR_MS + 1_800_000).await.unwrap();
        assert_eq!((folded.observations, folded.hours), (5, 2), "{:?}", store.backend());
        let hours = store.hourly(None, T0, T0 + 24 * HOUR_MS).await.unwrap();
        assert_eq!(hours.iter().map(|h| (h.device.as_str(), h.hour_ms, h.count)).collect::<Vec<_>>(), [("g1", T0, 3), ("g1", T0 + HOUR_MS, 2)]);
        assert_eq!((hours[0].min, hours[0].max), (Some(1.0), Some(4.0)));
        assert_relative_eq!(hours[0].mean.unwrap(), 7.0 / 3.0, max_relative = 1e-12);
        assert_eq!((hours[1].min, hours[1].mean, hours[1].max), (Some(3.0), Some(4.0), Some(5.0)));
        assert_eq!(store.count(None, i64::MIN, i64::MAX).await.unwrap(), 2, "the latest of each device stays raw");
        assert_eq!(store.latest("g2", 1).await.unwrap(), vec![level("g2", T0 + 120_000, 0.5)]);
        // A reading of the first hour arriving late merges with its summary.
        store.commit(&[level("g1", T0 + 120_000, 10.0), level("g1", T0 + 3 * HOUR_MS, 7.0)], &[], T0).await.unwrap();
        let folded = store.downsample(T0 + 3 * HOUR_MS).await.unwrap();
        // The late reading and the third hour's 6.0 m (no longer g1's latest).
        assert_eq!((folded.observations, folded.hours), (2, 2));
        let first = &store.hourly(Some("g1"), T0, T0 + 1).await.unwrap()[0];
        assert_eq!((first.count, first.min, first.max), (4, Some(1.0), Some(10.0)));
        assert_relative_eq!(first.mean.unwrap(), (1.0 + 2.0 + 4.0 + 10.0) / 4.0, max_relative = 1e-12);
    }
}

/// Every summary `hourly_range` should give for `readings`, worked out here
/// from the readings themselves: (hour, device) → (count, min, sum, max).
fn expected_hours(readings: &[Observation]) -> std::collections::BTreeMap<(i64, String), (i64, f64, f64, f64)> {
    let mut hours = std::collections::BTreeMap::new();
    for o in readings {
        let Reading::WaterLevel { level_m } = o.reading else { unreachable!() };
        let hour = o.time_ms.div_euclid(HOUR_MS) * HOUR_MS;
        let e = hours.entry((hour, o.device.clone())).or_insert((0, f64::INFINITY, 0.0, f64::NEG_INFINITY));
        *e = (e.0 + 1, e.1.min(level_m), e.2 + level_m, e.3.max(level_m));
    }
    hours
}

/// `hourly_range` and `hourly_count` against the worked-out summaries, in
/// both orders, paged, for one device and for a range that starts inside an hour.
async fn check_hours(store: &Store, readings: &[Observation], when: &str) {
    let expected = expected_hours(readings);
    let what = format!("{:?}, {when}", store.backend());
    let (from, to) = (T0 - 5 * HOUR_MS, T0 + 10 * HOUR_MS);
    let all = store.hourly_range(&[], from, to, false, 1000, 0).await.unwrap();
    assert_eq!(all.len(), expected.len(), "{what}");
    for (got, ((hour, device), (n, min, sum, max))) in all.iter().zip(&expected) {
        assert_eq!((got.hour_ms, &got.device, got.count, got.values), (*hour, device, *n, *n), "{what}");
        assert_eq!((got.min, got.max), (Some(*min), Some(*max)), "{what}: {device} at {hour}");
        assert_relative_eq!(got.mean.unwrap(), sum / *n as f64, max_relative = 1e-12);
    }
    assert_eq!(store.hourly_count(&[], from, to).await.unwrap(), expected.len() as i64, "{what}");
    // Newest first, a page of four after skipping three.
    let page = store.hourly_range(&[], from, to, true, 4, 3).await.unwrap();
    let keys: Vec<(i64, String)> = page.iter().map(|h| (h.hour_ms, h.device.clone())).collect();
    let wanted: Vec<(i64, String)> = expected.keys().rev().skip(3).take(4).cloned().collect();
    assert_eq!(keys, wanted, "{what}");
    // One device; the range starts a millisecond into an hour, so that hour is out.
    let g2 = store.hourly_range(&["g2"], T0 + HOUR_MS + 1, T0 + 4 * HOUR_MS, false, 100, 0).await.unwrap();
    let keys: Vec<i64> = g2.iter().map(|h| h.hour_ms).collect();
    assert_eq!(keys, [T0 + 2 * HOUR_MS, T0 + 3 * HOUR_MS], "{what}");
    assert_eq!(store.hourly_count(&["g2", "g3"], T0 + HOUR_MS + 1, T0 + 4 * HOUR_MS).await.unwrap(), 4, "{what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn hourly_ranges_are_exact_before_during_and_after_folding() {
    let (stores, _dir, _server) = stores("hourly_range").await;
    // Three gauges over six hours, a reading every seven minutes (so hours
    // hold 8 or 9 of them), each level a quarter-metre step of its own.
    let mut readings = Vec::new();
    for (d, device) in ["g1", "g2", "g3"].iter().enumerate() {
        let mut t = T0 + d as i64 * 60_000;
        while t < T0 + 6 * HOUR_MS {
            let minutes = (t - T0) / 60_000;
            readings.push(level(device, t, (minutes % 17) as f64 * 0.25 + d as f64));
            t += 7 * 60_000;
        }
    }
    for (store, _) in &stores {
        let mut readings = readings.clone();
        store.commit(&readings, &[], T0).await.unwrap();
        check_hours(store, &readings, "nothing folded").await;
        // The first three hours folded: those come from the hourly table, the rest from raw rows.
        let folded = store.downsample(T0 + 3 * HOUR_MS + 1).await.unwrap();
        assert_eq!(folded.hours, 9);
        check_hours(store, &readings, "three hours folded").await;
        // A late reading of a folded hour, kept raw beside its hour's summary.
        let late = level("g1", T0 + 30_000, 40.0);
        store.commit(std::slice::from_ref(&late), &[], T0).await.unwrap();
        readings.push(late);
        check_hours(store, &readings, "a late reading beside its folded hour").await;
        // Everything folded but each gauge's latest, which stays raw.
        store.downsample(T0 + 10 * HOUR_MS).await.unwrap();
        assert_eq!(store.count(None, i64::MIN, i64::MAX).await.unwrap(), 3);
        check_hours(store, &readings, "all folded").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn devices_acknowledgements_and_rejects_are_kept() {
    let (stores, _dir, _server) = stores("records").await;
    let registry = Registry::from_json(
        r#"[{"id": "gauge-thach-han", "names": {"vi": "Trạm Thạch Hãn", "en": "Thạch Hãn gauge"}, "kind": "water_gauge",
             "river": "Thạch Hãn", "alarm_levels_m": [3.0, 4.5, 6.0], "position": [107.186, 16.752, 0.0], "owner": "KTTV",
             "visible_to": ["operator"], "expected_period_s": 3600}]"#,
    )
    .unwrap();
    for (store, _) in &stores {
        store.put_devices(&registry, T0).await.unwrap();
        store.put_devices(&registry, T0 + 1).await.unwrap();
        let devices = store.device_descriptions().await.unwrap();
        assert_eq!(devices.len(), 1);
        let stored: serde_json::Value = serde_json::from_str(&devices[0].1).unwrap();
        assert_eq!((stored["id"].as_str(), stored["alarm_levels_m"][2].as_f64()), (Some("gauge-thach-han"), Some(6.0)));
        let ack = Acknowledgement { device: "gauge-thach-han".into(), alarm_time_ms: T0, by: "operator-1".into(), at_ms: T0 + 5_000 };
        assert!(store.acknowledge(&ack).await.unwrap());
        assert!(!store.acknowledge(&Acknowledgement { by: "operator-2".into(), at_ms: T0 + 9_000, ..ack.clone() }).await.unwrap());
        assert_eq!(store.acknowledgements().await.unwrap(), vec![ack]);
        let rejects = [
            RejectRecord { received_ms: T0, kind: "malformed".into(), detail: "x".repeat(2000) },
            RejectRecord { received_ms: T0 + 1, kind: "unknown_device".into(), detail: "gauge-9".into() },
        ];
        store.commit(&[], &rejects, T0).await.unwrap();
        let kept = store.rejects(10).await.unwrap();
        assert_eq!(kept.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), ["unknown_device", "malformed"]);
        assert_eq!(kept[1].detail.len(), 512, "long details are cut");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_databases_are_named() {
    let err = Store::open("mysql://root@localhost/ioc").await.unwrap_err().to_string();
    assert!(err.contains("must start with sqlite: or postgres://"), "{err}");
    let err = Store::open("sqlite:").await.unwrap_err().to_string();
    assert!(err.contains("name a file"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(&format!("sqlite:{}", dir.path().join("missing/folder/h.sqlite").display())).await.unwrap_err().to_string();
    assert!(err.contains("cannot open the database"), "{err}");
    // A database written by a newer gateway is refused, not misread.
    let url = format!("sqlite:{}", dir.path().join("newer.sqlite").display());
    let store = Store::open(&url).await.unwrap();
    store.close().await;
    let raw = sqlx_update(&url).await;
    assert_eq!(raw, 1);
    let err = Store::open(&url).await.unwrap_err().to_string();
    assert!(err.contains("schema version 99, newer"), "{err}");
}

/// Marks a SQLite history as written by schema version 99, with a connection of its own.
async fn sqlx_update(url: &str) -> u64 {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&url.replacen("sqlite:", "sqlite://", 1)).await.unwrap();
    sqlx::query("UPDATE schema_version SET version = 99").execute(&mut conn).await.unwrap().rows_affected()
}

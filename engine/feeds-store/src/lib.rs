//! The operations centre's history in a database.
//!
//! One code path for embedded SQLite (one file in WAL mode, nothing to
//! install: the default) and PostgreSQL: sqlx's Any driver picks the
//! database from the URL, and every statement is written in the SQL both
//! accept (`$n` parameters, `ON CONFLICT … DO NOTHING`, integer epoch
//! milliseconds rather than dates, `CASE` rather than `min`/`greatest`).
//!
//! What is kept: the device registry, every accepted observation (unique per
//! device and time, so a message delivered twice, or written by two
//! gateways, is stored once), rejects, and alarm acknowledgements (who,
//! when). Observations older than the retention period are folded into
//! hourly minimum, mean and maximum per device, so a year of history stays
//! small; each device's latest observation is always kept raw, so that its
//! state survives any silence. [`Store::hourly_range`] reads the hourly
//! summaries of any period exactly, whatever has been folded yet: the
//! folded rows merged with the summary of the raw observations still kept.

pub mod postgres_server;
mod schema;

use std::time::Duration;

use sontinh_feeds::{Observation, Reading, Registry};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// A database error, with what the store was doing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what}: {source}")]
    Database {
        what: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

type Result<T> = std::result::Result<T, StoreError>;

fn failed(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
    let what = what.into();
    move |source| StoreError::Database { what, source }
}

/// Which database a [`Store`] writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Milliseconds in an hour: the downsampled history's step.
pub const HOUR_MS: i64 = 3_600_000;

/// Rows per multi-row `INSERT`: 6 parameters each stays far below both
/// databases' limits on a statement's parameters (SQLite 32,766; PostgreSQL 65,535).
const ROWS_PER_INSERT: usize = 200;

/// Longest text of a reject kept (the detail of a malformed message may be long).
const MAX_REJECT_DETAIL: usize = 512;

/// The history database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// A reading folded into an hour: how many, and their extremes and mean.
#[derive(Clone, Debug, PartialEq)]
pub struct HourlySummary {
    pub device: String,
    /// The hour's start, milliseconds since 1970.
    pub hour_ms: i64,
    pub count: i64,
    /// How many of them had a number ([`numeric_value`]): the mean's weight.
    pub values: i64,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
}

/// An operator's acknowledgement of an alarm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acknowledgement {
    pub device: String,
    /// The time of the observation that raised the alarm.
    pub alarm_time_ms: i64,
    /// Who acknowledged it (the token's subject).
    pub by: String,
    pub at_ms: i64,
}

/// A message the gateway refused, kept for the operators' review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectRecord {
    pub received_ms: i64,
    pub kind: String,
    pub detail: String,
}

/// What [`Store::downsample`] folded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Downsampled {
    pub observations: u64,
    pub hours: u64,
}

/// The number a reading contributes to hourly summaries: the level, the
/// value, a light's dimming (0 when off), a camera's being online (1 or 0).
pub fn numeric_value(reading: &Reading) -> Option<f64> {
    match reading {
        Reading::WaterLevel { level_m } => Some(*level_m),
        Reading::Value { value } => Some(*value),
        Reading::Light { on, dim, .. } => Some(if *on { *dim } else { 0.0 }),
        Reading::Camera { online, .. } => Some(if *online { 1.0 } else { 0.0 }),
    }
}

impl Store {
    /// Opens (creating where need be) the database at `url`: `sqlite:PATH`
    /// (the file is created) or `postgres://USER@HOST:PORT/DATABASE`.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            if path.is_empty() || path.contains('?') {
                return Err(StoreError::Invalid(format!("database {url}: name a file, as sqlite:PATH")));
            }
            (Backend::Sqlite, format!("sqlite://{path}?mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(StoreError::Invalid(format!(
                "database {}: the URL must start with sqlite: or postgres://",
                redact(url)
            )));
        };
        let options = AnyPoolOptions::new()
            // SQLite writes one at a time whatever the pool; readers run beside the writer in WAL mode.
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers never block the writer. synchronous=FULL:
                        // a commit is on disk before the message is acknowledged.
                        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA busy_timeout = 10000"] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await.map_err(failed(format!("cannot open the database {}", redact(&url))))?;
        let store = Store { pool, backend };
        schema::migrate(&store.pool).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (a test's restart, the gateway's stop).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Writes the registry's devices (as their JSON description), replacing
    /// those of the same id.
    pub async fn put_devices(&self, registry: &Registry, now_ms: i64) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(failed("cannot start a transaction"))?;
        for device in registry.devices() {
            let description = serde_json::to_string(device).map_err(|e| StoreError::Invalid(e.to_string()))?;
            sqlx::query(
                "INSERT INTO devices (id, description, updated_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET description = excluded.description, updated_ms = excluded.updated_ms",
            )
            .bind(device.id.clone())
            .bind(description)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .map_err(failed(format!("cannot store device {}", device.id)))?;
        }
        tx.commit().await.map_err(failed("cannot commit the devices"))
    }

    /// The devices' JSON descriptions as stored, by id.
    pub async fn device_descriptions(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT id, description FROM devices ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(failed("cannot read the devices"))?;
        rows.iter().map(|r| Ok((get(r, "id")?, get(r, "description")?))).collect()
    }

    /// Commits accepted observations and rejects in one transaction: when it
    /// returns `Ok`, all are on disk. An observation already stored (same
    /// device and time) is left as it is. Returns how many were new.
    pub async fn commit(&self, observations: &[Observation], rejects: &[RejectRecord], received_ms: i64) -> Result<u64> {
        let mut tx = self.pool.begin().await.map_err(failed("cannot start a transaction"))?;
        let mut inserted = 0;
        for chunk in observations.chunks(ROWS_PER_INSERT) {
            let mut sql = String::from("INSERT INTO observations (device, time_ms, value, reading, received_ms) VALUES ");
            for i in 0..chunk.len() {
                let p = i * 5;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4, p + 5));
            }
            sql.push_str(" ON CONFLICT (device, time_ms) DO NOTHING");
            let mut query = sqlx::query(&sql);
            for o in chunk {
                let reading = serde_json::to_string(&o.reading).map_err(|e| StoreError::Invalid(e.to_string()))?;
                query = query.bind(o.device.clone()).bind(o.time_ms).bind(numeric_value(&o.reading)).bind(reading).bind(received_ms);
            }
            inserted += query.execute(&mut *tx).await.map_err(failed("cannot store observations"))?.rows_affected();
        }
        for r in rejects {
            let detail: String = r.detail.chars().take(MAX_REJECT_DETAIL).collect();
            sqlx::query("INSERT INTO rejects (received_ms, kind, detail) VALUES ($1, $2, $3)")
                .bind(r.received_ms)
                .bind(r.kind.clone())
                .bind(detail)
                .execute(&mut *tx)
                .await
                .map_err(failed("cannot store a reject"))?;
        }
        tx.commit().await.map_err(failed("cannot commit observations"))?;
        Ok(inserted)
    }

    /// A device's newest `limit` raw observations, oldest first (the state a
    /// restarted gateway restores).
    pub async fn latest(&self, device: &str, limit: i64) -> Result<Vec<Observation>> {
        let rows = sqlx::query("SELECT device, time_ms, reading FROM observations WHERE device = $1 ORDER BY time_ms DESC LIMIT $2")
            .bind(device.to_owned())
            .bind(limit.max(0))
            .fetch_all(&self.pool)
            .await
            .map_err(failed(format!("cannot read the history of {device}")))?;
        let mut list = rows.iter().map(observation).collect::<Result<Vec<_>>>()?;
        list.reverse();
        Ok(list)
    }

    /// Raw observations of `device` (every device when `None`) with
    /// `from_ms <= time < to_ms`, by time (descending when `newest_first`),
    /// `limit` of them after skipping `offset`.
    pub async fn range(&self, device: Option<&str>, from_ms: i64, to_ms: i64, newest_first: bool, limit: i64, offset: i64) -> Result<Vec<Observation>> {
        self.range_of(device.as_slice(), from_ms, to_ms, newest_first, limit, offset).await
    }

    /// [`Store::range`] over several devices (every device when `devices` is empty).
    pub async fn range_of(&self, devices: &[&str], from_ms: i64, to_ms: i64, newest_first: bool, limit: i64, offset: i64) -> Result<Vec<Observation>> {
        let order = if newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT device, time_ms, reading FROM observations WHERE time_ms >= $1 AND time_ms < $2{} \
             ORDER BY time_ms {order}, device {order} LIMIT $3 OFFSET $4",
            device_list(devices, 5)
        );
        let mut query = sqlx::query(&sql).bind(from_ms).bind(to_ms).bind(limit.max(0)).bind(offset.max(0));
        for d in devices {
            query = query.bind((*d).to_owned());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(failed("cannot read observations"))?;
        rows.iter().map(observation).collect()
    }

    /// How many raw observations `device` (every device when `None`) has in `[from_ms, to_ms)`.
    pub async fn count(&self, device: Option<&str>, from_ms: i64, to_ms: i64) -> Result<i64> {
        self.count_of(device.as_slice(), from_ms, to_ms).await
    }

    /// [`Store::count`] over several devices (every device when `devices` is empty).
    pub async fn count_of(&self, devices: &[&str], from_ms: i64, to_ms: i64) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) AS n FROM observations WHERE time_ms >= $1 AND time_ms < $2{}", device_list(devices, 3));
        let mut query = sqlx::query(&sql).bind(from_ms).bind(to_ms);
        for d in devices {
            query = query.bind((*d).to_owned());
        }
        let row = query.fetch_one(&self.pool).await.map_err(failed("cannot count observations"))?;
        get(&row, "n")
    }

    /// Folds every raw observation before `before_ms` (rounded down to a
    /// whole hour) into hourly summaries, except each device's latest, and
    /// deletes what it folded, in one transaction.
    pub async fn downsample(&self, before_ms: i64) -> Result<Downsampled> {
        let cutoff = before_ms.div_euclid(HOUR_MS) * HOUR_MS;
        // Each device's latest observation stays raw: its state must survive any silence.
        let folded = "FROM observations WHERE time_ms < $1 \
                      AND time_ms < (SELECT MAX(o2.time_ms) FROM observations o2 WHERE o2.device = observations.device)";
        let mut tx = self.pool.begin().await.map_err(failed("cannot start a transaction"))?;
        let summaries = sqlx::query(&format!(
            "SELECT device, {HOUR_OF_TIME} AS hour_ms, COUNT(*) AS n, COUNT(value) AS n_values, \
             MIN(value) AS low, AVG(value) AS mean, MAX(value) AS high {folded} GROUP BY device, {HOUR_OF_TIME}"
        ))
        .bind(cutoff)
        .fetch_all(&mut *tx)
        .await
        .map_err(failed("cannot summarise observations by hour"))?;
        let mut hours = 0;
        for row in &summaries {
            let (device, hour_ms, n, n_values): (String, i64, i64, i64) = (get(row, "device")?, get(row, "hour_ms")?, get(row, "n")?, get(row, "n_values")?);
            let (low, mean, high): (Option<f64>, Option<f64>, Option<f64>) = (get(row, "low")?, get(row, "mean")?, get(row, "high")?);
            // An hour folded before (a reading that came late) merges with the new one.
            sqlx::query(
                "INSERT INTO hourly (device, hour_ms, n, n_values, low, mean, high) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (device, hour_ms) DO UPDATE SET \
                 low = CASE WHEN hourly.low IS NULL OR excluded.low < hourly.low THEN excluded.low ELSE hourly.low END, \
                 high = CASE WHEN hourly.high IS NULL OR excluded.high > hourly.high THEN excluded.high ELSE hourly.high END, \
                 mean = CASE WHEN hourly.n_values + excluded.n_values = 0 THEN NULL \
                        ELSE (COALESCE(hourly.mean, 0) * hourly.n_values + COALESCE(excluded.mean, 0) * excluded.n_values) / (hourly.n_values + excluded.n_values) END, \
                 n = hourly.n + excluded.n, n_values = hourly.n_values + excluded.n_values",
            )
            .bind(device)
            .bind(hour_ms)
            .bind(n)
            .bind(n_values)
            .bind(low)
            .bind(mean)
            .bind(high)
            .execute(&mut *tx)
            .await
            .map_err(failed("cannot store an hourly summary"))?;
            hours += 1;
        }
        let deleted = sqlx::query(&format!("DELETE {folded}"))
            .bind(cutoff)
            .execute(&mut *tx)
            .await
            .map_err(failed("cannot delete folded observations"))?
            .rows_affected();
        tx.commit().await.map_err(failed("cannot commit the downsampling"))?;
        Ok(Downsampled { observations: deleted, hours })
    }

    /// The rows of the `hourly` table (what was folded, nothing else) of
    /// `device` (every device when `None`) with `from_ms <= hour < to_ms`, by hour.
    pub async fn hourly(&self, device: Option<&str>, from_ms: i64, to_ms: i64) -> Result<Vec<HourlySummary>> {
        let rows = sqlx::query(
            "SELECT device, hour_ms, n, n_values, low, mean, high FROM hourly WHERE ($1 = '' OR device = $1) AND hour_ms >= $2 AND hour_ms < $3 \
             ORDER BY hour_ms, device",
        )
        .bind(device.unwrap_or("").to_owned())
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(failed("cannot read hourly summaries"))?;
        rows.iter().map(summary).collect()
    }

    /// Hourly summaries of `devices` (every device when empty) for the hours
    /// with `from_ms <= hour start < to_ms`, by hour then device (descending
    /// when `newest_first`), `limit` of them after skipping `offset`; hours
    /// with no numeric reading are left out.
    ///
    /// Each is exact whatever the downsampling has done so far: the rows of
    /// `hourly` (what was folded) merged with the same summary worked out
    /// from the raw observations of the hour still kept (not yet old enough
    /// to fold, each device's latest, a reading that came late): counts
    /// add, extremes take the extreme, means are weighted by their counts.
    pub async fn hourly_range(&self, devices: &[&str], from_ms: i64, to_ms: i64, newest_first: bool, limit: i64, offset: i64) -> Result<Vec<HourlySummary>> {
        let order = if newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT device, hour_ms, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(n_values) AS BIGINT) AS n_values, MIN(low) AS low, MAX(high) AS high, \
             SUM(mean * n_values) / CAST(SUM(n_values) AS DOUBLE PRECISION) AS mean FROM ({}) AS parts \
             GROUP BY device, hour_ms HAVING SUM(n_values) > 0 ORDER BY hour_ms {order}, device {order} LIMIT $5 OFFSET $6",
            hourly_parts(devices, 7)
        );
        let (raw_from, raw_to) = raw_span(from_ms, to_ms);
        let mut query = sqlx::query(&sql).bind(from_ms).bind(to_ms).bind(raw_from).bind(raw_to).bind(limit.max(0)).bind(offset.max(0));
        for d in devices {
            query = query.bind((*d).to_owned());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(failed("cannot read hourly summaries"))?;
        rows.iter().map(summary).collect()
    }

    /// How many summaries [`Store::hourly_range`] has in the range.
    pub async fn hourly_count(&self, devices: &[&str], from_ms: i64, to_ms: i64) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT device, hour_ms FROM ({}) AS parts GROUP BY device, hour_ms HAVING SUM(n_values) > 0) AS hours",
            hourly_parts(devices, 5)
        );
        let (raw_from, raw_to) = raw_span(from_ms, to_ms);
        let mut query = sqlx::query(&sql).bind(from_ms).bind(to_ms).bind(raw_from).bind(raw_to);
        for d in devices {
            query = query.bind((*d).to_owned());
        }
        let row = query.fetch_one(&self.pool).await.map_err(failed("cannot count hourly summaries"))?;
        get(&row, "n")
    }

    /// The database's size on disk, in bytes (SQLite: its pages, the WAL
    /// aside; PostgreSQL: `pg_database_size`).
    pub async fn size_bytes(&self) -> Result<i64> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()",
            Backend::Postgres => "SELECT pg_database_size(current_database()) AS n",
        };
        let row = sqlx::query(sql).fetch_one(&self.pool).await.map_err(failed("cannot read the database's size"))?;
        get(&row, "n")
    }

    /// Records an acknowledgement; acknowledging an alarm again keeps the first.
    pub async fn acknowledge(&self, ack: &Acknowledgement) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO acknowledgements (device, alarm_time_ms, by_user, at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (device, alarm_time_ms) DO NOTHING",
        )
        .bind(ack.device.clone())
        .bind(ack.alarm_time_ms)
        .bind(ack.by.clone())
        .bind(ack.at_ms)
        .execute(&self.pool)
        .await
        .map_err(failed("cannot store an acknowledgement"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Every acknowledgement, oldest alarm first.
    pub async fn acknowledgements(&self) -> Result<Vec<Acknowledgement>> {
        let rows = sqlx::query("SELECT device, alarm_time_ms, by_user, at_ms FROM acknowledgements ORDER BY alarm_time_ms, device")
            .fetch_all(&self.pool)
            .await
            .map_err(failed("cannot read acknowledgements"))?;
        rows.iter()
            .map(|r| {
                Ok(Acknowledgement {
                    device: get(r, "device")?,
                    alarm_time_ms: get(r, "alarm_time_ms")?,
                    by: get(r, "by_user")?,
                    at_ms: get(r, "at_ms")?,
                })
            })
            .collect()
    }

    /// The newest `limit` rejects, newest first.
    pub async fn rejects(&self, limit: i64) -> Result<Vec<RejectRecord>> {
        let rows = sqlx::query("SELECT received_ms, kind, detail FROM rejects ORDER BY received_ms DESC LIMIT $1")
            .bind(limit.max(0))
            .fetch_all(&self.pool)
            .await
            .map_err(failed("cannot read rejects"))?;
        rows.iter()
            .map(|r| Ok(RejectRecord { received_ms: get(r, "received_ms")?, kind: get(r, "kind")?, detail: get(r, "detail")? }))
            .collect()
    }
}

/// The hour an observation's time falls in, in SQL: the expression
/// [`Store::downsample`] groups by, so the two always agree.
const HOUR_OF_TIME: &str = "(time_ms / 3600000) * 3600000";
const _: () = assert!(HOUR_MS == 3_600_000, "HOUR_OF_TIME spells the hour out");

/// The summaries of the hours `$1 <= hour < $2` in two parts, one row per
/// device and hour each: the `hourly` table's rows and the raw observations
/// (read in `$3 <= time < $4`, an index range around the hours) grouped by
/// hour. Devices are `$first…`.
fn hourly_parts(devices: &[&str], first: usize) -> String {
    let devices = device_list(devices, first);
    format!(
        "SELECT device, hour_ms, n, n_values, low, mean, high FROM hourly WHERE hour_ms >= $1 AND hour_ms < $2{devices} \
         UNION ALL \
         SELECT device, {HOUR_OF_TIME} AS hour_ms, COUNT(*) AS n, COUNT(value) AS n_values, MIN(value) AS low, AVG(value) AS mean, MAX(value) AS high \
         FROM observations WHERE time_ms >= $3 AND time_ms < $4 AND {HOUR_OF_TIME} >= $1 AND {HOUR_OF_TIME} < $2{devices} \
         GROUP BY device, {HOUR_OF_TIME}"
    )
}

/// The times whose hours may lie in `[from_ms, to_ms)`: an hour wider on
/// each side (whatever the rounding of negative times), for the index.
fn raw_span(from_ms: i64, to_ms: i64) -> (i64, i64) {
    (from_ms.saturating_sub(HOUR_MS), to_ms.saturating_add(HOUR_MS))
}

fn summary(r: &AnyRow) -> Result<HourlySummary> {
    Ok(HourlySummary {
        device: get(r, "device")?,
        hour_ms: get(r, "hour_ms")?,
        count: get(r, "n")?,
        values: get(r, "n_values")?,
        min: get(r, "low")?,
        mean: get(r, "mean")?,
        max: get(r, "high")?,
    })
}

/// ` AND device IN ($first, …)` for `devices`, nothing when empty.
fn device_list(devices: &[&str], first: usize) -> String {
    if devices.is_empty() {
        return String::new();
    }
    let marks: Vec<String> = (0..devices.len()).map(|i| format!("${}", first + i)).collect();
    format!(" AND device IN ({})", marks.join(", "))
}

fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column).map_err(failed(format!("cannot read column {column}")))
}

fn observation(row: &AnyRow) -> Result<Observation> {
    let device: String = get(row, "device")?;
    let time_ms: i64 = get(row, "time_ms")?;
    let text: String = get(row, "reading")?;
    let reading = serde_json::from_str(&text).map_err(|e| StoreError::Invalid(format!("stored reading of {device} at {time_ms}: {e}")))?;
    Ok(Observation { device, time_ms, reading })
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            match user_info.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgres://iot:s3cret@db:5432/ioc"), "postgres://iot:***@db:5432/ioc");
        assert_eq!(redact("postgres://iot@db/ioc"), "postgres://iot@db/ioc");
        assert_eq!(redact("sqlite:history.sqlite"), "sqlite:history.sqlite");
    }

    #[test]
    fn readings_fold_into_numbers() {
        assert_eq!(numeric_value(&Reading::WaterLevel { level_m: 4.25 }), Some(4.25));
        assert_eq!(numeric_value(&Reading::Light { on: false, dim: 0.8, fault: None }), Some(0.0));
        assert_eq!(numeric_value(&Reading::Camera { online: true, snapshot_url: None }), Some(1.0));
    }
}

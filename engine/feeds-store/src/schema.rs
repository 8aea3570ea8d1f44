//! The tables, created where missing, in SQL that SQLite and PostgreSQL share.

use sqlx::AnyPool;

use crate::{StoreError, failed};

/// The schema this code writes; a database of a newer one is refused.
pub const SCHEMA_VERSION: i64 = 1;

const TABLES: [&str; 6] = [
    "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, description TEXT NOT NULL, updated_ms BIGINT NOT NULL)",
    // One row per device and time: a message delivered twice, or written by
    // two gateways, is stored once.
    "CREATE TABLE IF NOT EXISTS observations (device TEXT NOT NULL, time_ms BIGINT NOT NULL, value DOUBLE PRECISION, \
     reading TEXT NOT NULL, received_ms BIGINT NOT NULL, PRIMARY KEY (device, time_ms))",
    "CREATE TABLE IF NOT EXISTS hourly (device TEXT NOT NULL, hour_ms BIGINT NOT NULL, n BIGINT NOT NULL, n_values BIGINT NOT NULL, \
     low DOUBLE PRECISION, mean DOUBLE PRECISION, high DOUBLE PRECISION, PRIMARY KEY (device, hour_ms))",
    "CREATE TABLE IF NOT EXISTS acknowledgements (device TEXT NOT NULL, alarm_time_ms BIGINT NOT NULL, by_user TEXT NOT NULL, \
     at_ms BIGINT NOT NULL, PRIMARY KEY (device, alarm_time_ms))",
    "CREATE TABLE IF NOT EXISTS rejects (received_ms BIGINT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)",
];

const INDEXES: [&str; 3] = [
    // Queries across devices by time (a month of every gauge, a CSV range).
    "CREATE INDEX IF NOT EXISTS observations_by_time ON observations (time_ms)",
    "CREATE INDEX IF NOT EXISTS hourly_by_time ON hourly (hour_ms)",
    "CREATE INDEX IF NOT EXISTS rejects_by_time ON rejects (received_ms)",
];

pub(crate) async fn migrate(pool: &AnyPool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(failed("cannot start a transaction"))?;
    for sql in TABLES.iter().chain(INDEXES.iter()) {
        sqlx::query(sql).execute(&mut *tx).await.map_err(failed("cannot create the history's tables"))?;
    }
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_version")
        .fetch_all(&mut *tx)
        .await
        .map_err(failed("cannot read the schema version"))?;
    match versions.iter().max() {
        None => {
            sqlx::query("INSERT INTO schema_version (version) VALUES ($1)")
                .bind(SCHEMA_VERSION)
                .execute(&mut *tx)
                .await
                .map_err(failed("cannot write the schema version"))?;
        }
        Some(&v) if v > SCHEMA_VERSION => {
            return Err(StoreError::Invalid(format!(
                "the database holds schema version {v}, newer than this gateway's {SCHEMA_VERSION}: upgrade the gateway"
            )));
        }
        Some(_) => {}
    }
    tx.commit().await.map_err(failed("cannot commit the history's tables"))
}

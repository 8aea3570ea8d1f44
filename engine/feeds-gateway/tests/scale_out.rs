#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! Two gateways behind one broker and one PostgreSQL, as several gateways
//! behind a load balancer run: each subscribes with its own session, each
//! serves every update to its viewers, and the database keeps every
//! observation once (a unique key per device and time).

use sontinh_feeds::Role;
use sontinh_feeds_store::Store;
use sontinh_feeds_store::postgres_server::TemporaryPostgres;

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_serve_every_update_and_store_each_once() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let server = TemporaryPostgres::start().unwrap_or_else(|e| panic!("this test needs PostgreSQL's server: {e}"));
    let url = server.create_database("ioc").unwrap();
    let mut configs = Vec::new();
    for name in ["gw-1", "gw-2"] {
        let mut config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
        config.client_id = name.to_owned();
        config.database.url = url.clone();
        configs.push(config);
    }
    let mut gateways = Vec::new();
    for config in &configs {
        let (address, stop) = start_gateway(config.clone()).await;
        wait_subscribed(address, config).await;
        gateways.push((address, stop));
    }
    let mut viewers = Vec::new();
    for ((address, _), config) in gateways.iter().zip(&configs) {
        viewers.push(viewer(*address, &bearer(config, Role::Operator)).await);
    }
    let levels = [2.5, 3.1, 4.7, 6.2, 7.4];
    let messages: Vec<String> = levels.iter().enumerate().map(|(i, l)| gauge_message(i as u32, *l)).collect();
    publish_as(&broker, "thach-han", &messages).await;
    for (i, ws) in viewers.iter_mut().enumerate() {
        let got = collect(ws, |m| m.iter().filter(|t| t.contains("\"observation\"")).count() >= levels.len()).await;
        let seen: Vec<f64> = got
            .iter()
            .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .filter(|v| v["type"] == "observation")
            .filter_map(|v| v["observation"]["reading"]["level_m"].as_f64())
            .collect();
        assert_eq!(seen, levels, "gateway {} serves every update", i + 1);
    }
    // Both gateways committed all five; the database holds each once.
    for ((address, _), config) in gateways.iter().zip(&configs) {
        wait_stats(*address, config, 20, "both gateways' commits", |s| s["committed"] == levels.len()).await;
    }
    let store = Store::open(&url).await.unwrap();
    let stored = store.range(Some("thach-han"), i64::MIN, i64::MAX, false, 100, 0).await.unwrap();
    assert_eq!(stored.len(), levels.len(), "each observation stored once by two gateways: {stored:?}");
    store.close().await;
}

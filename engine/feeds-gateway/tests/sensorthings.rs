#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! The gateway's SensorThings API read by a client written by others
//! (FROST's Python `frost-sta-client`, in the project's venv), with the same
//! role rules as everywhere: a tourist's client never sees an operator-only
//! device or a camera address.

use std::path::Path;
use std::process::Command;

use sontinh_feeds::Role;

mod common;

use common::*;

fn venv_python() -> std::path::PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(python.exists(), "{} is missing: tools/setup-debian.sh makes the venv with frost-sta-client", python.display());
    python
}

fn read_with_frost(base: &str, token: &str) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sensorthings_client.py");
    let output = Command::new(venv_python()).arg(script).arg(base).arg(token).output().unwrap();
    assert!(output.status.success(), "frost-sta-client failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frost_reads_things_datastreams_and_observations_as_each_role_may() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    let (address, _stop) = start_gateway(config.clone()).await;
    wait_subscribed(address, &config).await;
    let levels = [2.5, 3.1, 4.7, 6.2, 7.4];
    let messages: Vec<String> = levels.iter().enumerate().map(|(i, l)| gauge_message(i as u32, *l)).collect();
    publish_as(&broker, "thach-han", &messages).await;
    publish_as(&broker, "cam-pump", &[camera_message("cam-pump", 3, "pump.jpg")]).await;
    wait_stats(address, &config, 20, "six commits", |s| s["committed"] == 6).await;

    let base = format!("http://{address}/v1.1");
    let operator = read_with_frost(&base, &bearer(&config, Role::Operator));
    // Every device of the registry is a Thing with a Datastream, numbered in the registry's order.
    let devices: Vec<&str> = operator["things"].as_array().unwrap().iter().map(|t| t["device"].as_str().unwrap()).collect();
    assert_eq!(devices, ["thach-han", "cam-gate", "cam-pump", "cam-road"]);
    assert_eq!(operator["datastreams"][0]["unit"], "m");
    assert_eq!(operator["datastream_unit"], "metre");
    // Paged two at a time through @iot.nextLink: all five, in time order.
    let results: Vec<f64> = operator["observations"].as_array().unwrap().iter().map(|o| o["result"].as_f64().unwrap()).collect();
    assert_eq!(results, levels);
    assert_eq!(operator["observations"][0]["time"], "2020-10-17T00:00:00.000Z");
    assert_eq!(operator["above_5"], serde_json::json!([7.4, 6.2]), "$filter=result gt 5.0, newest first");

    let tourist = read_with_frost(&base, &bearer(&config, Role::Tourist));
    let devices: Vec<&str> = tourist["things"].as_array().unwrap().iter().map(|t| t["device"].as_str().unwrap()).collect();
    assert_eq!(devices, ["thach-han", "cam-gate"], "tourists see only the devices visible to them");

    // Raw requests: what a tourist cannot reach, and what was wrong with a bad query.
    let tourist_token = bearer(&config, Role::Tourist);
    let pump = http_get(address, "/v1.1/Datastreams(3)/Observations", Some(&tourist_token)).await;
    assert!(body(pump.as_bytes()).starts_with(b"{\"value\":[]"), "{pump}");
    let thing = http_get(address, "/v1.1/Things(3)", Some(&tourist_token)).await;
    assert!(thing.starts_with("HTTP/1.1 404"), "{thing}");
    let operator_token = bearer(&config, Role::Operator);
    let camera = http_get(address, "/v1.1/Datastreams(3)/Observations", Some(&operator_token)).await;
    assert!(camera.contains("/snapshots/pump.jpg"), "operators see the camera's snapshot address: {camera}");
    let bad = http_get(address, "/v1.1/Observations?$filter=result%20gg%203", Some(&operator_token)).await;
    assert!(bad.starts_with("HTTP/1.1 400") && bad.contains("\"gg\" is not a comparison"), "{bad}");
    let anonymous = http_get(address, "/v1.1/Things", None).await;
    assert!(anonymous.starts_with("HTTP/1.1 401"), "{anonymous}");
    // $count, $top and $expand on a raw request.
    let counted = http_get(address, "/v1.1/Datastreams(1)/Observations?$count=true&$top=1&$select=result", Some(&operator_token)).await;
    let counted: serde_json::Value = serde_json::from_slice(body(counted.as_bytes())).unwrap();
    assert_eq!((counted["@iot.count"].as_u64(), counted["value"][0]["result"].as_f64()), (Some(5), Some(2.5)));
    assert!(counted["@iot.nextLink"].as_str().unwrap().contains("%24skip=1"), "{counted}");
    let expanded = http_get(address, "/v1.1/Things(1)?$expand=Datastreams,Locations", Some(&operator_token)).await;
    let expanded: serde_json::Value = serde_json::from_slice(body(expanded.as_bytes())).unwrap();
    assert_eq!(expanded["Locations"][0]["location"]["coordinates"], serde_json::json!([107.19, 16.75, 0.0]));
    assert_eq!(expanded["Datastreams"][0]["@iot.id"], 1);

    // For the data lake: GeoJSON of the devices and CSV of the history, by role.
    let geojson = http_get(address, "/devices.geojson", Some(&tourist_token)).await;
    let geojson: serde_json::Value = serde_json::from_slice(body(geojson.as_bytes())).unwrap();
    let ids: Vec<&str> = geojson["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["thach-han", "cam-gate"]);
    assert_eq!(geojson["features"][0]["properties"]["latest"]["reading"]["level_m"], 7.4);
    assert_eq!(geojson["features"][0]["properties"]["alarm_level"], 3, "7.40 m is over Báo động III (6.0 m)");
    let csv = http_get(address, "/history.csv?from=2020-10-17T01:00:00Z&to=2020-10-17T04:00:00Z", Some(&operator_token)).await;
    let rows: Vec<&str> = std::str::from_utf8(body(csv.as_bytes())).unwrap().lines().collect();
    assert_eq!(
        rows,
        [
            "device,time,kind,value,on,dim,online,fault",
            "thach-han,2020-10-17T01:00:00.000Z,water_level,3.1,,,,",
            "thach-han,2020-10-17T02:00:00.000Z,water_level,4.7,,,,",
            // Same time: by device name.
            "cam-pump,2020-10-17T03:00:00.000Z,camera,,,,true,",
            "thach-han,2020-10-17T03:00:00.000Z,water_level,6.2,,,,",
        ]
    );
    let hidden = http_get(address, "/history.csv?device=cam-pump", Some(&tourist_token)).await;
    assert!(hidden.starts_with("HTTP/1.1 404"), "{hidden}");
    let tourist_csv = http_get(address, "/history.csv", Some(&tourist_token)).await;
    assert!(!tourist_csv.contains("cam-pump"), "{tourist_csv}");
}

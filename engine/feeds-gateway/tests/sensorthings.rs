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
    // The gauge's hourly means (one reading an hour here), paged through @iot.nextLink.
    assert_eq!(operator["hourly_ids"], serde_json::json!(["1-hourly"]));
    let hourly = &operator["hourly"];
    assert_eq!((hourly["name"].as_str(), hourly["unit"].as_str()), (Some("Thạch Hãn gauge hourly mean"), Some("m")));
    assert_eq!(hourly["observation_type"], "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement");
    let hours: Vec<(&str, &str, f64, &serde_json::Value)> = hourly["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["time"].as_str().unwrap(), o["result_time"].as_str().unwrap(), o["result"].as_f64().unwrap(), &o["parameters"]))
        .collect();
    assert_eq!(
        hours,
        [
            ("2020-10-17T01:00:00.000Z/2020-10-17T02:00:00.000Z", "2020-10-17T02:00:00.000Z", 3.1, &serde_json::json!({"min": 3.1, "max": 3.1, "count": 1})),
            ("2020-10-17T02:00:00.000Z/2020-10-17T03:00:00.000Z", "2020-10-17T03:00:00.000Z", 4.7, &serde_json::json!({"min": 4.7, "max": 4.7, "count": 1})),
            ("2020-10-17T03:00:00.000Z/2020-10-17T04:00:00.000Z", "2020-10-17T04:00:00.000Z", 6.2, &serde_json::json!({"min": 6.2, "max": 6.2, "count": 1})),
        ]
    );

    let tourist = read_with_frost(&base, &bearer(&config, Role::Tourist));
    let devices: Vec<&str> = tourist["things"].as_array().unwrap().iter().map(|t| t["device"].as_str().unwrap()).collect();
    assert_eq!(devices, ["thach-han", "cam-gate"], "tourists see only the devices visible to them");
    assert_eq!(tourist["hourly"]["observations"].as_array().map(Vec::len), Some(3), "the public gauge's hourly means");

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

/// 2020-10-17 00:00 UTC.
const T0: i64 = 1_602_892_800_000;
const HOUR: i64 = 3_600_000;

/// The shared registry with an operator-only gauge added (device 5).
fn registry_with_hidden_gauge() -> String {
    let mut devices: Vec<serde_json::Value> = serde_json::from_str(DEVICES).unwrap();
    devices.push(serde_json::json!({"id": "ai-tu", "names": {"vi": "Trạm Ái Tử", "en": "Ái Tử gauge"}, "kind": "water_gauge",
        "river": "Thạch Hãn", "alarm_levels_m": [3.0, 4.5, 6.0], "position": [107.16, 16.78, 0.0], "owner": "KTTV",
        "visible_to": ["operator"], "expected_period_s": 300}));
    serde_json::to_string(&devices).unwrap()
}

/// Six hours of both gauges, a reading every five minutes from 00:02:30,
/// each level a known eighth-of-a-metre step.
fn six_hours() -> Vec<sontinh_feeds::Observation> {
    let mut readings = Vec::new();
    for (base, device) in [(1.0, "thach-han"), (2.0, "ai-tu")] {
        let mut t = T0 + 150_000;
        while t < T0 + 6 * HOUR {
            let step = ((t - T0) / 60_000 * 7 % 23) as f64;
            readings.push(sontinh_feeds::Observation { device: device.into(), time_ms: t, reading: sontinh_feeds::Reading::WaterLevel { level_m: base + step * 0.125 } });
            t += 300_000;
        }
    }
    readings
}

/// The hourly summaries worked out here from the readings: hour → (count, min, mean, max).
fn expected_hours(readings: &[sontinh_feeds::Observation], device: &str) -> Vec<(i64, i64, f64, f64, f64)> {
    let mut hours = std::collections::BTreeMap::<i64, Vec<f64>>::new();
    for o in readings.iter().filter(|o| o.device == device) {
        let sontinh_feeds::Reading::WaterLevel { level_m } = o.reading else { unreachable!() };
        hours.entry(o.time_ms.div_euclid(HOUR) * HOUR).or_default().push(level_m);
    }
    hours
        .into_iter()
        .map(|(h, v)| (h, v.len() as i64, v.iter().cloned().fold(f64::INFINITY, f64::min), v.iter().sum::<f64>() / v.len() as f64, v.iter().cloned().fold(f64::NEG_INFINITY, f64::max)))
        .collect()
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Checks hourly Observations against the worked-out hours, in order.
fn assert_hours(got: &[serde_json::Value], expected: &[(i64, i64, f64, f64, f64)], number: usize, what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: {got:?}");
    for (o, (hour, n, min, mean, max)) in got.iter().zip(expected) {
        assert_eq!(o["@iot.id"], format!("{number}-hourly-{hour}"), "{what}");
        assert_eq!(o["phenomenonTime"], format!("{}/{}", time(*hour), time(hour + HOUR)), "{what}");
        assert_eq!(o["resultTime"], time(hour + HOUR), "{what}");
        assert_eq!((o["parameters"]["count"].as_i64(), o["parameters"]["min"].as_f64(), o["parameters"]["max"].as_f64()), (Some(*n), Some(*min), Some(*max)), "{what}: {o}");
        approx::assert_relative_eq!(o["result"].as_f64().unwrap(), *mean, max_relative = 1e-12);
    }
}

async fn get_json(address: std::net::SocketAddr, path: &str, token: &str) -> (String, serde_json::Value) {
    let response = http_get(address, &path.replace(' ', "%20"), Some(token)).await;
    let status = response.lines().next().unwrap_or("").to_owned();
    (status, serde_json::from_slice(body(response.as_bytes())).unwrap_or(serde_json::Value::Null))
}

/// The path of a next link (`http://x/v1.1/…` → `/v1.1/…`).
fn path_of(link: &serde_json::Value) -> String {
    let link = link.as_str().unwrap();
    link[link.find("/v1.1").unwrap()..].to_owned()
}

/// The hourly Datastreams on one database: readings written to the store
/// (half the hours already folded), read back through SensorThings by each role.
async fn hourly_datastreams_on(database: &str, backend: &str) {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let mut config = gateway_config(dir.path(), &broker.url(), "127.0.0.1:0");
    std::fs::write(dir.path().join("devices.json"), registry_with_hidden_gauge()).unwrap();
    config.database.url = database.to_owned();
    // The test folds what it wants itself.
    config.database.raw_days = 36_500;
    let readings = six_hours();
    let store = sontinh_feeds_store::Store::open(database).await.unwrap();
    store.commit(&readings, &[], T0).await.unwrap();
    // The first three hours folded into the hourly table, the rest raw.
    assert_eq!(store.downsample(T0 + 3 * HOUR).await.unwrap().hours, 6, "{backend}");
    let (address, _stop) = start_gateway(config.clone()).await;
    let operator = bearer(&config, Role::Operator);
    let tourist = bearer(&config, Role::Tourist);
    let thach_han = expected_hours(&readings, "thach-han");
    let ai_tu = expected_hours(&readings, "ai-tu");
    assert_eq!(thach_han.len(), 6);

    // The Datastreams: each gauge's readings and its hourly mean.
    let (_, all) = get_json(address, "/v1.1/Datastreams", &operator).await;
    let ids: Vec<String> = all["value"].as_array().unwrap().iter().map(|d| d["@iot.id"].to_string()).collect();
    assert_eq!(ids, ["1", "\"1-hourly\"", "2", "3", "4", "5", "\"5-hourly\""], "{backend}");
    let hourly = &all["value"][1];
    assert_eq!(hourly["name"], "Thạch Hãn gauge hourly mean");
    assert_eq!(hourly["observationType"], "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement");
    assert_eq!((hourly["unitOfMeasurement"]["symbol"].as_str(), hourly["properties"]["aggregatePeriod"].as_str()), (Some("m"), Some("PT1H")));
    assert_eq!(hourly["Observations@iot.navigationLink"], "http://x/v1.1/Datastreams('1-hourly')/Observations");

    // A time range, newest first, counted and paged through the next link.
    let (status, page) = get_json(
        address,
        &format!("/v1.1/Datastreams('1-hourly')/Observations?$filter=phenomenonTime ge {} and phenomenonTime lt {}&$orderby=phenomenonTime desc&$top=3&$count=true", time(T0 + HOUR), time(T0 + 5 * HOUR)),
        &operator,
    )
    .await;
    assert!(status.contains("200"), "{backend}: {status} {page}");
    assert_eq!(page["@iot.count"], 4, "{backend}");
    let mut got = page["value"].as_array().unwrap().clone();
    let (_, rest) = get_json(address, &path_of(&page["@iot.nextLink"]), &operator).await;
    assert!(rest.get("@iot.nextLink").is_none(), "{rest}");
    got.extend(rest["value"].as_array().unwrap().iter().cloned());
    let wanted: Vec<_> = thach_han[1..5].iter().rev().cloned().collect();
    assert_hours(&got, &wanted, 1, &format!("{backend}: hours 01–05 newest first, folded and raw alike"));
    // A range ending inside an hour holds only the hours that have ended by then.
    let (_, page) = get_json(address, &format!("/v1.1/Datastreams('1-hourly')/Observations?$filter=phenomenonTime lt {}", time(T0 + 2 * HOUR + 1_800_000)), &operator).await;
    assert_hours(page["value"].as_array().unwrap(), &thach_han[..2], 1, &format!("{backend}: before 02:30"));
    // Unfiltered, skipped, and a filter on the summaries themselves (evaluated in memory).
    let (_, page) = get_json(address, "/v1.1/Datastreams('1-hourly')/Observations?$skip=2&$top=2", &operator).await;
    assert_hours(page["value"].as_array().unwrap(), &thach_han[2..4], 1, &format!("{backend}: skip 2, top 2"));
    let (_, page) = get_json(address, "/v1.1/Datastreams('1-hourly')/Observations?$filter=parameters/max ge 3.5 and result lt 2.5&$count=true", &operator).await;
    let matching: Vec<_> = thach_han.iter().filter(|h| h.4 >= 3.5 && h.3 < 2.5).cloned().collect();
    assert!(!matching.is_empty() && matching.len() < 6, "the filter picks some hours: {matching:?}");
    assert_eq!(page["@iot.count"], matching.len(), "{backend}");
    assert_hours(page["value"].as_array().unwrap(), &matching, 1, &format!("{backend}: max ≥ 3.5 and mean < 2.5"));

    // By id, and the navigations from it.
    let (_, one) = get_json(address, &format!("/v1.1/Observations('1-hourly-{}')", T0 + HOUR), &operator).await;
    assert_hours(&[one], &thach_han[1..2], 1, backend);
    let (_, stream) = get_json(address, &format!("/v1.1/Observations('1-hourly-{}')/Datastream", T0 + HOUR), &operator).await;
    assert_eq!(stream["@iot.id"], "1-hourly");
    let (_, thing) = get_json(address, "/v1.1/Datastreams('1-hourly')/Thing", &operator).await;
    assert_eq!(thing["@iot.id"], 1);
    let (_, thing) = get_json(address, "/v1.1/Things(1)?$expand=Datastreams($select=id,name)", &operator).await;
    assert_eq!(thing["Datastreams"].as_array().unwrap().len(), 2, "{thing}");
    let (_, expanded) = get_json(address, &format!("/v1.1/Observations('1-{}')?$expand=Datastream", T0 + 4 * HOUR + 150_000), &operator).await;
    assert_eq!(expanded["Datastream"]["@iot.id"], 1, "a reading's Datastream is the raw one: {expanded}");

    // Every gauge's hours in one request: the hourly Datastreams with their Observations expanded, the rest by each one's next link.
    let (_, month) = get_json(
        address,
        &format!("/v1.1/Datastreams?$filter=properties/aggregatePeriod eq 'PT1H'&$expand=Observations($filter=phenomenonTime ge {};$top=4;$count=true)", time(T0)),
        &operator,
    )
    .await;
    let streams = month["value"].as_array().unwrap();
    assert_eq!(streams.iter().map(|d| d["@iot.id"].as_str().unwrap()).collect::<Vec<_>>(), ["1-hourly", "5-hourly"], "{backend}");
    for (stream, (number, expected)) in streams.iter().zip([(1, &thach_han), (5, &ai_tu)]) {
        assert_eq!(stream["Observations@iot.count"], 6);
        let mut got = stream["Observations"].as_array().unwrap().clone();
        let (_, rest) = get_json(address, &path_of(&stream["Observations@iot.nextLink"]), &operator).await;
        got.extend(rest["value"].as_array().unwrap().iter().cloned());
        assert_hours(&got, expected, number, &format!("{backend}: expanded"));
    }

    // Folding the rest changes nothing a client reads.
    store.downsample(T0 + 10 * HOUR).await.unwrap();
    let (_, page) = get_json(address, "/v1.1/Datastreams('5-hourly')/Observations", &operator).await;
    assert_hours(page["value"].as_array().unwrap(), &ai_tu, 5, &format!("{backend}: all folded"));

    // Bad requests are named.
    for (path, says) in [
        ("/v1.1/Datastreams('x-hourly')", "ids are whole numbers, or '<number>-hourly'"),
        ("/v1.1/Observations('1-hourly-x')", "'<number>-hourly-<milliseconds>'"),
        ("/v1.1/Datastreams('1-hourly')/Observations?$filter=phenomenonTime ge 2020-10-17T00:00:00Z/x", "neither a number nor an ISO 8601 time"),
        ("/v1.1/Datastreams('1-hourly')/Observations?$orderby=result", "ordered by phenomenonTime"),
    ] {
        let response = http_get(address, &path.replace(' ', "%20"), Some(&operator)).await;
        assert!(response.starts_with("HTTP/1.1 400") && response.contains(says), "{path}: {response}");
    }

    // A tourist never sees the operator-only gauge, hourly or not.
    let (_, all) = get_json(address, "/v1.1/Datastreams", &tourist).await;
    let ids: Vec<String> = all["value"].as_array().unwrap().iter().map(|d| d["@iot.id"].to_string()).collect();
    assert_eq!(ids, ["1", "\"1-hourly\"", "2"], "{backend}");
    for path in ["/v1.1/Datastreams('5-hourly')", &format!("/v1.1/Observations('5-hourly-{T0}')"), "/v1.1/Datastreams('2-hourly')", "/v1.1/Datastreams('5-hourly')/Thing"] {
        let response = http_get(address, path, Some(&tourist)).await;
        assert!(response.starts_with("HTTP/1.1 404"), "{path}: {response}");
    }
    let (_, hidden) = get_json(address, "/v1.1/Datastreams('5-hourly')/Observations?$count=true", &tourist).await;
    assert_eq!(hidden, serde_json::json!({"@iot.count": 0, "value": []}));
    let (_, month) = get_json(address, "/v1.1/Datastreams?$expand=Observations($top=1)", &tourist).await;
    let text = month.to_string();
    assert!(!text.contains("ai-tu") && !text.contains("5-hourly"), "{text}");
    let (_, one) = get_json(address, &format!("/v1.1/Observations('1-hourly-{T0}')"), &tourist).await;
    assert_hours(&[one], &thach_han[..1], 1, &format!("{backend}: a tourist's gauge"));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hourly_datastreams_summarise_the_readings_exactly_for_each_role_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    hourly_datastreams_on(&format!("sqlite:{}", dir.path().join("history.sqlite").display()), "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hourly_datastreams_summarise_the_readings_exactly_for_each_role_on_postgres() {
    let server = sontinh_feeds_store::postgres_server::TemporaryPostgres::start().unwrap_or_else(|e| panic!("this test needs PostgreSQL's server: {e}"));
    hourly_datastreams_on(&server.create_database("hourly").unwrap(), "PostgreSQL").await;
}

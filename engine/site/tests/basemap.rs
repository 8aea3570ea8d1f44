#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! A base map's PMTiles file is in the site's catalogue and is read through
//! it by HTTP range requests, as the page reads it: every tile comes back as
//! Pillow wrote it (tools/make_basemap_tiles.py), and no request is for the
//! whole file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use sontinh_basemap::{RangeSource, TileId, open_source, read_tile};
use sontinh_site::{Catalog, RequestLog};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const SCENE: &str = r#"format = 1
[site]
id = "map-site"
name = { vi = "Bản đồ", en = "Map" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[layer]]
id = "map"
kind = "basemap"
path = "maps/tiles.pmtiles"
name = { vi = "Bản đồ", en = "Map" }
[[bookmark]]
id = "home"
name = { vi = "Nhà", en = "Home" }
eye = [0.0, -25.0, 10.0]
target = [0.0, 0.0, 0.0]
"#;

/// Byte ranges of a served file, each one HTTP request answered 206.
struct Ranged {
    url: String,
    agent: ureq::Agent,
}

impl RangeSource for Ranged {
    fn read_range(&self, offset: u64, len: u64) -> Result<Vec<u8>, String> {
        let mut r = self
            .agent
            .get(&self.url)
            .header("Range", format!("bytes={offset}-{}", offset + len - 1))
            .call()
            .map_err(|e| e.to_string())?;
        if r.status().as_u16() != 206 {
            return Err(format!("answered {}", r.status()));
        }
        r.body_mut().read_to_vec().map_err(|e| e.to_string())
    }
    fn file_len(&self) -> Result<u64, String> {
        let r = self
            .agent
            .get(&self.url)
            .header("Range", "bytes=0-0")
            .call()
            .map_err(|e| e.to_string())?;
        let range = r
            .headers()
            .get("Content-Range")
            .and_then(|v| v.to_str().ok())
            .ok_or("no Content-Range")?;
        range
            .rsplit('/')
            .next()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| format!("bad Content-Range {range}"))
    }
}

#[test]
fn a_basemap_pmtiles_file_is_served_and_read_by_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let maps = dir.path().join("scenes/maps");
    let o = Command::new(repository().join(".venv/bin/python"))
        .arg(repository().join("tools/make_basemap_tiles.py"))
        .arg("pyramid")
        .arg(&maps)
        .output()
        .expect("the project's Python environment (tools/setup-debian.sh)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(dir.path().join("scenes/map.toml"), SCENE).unwrap();
    let catalog = Catalog::build(&[dir.path().join("scenes/map.toml")], None).unwrap();
    assert!(
        catalog.get("/scenes/maps/tiles.pmtiles").is_some(),
        "{:?}",
        catalog.addresses().collect::<Vec<_>>()
    );
    // Only what the scene names: not the tile folder beside it.
    assert!(catalog.get("/scenes/maps/tiles.mbtiles").is_none());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = lines.clone();
    let log: RequestLog = Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned()));
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(async move {
        sontinh_site::serve(catalog, listener, None, log, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });

    let source = Ranged {
        url: format!("http://{address}/scenes/maps/tiles.pmtiles"),
        agent: ureq::Agent::config_builder().http_status_as_error(false).build().into(),
    };
    let mut file = open_source(&source).unwrap();
    for (z, x, y) in [(0, 0, 0), (2, 3, 1), (4, 12, 7), (5, 31, 3)] {
        let tile = TileId::new(z, x, y).unwrap();
        let bytes = read_tile(&source, &mut file, tile).unwrap().unwrap();
        assert_eq!(
            bytes,
            std::fs::read(maps.join(format!("xyz/{z}/{x}/{y}.png"))).unwrap(),
            "tile {tile}"
        );
    }
    let log = lines.lock().unwrap().clone();
    assert!(
        log.len() >= 5 && log.iter().all(|l| l.contains("range=bytes=") && l.contains(" 206")),
        "every request a range: {log:?}"
    );
}

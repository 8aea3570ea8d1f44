#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! The readers against tile sets written by other libraries: every tile
//! comes back byte for byte as Pillow wrote it, decoded to the colour that
//! names it; tile math against mercantile and the PMTiles package.

mod common;

use std::path::Path;
use std::sync::atomic::Ordering;

use common::{FileRanges, make_tiles};
use sontinh_basemap::{BasemapError, MbTiles, PmTiles, TileId, TileTemplate, decode_tile, open_source, pmtiles_id, read_tile, tile_at};

fn tile_of(key: &str) -> TileId {
    let v: Vec<u32> = key.split('/').map(|p| p.parse().unwrap()).collect();
    TileId::new(v[0] as u8, v[1], v[2]).unwrap()
}

fn colour(v: &serde_json::Value) -> [u8; 4] {
    let c: Vec<u8> = v.as_array().unwrap().iter().map(|c| c.as_u64().unwrap() as u8).collect();
    [c[0], c[1], c[2], 255]
}

fn expect_tile(dir: &Path, key: &str, want: &serde_json::Value, bytes: Option<Vec<u8>>) {
    let bytes = bytes.unwrap_or_else(|| panic!("tile {key} missing"));
    let written = std::fs::read(dir.join(format!("xyz/{key}.png"))).unwrap();
    assert_eq!(bytes, written, "tile {key}: not the bytes Pillow wrote");
    let image = decode_tile(tile_of(key), &bytes).unwrap();
    assert_eq!((image.width, image.height), (256, 256));
    for (x, y) in [(0, 0), (255, 0), (128, 77), (255, 255)] {
        assert_eq!(image.pixel(x, y), Some(colour(want)), "tile {key} pixel {x},{y}");
    }
}

#[test]
fn pmtiles_gives_back_every_tile_the_python_writer_stored() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = make_tiles(dir.path(), &["pyramid"]);
    let source = FileRanges::new(dir.path().join("tiles.pmtiles"));
    let mut file = open_source(&source).unwrap();
    assert_eq!((file.header.min_zoom, file.header.max_zoom), (0, 5));
    assert!(file.header.leaf_length > 0, "the set was written with leaf directories");
    let colours = manifest["colours"].as_object().unwrap();
    assert_eq!(colours.len(), 341 + 128);
    for (key, want) in colours {
        expect_tile(dir.path(), key, want, read_tile(&source, &mut file, tile_of(key)).unwrap());
    }
    for key in manifest["absent"].as_array().unwrap() {
        let key = key.as_str().unwrap();
        assert_eq!(
            read_tile(&source, &mut file, tile_of(key)).unwrap(),
            None,
            "{key} is not in the file"
        );
    }
}

#[test]
fn pmtiles_reads_only_the_ranges_a_tile_needs() {
    let dir = tempfile::tempdir().unwrap();
    make_tiles(dir.path(), &["pyramid"]);
    let source = FileRanges::new(dir.path().join("tiles.pmtiles"));
    let total = source.file_len_for_test();
    let mut file = open_source(&source).unwrap();
    let opened = source.bytes_read.load(Ordering::Relaxed);
    assert!(opened <= 16_384, "opening read {opened} bytes");
    read_tile(&source, &mut file, TileId::new(4, 12, 7).unwrap()).unwrap().unwrap();
    let after = source.bytes_read.load(Ordering::Relaxed);
    assert!(after < total / 4, "one tile read {after} of {total} bytes");
}

trait Len {
    fn file_len_for_test(&self) -> u64;
}
impl Len for FileRanges {
    fn file_len_for_test(&self) -> u64 {
        std::fs::metadata(&self.path).unwrap().len()
    }
}

#[test]
fn mbtiles_gives_back_every_tile_sqlite_stored_with_its_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = make_tiles(dir.path(), &["pyramid"]);
    let file = MbTiles::open(&dir.path().join("tiles.mbtiles")).unwrap();
    assert_eq!(file.info.format.as_deref(), Some("png"));
    assert_eq!((file.info.min_zoom, file.info.max_zoom), (Some(0), Some(5)));
    assert_eq!(file.info.bounds, Some([-180.0, -85.0511, 180.0, 85.0511]));
    assert_eq!(file.info.attribution.as_deref(), Some("test tiles by tools/make_basemap_tiles.py"));
    for (key, want) in manifest["colours"].as_object().unwrap() {
        expect_tile(dir.path(), key, want, file.tile(tile_of(key)).unwrap());
    }
    for key in manifest["absent"].as_array().unwrap() {
        assert_eq!(file.tile(tile_of(key.as_str().unwrap())).unwrap(), None);
    }
}

#[test]
fn tile_math_agrees_with_mercantile_and_the_pmtiles_package() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = make_tiles(dir.path(), &["pyramid"]);
    for probe in manifest["tile_of"].as_array().unwrap() {
        let (lon, lat, z) = (
            probe["lon"].as_f64().unwrap(),
            probe["lat"].as_f64().unwrap(),
            probe["zoom"].as_u64().unwrap() as u8,
        );
        let t: Vec<u32> = probe["tile"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(tile_at(lon, lat, z), TileId { z, x: t[0], y: t[1] }, "{lon}, {lat} at zoom {z}");
    }
    for (key, bounds) in manifest["bounds"].as_object().unwrap() {
        let b: Vec<f64> = bounds.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let ours = tile_of(key).bounds();
        for (a, b) in [ours.west, ours.south, ours.east, ours.north].iter().zip(&b) {
            approx::assert_abs_diff_eq!(*a, *b, epsilon = 1e-9);
        }
    }
    for (key, id) in manifest["ids"].as_object().unwrap() {
        assert_eq!(pmtiles_id(tile_of(key)), id.as_u64().unwrap(), "PMTiles id of {key}");
    }
}

/// MBTiles' TMS rows (mbtiles-spec 1.3), the `{-y}` of XYZ templates and
/// WMTS's TileRow/TileCol order, written out by hand.
#[test]
fn tms_rows_and_addresses_follow_their_specifications() {
    let t = TileId::new(3, 5, 2).unwrap();
    // MBTiles rows count from the south: 2^3 - 1 - 2.
    assert_eq!(t.tms_row(), 5);
    let xyz = TileTemplate::Xyz("https://tile.example.org/{z}/{x}/{y}.png".into());
    assert_eq!(xyz.address(t), "https://tile.example.org/3/5/2.png");
    let tms = TileTemplate::Xyz("/tms/{z}/{x}/{-y}.png".into());
    assert_eq!(tms.address(t), "/tms/3/5/5.png");
    let wmts = TileTemplate::Wmts("https://gis.example.vn/wmts/ortho/GoogleMapsCompatible/{TileMatrix}/{TileRow}/{TileCol}.jpg".into());
    assert_eq!(wmts.address(t), "https://gis.example.vn/wmts/ortho/GoogleMapsCompatible/3/2/5.jpg");
    assert!(TileId::new(3, 8, 0).is_err());
    assert!(TileId::new(25, 0, 0).is_err());
    // A tile built field by field, out of range: answers, never panics.
    let odd = TileId {
        z: 40,
        x: u32::MAX,
        y: u32::MAX,
    };
    let _ = (odd.tms_row(), odd.children(), odd.parent(), odd.bounds(), pmtiles_id(odd));
    assert!(!odd.is_within(TileId { z: 0, x: 1, y: 0 }) && !TileId { z: 0, x: 0, y: 0 }.is_within(odd));
}

#[test]
fn broken_files_are_refused_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    make_tiles(dir.path(), &["pyramid"]);
    let whole = std::fs::read(dir.path().join("tiles.pmtiles")).unwrap();
    let cut = dir.path().join("cut.pmtiles");
    for len in [0, 7, 126, 127, 200, 16_384, whole.len() / 2] {
        std::fs::write(&cut, &whole[..len]).unwrap();
        let source = FileRanges::new(cut.clone());
        let opened = open_source(&source);
        let message = match opened {
            Err(e) => e.to_string(),
            Ok(mut file) => {
                // The header's sections run past the cut: every tile read must fail, not panic.
                let e = read_tile(&source, &mut file, TileId::new(4, 3, 3).unwrap()).unwrap_err();
                e.to_string()
            }
        };
        assert!(
            message.contains("PMTiles") && (message.contains("127-byte header") || message.contains("runs past")),
            "cut at {len}: {message}"
        );
    }
    // A directory's bytes scrambled: gzip's check or the layout check names it.
    let mut scrambled = whole.clone();
    for b in &mut scrambled[130..160] {
        *b ^= 0x5a;
    }
    let bad = dir.path().join("scrambled.pmtiles");
    std::fs::write(&bad, &scrambled).unwrap();
    let e = open_source(&FileRanges::new(bad)).unwrap_err();
    assert!(e.to_string().contains("root directory"), "{e}");
    let mut magic = whole.clone();
    magic[0] = b'X';
    std::fs::write(dir.path().join("magic.pmtiles"), &magic).unwrap();
    let e = open_source(&FileRanges::new(dir.path().join("magic.pmtiles"))).unwrap_err();
    assert_eq!(e, BasemapError::PmTiles("not a PMTiles file (no \"PMTiles\" magic)".into()));

    let text = dir.path().join("notes.mbtiles");
    std::fs::write(
        &text,
        "these are not tiles, just text that is long enough to look like a file header",
    )
    .unwrap();
    let e = MbTiles::open(&text).unwrap_err().to_string();
    assert!(e.contains("notes.mbtiles") && e.contains("SQLite"), "{e}");
    let empty_db = dir.path().join("empty.mbtiles");
    std::process::Command::new(common::repo().join(".venv/bin/python"))
        .args([
            "-c",
            "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute('CREATE TABLE metadata (name text, value text)'); d.commit()",
        ])
        .arg(&empty_db)
        .status()
        .unwrap();
    let e = MbTiles::open(&empty_db).unwrap_err().to_string();
    assert!(e.contains("no `tiles` table"), "{e}");
    // Vector tiles (MBTiles `format = pbf`) are not a raster map; a bad zoom is named.
    let vector = dir.path().join("vector.mbtiles");
    let bad_zoom = dir.path().join("zoom.mbtiles");
    std::process::Command::new(common::repo().join(".venv/bin/python"))
        .args([
            "-c",
            "import sqlite3,sys\nfor path, rows in ((sys.argv[1], [('format', 'pbf')]), (sys.argv[2], [('format', 'png'), ('maxzoom', '31')])):\n    d = sqlite3.connect(path)\n    d.execute('CREATE TABLE metadata (name text, value text)')\n    d.execute('CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)')\n    d.executemany('INSERT INTO metadata VALUES (?, ?)', rows)\n    d.commit()",
        ])
        .arg(&vector)
        .arg(&bad_zoom)
        .status()
        .unwrap();
    let e = MbTiles::open(&vector).unwrap_err().to_string();
    assert!(e.contains("vector.mbtiles") && e.contains("\"pbf\" are not raster images"), "{e}");
    let e = MbTiles::open(&bad_zoom).unwrap_err().to_string();
    assert!(e.contains("maxzoom = \"31\" is not a zoom 0–24"), "{e}");
    let e = MbTiles::open(&dir.path().join("absent.mbtiles")).unwrap_err().to_string();
    assert!(e.contains("absent.mbtiles: no such file"), "{e}");

    let e = decode_tile(TileId::new(2, 1, 1).unwrap(), b"<html>404 Not Found</html>")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "tile 2/1/1: neither PNG nor JPEG");
}

#[test]
fn directories_refuse_impossible_counts() {
    // 1000 entries claimed in 3 bytes.
    let e = sontinh_basemap::parse_directory(&[0xe8, 0x07, 0x00]).unwrap_err();
    assert!(e.to_string().contains("claims 1000 entries"), "{e}");
    // A number that never ends.
    let e = sontinh_basemap::parse_directory(&[0xff; 12]).unwrap_err();
    assert!(e.to_string().contains("PMTiles"), "{e}");
    let _ = PmTiles::first_read(10);
}

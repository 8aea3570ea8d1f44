#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! Base maps in the headless render, over the WGS 84 ellipsoid (no DEM):
//! tiles written by tools/make_basemap_tiles.py (Pillow, pmtiles, sqlite3)
//! colour each quadrant around the scene's origin; each quadrant's colour
//! must appear where a point of it projects through the renderer's camera.
//! The same map from a PMTiles file, an MBTiles file and an XYZ service (a
//! local server on port 0); a service answering 404 fails the layer with
//! its address; over a terrain layer the map lies on the DEM.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use glam::{Mat4, Vec3, Vec4};

const WIDTH: u32 = 480;
const HEIGHT: u32 = 320;
const LON: f64 = 107.194;
const LAT: f64 = 16.747;
const EYE: [f32; 3] = [0.0, -700.0, 1500.0];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A folder of its own (removed when dropped) with the quadrant tile set
/// (zooms 0-17 around the origin); `name` tells the test's folders apart.
fn tiles(name: &str) -> tempfile::TempDir {
    let folder = tempfile::Builder::new().prefix(&format!("basemap-{name}-")).tempdir().unwrap();
    let dir = folder.path();
    let python = repo().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "the project's Python environment is missing: run tools/setup-debian.sh (it installs pmtiles, Pillow and mercantile)"
    );
    let o = Command::new(python)
        .arg(repo().join("tools/make_basemap_tiles.py"))
        .args(["quadrants", dir.to_str().unwrap(), &LON.to_string(), &LAT.to_string(), "17", "0.05"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "tools/make_basemap_tiles.py failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    folder
}

/// A scene with one base map layer (`source`: the TOML lines after `kind`), rendered.
fn render(dir: &Path, source: &str) -> (Option<image::RgbImage>, String) {
    render_with(dir, source, "")
}

/// [`render`] with more layers after the map (`more`: TOML).
fn render_with(dir: &Path, source: &str, more: &str) -> (Option<image::RgbImage>, String) {
    let scene = dir.join("scene.toml");
    std::fs::write(
        &scene,
        format!(
            r#"format = 1
[site]
id = "basemap-test"
name = {{ vi = "Bản đồ nền", en = "Base map" }}
description = {{ vi = "", en = "" }}
[origin]
crs = "EPSG:4326"
position = [{LON}, {LAT}, 0.0]
[[bookmark]]
id = "above"
name = {{ vi = "Trên cao", en = "Above" }}
eye = [{}, {}, {}]
target = [0.0, 0.0, 0.0]
[[layer]]
id = "map"
kind = "basemap"
name = {{ vi = "Bản đồ", en = "Map" }}
max_zoom = 17
attribution = "test tiles"
{source}
{more}
"#,
            EYE[0], EYE[1], EYE[2]
        ),
    )
    .unwrap();
    let out = dir.join("render.png");
    let o = Command::new(env!("CARGO_BIN_EXE_sontinh"))
        .args([
            "render",
            scene.to_str().unwrap(),
            "--width",
            &WIDTH.to_string(),
            "--height",
            &HEIGHT.to_string(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .expect("the sontinh binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let image = o.status.success().then(|| image::open(&out).unwrap().to_rgb8());
    (image, text)
}

/// Where an ENU point lands (Bevy: y up, z south; the bookmark's default 45° field of view).
fn project(enu: [f32; 3]) -> (u32, u32) {
    let world = |p: [f32; 3]| Vec3::new(p[0], p[2], -p[1]);
    let view = Mat4::look_at_rh(world(EYE), world([0.0, 0.0, 0.0]), Vec3::Y);
    let proj = Mat4::perspective_rh(45f32.to_radians(), WIDTH as f32 / HEIGHT as f32, 0.5, 60_000.0);
    let clip = proj * view * Vec4::from((world(enu), 1.0));
    let ndc = clip / clip.w;
    assert!(ndc.x.abs() < 0.95 && ndc.y.abs() < 0.95, "{enu:?} is off screen");
    (
        ((ndc.x + 1.0) / 2.0 * WIDTH as f32) as u32,
        ((1.0 - ndc.y) / 2.0 * HEIGHT as f32) as u32,
    )
}

/// Which of the four tile colours a pixel is (tone mapping changes the shade, not which channels lead).
fn quadrant(p: [u8; 3]) -> &'static str {
    let [r, g, b] = p.map(|c| c > 128);
    match (r, g, b) {
        (true, false, false) => "ne (red)",
        (false, true, false) => "nw (green)",
        (false, false, true) => "sw (blue)",
        (true, true, false) => "se (yellow)",
        _ => "none of them",
    }
}

fn check_quadrants(img: &image::RgbImage, what: &str) {
    for (enu, want) in [
        ([300.0, 250.0, 0.0], "ne (red)"),
        ([-300.0, 250.0, 0.0], "nw (green)"),
        ([-300.0, -250.0, 0.0], "sw (blue)"),
        ([300.0, -250.0, 0.0], "se (yellow)"),
    ] {
        let at = project(enu);
        for (dx, dy) in [(0i32, 0i32), (-2, 0), (2, 0), (0, -2), (0, 2)] {
            let p = img.get_pixel((at.0 as i32 + dx) as u32, (at.1 as i32 + dy) as u32).0;
            assert_eq!(quadrant(p), want, "{what}: ENU {enu:?} at pixel {at:?}{:?} is {p:?}", (dx, dy));
        }
    }
}

#[test]
fn a_pmtiles_map_lies_where_its_tiles_say() {
    let folder = tiles("pmtiles");
    let dir = folder.path();
    let (img, log) = render(dir, "path = \"tiles.pmtiles\"");
    let img = img.unwrap_or_else(|| panic!("render failed: {log}"));
    check_quadrants(&img, "PMTiles");
}

#[test]
fn an_mbtiles_map_lies_where_its_tiles_say() {
    let folder = tiles("mbtiles");
    let dir = folder.path();
    let (img, log) = render(dir, "path = \"tiles.mbtiles\"");
    let img = img.unwrap_or_else(|| panic!("render failed: {log}"));
    check_quadrants(&img, "MBTiles");
}

/// Serves `root`'s files over HTTP/1.1 on a port of its own; 404 for anything else.
fn serve(root: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let root = root.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                reader.read_line(&mut line).unwrap();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap() <= 2 {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_owned();
                match std::fs::read(root.join(&path)) {
                    Ok(body) if !path.contains("..") => {
                        write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .unwrap();
                        stream.write_all(&body).unwrap();
                    }
                    _ => write!(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap(),
                }
            });
        }
    });
    port
}

#[test]
fn an_xyz_service_map_lies_where_its_tiles_say_and_a_404_service_names_its_address() {
    let folder = tiles("xyz");
    let dir = folder.path();
    let port = serve(dir.to_path_buf());
    let (img, log) = render(dir, &format!("url = \"http://127.0.0.1:{port}/xyz/{{z}}/{{x}}/{{y}}.png\""));
    let img = img.unwrap_or_else(|| panic!("render failed: {log}"));
    check_quadrants(&img, "XYZ");

    let (_, log) = render(dir, &format!("url = \"http://127.0.0.1:{port}/nothing/{{z}}/{{x}}/{{y}}.png\""));
    assert!(
        log.contains("base map \"map\"") && log.contains("404") && log.contains(&format!("http://127.0.0.1:{port}/nothing/")),
        "{log}"
    );
}

#[test]
fn a_truncated_pmtiles_file_fails_its_layer_with_the_reason() {
    let folder = tiles("truncated");
    let dir = folder.path();
    let whole = std::fs::read(dir.join("tiles.pmtiles")).unwrap();
    std::fs::write(dir.join("cut.pmtiles"), &whole[..whole.len() / 2]).unwrap();
    let (_, log) = render(dir, "path = \"cut.pmtiles\"");
    assert!(
        log.contains("cut.pmtiles: PMTiles: the tile data") && log.contains("runs past"),
        "{log}"
    );
}

/// Writes a 6 km square DEM, 150 m everywhere, in UTM 48N around a lon/lat.
const PLATEAU: &str = r#"import sys, numpy as np, rasterio, pyproj
e, n = pyproj.Transformer.from_crs(4326, 32648, always_xy=True).transform(float(sys.argv[2]), float(sys.argv[3]))
t = rasterio.transform.from_origin(e - 3000, n + 3000, 30, 30)
with rasterio.open(sys.argv[1], "w", driver="GTiff", width=200, height=200, count=1, dtype="float32", crs="EPSG:32648", transform=t) as d:
    d.write(np.full((1, 200, 200), 150.0, dtype="float32"))
"#;

/// A flat DEM 150 m up (UTM 48N, written by rasterio) under the map: the
/// map lies on it, not at height 0. Points 60 m south of the quadrants'
/// boundary at 150 m are seen where the ellipsoid 30 m north of it would
/// be, so a map left at height 0 shows the northern colours there.
#[test]
fn a_map_over_terrain_lies_on_its_dem() {
    let folder = tiles("terrain");
    let dir = folder.path();
    let dem = dir.join("plateau.tif");
    let script = PLATEAU;
    let o = Command::new(repo().join(".venv/bin/python"))
        .args(["-c", script])
        .arg(&dem)
        .arg(LON.to_string())
        .arg(LAT.to_string())
        .output()
        .unwrap();
    assert!(o.status.success(), "rasterio: {}", String::from_utf8_lossy(&o.stderr));
    let terrain =
        "[[layer]]\nid = \"plateau\"\nkind = \"terrain\"\npath = \"plateau.tif\"\nname = { vi = \"Cao nguyên\", en = \"Plateau\" }\n";
    let (img, log) = render_with(dir, "path = \"tiles.pmtiles\"", terrain);
    let img = img.unwrap_or_else(|| panic!("render failed: {log}"));
    for (enu, want) in [
        ([300.0, -60.0, 150.0], "se (yellow)"),
        ([-300.0, -60.0, 150.0], "sw (blue)"),
        ([300.0, 250.0, 150.0], "ne (red)"),
        ([-300.0, 250.0, 150.0], "nw (green)"),
    ] {
        let at = project(enu);
        for (dx, dy) in [(0i32, 0i32), (-2, 0), (2, 0), (0, -2), (0, 2)] {
            let p = img.get_pixel((at.0 as i32 + dx) as u32, (at.1 as i32 + dy) as u32).0;
            assert_eq!(quadrant(p), want, "ENU {enu:?} at pixel {at:?}{:?} is {p:?}", (dx, dy));
        }
    }
}

/// A base map switched off in the scene loads nothing and does not hold up
/// the render (its layer is settled, not waiting for tiles).
#[test]
fn a_hidden_map_does_not_hold_up_the_render() {
    let folder = tiles("hidden");
    let dir = folder.path();
    let (img, log) = render(dir, "path = \"tiles.pmtiles\"\nvisible = false");
    let img = img.unwrap_or_else(|| panic!("render failed: {log}"));
    assert!(!log.contains("was not drawn"), "{log}");
    // Nothing drawn: the ENU point of a quadrant shows no map colour.
    let p = img.get_pixel(project([300.0, 250.0, 0.0]).0, project([300.0, 250.0, 0.0]).1).0;
    assert_eq!(quadrant(p), "none of them", "{p:?}");
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! End-to-end tests of the `sontinh` command: scene checking, bad input, and
//! the headless render of the default scene on lavapipe compared with a
//! committed reference picture.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use glam::{Mat4, Vec3, Vec4};

mod common;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sontinh(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sontinh"))
        .args(args)
        .current_dir(repo())
        .env("SONTINH_CACHE_DIR", common::fresh_cache())
        .output()
        .expect("the sontinh binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn scene_check_accepts_the_shipped_scenes() {
    let o = sontinh(&["scene", "check", "scenes/quang-tri-citadel.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok"));
}

#[test]
fn scene_check_names_the_line_of_a_typo() {
    let o = sontinh(&["scene", "check", "scenes/quang-tri-citadel.toml", "tests/scenes/typo-in-key.toml"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("typo-in-key.toml:18:"), "{err}");
    assert!(err.contains("positon"), "{err}");
    assert!(err.contains("1 of 2 scene file(s) have errors"), "{err}");
}

#[test]
fn render_reports_bad_input_without_panicking() {
    let out = std::env::temp_dir().join("sontinh-never-written.png");
    let cases: [(&[&str], &str); 4] = [
        (&["render", "no/such/scene.toml", "--out"], "no/such/scene.toml: cannot read"),
        (&["render", "tests/scenes/bad-values.toml", "--out"], "bad-values.toml:16:"),
        (
            &["render", "scenes/quang-tri-citadel.toml", "--bookmark", "nowhere", "--out"],
            "has no bookmark \"nowhere\"; it has: overview",
        ),
        (&["render", "scenes/quang-tri-citadel.toml", "--width", "0", "--out"], "--width"),
    ];
    for (args, expected) in cases {
        let mut args = args.to_vec();
        args.push(out.to_str().unwrap());
        let o = sontinh(&args);
        let err = stderr(&o);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: expected {expected:?} in {err}");
    }
    assert!(!out.exists());
}

#[test]
fn a_missing_layer_file_fails_the_check_but_the_rest_still_renders() {
    let scene = "tests/scenes/missing-layer-file.toml";
    let o = sontinh(&["scene", "check", scene]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing-layer-file.toml:23:"), "{}", stderr(&o));

    let out = repo().join("target/render-test/missing-layer-file.png");
    let o = sontinh(&["render", scene, "--width", "320", "--height", "180", "--out", out.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("layer \"survey\" was not drawn"), "{err}");
    let img = image::open(&out).unwrap().to_rgb8();
    let bricks = img.pixels().filter(|p| is_brick(p.0.map(i32::from))).count();
    assert!(bricks > 20, "the citadel layer is drawn ({bricks} brick pixels)");
}

#[test]
fn flood_run_writes_georeferenced_results() {
    let out = repo().join("target/flood-test");
    let _ = std::fs::remove_dir_all(&out);
    let o = sontinh(&["flood", "run", "tests/scenes/flood-small.toml", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for file in [
        "max_depth.tif",
        "arrival_time.tif",
        "depth_final.tif",
        "speed_final.tif",
        "extent.geojson",
        "gauges.csv",
        "places.csv",
        "summary.json",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    // Places, deepest first: the river bank before the memorial inside the walls.
    let places = std::fs::read_to_string(out.join("places.csv")).unwrap();
    let rows: Vec<Vec<&str>> = places.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert!(places.starts_with("id,kind,name_vi,name_en,max_depth_m,arrival_h\n"), "{places}");
    assert_eq!(rows.len(), 2, "{places}");
    assert_eq!(rows[0][0], "riverbank", "{places}");
    let depth = |row: &Vec<&str>| row[4].parse::<f64>().unwrap();
    assert!(depth(&rows[0]) > depth(&rows[1]) && depth(&rows[0]) > 1.0, "{places}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary["mass_error_relative"].as_f64().unwrap() < 1e-9, "{summary}");
    assert_eq!(summary["grid"]["columns"], 50);
    // 10 mm/h of rain over the 4 km² for half an hour (then a one-minute
    // taper), and the river's 0.5 h ramp plus 0.5 h plateau.
    let rain = 0.01 * 4.0e6 * (0.5 + 30.0 / 3600.0);
    assert!((summary["volume_m3"]["rain"].as_f64().unwrap() - rain).abs() < 1.0, "{summary}");
    let river = 0.5 * 3600.0 * (500.0 + 8000.0) / 2.0 + 0.5 * 3600.0 * 8000.0;
    assert!(
        (summary["volume_m3"]["boundary_net_in"].as_f64().unwrap() - river).abs() < river * 1e-9,
        "{summary}"
    );

    let max_depth = sontinh_raster::read(&out.join("max_depth.tif")).unwrap();
    assert_eq!(max_depth.crs.map(|c| c.code), Some(32648));
    assert_eq!(max_depth.transform.pixel_width, 40.0);
    // The grid is centred on the citadel (UTM 733895.5 E, 1852858.1 N per pyproj).
    let (x0, y0, x1, y1) = max_depth.bounds();
    assert!(((x0 + x1) / 2.0 - 733_895.5).abs() < 1.0 && ((y0 + y1) / 2.0 - 1_852_858.1).abs() < 1.0);
    assert!(max_depth.stats().unwrap().max > 1.0, "the river rises");

    let extent: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("extent.geojson")).unwrap()).unwrap();
    assert_eq!(extent["features"][0]["geometry"]["type"], "MultiPolygon");
    let first = &extent["features"][0]["geometry"]["coordinates"][0][0][0];
    let (lon, lat) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
    assert!((lon - 107.194).abs() < 0.02 && (lat - 16.747).abs() < 0.02, "{lon} {lat}");

    let csv = std::fs::read_to_string(out.join("gauges.csv")).unwrap();
    assert!(
        csv.starts_with("time_h,river_level_m,river_depth_m,inside_level_m,inside_depth_m\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 7, "a row every 10 minutes from 0 to 60");

    // Planners see the result over the scene: the same view with and without it.
    let picture = |flood: Option<&Path>, name: &str| {
        let png = out.join(name);
        let mut args = vec![
            "render",
            "tests/scenes/flood-small.toml",
            "--width",
            "320",
            "--height",
            "180",
            "--out",
            png.to_str().unwrap(),
        ];
        if let Some(dir) = flood {
            args.extend(["--flood", dir.to_str().unwrap()]);
        }
        let o = sontinh(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        image::open(&png).unwrap().to_rgb8()
    };
    let water = |img: &image::RgbImage| img.pixels().filter(|p| is_water(p.0.map(i32::from))).count();
    let (dry, flooded) = (picture(None, "dry.png"), picture(Some(&out), "flooded.png"));
    assert!(
        water(&flooded) > 2 * water(&dry) + 1000,
        "water pixels: {} without, {} with the flood",
        water(&dry),
        water(&flooded)
    );
    // The timeline: one snapshot every 10 minutes, and an early moment shows less water than the maximum.
    let tifs = std::fs::read_dir(out.join("snapshots")).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "tif")).count();
    assert_eq!(tifs, 7);
    // Their index, for browsers (which cannot list the folder), names all seven.
    let index: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("snapshots/index.json")).unwrap()).unwrap();
    let listed: Vec<f64> = index["snapshots"].as_array().unwrap().iter().map(|s| s["seconds"].as_f64().unwrap()).collect();
    assert_eq!(listed, [0.0, 600.0, 1200.0, 1800.0, 2400.0, 3000.0, 3600.0]);
    let early = out.join("early.png");
    let o = sontinh(&[
        "render",
        "tests/scenes/flood-small.toml",
        "--width",
        "320",
        "--height",
        "180",
        "--flood",
        out.to_str().unwrap(),
        "--flood-time",
        "0.15",
        "--out",
        early.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let early = image::open(&early).unwrap().to_rgb8();
    assert!(
        water(&early) + 500 < water(&flooded),
        "water pixels: {} at 0.15 h, {} at the maximum",
        water(&early),
        water(&flooded)
    );
    let o = sontinh(&[
        "render",
        "tests/scenes/flood-small.toml",
        "--flood",
        "no/such/dir",
        "--width",
        "64",
        "--height",
        "64",
        "--out",
        out.join("x.png").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "a missing flood folder is reported, not fatal");
    assert!(stderr(&o).contains("no/such/dir"), "{}", stderr(&o));
}

/// The same run on the GPU back-end (lavapipe here) gives the same flood.
/// Its time steps differ (re-read every 10 steps, with a safety factor), so
/// cells near the moving front differ most. Its volume balance is measured
/// (the GPU sums the flow through the edges), not a residual: the edges'
/// net volume follows the CPU's and the error is a small number, not null.
#[test]
fn flood_run_on_the_gpu_matches_the_cpu() {
    let run = |backend: &str| {
        let out = repo().join(format!("target/flood-backend-{backend}"));
        let o = sontinh(&[
            "flood",
            "run",
            "tests/scenes/flood-small.toml",
            "-o",
            out.to_str().unwrap(),
            "--backend",
            backend,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        (sontinh_raster::read(&out.join("max_depth.tif")).unwrap().values, summary)
    };
    let ((cpu, cpu_summary), (gpu, gpu_summary)) = (run("cpu"), run("gpu"));
    let volume = |s: &serde_json::Value, key: &str| {
        s["volume_m3"][key]
            .as_f64()
            .unwrap_or_else(|| panic!("volume_m3.{key} is not a number: {s}"))
    };
    let (cpu_edges, gpu_edges) = (volume(&cpu_summary, "boundary_net_in"), volume(&gpu_summary, "boundary_net_in"));
    // The river brings millions of m³ through the south edge (its hydrograph
    // in tests/scenes/flood-small.toml); the two back-ends agree on the net
    // to 1 % although their steps differ.
    assert!(cpu_edges > 1e6, "{cpu_summary}");
    assert!((cpu_edges - gpu_edges).abs() < 0.01 * cpu_edges, "edges: CPU {cpu_edges} m³, GPU {gpu_edges} m³");
    let gpu_error = gpu_summary["mass_error_relative"]
        .as_f64()
        .unwrap_or_else(|| panic!("the GPU run measures its balance: {gpu_summary}"));
    assert!(gpu_error < 1e-4, "GPU balance error {gpu_error:.2e}: {gpu_summary}");
    let mut diffs: Vec<f64> = cpu.iter().zip(&gpu).map(|(a, b)| (a - b).abs()).collect();
    diffs.sort_by(f64::total_cmp);
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    let p99 = diffs[diffs.len() * 99 / 100];
    assert!(mean < 0.02, "mean difference of maximum depth {mean} m");
    assert!(p99 < 0.05, "99th percentile difference {p99} m");
}

#[test]
fn quick_inundation_floods_only_what_the_river_reaches() {
    let out = repo().join("target/inundate-test");
    let run = |level: &str| {
        let o = sontinh(&[
            "flood",
            "inundate",
            "tests/scenes/flood-small.toml",
            "--level",
            &format!("river={level}"),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        summary["flooded_area_km2"].as_f64().unwrap()
    };
    // Below the 4 m plain only the river channel floods; above it, the plain
    // and (through the gates) the citadel; the 9 m walls stay dry.
    let (low, high) = (run("3.5"), run("6.0"));
    assert!(low > 0.1 && low < 0.8, "{low} km² at 3.5 m");
    assert!(high > 3.5 && high < 4.0, "{high} km² at 6 m");
    let depth = sontinh_raster::read(&out.join("inundation_depth.tif")).unwrap();
    assert_eq!(depth.crs.map(|c| c.code), Some(32648));
    let o = sontinh(&[
        "flood",
        "inundate",
        "tests/scenes/flood-small.toml",
        "--level",
        "sea=3",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no gauge \"sea\"; it has: river, inside"), "{}", stderr(&o));
}

#[test]
fn flood_run_reports_bad_scenarios() {
    let out = std::env::temp_dir().join("sontinh-flood-never");
    let o = sontinh(&[
        "flood",
        "run",
        "scenes/quang-tri-citadel.toml",
        "--scenario",
        "tsunami",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no flood scenario \"tsunami\"; it has: thach-han-flood"),
        "{}",
        stderr(&o)
    );
    let o = sontinh(&["dem", "info", "tests/scenes/flood-small.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unknown raster format"), "{}", stderr(&o));
}

/// The SRTM tile's highest point is Mt Washington (44.2708 N, 71.3033 W, ~1917 m; the 3″ tile says 1908 m).
#[test]
fn dem_info_finds_mount_washington() {
    let dir = std::env::var_os("SONTINH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data"));
    let tile = dir.join("dem/N44W072.hgt");
    assert!(
        tile.is_file(),
        "the shared test data is absent: {} (set SONTINH_SHARED_DATA)",
        tile.display()
    );
    let o = sontinh(&["dem", "info", tile.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["width"], 1201);
    assert_eq!(info["crs"], "EPSG:4326");
    assert_eq!(info["max"], 1908.0);
    let (x, y) = (info["max_at"]["x"].as_f64().unwrap(), info["max_at"]["y"].as_f64().unwrap());
    assert!((y - 44.2708).abs() < 0.002 && (x + 71.3033).abs() < 0.002, "{x} {y}");
}

const WIDTH: u32 = 960;
const HEIGHT: u32 = 540;

/// Where an ENU point of the scene lands in the picture from the default
/// bookmark, with the same camera the renderer uses (Bevy: y up, z south).
fn project(enu: [f32; 3]) -> (u32, u32) {
    let world = |p: [f32; 3]| Vec3::new(p[0], p[2], -p[1]);
    // The "overview" bookmark of scenes/quang-tri-citadel.toml.
    let view = Mat4::look_at_rh(world([620.0, -820.0, 430.0]), world([-160.0, 40.0, 0.0]), Vec3::Y);
    let proj = Mat4::perspective_rh(50f32.to_radians(), WIDTH as f32 / HEIGHT as f32, 0.5, 60_000.0);
    let clip = proj * view * Vec4::from((world(enu), 1.0));
    let ndc = clip / clip.w;
    assert!(ndc.x.abs() < 1.0 && ndc.y.abs() < 1.0, "{enu:?} is off screen");
    (
        ((ndc.x + 1.0) / 2.0 * WIDTH as f32) as u32,
        ((1.0 - ndc.y) / 2.0 * HEIGHT as f32) as u32,
    )
}

/// How many pixels of the 3×3 block around `at` satisfy `class`.
fn count(img: &image::RgbImage, at: (u32, u32), class: fn([i32; 3]) -> bool) -> usize {
    let mut n = 0;
    for dy in -1i32..=1 {
        for dx in -1i32..=1 {
            let p = img.get_pixel((at.0 as i32 + dx) as u32, (at.1 as i32 + dy) as u32).0;
            n += usize::from(class(p.map(i32::from)));
        }
    }
    n
}

fn is_brick(p: [i32; 3]) -> bool {
    p[0] > p[1] + 15 && p[0] > p[2] + 15
}
fn is_water(p: [i32; 3]) -> bool {
    p[2] > p[0] + 20 && p[2] >= p[1]
}
fn is_vegetation(p: [i32; 3]) -> bool {
    p[1] > p[0] && p[1] > p[2]
}
fn is_sky(p: [i32; 3]) -> bool {
    p[2] > 180 && p[2] > p[1] && p[1] > p[0]
}

#[test]
fn default_scene_renders_the_citadel_by_the_river() {
    let dir = repo().join("target/render-test");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("quang-tri-citadel-overview.png");
    let o = sontinh(&[
        "render",
        "scenes/quang-tri-citadel.toml",
        "--out",
        out.to_str().unwrap(),
        "--width",
        &WIDTH.to_string(),
        "--height",
        &HEIGHT.to_string(),
    ]);
    assert!(o.status.success(), "render failed: {}", stderr(&o));
    let img = image::open(&out).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (WIDTH, HEIGHT));

    // Not blank: many distinct colours.
    let distinct: std::collections::HashSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    assert!(distinct.len() > 500, "only {} colours", distinct.len());

    // Each feature is where the scene puts it.
    let south_wall = project([120.0, -250.0, 9.0]);
    let east_wall = project([250.0, 120.0, 9.0]);
    assert!(count(&img, south_wall, is_brick) >= 3, "no brick wall at {south_wall:?}");
    assert!(count(&img, east_wall, is_brick) >= 3, "no brick wall at {east_wall:?}");
    let south_moat = project([120.0, -286.0, 2.6]);
    assert!(count(&img, south_moat, is_water) >= 5, "no moat at {south_moat:?}");
    let river = project([-720.0, -100.0, 1.2]);
    assert!(count(&img, river, is_water) >= 9, "no river at {river:?}");
    let park = project([150.0, 120.0, 4.0]);
    assert!(count(&img, park, is_vegetation) >= 7, "no park inside the walls at {park:?}");
    let plain = project([500.0, -200.0, 4.0]);
    assert!(count(&img, plain, is_vegetation) >= 9, "no plain east of the moat at {plain:?}");
    assert!(count(&img, (WIDTH / 2, 10), is_sky) == 9, "no sky above the horizon");

    // And the whole picture matches the committed reference within a tolerance
    // that allows for rasteriser differences, not for moved features. The
    // test only compares: tools/update-reference.sh renders a new reference
    // (same scene, size and command) when the picture is meant to change.
    let reference_path = repo().join("tests/reference/quang-tri-citadel-overview.png");
    let reference = image::open(&reference_path)
        .unwrap_or_else(|e| panic!("reference {}: {e}", reference_path.display()))
        .to_rgb8();
    assert_eq!(reference.dimensions(), img.dimensions());
    let total: u64 = img
        .as_raw()
        .iter()
        .zip(reference.as_raw())
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    let mean = total as f64 / img.as_raw().len() as f64;
    let differing = img
        .pixels()
        .zip(reference.pixels())
        .filter(|(a, b)| a.0.iter().zip(b.0).any(|(x, y)| x.abs_diff(y) > 48))
        .count();
    let differing_share = differing as f64 / (WIDTH * HEIGHT) as f64;
    assert!(mean < 3.0, "mean difference {mean:.2} from the reference; see {}", out.display());
    assert!(
        differing_share < 0.02,
        "{:.2}% of pixels differ strongly from the reference; see {}",
        differing_share * 100.0,
        out.display()
    );
}

/// The render test never writes its reference; tools/update-reference.sh
/// does, with the test's scene, size and reference file.
#[test]
fn the_reference_script_renders_what_the_render_test_compares() {
    let script = std::fs::read_to_string(repo().join("tools/update-reference.sh")).unwrap();
    for line in [
        "scene=scenes/quang-tri-citadel.toml".to_owned(),
        "reference=tests/reference/quang-tri-citadel-overview.png".to_owned(),
        format!("width={WIDTH} "),
        format!("height={HEIGHT} "),
    ] {
        assert!(script.lines().any(|l| l.starts_with(&line)), "tools/update-reference.sh lacks `{line}`");
    }
    let test = std::fs::read_to_string(repo().join("engine/sontinh/tests/cli.rs")).unwrap();
    // Built here so that this test's own text does not match.
    let writes = ["save", "write", "copy"].map(|call| format!("{call}(&reference_path"));
    assert!(!writes.iter().any(|w| test.contains(w)), "the render test writes its own reference");
    assert!(!test.contains(&format!("{}_UPDATE_REFERENCE", "SONTINH")), "no variable rewrites the reference");
}

/// A DEM in another CRS (SRTM, longitude/latitude) is resampled onto the UTM
/// zone of the scene's origin; the results are georeferenced there.
#[test]
fn flood_run_reprojects_a_geographic_dem_to_the_local_utm_zone() {
    let out = repo().join("target/flood-srtm-test");
    let _ = std::fs::remove_dir_all(&out);
    let o = sontinh(&["flood", "run", "tests/scenes/flood-srtm.toml", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let terrain = sontinh_raster::read(&out.join("terrain.tif")).unwrap();
    assert_eq!(terrain.crs.map(|c| c.code), Some(32619), "UTM 19N, the zone of Mt Washington");
    // Centred on the summit: UTM 19N 316175.6 E, 4904530.6 N per pyproj.
    let (x0, y0, x1, y1) = terrain.bounds();
    assert!(((x0 + x1) / 2.0 - 316_175.6).abs() < 1.0 && ((y0 + y1) / 2.0 - 4_904_530.6).abs() < 1.0);
    let stats = terrain.stats().unwrap();
    assert!((stats.max - 1908.0).abs() < 25.0, "the summit of the 3″ SRTM tile: {stats:?}");
    assert!(stats.min > 1000.0, "all of the 3 km square is mountain: {stats:?}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["grid"]["crs"], "EPSG:32619");
    assert!(summary["max_depth_m"].as_f64().unwrap() > 0.05, "rain gathers in hollows: {summary}");
}

/// A TIFF whose one strip claims LZMA compression (34925), which no reader here supports.
fn tiff_with_unsupported_compression() -> Vec<u8> {
    let entries: [(u16, u16, u32); 10] = [
        (256, 3, 2),     // width
        (257, 3, 2),     // height
        (258, 3, 16),    // bits per sample
        (259, 3, 34925), // compression: LZMA
        (262, 3, 1),     // photometric: black is zero
        (273, 4, 8 + 2 + 10 * 12 + 4), // strip offset: right after the IFD
        (277, 3, 1),     // samples per pixel
        (278, 3, 2),     // rows per strip
        (279, 4, 8),     // strip byte count
        (339, 3, 2),     // sample format: signed
    ];
    let mut b = b"II*\0".to_vec();
    b.extend_from_slice(&8u32.to_le_bytes());
    b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&kind.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        if kind == 3 {
            b.extend_from_slice(&(value as u16).to_le_bytes());
            b.extend_from_slice(&[0, 0]);
        } else {
            b.extend_from_slice(&value.to_le_bytes());
        }
    }
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&[7u8; 8]);
    b
}

#[test]
fn corrupt_terrain_and_mesh_layers_are_errors_for_those_layers_and_the_rest_renders() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lzma.tif"), tiff_with_unsupported_compression()).unwrap();
    std::fs::write(dir.path().join("truncated.hgt"), [0u8; 1000]).unwrap();
    std::fs::write(dir.path().join("broken.glb"), b"glTF\x02\0\0\0\xff\xff\0\0 not really").unwrap();
    let scene = dir.path().join("scene.toml");
    std::fs::write(
        &scene,
        r#"format = 1
[site]
id = "corrupt-terrain"
name = { vi = "Địa hình hỏng", en = "Corrupt terrain" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[layer]]
id = "citadel"
kind = "procedural"
generator = "quang-tri-citadel"
name = { vi = "Thành cổ", en = "Citadel" }
[[layer]]
id = "lzma"
kind = "terrain"
path = "lzma.tif"
name = { vi = "DEM nén LZMA", en = "LZMA DEM" }
[[layer]]
id = "short"
kind = "terrain"
path = "truncated.hgt"
name = { vi = "HGT cụt", en = "Truncated HGT" }
[[layer]]
id = "glb"
kind = "mesh"
path = "broken.glb"
name = { vi = "GLB hỏng", en = "Broken GLB" }
[[bookmark]]
id = "overview"
name = { vi = "Toàn cảnh", en = "Overview" }
eye = [620.0, -820.0, 430.0]
target = [-160.0, 40.0, 0.0]
"#,
    )
    .unwrap();
    let out = dir.path().join("out.png");
    let o = sontinh(&["render", scene.to_str().unwrap(), "--width", "320", "--height", "180", "--out", out.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let lzma = err.lines().find(|l| l.contains("layer \"lzma\" was not drawn")).unwrap_or_else(|| panic!("{err}"));
    assert!(lzma.contains("lzma.tif") && lzma.to_lowercase().contains("compression"), "{lzma}");
    let short = err.lines().find(|l| l.contains("layer \"short\" was not drawn")).unwrap_or_else(|| panic!("{err}"));
    assert!(short.contains("truncated.hgt"), "{short}");
    let glb = err.lines().find(|l| l.contains("layer \"glb\" was not drawn")).unwrap_or_else(|| panic!("{err}"));
    assert!(glb.contains("broken.glb") && glb.contains("truncated"), "{glb}");
    let img = image::open(&out).unwrap().to_rgb8();
    let bricks = img.pixels().filter(|p| is_brick(p.0.map(i32::from))).count();
    assert!(bricks > 20, "the citadel layer is drawn ({bricks} brick pixels)");
}

#[test]
fn the_relic_gallery_shows_both_scans_on_plinths_on_the_srtm_summit() {
    let out = repo().join("target/render-test/relic-gallery.png");
    let o = sontinh(&["render", "scenes/relic-gallery.toml", "--width", "320", "--height", "180", "--out", out.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(o.status.success() && !err.contains("was not drawn"), "{err}");
    let img = image::open(&out).unwrap().to_rgb8();
    // The bust (right) and the specimen (left) break the smooth summit: dark and varied pixels where they stand.
    let varied = |x0: u32, x1: u32, y0: u32, y1: u32| {
        let lum: Vec<f64> = (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .map(|(x, y)| img.get_pixel(x, y).0.iter().map(|&c| f64::from(c)).sum::<f64>() / 3.0)
            .collect();
        let mean = lum.iter().sum::<f64>() / lum.len() as f64;
        (lum.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / lum.len() as f64).sqrt()
    };
    let bust = varied(200, 226, 60, 104);
    let specimen = varied(94, 126, 72, 100);
    let plain = varied(20, 60, 140, 170);
    assert!(bust > 3.0 * plain && specimen > 3.0 * plain, "bust {bust:.1}, specimen {specimen:.1}, bare ground {plain:.1}");
}

#[test]
fn the_cesium_samples_stream_and_the_dragon_shows() {
    for (bookmark, least) in [("dragon", 2000), ("city", 300)] {
        let out = repo().join(format!("target/render-test/tiles-{bookmark}.png"));
        let o = sontinh(&["render", "scenes/cesium-tilesets.toml", "--bookmark", bookmark, "--width", "320", "--height", "180", "--out", out.to_str().unwrap()]);
        let err = stderr(&o);
        assert!(o.status.success() && !err.contains("was not drawn"), "{err}");
        let img = image::open(&out).unwrap().to_rgb8();
        // The sky is one colour here: count what differs from the top-left corner.
        let sky = img.get_pixel(0, 0).0.map(i32::from);
        let drawn = img.pixels().filter(|p| p.0.iter().zip(sky).any(|(&c, s)| (i32::from(c) - s).abs() > 12)).count();
        assert!(drawn > least, "{bookmark}: {drawn} pixels of tiles");
    }
}

#[test]
fn a_model_placed_by_ecef_coordinates_or_far_from_the_origin_renders_as_at_the_origin() {
    // Placement positions in the millions of metres go to the scene frame in f64: the same place to a millimetre.
    let origin = sontinh_scene::load(&repo().join("tests/scenes/bust-origin.toml")).unwrap();
    let ecef = sontinh_scene::load(&repo().join("tests/scenes/bust-ecef.toml")).unwrap();
    let (a, b) = (origin.layers[0].placement.enu, ecef.layers[0].placement.enu);
    let offset = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
    assert!(offset < 0.001, "ECEF placement lands {offset} m away");
    // The same, 11,000 km from the scene's origin, seen from there: only a floating origin keeps it sharp.
    let far = sontinh_scene::load(&repo().join("tests/scenes/bust-far.toml")).unwrap();
    let (bust, eye) = (far.layers[0].placement.enu, far.bookmarks[0].eye);
    let offset = [eye[0] - bust[0], eye[1] - bust[1], eye[2] - bust[2]];
    assert!((offset[0] - 0.35).abs() < 1e-3 && (offset[1] + 1.1).abs() < 1e-3 && (offset[2] - 0.45).abs() < 1e-3, "{offset:?}");
    let mut pictures = Vec::new();
    for variant in ["origin", "ecef", "far"] {
        let out = repo().join(format!("target/render-test/bust-{variant}.png"));
        let o = sontinh(&["render", &format!("tests/scenes/bust-{variant}.toml"), "--width", "320", "--height", "240", "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        pictures.push(image::open(&out).unwrap().to_luma8());
    }
    let bust = pictures[0].pixels().filter(|p| p.0[0] > 200).count();
    assert!(bust > 1000, "the bust is in the picture ({bust} bright pixels)");
    for (variant, picture) in ["ecef", "far"].iter().zip(&pictures[1..]) {
        // Compared where the bust is in either picture: the ground under the
        // scene is laid at its origin, 11,000 km from the far bust, so only
        // the bust itself is the same picture in all three.
        let differing = pictures[0]
            .pixels()
            .zip(picture.pixels())
            .filter(|(p, q)| (p.0[0] > 200 || q.0[0] > 200) && p.0[0].abs_diff(q.0[0]) > 16)
            .count();
        assert!(differing * 100 < bust, "{variant}: {differing} pixels differ (of {bust} on the bust)");
    }
}

/// A UTM 19N orthophoto of the Mt Washington summit: 500 m squares of
/// blue and yellow, with a red disc of 200 m radius on the summit.
fn write_summit_photo(folder: &std::path::Path) -> PathBuf {
    let summit = sontinh_geo::Transformer::new(sontinh_geo::Crs::Wgs84, sontinh_geo::Crs::Epsg(32619))
        .unwrap()
        .transform([-71.3033, 44.2708, 0.0])
        .unwrap();
    let (size, pixel) = (800u32, 10.0);
    let origin = [summit[0] - 4000.0, summit[1] + 4000.0];
    let photo = image::RgbImage::from_fn(size, size, |c, r| {
        let (x, y) = (origin[0] + (f64::from(c) + 0.5) * pixel, origin[1] - (f64::from(r) + 0.5) * pixel);
        if (x - summit[0]).hypot(y - summit[1]) < 200.0 {
            image::Rgb([230, 20, 20])
        } else if ((c / 50) + (r / 50)) % 2 == 0 {
            image::Rgb([40, 60, 200])
        } else {
            image::Rgb([230, 200, 40])
        }
    });
    let path = folder.join("summit.jpg");
    photo.save(&path).unwrap();
    std::fs::write(folder.join("summit.jgw"), format!("{pixel}\n0\n0\n-{pixel}\n{}\n{}\n", origin[0] + pixel / 2.0, origin[1] - pixel / 2.0)).unwrap();
    path
}

#[test]
fn an_orthophoto_drapes_the_summit_where_its_world_file_says() {
    let dir = tempfile::tempdir().unwrap();
    write_summit_photo(dir.path());
    let dem = sontinh_scene::shared_file(&repo().join("scenes"), "dem/N44W072.hgt").unwrap();
    let scene = |drape: &str| {
        format!(
            r#"format = 1
[site]
id = "drape"
name = {{ vi = "Ảnh trực giao", en = "Orthophoto" }}
description = {{ vi = "", en = "" }}
[origin]
crs = "EPSG:4326"
position = [-71.3033, 44.2708, 0.0]
[[layer]]
id = "srtm"
kind = "terrain"
path = "{}"
name = {{ vi = "SRTM", en = "SRTM" }}
[layer.drape]
path = "{drape}"
crs = "EPSG:32619"
[[bookmark]]
id = "summit"
name = {{ vi = "Đỉnh", en = "Summit" }}
eye = [0.0, -2600.0, 4200.0]
target = [0.0, 0.0, 1900.0]
"#,
            dem.display()
        )
    };
    std::fs::write(dir.path().join("scene.toml"), scene("summit.jpg")).unwrap();
    let out = repo().join("target/render-test/drape-summit.png");
    let o = sontinh(&["render", dir.path().join("scene.toml").to_str().unwrap(), "--width", "320", "--height", "180", "--out", out.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(o.status.success() && !err.contains("was not drawn"), "{err}");
    let img = image::open(&out).unwrap().to_rgb8();
    let class = |p: &image::Rgb<u8>| {
        let [r, g, b] = p.0.map(i32::from);
        if r > 2 * g.max(b) && r > 60 {
            'r'
        } else if b > r + 40 && b > g + 20 {
            'b'
        } else if r > b + 60 && g > b + 40 {
            'y'
        } else {
            '.'
        }
    };
    // The red disc is in the middle of the picture, the squares all around.
    let red_centre = (130..190).flat_map(|x| (60..120).map(move |y| (x, y))).filter(|&(x, y)| class(img.get_pixel(x, y)) == 'r').count();
    let red_elsewhere = img.enumerate_pixels().filter(|(x, y, p)| !(100..220).contains(x) && !(40..140).contains(y) && class(p) == 'r').count();
    let blue = img.pixels().filter(|p| class(p) == 'b').count();
    let yellow = img.pixels().filter(|p| class(p) == 'y').count();
    assert!(red_centre > 25 && red_elsewhere == 0, "red: {red_centre} at the centre, {red_elsewhere} elsewhere");
    assert!(blue > 3000 && yellow > 3000, "blue {blue}, yellow {yellow}");

    // Without its world file the drape is an error for the terrain layer.
    std::fs::remove_file(dir.path().join("summit.jgw")).unwrap();
    let o = sontinh(&["render", dir.path().join("scene.toml").to_str().unwrap(), "--width", "160", "--height", "90", "--out", dir.path().join("x.png").to_str().unwrap()]);
    let err = stderr(&o);
    let line = err.lines().find(|l| l.contains("layer \"srtm\" was not drawn")).unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains("summit.jpg") && line.contains("world file"), "{line}");
}

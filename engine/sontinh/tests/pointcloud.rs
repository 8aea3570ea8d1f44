#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! End-to-end tests of `sontinh pc`, `dem from-lidar` and point cloud
//! rendering, on the shared LiDAR files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lidar(name: &str) -> String {
    let dir = std::env::var_os("SONTINH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data"));
    let path = dir.join("lidar").join(name);
    assert!(path.is_file(), "the shared test data is absent: {} (set SONTINH_SHARED_DATA)", path.display());
    path.to_str().unwrap().to_owned()
}

fn sontinh(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sontinh"))
        .args(args)
        .current_dir(repo())
        .env("SONTINH_CACHE_DIR", common::fresh_cache())
        .output()
        .expect("the sontinh binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Counts and bounds from `../shared/data/README.md`, header and full decode.
#[test]
fn pc_info_matches_the_data_readme_for_every_shared_file() {
    let cases: [(&str, u64, Option<[f64; 6]>); 7] = [
        ("autzen_trim.laz", 110_000, Some([636001.76, 637179.22, 848935.20, 849497.90, 406.26, 520.51])),
        ("autzen_trim.las", 110_000, Some([636001.76, 637179.22, 848935.20, 849497.90, 406.26, 520.51])),
        ("autzen_trim_7.las", 110_000, Some([636001.76, 637179.22, 848935.20, 849497.90, 406.26, 520.51])),
        ("lone-star.copc.laz", 518_862, Some([515368.60, 515401.04, 4918340.36, 4918381.12, 2322.90, 2338.58])),
        ("file_with_both_wkt_and_geotiff_vlrs.las", 25_408, None),
        ("extrabytes.las", 1_065, None),
        ("fullwave.laz", 10_750, None),
    ];
    for (name, count, bounds) in cases {
        let o = sontinh(&["pc", "info", "--json", "--stats", &lidar(name)]);
        assert!(o.status.success(), "{name}: {}", text(&o.stderr));
        let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(info["point_count"], count, "{name}");
        assert_eq!(info["stats"]["point_count"], count, "{name}: full decode");
        assert_eq!(info["header_mismatches"].as_array().map(Vec::len), Some(0), "{name}: {}", info["header_mismatches"]);
        if let Some([x0, x1, y0, y1, z0, z1]) = bounds {
            let s = &info["stats"];
            for (got, want) in [(&s["min"][0], x0), (&s["max"][0], x1), (&s["min"][1], y0), (&s["max"][1], y1), (&s["min"][2], z0), (&s["max"][2], z1)] {
                assert!((got.as_f64().unwrap() - want).abs() < 0.006, "{name}: {got} vs {want}");
            }
        }
    }
    let o = sontinh(&["pc", "info", &lidar("lone-star.copc.laz")]);
    let out = text(&o.stdout);
    assert!(out.contains("COPC:") && out.contains("Earth-centred"), "{out}");
}

#[test]
fn pc_commands_report_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let not_las = dir.path().join("notes.las");
    std::fs::write(&not_las, "this is not a point cloud").unwrap();
    let o = sontinh(&["pc", "info", not_las.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("notes.las") && err.contains("truncated header"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Compressed bytes scrambled inside the first LAZ chunk: the decoder's
    // failure is an error naming the file, with no panic output.
    let mut bytes = std::fs::read(lidar("autzen_trim.laz")).unwrap();
    for (i, b) in bytes[2500..6500].iter_mut().enumerate() {
        *b ^= (i * 131 % 251) as u8;
    }
    let corrupt = dir.path().join("corrupt-chunk.laz");
    std::fs::write(&corrupt, &bytes).unwrap();
    let o = sontinh(&["pc", "info", "--stats", corrupt.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("corrupt-chunk.laz") && err.contains("corrupt"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let o = sontinh(&["pc", "convert", &lidar("autzen_trim.laz"), "-o", dir.path().join("x.laz").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains(".copc.laz"));
}

/// The Python in the project's tool environment (tools/setup-debian.sh).
fn python() -> PathBuf {
    let venv = repo().join(".venv/bin/python");
    if venv.is_file() { venv } else { PathBuf::from("python3") }
}

/// An independent reader (laspy's CopcReader, with lazrs) reads the COPC
/// file point for point like the sources.
#[test]
fn pc_convert_output_reads_back_point_for_point_through_laspy() {
    let dir = tempfile::tempdir().unwrap();
    for (inputs, out) in [
        (vec![lidar("autzen_trim.laz")], "autzen.copc.laz"),
        (vec![lidar("lone-star.copc.laz")], "lone-star.copc.laz"),
        (vec![lidar("fullwave.laz")], "fullwave.copc.laz"),
        (vec![lidar("extrabytes.las"), lidar("extrabytes.las")], "merged.copc.laz"),
    ] {
        let out = dir.path().join(out);
        let mut args = vec!["pc", "convert"];
        args.extend(inputs.iter().map(String::as_str));
        args.extend(["-o", out.to_str().unwrap()]);
        let o = sontinh(&args);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let mut check = Command::new(python());
        check.arg(repo().join("tools/verify_copc.py")).arg(&out).args(&inputs);
        let v = check.output().expect("python runs (tools/setup-debian.sh installs laspy and lazrs)");
        assert!(v.status.success(), "laspy disagrees for {}: {}{}", out.display(), text(&v.stdout), text(&v.stderr));
        assert!(text(&v.stdout).contains("\"identical\": true"));
    }
}

/// A tiled conversion as a batch engine runs it: `pc tiles` plans, one
/// `pc convert-tile` per tile, `pc merge`; laspy reads the merged file point
/// for point like the source.
#[test]
fn pc_tiles_converted_apart_and_merged_read_back_through_laspy() {
    let dir = tempfile::tempdir().unwrap();
    let source = lidar("autzen_trim.laz");
    let plan = dir.path().join("plan.json");
    let o = sontinh(&["pc", "tiles", &source, "--level", "1", "-o", plan.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let parsed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let keys: Vec<String> = parsed["tiles"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap().to_owned()).collect();
    assert!(keys.len() >= 2, "{keys:?}");
    let mut tiles = Vec::new();
    for key in &keys {
        let out = dir.path().join(format!("{key}.copc.laz"));
        let o = sontinh(&["pc", "convert-tile", plan.to_str().unwrap(), "--tile", key, "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{key}: {}", text(&o.stderr));
        tiles.push(out.to_str().unwrap().to_owned());
    }
    let merged = dir.path().join("merged.copc.laz");
    let mut args = vec!["pc", "merge"];
    args.extend(tiles.iter().map(String::as_str));
    args.extend(["-o", merged.to_str().unwrap()]);
    let o = sontinh(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("110000 points"), "{}", text(&o.stdout));
    let v = Command::new(python()).arg(repo().join("tools/verify_copc.py")).arg(&merged).arg(&source).output().expect("python runs");
    assert!(v.status.success(), "laspy disagrees: {}{}", text(&v.stdout), text(&v.stderr));
    assert!(text(&v.stdout).contains("\"identical\": true"));

    // A tile the plan lacks, and a plan that is not one: errors, not panics.
    let o = sontinh(&["pc", "convert-tile", plan.to_str().unwrap(), "--tile", "3-9-0-0", "-o", dir.path().join("x.copc.laz").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("3-9-0-0"), "{}", text(&o.stderr));
    let o = sontinh(&["pc", "convert-tile", &source, "--tile", "1-0-0-0", "-o", dir.path().join("y.copc.laz").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("not a tile plan"), "{}", text(&o.stderr));
}

#[test]
fn dem_from_lidar_writes_a_georeferenced_ground_model() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("fullwave-dem.tif");
    let o = sontinh(&["dem", "from-lidar", &lidar("fullwave.laz"), "-o", dem.to_str().unwrap(), "--res", "1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = sontinh(&["dem", "info", "--json", dem.to_str().unwrap()]);
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["crs"], "EPSG:32723");
    assert_eq!(info["resolution"]["x"], 1.0);
    assert!(info["valid_cells"].as_u64().unwrap() > 1000);

    // The written DEM is a terrain layer like any other: placed by its own CRS, drawn.
    let b = &info["bounds"];
    let centre = [(b["min_x"].as_f64().unwrap() + b["max_x"].as_f64().unwrap()) / 2.0, (b["min_y"].as_f64().unwrap() + b["max_y"].as_f64().unwrap()) / 2.0];
    let mean = info["mean"].as_f64().unwrap();
    let scene = dir.path().join("dem.toml");
    std::fs::write(
        &scene,
        format!(
            r#"format = 1
[site]
id = "lidar-dem"
name = {{ vi = "DEM từ LiDAR", en = "DEM from LiDAR" }}
description = {{ vi = "", en = "" }}
[origin]
crs = "EPSG:32723"
position = [{}, {}, {mean}]
[[layer]]
id = "dem"
kind = "terrain"
path = "fullwave-dem.tif"
name = {{ vi = "DEM", en = "DEM" }}
[[bookmark]]
id = "over"
name = {{ vi = "Toàn cảnh", en = "Overview" }}
eye = [0.0, -45.0, 35.0]
target = [0.0, 0.0, 0.0]
"#,
            centre[0], centre[1]
        ),
    )
    .unwrap();
    let out = dir.path().join("dem.png");
    let o = sontinh(&["render", scene.to_str().unwrap(), "--width", "320", "--height", "180", "--out", out.to_str().unwrap()]);
    let err = text(&o.stderr);
    assert!(o.status.success() && !err.contains("was not drawn"), "{err}");
    let img = image::open(&out).unwrap().to_rgb8();
    let sky = img.get_pixel(0, 0).0.map(i32::from);
    let ground = (100..220).flat_map(|x| (70..130).map(move |y| (x, y))).filter(|&(x, y)| img.get_pixel(x, y).0.iter().zip(sky).any(|(&c, s)| (i32::from(c) - s).abs() > 20)).count();
    assert!(ground > 5000, "the terrain fills the middle of the picture ({ground} of 7200 pixels)");
}

/// Share of pixels that satisfy `test`.
fn share(img: &image::RgbImage, test: impl Fn([i32; 3]) -> bool) -> f64 {
    let n = img.pixels().filter(|p| test(p.0.map(i32::from))).count();
    n as f64 / f64::from(img.width() * img.height())
}

/// Hues rather than exact colours: eye-dome lighting darkens edges.
fn is_brown([r, g, b]: [i32; 3]) -> bool {
    r > g + 15 && g > b + 15
}
fn is_grey([r, g, b]: [i32; 3]) -> bool {
    r.max(g).max(b) - r.min(g).min(b) < 10 && r > 40 && r < 235
}
fn is_green([r, g, b]: [i32; 3]) -> bool {
    g > b + 10 && g >= r
}

/// The Autzen scene in three colour modes: the cloud covers the picture's
/// centre, and each mode shows its own colours.
#[test]
fn autzen_renders_in_each_colour_mode() {
    let dir = tempfile::tempdir().unwrap();
    let render = |mode: &str| {
        let out = dir.path().join(format!("{mode}.png"));
        let o = sontinh(&[
            "render", "scenes/autzen-lidar.toml", "--out", out.to_str().unwrap(), "--width", "480", "--height", "270", "--point-color", mode,
        ]);
        assert!(o.status.success(), "{mode}: {}", text(&o.stderr));
        image::open(&out).unwrap().to_rgb8()
    };
    // ASPRS ground is brown, unclassified grey.
    let classes = render("classification");
    assert!(share(&classes, is_brown) > 0.01, "ground points");
    assert!(share(&classes, is_grey) > 0.02, "unclassified points");
    // Green where points are drawn, not the sky box's land behind them: the
    // background is what the camera sees with every point clipped away.
    let background = {
        let out = dir.path().join("background.png");
        let o = sontinh(&[
            "render", "scenes/autzen-lidar.toml", "--out", out.to_str().unwrap(), "--width", "480", "--height", "270", "--clip-box", "90000,90000,9000,90001,90001,9001",
        ]);
        assert!(o.status.success(), "background: {}", text(&o.stderr));
        image::open(&out).unwrap().to_rgb8()
    };
    let drawn_green = classes
        .pixels()
        .zip(background.pixels())
        .filter(|(p, q)| is_green(p.0.map(i32::from)) && p.0.iter().zip(q.0).any(|(a, b)| a.abs_diff(b) > 3))
        .count() as f64
        / f64::from(classes.width() * classes.height());
    assert!(drawn_green < 0.005, "no RGB colours in classification mode ({drawn_green})");
    let rgb = render("rgb");
    assert!(share(&rgb, is_green) > 0.03, "grass and trees in RGB");
    let elevation = render("elevation");
    assert!(share(&elevation, is_grey) < 0.01, "no grey in the elevation ramp");
    // The ramp's deep blue, not the pale sky.
    assert!(share(&elevation, |[r, _, b]| r < 100 && b > r + 60) > 0.03, "low ground is blue in the ramp");
}

/// Files the project has never seen: every point format 0–10 in LAS 1.2,
/// 1.3 and 1.4, plain and compressed, written by laspy with known points.
/// `pc info` gives their counts, bounds, classes and CRS; `pc convert` of
/// each reads back point for point through laspy's CopcReader.
#[test]
fn every_point_format_and_version_written_by_laspy() {
    let dir = tempfile::tempdir().unwrap();
    let made = Command::new(python())
        .arg(repo().join("tools/make_las_variants.py"))
        .arg(dir.path())
        .output()
        .expect("python runs (tools/setup-debian.sh installs laspy and lazrs)");
    assert!(made.status.success(), "{}", text(&made.stderr));
    let cases: Vec<serde_json::Value> = serde_json::from_slice(&made.stdout).unwrap();
    // Formats 0–3 in 1.2, 1.3 and 1.4; 4–5 in 1.3 and 1.4; 6–10 in 1.4: 21, as LAS and LAZ.
    assert_eq!(cases.len(), 42);
    for case in &cases {
        let name = case["file"].as_str().unwrap();
        let path = dir.path().join(name);
        let o = sontinh(&["pc", "info", "--json", "--stats", path.to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", text(&o.stderr));
        let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(info["version"], case["version"], "{name}");
        assert_eq!(info["point_format"], case["format"], "{name}");
        assert_eq!(info["point_count"], case["count"], "{name}");
        assert_eq!(info["stats"]["point_count"], case["count"], "{name}");
        assert_eq!(info["crs"]["chosen"], "EPSG:32648", "{name}");
        for axis in 0..3 {
            for bound in ["min", "max"] {
                let got = info["stats"][bound][axis].as_f64().unwrap();
                let want = case[bound][axis].as_f64().unwrap();
                assert!((got - want).abs() < 1e-6, "{name} {bound}[{axis}]: {got} vs {want}");
            }
        }
        for (class, count) in case["classes"].as_object().unwrap() {
            assert_eq!(&info["stats"]["classification"][class], count, "{name} class {class}");
        }
        if name.ends_with(".laz") {
            let out = dir.path().join(format!("{name}.copc.laz"));
            let o = sontinh(&["pc", "convert", path.to_str().unwrap(), "-o", out.to_str().unwrap()]);
            assert!(o.status.success(), "{name}: {}", text(&o.stderr));
            let v = Command::new(python()).arg(repo().join("tools/verify_copc.py")).arg(&out).arg(&path).output().unwrap();
            assert!(v.status.success(), "{name}: {}{}", text(&v.stdout), text(&v.stderr));
        }
    }
}

/// A cloud whose CRS cannot be right is reported and not drawn; the same
/// file with the scene's CRS override streams.
#[test]
fn a_wrong_crs_is_reported_and_the_scene_override_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wrong.png");
    let o = sontinh(&["render", "tests/scenes/lone-star-wrong-crs.toml", "--out", out.to_str().unwrap(), "--width", "160", "--height", "90"]);
    assert!(o.status.success(), "the rest of the scene still renders: {}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("\"geyser\" was not drawn") && err.contains("Earth's surface") && err.contains("`crs`"), "{err}");
    let out = dir.path().join("fixed.png");
    let o = sontinh(&["render", "scenes/lone-star-geyser.toml", "--out", out.to_str().unwrap(), "--width", "320", "--height", "180", "--time-frames", "1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("not drawn"), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    let drawn: u64 = stdout
        .lines()
        .find(|l| l.starts_with("Median frame time"))
        .and_then(|l| l.split('(').nth(1))
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(drawn > 10_000, "{stdout}");
}

/// `Memory: at most X MiB held of a budget of …; N LiDAR points drawn`.
fn memory_line(stdout: &str) -> (f64, u64) {
    let line = stdout.lines().find(|l| l.starts_with("Memory: at most ")).unwrap_or_else(|| panic!("no memory line in {stdout}"));
    let held: f64 = line["Memory: at most ".len()..].split(' ').next().unwrap().parse().unwrap();
    let points: u64 = line.rsplit("; ").next().unwrap().split(' ').next().unwrap().parse().unwrap();
    (held, points)
}

/// The Lone Star scan has 518,862 points (the data README). Under the
/// desktop budget the view draws what its screen-space error asks for; under
/// a 40 MiB budget everything held stays within 40 MiB, so at most
/// 40 MiB / 214 B (see `BYTES_PER_POINT`) points, and the scan still shows.
#[test]
fn a_memory_budget_bounds_what_the_lone_star_scan_holds() {
    let dir = tempfile::tempdir().unwrap();
    let render = |memory: &str| {
        let out = dir.path().join(format!("{memory}.png"));
        let o = sontinh(&["render", "scenes/lone-star-geyser.toml", "--out", out.to_str().unwrap(), "--width", "640", "--height", "360", "--memory", memory]);
        assert!(o.status.success(), "{memory}: {}", text(&o.stderr));
        memory_line(&text(&o.stdout))
    };
    let (desktop_mib, desktop_points) = render("desktop");
    let (small_mib, small_points) = render("40");
    assert!(desktop_points > 200_000 && desktop_points <= 518_862, "desktop: {desktop_points} points");
    assert!(small_mib <= 40.0, "40 MiB budget: {small_mib} MiB held");
    assert!(small_points > 10_000 && small_points <= 40 * 1024 * 1024 / 214, "40 MiB budget: {small_points} points");
    assert!(desktop_mib > small_mib, "desktop {desktop_mib} MiB, small {small_mib} MiB");
    let bad = sontinh(&["render", "scenes/lone-star-geyser.toml", "--out", "x.png", "--memory", "lots"]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("memory \"lots\": use phone, desktop, wall or a size in MiB"), "{}", text(&bad.stderr));
}

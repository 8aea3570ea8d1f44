#![allow(clippy::unwrap_used, clippy::expect_used)] // a measuring tool: failing loudly is the point

//! Flies a camera around and into each tileset and reports how the memory
//! budget holds: the same selection (screen-space error, request volumes,
//! frustum culling) and residency bookkeeping as the viewer, with contents
//! decoded for real and a load taking one frame.
//!
//! `cargo run --release -p sontinh-tiles --example fly -- [BUDGET_KIB] TILESET...`
//!
//! `--city CONTENT` stands for a tileset: a five-level quadtree over 4 km
//! (341 tiles, REPLACE) whose every tile holds a copy of the CONTENT file
//! (e.g. a b3dm of the shared samples), written to a temporary folder. The
//! shared samples are too small to need a budget; this one is not.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use sontinh_tiles::{Frustum, Residency, View, load_tileset, read_content, select};

const FRAMES: usize = 600;

fn unit(a: [f64; 3]) -> [f64; 3] {
    let l = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
    a.map(|c| c / l)
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let budget_kib: usize = match args.first().and_then(|a| a.parse().ok()) {
        Some(b) => {
            args.remove(0);
            b
        }
        None => 1024,
    };
    assert!(!args.is_empty(), "usage: fly [BUDGET_KIB] TILESET... | --city CONTENT");
    let scratch = std::env::temp_dir().join(format!("sontinh-fly-{}", std::process::id()));
    if let Some(at) = args.iter().position(|a| a == "--city") {
        let content = std::fs::canonicalize(args.get(at + 1).expect("--city needs a content file")).unwrap();
        std::fs::create_dir_all(&scratch).unwrap();
        let path = scratch.join("tileset.json");
        std::fs::write(&path, quadtree_city(&content)).unwrap();
        args.splice(at..at + 2, [path.display().to_string()]);
    }
    println!("budget {budget_kib} KiB per tileset, {FRAMES} frames, 1280×720, 60° field of view, loads take one frame, 4 at a time");
    println!("{:<48} {:>6} {:>9} {:>9} {:>9} {:>6} {:>6} {:>10}", "tileset", "tiles", "all KiB", "peak KiB", "drawn KiB", "loads", "evict", "select µs");
    for path in args.iter().map(PathBuf::from) {
        let tileset = load_tileset(&path).unwrap();
        let (centre, radius) = tileset.tiles[0].sphere;
        let georeferenced = (centre[0] * centre[0] + centre[1] * centre[1] + centre[2] * centre[2]).sqrt() > 6.0e6;
        let up = if georeferenced { unit(centre) } else { [0.0, 0.0, 1.0] };
        let east = unit(cross([0.0, 0.0, 1.0], up).map(|c| if georeferenced { c } else { 0.0 }));
        let east = if east.iter().all(|c| c.is_finite()) { east } else { [1.0, 0.0, 0.0] };
        let north = cross(up, east);

        let mut residency = Residency::new(budget_kib * 1024, 4);
        let mut sizes: HashMap<usize, usize> = HashMap::new();
        let mut arriving: Vec<(usize, Result<usize, String>)> = Vec::new();
        let (mut peak_drawn, mut select_us) = (0usize, Vec::new());
        for frame in 0..FRAMES {
            for (tile, result) in arriving.drain(..) {
                residency.finished(tile, result);
            }
            // Two turns; in from four radii to a third of one and out again, 30° up.
            let t = frame as f64 / FRAMES as f64;
            let azimuth = t * 4.0 * std::f64::consts::PI;
            let distance = radius * (0.3 + 3.7 * (0.5 + 0.5 * (t * 2.0 * std::f64::consts::PI).cos()));
            let (ce, se) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
            let eye = [0, 1, 2].map(|k| centre[k] + distance * (ce * (azimuth.cos() * east[k] + azimuth.sin() * north[k]) + se * up[k]));
            let fov = 60f64.to_radians();
            let view = View {
                eye,
                pixels_per_radian: 720.0 / fov,
                max_error_px: 16.0,
                frustum: Some(Frustum::perspective(eye, centre, up, fov, 16.0 / 9.0, 0.5, distance * 10.0 + radius * 4.0)),
            };
            let started = Instant::now();
            let (draw, wanted) = select(&tileset, &view, &|i| residency.is_ready(i));
            select_us.push(started.elapsed().as_secs_f64() * 1e6);
            let draw: HashSet<usize> = draw.into_iter().collect();
            let plan = residency.plan(&draw, &wanted);
            peak_drawn = peak_drawn.max(draw.iter().filter_map(|i| sizes.get(i)).sum());
            for tile in plan.load {
                let result = tileset.tiles[tile]
                    .content
                    .as_ref()
                    .ok_or_else(|| "no content".to_owned())
                    .and_then(|p| read_content(p).map(|c| c.decoded_bytes()).map_err(|e| e.to_string()));
                if let Ok(bytes) = &result {
                    sizes.insert(tile, *bytes);
                }
                arriving.push((tile, result));
            }
        }
        let all: usize = tileset.tiles.iter().filter_map(|t| t.content.as_ref()).filter_map(|p| read_content(p).ok()).map(|c| c.decoded_bytes()).sum();
        select_us.sort_by(f64::total_cmp);
        let name = if path.starts_with(&scratch) {
            "quadtree city (--city)".to_owned()
        } else {
            path.parent().and_then(|p| p.file_name()).map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
        };
        println!(
            "{:<48} {:>6} {:>9} {:>9} {:>9} {:>6} {:>6} {:>10.1}",
            name,
            tileset.tiles.len(),
            all / 1024,
            residency.peak_bytes() / 1024,
            peak_drawn / 1024,
            residency.loads,
            residency.evictions,
            select_us[select_us.len() / 2]
        );
        for (tile, why) in residency.failures() {
            println!("  tile {tile} failed: {why}");
        }
    }
    println!("peak: the most held at a frame's end; drawn: the most needed on screen at once (never evicted)");
    let _ = std::fs::remove_dir_all(&scratch);
}

/// A quadtree tileset JSON over 4 km, five levels, each tile's content the same file.
fn quadtree_city(content: &std::path::Path) -> String {
    fn tile(level: u32, x: f64, y: f64, half: f64, content: &str) -> String {
        let error = if level == 4 { 0.0 } else { 200.0 / f64::from(1 << level) };
        let children = if level == 4 {
            String::new()
        } else {
            let q = half / 2.0;
            let kids: Vec<String> = [(-q, -q), (q, -q), (-q, q), (q, q)].iter().map(|(dx, dy)| tile(level + 1, x + dx, y + dy, q, content)).collect();
            format!(r#","children":[{}]"#, kids.join(","))
        };
        format!(
            r#"{{"boundingVolume":{{"box":[{x},{y},25,{half},0,0,0,{half},0,0,0,25]}},"geometricError":{error},"refine":"REPLACE","content":{{"uri":"{content}"}}{children}}}"#
        )
    }
    format!(r#"{{"asset":{{"version":"1.0"}},"geometricError":400,"root":{}}}"#, tile(0, 0.0, 0.0, 2000.0, &content.display().to_string()))
}

#![allow(clippy::unwrap_used, clippy::expect_used)] // a measuring tool: failing loudly is the point

//! How long a DEM takes to become terrain: reading, then placing and
//! cutting into chunks. `cargo run --release -p sontinh-terrain --example
//! load_time -- DEM [RUNS]`

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = std::path::PathBuf::from(args.first().expect("usage: load_time DEM [RUNS]"));
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let mut read_ms = Vec::new();
    let mut build_ms = Vec::new();
    let mut summary = String::new();
    for _ in 0..runs {
        let t = Instant::now();
        let raster = sontinh_raster::read(&path).unwrap();
        read_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let frame = sontinh_geo::EnuFrame::new(sontinh_geo::Geodetic::new(-71.3033, 44.2708, 0.0));
        let t = Instant::now();
        let terrain = sontinh_terrain::build(&raster, &frame, &sontinh_terrain::TerrainOptions::default(), &mut |_| {}).unwrap();
        build_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let vertices: usize = terrain.chunks.iter().map(|c| c.mesh.positions.len()).sum();
        summary = format!(
            "{}×{} samples, {} levels, {} chunks, {vertices} vertices in all (skirts included)",
            terrain.grid.0,
            terrain.grid.1,
            terrain.levels,
            terrain.chunks.len()
        );
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("{}: {summary}", path.display());
    println!("median of {runs}: read {:.0} ms, build {:.0} ms", median(&mut read_ms), median(&mut build_ms));
}

//! `sontinh pc convert` without the application around it (the same
//! `sontinh_pointcloud::convert::convert`, printing when each phase starts),
//! so that the conversion bench builds in seconds instead of building the
//! viewer. With `--tiles LEVEL`: planned as tiles, each tile converted on
//! its own (one after the other here, as separate batch jobs would), then
//! merged, each step timed.
//!
//! cargo run --release -p sontinh-pointcloud --example convert -- [--tiles LEVEL] INPUT... OUT.copc.laz
#![allow(clippy::print_stdout)] // a command-line tool for the bench script

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use sontinh_pointcloud::convert::tiles::{convert_tile, merge_tiles, plan_tiles};
use sontinh_pointcloud::convert::{ConvertSummary, Progress, convert};

/// Prints when each phase starts, to see where the time goes.
struct PhaseTimes {
    started: Instant,
    last: Mutex<Option<String>>,
}

impl Progress for PhaseTimes {
    fn phase(&self, name: &str, _: u64) {
        if let Ok(mut last) = self.last.lock() {
            println!("{:7.2} s  {name}", self.started.elapsed().as_secs_f64());
            *last = Some(name.to_owned());
        }
    }
    fn advance(&self, _: u64) {}
}

fn report(what: &str, summary: &ConvertSummary, started: Instant) {
    println!(
        "{what}: {} points, {} nodes, {} levels, {} chunks in {:.2} s",
        summary.point_count,
        summary.nodes,
        summary.levels,
        summary.chunks,
        started.elapsed().as_secs_f64()
    );
}

fn run(args: &[String]) -> Result<(), String> {
    let usage = "usage: convert [--tiles LEVEL] INPUT... OUT.copc.laz";
    let (tiles, paths) = match args {
        [flag, level, rest @ ..] if flag == "--tiles" => (Some(level.parse::<i32>().map_err(|e| format!("--tiles {level:?}: {e}"))?), rest),
        rest => (None, rest),
    };
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let Some((output, inputs)) = paths.split_last().filter(|(_, inputs)| !inputs.is_empty()) else {
        return Err(usage.to_owned());
    };
    let started = Instant::now();
    let progress = PhaseTimes { started, last: Mutex::new(None) };
    let Some(level) = tiles else {
        let summary = convert(inputs, output, &progress).map_err(|e| e.to_string())?;
        report("converted", &summary, started);
        return Ok(());
    };
    let plan = plan_tiles(inputs, level).map_err(|e| e.to_string())?;
    println!("{} tiles at level {level}", plan.tiles.len());
    let mut files = Vec::new();
    for tile in &plan.tiles {
        let tile_started = Instant::now();
        let file = output.with_extension(format!("tile-{}.laz", tile.key));
        let summary = convert_tile(&plan, &tile.key, &file, &PhaseTimes { started: tile_started, last: Mutex::new(None) }).map_err(|e| e.to_string())?;
        report(&format!("tile {}", tile.key), &summary, tile_started);
        files.push(file);
    }
    let merge_started = Instant::now();
    let summary = merge_tiles(&files, output, &PhaseTimes { started: merge_started, last: Mutex::new(None) }).map_err(|e| e.to_string())?;
    report("merged", &summary, merge_started);
    for file in &files {
        std::fs::remove_file(file).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    println!("in all {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

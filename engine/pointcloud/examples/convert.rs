//! `sontinh pc convert` without the application around it (the same
//! `sontinh_pointcloud::convert::convert`, printing when each phase starts), so that the
//! conversion bench builds in seconds instead of building the viewer.
//!
//! cargo run --release -p sontinh-pointcloud --example convert -- INPUT... OUT.copc.laz
#![allow(clippy::print_stdout)] // a command-line tool for the bench script

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use std::sync::Mutex;

use sontinh_pointcloud::convert::{Progress, convert};

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

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let Some((output, inputs)) = args.split_last().filter(|(_, inputs)| !inputs.is_empty()) else {
        eprintln!("usage: convert INPUT... OUT.copc.laz");
        return ExitCode::FAILURE;
    };
    let started = Instant::now();
    let progress = PhaseTimes { started, last: Mutex::new(None) };
    match convert(inputs, output, &progress) {
        Ok(summary) => {
            println!(
                "{} points, {} nodes, {} levels, {} chunks in {:.2} s",
                summary.point_count,
                summary.nodes,
                summary.levels,
                summary.chunks,
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

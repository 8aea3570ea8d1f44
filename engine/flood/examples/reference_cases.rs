//! The flood solver's side-by-side cases with LISFLOOD-FP, for
//! `tools/bench/flood-vs-lisflood.sh`: one description of each case gives
//! both LISFLOOD-FP's input files and our own run, so that the two solve
//! the same problem.
//!
//!     reference_cases write DIR                      LISFLOOD-FP's inputs, DIR/CASE/CASE.par …
//!     reference_cases run CASE --threads N [--scheme lisflood-fp|ours] [--max-depth OUT.asc]
//!     reference_cases compare OURS.asc THEIRS.asc    maximum depths side by side
//!
//! Cases:
//! - `ea4`: the Environment Agency's 2D benchmark test 4 (Néelz & Pender
//!   2013): a flat 2000 × 1000 m plain of 5 m cells, n 0.05, 20 m³/s
//!   through a 20 m inlet in the middle of the west edge, 5 h.
//! - `srtm1000`: 1000 × 1000 cells of 90 m cut from the shared SRTM tile
//!   N44W072 (Mount Washington), n 0.035, 50 mm/h of rain for an hour then
//!   dry, 2 h, closed edges.
#![allow(clippy::print_stdout)] // a command-line tool for the bench script

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use sontinh_flood::{Boundaries, Edge, EdgeInflow, Friction, Raster, Scenario, Settings, Simulation, TimeSeries};

/// One case, as both tools see it.
struct Case {
    name: &'static str,
    terrain: Raster,
    manning: f64,
    duration_s: f64,
    /// West-edge inlet: rows (from the north) and total discharge, m³/s.
    west_inlet: Option<(usize, usize, f64)>,
    /// Rain, mm/h, as (time s, intensity) steps.
    rain: Option<Vec<(f64, f64)>>,
}

fn shared_data() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("SONTINH_SHARED_DATA") {
        return Ok(PathBuf::from(dir));
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if beside.is_dir() {
        return Ok(beside);
    }
    Err("the shared test data is absent: set SONTINH_SHARED_DATA or put it in ../shared/data beside the repository".to_owned())
}

fn case(name: &str) -> Result<Case, String> {
    match name {
        "ea4" => {
            let (nx, ny, dx) = (400, 200, 5.0);
            Ok(Case {
                name: "ea4",
                terrain: Raster::new(nx, ny, dx, vec![0.0; nx * ny]).map_err(|e| e.to_string())?,
                manning: 0.05,
                duration_s: 5.0 * 3600.0,
                west_inlet: Some((98, 101, 20.0)),
                rain: None,
            })
        }
        "srtm1000" => {
            let path = shared_data()?.join("dem/N44W072.hgt");
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            if bytes.len() != 1201 * 1201 * 2 {
                return Err(format!("{}: {} bytes, not a 1201 × 1201 SRTM tile", path.display(), bytes.len()));
            }
            let heights: Vec<f64> = bytes.chunks_exact(2).map(|b| f64::from(i16::from_be_bytes([b[0], b[1]]))).collect();
            let n = 1000;
            let terrain = Raster::from_fn(n, n, 90.0, |c, r| heights[r * 1201 + c]).map_err(|e| e.to_string())?;
            Ok(Case {
                name: "srtm1000",
                terrain,
                manning: 0.035,
                duration_s: 2.0 * 3600.0,
                west_inlet: None,
                rain: Some(vec![(0.0, 50.0), (3600.0, 50.0), (3600.001, 0.0), (7200.0, 0.0)]),
            })
        }
        other => Err(format!("unknown case {other:?}: ea4 or srtm1000")),
    }
}

fn scenario(case: &Case) -> Result<Scenario, String> {
    let edge_inflows = case
        .west_inlet
        .map(|(first, last, q)| EdgeInflow {
            edge: Edge::West,
            first,
            last,
            discharge: TimeSeries::constant(q),
        })
        .into_iter()
        .collect();
    let rain = case.rain.clone().map(TimeSeries::new).transpose().map_err(|e| e.to_string())?;
    Ok(Scenario {
        terrain: case.terrain.clone(),
        friction: Friction::Constant(case.manning),
        initial_depth: None,
        rain_mm_per_hour: rain,
        inflows: Vec::new(),
        edge_inflows,
        boundaries: Boundaries::closed(),
    })
}

fn ascii_grid(raster_nx: usize, raster_ny: usize, dx: f64, values: &[f64]) -> String {
    let mut text = format!("ncols {raster_nx}\nnrows {raster_ny}\nxllcorner 0\nyllcorner 0\ncellsize {dx}\nNODATA_value -9999\n");
    for row in values.chunks(raster_nx) {
        for (i, v) in row.iter().enumerate() {
            let _ = write!(text, "{}{v}", if i == 0 { "" } else { " " });
        }
        text.push('\n');
    }
    text
}

/// LISFLOOD-FP's inputs for a case: its ACC solver with its own defaults.
fn write_lisflood(case: &Case, dir: &Path) -> Result<(), String> {
    let dir = dir.join(case.name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let t = &case.terrain;
    let (nx, ny, dx) = (t.nx, t.ny, t.cell_size);
    let write = |file: &str, text: String| std::fs::write(dir.join(file), text).map_err(|e| format!("{}: {e}", dir.join(file).display()));
    write(&format!("{}.dem.asc", case.name), ascii_grid(nx, ny, dx, &t.values))?;
    let mut par = format!(
        "DEMfile {0}.dem.asc\nresroot {0}\ndirroot results\nsim_time {1}\ninitial_tstep 10\nmassint 600\nsaveint {1}\nfpfric {2}\nacceleration\n",
        case.name, case.duration_s, case.manning
    );
    if let Some((first, last, q)) = case.west_inlet {
        // Edge coordinates run from the south; QFIX is per unit width (m²/s).
        let (south, north) = ((ny - 1 - last) as f64 * dx, (ny - first) as f64 * dx);
        write(&format!("{}.bci", case.name), format!("W {south} {north} QFIX {}\n", q / (north - south)))?;
        let _ = writeln!(par, "bcifile {}.bci", case.name);
    }
    if let Some(rain) = &case.rain {
        let mut text = format!("# rain, mm/h\n{} seconds\n", rain.len());
        for (time, mm) in rain {
            let _ = writeln!(text, "{mm} {time}");
        }
        write(&format!("{}.rain", case.name), text)?;
        let _ = writeln!(par, "rainfall {}.rain", case.name);
    }
    write(&format!("{}.par", case.name), par)
}

fn run(case: &Case, threads: usize, settings: Settings, max_depth_out: Option<&Path>) -> Result<(), String> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| e.to_string())?;
    let scenario = scenario(case)?;
    let (sim, seconds) = pool.install(|| -> Result<(Simulation, f64), String> {
        let mut sim = Simulation::new(scenario, settings).map_err(|e| e.to_string())?;
        let started = Instant::now();
        sim.run_until(case.duration_s, |_| {});
        Ok((sim, started.elapsed().as_secs_f64()))
    })?;
    let cells = (case.terrain.nx * case.terrain.ny) as f64;
    println!(
        "{} threads={threads} steps={} seconds={seconds:.3} cell_updates_per_s={:.1}M volume_m3={:.1} balance_error_m3={:.3}",
        case.name,
        sim.steps(),
        cells * sim.steps() as f64 / seconds / 1e6,
        sim.volume(),
        sim.balance().error()
    );
    if let Some(out) = max_depth_out {
        std::fs::write(out, ascii_grid(case.terrain.nx, case.terrain.ny, case.terrain.cell_size, sim.max_depth()))
            .map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}

fn read_ascii_grid(path: &Path) -> Result<(usize, usize, Vec<f64>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut words = text.split_whitespace();
    let mut header = |key: &str| -> Result<f64, String> {
        let name = words.next().ok_or_else(|| format!("{}: ends before its {key}", path.display()))?;
        if !name.eq_ignore_ascii_case(key) {
            return Err(format!("{}: expected {key}, found {name:?}", path.display()));
        }
        let value = words.next().ok_or_else(|| format!("{}: {key} has no value", path.display()))?;
        value.parse::<f64>().map_err(|e| format!("{}: {key} {value:?}: {e}", path.display()))
    };
    let (nx, ny) = (header("ncols")?, header("nrows")?);
    for key in ["xllcorner", "yllcorner", "cellsize", "NODATA_value"] {
        header(key)?;
    }
    let values: Vec<f64> = words
        .map(|w| w.parse::<f64>().map_err(|e| format!("{}: value {w:?}: {e}", path.display())))
        .collect::<Result<_, _>>()?;
    let (nx, ny) = (nx as usize, ny as usize);
    if Some(values.len()) != nx.checked_mul(ny) {
        return Err(format!("{}: {} values for {nx} × {ny} cells", path.display(), values.len()));
    }
    Ok((nx, ny, values))
}

/// Maximum depths side by side: where either is wet (over 1 cm), the
/// differences and the flooded areas.
fn compare(ours: &Path, theirs: &Path) -> Result<(), String> {
    let (a, b) = (read_ascii_grid(ours)?, read_ascii_grid(theirs)?);
    if (a.0, a.1) != (b.0, b.1) {
        return Err(format!("the grids differ in size: {} × {} and {} × {}", a.0, a.1, b.0, b.1));
    }
    let wet = 0.01;
    let mut differences: Vec<f64> = Vec::new();
    let (mut wet_a, mut wet_b, mut sum_a, mut sum_b) = (0usize, 0usize, 0.0, 0.0);
    for (x, y) in a.2.iter().zip(&b.2) {
        wet_a += usize::from(*x > wet);
        wet_b += usize::from(*y > wet);
        if *x > wet || *y > wet {
            differences.push((x - y).abs());
            sum_a += x;
            sum_b += y;
        }
    }
    differences.sort_by(f64::total_cmp);
    let at = |q: f64| differences.get(((differences.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
    println!(
        "maximum depth: flooded cells (>1 cm) ours {wet_a}, reference {wet_b} ({:+.2}%); mean depth over them {:+.2}%; |difference| p50 {:.4} m, p99 {:.4} m, largest {:.4} m",
        (wet_a as f64 / wet_b.max(1) as f64 - 1.0) * 100.0,
        (sum_a / sum_b.max(f64::MIN_POSITIVE) - 1.0) * 100.0,
        at(0.5),
        at(0.99),
        differences.last().copied().unwrap_or(0.0)
    );
    Ok(())
}

fn main_result(args: &[String]) -> Result<(), String> {
    let usage = "usage: reference_cases write DIR | run CASE --threads N [--scheme lisflood-fp|ours] [--max-depth OUT.asc] | compare OURS.asc THEIRS.asc";
    match args.first().map(String::as_str) {
        Some("write") => {
            let dir = Path::new(args.get(1).ok_or(usage)?);
            for name in ["ea4", "srtm1000"] {
                write_lisflood(&case(name)?, dir)?;
            }
            Ok(())
        }
        Some("run") => {
            let case = case(args.get(1).ok_or(usage)?)?;
            let (mut threads, mut settings, mut max_depth) = (1, Settings::lisflood_fp(), None);
            let mut rest = args[2..].iter();
            while let Some(flag) = rest.next() {
                let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
                match flag.as_str() {
                    "--threads" => threads = value.parse().map_err(|e| format!("--threads {value:?}: {e}"))?,
                    "--scheme" => {
                        settings = match value.as_str() {
                            "lisflood-fp" => Settings::lisflood_fp(),
                            "ours" => Settings::default(),
                            other => return Err(format!("--scheme {other:?}: lisflood-fp or ours")),
                        }
                    }
                    "--max-depth" => max_depth = Some(PathBuf::from(value)),
                    other => return Err(format!("unknown option {other:?}; {usage}")),
                }
            }
            run(&case, threads, settings, max_depth.as_deref())
        }
        Some("compare") => compare(Path::new(args.get(1).ok_or(usage)?), Path::new(args.get(2).ok_or(usage)?)),
        _ => Err(usage.to_owned()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match main_result(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

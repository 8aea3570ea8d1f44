//! Full decode of a LAS/LAZ file, points per second, side by side in one run
//! with laspy + lazrs reading the same file (the Python of tools/setup-debian.sh).
//!
//! cargo bench -p sontinh-pointcloud --bench decode [-- FILE [ROUNDS]]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sontinh_pointcloud::PointCloudFile;

const LASPY: &str = r#"
import sys, time, laspy
path, rounds = sys.argv[1], int(sys.argv[2])
laspy.read(path)  # warm-up
best = []
for _ in range(rounds):
    t = time.perf_counter()
    las = laspy.read(path)
    n = len(las.points)
    best.append(time.perf_counter() - t)
best.sort()
print(n, best[len(best) // 2])
"#;

fn main() {
    let args: Vec<String> = std::env::args().filter(|a| a != "--bench").collect();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let file = args.get(1).map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("SONTINH_SHARED_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join("../shared/data"))
            .join("lidar/autzen_trim.laz")
    });
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(15);
    let Ok(cloud) = PointCloudFile::open(&file) else {
        eprintln!("cannot open {} (shared test data absent?)", file.display());
        std::process::exit(1);
    };
    let decode = || {
        let mut n = 0u64;
        match cloud.for_each_batch(|batch| {
            n += batch.len() as u64;
            Ok(())
        }) {
            Ok(_) => n,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    };
    decode();
    let mut times = Vec::new();
    let mut points = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        points = decode();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let ours = times[times.len() / 2];
    println!("file: {}", file.display());
    println!("sontinh (las + laz-rs, parallel): {points} points, median {:.1} ms, {:.2} M points/s", ours * 1e3, points as f64 / ours / 1e6);

    let venv = repo.join(".venv/bin/python");
    let python = if venv.is_file() { venv } else { PathBuf::from("python3") };
    match Command::new(&python).arg("-c").arg(LASPY).arg(&file).arg(rounds.to_string()).output() {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let mut parts = text.split_whitespace();
            let n: f64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
            let t: f64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
            println!("laspy 2.7 + lazrs:                {n} points, median {:.1} ms, {:.2} M points/s", t * 1e3, n / t / 1e6);
            println!("ratio sontinh / laspy (points per second): {:.2}×", t / ours);
        }
        Ok(o) => println!("laspy failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => println!("python not found ({e}): run tools/setup-debian.sh"),
    }
}

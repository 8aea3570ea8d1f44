//! Makes a large test cloud by tiling a source cloud side by side and
//! jittering each copy (deterministically), for conversion benchmarks.
//!
//! cargo run --release -p sontinh-pointcloud --example tile_cloud -- SOURCE.laz COPIES OUT.laz|OUT.las
//!
//! OUT is LAZ-compressed unless its name ends in `.las`.

use std::path::PathBuf;
use std::process::ExitCode;

use sontinh_pointcloud::PointCloudFile;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, source, copies, out] = args.as_slice() else {
        eprintln!("usage: tile_cloud SOURCE COPIES OUT.laz|OUT.las");
        return ExitCode::FAILURE;
    };
    match run(PathBuf::from(source), copies, PathBuf::from(out)) {
        Ok(n) => {
            println!("wrote {n} points to {out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(source: PathBuf, copies: &str, out: PathBuf) -> Result<u64, String> {
    let copies: u64 = copies.parse().map_err(|e| format!("COPIES: {e}"))?;
    let file = PointCloudFile::open(&source).map_err(|e| e.to_string())?;
    let mut points = Vec::new();
    file.for_each_batch(|batch| {
        for p in batch.points() {
            points.push(p.map_err(|e| sontinh_pointcloud::PointCloudError::invalid(&source, e.to_string()))?);
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    let l = &file.layout;
    let (width, height) = (l.max[0] - l.min[0], l.max[1] - l.min[1]);
    let side = (copies as f64).sqrt().ceil() as u64;
    let mut header = file.header.clone();
    header.clear();
    let mut builder = las::Builder::from(header);
    builder.point_format.is_compressed = !out.extension().is_some_and(|e| e.eq_ignore_ascii_case("las"));
    // The source's LAZ record layout is not this file's: the writer adds its own when it compresses.
    builder.vlrs.retain(|v| v.user_id != "laszip encoded");
    let header = builder.into_header().map_err(|e| e.to_string())?;
    let mut writer = las::Writer::from_path(&out, header).map_err(|e| e.to_string())?;
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut jitter = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 1000) as f64 / 1000.0 - 0.5
    };
    let mut written = 0u64;
    for copy in 0..copies {
        let (dx, dy) = ((copy % side) as f64 * width, (copy / side) as f64 * height);
        for p in &points {
            let mut q = p.clone();
            q.x += dx + jitter() * 0.5;
            q.y += dy + jitter() * 0.5;
            q.z += jitter() * 0.2;
            writer.write_point(q).map_err(|e| e.to_string())?;
            written += 1;
        }
    }
    writer.close().map_err(|e| e.to_string())?;
    Ok(written)
}

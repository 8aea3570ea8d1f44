#![allow(clippy::unwrap_used, clippy::expect_used)] // a measuring tool: failing loudly is the point

//! How long mesh files take to read (container checks, Draco decoding,
//! texture decoding): `cargo run --release -p sontinh-mesh --example
//! load_time -- FILE... [--runs N]`

use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 5;
    if let Some(at) = args.iter().position(|a| a == "--runs") {
        runs = args.get(at + 1).and_then(|r| r.parse().ok()).expect("--runs N");
        args.drain(at..at + 2);
    }
    assert!(!args.is_empty(), "usage: load_time FILE... [--runs N]");
    for path in args.iter().map(std::path::PathBuf::from) {
        let mut ms = Vec::new();
        let mut summary = String::new();
        for _ in 0..runs {
            let t = Instant::now();
            let model = sontinh_mesh::read_file(&path).unwrap();
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            let texels: usize = model.textures.iter().map(|t| (t.width * t.height) as usize).sum();
            summary = format!("{} triangles, {} textures ({} Mtexels)", model.triangle_count(), model.textures.len(), texels / 1_000_000);
        }
        ms.sort_by(f64::total_cmp);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("{}: {} KiB, {summary}: median of {runs} reads {:.0} ms", path.display(), size / 1024, ms[ms.len() / 2]);
    }
}

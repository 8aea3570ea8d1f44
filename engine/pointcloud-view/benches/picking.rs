//! Picking time on a point cloud at a 2 M point budget: the viewer's
//! `pick_point_under_cursor` scan (every drawn node's points through its
//! transform into `nearest_point_on_ray`) for 100 random cursor rays.
//!
//! The points are real: every node of the shared COPC scan
//! `lidar/lone-star.copc.laz` (518,862 points) decoded and turned into
//! node points as the viewer does (`to_node_points`), the cloud laid out
//! four times side by side (2 × 2, as a larger survey's tiles), nodes taken
//! coarse levels first (as the budgeted selection takes them) up to
//! 2,000,000 points. The camera looks down on their middle at 45° from 90 m, 45°
//! field of view, on a 1920 × 1080 window; the tolerance is the viewer's
//! (four pixels as an angle).
//!
//! cargo bench -p sontinh-pointcloud-view --bench picking [-- POINTS RAYS]

use std::path::{Path, PathBuf};
use std::time::Instant;

use bevy::math::{Affine3A, Vec3};
use bevy::transform::components::GlobalTransform;
use sontinh_pointcloud_view::{CloudAffine, NodePoints, NodeSource, RangedCopc, nearest_point_on_ray, to_node_points};

fn shared(path: &str) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::var_os("SONTINH_SHARED_DATA").map(PathBuf::from).unwrap_or_else(|| repo.join("../shared/data")).join(path)
}

fn fail(why: String) -> ! {
    eprintln!("{why}");
    std::process::exit(1)
}

/// A tiny deterministic generator (no dependency): uniform in [0, 1).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn percentile(times: &mut [f64], q: f64) -> f64 {
    times.sort_by(f64::total_cmp);
    times[((times.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().filter(|a| a != "--bench").collect();
    let budget: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(2_000_000);
    let ray_count: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(100);
    let file = shared("lidar/lone-star.copc.laz");
    let copc = match bevy::tasks::block_on(RangedCopc::open(&file)) {
        Ok(Ok(copc)) => copc,
        Ok(Err(_)) => fail(format!("{}: not COPC", file.display())),
        Err(e) => fail(format!("{e} (shared test data absent? set SONTINH_SHARED_DATA)")),
    };
    let octree = copc.octree();
    // File units are metres (UTM); the scene's origin at the octree's centre.
    let affine = CloudAffine { center: octree.center, center_enu: [0.0; 3], columns: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]] };
    let mut keys: Vec<_> = copc.node_counts().iter().filter(|(_, n)| **n > 0).map(|(k, _)| *k).collect();
    keys.sort();
    let t = Instant::now();
    let decoded: Vec<(i32, sontinh_pointcloud_view::RawNode)> = keys
        .iter()
        .map(|k| match bevy::tasks::block_on(copc.read_node(*k)) {
            Ok(raw) => (k.0, raw),
            Err(e) => fail(e),
        })
        .collect();
    let file_points: usize = decoded.iter().map(|(_, r)| r.xyz.len()).sum();
    println!("{}: {} nodes, {file_points} points decoded in {:.2} s", file.display(), decoded.len(), t.elapsed().as_secs_f64());
    // Four copies side by side (the scan is about 33 m × 41 m), coarse levels first, up to the budget.
    let mut tiles: Vec<(i32, [f64; 3], &sontinh_pointcloud_view::RawNode)> = Vec::new();
    for offset in [[0.0, 0.0, 0.0], [40.0, 0.0, 0.0], [0.0, 45.0, 0.0], [40.0, 45.0, 0.0]] {
        tiles.extend(decoded.iter().map(|(level, raw)| (*level, offset, raw)));
    }
    tiles.sort_by_key(|(level, _, _)| *level);
    let mut nodes: Vec<(NodePoints, GlobalTransform)> = Vec::new();
    let mut total = 0usize;
    for (_, offset, raw) in tiles {
        if total >= budget {
            break;
        }
        let shifted = CloudAffine { center_enu: offset, ..affine };
        let mut points = to_node_points(raw, &shifted, octree.spacing as f32);
        points.positions.truncate(budget - total);
        total += points.positions.len();
        let transform = GlobalTransform::from(Affine3A::from_translation(points.center));
        nodes.push((points, transform));
    }
    println!("drawn: {} nodes, {total} points", nodes.len());

    // The camera: 90 m from the middle of the drawn points, 45° down, looking north-east.
    let (lo, hi) = nodes.iter().flat_map(|(n, t)| n.positions.iter().map(move |p| t.transform_point(*p))).fold((Vec3::INFINITY, Vec3::NEG_INFINITY), |(lo, hi), p| (lo.min(p), hi.max(p)));
    println!("world bounds {lo:.1} .. {hi:.1} (x east, y up, z south)");
    let target = (lo + hi) / 2.0;
    let eye = target + Vec3::new(-45.0, 63.6, 45.0);
    let forward = (target - eye).normalize();
    let right = forward.cross(Vec3::Y).normalize();
    let up = right.cross(forward);
    let (fov, width, height) = (45f32.to_radians(), 1920.0f32, 1080.0f32);
    let tolerance = 4.0 * fov / height;
    let half = (fov / 2.0).tan();
    let mut lcg = Lcg(7);
    let rays: Vec<Vec3> = (0..ray_count)
        .map(|_| {
            let (x, y) = (lcg.next() * 2.0 - 1.0, lcg.next() * 2.0 - 1.0);
            (forward + right * x * half * width / height + up * y * half).normalize()
        })
        .collect();

    // The viewer's scan, as `pick_point_under_cursor` runs it.
    let scan = |direction: Vec3| {
        let points = nodes.iter().flat_map(|(n, t)| n.positions.iter().map(move |p| t.transform_point(*p)));
        nearest_point_on_ray(eye, direction, points, tolerance)
    };
    let mut hits = 0;
    let mut times: Vec<f64> = rays
        .iter()
        .map(|d| {
            let t = Instant::now();
            let hit = std::hint::black_box(scan(*d));
            let elapsed = t.elapsed().as_secs_f64();
            hits += usize::from(hit.is_some());
            elapsed
        })
        .collect();
    println!(
        "scan of every drawn point: {ray_count} rays ({hits} hit a point): p50 {:.2} ms, max {:.2} ms",
        percentile(&mut times, 0.5) * 1e3,
        percentile(&mut times, 1.0) * 1e3
    );
}

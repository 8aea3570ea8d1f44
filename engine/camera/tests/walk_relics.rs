//! Walking in the generated Citadel and over a real DEM's terrain, through
//! the same plain function the viewer runs, with a probe built from the
//! meshes' triangles. Answers come from the Citadel's own description of
//! itself (`sontinh_procgen::citadel::landmarks`) and from the DEM sampled
//! where the walker stands (`sontinh_terrain::DemHeights`).
#![allow(clippy::unwrap_used)]

use bevy::math::{Vec2, Vec3};
use sontinh_camera::soup::TriangleSoup;
use sontinh_camera::{WALKER, WalkBody, enu_to_world, walk_step, world_to_enu};
use sontinh_geo::{EnuFrame, Geodetic};
use sontinh_procgen::MeshData;
use sontinh_procgen::citadel::{self, Layout};
use sontinh_raster::{GeoRaster, GeoTransform};

fn world(p: [f32; 3]) -> Vec3 {
    enu_to_world(p.map(f64::from))
}

/// A horizontal direction of the Citadel's frame (x east, y north) in the world.
fn world_dir(d: [f32; 2]) -> Vec3 {
    Vec3::new(d[0], 0.0, -d[1])
}

fn add_mesh(soup: &mut TriangleSoup, mesh: &MeshData) {
    for t in mesh.indices.chunks_exact(3) {
        soup.add([0, 1, 2].map(|k| world(mesh.positions[t[k] as usize])));
    }
}

/// The solid parts of the Citadel (not its water) around `centre` (world x, z).
fn citadel_soup(layout: &Layout, centre: Vec2) -> TriangleSoup {
    let mut soup = TriangleSoup::new(centre, 120.0, 2.0);
    for part in citadel::generate(layout, &mut |_| {}) {
        if part.surface == sontinh_procgen::Surface::Solid {
            add_mesh(&mut soup, &part.mesh);
        }
    }
    soup
}

fn walk(soup: &TriangleSoup, body: WalkBody, wish: Vec3, frames: usize) -> Vec<WalkBody> {
    let probe = |o: Vec3, d: Vec3, m: f32| soup.cast(o, d, m);
    let mut path = vec![body];
    for _ in 0..frames {
        let next = walk_step(*path.last().unwrap(), wish, 1.0 / 40.0, &WALKER, &probe);
        path.push(next);
    }
    path
}

fn standing_at(ground: Vec3) -> WalkBody {
    WalkBody {
        eye: ground + Vec3::Y * WALKER.eye_height,
        fall_speed: 0.0,
    }
}

#[test]
fn walking_into_the_citadels_south_wall_stops_at_its_inner_face() {
    let layout = Layout::default();
    let marks = citadel::landmarks(&layout);
    let start = world(marks.south_wall_inner);
    let soup = citadel_soup(&layout, Vec2::new(start.x, start.z));
    // The inner face, as the landmarks place it: north is −z in the world.
    let face_north = marks.south_wall_inner[1] - marks.south_wall_inner_distance_m;
    // South at 4 m/s for 2 s: 8 m, more than the 3 m to the wall.
    let path = walk(&soup, standing_at(start), world_dir([0.0, -0.1]), 80);
    let north = |b: &WalkBody| world_to_enu(b.eye)[1] as f32;
    let end = north(path.last().unwrap());
    println!(
        "stopped {:.4} m from the inner face (body radius {} m)",
        end - face_north,
        WALKER.radius
    );
    assert!(
        (end - (face_north + WALKER.radius)).abs() < 2e-3,
        "the eye ends {} m from the face",
        end - face_north
    );
    for b in &path {
        assert!(
            north(b) >= face_north + WALKER.radius - 1e-3,
            "never nearer the face than the body's radius: {}",
            north(b) - face_north
        );
    }
    // It walked along the ground, not onto the wall.
    let top = path.iter().map(|b| b.eye.y).fold(f32::MIN, f32::max);
    assert!(top < marks.ground_m + 1.0 + WALKER.eye_height, "{top}");
}

#[test]
fn walking_up_the_south_ramp_follows_its_surface_to_the_wall_walk() {
    let layout = Layout::default();
    let marks = citadel::landmarks(&layout);
    let ramp = marks.south_ramp;
    let foot = world(ramp.foot);
    let up = world_dir(ramp.up_dir);
    let soup = citadel_soup(&layout, Vec2::new(foot.x, foot.z));
    // From 3 m before the foot, on its centre line, up to 0.5 m short of the top end.
    let start = foot - up * 3.0;
    let ground_at_start = layout.ground_height([ramp.foot[0] - ramp.up_dir[0] * 3.0, ramp.foot[1] - ramp.up_dir[1] * 3.0]);
    let begin = standing_at(Vec3::new(start.x, ground_at_start, start.z));
    let step = 0.1;
    let frames = ((3.0 + ramp.run_m - 0.5) / step).round() as usize;
    let path = walk(&soup, begin, up * step, frames);
    // The ramp is one plane from foot to top: its height a distance s along it.
    let surface = |s: f32| ramp.foot[2] + ramp.rise_m * s / ramp.run_m;
    let mut sampled = 0;
    let mut worst = 0.0f32;
    for b in &path {
        let s = (b.eye - foot).dot(up);
        if (1.0..=ramp.run_m - 0.5).contains(&s) {
            let off = b.eye.y - WALKER.eye_height - surface(s);
            worst = worst.max(off.abs());
            sampled += 1;
        }
    }
    println!("{sampled} samples on the ramp, largest height error {worst:.5} m");
    assert!(sampled > 300, "{sampled}");
    assert!(worst < 2e-3, "the eye left the ramp's surface by {worst} m");
    let top = *path.last().unwrap();
    assert!((top.eye.y - (surface(ramp.run_m - 0.5) + WALKER.eye_height)).abs() < 2e-3);

    // Turn to the outside and cross the wall walk: at the wall walk's height
    // + eye height, stopped by the parapet before the wall's outer face.
    let across = walk(&soup, top, world_dir(ramp.outward) * 0.1, 200);
    let on_wall: Vec<&WalkBody> = across
        .iter()
        .filter(|b| (b.eye - top.eye).dot(world_dir(ramp.outward)) > ramp.width_m / 2.0 + 1.0)
        .collect();
    assert!(!on_wall.is_empty(), "reached the wall walk");
    for b in &on_wall {
        assert!((b.eye.y - (marks.wall_top_m + WALKER.eye_height)).abs() < 1e-3, "{}", b.eye.y);
    }
    let last = across.last().unwrap();
    let outer_face = -layout.side_m / 2.0 - layout.wall_thickness_m / 2.0;
    let north = world_to_enu(last.eye)[1] as f32;
    println!("stopped on the wall walk {:.2} m inside the outer face", north - outer_face);
    assert!(north > outer_face + WALKER.radius, "did not go over the parapet: {north}");
    assert!(
        across.windows(2).rev().take(20).all(|w| w[0].eye.distance(w[1].eye) < 1e-4),
        "stopped"
    );
}

fn shared(path: &str) -> std::path::PathBuf {
    sontinh_scene::shared_file(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), path).unwrap()
}

/// `half` samples either side of (`column`, `row`).
fn window(r: &GeoRaster, column: usize, row: usize, half: usize) -> GeoRaster {
    let (c0, r0, n) = (column - half, row - half, 2 * half + 1);
    GeoRaster {
        width: n,
        height: n,
        values: (0..n).flat_map(|j| (0..n).map(move |i| r.get(c0 + i, r0 + j))).collect(),
        transform: GeoTransform {
            origin_x: r.transform.origin_x + c0 as f64 * r.transform.pixel_width,
            origin_y: r.transform.origin_y + r0 as f64 * r.transform.pixel_height,
            ..r.transform
        },
        ..r.clone()
    }
}

#[test]
fn over_mount_washington_the_eye_stays_at_eye_height_above_the_dem() {
    // SRTM 1″: 3 km north across the summit, from 1.5 km south of it.
    let dem = sontinh_raster::read(&shared("dem/N44W072.hgt")).unwrap();
    let (summit_lon, summit_lat) = (-71.3033, 44.2708);
    let (c, r) = dem.transform.to_pixel(summit_lon, summit_lat);
    let half = 64;
    let raster = window(&dem, c as usize, r as usize, half);
    // The frame's origin on a sample: the walk north (ENU x = 0) runs along
    // a column of samples, an edge of the terrain's triangles, where the
    // mesh and the DEM's bilinear interpolation are both linear between samples.
    let (lon, lat) = raster.transform.pixel_centre(half, half);
    let frame = EnuFrame::new(Geodetic::new(lon, lat, 0.0));
    let terrain = sontinh_terrain::build(&raster, &frame, &sontinh_terrain::TerrainOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(terrain.stride, 1, "every DEM sample is a vertex");
    let heights = sontinh_terrain::DemHeights::new(raster.clone(), None).unwrap();
    let mut soup = TriangleSoup::new(Vec2::ZERO, 2100.0, 8.0);
    for chunk in terrain.chunks.iter().filter(|c| c.level == 0) {
        add_mesh(&mut soup, &chunk.mesh);
    }
    // The ground under a world point, from the DEM, as an ENU height.
    let dem_ground = |p: Vec3| {
        let enu = world_to_enu(p);
        let g = frame.enu_to_geodetic(enu);
        let h = heights.height(g.lon_deg, g.lat_deg).unwrap();
        frame.geodetic_to_enu(Geodetic::new(g.lon_deg, g.lat_deg, h))[2]
    };
    let start = enu_to_world([0.0, -1500.0, 0.0]);
    let begin = standing_at(Vec3::new(start.x, dem_ground(start) as f32 + 0.2, start.z));
    let path = walk(&soup, begin, world_dir([0.0, 0.25]), 12_000);
    let mut worst = 0.0f64;
    let (mut lowest, mut highest) = (f64::MAX, f64::MIN);
    for b in path.iter().skip(1).step_by(10) {
        let ground = dem_ground(b.eye);
        let off = f64::from(b.eye.y) - f64::from(WALKER.eye_height) - ground;
        worst = worst.max(off.abs());
        lowest = lowest.min(ground);
        highest = highest.max(ground);
    }
    let end = world_to_enu(path.last().unwrap().eye);
    println!("ground from {lowest:.1} to {highest:.1} m; eye height off the DEM by at most {worst:.4} m; ended at {end:?}");
    assert!(
        (end[1] - 1500.0).abs() < 0.05 && end[0].abs() < 1e-3,
        "walked the whole way: {end:?}"
    );
    assert!(highest - lowest > 300.0, "a real climb: {lowest}..{highest}");
    // The terrain places its vertices exactly on a lattice every 16 samples
    // and interpolates between (Earth's curvature: a few centimetres).
    assert!(worst < 0.06, "eye height off by {worst} m");
}

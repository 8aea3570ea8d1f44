//! Flood results drawn over the scene: the water of a `sontinh flood run`
//! output folder as a surface coloured by depth, for planners — the maximum
//! level, or any of the run's snapshots, scrubbed or played as a timeline.
//!
//! The results are on a UTM 48N grid; each cell corner is carried into the
//! scene's ENU frame. Levels are heights above the scene's datum, drawn on
//! the same flat ENU plane as the scene's generated ground.
//!
//! The folder is read by file (`sontinh_layers::file_bytes`): from disk
//! natively, over HTTP in the browser (`sontinh serve --flood DIR`), one code
//! path. A browser cannot list a folder, so a run writes its snapshots'
//! index (`snapshots/index.json`); the rasters are fetched and decoded off
//! the frame, the shown snapshot when it is chosen.

pub mod gauges;
mod impact;
mod planner;
mod worker_run;

use std::path::{Path, PathBuf};

pub use sontinh_flood::outputs::{MAX_SNAPSHOTS, SNAPSHOT_INDEX, parse_snapshot_index, snapshot_index_json, snapshot_seconds};
pub use impact::{FloodImpact, ImpactRow, impact_color, parse_impact, read_impact};
pub use planner::{FloodPlaces, PlaceRow, PlannerEdits, PlannerRun, PlannerRunner, RunResult, read_places};
pub use worker_run::{DOWNLOADS, PageSolver, WorkerPlanner, download_result};

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use sontinh_geo::{Crs, EnuFrame, Transformer};
use sontinh_layers::{ActiveScene, mesh_from_part};
use sontinh_procgen::MeshData;
use sontinh_raster::GeoRaster;

/// Draws the flood results of [`FloodResults`] when that resource exists.
pub struct FloodOverlayPlugin;

impl Plugin for FloodOverlayPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<FloodOverlayStatus>()
            .init_resource::<FloodTimeline>()
            .init_resource::<PlannerRun>()
            .init_resource::<FloodPlaces>()
            .init_resource::<gauges::FloodGaugeSeries>()
            .init_resource::<PageSolver>()
            .init_resource::<worker_run::SolverStarved>()
            .init_resource::<FloodLoading>()
            .init_resource::<FloodImpact>()
            .add_systems(Update, (impact::load_impact, impact::level_impact, impact::draw_impact).chain().after(load_overlay))
            .add_systems(Update, (planner::autostart_run, worker_run::start_worker_runs, planner::follow_planner_run, load_overlay, play_timeline, show_timeline).chain())
            .add_systems(Update, (init_planner_edits, worker_run::pace_frames_during_gpu_runs, worker_run::end_cancelled_worker_runs, warm_water_pipelines));
    }
}

/// The output folder of a flood run to show.
#[derive(Resource, Clone, Debug)]
pub struct FloodResults(pub PathBuf);

/// Which moment of the flood is shown: the snapshot times of the run, the
/// one shown (`None`: the maximum over the whole run), and playback.
#[derive(Resource, Default, Debug)]
pub struct FloodTimeline {
    pub times_s: Vec<f64>,
    pub shown: Option<usize>,
    pub playing: bool,
    /// Show the snapshot nearest this time (hours) once the results load.
    pub requested_hours: Option<f64>,
    elapsed: f32,
    drawn: Option<Option<usize>>,
}

impl FloodTimeline {
    /// The snapshot nearest `hours`.
    pub fn nearest(&self, hours: f64) -> Option<usize> {
        (0..self.times_s.len()).min_by(|a, b| {
            (self.times_s[*a] - hours * 3600.0)
                .abs()
                .total_cmp(&(self.times_s[*b] - hours * 3600.0).abs())
        })
    }
}

/// The loaded rasters of a flood run.
#[derive(Resource)]
struct FloodData {
    terrain: GeoRaster,
    max_depth: GeoRaster,
    /// (seconds, file) in time order.
    snapshots: Vec<(f64, PathBuf)>,
}

/// What became of the overlay: `None` until tried.
#[derive(Resource, Default, Debug)]
pub struct FloodOverlayStatus(pub Option<Result<OverlaySummary, String>>);

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverlaySummary {
    pub wet_cells: usize,
    /// Area of one cell of the results grid, m².
    pub cell_area_m2: f64,
    pub max_depth_m: f64,
}

/// Cells shallower than this are not drawn, m.
pub const MIN_DRAWN_DEPTH_M: f64 = 0.10;

/// Depth ramp for the legend and the surface: (depth in metres, linear RGB).
pub const DEPTH_RAMP: [(f64, [f32; 3]); 4] = [
    (0.0, [0.45, 0.75, 0.95]),
    (1.0, [0.15, 0.45, 0.85]),
    (3.0, [0.06, 0.18, 0.60]),
    (6.0, [0.04, 0.05, 0.30]),
];

pub fn depth_color(depth: f64) -> [f32; 4] {
    let mut prev = DEPTH_RAMP[0];
    for stop in DEPTH_RAMP {
        if depth <= stop.0 {
            let t = if stop.0 > prev.0 {
                ((depth - prev.0) / (stop.0 - prev.0)) as f32
            } else {
                0.0
            };
            let c = [0, 1, 2].map(|i| prev.1[i] + (stop.1[i] - prev.1[i]) * t);
            return [c[0], c[1], c[2], 0.88];
        }
        prev = stop;
    }
    let c = DEPTH_RAMP[DEPTH_RAMP.len() - 1].1;
    [c[0], c[1], c[2], 0.88]
}

/// The water surface at maximum level over the cells deeper than
/// [`MIN_DRAWN_DEPTH_M`], in scene ENU metres.
pub fn flood_surface(terrain: &GeoRaster, max_depth: &GeoRaster, frame: &EnuFrame) -> Result<(MeshData, OverlaySummary), String> {
    flood_surface_on(&SurfaceCorners::new(max_depth, frame)?, terrain, max_depth, frame)
}

/// Every cell corner of a run's grid once, in scene ENU metres: the same
/// for each moment of the run, so made once (a few hundred ms of
/// projections for a 150 × 150 grid in a browser, too long for a frame).
#[derive(Clone, Debug, PartialEq)]
pub struct SurfaceCorners {
    grid: (usize, usize, sontinh_raster::GeoTransform, Option<sontinh_raster::Epsg>),
    origin: [f64; 3],
    corners: Vec<[f32; 2]>,
}

impl SurfaceCorners {
    pub fn new(grid: &GeoRaster, frame: &EnuFrame) -> Result<SurfaceCorners, String> {
        // Flood runs write their grids in a WGS 84 UTM zone (EPSG 326xx / 327xx).
        let utm = match grid.crs {
            Some(sontinh_raster::Epsg { code, geographic: false }) if (32601..=32660).contains(&code) || (32701..=32760).contains(&code) => {
                Crs::from_epsg(code).ok_or_else(|| format!("EPSG:{code} is not in the EPSG table"))?
            }
            other => return Err(format!("flood results must be in a WGS 84 UTM zone; these are in {other:?}")),
        };
        let to_wgs84 = Transformer::new(utm, Crs::Wgs84).map_err(|e| e.to_string())?;
        let (w, h, t) = (grid.width, grid.height, grid.transform);
        let mut corners = Vec::with_capacity((w + 1) * (h + 1));
        for r in 0..=h {
            for c in 0..=w {
                let (x, y) = (t.origin_x + c as f64 * t.pixel_width, t.origin_y + r as f64 * t.pixel_height);
                let g = to_wgs84.to_geodetic([x, y, 0.0]).map_err(|e| e.to_string())?;
                let enu = frame.geodetic_to_enu(g);
                corners.push([enu[0] as f32, enu[1] as f32]);
            }
        }
        Ok(SurfaceCorners {
            grid: (w, h, t, grid.crs),
            origin: origin_of(frame),
            corners,
        })
    }

    /// Whether these are the corners of `grid` seen from `frame`.
    pub fn fit(&self, grid: &GeoRaster, frame: &EnuFrame) -> bool {
        self.grid == (grid.width, grid.height, grid.transform, grid.crs) && self.origin == origin_of(frame)
    }
}

fn origin_of(frame: &EnuFrame) -> [f64; 3] {
    let o = frame.origin();
    [o.lon_deg, o.lat_deg, o.height_m]
}

/// [`flood_surface`] on corners made before (see [`SurfaceCorners`]).
pub fn flood_surface_on(corners: &SurfaceCorners, terrain: &GeoRaster, max_depth: &GeoRaster, frame: &EnuFrame) -> Result<(MeshData, OverlaySummary), String> {
    if (terrain.width, terrain.height, terrain.transform) != (max_depth.width, max_depth.height, max_depth.transform) {
        return Err("terrain.tif and max_depth.tif do not share one grid".into());
    }
    if !corners.fit(max_depth, frame) {
        return Err("the surface's corners were made for another grid".into());
    }
    let corners = &corners.corners;
    let (w, h) = (terrain.width, terrain.height);
    let t = terrain.transform;
    let datum = frame.origin().height_m;
    let mut mesh = MeshData::default();
    let mut summary = OverlaySummary {
        wet_cells: 0,
        cell_area_m2: (t.pixel_width * t.pixel_height).abs(),
        max_depth_m: 0.0,
    };
    for r in 0..h {
        for c in 0..w {
            let depth = max_depth.get(c, r);
            let ground = terrain.get(c, r);
            if !(depth.is_finite() && ground.is_finite()) || depth < MIN_DRAWN_DEPTH_M {
                continue;
            }
            summary.wet_cells += 1;
            summary.max_depth_m = summary.max_depth_m.max(depth);
            // A few centimetres up, clear of the scene's own still water.
            let z = (ground + depth - datum + 0.05) as f32;
            let corner = |cc: usize, rr: usize| {
                let p = corners[rr * (w + 1) + cc];
                [p[0], p[1], z]
            };
            // Rows run south: (c, r+1) is the south-west corner. Counter-clockwise from above.
            mesh.push_quad(
                [corner(c, r + 1), corner(c + 1, r + 1), corner(c + 1, r), corner(c, r)],
                depth_color(depth),
            );
        }
    }
    Ok((mesh, summary))
}

/// The snapshots of a run folder, `snapshots/depth_<seconds>s.tif`, in time
/// order, as found on disk (a run still writing; the native planner) or
/// indexed in memory (a run in the browser's worker).
pub fn list_snapshots(dir: &Path) -> Vec<(f64, PathBuf)> {
    if let Some(index) = sontinh_layers::memory_file(&dir.join(SNAPSHOT_INDEX)) {
        let listed = std::str::from_utf8(&index).ok().and_then(|text| parse_snapshot_index(text).ok()).unwrap_or_default();
        return listed.into_iter().map(|(t, f)| (t, dir.join("snapshots").join(f))).collect();
    }
    let mut found: Vec<(f64, PathBuf)> = std::fs::read_dir(dir.join("snapshots"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            let seconds = snapshot_seconds(path.file_name()?.to_str()?)?;
            Some((seconds, path))
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found
}

/// A raster of the run folder, read as every layer file is.
async fn fetch_raster(path: PathBuf) -> Result<GeoRaster, String> {
    let bytes = sontinh_layers::file_bytes(&path).await?;
    sontinh_raster::read_bytes(&path, &bytes).map_err(|e| e.to_string())
}

/// A run folder's rasters and places, or why they cannot be read.
type ReadResults = Result<(FloodData, Vec<PlaceRow>, Vec<gauges::GaugeSeries>), String>;

/// What a run folder holds, read by file: its index names the snapshots
/// (without one, natively, the folder is listed: a run from before indexes,
/// or one still writing).
async fn read_results(dir: PathBuf) -> ReadResults {
    let terrain = fetch_raster(dir.join("terrain.tif")).await?;
    let snapshots = match sontinh_layers::file_bytes(&dir.join(SNAPSHOT_INDEX)).await {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| format!("{SNAPSHOT_INDEX}: not UTF-8 text"))?;
            parse_snapshot_index(&text)?.into_iter().map(|(t, f)| (t, dir.join("snapshots").join(f))).collect()
        }
        Err(_) if cfg!(not(target_arch = "wasm32")) => list_snapshots(&dir),
        Err(_) => Vec::new(),
    };
    // While a run is still writing there is no maximum yet: the newest
    // snapshot stands in for it (or dry ground before the first).
    let max_depth = match sontinh_layers::file_bytes(&dir.join("max_depth.tif")).await {
        Ok(bytes) => sontinh_raster::read_bytes(&dir.join("max_depth.tif"), &bytes).map_err(|e| e.to_string())?,
        Err(_) => match snapshots.last() {
            Some((_, newest)) => fetch_raster(newest.clone()).await?,
            None => GeoRaster {
                values: vec![0.0; terrain.values.len()],
                ..terrain.clone()
            },
        },
    };
    let places = match sontinh_layers::file_bytes(&dir.join("places.csv")).await {
        Ok(bytes) => planner::parse_places(&String::from_utf8_lossy(&bytes)),
        Err(_) => Vec::new(),
    };
    // A run without virtual gauges has no gauges.csv, or an unreadable one: no forecast then.
    let gauge_series = match sontinh_layers::file_bytes(&dir.join("gauges.csv")).await {
        Ok(bytes) => gauges::parse_gauges_csv(&String::from_utf8_lossy(&bytes)).unwrap_or_else(|e| {
            warn!("{e}");
            Vec::new()
        }),
        Err(_) => Vec::new(),
    };
    Ok((FloodData { terrain, max_depth, snapshots }, places, gauge_series))
}

/// Reads in flight: the folder, and the snapshot chosen on the timeline.
#[derive(Resource, Default)]
pub struct FloodLoading {
    results: Option<Task<ReadResults>>,
    snapshot: Option<(usize, Task<Result<GeoRaster, String>>)>,
}

/// Whether the flood results (when the scene has any) are read and the
/// chosen moment drawn, or have failed: what "ready" waits for.
pub fn flood_settled(results: Option<&FloodResults>, status: &FloodOverlayStatus, timeline: &FloodTimeline, loading: &FloodLoading) -> bool {
    if results.is_none() {
        return true;
    }
    match &status.0 {
        None => false,
        Some(Err(_)) => true,
        Some(Ok(_)) => loading.results.is_none() && loading.snapshot.is_none() && timeline.drawn == Some(timeline.shown),
    }
}

/// `flood=ready`, `flood=loading` or `flood=failed: why`, as the page lists layers.
pub fn flood_state_text(status: &FloodOverlayStatus, settled: bool) -> String {
    match &status.0 {
        Some(Err(why)) => format!("flood=failed: {}", why.replace('\n', " ")),
        _ if settled => "flood=ready".to_owned(),
        _ => "flood=loading".to_owned(),
    }
}

/// The planner's edits start from the scene's first scenario.
fn init_planner_edits(mut commands: Commands, scene: Option<Res<ActiveScene>>, edits: Option<Res<PlannerEdits>>) {
    let Some(scene) = scene else { return };
    if edits.is_some() && !scene.is_changed() {
        return;
    }
    if let Some(first) = scene.0.flood_scenarios.first() {
        commands.insert_resource(PlannerEdits::from_scenario(0, first));
    }
}

/// The flood's water surface (measurements use it as a surface).
#[derive(Component)]
pub struct FloodOverlay;

/// The water's material: the overlay's, and its warm-up's.
fn water_material() -> StandardMaterial {
    StandardMaterial {
        base_color: Color::WHITE,
        perceptual_roughness: 0.15,
        reflectance: 0.4,
        alpha_mode: AlphaMode::Blend,
        ..default()
    }
}

/// Where a planner can run floods, the water's render pipelines are made
/// while the scene loads, not when the first water appears during a run:
/// WebGL2 compiles shaders on the main thread, for seconds under software
/// rendering. A triangle of no area, drawn everywhere (no culling), with
/// the overlay's vertex layout and material, makes them; it covers nothing.
fn warm_water_pipelines(
    mut commands: Commands,
    scene: Option<Res<ActiveScene>>,
    runner: Option<Res<PlannerRunner>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut warmed: Local<bool>,
) {
    if *warmed || runner.is_none() || scene.is_none_or(|s| s.0.flood_scenarios.is_empty()) {
        return;
    }
    *warmed = true;
    let mut part = MeshData::default();
    part.push_quad([[0.0; 3]; 4], depth_color(1.0));
    commands.spawn((
        Name::new("flood water (pipelines made ahead)"),
        Mesh3d(meshes.add(mesh_from_part(&part))),
        MeshMaterial3d(materials.add(water_material())),
        Transform::IDENTITY,
        bevy::camera::visibility::NoFrustumCulling,
    ));
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its resources
fn load_overlay(
    mut commands: Commands,
    results: Option<Res<FloodResults>>,
    mut status: ResMut<FloodOverlayStatus>,
    mut timeline: ResMut<FloodTimeline>,
    mut loading: ResMut<FloodLoading>,
    mut places: ResMut<FloodPlaces>,
    mut gauge_series: ResMut<gauges::FloodGaugeSeries>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    existing: Query<Entity, With<FloodOverlay>>,
) {
    let Some(results) = results else { return };
    if results.is_changed() {
        // A new folder (or the planner's finished run): read it afresh.
        let dir = results.0.clone();
        loading.results = Some(AsyncComputeTaskPool::get().spawn(read_results(dir)));
        loading.snapshot = None;
        status.0 = None;
    }
    let Some(task) = loading.results.as_mut() else { return };
    let Some(read) = check_ready(task) else { return };
    loading.results = None;
    for e in &existing {
        commands.entity(e).despawn();
    }
    match read {
        Ok((data, rows, series)) => {
            gauge_series.0 = series;
            timeline.times_s = data.snapshots.iter().map(|(t, _)| *t).collect();
            timeline.shown = timeline.requested_hours.and_then(|h| timeline.nearest(h));
            timeline.drawn = None;
            if !rows.is_empty() {
                places.0 = rows;
            }
            commands.insert_resource(data);
            commands.spawn((
                Name::new("flood overlay"),
                FloodOverlay,
                // Its mesh comes with the first surface drawn (an empty mesh
                // would be uploaded, then freed under the renderer's feet).
                MeshMaterial3d(materials.add(water_material())),
                Transform::IDENTITY,
                sontinh_layers::GeoPosition([0.0; 3]),
            ));
            // The summary is filled in when the surface is drawn.
            status.0 = Some(Ok(OverlaySummary {
                wet_cells: 0,
                cell_area_m2: 0.0,
                max_depth_m: 0.0,
            }));
        }
        Err(why) => {
            warn!("flood results {}: {why}", results.0.display());
            status.0 = Some(Err(format!("{}: {why}", results.0.display())));
        }
    }
}

/// Plays the timeline: a new snapshot every 0.4 s, then back to the maximum.
fn play_timeline(time: Res<Time>, mut timeline: ResMut<FloodTimeline>) {
    if !timeline.playing || timeline.times_s.is_empty() {
        return;
    }
    timeline.elapsed += time.delta_secs();
    if timeline.elapsed < 0.4 {
        return;
    }
    timeline.elapsed = 0.0;
    timeline.shown = match timeline.shown {
        Some(i) if i + 1 < timeline.times_s.len() => Some(i + 1),
        Some(_) => {
            timeline.playing = false;
            None
        }
        None => Some(0),
    };
}

/// Redraws the surface when another moment is chosen (a snapshot is read
/// first, off the frame; the surface shown stays until it arrives).
#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its resources
fn show_timeline(
    mut commands: Commands,
    data: Option<Res<FloodData>>,
    scene: Option<Res<ActiveScene>>,
    mut timeline: ResMut<FloodTimeline>,
    mut status: ResMut<FloodOverlayStatus>,
    mut loading: ResMut<FloodLoading>,
    overlays: Query<(Entity, Option<&Mesh3d>), With<FloodOverlay>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut corners: Local<Option<SurfaceCorners>>,
) {
    let (Some(data), Some(scene)) = (data, scene) else { return };
    let Ok((overlay, current)) = overlays.single() else { return };
    if timeline.drawn == Some(timeline.shown) && loading.snapshot.is_none() {
        return;
    }
    let depth = match timeline.shown.and_then(|i| data.snapshots.get(i).map(|s| (i, s))) {
        Some((i, (_, path))) => {
            if loading.snapshot.as_ref().is_none_or(|(wanted, _)| *wanted != i) {
                loading.snapshot = Some((i, AsyncComputeTaskPool::get().spawn(fetch_raster(path.clone()))));
            }
            let Some((_, task)) = loading.snapshot.as_mut() else { return };
            let Some(read) = check_ready(task) else { return };
            loading.snapshot = None;
            match read {
                Ok(raster) => raster,
                Err(e) => {
                    status.0 = Some(Err(e));
                    timeline.drawn = Some(timeline.shown);
                    return;
                }
            }
        }
        None => {
            loading.snapshot = None;
            data.max_depth.clone()
        }
    };
    if !corners.as_ref().is_some_and(|c| c.fit(&depth, &scene.0.frame)) {
        *corners = SurfaceCorners::new(&depth, &scene.0.frame).ok();
    }
    let surface = match corners.as_ref() {
        Some(corners) => flood_surface_on(corners, &data.terrain, &depth, &scene.0.frame),
        None => flood_surface(&data.terrain, &depth, &scene.0.frame),
    };
    match surface {
        Ok((surface, summary)) => {
            match (surface.triangle_count() > 0, current) {
                (true, Some(handle)) => {
                    if let Some(mut m) = meshes.get_mut(&handle.0) {
                        *m = mesh_from_part(&surface);
                    }
                }
                (true, None) => {
                    commands.entity(overlay).insert(Mesh3d(meshes.add(mesh_from_part(&surface))));
                }
                // Dry at this moment: nothing to draw.
                (false, Some(_)) => {
                    commands.entity(overlay).remove::<Mesh3d>();
                }
                (false, None) => {}
            }
            status.0 = Some(Ok(summary));
        }
        Err(why) => status.0 = Some(Err(why)),
    }
    timeline.drawn = Some(timeline.shown);
}

#[cfg(test)]
mod tests {
    use super::*;
    use sontinh_geo::Geodetic;
    use sontinh_raster::{Epsg, GeoTransform};

    fn grid(values: Vec<f64>) -> GeoRaster {
        GeoRaster {
            width: 2,
            height: 2,
            values,
            transform: GeoTransform {
                // 20 m cells whose centre corner lies on the citadel (UTM 48N).
                origin_x: 733875.5334,
                origin_y: 1852878.0956,
                pixel_width: 20.0,
                pixel_height: -20.0,
            },
            crs: Some(Epsg {
                code: 32648,
                geographic: false,
            }),
            nodata: None,
            sample_type: "float32",
        }
    }

    #[test]
    fn wet_cells_become_quads_at_their_level_around_the_origin() {
        let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
        let terrain = grid(vec![4.0, 4.0, 4.0, 4.0]);
        let depth = grid(vec![2.0, 0.0, 0.05, f64::NAN]);
        let (mesh, summary) = flood_surface(&terrain, &depth, &frame).unwrap();
        assert_eq!(summary.wet_cells, 1);
        assert_eq!(mesh.triangle_count(), 2);
        let (lo, hi) = mesh.bounds().unwrap();
        // The north-west cell spans about −20..0 m east and 0..20 m north.
        assert!((lo[0] + 20.0).abs() < 0.5 && hi[0].abs() < 0.5, "{lo:?} {hi:?}");
        assert!(lo[1].abs() < 0.5 && (hi[1] - 20.0).abs() < 0.5, "{lo:?} {hi:?}");
        assert!((lo[2] - 6.05).abs() < 1e-4);
        assert!(mesh.normals.iter().all(|n| n[2] > 0.99), "faces up");
    }

    /// Corners made once draw every moment as a fresh surface would, and
    /// are refused for another grid.
    #[test]
    fn corners_made_once_serve_every_moment() {
        let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
        let terrain = grid(vec![4.0, 4.0, 4.0, 4.0]);
        let corners = SurfaceCorners::new(&terrain, &frame).unwrap();
        for depths in [vec![2.0, 0.0, 0.05, f64::NAN], vec![1.0, 3.0, 0.5, 0.2]] {
            let depth = grid(depths);
            let (fresh, _) = flood_surface(&terrain, &depth, &frame).unwrap();
            let (reused, _) = flood_surface_on(&corners, &terrain, &depth, &frame).unwrap();
            assert_eq!(fresh.positions, reused.positions);
        }
        let mut moved = grid(vec![1.0; 4]);
        moved.transform.origin_x += 40.0;
        assert!(!corners.fit(&moved, &frame));
        assert!(flood_surface_on(&corners, &moved, &moved, &frame).unwrap_err().contains("another grid"));
    }

    #[test]
    fn mismatched_or_foreign_grids_are_errors() {
        let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
        let mut other = grid(vec![0.0; 4]);
        other.transform.origin_x += 5.0;
        assert!(flood_surface(&grid(vec![0.0; 4]), &other, &frame).is_err());
        let mut geographic = grid(vec![0.0; 4]);
        geographic.crs = Some(Epsg {
            code: 4326,
            geographic: true,
        });
        assert!(flood_surface(&geographic.clone(), &geographic, &frame).is_err());
    }

    #[test]
    fn snapshots_are_listed_in_time_order_and_found_by_time() {
        let dir = std::env::temp_dir().join(format!("sontinh-snapshots-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("snapshots")).unwrap();
        for name in ["depth_0001800s.tif", "depth_0000000s.tif", "depth_0000900s.tif", "notes.txt"] {
            std::fs::write(dir.join("snapshots").join(name), b"").unwrap();
        }
        let found = list_snapshots(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let times: Vec<f64> = found.iter().map(|(t, _)| *t).collect();
        assert_eq!(times, [0.0, 900.0, 1800.0]);
        let timeline = FloodTimeline {
            times_s: times,
            ..FloodTimeline::default()
        };
        assert_eq!(timeline.nearest(0.2), Some(1));
        assert_eq!(timeline.nearest(10.0), Some(2));
    }

    #[test]
    fn the_ramp_darkens_with_depth() {
        let shallow = depth_color(0.2);
        let deep = depth_color(5.0);
        assert!(deep[0] + deep[1] + deep[2] < shallow[0] + shallow[1] + shallow[2]);
        assert_eq!(depth_color(100.0)[2], DEPTH_RAMP[3].1[2]);
    }
}

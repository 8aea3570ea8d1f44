//! LiDAR point clouds in the Bevy world, streamed from COPC.
//!
//! Add [`PointCloudViewPlugin`] next to `SceneLayersPlugin`: every
//! `pointcloud` layer of the active scene is opened in the background (a
//! plain LAS/LAZ file is first converted once into a cached COPC file, with
//! its progress shown as the layer's), then each frame the nodes with the
//! largest screen-space error are chosen under [`PointCloudSettings::point_budget`],
//! loaded off the main thread and kept in an LRU.

mod colors;
mod edl;
mod select;
mod source;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bevy::asset::embedded_asset;
use bevy::camera::primitives::{Aabb, Frustum};
use bevy::mesh::{Indices, MeshVertexAttribute, MeshVertexBufferLayoutRef, PrimitiveTopology};
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, RenderPipelineDescriptor, ShaderType, SpecializedMeshPipelineError, VertexFormat};
use bevy::shader::ShaderRef;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use bevy::light::NotShadowCaster;
use sontinh_layers::{ActiveScene, ExternalLayerKinds, LayerStates, LayerStatus, MemoryBudget, MemoryBudgetPlugin, MemoryUse, Section, enu_to_world};
use sontinh_scene::{Layer, LayerKind, Scene};

pub use colors::{ColorMode, class_color, ramp, return_color};
pub use edl::{EyeDomeLighting, EyeDomeLightingPlugin};
pub use select::{Key, NodeView, Viewpoint, deepest_selected_level, eviction_order, screen_space_error, select_nodes};
pub use source::{NodeSource, Octree, RangedCopc, RawNode};

/// How clouds are shown; the UI and the command line change it.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct PointCloudSettings {
    /// Most points drawn at once, over all clouds.
    pub point_budget: u64,
    pub color_mode: ColorMode,
    /// Multiplies the adaptive point size.
    pub size_scale: f32,
    pub min_px: f32,
    pub max_px: f32,
    /// Classes not drawn.
    pub hidden_classes: Vec<u8>,
    /// Only points inside this box (scene ENU metres, min and max) are drawn.
    pub clip_box: Option<([f64; 3], [f64; 3])>,
    /// Nodes are refined while their point spacing covers more pixels than this.
    pub min_sse_px: f32,
    /// Eye-dome lighting over the view (its strength; 0 turns it off).
    pub eye_dome_lighting: f32,
}

impl Default for PointCloudSettings {
    fn default() -> Self {
        Self {
            point_budget: 2_000_000,
            color_mode: ColorMode::Rgb,
            size_scale: 1.0,
            min_px: 1.5,
            max_px: 12.0,
            hidden_classes: Vec::new(),
            clip_box: None,
            min_sse_px: 1.0,
            eye_dome_lighting: 1.0,
        }
    }
}

pub struct PointCloudViewPlugin;

impl Plugin for PointCloudViewPlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<sontinh_camera::FloatingOriginPlugin>() {
            app.add_plugins(sontinh_camera::FloatingOriginPlugin);
        }
        if !app.is_plugin_added::<MemoryBudgetPlugin>() {
            app.add_plugins(MemoryBudgetPlugin);
        }
        embedded_asset!(app, "points.wgsl");
        app.world_mut().get_resource_or_insert_with(ExternalLayerKinds::default).0.push(LayerKind::PointCloud);
        // A walking camera stands on the clouds' points.
        sontinh_camera::walk_on_points::<NodePoints>(app);
        app.add_plugins((MaterialPlugin::<PointMaterial>::default(), EyeDomeLightingPlugin))
            .init_resource::<PointCloudSettings>()
            .init_resource::<Section>()
            .init_resource::<PointUnderCursor>()
            .init_resource::<PointsShown>()
            .add_systems(Update, pick_point_under_cursor)
            .init_resource::<CloudsStarted>()
            .add_systems(PostUpdate, (start_clouds, finish_opening, stream_nodes, restyle_nodes, equip_cameras).chain());
    }
}

/// The quad corner of each vertex of a point.
pub const ATTRIBUTE_CORNER: MeshVertexAttribute = MeshVertexAttribute::new("PointCorner", 0x5047_0001, VertexFormat::Float32x2);

#[derive(Clone, Copy, Debug, ShaderType, PartialEq)]
pub struct PointStyle {
    pub world_size: f32,
    pub min_px: f32,
    pub max_px: f32,
    pub scale: f32,
}

/// Screen-sized round points (see `points.wgsl`).
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct PointMaterial {
    #[uniform(0)]
    pub style: PointStyle,
}

impl Material for PointMaterial {
    fn vertex_shader() -> ShaderRef {
        "embedded://sontinh_pointcloud_view/points.wgsl".into()
    }

    fn fragment_shader() -> ShaderRef {
        "embedded://sontinh_pointcloud_view/points.wgsl".into()
    }

    fn specialize(
        _pipeline: &MaterialPipeline,
        descriptor: &mut RenderPipelineDescriptor,
        layout: &MeshVertexBufferLayoutRef,
        _key: MaterialPipelineKey<Self>,
    ) -> Result<(), SpecializedMeshPipelineError> {
        let vertex_layout = layout.0.get_layout(&[
            Mesh::ATTRIBUTE_POSITION.at_shader_location(0),
            ATTRIBUTE_CORNER.at_shader_location(1),
            Mesh::ATTRIBUTE_COLOR.at_shader_location(2),
        ])?;
        descriptor.vertex.buffers = vec![vertex_layout];
        Ok(())
    }
}

/// File coordinates to scene ENU metres: an affine map fitted at the
/// cloud's centre (exact there; the error of a site-sized cloud is far
/// below its point spacing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CloudAffine {
    pub center: [f64; 3],
    pub center_enu: [f64; 3],
    /// Columns: ENU change per file unit along x, y, z.
    pub columns: [[f64; 3]; 3],
}

impl CloudAffine {
    /// Fits the map `to_enu` (file coordinates to ENU) around `center` with steps of `step` file units.
    pub fn fit(center: [f64; 3], step: f64, to_enu: impl Fn([f64; 3]) -> Result<[f64; 3], String>) -> Result<CloudAffine, String> {
        let center_enu = to_enu(center)?;
        let mut columns = [[0.0; 3]; 3];
        for (axis, column) in columns.iter_mut().enumerate() {
            let (mut plus, mut minus) = (center, center);
            plus[axis] += step;
            minus[axis] -= step;
            let (a, b) = (to_enu(plus)?, to_enu(minus)?);
            *column = [0, 1, 2].map(|i| (a[i] - b[i]) / (2.0 * step));
        }
        if columns.iter().flatten().any(|v| !v.is_finite()) {
            return Err("the coordinate system does not map these coordinates to the Earth".to_owned());
        }
        Ok(CloudAffine { center, center_enu, columns })
    }

    pub fn to_enu(&self, p: [f64; 3]) -> [f64; 3] {
        let d = [p[0] - self.center[0], p[1] - self.center[1], p[2] - self.center[2]];
        [0, 1, 2].map(|i| self.center_enu[i] + self.columns[0][i] * d[0] + self.columns[1][i] * d[1] + self.columns[2][i] * d[2])
    }

    /// Metres per file unit (mean of the horizontal axes).
    pub fn metres_per_unit(&self) -> f64 {
        let norm = |c: [f64; 3]| (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
        (norm(self.columns[0]) + norm(self.columns[1])) / 2.0
    }
}

/// World-space (Bevy) position of an ENU point.
fn world(enu: [f64; 3]) -> Vec3 {
    enu_to_world(enu)
}

#[derive(Resource, Default)]
struct CloudsStarted(Option<std::path::PathBuf>);

/// Points and nodes of every cloud drawn this frame (the selection's loaded
/// part), for the panels and the page.
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq)]
pub struct PointsShown {
    pub points: u64,
    pub nodes: u32,
}

/// The source, its map to the scene, and the height range of its points (ENU up, metres).
type OpenResult = Result<(Arc<dyn NodeSource>, CloudAffine, [f32; 2]), String>;

#[derive(Component)]
struct OpeningCloud {
    layer_index: usize,
    task: Task<OpenResult>,
    progress: Arc<AtomicU32>,
}

/// One cloud being streamed.
#[derive(Component)]
pub struct Cloud {
    layer_index: usize,
    source: Arc<dyn NodeSource>,
    affine: CloudAffine,
    views: HashMap<Key, NodeView>,
    /// Node entity, points, frame last wanted.
    loaded: HashMap<Key, (Entity, u64, u64)>,
    loading: HashMap<Key, Task<Result<NodePoints, String>>>,
    failed: Vec<Key>,
    height_range: [f32; 2],
}

/// A node's points ready to colour: positions relative to the node's centre.
#[derive(Component, Clone, Debug, Default)]
pub struct NodePoints {
    pub center: Vec3,
    pub positions: Vec<Vec3>,
    pub rgb: Option<Vec<[u16; 3]>>,
    pub intensity: Vec<u16>,
    pub class: Vec<u8>,
    pub return_number: Vec<u8>,
    pub enu: Vec<[f64; 3]>,
    pub spacing_m: f32,
}

impl sontinh_camera::WalkablePoints for NodePoints {
    fn local_points(&self) -> &[Vec3] {
        &self.positions
    }
}

type CloudEntities = Or<(With<Cloud>, With<OpeningCloud>)>;

fn start_clouds(
    mut commands: Commands,
    scene: Option<Res<ActiveScene>>,
    mut started: ResMut<CloudsStarted>,
    mut states: ResMut<LayerStates>,
    existing: Query<Entity, CloudEntities>,
) {
    let Some(scene) = scene else { return };
    if started.0.as_ref() == Some(&scene.0.source) || states.layers.len() != scene.0.layers.len() {
        return;
    }
    started.0 = Some(scene.0.source.clone());
    for entity in &existing {
        commands.entity(entity).despawn();
    }
    let pool = AsyncComputeTaskPool::get();
    for (index, layer) in scene.0.layers.iter().enumerate() {
        if layer.kind != LayerKind::PointCloud {
            continue;
        }
        let progress = Arc::new(AtomicU32::new(0.0f32.to_bits()));
        let scene = scene.0.clone();
        let layer = layer.clone();
        let layer_id = layer.id.clone();
        let task_progress = progress.clone();
        let task = pool.spawn(async move { open_cloud(&scene, &layer, &task_progress).await });
        commands.spawn((
            Name::new(format!("point cloud {}", layer_id)),
            OpeningCloud {
                layer_index: index,
                task,
                progress,
            },
            Transform::IDENTITY,
            sontinh_camera::GeoPosition([0.0; 3]),
            Visibility::Inherited,
        ));
        if let Some(state) = states.layers.get_mut(index) {
            state.status = LayerStatus::Loading(0.0);
        }
    }
}

async fn open_cloud(scene: &Scene, layer: &Layer, progress: &Arc<AtomicU32>) -> OpenResult {
    use sontinh_scene::LayerSource;
    let path = match &layer.source {
        LayerSource::File(p) => p.clone(),
        LayerSource::Missing { reason, .. } => return Err(reason.clone()),
        LayerSource::Generator(g) => return Err(format!("{} is not a point cloud", g.id())),
        LayerSource::Service(url) => return Err(format!("{url} is not a point cloud")),
    };
    let source = match source::RangedCopc::open(&path).await? {
        Ok(source) => source,
        Err(plain) => convert_to_copc(plain, progress).await?,
    };
    let file = source.file();
    let crs = match layer.crs {
        Some(crs) => file.crs.clone().overridden(crs),
        None => file.crs.clone(),
    };
    let transformer = crs
        .transformer_to(sontinh_geo::Crs::Wgs84)
        .map_err(|e| format!("{}: {e}; set the layer's `crs` in the scene", path.display()))?;
    let unit = crs.linear_unit_m;
    let (z_min, z_max) = (file.layout.min[2], file.layout.max[2]);
    let octree = source.octree();
    let frame = scene.frame;
    let affine = CloudAffine::fit(octree.center, (octree.halfsize / 4.0).max(1e-3), |p| {
        let g = transformer.to_geodetic([p[0], p[1], p[2] * unit]).map_err(|e| e.to_string())?;
        if !g.is_valid() || g.height_m.abs() > 100_000.0 {
            return Err(format!(
                "its CRS ({}) puts the points at lat {:.3}, lon {:.3}, {:.0} km from the Earth's surface",
                crs.chosen.as_deref().unwrap_or("none"),
                g.lat_deg,
                g.lon_deg,
                g.height_m / 1000.0
            ));
        }
        Ok(frame.geodetic_to_enu(g))
    })
    .map_err(|e| format!("{}: {e}; check the file's CRS or set the layer's `crs` in the scene", path.display()))?;
    progress.store(1.0f32.to_bits(), Ordering::Relaxed);
    let c = octree.center;
    let heights = [affine.to_enu([c[0], c[1], z_min])[2] as f32, affine.to_enu([c[0], c[1], z_max])[2] as f32];
    Ok((Arc::new(source), affine, heights))
}

/// A plain LAS/LAZ file, converted once into the cached COPC file that is
/// then streamed like any other.
#[cfg(not(target_arch = "wasm32"))]
async fn convert_to_copc(plain: sontinh_pointcloud::PointCloudFile, progress: &Arc<AtomicU32>) -> Result<source::RangedCopc, String> {
    let reporter = CacheProgress {
        progress: progress.clone(),
        total: std::sync::atomic::AtomicU64::new(1),
        done: std::sync::atomic::AtomicU64::new(0),
        phase: AtomicU32::new(0),
    };
    // Keyed by the source and the converter version (a fixed converter re-converts).
    let cache_dir = sontinh_pointcloud::convert::default_cache_dir();
    let cached = sontinh_pointcloud::convert::cached_conversion(&plain.path, &cache_dir, &reporter).map_err(|e| e.to_string())?;
    source::RangedCopc::open(&cached)
        .await?
        .map_err(|_| format!("{}: its conversion is not a COPC file", cached.display()))
}

/// In the browser the page never converts: `sontinh serve` serves a plain
/// LAS/LAZ layer as the COPC file it converted ahead of time.
#[cfg(target_arch = "wasm32")]
async fn convert_to_copc(plain: sontinh_pointcloud::PointCloudFile, _progress: &Arc<AtomicU32>) -> Result<source::RangedCopc, String> {
    Err(format!(
        "{}: not a COPC file; the browser streams COPC only (`sontinh serve` converts LAS/LAZ layers ahead of time)",
        plain.path.display()
    ))
}

/// Reports the conversion's progress (all phases together) as the layer's.
#[cfg(not(target_arch = "wasm32"))]
struct CacheProgress {
    progress: Arc<AtomicU32>,
    total: std::sync::atomic::AtomicU64,
    done: std::sync::atomic::AtomicU64,
    phase: AtomicU32,
}

#[cfg(not(target_arch = "wasm32"))]
impl sontinh_pointcloud::convert::Progress for CacheProgress {
    fn phase(&self, _name: &str, total: u64) {
        self.total.store(total.max(1), Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.phase.fetch_add(1, Ordering::Relaxed);
    }

    fn advance(&self, steps: u64) {
        let done = self.done.fetch_add(steps, Ordering::Relaxed) + steps;
        let phase = self.phase.load(Ordering::Relaxed).saturating_sub(1).min(3) as f32;
        let within = done as f32 / self.total.load(Ordering::Relaxed) as f32;
        self.progress.store(((phase + within.min(1.0)) / 4.0 * 0.9).to_bits(), Ordering::Relaxed);
    }
}

fn finish_opening(mut commands: Commands, mut opening: Query<(Entity, &mut OpeningCloud)>, mut states: ResMut<LayerStates>) {
    for (entity, mut cloud) in &mut opening {
        let index = cloud.layer_index;
        let Some(result) = check_ready(&mut cloud.task) else {
            if let Some(state) = states.layers.get_mut(index) {
                state.status = LayerStatus::Loading(f32::from_bits(cloud.progress.load(Ordering::Relaxed)));
            }
            continue;
        };
        commands.entity(entity).remove::<OpeningCloud>();
        match result {
            Ok((source, affine, height_range)) => {
                let views = node_views(source.as_ref(), &affine);
                commands.entity(entity).insert(Cloud {
                    layer_index: index,
                    source,
                    affine,
                    views,
                    loaded: HashMap::new(),
                    loading: HashMap::new(),
                    failed: Vec::new(),
                    height_range,
                });
            }
            Err(why) => {
                warn!("point cloud layer: {why}");
                if let Some(state) = states.layers.get_mut(index) {
                    state.status = LayerStatus::Failed(why);
                }
            }
        }
    }
}

/// World-space bounds and spacing of every node.
fn node_views(source: &dyn NodeSource, affine: &CloudAffine) -> HashMap<Key, NodeView> {
    let octree = source.octree();
    let metres = affine.metres_per_unit() as f32;
    source
        .node_counts()
        .iter()
        .map(|(key, count)| {
            let (min, max) = octree.node_bounds(*key);
            let mut lo = Vec3::splat(f32::INFINITY);
            let mut hi = Vec3::splat(f32::NEG_INFINITY);
            for corner in 0..8 {
                let p = [
                    if corner & 1 == 0 { min[0] } else { max[0] },
                    if corner & 2 == 0 { min[1] } else { max[1] },
                    if corner & 4 == 0 { min[2] } else { max[2] },
                ];
                let w = world(affine.to_enu(p));
                lo = lo.min(w);
                hi = hi.max(w);
            }
            let spacing = (octree.spacing / f64::from(1u32 << key.0.clamp(0, 30))) as f32 * metres;
            (
                *key,
                NodeView {
                    point_count: *count,
                    min: lo.to_array(),
                    max: hi.to_array(),
                    spacing,
                },
            )
        })
        .collect()
}

const MAX_LOADS_IN_FLIGHT: usize = 4;

/// Bytes a loaded point holds: its quad in the node mesh (four vertices of
/// position, corner and colour, 4 × (12 + 8 + 16), and six u32 indices)
/// and the CPU copy kept for picking and restyling ([`NodePoints`]: 12 + 24
/// + 6 + 2 + 1 + 1).
pub const MESH_BYTES_PER_POINT: u64 = 4 * (12 + 8 + 16) + 6 * 4;
pub const CPU_BYTES_PER_POINT: u64 = 12 + 24 + 6 + 2 + 1 + 1;
pub const BYTES_PER_POINT: u64 = MESH_BYTES_PER_POINT + CPU_BYTES_PER_POINT;

/// Points a cloud may select and hold: the settings' budget (and twice that
/// held, for going back and forth), both capped by the cloud's share of
/// the scene's memory budget.
pub fn point_caps(point_budget: u64, cloud_count: u64, share_bytes: u64) -> (u64, u64) {
    let by_memory = share_bytes / BYTES_PER_POINT;
    let per_cloud = point_budget / cloud_count.max(1);
    (per_cloud.min(by_memory), per_cloud.saturating_mul(2).min(by_memory))
}

#[allow(clippy::too_many_arguments)]
fn stream_nodes(
    mut commands: Commands,
    mut clouds: Query<(Entity, &mut Cloud, &GlobalTransform)>,
    cameras: Query<(&GlobalTransform, &Projection, &Frustum, &Camera), With<Camera3d>>,
    settings: Res<PointCloudSettings>,
    mut states: ResMut<LayerStates>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<PointMaterial>>,
    mut visibility: Query<&mut Visibility, With<NodePoints>>,
    node_materials: Query<&MeshMaterial3d<PointMaterial>>,
    mut frame: Local<u64>,
    (budget, mut memory, mut shown, section): (Res<MemoryBudget>, ResMut<MemoryUse>, ResMut<PointsShown>, Res<Section>),
) {
    *frame += 1;
    let mut now_shown = PointsShown::default();
    let share = memory.streaming_share(&budget);
    let mut held_points = 0u64;
    let Some((camera_transform, projection, frustum, camera)) = cameras.iter().find(|(_, _, _, c)| c.is_active) else {
        return;
    };
    let viewport_height = camera.logical_viewport_size().map_or(1080.0, |s| s.y);
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => std::f32::consts::FRAC_PI_4,
    };
    let pixels_per_unit = viewport_height / (2.0 * (fov / 2.0).tan());
    let cloud_count = clouds.iter().count().max(1) as u64;
    let (select_cap, hold_cap) = point_caps(settings.point_budget, cloud_count, share);
    for (entity, mut cloud, cloud_transform) in &mut clouds {
        // Node bounds are in the cloud's own frame, which the floating origin moves.
        let world_from_cloud = cloud_transform.affine();
        let view = Viewpoint {
            eye: world_from_cloud.inverse().transform_point3(camera_transform.translation()).to_array(),
            pixels_per_unit,
        };
        let index = cloud.layer_index;
        let layer_visible = states.layers.get(index).is_none_or(|s| s.visible);
        let wanted = if layer_visible {
            select_nodes(
                &cloud.views,
                &view,
                |n| {
                    let aabb = Aabb::from_min_max(Vec3::from_array(n.min), Vec3::from_array(n.max));
                    frustum.intersects_obb(&aabb, &world_from_cloud, true, true)
                },
                select_cap,
                settings.min_sse_px,
            )
        } else {
            Vec::new()
        };
        // Finished loads become node entities.
        let keys: Vec<Key> = cloud.loading.keys().copied().collect();
        for key in keys {
            let Some(task) = cloud.loading.get_mut(&key) else { continue };
            let Some(result) = check_ready(task) else { continue };
            cloud.loading.remove(&key);
            match result {
                Ok(points) => {
                    let count = points.positions.len() as u64;
                    let node = spawn_node(&mut commands, &points, &cloud, &settings, &section, &mut meshes, &mut materials);
                    commands.entity(entity).add_child(node);
                    cloud.loaded.insert(key, (node, count, *frame));
                }
                Err(why) => {
                    warn!("point cloud node {key:?}: {why}");
                    cloud.failed.push(key);
                }
            }
        }
        // Start loads, most important first, while what is held and coming
        // stays within the cap (eviction below makes room for the next frame).
        let pool = AsyncComputeTaskPool::get();
        let node_points = |cloud: &Cloud, key: &Key| cloud.views.get(key).map_or(0, |v| v.point_count);
        let mut committed: u64 =
            cloud.loaded.values().map(|(_, n, _)| n).sum::<u64>() + cloud.loading.keys().map(|k| node_points(&cloud, k)).sum::<u64>();
        for key in &wanted {
            if cloud.loading.len() >= MAX_LOADS_IN_FLIGHT {
                break;
            }
            if cloud.loaded.contains_key(key) || cloud.loading.contains_key(key) || cloud.failed.contains(key) {
                continue;
            }
            let points = node_points(&cloud, key);
            if committed + points > hold_cap {
                break;
            }
            committed += points;
            let source = cloud.source.clone();
            let affine = cloud.affine;
            let spacing = cloud.views.get(key).map_or(1.0, |v| v.spacing);
            let key = *key;
            let task = pool.spawn(async move { source.read_node(key).await.map(|raw| to_node_points(&raw, &affine, spacing)) });
            cloud.loading.insert(key, task);
        }
        let wanted_set: std::collections::HashSet<Key> = wanted.iter().copied().collect();
        // Show what is wanted; remember when each node was last wanted.
        let now = *frame;
        for (key, (node, count, last)) in cloud.loaded.iter_mut() {
            let show = wanted_set.contains(key);
            if show {
                *last = now;
                now_shown.points += *count;
                now_shown.nodes += 1;
            }
            if let Ok(mut v) = visibility.get_mut(*node) {
                v.set_if_neq(if show { Visibility::Inherited } else { Visibility::Hidden });
            }
        }
        // Points of a coarse node are drawn at the spacing of the finest
        // selected level below it, so that the levels blend into one surface.
        let deepest = deepest_selected_level(&wanted);
        for (key, (node, _, _)) in &cloud.loaded {
            let Some(level) = deepest.get(key) else { continue };
            let Ok(material) = node_materials.get(*node) else { continue };
            let size = cloud.views.get(key).map_or(1.0, |v| v.spacing) / f32::powi(2.0, level - key.0);
            if materials.get(&material.0).is_some_and(|m| (m.style.world_size - size).abs() > 1e-6)
                && let Some(mut m) = materials.get_mut(&material.0)
            {
                m.style.world_size = size;
            }
        }
        let usage: HashMap<Key, (u64, u64)> = cloud.loaded.iter().map(|(k, (_, n, last))| (*k, (*n, *last))).collect();
        // Room for the wanted nodes still to load, so that old ones never block them.
        let to_load: u64 = wanted
            .iter()
            .filter(|k| !cloud.loaded.contains_key(k) && !cloud.failed.contains(k))
            .map(|k| cloud.views.get(k).map_or(0, |v| v.point_count))
            .sum();
        for key in eviction_order(&usage, &wanted, hold_cap.saturating_sub(to_load)) {
            if let Some((node, _, _)) = cloud.loaded.remove(&key) {
                commands.entity(node).despawn();
            }
        }
        let held: u64 = cloud.loaded.values().map(|(_, n, _)| n).sum();
        held_points += held;
        memory.streamed.insert(index, held * BYTES_PER_POINT);
        if let Some(state) = states.layers.get_mut(index) {
            let pending = wanted.iter().filter(|k| !cloud.loaded.contains_key(k) && !cloud.failed.contains(k)).count();
            let status = if pending == 0 {
                LayerStatus::Ready
            } else {
                LayerStatus::Loading(0.9 + 0.1 * (1.0 - pending as f32 / wanted.len().max(1) as f32))
            };
            if state.status != status {
                state.status = status;
            }
        }
    }
    memory.cpu_bytes.insert("point clouds", held_points * CPU_BYTES_PER_POINT);
    shown.set_if_neq(now_shown);
}

/// Converts a node's points into the scene's world frame.
pub fn to_node_points(raw: &RawNode, affine: &CloudAffine, spacing_m: f32) -> NodePoints {
    let enu: Vec<[f64; 3]> = raw.xyz.iter().map(|p| affine.to_enu(*p)).collect();
    let center = if enu.is_empty() {
        [0.0; 3]
    } else {
        let mut sum = [0.0f64; 3];
        for p in &enu {
            for a in 0..3 {
                sum[a] += p[a];
            }
        }
        sum.map(|s| s / enu.len() as f64)
    };
    // Relative to the node's centre in f64, then f32: exact however far the cloud lies.
    let positions = enu.iter().map(|p| world([p[0] - center[0], p[1] - center[1], p[2] - center[2]])).collect();
    let center = world(center);
    NodePoints {
        center,
        positions,
        rgb: raw.rgb.clone(),
        intensity: raw.intensity.clone(),
        class: raw.class.clone(),
        return_number: raw.return_number.clone(),
        enu,
        spacing_m,
    }
}

/// Vertex colours of a node's points, or `None` where the point is filtered
/// out (a hidden class, outside the settings' clip box, or cut away by the
/// scene's [`Section`]).
pub fn point_colors(points: &NodePoints, settings: &PointCloudSettings, section: &Section, height_range: [f32; 2]) -> Vec<Option<[f32; 4]>> {
    // 8-bit colours stored in 16-bit fields are common (Autzen): scale by what the data uses.
    let rgb_max = points.rgb.as_ref().map_or(255, |c| c.iter().flat_map(|v| v.iter().copied()).max().unwrap_or(255));
    let rgb_scale = if rgb_max <= 255 { 255.0 } else { 65535.0 };
    let [h0, h1] = height_range;
    (0..points.positions.len())
        .map(|i| {
            let class = points.class.get(i).copied().unwrap_or(0);
            if settings.hidden_classes.contains(&class) {
                return None;
            }
            if let Some((lo, hi)) = settings.clip_box {
                let p = points.enu[i];
                if (0..3).any(|a| p[a] < lo[a] || p[a] > hi[a]) {
                    return None;
                }
            }
            if !section.keeps(points.enu[i]) {
                return None;
            }
            let c = match settings.color_mode {
                ColorMode::Rgb => match &points.rgb {
                    Some(rgb) => rgb[i].map(|v| f32::from(v) / rgb_scale),
                    None => ramp((points.enu[i][2] as f32 - h0) / (h1 - h0).max(1e-3)),
                },
                ColorMode::Elevation => ramp((points.enu[i][2] as f32 - h0) / (h1 - h0).max(1e-3)),
                ColorMode::Intensity => {
                    let v = (f32::from(points.intensity.get(i).copied().unwrap_or(0)) / 255.0).min(1.0).sqrt();
                    [v, v, v]
                }
                ColorMode::Classification => class_color(class),
                ColorMode::ReturnNumber => return_color(points.return_number.get(i).copied().unwrap_or(1)),
            };
            // Vertex colours are linear; the palettes above are sRGB.
            let linear = Color::srgb(c[0], c[1], c[2]).to_linear();
            Some([linear.red, linear.green, linear.blue, 1.0])
        })
        .collect()
}

/// Four vertices per point, two triangles, corners in the custom attribute.
pub fn build_point_mesh(points: &NodePoints, colors: &[Option<[f32; 4]>]) -> Mesh {
    let kept: Vec<usize> = (0..points.positions.len()).filter(|i| colors.get(*i).is_some_and(Option::is_some)).collect();
    let mut positions = Vec::with_capacity(kept.len() * 4);
    let mut corners = Vec::with_capacity(kept.len() * 4);
    let mut vertex_colors = Vec::with_capacity(kept.len() * 4);
    let mut indices = Vec::with_capacity(kept.len() * 6);
    const CORNERS: [[f32; 2]; 4] = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]];
    for (n, &i) in kept.iter().enumerate() {
        let base = (n * 4) as u32;
        let color = colors[i].unwrap_or([1.0; 4]);
        for corner in CORNERS {
            positions.push(points.positions[i].to_array());
            corners.push(corner);
            vertex_colors.push(color);
        }
        indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }
    Mesh::new(PrimitiveTopology::TriangleList, bevy::asset::RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_attribute(ATTRIBUTE_CORNER, corners)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, vertex_colors)
        .with_inserted_indices(Indices::U32(indices))
}

fn style(points: &NodePoints, settings: &PointCloudSettings) -> PointStyle {
    PointStyle {
        world_size: points.spacing_m,
        min_px: settings.min_px,
        max_px: settings.max_px,
        scale: settings.size_scale,
    }
}

fn spawn_node(
    commands: &mut Commands,
    points: &NodePoints,
    cloud: &Cloud,
    settings: &PointCloudSettings,
    section: &Section,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<PointMaterial>,
) -> Entity {
    let colors = point_colors(points, settings, section, cloud.height_range_enu());
    let mesh = build_point_mesh(points, &colors);
    commands
        .spawn((
            Name::new("point cloud node"),
            Mesh3d(meshes.add(mesh)),
            MeshMaterial3d(materials.add(PointMaterial {
                style: style(points, settings),
            })),
            Transform::from_translation(points.center),
            Visibility::Hidden,
            NotShadowCaster,
            points.clone(),
        ))
        .id()
}

impl Cloud {
    /// The cloud's height range (ENU up), for the elevation ramp.
    fn height_range_enu(&self) -> [f32; 2] {
        self.height_range
    }
}

/// The point nearest the camera among those drawn within a few pixels of
/// the cursor ray (world position), for the coordinates readout: point quads
/// have no area for mesh ray casts.
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq)]
pub struct PointUnderCursor(pub Option<Vec3>);

/// Nearest point (smallest distance along the ray) whose angular distance
/// from the ray is under `tolerance` (radians, small-angle).
pub fn nearest_point_on_ray(origin: Vec3, direction: Vec3, points: impl Iterator<Item = Vec3>, tolerance: f32) -> Option<Vec3> {
    let d = direction.normalize_or_zero();
    let mut best: Option<(f32, Vec3)> = None;
    for p in points {
        let v = p - origin;
        let t = v.dot(d);
        if t <= 0.0 {
            continue;
        }
        let off = (v - d * t).length();
        if off <= tolerance * t && best.is_none_or(|(bt, _)| t < bt) {
            best = Some((t, p));
        }
    }
    best.map(|(_, p)| p)
}

fn pick_point_under_cursor(
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform, &Projection), With<Camera3d>>,
    nodes: Query<(&NodePoints, &GlobalTransform, &InheritedVisibility)>,
    mut out: ResMut<PointUnderCursor>,
    origin: Res<sontinh_camera::FloatingOrigin>,
    mut last_cursor: Local<Option<Vec2>>,
) {
    let Ok(window) = windows.single() else { return };
    let Some((camera, camera_transform, projection)) = cameras.iter().find(|(c, _, _)| c.is_active) else { return };
    let cursor = window.cursor_position();
    // A kept point is a world position: stale once the floating origin moves.
    if cursor == *last_cursor && !nodes.is_empty() && !origin.is_changed() {
        return;
    }
    *last_cursor = cursor;
    let Some(ray) = cursor.and_then(|c| camera.viewport_to_world(camera_transform, c).ok()) else {
        out.0 = None;
        return;
    };
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => std::f32::consts::FRAC_PI_4,
    };
    // Four pixels, as an angle.
    let tolerance = 4.0 * fov / window.height().max(1.0);
    let points = nodes
        .iter()
        .filter(|(_, _, visible)| visible.get())
        .flat_map(|(n, t, _)| n.positions.iter().map(move |p| t.transform_point(*p)));
    let hit = nearest_point_on_ray(ray.origin, *ray.direction, points, tolerance);
    if out.0 != hit {
        out.0 = hit;
    }
}

/// Cameras of scenes with point clouds get eye-dome lighting (single-sample,
/// with a depth texture the pass can read); the settings switch it.
fn equip_cameras(
    mut commands: Commands,
    scene: Option<Res<ActiveScene>>,
    settings: Res<PointCloudSettings>,
    mut cameras: Query<(Entity, &mut Camera3d, Option<&mut EyeDomeLighting>)>,
) {
    let Some(scene) = scene else { return };
    if !scene.0.layers.iter().any(|l| l.kind == LayerKind::PointCloud) {
        return;
    }
    let enabled = if settings.eye_dome_lighting > 0.0 { 1.0 } else { 0.0 };
    for (entity, mut camera, edl) in &mut cameras {
        match edl {
            Some(mut edl) => {
                if edl.enabled != enabled || edl.strength != settings.eye_dome_lighting {
                    edl.enabled = enabled;
                    edl.strength = settings.eye_dome_lighting.max(0.0);
                }
            }
            None => {
                EyeDomeLighting::camera_setup(&mut camera);
                commands.entity(entity).insert((
                    EyeDomeLighting {
                        strength: settings.eye_dome_lighting.max(0.0),
                        enabled,
                        ..default()
                    },
                    Msaa::Off,
                ));
            }
        }
    }
}

/// Colour mode, filters, sizes and the section apply to nodes already loaded.
fn restyle_nodes(
    settings: Res<PointCloudSettings>,
    section: Res<Section>,
    clouds: Query<&Cloud>,
    nodes: Query<(&NodePoints, &Mesh3d, &MeshMaterial3d<PointMaterial>, &ChildOf)>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<PointMaterial>>,
) {
    let changed = |added: bool, changed: bool| changed && !added;
    if !changed(settings.is_added(), settings.is_changed()) && !changed(section.is_added(), section.is_changed()) {
        return;
    }
    for (points, mesh, material, parent) in &nodes {
        let Ok(cloud) = clouds.get(parent.parent()) else { continue };
        let colors = point_colors(points, &settings, &section, cloud.height_range_enu());
        if let Some(mut m) = meshes.get_mut(&mesh.0) {
            *m = build_point_mesh(points, &colors);
        }
        if let Some(mut mat) = materials.get_mut(&material.0) {
            mat.style = style(points, &settings);
        }
    }
}

#[cfg(test)]
mod tests;

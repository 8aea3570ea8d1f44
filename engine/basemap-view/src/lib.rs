//! Base map layers in the Bevy world.
//!
//! Add [`BasemapViewPlugin`] next to `SceneLayersPlugin`: every `basemap`
//! layer of the active scene is opened in the background, then each frame
//! the tiles around the camera are chosen by screen-space error
//! (`sontinh_basemap::select_tiles`), the missing ones loaded off the main
//! thread (a few at a time, nearest first), a chosen tile not loaded yet
//! covered by its nearest loaded ancestor (never both: [`draw_set`]), and
//! tiles not drawn dropped least recently drawn first under the layer's
//! share of the memory budget.
//!
//! Tiles are patches of the WGS 84 ellipsoid (curvature included) at height
//! 0 where the scene has no terrain. Where it has, each vertex takes the
//! height of the first terrain layer's DEM ([`Ground`], the patch as fine
//! as the DEM, up to 64 cells a side) and that terrain layer is switched
//! off once the map is drawn: two surfaces from one DEM but different
//! triangles would fight for depth and poke through each other, so the map
//! becomes the ground (the layer list can switch the terrain back on).

mod draw_set;
mod ground;
mod patch;
mod source;
mod tile_entity;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use sontinh_basemap::{SelectedTile, TileId, TileImage, TileView, select_tiles};
use sontinh_camera::FloatingOrigin;
use sontinh_layers::{
    ActiveScene, ExternalLayerKinds, LayerStates, LayerStatus, MemoryBudget, MemoryBudgetPlugin, MemoryUse, SceneMaterial,
};
use sontinh_scene::LayerKind;
use tile_entity::{nothing_drawn, nothing_is_an_error, part_patch, spawn_patch, spawn_tile, tile_patch};

pub use draw_set::draw_set;
pub use ground::Ground;
pub use patch::{CELLS, MAX_CELLS, Patch, patch};
pub use source::{TileSource, load_tile, open};

/// Tiles loading at once per layer (browsers allow six connections a host).
pub const MAX_LOADS: usize = 6;
/// Most tiles chosen per layer and view.
pub const MAX_TILES: usize = 160;
/// A tile is split while one of its texels covers more pixels than this.
pub const MAX_ERROR_PX: f64 = 1.5;
/// A layer never holds more than this, whatever the budget leaves it.
pub const LAYER_BUDGET_BYTES: u64 = 256 << 20;

/// Credits of the base maps shown now (their layers' `attribution`), for the UI.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct BasemapCredits(pub Vec<String>);

pub struct BasemapViewPlugin;

impl Plugin for BasemapViewPlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<sontinh_camera::FloatingOriginPlugin>() {
            app.add_plugins(sontinh_camera::FloatingOriginPlugin);
        }
        if !app.is_plugin_added::<MemoryBudgetPlugin>() {
            app.add_plugins(MemoryBudgetPlugin);
        }
        app.world_mut()
            .get_resource_or_insert_with(ExternalLayerKinds::default)
            .0
            .push(LayerKind::Basemap);
        app.init_resource::<LayerStates>()
            .init_resource::<BasemapsStarted>()
            .init_resource::<BasemapCredits>()
            .add_systems(Update, (start_basemaps, finish_opening, stream_basemaps).chain());
    }
}

#[derive(Resource, Default)]
struct BasemapsStarted(Option<std::path::PathBuf>);

#[derive(Component)]
struct OpeningBasemap {
    index: usize,
    task: Task<Result<(TileSource, Option<Ground>), String>>,
}

struct Resident {
    entity: Entity,
    material: Handle<SceneMaterial>,
    texture: Handle<Image>,
    bytes: u64,
    last_drawn: u64,
}

/// One opened base map layer and its tiles.
#[derive(Component)]
pub struct BasemapLayer {
    index: usize,
    source: Arc<TileSource>,
    zooms: (u8, u8),
    resident: HashMap<TileId, Resident>,
    loading: HashMap<TileId, Task<TileLoad>>,
    ground: Option<Arc<Ground>>,
    /// Areas the source has no tile for, drawn from an ancestor's image: (entity, material, that ancestor).
    parts: HashMap<TileId, (Entity, Handle<SceneMaterial>, TileId)>,
    /// Whether the terrain layer under the map has been switched off (once).
    took_terrain: bool,
    /// Tiles the source does not have (their ancestors stand in).
    absent: HashSet<TileId>,
    /// Tiles that failed, with why (not asked for again in this scene).
    failed: HashMap<TileId, String>,
    frame: u64,
    last_eye: Option<[f64; 3]>,
    last_rotation: Option<Quat>,
    selection: Vec<SelectedTile>,
    opacity: f32,
}

impl BasemapLayer {
    /// Tiles held now, bytes (textures and meshes).
    pub fn held_bytes(&self) -> u64 {
        self.resident.values().map(|r| r.bytes).sum()
    }

    /// The tiles loaded now.
    pub fn loaded(&self) -> impl Iterator<Item = TileId> + '_ {
        self.resident.keys().copied()
    }
}

/// A tile decoded and its patch built, off the main thread (`None`: the source has no such tile).
type TileLoad = Result<Option<(TileImage, Patch)>, String>;

/// Marks a tile's entity.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasemapTile {
    pub layer: usize,
    pub tile: TileId,
}

/// Everything this plugin spawned for a scene.
type BasemapEntities = Or<(With<BasemapLayer>, With<OpeningBasemap>, With<BasemapTile>)>;

fn start_basemaps(
    mut commands: Commands,
    scene: Option<Res<ActiveScene>>,
    mut started: ResMut<BasemapsStarted>,
    mut states: ResMut<LayerStates>,
    existing: Query<Entity, BasemapEntities>,
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
        if layer.kind != LayerKind::Basemap {
            continue;
        }
        let layer = layer.clone();
        let scene = scene.0.clone();
        let name = Name::new(format!("base map {}", layer.id));
        let task = pool.spawn(async move {
            let source = source::open(&layer).await?;
            let ground = Ground::of_scene(&scene)
                .await
                .map_err(|e| format!("the terrain under the map: {e}"))?;
            Ok((source, ground))
        });
        commands.spawn((name, OpeningBasemap { index, task }));
        if let Some(state) = states.layers.get_mut(index) {
            state.status = LayerStatus::Loading(0.0);
        }
    }
}

fn finish_opening(
    mut commands: Commands,
    scene: Option<Res<ActiveScene>>,
    mut opening: Query<(Entity, &mut OpeningBasemap)>,
    mut states: ResMut<LayerStates>,
) {
    let Some(scene) = scene else { return };
    for (entity, mut open) in &mut opening {
        let Some(result) = check_ready(&mut open.task) else { continue };
        let index = open.index;
        commands.entity(entity).remove::<OpeningBasemap>();
        let Some(layer) = scene.0.layers.get(index) else { continue };
        match result {
            Ok((source, ground)) => {
                let asked = layer
                    .basemap
                    .as_ref()
                    .map_or(sontinh_scene::DEFAULT_BASEMAP_MAX_ZOOM, |b| b.max_zoom);
                let zooms = match source.zooms() {
                    Some((lo, hi)) => (lo.min(asked), hi.min(asked)),
                    None => (0, asked),
                };
                commands.entity(entity).insert(BasemapLayer {
                    index,
                    source: Arc::new(source),
                    zooms,
                    resident: HashMap::new(),
                    loading: HashMap::new(),
                    ground: ground.map(Arc::new),
                    parts: HashMap::new(),
                    took_terrain: false,
                    absent: HashSet::new(),
                    failed: HashMap::new(),
                    frame: 0,
                    last_eye: None,
                    last_rotation: None,
                    selection: Vec::new(),
                    opacity: 1.0,
                });
            }
            Err(why) => {
                warn!("base map \"{}\": {why}", layer.id);
                if let Some(state) = states.layers.get_mut(index) {
                    state.status = LayerStatus::Failed(why);
                }
            }
        }
    }
}

/// The tile that stands for `tile`: itself, or its nearest ancestor the source may have.
fn stand_in(layer: &BasemapLayer, tile: TileId) -> Option<TileId> {
    let mut t = Some(tile);
    while let Some(c) = t {
        if !layer.absent.contains(&c) && !layer.failed.contains_key(&c) {
            return Some(c);
        }
        t = c.parent().filter(|p| p.z >= layer.zooms.0);
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn stream_basemaps(
    mut commands: Commands,
    scene: Option<Res<ActiveScene>>,
    origin: Res<FloatingOrigin>,
    cameras: Query<(&Camera, &GlobalTransform, &Projection), With<Camera3d>>,
    mut layers: Query<&mut BasemapLayer>,
    mut visibility: Query<&mut Visibility>,
    mut states: ResMut<LayerStates>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<SceneMaterial>>,
    mut images: Option<ResMut<Assets<Image>>>,
    budget: Res<MemoryBudget>,
    mut memory: ResMut<MemoryUse>,
    mut credits: ResMut<BasemapCredits>,
) {
    let Some(scene) = scene else { return };
    let Some((camera, eye_transform, projection)) = cameras.iter().next() else {
        return;
    };
    let fov = match projection {
        Projection::Perspective(p) => f64::from(p.fov),
        _ => 1.0,
    };
    let ppr = camera.physical_viewport_size().map_or(720.0, |s| f64::from(s.y)) / fov.max(1e-3);
    let eye = origin.to_enu(eye_transform.translation());
    let share = memory.streaming_share(&budget).min(LAYER_BUDGET_BYTES);
    let mut shown_credits = Vec::new();
    for mut layer in &mut layers {
        let layer = &mut *layer;
        layer.frame += 1;
        let Some(scene_layer) = scene.0.layers.get(layer.index) else {
            continue;
        };
        let (visible, opacity) = states.layers.get(layer.index).map_or((false, 1.0), |s| (s.visible, s.opacity));

        // Finished loads become hidden tiles.
        let finished: Vec<(TileId, TileLoad)> = layer
            .loading
            .iter_mut()
            .filter_map(|(t, task)| check_ready(task).map(|r| (*t, r)))
            .collect();
        for (tile, result) in finished {
            layer.loading.remove(&tile);
            match result {
                Ok(Some((image, patch))) => {
                    let Some(images) = images.as_deref_mut() else { continue };
                    let resident = spawn_tile(
                        &mut commands,
                        layer.index,
                        tile,
                        &image,
                        patch,
                        opacity,
                        &mut meshes,
                        &mut materials,
                        images,
                    );
                    layer.resident.insert(tile, resident);
                }
                Ok(None) => {
                    layer.absent.insert(tile);
                }
                Err(why) => {
                    warn!("base map \"{}\": {why}", scene_layer.id);
                    layer.failed.insert(tile, why);
                }
            }
        }

        if (opacity - layer.opacity).abs() > 1e-4 {
            layer.opacity = opacity;
            for handle in layer
                .resident
                .values()
                .map(|r| &r.material)
                .chain(layer.parts.values().map(|p| &p.1))
            {
                if let Some(mut m) = materials.get_mut(handle) {
                    m.base.base_color.set_alpha(opacity);
                    m.base.alpha_mode = if opacity < 0.999 { AlphaMode::Blend } else { AlphaMode::Opaque };
                }
            }
        }

        // The choice is redone when the camera has moved by a hundredth of its height.
        let height = scene.0.frame.enu_to_geodetic(eye).height_m.abs().max(10.0);
        // Turning the camera changes what lies behind it too.
        let moved = layer.last_rotation.is_none_or(|r| !r.abs_diff_eq(eye_transform.rotation(), 1e-3))
            || layer
                .last_eye
                .is_none_or(|e| ((e[0] - eye[0]).powi(2) + (e[1] - eye[1]).powi(2) + (e[2] - eye[2]).powi(2)).sqrt() > 0.01 * height);
        if moved {
            let view = TileView {
                eye,
                pixels_per_radian: ppr,
                max_error_px: MAX_ERROR_PX,
                tile_pixels: 256.0,
                min_zoom: layer.zooms.0,
                max_zoom: layer.zooms.1,
                max_tiles: MAX_TILES,
                radius_m: (height * 15.0).clamp(2_000.0, 600_000.0),
                forward: Some(view_direction(&eye_transform.rotation())),
            };
            layer.selection = select_tiles(&scene.0.frame, &view);
            layer.last_eye = Some(eye);
            layer.last_rotation = Some(eye_transform.rotation());
        }

        // Each chosen tile's area and the tile whose image covers it: itself,
        // or the nearest ancestor the source has (its image stretched over the
        // area, so that tiles never overlap).
        let shown_by = |t: TileId| stand_in(layer, t).filter(|src| layer.resident.contains_key(src));
        let areas: Vec<TileId> = layer.selection.iter().map(|s| s.tile).collect();
        let drawn_areas = if visible {
            draw_set(&areas, &|t| shown_by(t).is_some())
        } else {
            Vec::new()
        };
        let mut whole: HashSet<TileId> = HashSet::new();
        let mut parts: HashMap<TileId, TileId> = HashMap::new();
        for area in drawn_areas {
            match shown_by(area) {
                Some(src) if src == area => {
                    whole.insert(area);
                }
                Some(src) => {
                    parts.insert(area, src);
                }
                None => {}
            }
        }
        // Tiles whose images are on screen: never dropped this frame.
        let drawn: HashSet<TileId> = whole.iter().copied().chain(parts.values().copied()).collect();
        let frame = layer.frame;
        for (tile, r) in layer.resident.iter_mut() {
            if drawn.contains(tile) {
                r.last_drawn = frame;
            }
            if let Ok(mut v) = visibility.get_mut(r.entity) {
                v.set_if_neq(if whole.contains(tile) {
                    Visibility::Inherited
                } else {
                    Visibility::Hidden
                });
            }
        }
        // Stretched parts: kept while drawn from the same tile, made as needed.
        let stale: Vec<TileId> = layer
            .parts
            .iter()
            .filter(|(area, (_, _, src))| parts.get(area) != Some(src))
            .map(|(area, _)| *area)
            .collect();
        for area in stale {
            if let Some((entity, _, _)) = layer.parts.remove(&area) {
                commands.entity(entity).despawn();
            }
        }
        for (area, src) in &parts {
            if layer.parts.contains_key(area) {
                continue;
            }
            let Some(texture) = layer.resident.get(src).map(|r| r.texture.clone()) else {
                continue;
            };
            let patch = part_patch(&scene.0.frame, *area, *src, layer.ground.as_deref());
            let marker = BasemapTile {
                layer: layer.index,
                tile: *area,
            };
            let (entity, material, _) = spawn_patch(&mut commands, marker, patch, texture, opacity, &mut meshes, &mut materials);
            commands.entity(entity).insert(Visibility::Inherited);
            layer.parts.insert(*area, (entity, material, *src));
        }
        let shown = whole.len() + parts.len();
        if visible
            && shown > 0
            && let Some(credit) = scene_layer.basemap.as_ref().and_then(|b| b.attribution.clone())
        {
            shown_credits.push(credit);
        }

        // Loads, nearest first: each area's own tile, or the ancestor that stands in for it.
        let mut pending: Vec<TileId> = Vec::new();
        for area in &areas {
            if let Some(src) = stand_in(layer, *area)
                && !layer.resident.contains_key(&src)
                && !pending.contains(&src)
            {
                pending.push(src);
            }
        }
        if visible {
            let pool = AsyncComputeTaskPool::get();
            for tile in pending.iter().copied() {
                if layer.loading.len() >= MAX_LOADS {
                    break;
                }
                if layer.loading.contains_key(&tile) {
                    continue;
                }
                let (source, ground, frame) = (layer.source.clone(), layer.ground.clone(), scene.0.frame);
                let task = pool.spawn(async move {
                    let Some(image) = load_tile(source, tile).await? else {
                        return Ok(None);
                    };
                    Ok(Some((image, tile_patch(&frame, tile, ground.as_deref()))))
                });
                layer.loading.insert(tile, task);
            }
        }

        // Least recently drawn tiles go first while over the budget.
        let mut held = layer.held_bytes();
        if held > share {
            let mut idle: Vec<(u64, TileId)> = layer
                .resident
                .iter()
                .filter(|(t, _)| !drawn.contains(t))
                .map(|(t, r)| (r.last_drawn, *t))
                .collect();
            idle.sort();
            for (_, tile) in idle {
                if held <= share {
                    break;
                }
                if let Some(r) = layer.resident.remove(&tile) {
                    held -= r.bytes;
                    commands.entity(r.entity).despawn();
                }
            }
        }
        memory.streamed.insert(layer.index, held);

        // Only opened layers stream: a state set here is this plugin's own, so it may recover.
        if let Some(state) = states.layers.get_mut(layer.index) {
            let settled = pending.is_empty() && layer.loading.is_empty();
            let status = if !visible {
                // Nothing to load while hidden.
                LayerStatus::Ready
            } else if !settled {
                LayerStatus::Loading(shown as f32 / (shown + pending.len()).max(1) as f32)
            } else if layer.resident.is_empty() && !layer.selection.is_empty() && nothing_is_an_error(layer) {
                LayerStatus::Failed(nothing_drawn(layer, &scene_layer.id))
            } else {
                // A file's tiles may simply not reach this view.
                LayerStatus::Ready
            };
            if state.status != status {
                state.status = status;
            }
        }
        // The map is the ground now: the terrain's own surface would fight it for depth.
        if visible
            && shown > 0
            && !layer.took_terrain
            && let Some(ground) = &layer.ground
        {
            layer.took_terrain = true;
            if let Some(terrain) = states.layers.get_mut(ground.layer) {
                info!(
                    "base map \"{}\" lies on terrain \"{}\", which is switched off",
                    scene_layer.id, terrain.id
                );
                terrain.visible = false;
            }
        }
        // A map switched off gives the ground back to the terrain.
        if !visible
            && layer.took_terrain
            && let Some(ground) = &layer.ground
        {
            layer.took_terrain = false;
            if let Some(terrain) = states.layers.get_mut(ground.layer) {
                terrain.visible = true;
            }
        }
    }
    // The DEMs under maps are copies of the terrain's: counted as held.
    let ground_bytes: u64 = layers.iter().filter_map(|l| l.ground.as_ref()).map(|g| g.bytes()).sum();
    if memory.cpu_bytes.get("base map ground").copied().unwrap_or(0) != ground_bytes {
        memory.cpu_bytes.insert("base map ground", ground_bytes);
    }
    if credits.0 != shown_credits {
        credits.0 = shown_credits;
    }
}

/// The camera's view direction in ENU (Bevy: -Z forward, y up, z south).
fn view_direction(rotation: &Quat) -> [f64; 3] {
    let f = *rotation * Vec3::NEG_Z;
    [f64::from(f.x), -f64::from(f.z), f64::from(f.y)]
}

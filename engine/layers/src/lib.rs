//! Scene layers in the Bevy world.
//!
//! Insert a [`ActiveScene`] and add [`SceneLayersPlugin`]: every layer is
//! loaded in the background, its progress and any error are kept in
//! [`LayerStates`] (a broken layer never stops the others), and the UI
//! toggles visibility and opacity through the same resource.

mod convert;
mod environment;
mod fetch;
mod ground;
mod look;
mod memory;
mod model;
mod outcome;
mod quality;
mod section;
mod terrain;
mod tiles;
pub mod workers;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use sontinh_procgen::{Part, citadel};
use sontinh_scene::{Generator, Layer, LayerKind, LayerSource, Scene, Text};

pub use convert::{mesh_from_part, placement_transform};
pub use sontinh_camera::{FloatingOrigin, GeoPosition, enu_to_world, world_to_enu};
pub use environment::{EnvironmentPlugin, site_fog};
pub use fetch::{Fetched, file_bytes, file_exists, file_range, forget_memory_folder, keep_in_memory, memory_file, offer_download, read_fetching};
pub use outcome::SharedOutcome;
pub use ground::{EllipsoidGround, GROUND_BELOW_M, ellipsoid_ground, needs_ground};
pub use quality::{Quality, QualitySettings};
pub use memory::{Device, MemoryBudget, MemoryBudgetPlugin, MemoryPreset, MemoryUse, is_headset_browser, mesh_bytes};
pub use section::{ClipBox, ClipPlane, MAX_CLIP_PLANES, SceneMaterial, Section, SectionClip, SectionPlugin, SectionUniform, scene_material, write_section};
pub use terrain::TerrainChunk;
pub use tiles::TilesetLayer;

/// The scene being shown.
#[derive(Resource, Clone, Debug)]
pub struct ActiveScene(pub Arc<Scene>);

/// Layer kinds that another plugin loads (point clouds stream from their
/// own plugin); this plugin lists them and leaves their status to it.
#[derive(Resource, Clone, Debug, Default)]
pub struct ExternalLayerKinds(pub Vec<LayerKind>);

/// Loads the active scene's layers.
pub struct SceneLayersPlugin;

impl Plugin for SceneLayersPlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<sontinh_camera::FloatingOriginPlugin>() {
            app.add_plugins(sontinh_camera::FloatingOriginPlugin);
        }
        if !app.is_plugin_added::<MemoryBudgetPlugin>() {
            app.add_plugins(MemoryBudgetPlugin);
        }
        if !app.is_plugin_added::<SectionPlugin>() {
            app.add_plugins(SectionPlugin);
        }
        app.add_plugins(ground::EllipsoidGroundPlugin);
        app.init_resource::<LayerStates>()
            .add_systems(Update, (start_loading, finish_loading, apply_layer_settings, terrain::select_terrain_chunks, tiles::stream_tilesets).chain());
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum LayerStatus {
    /// Loading, with progress from 0 to 1.
    Loading(f32),
    Ready,
    /// The layer could not be loaded; the message says why.
    Failed(String),
}

/// What the UI shows and changes about one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerState {
    pub id: String,
    pub name: Text,
    pub kind: LayerKind,
    pub status: LayerStatus,
    pub visible: bool,
    pub opacity: f32,
}

#[derive(Resource, Default, Debug)]
pub struct LayerStates {
    pub layers: Vec<LayerState>,
    /// Which scene these states belong to (its source path).
    loaded_scene: Option<std::path::PathBuf>,
}

impl LayerStates {
    /// The states of `layers` of the scene read from `source`, as loading
    /// begins (or for a page or panel that shows such states).
    pub fn for_scene(source: std::path::PathBuf, layers: Vec<LayerState>) -> LayerStates {
        LayerStates { layers, loaded_scene: Some(source) }
    }

    /// Overall loading progress from 0 to 1; failed layers count as done.
    pub fn progress(&self) -> f32 {
        if self.layers.is_empty() {
            return if self.loaded_scene.is_some() { 1.0 } else { 0.0 };
        }
        let sum: f32 = self
            .layers
            .iter()
            .map(|l| match l.status {
                LayerStatus::Loading(p) => p.clamp(0.0, 0.99),
                LayerStatus::Ready | LayerStatus::Failed(_) => 1.0,
            })
            .sum();
        sum / self.layers.len() as f32
    }

    /// True once every layer is ready or has failed.
    pub fn all_settled(&self) -> bool {
        self.loaded_scene.is_some() && self.layers.iter().all(|l| !matches!(l.status, LayerStatus::Loading(_)))
    }

    pub fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.layers.iter().filter_map(|l| match &l.status {
            LayerStatus::Failed(why) => Some((l.id.as_str(), why.as_str())),
            _ => None,
        })
    }
}

/// The root entity of one layer; its children carry the meshes.
#[derive(Component, Debug)]
pub struct LayerRoot {
    pub index: usize,
}

/// A material of a layer, with the alpha it has at full opacity.
#[derive(Component, Debug)]
struct LayerMaterial {
    base_alpha: f32,
}

/// What a layer's background task produces.
enum Loaded {
    Parts(Vec<Part>),
    Terrain(Box<sontinh_terrain::Terrain>),
    Model(Box<sontinh_mesh::Model>),
    Tileset(Box<sontinh_tiles::Tileset>),
}

type LoadResult = Result<Loaded, String>;

#[derive(Component)]
struct LoadTask {
    task: Task<LoadResult>,
    progress: Arc<AtomicU32>,
}

/// Rounds of fetching for one tileset: external tilesets within external
/// tilesets, and implicit subtrees level after level.
const MAX_TILESET_ROUNDS: usize = 64;

/// Rounds of fetching for a terrain: the DEM, then a drape's world file
/// candidates one by one (six at most), then its photo.
const TERRAIN_ROUNDS: usize = 10;

/// Loads one layer's content off the main thread.
/// (Send natively; in the browser the futures await `fetch`, which is not.)
fn load_layer(layer: &Layer, frame: sontinh_geo::EnuFrame, progress: Arc<AtomicU32>) -> Option<bevy::tasks::BoxedFuture<'static, LoadResult>> {
    match (&layer.source, layer.kind) {
        (LayerSource::Generator(Generator::QuangTriCitadel), _) => Some(Box::pin(async move {
            // In the browser a worker generates it; natively, here.
            if let Some(parts) = workers::generate_citadel().await {
                return Ok(Loaded::Parts(sontinh_procgen::wire::parts_from_bytes(&parts?)?));
            }
            let layout = citadel::Layout::default();
            Ok(Loaded::Parts(citadel::generate(&layout, &mut |p| progress.store(p.to_bits(), Ordering::Relaxed))))
        })),
        (LayerSource::File(path), LayerKind::Terrain) => {
            let request = layer.drape.as_ref().map(terrain::drape_request).transpose().map(|drape| sontinh_terrain::TerrainRequest {
                dem: path.clone(),
                origin: frame.origin(),
                drape,
            });
            Some(Box::pin(async move {
                let request = request?;
                // In the browser a worker reads the DEM (and the drape) and
                // builds the chunks, the page fetching what it asks for.
                if let Some(built) = workers::run_job("terrain", &request.to_bytes(), TERRAIN_ROUNDS).await {
                    return Ok(Loaded::Terrain(Box::new(sontinh_terrain::Terrain::from_bytes(&built?)?)));
                }
                let terrain = fetch::read_fetching(TERRAIN_ROUNDS, |fetched| {
                    request.build(&|file: &std::path::Path| fetched.get(file), &mut |p| progress.store(p.to_bits(), Ordering::Relaxed))
                })
                .await?;
                Ok(Loaded::Terrain(Box::new(terrain)))
            }))
        }
        (LayerSource::File(path), LayerKind::Tileset) => {
            let path = path.clone();
            Some(Box::pin(async move {
                // External tilesets and implicit subtrees as the reader asks for them.
                let tileset = fetch::read_fetching(MAX_TILESET_ROUNDS, |fetched| sontinh_tiles::load_tileset_from(fetched, &path)).await?;
                Ok(Loaded::Tileset(Box::new(tileset)))
            }))
        }
        (LayerSource::File(path), LayerKind::Mesh) => {
            let path = path.clone();
            Some(Box::pin(async move {
                progress.store(0.1f32.to_bits(), Ordering::Relaxed);
                let model = read_model(&path).await.map_err(|e| format!("{}: {e}", path.display()))?;
                Ok(Loaded::Model(Box::new(model)))
            }))
        }
        _ => None,
    }
}

/// A mesh file: GLB from its bytes (read or fetched); OBJ with its
/// material libraries and textures, read or fetched as the reader asks.
async fn read_model(path: &std::path::Path) -> Result<sontinh_mesh::Model, String> {
    let glb = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("glb"));
    if glb {
        let bytes = fetch::file_bytes(path).await?;
        // In the browser a worker decodes it (Draco, textures); natively, here.
        let bytes = match workers::decode_glb(bytes).await {
            Ok(decoded) => return sontinh_mesh::Model::from_bytes(&decoded?),
            Err(bytes) => bytes,
        };
        return sontinh_mesh::read_glb(&bytes).map_err(|e| e.to_string());
    }
    // OBJ, then its material libraries, then their textures: in the
    // browser a worker reads them (the page fetches what it asks for).
    if let Some(model) = workers::run_job("obj", path.to_string_lossy().as_bytes(), 4).await {
        return sontinh_mesh::Model::from_bytes(&model?);
    }
    fetch::read_fetching(4, |fetched| sontinh_mesh::read_obj_with(path, &|file: &std::path::Path| fetched.get(file))).await
}

/// Why a layer kind cannot be shown by this build yet.
fn unsupported(layer: &Layer) -> String {
    let path = match &layer.source {
        LayerSource::File(p) => p.display().to_string(),
        LayerSource::Generator(g) => g.id().to_owned(),
        LayerSource::Service(url) => url.clone(),
        LayerSource::Missing { reason, .. } => return reason.clone(),
    };
    format!(
        "{}: {} layers cannot be displayed by this version of Sơn Tinh yet (line {} of the scene)",
        path,
        layer.kind.id(),
        layer.line
    )
}

fn start_loading(
    mut commands: Commands,
    scene: Option<Res<ActiveScene>>,
    mut states: ResMut<LayerStates>,
    external: Option<Res<ExternalLayerKinds>>,
    memory: Option<ResMut<MemoryUse>>,
) {
    let Some(scene) = scene else { return };
    if states.loaded_scene.as_ref() == Some(&scene.0.source) {
        return;
    }
    states.loaded_scene = Some(scene.0.source.clone());
    states.layers.clear();
    // The last scene's streaming layers hold nothing any more.
    if let Some(mut memory) = memory {
        memory.streamed.clear();
    }
    let pool = AsyncComputeTaskPool::get();
    for (index, layer) in scene.0.layers.iter().enumerate() {
        let progress = Arc::new(AtomicU32::new(0.0f32.to_bits()));
        let external = external.as_ref().is_some_and(|e| e.0.contains(&layer.kind));
        let status = match load_layer(layer, scene.0.frame, progress.clone()) {
            _ if external => LayerStatus::Loading(0.0),
            Some(future) => {
                commands.spawn((
                    Name::new(format!("layer {}", layer.id)),
                    LayerRoot { index },
                    placement_transform(&layer.placement),
                    GeoPosition(layer.placement.enu),
                    Visibility::Hidden,
                    LoadTask {
                        task: pool.spawn(future),
                        progress,
                    },
                ));
                LayerStatus::Loading(0.0)
            }
            None => {
                let why = unsupported(layer);
                warn!("layer \"{}\": {why}", layer.id);
                LayerStatus::Failed(why)
            }
        };
        states.layers.push(LayerState {
            id: layer.id.clone(),
            name: layer.name.clone(),
            kind: layer.kind,
            status,
            visible: layer.visible,
            opacity: layer.opacity,
        });
    }
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are what it reads
fn finish_loading(
    mut commands: Commands,
    mut tasks: Query<(Entity, &LayerRoot, &mut LoadTask)>,
    mut states: ResMut<LayerStates>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<SceneMaterial>>,
    mut images: Option<ResMut<Assets<Image>>>,
    scene: Option<Res<ActiveScene>>,
    quality: Option<Res<Quality>>,
    mut textures: Local<Option<look::CitadelTextures>>,
) {
    for (entity, root, mut load) in &mut tasks {
        let Some(state) = states.layers.get_mut(root.index) else { continue };
        let Some(result) = check_ready(&mut load.task) else {
            state.status = LayerStatus::Loading(f32::from_bits(load.progress.load(Ordering::Relaxed)));
            continue;
        };
        commands.entity(entity).remove::<LoadTask>();
        match result {
            Ok(Loaded::Model(model)) => {
                model::spawn_model(&mut commands, entity, &model, scene.as_ref().and_then(|s| s.0.layers.get(root.index)).map(|l| l.placement.anchor).unwrap_or_default(), &mut meshes, &mut materials, images.as_deref_mut());
                state.status = LayerStatus::Ready;
                states.set_changed();
            }
            Ok(Loaded::Tileset(tileset)) => {
                let Some(scene) = &scene else { continue };
                commands.entity(entity).insert(tiles::TilesetLayer::new(*tileset, scene.0.frame));
                // Streaming reports its own progress from now on.
                state.status = LayerStatus::Loading(0.0);
                states.set_changed();
            }
            Ok(Loaded::Terrain(terrain)) => {
                terrain::spawn_chunks(&mut commands, entity, &terrain, &mut meshes, &mut materials, images.as_deref_mut());
                state.status = LayerStatus::Ready;
                states.set_changed();
            }
            Ok(Loaded::Parts(parts)) => {
                let quality = quality.as_deref().copied().unwrap_or_default();
                let made = look::spawn_citadel(&mut commands, entity, &parts, &mut meshes, &mut materials, images.as_deref_mut(), textures.as_ref(), quality);
                if textures.is_none() {
                    *textures = made;
                }
                state.status = LayerStatus::Ready;
                // Apply the layer's visibility and opacity now that it has content.
                states.set_changed();
            }
            Err(why) => {
                warn!("layer \"{}\": {why}", state.id);
                state.status = LayerStatus::Failed(why);
            }
        }
    }
}

/// Follows the UI's changes to visibility and opacity.
fn apply_layer_settings(
    states: Res<LayerStates>,
    mut roots: Query<(&LayerRoot, &mut Visibility, Option<&Children>)>,
    parts: Query<(&MeshMaterial3d<SceneMaterial>, &LayerMaterial)>,
    mut materials: ResMut<Assets<SceneMaterial>>,
) {
    if !states.is_changed() {
        return;
    }
    for (root, mut visibility, children) in &mut roots {
        let Some(state) = states.layers.get(root.index) else { continue };
        let ready = state.status == LayerStatus::Ready;
        visibility.set_if_neq(if state.visible && ready {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        });
        for child in children.into_iter().flatten() {
            let Ok((handle, layer_material)) = parts.get(*child) else {
                continue;
            };
            let Some(mut material) = materials.get_mut(&handle.0) else {
                continue;
            };
            let alpha = layer_material.base_alpha * state.opacity;
            material.base.base_color.set_alpha(alpha);
            material.base.alpha_mode = if alpha < 0.999 { AlphaMode::Blend } else { AlphaMode::Opaque };
        }
    }
}

#[cfg(test)]
mod tests;

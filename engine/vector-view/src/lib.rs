//! Vector and city layers on the twin.
//!
//! Each `vector` or `city` layer of the active scene is read and made
//! drawable in the background (`sontinh-vector-mesh`), then shown as one
//! entity per chunk and part (solids, fills, lines) placed by the floating
//! origin. [`VectorLayers`] keeps what was built, for labels and the
//! attribute panel; a tap or click on a feature sets [`PickedFeature`];
//! [`VectorAction::SetFilter`] rebuilds a layer with another filter.

mod load;
mod mesh;
mod pick;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bevy::camera::visibility::VisibilityRange;
use bevy::gizmos::GizmoAsset;
use bevy::gizmos::config::GizmoLineConfig;
use bevy::gizmos::retained::Gizmo;
use bevy::light::NotShadowCaster;
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use sontinh_camera::GeoPosition;
use sontinh_layers::{ActiveScene, ExternalLayerKinds, LayerStates, LayerStatus, SceneMaterial, scene_material};
use sontinh_scene::{FeatureFilter, LayerKind, Text, VectorStyle};
use sontinh_vector_mesh::{Built, FeatureInfo};

pub use load::{build_layer, request_for};
pub use mesh::{FAR_LOD_M, FILL_DEPTH_BIAS, LINE_GIZMO_DEPTH_BIAS, Part};
pub use pick::feature_at;

/// Draws the active scene's vector and city layers.
pub struct VectorViewPlugin;

impl Plugin for VectorViewPlugin {
    fn build(&self, app: &mut App) {
        let kinds = &mut app.world_mut().get_resource_or_insert_with(ExternalLayerKinds::default).0;
        for kind in [LayerKind::Vector, LayerKind::City] {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        app.init_resource::<VectorLayers>()
            .init_resource::<PickedFeature>()
            .add_message::<VectorAction>()
            .add_systems(
                Update,
                (
                    start_building,
                    apply_actions,
                    finish_building,
                    apply_layer_settings,
                    pick::pick_on_tap,
                )
                    .chain(),
            );
    }
}

/// A layer as built, for labels, picking and the panel.
#[derive(Clone, Debug)]
pub struct ShownLayer {
    pub layer_index: usize,
    pub id: String,
    pub name: Text,
    pub built: Arc<Built>,
    /// The filter in force (the scene's, or the one the panel set).
    pub filter: Option<FeatureFilter>,
    /// The features that have a label (found once, not every frame).
    pub labelled: Vec<usize>,
}

/// Every vector and city layer built so far.
#[derive(Resource, Default, Debug)]
pub struct VectorLayers {
    pub layers: Vec<ShownLayer>,
}

impl VectorLayers {
    pub fn get(&self, layer_index: usize) -> Option<&ShownLayer> {
        self.layers.iter().find(|l| l.layer_index == layer_index)
    }
}

/// The feature last picked.
#[derive(Resource, Default, Debug, Clone)]
pub struct PickedFeature(pub Option<Picked>);

#[derive(Debug, Clone, PartialEq)]
pub struct Picked {
    pub layer_index: usize,
    pub layer_name: Text,
    pub feature: FeatureInfo,
}

/// The picked feature as the page is told it (`data-sontinh-feature`):
/// `layer=ID id=ID kind=TYPE`, then its attributes one a line; empty when
/// nothing is picked.
pub fn picked_signal(picked: &PickedFeature, shown: &VectorLayers) -> String {
    let Some(p) = &picked.0 else { return String::new() };
    let layer = shown.get(p.layer_index).map_or("", |l| l.id.as_str());
    let mut text = format!("layer={layer} id={} kind={}", p.feature.id, p.feature.kind);
    for (k, v) in &p.feature.attributes {
        text.push_str(&format!("\n{k}={v}"));
    }
    text
}

/// What the panel asks of a layer.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum VectorAction {
    /// Rebuild with this filter (`None`: all features).
    SetFilter { layer_index: usize, filter: Option<FeatureFilter> },
}

/// One drawn part of one chunk of a layer.
#[derive(Component, Debug, Clone, Copy)]
pub struct FeatureChunk {
    pub layer_index: usize,
    pub chunk: u32,
    pub part: Part,
    /// The material's alpha at full opacity.
    base_alpha: f32,
}

#[derive(Component)]
struct Building {
    layer_index: usize,
    filter: Option<FeatureFilter>,
    task: Task<Result<Built, String>>,
    progress: Arc<AtomicU32>,
}

/// Everything a layer of the last scene left.
type DrawnOrBuilding = Or<(With<FeatureChunk>, With<Building>)>;

#[derive(Default)]
struct StartedScene(Option<std::path::PathBuf>);

fn spawn_build(commands: &mut Commands, scene: &ActiveScene, layer_index: usize, filter: Option<FeatureFilter>) {
    let Some(layer) = scene.0.layers.get(layer_index).cloned() else {
        return;
    };
    let style = VectorStyle {
        filter: filter.clone(),
        ..layer.style.clone()
    };
    let progress = Arc::new(AtomicU32::new(0.0f32.to_bits()));
    let task_progress = progress.clone();
    let scene_arc = scene.0.clone();
    let task = AsyncComputeTaskPool::get().spawn(async move { build_layer(scene_arc, layer, style, task_progress).await });
    commands.spawn((
        Name::new(format!("building vector layer {layer_index}")),
        Building {
            layer_index,
            filter,
            task,
            progress,
        },
    ));
}

fn start_building(
    mut commands: Commands,
    scene: Option<Res<ActiveScene>>,
    mut states: ResMut<LayerStates>,
    mut started: Local<StartedScene>,
    mut shown: ResMut<VectorLayers>,
    mut picked: ResMut<PickedFeature>,
    old: Query<Entity, DrawnOrBuilding>,
) {
    let Some(scene) = scene else { return };
    if started.0.as_ref() == Some(&scene.0.source) || states.layers.len() != scene.0.layers.len() {
        return;
    }
    started.0 = Some(scene.0.source.clone());
    for entity in &old {
        commands.entity(entity).despawn();
    }
    shown.layers.clear();
    picked.0 = None;
    for (index, layer) in scene.0.layers.iter().enumerate() {
        if !matches!(layer.kind, LayerKind::Vector | LayerKind::City) {
            continue;
        }
        spawn_build(&mut commands, &scene, index, layer.style.filter.clone());
        if let Some(state) = states.layers.get_mut(index) {
            state.status = LayerStatus::Loading(0.0);
        }
    }
}

fn apply_actions(
    mut commands: Commands,
    mut actions: MessageReader<VectorAction>,
    scene: Option<Res<ActiveScene>>,
    mut states: ResMut<LayerStates>,
) {
    let Some(scene) = scene else { return };
    for action in actions.read() {
        match action {
            VectorAction::SetFilter { layer_index, filter } => {
                spawn_build(&mut commands, &scene, *layer_index, filter.clone());
                if let Some(state) = states.layers.get_mut(*layer_index) {
                    state.status = LayerStatus::Loading(0.0);
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn finish_building(
    mut commands: Commands,
    mut building: Query<(Entity, &mut Building)>,
    chunks: Query<(Entity, &FeatureChunk)>,
    mut states: ResMut<LayerStates>,
    mut shown: ResMut<VectorLayers>,
    mut picked: ResMut<PickedFeature>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<SceneMaterial>>,
    mut gizmos: ResMut<Assets<GizmoAsset>>,
) {
    for (entity, mut job) in &mut building {
        let index = job.layer_index;
        let Some(result) = check_ready(&mut job.task) else {
            if let Some(state) = states.layers.get_mut(index) {
                state.status = LayerStatus::Loading(f32::from_bits(job.progress.load(Ordering::Relaxed)));
            }
            continue;
        };
        commands.entity(entity).despawn();
        let Some(state) = states.layers.get_mut(index) else { continue };
        let built = match result {
            Ok(built) => built,
            Err(why) => {
                warn!("layer \"{}\": {why}", state.id);
                state.status = LayerStatus::Failed(why);
                continue;
            }
        };
        // A rebuild replaces what was drawn.
        for (old, chunk) in &chunks {
            if chunk.layer_index == index {
                commands.entity(old).despawn();
            }
        }
        if picked.0.as_ref().is_some_and(|p| p.layer_index == index) {
            picked.0 = None;
        }
        let mut parts: Vec<(Part, Handle<Mesh>)> = Vec::new();
        for (ci, chunk) in built.chunks.iter().enumerate() {
            parts.clear();
            if !chunk.solids.is_empty() {
                parts.push((Part::Solids, meshes.add(mesh::triangles_mesh(&chunk.solids))));
            }
            // Far away a chunk draws only what faces up, when that is less.
            let far_lod = !chunk.tops.is_empty() && chunk.tops.triangle_count() < chunk.solids.triangle_count();
            if far_lod {
                parts.push((Part::Tops, meshes.add(mesh::triangles_mesh(&chunk.tops))));
            }
            if !chunk.fills.is_empty() {
                parts.push((Part::Fills, meshes.add(mesh::triangles_mesh(&chunk.fills))));
            }
            if !chunk.lines.is_empty() {
                // Lines are retained gizmos: a width in pixels and a depth
                // bias (the GPU's bias is for triangles only).
                commands.spawn((
                    Name::new(format!("{} chunk {ci} lines", state.id)),
                    Gizmo {
                        handle: gizmos.add(mesh::lines_gizmo(&chunk.lines, 1.0)),
                        line_config: GizmoLineConfig {
                            width: mesh::LINE_WIDTH_PX,
                            ..default()
                        },
                        // Later layers' lines over earlier ones' where they coincide.
                        depth_bias: mesh::LINE_GIZMO_DEPTH_BIAS - 0.002 * (index.min(20) as f32),
                    },
                    FeatureChunk {
                        layer_index: index,
                        chunk: ci as u32,
                        part: Part::Lines,
                        base_alpha: 1.0,
                    },
                    Transform::IDENTITY,
                    GeoPosition(chunk.origin),
                    Visibility::Hidden,
                ));
            }
            for (part, handle) in parts.drain(..) {
                let material = mesh::material(part);
                let mut entity = commands.spawn((
                    Name::new(format!("{} chunk {ci} {part:?}", state.id)),
                    Mesh3d(handle),
                    MeshMaterial3d(materials.add(scene_material(material))),
                    FeatureChunk {
                        layer_index: index,
                        chunk: ci as u32,
                        part,
                        base_alpha: 1.0,
                    },
                    Transform::IDENTITY,
                    GeoPosition(chunk.origin),
                    Visibility::Hidden,
                ));
                if part != Part::Solids {
                    entity.insert(NotShadowCaster);
                }
                match part {
                    Part::Solids if far_lod => {
                        entity.insert(VisibilityRange::abrupt(0.0, mesh::FAR_LOD_M));
                    }
                    Part::Tops => {
                        entity.insert(VisibilityRange::abrupt(mesh::FAR_LOD_M, f32::MAX));
                    }
                    _ => {}
                }
            }
        }
        info!(
            "layer \"{}\": {} features in {} chunks ({} triangles, {} segments; {} left out by the filter)",
            state.id,
            built.features.len(),
            built.chunks.len(),
            built.triangle_count(),
            built.segment_count(),
            built.filtered_out
        );
        let entry = ShownLayer {
            layer_index: index,
            id: state.id.clone(),
            name: state.name.clone(),
            labelled: built.features.iter().enumerate().filter(|(_, f)| f.label.is_some()).map(|(i, _)| i).collect(),
            built: Arc::new(built),
            filter: job.filter.clone(),
        };
        shown.layers.retain(|l| l.layer_index != index);
        shown.layers.push(entry);
        state.status = LayerStatus::Ready;
        states.set_changed();
    }
}

/// What the layer settings change on a chunk.
type ChunkSettings<'a> = (
    Ref<'a, FeatureChunk>,
    &'a mut Visibility,
    Option<&'a MeshMaterial3d<SceneMaterial>>,
    Option<&'a Gizmo>,
);

/// Follows the layer panel's visibility and opacity.
fn apply_layer_settings(
    states: Res<LayerStates>,
    shown: Res<VectorLayers>,
    mut chunks: Query<ChunkSettings>,
    mut materials: ResMut<Assets<SceneMaterial>>,
    mut gizmos: ResMut<Assets<GizmoAsset>>,
    mut applied_opacity: Local<std::collections::HashMap<usize, f32>>,
) {
    // Layers whose opacity moved since it was last applied to their lines.
    let moved: Vec<usize> = if states.is_changed() {
        states
            .layers
            .iter()
            .enumerate()
            .filter(|(i, s)| applied_opacity.get(i).copied().unwrap_or(1.0) != s.opacity)
            .map(|(i, _)| i)
            .collect()
    } else {
        Vec::new()
    };
    for (chunk, mut visibility, material, gizmo) in &mut chunks {
        if !(states.is_changed() || chunk.is_added()) {
            continue;
        }
        let Some(state) = states.layers.get(chunk.layer_index) else {
            continue;
        };
        let shown_now = state.visible && state.status == LayerStatus::Ready;
        visibility.set_if_neq(if shown_now { Visibility::Inherited } else { Visibility::Hidden });
        let alpha = chunk.base_alpha * state.opacity;
        if let Some(handle) = material
            && let Some(mut material) = materials.get_mut(&handle.0)
        {
            material.base.base_color.set_alpha(alpha);
            if matches!(chunk.part, Part::Solids | Part::Tops) {
                material.base.alpha_mode = if alpha < 0.999 { AlphaMode::Blend } else { AlphaMode::Opaque };
            }
        }
        // A gizmo's colours are its vertices': remade when the opacity changes.
        let remake = moved.contains(&chunk.layer_index) || (chunk.is_added() && state.opacity < 1.0);
        if let Some(gizmo) = gizmo
            && remake
            && let Some(lines) = shown
                .get(chunk.layer_index)
                .and_then(|l| l.built.chunks.get(chunk.chunk as usize))
                .map(|c| &c.lines)
        {
            let _ = gizmos.insert(gizmo.handle.id(), mesh::lines_gizmo(lines, alpha));
        }
    }
    for i in moved {
        if let Some(s) = states.layers.get(i) {
            applied_opacity.insert(i, s.opacity);
        }
    }
}

#[cfg(test)]
mod tests;

//! 3D Tiles layers: the tileset tree is read in the background; then each
//! frame the tiles to draw are chosen by screen-space error from the camera
//! (`sontinh_tiles::select`, frustum-culled), missing contents are loaded
//! four at a time in the background through the layer's `TileSource`, and
//! tiles not drawn recently are dropped once the layer holds more than its
//! memory budget (`sontinh_tiles::Residency`). Georeferenced tilesets (ECEF) are
//! carried into the scene's ENU frame in f64; local ones use the layer's
//! placement.

use std::collections::{HashMap, HashSet};

use bevy::asset::RenderAssetUsages;
use bevy::mesh::PrimitiveTopology;
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, ConditionalSendFuture, Task, futures::check_ready};
use sontinh_geo::EnuFrame;
use sontinh_tiles::{PlacedTile, Residency, TileRequest, Tileset, View};

use crate::{LayerRoot, LayerStates, LayerStatus, MemoryBudget, MemoryUse, enu_to_world, world_to_enu};

/// Memory a tileset layer may hold in decoded tiles at most, bytes (less
/// when its share of the scene's [`MemoryBudget`] is less).
pub const TILESET_BUDGET_BYTES: usize = 512 * 1024 * 1024;
/// Tile contents loading at once per layer.
const PARALLEL_LOADS: usize = 4;
/// Screen-space error at which a tile is refined, pixels (Cesium's default).
pub const MAX_TILE_ERROR_PX: f64 = 16.0;

/// A placed tile and the bytes it counts against the budget, or why it failed.
type TileLoad = Result<(PlacedTile, usize), String>;

/// The streaming state of one tileset layer (on its root entity).
#[derive(Component)]
pub struct TilesetLayer {
    tileset: Tileset,
    /// ECEF tilesets go through the scene's frame; others are local.
    georeferenced: bool,
    frame: EnuFrame,
    /// What is held and what loads next (the budget's bookkeeping).
    pub residency: Residency,
    entities: HashMap<usize, Entity>,
    loading: HashMap<usize, Task<TileLoad>>,
    /// The eye (tileset coordinates), camera rotation and budget of the
    /// last frame: when any changes, a finer selection may fit again.
    last_view: Option<([f64; 3], Quat, usize)>,
}

impl TilesetLayer {
    pub(crate) fn new(tileset: Tileset, frame: EnuFrame) -> TilesetLayer {
        let georeferenced = tileset.tiles.first().is_some_and(|t| sontinh_tiles::distance(t.sphere.0, [0.0; 3]) > 6.0e6);
        TilesetLayer {
            tileset,
            georeferenced,
            frame,
            residency: Residency::new(TILESET_BUDGET_BYTES, PARALLEL_LOADS),
            entities: HashMap::new(),
            loading: HashMap::new(),
            last_view: None,
        }
    }
}

/// The camera's frustum in tileset coordinates: world planes carried
/// through the layer root's transform, to ENU axes and, for a georeferenced
/// tileset, to ECEF (all in f64 past the root).
fn tileset_frustum(frustum: &bevy::camera::primitives::Frustum, world_from_root: &bevy::math::Affine3A, layer: &TilesetLayer) -> sontinh_tiles::Frustum {
    let linear = world_from_root.matrix3;
    let translation = Vec3::from(world_from_root.translation);
    let origin = layer.frame.enu_to_ecef([0.0; 3]);
    let planes = frustum.half_spaces.map(|h| {
        let nd = h.normal_d();
        let normal = nd.truncate();
        let local_normal = linear.transpose() * Vec3A::from(normal);
        let local_d = f64::from(normal.dot(translation) + nd.w);
        let n = world_to_enu(Vec3::from(local_normal));
        if layer.georeferenced {
            let tip = layer.frame.enu_to_ecef(n);
            let n = [tip[0] - origin[0], tip[1] - origin[1], tip[2] - origin[2]];
            [n[0], n[1], n[2], local_d - (n[0] * origin[0] + n[1] * origin[1] + n[2] * origin[2])]
        } else {
            [n[0], n[1], n[2], local_d]
        }
    });
    sontinh_tiles::Frustum { planes }
}

/// A tile's content, placed in the layer's frame: in the browser by a
/// worker (the page fetches the files it asks for), natively here, read
/// from disk (a content may name further files).
fn load_tile(layer: &TilesetLayer, index: usize) -> Option<impl ConditionalSendFuture<Output = TileLoad> + 'static> {
    let tile = layer.tileset.tiles.get(index)?;
    let request = TileRequest {
        content: tile.content.clone()?,
        transform: tile.transform,
        frame: layer.georeferenced.then_some(layer.frame),
    };
    Some(async move {
        let (tile, bytes) = match crate::workers::run_job("tile", &request.to_bytes(), 4).await {
            Some(placed) => PlacedTile::from_bytes(&placed?, &request.content)?,
            None => crate::fetch::read_fetching(4, |fetched| request.load(fetched)).await?,
        };
        Ok((tile, usize::try_from(bytes).unwrap_or(usize::MAX)))
    })
}

/// sRGB 8-bit to linear, for every value (points' colours): made once.
static SRGB_TO_LINEAR: std::sync::LazyLock<[f32; 256]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|v| bevy::color::Color::srgb_u8(v as u8, v as u8, v as u8).to_linear().red));

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
pub(crate) fn stream_tilesets(
    mut commands: Commands,
    cameras: Query<(&Camera, &GlobalTransform, &Projection, &bevy::camera::primitives::Frustum), With<Camera3d>>,
    mut layers: Query<(Entity, &LayerRoot, &GlobalTransform, &mut TilesetLayer)>,
    mut visibility: Query<&mut Visibility>,
    mut states: ResMut<LayerStates>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<crate::SceneMaterial>>,
    mut images: Option<ResMut<Assets<Image>>>,
    budget: Res<MemoryBudget>,
    mut memory: ResMut<MemoryUse>,
) {
    let Some((camera, eye_transform, projection, frustum)) = cameras.iter().next() else { return };
    let share = usize::try_from(memory.streaming_share(&budget)).unwrap_or(usize::MAX);
    let fov = match projection {
        Projection::Perspective(p) => f64::from(p.fov),
        _ => 1.0,
    };
    let ppr = camera.physical_viewport_size().map_or(720.0, |s| f64::from(s.y)) / fov.max(1e-3);
    for (root_entity, root, root_transform, mut layer) in &mut layers {
        let layer = &mut *layer;
        // Finished loads become hidden entities.
        let finished: Vec<(usize, TileLoad)> = layer.loading.iter_mut().filter_map(|(i, task)| check_ready(task).map(|r| (*i, r))).collect();
        for (i, result) in finished {
            layer.loading.remove(&i);
            match result {
                Ok((data, bytes)) => {
                    layer.residency.finished(i, Ok(bytes));
                    let entity = commands.spawn((Name::new(format!("tile {i}")), Transform::IDENTITY, Visibility::Hidden)).id();
                    commands.entity(root_entity).add_child(entity);
                    match data {
                        PlacedTile::Model(model) => {
                            crate::model::spawn_model(&mut commands, entity, &model, sontinh_scene::Anchor::Origin, &mut meshes, &mut materials, images.as_deref_mut());
                        }
                        PlacedTile::Points { positions, colors } => {
                            let positions: Vec<[f32; 3]> = positions.iter().map(|p| enu_to_world([f64::from(p[0]), f64::from(p[1]), f64::from(p[2])]).to_array()).collect();
                            let linear = &*SRGB_TO_LINEAR;
                            let colors: Vec<[f32; 4]> = colors.iter().map(|c| [linear[usize::from(c[0])], linear[usize::from(c[1])], linear[usize::from(c[2])], f32::from(c[3]) / 255.0]).collect();
                            let mesh = Mesh::new(PrimitiveTopology::PointList, RenderAssetUsages::RENDER_WORLD)
                                .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
                                .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colors);
                            let child = commands
                                .spawn((
                                    Mesh3d(meshes.add(mesh)),
                                    MeshMaterial3d(materials.add(crate::scene_material(StandardMaterial {
                                        base_color: Color::WHITE,
                                        unlit: true,
                                        ..default()
                                    }))),
                                    Transform::IDENTITY,
                                ))
                                .id();
                            commands.entity(entity).add_child(child);
                        }
                    }
                    layer.entities.insert(i, entity);
                }
                Err(why) => {
                    warn!("tile {i}: {why}");
                    layer.residency.finished(i, Err(why));
                }
            }
        }

        // Where the camera is and what it sees, in tileset coordinates.
        let world_from_root = root_transform.affine();
        let eye_local = world_from_root.inverse().transform_point3(eye_transform.translation());
        let eye_enu = world_to_enu(eye_local);
        let eye = if layer.georeferenced { layer.frame.enu_to_ecef(eye_enu) } else { eye_enu };
        // The layer's share of the scene's one budget: when even the tiles
        // drawn now do not fit, the selection is made coarser until they do.
        let budget = share.min(TILESET_BUDGET_BYTES);
        layer.residency.budget_bytes = budget;
        let rotation = eye_transform.rotation();
        if layer.last_view.is_none_or(|(e, r, b)| sontinh_tiles::distance(e, eye) > 0.01 || !r.abs_diff_eq(rotation, 1e-5) || b != budget) {
            layer.residency.view_changed();
            layer.last_view = Some((eye, rotation, budget));
        }
        let view = View {
            eye,
            pixels_per_radian: ppr,
            max_error_px: MAX_TILE_ERROR_PX * layer.residency.error_scale(),
            frustum: Some(tileset_frustum(frustum, &world_from_root, layer)),
        };
        let (draw, wanted) = sontinh_tiles::select(&layer.tileset, &view, &|i| layer.residency.is_ready(i));
        let draw: HashSet<usize> = draw.into_iter().collect();
        let plan = layer.residency.plan(&draw, &wanted);
        memory.streamed.insert(root.index, layer.residency.held_bytes() as u64);
        for (i, entity) in &layer.entities {
            if let Ok(mut v) = visibility.get_mut(*entity) {
                let wanted_v = if draw.contains(i) { Visibility::Inherited } else { Visibility::Hidden };
                if *v != wanted_v {
                    *v = wanted_v;
                }
            }
        }
        let pool = AsyncComputeTaskPool::get();
        for i in plan.load {
            match load_tile(layer, i) {
                Some(future) => {
                    layer.loading.insert(i, pool.spawn(future));
                }
                None => layer.residency.finished(i, Err("the tile has no content".to_owned())),
            }
        }
        for i in plan.evict {
            if let Some(entity) = layer.entities.remove(&i) {
                commands.entity(entity).despawn();
            }
        }
        if let Some(state) = states.layers.get_mut(root.index)
            && !matches!(state.status, LayerStatus::Failed(_))
        {
            let pending = wanted.len() + layer.loading.len();
            let held = layer.entities.len();
            state.status = if pending == 0 {
                LayerStatus::Ready
            } else {
                LayerStatus::Loading(held as f32 / (held + pending) as f32)
            };
        }
    }
}

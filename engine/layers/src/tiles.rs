//! 3D Tiles layers: the tileset tree is read in the background; then each
//! frame the tiles to draw are chosen by screen-space error from the camera
//! (`sontinh_tiles::select`), missing contents are loaded four at a time in
//! the background, and tiles not drawn recently are dropped once the layer
//! holds more than its memory budget. Georeferenced tilesets (ECEF) are
//! carried into the scene's ENU frame in f64; local ones use the layer's
//! placement.

use std::collections::HashMap;

use bevy::asset::RenderAssetUsages;
use bevy::mesh::PrimitiveTopology;
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use sontinh_geo::EnuFrame;
use sontinh_mesh::Model;
use sontinh_tiles::{Content, Tileset, View, read_content, transform_point};

use crate::{LayerRoot, LayerStates, LayerStatus, enu_to_world, world_to_enu};

/// Memory a tileset layer may hold in decoded tiles, bytes.
pub const TILESET_BUDGET_BYTES: usize = 512 * 1024 * 1024;
/// Tile contents loading at once per layer.
const PARALLEL_LOADS: usize = 4;
/// Screen-space error at which a tile is refined, pixels (Cesium's default).
pub const MAX_TILE_ERROR_PX: f64 = 16.0;

/// A decoded tile, in the layer's coordinates (scene ENU, or local).
enum TileData {
    Model(Box<Model>),
    Points { positions: Vec<[f32; 3]>, colors: Vec<[f32; 4]> },
}

struct LoadedTile {
    entity: Entity,
    bytes: usize,
    last_drawn: u64,
}

/// The streaming state of one tileset layer (on its root entity).
#[derive(Component)]
pub struct TilesetLayer {
    tileset: Tileset,
    /// ECEF tilesets go through the scene's frame; others are local.
    georeferenced: bool,
    frame: EnuFrame,
    loaded: HashMap<usize, LoadedTile>,
    loading: HashMap<usize, Task<Result<TileData, String>>>,
    failed: HashMap<usize, String>,
    frame_number: u64,
    /// Bytes held now, and the most ever held (for the budget figures).
    pub held_bytes: usize,
    pub peak_bytes: usize,
}

impl TilesetLayer {
    pub(crate) fn new(tileset: Tileset, frame: EnuFrame) -> TilesetLayer {
        let georeferenced = tileset.tiles.first().is_some_and(|t| sontinh_tiles::distance(t.sphere.0, [0.0; 3]) > 6.0e6);
        TilesetLayer {
            tileset,
            georeferenced,
            frame,
            loaded: HashMap::new(),
            loading: HashMap::new(),
            failed: HashMap::new(),
            frame_number: 0,
            held_bytes: 0,
            peak_bytes: 0,
        }
    }
}

/// Tile coordinates to the layer's ENU (f64 all the way).
fn to_layer(tile_transform: &[f64; 16], rtc: [f64; 3], georeferenced: bool, frame: &EnuFrame, p: [f32; 3]) -> [f32; 3] {
    let world = transform_point(tile_transform, [f64::from(p[0]) + rtc[0], f64::from(p[1]) + rtc[1], f64::from(p[2]) + rtc[2]]);
    let enu = if georeferenced { frame.ecef_to_enu(world) } else { world };
    [enu[0] as f32, enu[1] as f32, enu[2] as f32]
}

fn load_tile(tileset: &Tileset, index: usize, georeferenced: bool, frame: EnuFrame) -> Option<impl Future<Output = Result<TileData, String>> + Send + 'static> {
    let tile = tileset.tiles.get(index)?;
    let path = tile.content.clone()?;
    let transform = tile.transform;
    Some(async move {
        match read_content(&path).map_err(|e| e.to_string())? {
            Content::Model { mut model, rtc_center, .. } => {
                for p in &mut model.primitives {
                    for v in &mut p.positions {
                        *v = to_layer(&transform, rtc_center, georeferenced, &frame, *v);
                    }
                    // Normals: the same rotation, without translation.
                    let origin = to_layer(&transform, rtc_center, georeferenced, &frame, [0.0; 3]);
                    for n in &mut p.normals {
                        let t = to_layer(&transform, rtc_center, georeferenced, &frame, *n);
                        let d = [t[0] - origin[0], t[1] - origin[1], t[2] - origin[2]];
                        let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt().max(1e-12);
                        *n = [d[0] / len, d[1] / len, d[2] / len];
                    }
                }
                Ok(TileData::Model(model))
            }
            Content::Points(points) => {
                let positions = points
                    .positions
                    .iter()
                    .map(|p| {
                        let world = transform_point(&transform, *p);
                        let enu = if georeferenced { frame.ecef_to_enu(world) } else { world };
                        [enu[0] as f32, enu[1] as f32, enu[2] as f32]
                    })
                    .collect();
                let colors = points
                    .colors
                    .iter()
                    .map(|c| {
                        let s = |v: u8| bevy::color::Color::srgb_u8(v, v, v).to_linear().red;
                        [s(c[0]), s(c[1]), s(c[2]), f32::from(c[3]) / 255.0]
                    })
                    .collect();
                Ok(TileData::Points { positions, colors })
            }
        }
    })
}

fn bytes_of(data: &TileData) -> usize {
    match data {
        TileData::Model(m) => {
            m.primitives.iter().map(|p| p.positions.len() * 32 + p.indices.len() * 4).sum::<usize>() + m.textures.iter().map(|t| t.rgba.len()).sum::<usize>()
        }
        TileData::Points { positions, .. } => positions.len() * 28,
    }
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
pub(crate) fn stream_tilesets(
    mut commands: Commands,
    cameras: Query<(&Camera, &GlobalTransform, &Projection), With<Camera3d>>,
    mut layers: Query<(Entity, &LayerRoot, &GlobalTransform, &mut TilesetLayer)>,
    mut visibility: Query<&mut Visibility>,
    mut states: ResMut<LayerStates>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: Option<ResMut<Assets<Image>>>,
) {
    let Some((camera, eye_transform, projection)) = cameras.iter().next() else { return };
    let fov = match projection {
        Projection::Perspective(p) => f64::from(p.fov),
        _ => 1.0,
    };
    let ppr = camera.physical_viewport_size().map_or(720.0, |s| f64::from(s.y)) / fov.max(1e-3);
    for (root_entity, root, root_transform, mut layer) in &mut layers {
        let layer = &mut *layer;
        layer.frame_number += 1;
        // Finished loads become hidden entities.
        let finished: Vec<usize> = layer.loading.iter_mut().filter_map(|(i, task)| check_ready(task).map(|r| (*i, r))).map(|(i, r)| {
            match r {
                Ok(data) => {
                    let bytes = bytes_of(&data);
                    let entity = commands.spawn((Name::new(format!("tile {i}")), Transform::IDENTITY, Visibility::Hidden)).id();
                    commands.entity(root_entity).add_child(entity);
                    match data {
                        TileData::Model(model) => {
                            crate::model::spawn_model(&mut commands, entity, &model, sontinh_scene::Anchor::Origin, &mut meshes, &mut materials, images.as_deref_mut());
                        }
                        TileData::Points { positions, colors } => {
                            let positions: Vec<[f32; 3]> = positions.iter().map(|p| enu_to_world([f64::from(p[0]), f64::from(p[1]), f64::from(p[2])]).to_array()).collect();
                            let mesh = Mesh::new(PrimitiveTopology::PointList, RenderAssetUsages::RENDER_WORLD)
                                .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
                                .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colors);
                            let child = commands
                                .spawn((
                                    Mesh3d(meshes.add(mesh)),
                                    MeshMaterial3d(materials.add(StandardMaterial {
                                        base_color: Color::WHITE,
                                        unlit: true,
                                        ..default()
                                    })),
                                    Transform::IDENTITY,
                                ))
                                .id();
                            commands.entity(entity).add_child(child);
                        }
                    }
                    layer.held_bytes += bytes;
                    layer.peak_bytes = layer.peak_bytes.max(layer.held_bytes);
                    layer.loaded.insert(i, LoadedTile { entity, bytes, last_drawn: 0 });
                }
                Err(why) => {
                    warn!("tile {i}: {why}");
                    layer.failed.insert(i, why);
                }
            }
            i
        }).collect();
        for i in finished {
            layer.loading.remove(&i);
        }

        // Where the camera is, in tileset coordinates.
        let eye_local = root_transform.affine().inverse().transform_point3(eye_transform.translation());
        let eye_enu = world_to_enu(eye_local);
        let eye = if layer.georeferenced { layer.frame.enu_to_ecef(eye_enu) } else { eye_enu };
        let view = View { eye, pixels_per_radian: ppr, max_error_px: MAX_TILE_ERROR_PX };
        let (draw, wanted) = {
            let loaded = &layer.loaded;
            let failed = &layer.failed;
            // A failed tile counts as ready (nothing to wait for): its error is reported.
            sontinh_tiles::select(&layer.tileset, &view, &|i| loaded.contains_key(&i) || failed.contains_key(&i))
        };
        let now = layer.frame_number;
        let draw: std::collections::HashSet<usize> = draw.into_iter().collect();
        for &i in &draw {
            if let Some(t) = layer.loaded.get_mut(&i) {
                t.last_drawn = now;
            }
        }
        for (i, t) in &layer.loaded {
            if let Ok(mut v) = visibility.get_mut(t.entity) {
                let wanted_v = if draw.contains(i) { Visibility::Inherited } else { Visibility::Hidden };
                if *v != wanted_v {
                    *v = wanted_v;
                }
            }
        }
        let pool = AsyncComputeTaskPool::get();
        for &i in &wanted {
            if layer.loading.len() >= PARALLEL_LOADS {
                break;
            }
            if layer.loading.contains_key(&i) || layer.loaded.contains_key(&i) || layer.failed.contains_key(&i) {
                continue;
            }
            if let Some(future) = load_tile(&layer.tileset, i, layer.georeferenced, layer.frame) {
                layer.loading.insert(i, pool.spawn(future));
            }
        }
        // Over budget: drop what was drawn longest ago, never what is drawn now.
        if layer.held_bytes > TILESET_BUDGET_BYTES {
            let mut old: Vec<(u64, usize)> = layer.loaded.iter().filter(|(i, _)| !draw.contains(i)).map(|(i, t)| (t.last_drawn, *i)).collect();
            old.sort_unstable();
            for (_, i) in old {
                if layer.held_bytes <= TILESET_BUDGET_BYTES {
                    break;
                }
                if let Some(t) = layer.loaded.remove(&i) {
                    commands.entity(t.entity).despawn();
                    layer.held_bytes -= t.bytes;
                }
            }
        }
        if let Some(state) = states.layers.get_mut(root.index)
            && !matches!(state.status, LayerStatus::Failed(_))
        {
            let pending = wanted.len() + layer.loading.len();
            state.status = if pending == 0 {
                LayerStatus::Ready
            } else {
                LayerStatus::Loading(layer.loaded.len() as f32 / (layer.loaded.len() + pending) as f32)
            };
        }
    }
}

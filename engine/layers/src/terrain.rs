//! Terrain layers: every chunk of every level is an entity; each frame the
//! chunks whose screen-space error is small enough from the camera are shown
//! and the rest hidden (`sontinh_terrain::select`).

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use sontinh_scene::{Drape, LayerSource};
use sontinh_terrain::{Chunk, DrapeRequest, Terrain};

use crate::{mesh_from_part, world_to_enu};

/// One chunk of a terrain layer, kept for level-of-detail selection.
#[derive(Component, Debug)]
pub struct TerrainChunk {
    pub level: u8,
    pub ix: u32,
    pub iy: u32,
}

/// The chunks of one terrain layer (on the layer's root entity).
#[derive(Component)]
pub(crate) struct TerrainLod {
    chunks: Vec<Chunk>,
    entities: Vec<Entity>,
}

/// The terrain crate's request for a layer's drape: its photo and CRS.
pub(crate) fn drape_request(drape: &Drape) -> Result<DrapeRequest, String> {
    match &drape.source {
        LayerSource::File(path) => Ok(DrapeRequest { photo: path.clone(), crs: drape.crs }),
        LayerSource::Missing { reason, .. } => Err(reason.clone()),
        LayerSource::Generator(g) => Err(format!("a drape cannot be generated ({})", g.id())),
        LayerSource::Service(url) => Err(format!("a drape is a file, not a service ({url})")),
    }
}

/// Largest error on screen before a chunk is refined, pixels.
pub const MAX_SCREEN_ERROR_PX: f64 = 2.0;

pub(crate) fn spawn_chunks(
    commands: &mut Commands,
    root: Entity,
    terrain: &Terrain,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<crate::SceneMaterial>,
    images: Option<&mut Assets<Image>>,
) {
    // Draped: the photo is the colour (no vertex tint); else the vertex colours.
    let drape = terrain.drape.as_ref().zip(images).map(|(d, images)| {
        images.add(Image::new(
            Extent3d {
                width: d.width as u32,
                height: d.height as u32,
                depth_or_array_layers: 1,
            },
            TextureDimension::D2,
            d.rgba.clone(),
            TextureFormat::Rgba8UnormSrgb,
            RenderAssetUsages::RENDER_WORLD,
        ))
    });
    let material = materials.add(crate::scene_material(StandardMaterial {
        base_color: Color::WHITE,
        base_color_texture: drape.clone(),
        perceptual_roughness: 0.95,
        reflectance: 0.1,
        ..default()
    }));
    let mut entities = Vec::with_capacity(terrain.chunks.len());
    for chunk in &terrain.chunks {
        let e = commands
            .spawn((
                Name::new(format!("terrain chunk L{} ({}, {})", chunk.level, chunk.ix, chunk.iy)),
                TerrainChunk {
                    level: chunk.level,
                    ix: chunk.ix,
                    iy: chunk.iy,
                },
                Mesh3d(meshes.add(chunk_mesh(chunk, drape.is_some()))),
                MeshMaterial3d(material.clone()),
                Transform::IDENTITY,
                // Shown by the selection; the coarsest until the first one runs.
                if chunk.level + 1 == terrain.levels { Visibility::Inherited } else { Visibility::Hidden },
            ))
            .id();
        commands.entity(root).add_child(e);
        entities.push(e);
    }
    // The meshes now live in the assets; keep the selection data without them.
    let chunks = terrain
        .chunks
        .iter()
        .map(|c| Chunk {
            mesh: sontinh_procgen::MeshData::default(),
            uvs: Vec::new(),
            ..c.clone()
        })
        .collect();
    commands.entity(root).insert(TerrainLod {
        chunks,
        entities,
    });
}

fn chunk_mesh(chunk: &Chunk, draped: bool) -> Mesh {
    let mesh = mesh_from_part(&chunk.mesh);
    if draped {
        mesh.with_removed_attribute(Mesh::ATTRIBUTE_COLOR).with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, chunk.uvs.clone())
    } else {
        mesh
    }
}

pub(crate) fn select_terrain_chunks(
    cameras: Query<(&Camera, &GlobalTransform, &Projection), With<Camera3d>>,
    layers: Query<(&TerrainLod, &GlobalTransform)>,
    mut visibility: Query<&mut Visibility, With<TerrainChunk>>,
) {
    let Some((camera, transform, projection)) = cameras.iter().next() else { return };
    let fov = match projection {
        Projection::Perspective(p) => f64::from(p.fov),
        _ => 1.0,
    };
    let height_px = camera.physical_viewport_size().map_or(720.0, |s| f64::from(s.y));
    let pixels_per_radian = height_px / fov.max(1e-3);
    for (lod, root) in &layers {
        // In the layer's own frame, which the floating origin moves.
        let eye = world_to_enu(root.affine().inverse().transform_point3(transform.translation()));
        let shown = sontinh_terrain::select(&lod.chunks, eye, pixels_per_radian, MAX_SCREEN_ERROR_PX);
        for (entity, show) in lod.entities.iter().zip(shown) {
            if let Ok(mut v) = visibility.get_mut(*entity) {
                let wanted = if show { Visibility::Inherited } else { Visibility::Hidden };
                if *v != wanted {
                    *v = wanted;
                }
            }
        }
    }
}

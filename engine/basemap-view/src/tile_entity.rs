//! A tile's entity (its patch as a mesh, its texture, its material) and
//! what the streaming says about a layer.

use bevy::asset::RenderAssetUsages;
use bevy::image::{ImageAddressMode, ImageSampler, ImageSamplerDescriptor};
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use sontinh_basemap::{TileId, TileImage};
use sontinh_camera::GeoPosition;
use sontinh_layers::{SceneMaterial, enu_to_world, scene_material};

use crate::{BasemapLayer, BasemapTile, CELLS, Ground, MAX_CELLS, Patch, Resident, TileSource, patch};

/// Whether showing nothing means something is wrong: a tile failed, or a
/// service answered 404 for every tile asked (a file may just not cover the view).
pub(crate) fn nothing_is_an_error(layer: &BasemapLayer) -> bool {
    !layer.failed.is_empty() || matches!(&*layer.source, TileSource::Service(_)) && !layer.absent.is_empty()
}

/// Why a layer that settled shows nothing: its first failure, or the tiles it lacks.
pub(crate) fn nothing_drawn(layer: &BasemapLayer, id: &str) -> String {
    if let Some((tile, why)) = layer.failed.iter().min_by_key(|(t, _)| **t) {
        return format!("base map \"{id}\": tile {tile}: {why}");
    }
    let example = layer.selection.first().map(|s| s.tile);
    let address = match (&*layer.source, example) {
        (TileSource::Service(template), Some(t)) => format!(" (the service answered 404 for {})", template.address(t)),
        _ => String::new(),
    };
    format!(
        "base map \"{id}\": no tile where the view is, down to zoom {}{address}",
        layer.zooms.0
    )
}

/// A tile's patch: on the ellipsoid, or over the DEM as finely as its cells (height 0 off it).
pub(crate) fn tile_patch(frame: &sontinh_geo::EnuFrame, tile: TileId, ground: Option<&Ground>) -> Patch {
    match ground {
        // Chords of neighbours of other zooms part by millimetres over the ellipsoid.
        None => patch(frame, tile, CELLS, 1.0, &|_, _| 0.0),
        Some(g) => {
            let (_, lat) = sontinh_basemap::tile_to_lon_lat(tile.z, f64::from(tile.x) + 0.5, f64::from(tile.y) + 0.5);
            let cells = (sontinh_basemap::tile_size_m(tile.z, lat) / g.cell_m)
                .ceil()
                .clamp(f64::from(CELLS), f64::from(MAX_CELLS)) as u32;
            // Over a DEM, neighbours' edges differ by up to what a cell's interpolation misses.
            let skirt = (sontinh_basemap::tile_size_m(tile.z, lat) / f64::from(cells)).max(5.0);
            patch(frame, tile, cells, skirt, &|lon, lat| g.height(lon, lat).unwrap_or(0.0))
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn spawn_tile(
    commands: &mut Commands,
    layer: usize,
    tile: TileId,
    image: &TileImage,
    p: Patch,
    opacity: f32,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<SceneMaterial>,
    images: &mut Assets<Image>,
) -> Resident {
    let mut texture = Image::new(
        Extent3d {
            width: image.width,
            height: image.height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        image.rgba.clone(),
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    // Clamped: a tile's edge must not blend with its opposite edge (seams, and skirts coloured from the far side).
    texture.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        address_mode_u: ImageAddressMode::ClampToEdge,
        address_mode_v: ImageAddressMode::ClampToEdge,
        ..ImageSamplerDescriptor::linear()
    });
    let texture = images.add(texture);
    let (entity, material, vertex_bytes) = spawn_patch(
        commands,
        BasemapTile { layer, tile },
        p,
        texture.clone(),
        opacity,
        meshes,
        materials,
    );
    Resident {
        entity,
        material,
        texture,
        bytes: vertex_bytes + image.rgba.len() as u64,
        last_drawn: 0,
    }
}

/// A patch drawn with `texture` (hidden until the streaming shows it): its entity, material and vertex bytes.
pub(crate) fn spawn_patch(
    commands: &mut Commands,
    marker: BasemapTile,
    p: Patch,
    texture: Handle<Image>,
    opacity: f32,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<SceneMaterial>,
) -> (Entity, Handle<SceneMaterial>, u64) {
    let positions: Vec<[f32; 3]> = p.positions.iter().map(|q| enu_to_world(*q).to_array()).collect();
    let normals = vec![[0.0f32, 1.0, 0.0]; positions.len()];
    let vertex_bytes = (positions.len() * (12 + 12 + 8) + p.indices.len() * 4) as u64;
    let mesh = Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
        .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, p.uvs)
        .with_inserted_indices(Indices::U32(p.indices));
    let material = materials.add(scene_material(StandardMaterial {
        base_color: Color::WHITE.with_alpha(opacity),
        base_color_texture: Some(texture),
        // A map is read, not lit: its colours as the service drew them.
        unlit: true,
        // Skirts face either way.
        cull_mode: None,
        alpha_mode: if opacity < 0.999 { AlphaMode::Blend } else { AlphaMode::Opaque },
        ..default()
    }));
    let entity = commands
        .spawn((
            Name::new(format!("base map tile {}", marker.tile)),
            marker,
            Mesh3d(meshes.add(mesh)),
            MeshMaterial3d(material.clone()),
            Transform::from_translation(Vec3::ZERO),
            GeoPosition(p.centre),
            Visibility::Hidden,
        ))
        .id();
    (entity, material, vertex_bytes)
}

/// `area`'s patch textured with the part of `source`'s image over it (an
/// ancestor's image stretched, where the source has no tile of its own).
pub(crate) fn part_patch(frame: &sontinh_geo::EnuFrame, area: TileId, source: TileId, ground: Option<&Ground>) -> Patch {
    let mut p = tile_patch(frame, area, ground);
    let k = f64::from(1u32 << area.z.saturating_sub(source.z).min(31));
    let (ox, oy) = (
        f64::from(area.x) - f64::from(source.x) * k,
        f64::from(area.y) - f64::from(source.y) * k,
    );
    for uv in &mut p.uvs {
        *uv = [((ox + f64::from(uv[0])) / k) as f32, ((oy + f64::from(uv[1])) / k) as f32];
    }
    p
}

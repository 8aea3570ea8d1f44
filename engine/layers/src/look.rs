//! How the generated Citadel looks: PBR materials per part with textures
//! made in code (brick courses, grass, stone slabs, water ripples: seeded,
//! deterministic, small, mipmapped, so no file and no licence), texture
//! coordinates projected from each face's direction, and its trees drawn as
//! instances of one mesh.

use bevy::asset::RenderAssetUsages;
use bevy::image::{ImageAddressMode, ImageFilterMode, ImageSampler, ImageSamplerDescriptor};
use bevy::mesh::VertexAttributeValues;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use sontinh_procgen::{MeshData, Part, Surface, citadel};

use crate::{LayerMaterial, Quality, SceneMaterial, mesh_from_part, scene_material};

/// Texture side, texels (a power of two: mipmapped down to 1).
const SIZE: usize = 256;
/// Metres one repeat of each texture covers.
const BRICK_REPEAT_M: f32 = 1.6;
const GRASS_REPEAT_M: f32 = 9.0;
const STONE_REPEAT_M: f32 = 4.0;
const WATER_REPEAT_M: f32 = 7.0;

/// The Citadel's textures, made once per app.
#[derive(Resource, Clone)]
pub(crate) struct CitadelTextures {
    brick: Handle<Image>,
    brick_normal: Handle<Image>,
    grass: Handle<Image>,
    stone: Handle<Image>,
    water_normal: Handle<Image>,
}

impl CitadelTextures {
    fn make(images: &mut Assets<Image>) -> Self {
        let colour = |images: &mut Assets<Image>, texels: Vec<[f32; 3]>| images.add(image(&texels, true));
        let normal = |images: &mut Assets<Image>, heights: Vec<f32>, strength: f32| images.add(image(&normals_from_heights(&heights, strength), false));
        let (brick, brick_height) = brick_texels();
        CitadelTextures {
            brick: colour(images, brick),
            brick_normal: normal(images, brick_height, 2.5),
            grass: colour(images, grass_texels()),
            stone: colour(images, stone_texels()),
            water_normal: normal(images, water_heights(), 1.2),
        }
    }
}

/// Spawns the generated parts under the layer's root `entity`, each with
/// its material, and the trees (as many as `quality` draws).
#[allow(clippy::too_many_arguments)] // the generated parts, their materials and the quality: what one spawn needs
pub(crate) fn spawn_citadel(
    commands: &mut Commands,
    entity: Entity,
    parts: &[Part],
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<SceneMaterial>,
    images: Option<&mut Assets<Image>>,
    textures: Option<&CitadelTextures>,
    quality: Quality,
) -> Option<CitadelTextures> {
    let made = match (textures, images) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(images)) => Some(CitadelTextures::make(images)),
        (None, None) => None,
    };
    for part in parts {
        let (material, repeat_m, normal_mapped) = material_for(part, made.as_ref());
        let mut mesh = mesh_from_part(&part.mesh);
        if let Some(repeat_m) = repeat_m {
            mesh.insert_attribute(Mesh::ATTRIBUTE_UV_0, face_uvs(&part.mesh, repeat_m));
        }
        let mut material = material;
        if normal_mapped && mesh.generate_tangents().is_err() {
            warn!("citadel part {}: no tangents, drawn without its normal map", part.name);
            material.normal_map_texture = None;
        }
        let base_alpha = material.base_color.alpha();
        commands.entity(entity).with_child((
            Name::new(part.name),
            Mesh3d(meshes.add(mesh)),
            MeshMaterial3d(materials.add(scene_material(material))),
            LayerMaterial { base_alpha },
            Transform::IDENTITY,
        ));
    }
    spawn_trees(commands, entity, meshes, materials, quality);
    made
}

/// The material of one part, how many metres its texture repeats over
/// (`None`: no texture), and whether it has a normal map.
fn material_for(part: &Part, textures: Option<&CitadelTextures>) -> (StandardMaterial, Option<f32>, bool) {
    let t = textures;
    match (part.surface, part.name) {
        (Surface::Water, _) => (
            // Water: a dark body that mirrors the sky at grazing angles
            // (Fresnel through the environment map), small ripples.
            StandardMaterial {
                base_color: Color::WHITE,
                perceptual_roughness: 0.06,
                reflectance: 0.35,
                normal_map_texture: t.map(|t| t.water_normal.clone()),
                ..default()
            },
            t.map(|_| WATER_REPEAT_M),
            t.is_some(),
        ),
        (_, "walls" | "gates") => (
            StandardMaterial {
                base_color: Color::WHITE,
                base_color_texture: t.map(|t| t.brick.clone()),
                normal_map_texture: t.map(|t| t.brick_normal.clone()),
                perceptual_roughness: 0.88,
                reflectance: 0.3,
                ..default()
            },
            t.map(|_| BRICK_REPEAT_M),
            t.is_some(),
        ),
        (_, "memorial") => (
            StandardMaterial {
                base_color: Color::WHITE,
                base_color_texture: t.map(|t| t.stone.clone()),
                perceptual_roughness: 0.55,
                reflectance: 0.45,
                ..default()
            },
            t.map(|_| STONE_REPEAT_M),
            false,
        ),
        _ => (
            // The ground: grass and fields, earth where the banks are cut.
            StandardMaterial {
                base_color: Color::WHITE,
                base_color_texture: t.map(|t| t.grass.clone()),
                perceptual_roughness: 0.95,
                reflectance: 0.25,
                ..default()
            },
            t.map(|_| GRASS_REPEAT_M),
            false,
        ),
    }
}

/// Crown tints of the trees (their vertex colours carry the green).
const TREE_TINTS: [[f32; 3]; citadel::TREE_TONES as usize] = [[1.0, 1.0, 1.0], [0.80, 0.90, 0.78], [1.0, 0.94, 0.72]];

/// The trees: one mesh, a material per tone, an entity per tree (drawn
/// instanced, Bevy batching equal meshes and materials).
fn spawn_trees(commands: &mut Commands, entity: Entity, meshes: &mut Assets<Mesh>, materials: &mut Assets<SceneMaterial>, quality: Quality) {
    let sites = citadel::tree_sites(&citadel::Layout::default());
    let count = ((sites.len() as f32 * quality.settings().tree_share).round() as usize).min(sites.len());
    let mesh = meshes.add(mesh_from_part(&citadel::tree_mesh()));
    let tones: Vec<Handle<SceneMaterial>> = TREE_TINTS
        .iter()
        .map(|[r, g, b]| {
            materials.add(scene_material(StandardMaterial {
                base_color: Color::linear_rgb(*r, *g, *b),
                perceptual_roughness: 0.9,
                reflectance: 0.2,
                ..default()
            }))
        })
        .collect();
    commands.entity(entity).with_children(|parent| {
        for site in &sites[..count] {
            let [x, y, z] = site.position;
            parent.spawn((
                Name::new("tree"),
                Mesh3d(mesh.clone()),
                MeshMaterial3d(tones[usize::from(site.tone).min(tones.len() - 1)].clone()),
                LayerMaterial { base_alpha: 1.0 },
                Transform {
                    translation: Vec3::new(x, z, -y),
                    rotation: Quat::from_rotation_y(site.heading),
                    scale: Vec3::splat(site.height_m),
                },
            ));
        }
    });
}

/// Texture coordinates projected along each vertex's normal (box mapping in
/// ENU metres): tops from above, walls from the side they face, so that
/// brick courses run level.
pub(crate) fn face_uvs(data: &MeshData, repeat_m: f32) -> VertexAttributeValues {
    let uvs: Vec<[f32; 2]> = data
        .positions
        .iter()
        .zip(&data.normals)
        .map(|(p, n)| {
            let (u, v) = if n[2].abs() > 0.7 {
                (p[0], -p[1])
            } else if n[0].abs() > n[1].abs() {
                (p[1] * n[0].signum(), -p[2])
            } else {
                (-p[0] * n[1].signum(), -p[2])
            };
            [u / repeat_m, v / repeat_m]
        })
        .collect();
    VertexAttributeValues::Float32x2(uvs)
}

/// A tileable hash of a lattice point, 0..1.
fn hash(x: i64, y: i64, seed: u32) -> f32 {
    let mut h = (x as u32).wrapping_mul(0x8da6_b343) ^ (y as u32).wrapping_mul(0xd816_3841) ^ seed.wrapping_mul(0xcb1a_b31f);
    h ^= h >> 13;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 16;
    (h & 0xffff) as f32 / 65535.0
}

/// Smooth value noise with `cells` cells across the texture, wrapping at its edges.
fn noise(x: f32, y: f32, cells: usize, seed: u32) -> f32 {
    let (fx, fy) = (x * cells as f32 / SIZE as f32, y * cells as f32 / SIZE as f32);
    let (x0, y0) = (fx.floor(), fy.floor());
    let (tx, ty) = (fx - x0, fy - y0);
    let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
    let c = cells as i64;
    let at = |i: f32, j: f32| hash((i as i64).rem_euclid(c), (j as i64).rem_euclid(c), seed);
    let top = at(x0, y0) + (at(x0 + 1.0, y0) - at(x0, y0)) * sx;
    let bottom = at(x0, y0 + 1.0) + (at(x0 + 1.0, y0 + 1.0) - at(x0, y0 + 1.0)) * sx;
    top + (bottom - top) * sy
}

fn fbm(x: f32, y: f32, seed: u32) -> f32 {
    (noise(x, y, 4, seed) * 0.5 + noise(x, y, 16, seed + 1) * 0.3 + noise(x, y, 64, seed + 2) * 0.2).clamp(0.0, 1.0)
}

/// Brick courses laid in stretcher bond: 4 bricks of 64 texels a course,
/// 16 courses of 16 texels (0.4 × 0.1 m at [`BRICK_REPEAT_M`]); each brick
/// its own tone, weathered, light mortar. Also the height for the normal map.
fn brick_texels() -> (Vec<[f32; 3]>, Vec<f32>) {
    let mut colour = Vec::with_capacity(SIZE * SIZE);
    let mut height = Vec::with_capacity(SIZE * SIZE);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let course = y / 16;
            let shifted = (x + if course % 2 == 1 { 32 } else { 0 }) % SIZE;
            let (bx, by) = (shifted % 64, y % 16);
            let brick = shifted / 64;
            let edge = bx.min(63 - bx).min(by.min(15 - by)) as f32;
            let mortar = edge < 1.5;
            let weather = fbm(x as f32, y as f32, 7);
            let grain = hash(x as i64, y as i64, 3) * 0.08;
            let tone = 0.72 + 0.28 * hash(brick as i64, course as i64, 11);
            let c = if mortar {
                let m = 0.78 + grain;
                [m * 1.25, m * 1.45, m * 1.5]
            } else {
                let k = tone * (0.82 + 0.18 * weather) - grain;
                // Some bricks burnt darker, some paler.
                [k, k * (0.92 + 0.1 * hash(brick as i64, course as i64, 5)), k * 0.9]
            };
            colour.push(c.map(|v| v.clamp(0.0, 1.0)));
            height.push(if mortar { 0.0 } else { (edge / 3.0).min(1.0) * (0.85 + 0.15 * weather) });
        }
    }
    (colour, height)
}

fn grass_texels() -> Vec<[f32; 3]> {
    (0..SIZE * SIZE)
        .map(|i| {
            let (x, y) = ((i % SIZE) as f32, (i / SIZE) as f32);
            let n = fbm(x, y, 21);
            let blade = hash(i as i64, 0, 23);
            let l = 0.62 + 0.28 * n + 0.1 * blade;
            [l * (0.92 + 0.1 * noise(x, y, 8, 29)), l, l * 0.85]
        })
        .collect()
}

/// Pale stone slabs a metre across (64 texels), each its own tone.
fn stone_texels() -> Vec<[f32; 3]> {
    (0..SIZE * SIZE)
        .map(|i| {
            let (x, y) = (i % SIZE, i / SIZE);
            let joint = x % 64 < 1 || y % 64 < 1;
            let slab = hash((x / 64) as i64, (y / 64) as i64, 31);
            let l = if joint { 0.7 } else { 0.86 + 0.1 * slab + 0.04 * fbm(x as f32, y as f32, 37) };
            [l, l * 0.99, l * 0.96]
        })
        .collect()
}

/// Ripples: a few waves that tile, and fine noise.
fn water_heights() -> Vec<f32> {
    let tau = std::f32::consts::TAU;
    (0..SIZE * SIZE)
        .map(|i| {
            let (x, y) = ((i % SIZE) as f32 / SIZE as f32, (i / SIZE) as f32 / SIZE as f32);
            0.35 * (tau * (3.0 * x + 2.0 * y)).sin() + 0.25 * (tau * (-2.0 * x + 5.0 * y)).sin() + 0.15 * (tau * (7.0 * x - 3.0 * y)).sin() + 0.25 * fbm(x * SIZE as f32, y * SIZE as f32, 41)
        })
        .collect()
}

/// A tangent-space normal map (0..1 encoded) from heights that wrap.
fn normals_from_heights(heights: &[f32], strength: f32) -> Vec<[f32; 3]> {
    let at = |x: usize, y: usize| heights[(y % SIZE) * SIZE + (x % SIZE)];
    (0..SIZE * SIZE)
        .map(|i| {
            let (x, y) = (i % SIZE, i / SIZE);
            let dx = (at(x + 1, y) - at(x + SIZE - 1, y)) * strength;
            let dy = (at(x, y + 1) - at(x, y + SIZE - 1)) * strength;
            let n = Vec3::new(-dx, -dy, 2.0).normalize();
            [n.x * 0.5 + 0.5, n.y * 0.5 + 0.5, n.z * 0.5 + 0.5]
        })
        .collect()
}

/// An RGBA8 image of `SIZE`² texels with every mip level (2 × 2 box
/// filter), repeating, filtered trilinearly and anisotropically.
fn image(texels: &[[f32; 3]], srgb: bool) -> Image {
    let encode = |v: f32| -> u8 {
        let v = if srgb { Color::linear_rgb(v, v, v).to_srgba().red } else { v };
        (v.clamp(0.0, 1.0) * 255.0).round() as u8
    };
    let mut level: Vec<[f32; 3]> = texels.to_vec();
    let mut side = SIZE;
    let mut data = Vec::with_capacity(SIZE * SIZE * 4 * 4 / 3 + 16);
    let mut levels = 0;
    loop {
        for t in &level {
            data.extend_from_slice(&[encode(t[0]), encode(t[1]), encode(t[2]), 255]);
        }
        levels += 1;
        if side == 1 {
            break;
        }
        let half = side / 2;
        level = (0..half * half)
            .map(|i| {
                let (x, y) = ((i % half) * 2, (i / half) * 2);
                let mut sum = [0.0f32; 3];
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let t = level[(y + dy) * side + x + dx];
                    for k in 0..3 {
                        sum[k] += t[k] / 4.0;
                    }
                }
                sum
            })
            .collect();
        side = half;
    }
    let format = if srgb { TextureFormat::Rgba8UnormSrgb } else { TextureFormat::Rgba8Unorm };
    let mut image = Image::new(
        Extent3d {
            width: SIZE as u32,
            height: SIZE as u32,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        data[..SIZE * SIZE * 4].to_vec(),
        format,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.data = Some(data);
    image.texture_descriptor.mip_level_count = levels;
    image.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        address_mode_u: ImageAddressMode::Repeat,
        address_mode_v: ImageAddressMode::Repeat,
        mag_filter: ImageFilterMode::Linear,
        min_filter: ImageFilterMode::Linear,
        mipmap_filter: ImageFilterMode::Linear,
        anisotropy_clamp: 8,
        ..default()
    });
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textures_are_the_same_every_time_and_tile() {
        let (a, _) = brick_texels();
        let (b, _) = brick_texels();
        assert_eq!(a, b, "seeded: the same texels each run");
        assert_eq!(grass_texels(), grass_texels());
        // Wrapping noise: the left column continues the right one.
        let g = grass_texels();
        let step: f32 = (0..SIZE).map(|y| (g[y * SIZE][1] - g[y * SIZE + SIZE - 1][1]).abs()).sum::<f32>() / SIZE as f32;
        assert!(step < 0.12, "seam {step}");
        let img = image(&a, true);
        assert_eq!(img.texture_descriptor.mip_level_count, 9);
        let bytes: usize = (0..9).map(|k| (SIZE >> k) * (SIZE >> k) * 4).sum();
        assert_eq!(img.data.as_ref().map(Vec::len), Some(bytes));
        // Bricks read red-brown against lighter mortar under the wall's vertex colour.
        let mortar = a[0];
        let brick = a[8 * SIZE + 30];
        assert!(mortar[2] > brick[2], "mortar {mortar:?} brick {brick:?}");
    }

    #[test]
    fn face_uvs_keep_courses_level_on_every_wall() {
        let mut m = MeshData::default();
        m.push_box(
            &sontinh_procgen::Footprint {
                center: [10.0, 5.0],
                along: [0.6, 0.8],
                length: 8.0,
                width: 2.0,
            },
            0.0,
            4.0,
            [1.0; 4],
        );
        let VertexAttributeValues::Float32x2(uv) = face_uvs(&m, 2.0) else { panic!("uvs") };
        // On each side face (quads after the 4 top corners), v follows height alone.
        for q in 0..4 {
            let base = 4 + q * 4;
            for k in 0..4 {
                assert!((uv[base + k][1] + m.positions[base + k][2] / 2.0).abs() < 1e-5);
            }
        }
    }
}

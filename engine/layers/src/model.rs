//! Mesh layers: a GLB model's primitives as entities with PBR materials and
//! their textures, under the layer root (which carries the placement).

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use sontinh_mesh::Model;
use sontinh_scene::Anchor;

fn enu_vec(v: [f32; 3]) -> [f32; 3] {
    [v[0], v[2], -v[1]]
}

fn texture(t: &sontinh_mesh::Texture, srgb: bool) -> Image {
    Image::new(
        Extent3d {
            width: t.width,
            height: t.height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        t.rgba.clone(),
        if srgb { TextureFormat::Rgba8UnormSrgb } else { TextureFormat::Rgba8Unorm },
        RenderAssetUsages::RENDER_WORLD,
    )
}

/// The primitive's tangents, made where it was decoded (a worker in the
/// browser; `Model::add_tangents` whenever a model is read), carried into
/// the renderer's axes; the mesh unchanged when the decoder could make none
/// (the same MikkTSpace would fail here too).
fn with_tangents(mesh: Mesh, p: &sontinh_mesh::Primitive) -> Mesh {
    if p.tangents.is_empty() || p.tangents.len() != p.positions.len() {
        return mesh;
    }
    // The axes change is a rotation: the bitangent's sign stays.
    let tangents: Vec<[f32; 4]> = p
        .tangents
        .iter()
        .map(|t| {
            let [x, y, z] = enu_vec([t[0], t[1], t[2]]);
            [x, y, z, t[3]]
        })
        .collect();
    mesh.with_inserted_attribute(Mesh::ATTRIBUTE_TANGENT, tangents)
}

/// Spawns the model under `root`. With a base anchor the model is shifted so
/// that the centre of its bounds' base sits at the placement's position.
/// Without image assets (tests without a renderer) it is drawn untextured.
pub(crate) fn spawn_model(
    commands: &mut Commands,
    root: Entity,
    model: &Model,
    anchor: Anchor,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<crate::SceneMaterial>,
    mut images: Option<&mut Assets<Image>>,
) {
    let shift = match anchor {
        Anchor::Origin => [0.0; 3],
        Anchor::Base => model.base_centre(),
    };
    // Colour textures are sRGB, normal and occlusion maps linear: one image each way as used.
    let mut srgb: Vec<Option<Handle<Image>>> = vec![None; model.textures.len()];
    let mut linear: Vec<Option<Handle<Image>>> = vec![None; model.textures.len()];
    let mut get = |index: Option<usize>, want_srgb: bool, images: &mut Option<&mut Assets<Image>>| -> Option<Handle<Image>> {
        let i = index?;
        let images = images.as_deref_mut()?;
        let slot = if want_srgb { &mut srgb } else { &mut linear };
        let t = model.textures.get(i)?;
        Some(slot[i].get_or_insert_with(|| images.add(texture(t, want_srgb))).clone())
    };
    for (k, p) in model.primitives.iter().enumerate() {
        let positions: Vec<[f32; 3]> = p.positions.iter().map(|v| enu_vec([v[0] - shift[0], v[1] - shift[1], v[2] - shift[2]])).collect();
        let normals: Vec<[f32; 3]> = p.normals.iter().copied().map(enu_vec).collect();
        let mut mesh = Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD)
            .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
            .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
            .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, p.uvs.clone())
            .with_inserted_indices(Indices::U32(p.indices.clone()));
        let normal_map = get(p.material.normal_texture, false, &mut images);
        if normal_map.is_some() {
            mesh = with_tangents(mesh, p);
            if !mesh.contains_attribute(Mesh::ATTRIBUTE_TANGENT) {
                warn!("model primitive {k}: no tangents, drawn without its normal map");
            }
        }
        let c = p.material.base_color;
        let material = StandardMaterial {
            base_color: Color::linear_rgba(c[0], c[1], c[2], c[3]),
            base_color_texture: get(p.material.base_color_texture, true, &mut images),
            normal_map_texture: if mesh.contains_attribute(Mesh::ATTRIBUTE_TANGENT) { normal_map } else { None },
            occlusion_texture: get(p.material.occlusion_texture, false, &mut images),
            metallic: p.material.metallic,
            perceptual_roughness: p.material.roughness,
            double_sided: p.material.double_sided,
            cull_mode: if p.material.double_sided { None } else { Some(bevy::render::render_resource::Face::Back) },
            ..default()
        };
        let e = commands
            .spawn((
                Name::new(format!("model primitive {k}")),
                Mesh3d(meshes.add(mesh)),
                MeshMaterial3d(materials.add(crate::scene_material(material))),
                Transform::IDENTITY,
            ))
            .id();
        commands.entity(root).add_child(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tangents the decoder makes (in a worker in the browser) are the
    /// ones Bevy's own MikkTSpace would make on the drawn mesh.
    #[test]
    fn decoded_tangents_match_the_renderers_own() {
        let path = sontinh_scene::shared_file(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), "models/danish_statues/BustManWreath.glb").unwrap_or_else(|e| panic!("{e}"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let model = sontinh_mesh::read_glb(&bytes).expect("read");
        let mapped: Vec<&sontinh_mesh::Primitive> = model.primitives.iter().filter(|p| p.material.normal_texture.is_some()).collect();
        assert!(!mapped.is_empty(), "the bust has a normal map");
        for p in mapped {
            let positions: Vec<[f32; 3]> = p.positions.iter().copied().map(enu_vec).collect();
            let normals: Vec<[f32; 3]> = p.normals.iter().copied().map(enu_vec).collect();
            let plain = Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::MAIN_WORLD)
                .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
                .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
                .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, p.uvs.clone())
                .with_inserted_indices(Indices::U32(p.indices.clone()));
            let mut bevys = plain.clone();
            bevys.generate_tangents().expect("Bevy's tangents");
            let ours = with_tangents(plain, p);
            let get = |m: &Mesh| match m.attribute(Mesh::ATTRIBUTE_TANGENT) {
                Some(bevy::mesh::VertexAttributeValues::Float32x4(v)) => v.clone(),
                other => panic!("tangents: {other:?}"),
            };
            let (ours, bevys) = (get(&ours), get(&bevys));
            assert_eq!(ours.len(), bevys.len());
            let worst = ours.iter().zip(&bevys).map(|(a, b)| (0..4).map(|i| (a[i] - b[i]).abs()).fold(0.0f32, f32::max)).fold(0.0f32, f32::max);
            assert!(worst < 1e-3, "largest difference from Bevy's tangents: {worst}");
        }
    }
}

//! Sections: clip planes and a clip box that cut every layer together.
//!
//! [`Section`] (scene ENU metres, f64) says what is kept. Every material
//! this crate gives to layer geometry (generated parts, models, 3D Tiles,
//! terrain) is a [`SceneMaterial`]: Bevy's `StandardMaterial` extended by
//! [`SectionClip`], whose shaders (`section.wgsl`, `section_prepass.wgsl`,
//! sharing `section_clip.wgsl`) discard the fragments the section cuts
//! away, in the main pass, the prepass and the shadow maps. Point clouds
//! follow the same rule on the CPU ([`Section::keeps`]).
//!
//! The render world is f32 and floats with the camera
//! ([`FloatingOrigin`]), so the section is turned into render space again
//! whenever it or the origin changes, and written into every material.

use bevy::asset::{load_internal_asset, uuid_handle};
use bevy::math::{DMat4, DVec3, DVec4};
use bevy::mesh::MeshVertexBufferLayoutRef;
use bevy::pbr::{ExtendedMaterial, MaterialExtension, MaterialExtensionKey, MaterialExtensionPipeline};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, FragmentState, RenderPipelineDescriptor, ShaderType, SpecializedMeshPipelineError};
use bevy::shader::{ShaderDefVal, ShaderRef};
use sontinh_camera::FloatingOrigin;

/// Most clip planes a section has; further planes are ignored.
pub const MAX_CLIP_PLANES: usize = 4;

/// What the section cuts away; scene ENU metres (x east, y north, z up), f64.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct Section {
    /// Each plane keeps the side its normal points to: (p - point)·normal >= 0. At most MAX_CLIP_PLANES.
    pub planes: Vec<ClipPlane>,
    /// Only what lies inside this box is kept.
    pub clip_box: Option<ClipBox>,
}

/// A plane through `point`; the side `normal` points to is kept.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipPlane {
    pub point: [f64; 3],
    pub normal: [f64; 3],
}

/// A box turned about the vertical by heading_deg (clockwise from north, like the scene's headings).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipBox {
    pub center: [f64; 3],
    pub half_extent: [f64; 3],
    pub heading_deg: f64,
}

impl ClipBox {
    /// An unturned box between two corners (scene ENU, in any order).
    pub fn from_corners(a: [f64; 3], b: [f64; 3]) -> ClipBox {
        ClipBox {
            center: [0, 1, 2].map(|i| (a[i] + b[i]) / 2.0),
            half_extent: [0, 1, 2].map(|i| (a[i] - b[i]).abs() / 2.0),
            heading_deg: 0.0,
        }
    }

    /// The box's own horizontal axes in ENU: its "east" and its "north",
    /// turned clockwise (seen from above) by the heading.
    fn axes(&self) -> (DVec3, DVec3) {
        let (s, c) = self.heading_deg.to_radians().sin_cos();
        (DVec3::new(c, -s, 0.0), DVec3::new(s, c, 0.0))
    }

    /// `enu` in the box's unit coordinates: inside when every one is within ±1
    /// (see [`Section::keeps`] for the exact rule, which does not divide).
    fn local(&self, enu: [f64; 3]) -> DVec3 {
        let d = DVec3::from_array(enu) - DVec3::from_array(self.center);
        let (u, v) = self.axes();
        DVec3::new(d.dot(u), d.dot(v), d.z)
    }
}

impl Section {
    /// Whether a scene-ENU position is kept (the one rule; the shader and the point clouds follow it).
    pub fn keeps(&self, enu: [f64; 3]) -> bool {
        let p = DVec3::from_array(enu);
        let planes_keep = self.planes.iter().take(MAX_CLIP_PLANES).all(|plane| (p - DVec3::from_array(plane.point)).dot(DVec3::from_array(plane.normal)) >= 0.0);
        planes_keep
            && self.clip_box.is_none_or(|b| {
                let local = b.local(enu);
                (0..3).all(|i| local[i].abs() <= b.half_extent[i])
            })
    }

    pub fn is_empty(&self) -> bool {
        self.planes.is_empty() && self.clip_box.is_none()
    }

    /// The section in render space with the world's zero at `origin`.
    pub fn to_uniform(&self, origin: &FloatingOrigin) -> SectionUniform {
        let o = DVec3::from_array(origin.enu);
        let mut planes = [Vec4::ZERO; MAX_CLIP_PLANES];
        let mut plane_count = 0;
        for (slot, plane) in planes.iter_mut().zip(&self.planes) {
            let n = DVec3::from_array(plane.normal);
            let n = if n.length() > 0.0 { n.normalize() } else { n };
            // Relative to the origin in f64, so that far sections stay exact.
            let w = -n.dot(DVec3::from_array(plane.point) - o);
            let world = enu_dir_to_world(n);
            *slot = DVec4::new(world.x, world.y, world.z, w).as_vec4();
            plane_count += 1;
        }
        let (world_to_box, has_box) = match &self.clip_box {
            Some(b) => (world_to_box(b, o).as_mat4(), 1),
            None => (Mat4::IDENTITY, 0),
        };
        SectionUniform {
            planes,
            world_to_box,
            plane_count,
            has_box,
            padding: UVec2::ZERO,
        }
    }
}

/// ENU axes to render axes (x east, y up, z south).
fn enu_dir_to_world(v: DVec3) -> DVec3 {
    DVec3::new(v.x, v.z, -v.y)
}

/// Render space (zero at `origin`, scene ENU) to the box's unit cube.
fn world_to_box(b: &ClipBox, origin: DVec3) -> DMat4 {
    // Render → ENU relative to the origin: (x, y, z) → (x, −z, y).
    let world_to_enu = DMat4::from_cols(DVec4::new(1.0, 0.0, 0.0, 0.0), DVec4::new(0.0, 0.0, 1.0, 0.0), DVec4::new(0.0, -1.0, 0.0, 0.0), DVec4::W);
    let (u, v) = b.axes();
    let h = DVec3::from_array(b.half_extent).max(DVec3::splat(1e-9));
    // Rows: the box's axes over its half extents, about its centre (relative to the origin).
    let c = DVec3::from_array(b.center) - origin;
    let rows = [u / h.x, v / h.y, DVec3::Z / h.z];
    let enu_to_box = DMat4::from_cols(
        DVec4::new(rows[0].x, rows[1].x, rows[2].x, 0.0),
        DVec4::new(rows[0].y, rows[1].y, rows[2].y, 0.0),
        DVec4::new(rows[0].z, rows[1].z, rows[2].z, 0.0),
        DVec4::new(-rows[0].dot(c), -rows[1].dot(c), -rows[2].dot(c), 1.0),
    );
    enu_to_box * world_to_enu
}

/// The section as the shaders read it (render space). 144 bytes, a
/// multiple of 16, padded explicitly for WebGL2's uniform layout.
#[derive(Clone, Copy, Debug, ShaderType, PartialEq, Reflect)]
pub struct SectionUniform {
    /// Kept where `dot(plane.xyz, p) + plane.w >= 0`; the first `plane_count` count.
    pub planes: [Vec4; MAX_CLIP_PLANES],
    /// Render space to the box's unit cube (kept within ±1 on every axis).
    pub world_to_box: Mat4,
    pub plane_count: u32,
    /// 1 when the box applies.
    pub has_box: u32,
    pub padding: UVec2,
}

impl Default for SectionUniform {
    fn default() -> Self {
        Section::default().to_uniform(&FloatingOrigin::default())
    }
}

/// The extension of `StandardMaterial` that cuts by the section.
#[derive(Asset, AsBindGroup, Reflect, Debug, Clone, Default, PartialEq)]
pub struct SectionClip {
    /// Binding 100: slots below are the base material's.
    #[uniform(100)]
    pub section: SectionUniform,
}

/// The material of all layer geometry.
pub type SceneMaterial = ExtendedMaterial<StandardMaterial, SectionClip>;

/// A layer material from a standard one, with nothing cut yet (the
/// section is written in by the plugin before the frame is drawn).
pub fn scene_material(base: StandardMaterial) -> SceneMaterial {
    ExtendedMaterial {
        base,
        extension: SectionClip::default(),
    }
}

const SECTION_CLIP_SHADER: Handle<Shader> = uuid_handle!("7d2f3f0e-51a4-4c1b-9a3e-5b1f0c6d2e11");
const SECTION_SHADER: Handle<Shader> = uuid_handle!("7d2f3f0e-51a4-4c1b-9a3e-5b1f0c6d2e12");
const SECTION_PREPASS_SHADER: Handle<Shader> = uuid_handle!("7d2f3f0e-51a4-4c1b-9a3e-5b1f0c6d2e13");

impl MaterialExtension for SectionClip {
    fn fragment_shader() -> ShaderRef {
        SECTION_SHADER.into()
    }

    fn deferred_fragment_shader() -> ShaderRef {
        SECTION_SHADER.into()
    }

    fn prepass_fragment_shader() -> ShaderRef {
        SECTION_PREPASS_SHADER.into()
    }

    /// Bevy runs no fragment shader in depth-only prepasses and shadow maps
    /// of opaque materials, so nothing could be discarded there: cut
    /// geometry would still hide what lies behind it and cast shadows.
    /// Such pipelines get the section's prepass fragment shader.
    fn specialize(
        _pipeline: &MaterialExtensionPipeline,
        descriptor: &mut RenderPipelineDescriptor,
        _layout: &MeshVertexBufferLayoutRef,
        _key: MaterialExtensionKey<Self>,
    ) -> Result<(), SpecializedMeshPipelineError> {
        let prepass = descriptor.vertex.shader_defs.iter().any(|d| matches!(d, ShaderDefVal::Bool(name, true) if name == "PREPASS_PIPELINE"));
        if prepass && descriptor.fragment.is_none() {
            descriptor.fragment = Some(FragmentState {
                shader: SECTION_PREPASS_SHADER,
                shader_defs: descriptor.vertex.shader_defs.clone(),
                targets: Vec::new(),
                ..default()
            });
        }
        Ok(())
    }
}

/// Keeps the [`Section`] written into every [`SceneMaterial`] (added by
/// `SceneLayersPlugin`).
pub struct SectionPlugin;

impl Plugin for SectionPlugin {
    fn build(&self, app: &mut App) {
        // The shaders live in the binary (the page fetches none).
        if app.world().contains_resource::<Assets<Shader>>() {
            load_internal_asset!(app, SECTION_CLIP_SHADER, "section_clip.wgsl", Shader::from_wgsl);
            load_internal_asset!(app, SECTION_SHADER, "section.wgsl", Shader::from_wgsl);
            load_internal_asset!(app, SECTION_PREPASS_SHADER, "section_prepass.wgsl", Shader::from_wgsl);
        }
        if app.is_plugin_added::<bevy::pbr::PbrPlugin>() {
            app.add_plugins(MaterialPlugin::<SceneMaterial>::default());
        } else {
            // Without a renderer (tests): the assets only.
            app.init_asset::<SceneMaterial>();
        }
        if !app.is_plugin_added::<sontinh_camera::FloatingOriginPlugin>() {
            app.add_plugins(sontinh_camera::FloatingOriginPlugin);
        }
        app.init_resource::<Section>()
            .add_systems(PostUpdate, write_section.after(sontinh_camera::FloatingOriginSystems));
    }
}

/// Writes the section, in render space, into every material that does not
/// have it yet (after a change of the section or of the origin, or a new
/// material); an unchanged material is not touched.
pub fn write_section(section: Res<Section>, origin: Res<FloatingOrigin>, mut materials: ResMut<Assets<SceneMaterial>>, mut warned: Local<bool>) {
    if section.planes.len() > MAX_CLIP_PLANES && !*warned {
        warn!("a section has {} clip planes; only the first {MAX_CLIP_PLANES} cut", section.planes.len());
        *warned = true;
    }
    let uniform = section.to_uniform(&origin);
    // `iter_mut` would mark every material modified (and re-upload it).
    let stale: Vec<AssetId<SceneMaterial>> = materials.iter().filter(|(_, m)| m.extension.section != uniform).map(|(id, _)| id).collect();
    for id in stale {
        if let Some(mut material) = materials.get_mut(id) {
            material.extension.section = uniform;
        }
    }
}

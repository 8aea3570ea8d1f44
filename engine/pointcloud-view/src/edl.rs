//! Eye-dome lighting as a post-process pass over the 3D view of cameras that
//! carry [`EyeDomeLighting`]; see `edl.wgsl`.

use bevy::core_pipeline::{Core3dSystems, FullscreenShader, schedule::Core3d};
use bevy::prelude::*;
use bevy::render::extract_component::{ComponentUniforms, DynamicUniformIndex, ExtractComponent, ExtractComponentPlugin, UniformComponentPlugin};
use bevy::render::render_resource::binding_types::{sampler, texture_2d, uniform_buffer};
use bevy::render::render_resource::*;
use bevy::render::renderer::{RenderContext, RenderDevice, ViewQuery};
use bevy::render::view::{ViewDepthTexture, ViewTarget};
use bevy::render::{RenderApp, RenderStartup};

/// Eye-dome lighting settings of a camera. Needs `Msaa::Off` and a depth
/// texture that shaders may read (see [`EyeDomeLighting::camera_setup`]).
#[derive(Component, Clone, Copy, Debug, ExtractComponent, ShaderType, PartialEq)]
pub struct EyeDomeLighting {
    pub strength: f32,
    /// Neighbour distance in pixels.
    pub radius: f32,
    pub near: f32,
    /// 1 on, 0 off.
    pub enabled: f32,
}

impl Default for EyeDomeLighting {
    fn default() -> Self {
        Self {
            strength: 1.0,
            radius: 1.4,
            near: 0.1,
            enabled: 1.0,
        }
    }
}

pub struct EyeDomeLightingPlugin;

impl Plugin for EyeDomeLightingPlugin {
    fn build(&self, app: &mut App) {
        bevy::asset::embedded_asset!(app, "edl.wgsl");
        app.add_plugins((
            ExtractComponentPlugin::<EyeDomeLighting>::default(),
            UniformComponentPlugin::<EyeDomeLighting>::default(),
        ))
        .add_systems(PostUpdate, follow_near_plane);
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else { return };
        render_app
            .add_systems(RenderStartup, init_pipeline)
            .add_systems(Core3d, edl_pass.in_set(Core3dSystems::EarlyPostProcess));
    }
}

/// The shader turns depth into distance with the projection's near plane.
fn follow_near_plane(mut cameras: Query<(&Projection, &mut EyeDomeLighting)>) {
    for (projection, mut edl) in &mut cameras {
        if let Projection::Perspective(p) = projection
            && edl.near != p.near
        {
            edl.near = p.near;
        }
    }
}

#[derive(Resource)]
struct EdlPipeline {
    layout: BindGroupLayoutDescriptor,
    pipeline_id: CachedRenderPipelineId,
    /// Nearest, for reading depth at texel centres (see edl.wgsl: WebGL2).
    depth_sampler: Sampler,
}

fn init_pipeline(
    mut commands: Commands,
    asset_server: Res<AssetServer>,
    fullscreen: Res<FullscreenShader>,
    pipeline_cache: Res<PipelineCache>,
    render_device: Res<RenderDevice>,
) {
    let layout = BindGroupLayoutDescriptor::new(
        "eye_dome_lighting_layout",
        &BindGroupLayoutEntries::sequential(
            ShaderStages::FRAGMENT,
            (
                texture_2d(TextureSampleType::Float { filterable: false }),
                // The depth buffer as unfilterable floats (see edl.wgsl: WebGL2).
                texture_2d(TextureSampleType::Float { filterable: false }),
                uniform_buffer::<EyeDomeLighting>(true),
                sampler(SamplerBindingType::NonFiltering),
            ),
        ),
    );
    let depth_sampler = render_device.create_sampler(&SamplerDescriptor {
        label: Some("eye_dome_lighting_depth"),
        mag_filter: FilterMode::Nearest,
        min_filter: FilterMode::Nearest,
        mipmap_filter: MipmapFilterMode::Nearest,
        ..default()
    });
    let shader = asset_server.load("embedded://sontinh_pointcloud_view/edl.wgsl");
    let pipeline_id = pipeline_cache.queue_render_pipeline(RenderPipelineDescriptor {
        label: Some("eye_dome_lighting".into()),
        layout: vec![layout.clone()],
        vertex: fullscreen.to_vertex_state(),
        fragment: Some(FragmentState {
            shader,
            targets: vec![Some(ColorTargetState {
                format: TextureFormat::Rgba8UnormSrgb,
                blend: None,
                write_mask: ColorWrites::ALL,
            })],
            ..default()
        }),
        ..default()
    });
    commands.insert_resource(EdlPipeline { layout, pipeline_id, depth_sampler });
}

fn edl_pass(
    view: ViewQuery<(&ViewTarget, &ViewDepthTexture, &DynamicUniformIndex<EyeDomeLighting>)>,
    pipeline: Option<Res<EdlPipeline>>,
    pipeline_cache: Res<PipelineCache>,
    uniforms: Res<ComponentUniforms<EyeDomeLighting>>,
    mut ctx: RenderContext,
) {
    let Some(edl) = pipeline else { return };
    let (target, depth, index) = view.into_inner();
    // The pipeline writes 8-bit sRGB; HDR targets are left alone.
    if target.main_texture_format() != TextureFormat::Rgba8UnormSrgb {
        return;
    }
    let Some(render_pipeline) = pipeline_cache.get_render_pipeline(edl.pipeline_id) else { return };
    let Some(binding) = uniforms.uniforms().binding() else { return };
    let post = target.post_process_write();
    let bind_group = ctx.render_device().create_bind_group(
        "eye_dome_lighting_bind_group",
        &pipeline_cache.get_bind_group_layout(&edl.layout),
        &BindGroupEntries::sequential((post.source, depth.view(), binding, &edl.depth_sampler)),
    );
    let mut pass = ctx.command_encoder().begin_render_pass(&RenderPassDescriptor {
        label: Some("eye_dome_lighting"),
        color_attachments: &[Some(RenderPassColorAttachment {
            view: post.destination,
            depth_slice: None,
            resolve_target: None,
            ops: Operations::default(),
        })],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    });
    pass.set_pipeline(render_pipeline);
    pass.set_bind_group(0, &bind_group, &[index.index()]);
    pass.draw(0..3, 0..1);
}

impl EyeDomeLighting {
    /// What a camera needs besides this component: a single-sample depth
    /// texture that the pass can read.
    pub fn camera_setup(camera: &mut Camera3d) {
        camera.depth_texture_usages.0 |= TextureUsages::TEXTURE_BINDING.bits();
    }
}

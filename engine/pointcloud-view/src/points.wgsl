// Round, screen-sized points: each point is a quad of four vertices at the
// same position; the vertex shader moves the corners apart in clip space so
// that the point covers `size` pixels whatever its distance.
#import bevy_pbr::mesh_functions::{get_world_from_local, mesh_position_local_to_clip}
#import bevy_pbr::mesh_view_bindings::view

struct PointStyle {
    // Spacing of the node's points in world units: the adaptive size.
    world_size: f32,
    min_px: f32,
    max_px: f32,
    scale: f32,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> style: PointStyle;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    @location(1) corner: vec2<f32>,
    @location(2) color: vec4<f32>,
};

struct VertexOutput {
    @builtin(position) clip_position: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) corner: vec2<f32>,
};

@vertex
fn vertex(vertex: Vertex) -> VertexOutput {
    var out: VertexOutput;
    let clip = mesh_position_local_to_clip(get_world_from_local(vertex.instance_index), vec4<f32>(vertex.position, 1.0));
    // Pixels covered by `world_size` at this depth (perspective: clip.w is the view depth).
    let pixels_per_unit = view.clip_from_view[1][1] * view.viewport.w * 0.5 / max(clip.w, 1e-4);
    let size = clamp(style.world_size * pixels_per_unit * style.scale, style.min_px, style.max_px);
    let offset = vertex.corner * size / view.viewport.zw * clip.w;
    out.clip_position = vec4<f32>(clip.xy + offset, clip.zw);
    out.color = vertex.color;
    out.corner = vertex.corner;
    return out;
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    if dot(in.corner, in.corner) > 1.0 {
        discard;
    }
    return in.color;
}

// Eye-dome lighting (Boucheny 2009, as in Potree and CloudCompare): darkens
// each pixel by how much nearer its neighbours are, in log depth, so that
// the shapes of unlit point clouds read at a glance.
#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput

struct EdlSettings {
    strength: f32,
    radius: f32,
    // Near plane of the infinite reverse-Z projection: view depth = near / depth.
    near: f32,
    enabled: f32,
};

@group(0) @binding(0) var screen_texture: texture_2d<f32>;
// The depth buffer read as an unfilterable float texture (WebGPU allows it
// for depth formats): GLSL ES, which WebGL2 runs, has no texelFetch of a
// depth texture, and a texture_depth_2d here quits the browser viewer.
@group(0) @binding(1) var depth_texture: texture_2d<f32>;
@group(0) @binding(2) var<uniform> settings: EdlSettings;
// Depth is read through a nearest sampler at texel centres, never with a
// bare textureLoad: on WebGL2 a depth texture read without a sampler keeps
// GL's default linear filter, which makes it incomplete, and every read
// gives 0 (no lighting at all in the browser).
@group(0) @binding(3) var depth_sampler: sampler;

fn depth_at(p: vec2<i32>, size: vec2<i32>) -> f32 {
    let q = clamp(p, vec2<i32>(0, 0), size - vec2<i32>(1, 1));
    let uv = (vec2<f32>(q) + vec2<f32>(0.5, 0.5)) / vec2<f32>(size);
    return textureSampleLevel(depth_texture, depth_sampler, uv, 0.0).x;
}

fn log_depth(p: vec2<i32>, size: vec2<i32>) -> f32 {
    let d = depth_at(p, size);
    // The sky (depth 0) counts as log depth 0, which outlines silhouettes.
    return select(0.0, log2(settings.near / d), d > 0.0);
}

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let size = vec2<i32>(textureDimensions(screen_texture));
    let p = vec2<i32>(in.position.xy);
    let color = textureLoad(screen_texture, p, 0);
    let d = depth_at(p, size);
    if settings.enabled < 0.5 || d <= 0.0 {
        return color;
    }
    let centre = log2(settings.near / d);
    var response = 0.0;
    for (var i = 0; i < 8; i++) {
        let angle = f32(i) * 0.7853982;
        let offset = vec2<i32>(round(vec2<f32>(cos(angle), sin(angle)) * settings.radius));
        response += max(0.0, centre - log_depth(p + offset, size));
    }
    let shade = exp(-response / 8.0 * 300.0 * settings.strength);
    return vec4<f32>(color.rgb * shade, color.a);
}

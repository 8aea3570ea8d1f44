// The section's rule in render space, shared by the main and prepass
// shaders of layer materials (SceneMaterial). Mirrors `Section::keeps`.
#define_import_path sontinh_layers::section

struct SectionClip {
    // Kept where dot(plane.xyz, p) + plane.w >= 0; the first plane_count count.
    planes: array<vec4<f32>, 4>,
    // Render space to the box's unit cube (kept within ±1 on every axis).
    world_to_box: mat4x4<f32>,
    plane_count: u32,
    has_box: u32,
    // WebGL2: the struct is padded to a multiple of 16 bytes.
    padding: vec2<u32>,
}

@group(#{MATERIAL_BIND_GROUP}) @binding(100) var<uniform> section: SectionClip;

fn section_keeps(p: vec3<f32>) -> bool {
    let count = min(section.plane_count, 4u);
    for (var i = 0u; i < count; i = i + 1u) {
        let plane = section.planes[i];
        if dot(plane.xyz, p) + plane.w < 0.0 {
            return false;
        }
    }
    if section.has_box != 0u {
        let b = (section.world_to_box * vec4<f32>(p, 1.0)).xyz;
        if any(abs(b) > vec3<f32>(1.0)) {
            return false;
        }
    }
    return true;
}

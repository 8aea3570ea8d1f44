// Prepass and shadow maps of layer materials: the fragments outside the
// section are discarded, then what Bevy's prepass fragment shader does
// (bevy_pbr's pbr_prepass.wgsl, without bindless and meshlets: these
// materials are neither; normals without normal maps).
#import bevy_pbr::{
    prepass_io::VertexOutput,
    pbr_prepass_functions::prepass_alpha_discard,
}
#import sontinh_layers::section::section_keeps

#ifdef PREPASS_FRAGMENT
#import bevy_pbr::{
    prepass_io::FragmentOutput,
    pbr_bindings::material,
    pbr_types::STANDARD_MATERIAL_FLAGS_UNLIT_BIT,
    pbr_types::STANDARD_MATERIAL_FLAGS_DOUBLE_SIDED_BIT,
    pbr_functions::prepare_world_normal,
    pbr_prepass_functions::calculate_motion_vector,
}
#endif

#ifdef VISIBILITY_RANGE_DITHER
#import bevy_pbr::pbr_functions::visibility_range_dither
#endif

#ifdef PREPASS_FRAGMENT
@fragment
fn fragment(
    in: VertexOutput,
    @builtin(front_facing) is_front: bool,
) -> FragmentOutput {
    if !section_keeps(in.world_position.xyz) {
        discard;
    }
#ifdef VISIBILITY_RANGE_DITHER
    visibility_range_dither(in.position, in.visibility_range_dither);
#endif
    prepass_alpha_discard(in);

    var out: FragmentOutput;

#ifdef UNCLIPPED_DEPTH_ORTHO_EMULATION
    out.frag_depth = in.unclipped_depth;
#endif

#ifdef NORMAL_PREPASS
    if (material.flags & STANDARD_MATERIAL_FLAGS_UNLIT_BIT) == 0u {
        let double_sided = (material.flags & STANDARD_MATERIAL_FLAGS_DOUBLE_SIDED_BIT) != 0u;
        let normal = prepare_world_normal(in.world_normal, double_sided, is_front);
        out.normal = vec4(normal * 0.5 + vec3(0.5), 1.0);
    } else {
        out.normal = vec4(in.world_normal * 0.5 + vec3(0.5), 1.0);
    }
#endif

#ifdef MOTION_VECTOR_PREPASS
    out.motion_vector = calculate_motion_vector(in.world_position, in.previous_world_position);
#endif

    return out;
}
#else
@fragment
fn fragment(in: VertexOutput) {
    if !section_keeps(in.world_position.xyz) {
        discard;
    }
#ifdef VISIBILITY_RANGE_DITHER
    visibility_range_dither(in.position, in.visibility_range_dither);
#endif
    prepass_alpha_discard(in);
}
#endif

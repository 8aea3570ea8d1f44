use std::path::Path;
use std::time::Duration;

use approx::assert_abs_diff_eq;
use bevy::asset::AssetPlugin;
use sontinh_scene::{LayerSource, Placement};

use super::*;

fn citadel_scene() -> Scene {
    sontinh_scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenes/quang-tri-citadel.toml")).unwrap()
}

fn app_with(scene: Scene) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default(), bevy::mesh::MeshPlugin, SceneLayersPlugin))
        .insert_resource(ActiveScene(Arc::new(scene)));
    app
}

/// Runs frames until every layer settled (they load on background tasks),
/// polling with a deadline.
fn update_until_settled(app: &mut App) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        app.update();
        if app.world().resource::<LayerStates>().all_settled() {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "layers did not settle within 60 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn enu_and_world_round_trip() {
    let enu = [120.5, -250.25, 9.0];
    let w = enu_to_world(enu);
    assert_eq!(w, Vec3::new(120.5, 9.0, 250.25));
    assert_eq!(world_to_enu(w), enu);
}

#[test]
fn placement_heading_turns_north_to_east() {
    let t = placement_transform(&Placement {
        enu: [10.0, 20.0, 3.0],
        heading_deg: 90.0,
        scale: 2.0,
        ..Placement::default()
    });
    // The layer's north axis (world −z) points east (world +x) after a 90° heading.
    let north = t.rotation * Vec3::NEG_Z;
    assert_abs_diff_eq!(north.x, 1.0, epsilon = 1e-6);
    assert_eq!(t.translation, Vec3::new(10.0, 3.0, -20.0));
    assert_eq!(t.scale, Vec3::splat(2.0));
}

#[test]
fn the_citadel_layer_loads_in_the_background() {
    let mut app = app_with(citadel_scene());
    app.update();
    assert!(matches!(
        app.world().resource::<LayerStates>().layers[0].status,
        LayerStatus::Loading(_)
    ));
    update_until_settled(&mut app);
    let states = app.world().resource::<LayerStates>();
    assert_eq!(states.layers[0].status, LayerStatus::Ready);
    assert_eq!(states.progress(), 1.0);
    let meshes = app.world_mut().query_filtered::<&Mesh3d, Without<crate::EllipsoidGround>>().iter(app.world()).count();
    // Ground, walls, gates, memorial, river, moat, and every tree (high quality) as an instance.
    assert_eq!(meshes, 6 + sontinh_procgen::citadel::TREE_COUNT);
}

#[test]
fn a_broken_layer_is_reported_and_the_others_still_load() {
    let mut scene = citadel_scene();
    let mut broken = scene.layers[0].clone();
    broken.id = "scan".into();
    broken.kind = LayerKind::PointCloud;
    broken.source = LayerSource::File("relic.copc.laz".into());
    scene.layers.insert(0, broken);
    let mut app = app_with(scene);
    update_until_settled(&mut app);
    let states = app.world().resource::<LayerStates>();
    let failures: Vec<_> = states.failures().collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, "scan");
    assert!(failures[0].1.contains("relic.copc.laz"), "{}", failures[0].1);
    assert_eq!(states.layers[1].status, LayerStatus::Ready);
}

#[test]
fn hiding_and_fading_a_layer_reaches_its_entities() {
    let mut app = app_with(citadel_scene());
    update_until_settled(&mut app);
    app.update();
    {
        let mut states = app.world_mut().resource_mut::<LayerStates>();
        states.layers[0].visible = false;
        states.layers[0].opacity = 0.5;
    }
    app.update();
    let visibility = *app.world_mut().query::<(&LayerRoot, &Visibility)>().single(app.world()).unwrap().1;
    assert_eq!(visibility, Visibility::Hidden);
    let handles: Vec<Handle<SceneMaterial>> = app
        .world_mut()
        .query_filtered::<&MeshMaterial3d<SceneMaterial>, Without<crate::EllipsoidGround>>()
        .iter(app.world())
        .map(|m| m.0.clone())
        .collect();
    assert_eq!(handles.len(), 6 + sontinh_procgen::citadel::TREE_COUNT);
    let materials = app.world().resource::<Assets<SceneMaterial>>();
    for h in handles {
        let m = &materials.get(&h).unwrap().base;
        assert!(m.base_color.alpha() <= 0.5 + 1e-6);
        assert!(matches!(m.alpha_mode, AlphaMode::Blend));
    }
}

fn plane(point: [f64; 3], normal: [f64; 3]) -> ClipPlane {
    ClipPlane { point, normal }
}

#[test]
fn planes_keep_the_side_their_normals_point_to() {
    let mut section = Section::default();
    assert!(section.is_empty());
    assert!(section.keeps([1e9, -1e9, 3.0]), "an empty section keeps everything");
    // Keeps x >= 10 (east of the plane).
    section.planes.push(plane([10.0, 0.0, 0.0], [1.0, 0.0, 0.0]));
    assert!(!section.is_empty());
    assert!(section.keeps([11.0, 5.0, 3.0]));
    assert!(section.keeps([10.0, -50.0, 0.0]), "on the plane: kept");
    assert!(!section.keeps([9.999, 5.0, 3.0]));
    // And z <= 5 (the normal points down); the length of a normal does not matter.
    section.planes.push(plane([0.0, 0.0, 5.0], [0.0, 0.0, -7.0]));
    assert!(section.keeps([11.0, 0.0, 4.0]));
    assert!(!section.keeps([11.0, 0.0, 6.0]));
    assert!(!section.keeps([9.0, 0.0, 4.0]));
    // A slanted plane through (0, 0, 0) keeping x + y >= 0.
    let slanted = Section {
        planes: vec![plane([0.0, 0.0, 0.0], [1.0, 1.0, 0.0])],
        clip_box: None,
    };
    assert!(slanted.keeps([3.0, -2.0, 0.0]));
    assert!(!slanted.keeps([-3.0, 2.5, 100.0]));
}

#[test]
fn a_turned_box_keeps_what_lies_inside_it() {
    // 20 m long, 4 m wide, 10 m high, its long axis turned 45° clockwise
    // from east: it runs from the north-west to the south-east.
    let section = Section {
        planes: Vec::new(),
        clip_box: Some(ClipBox {
            center: [100.0, 200.0, 10.0],
            half_extent: [10.0, 2.0, 5.0],
            heading_deg: 45.0,
        }),
    };
    let at = |e: f64, n: f64, u: f64| [100.0 + e, 200.0 + n, 10.0 + u];
    // 7√2 = 9.899 m along the long axis: inside; 7.2√2 = 10.18 m: outside.
    assert!(section.keeps(at(7.0, -7.0, 0.0)));
    assert!(section.keeps(at(-7.0, 7.0, 4.9)));
    assert!(!section.keeps(at(7.2, -7.2, 0.0)));
    // Across it (south-west to north-east) only ±2 m: 1.4√2 = 1.98 in, 1.5√2 = 2.12 out.
    assert!(section.keeps(at(1.4, 1.4, 0.0)));
    assert!(!section.keeps(at(1.5, 1.5, 0.0)));
    assert!(!section.keeps(at(7.0, 7.0, 0.0)));
    // Height ±5 m.
    assert!(!section.keeps(at(0.0, 0.0, 5.1)));
    assert!(!section.keeps(at(0.0, 0.0, -5.1)));
    // Unturned, (7, −7) lies 7 m north of the 2 m half-width: cut.
    let unturned = Section {
        clip_box: section.clip_box.map(|b| ClipBox { heading_deg: 0.0, ..b }),
        ..section.clone()
    };
    assert!(!unturned.keeps(at(7.0, -7.0, 0.0)));
    assert!(unturned.keeps(at(9.0, 1.9, 0.0)));
    // A 90° heading turns the box's north to east: 2 m east, 10 m north.
    let quarter = Section {
        clip_box: section.clip_box.map(|b| ClipBox { heading_deg: 90.0, ..b }),
        ..section.clone()
    };
    assert!(quarter.keeps(at(1.9, 9.9, 0.0)));
    assert!(!quarter.keeps(at(2.1, 0.0, 0.0)));
    // Planes and box together.
    let both = Section {
        planes: vec![plane([100.0, 0.0, 0.0], [-1.0, 0.0, 0.0])],
        ..unturned
    };
    assert!(both.keeps(at(-5.0, 0.0, 0.0)));
    assert!(!both.keeps(at(5.0, 0.0, 0.0)), "in the box, on the cut side of the plane");
    assert_eq!(ClipBox::from_corners([110.0, 190.0, 0.0], [90.0, 210.0, 20.0]), ClipBox {
        center: [100.0, 200.0, 10.0],
        half_extent: [10.0, 10.0, 10.0],
        heading_deg: 0.0
    });
}

/// What the shader does with the uniform (section_clip.wgsl), on a render-space point.
fn shader_keeps(u: &SectionUniform, p: Vec3) -> bool {
    let planes_keep = u.planes[..u.plane_count as usize].iter().all(|pl| pl.truncate().dot(p) + pl.w >= 0.0);
    let b = u.world_to_box * p.extend(1.0);
    planes_keep && (u.has_box == 0 || b.truncate().abs().max_element() <= 1.0)
}

#[test]
fn the_section_in_render_space_follows_the_floating_origin() {
    let origin = FloatingOrigin { enu: [1000.0, -2000.0, 50.0] };
    let section = Section {
        planes: vec![plane([1010.0, -2000.0, 50.0], [2.0, 0.0, 0.0]), plane([0.0, -1990.0, 0.0], [0.0, 1.0, 0.0])],
        clip_box: Some(ClipBox {
            center: [1000.0, -1900.0, 60.0],
            half_extent: [10.0, 20.0, 5.0],
            heading_deg: 0.0,
        }),
    };
    let u = section.to_uniform(&origin);
    assert_eq!(u.plane_count, 2);
    assert_eq!(u.has_box, 1);
    // East is render +x; the plane lies 10 m east of the world's zero.
    assert_eq!(u.planes[0], Vec4::new(1.0, 0.0, 0.0, -10.0));
    // North is render −z; the plane lies 10 m north of the zero.
    assert_eq!(u.planes[1], Vec4::new(0.0, 0.0, -1.0, -10.0));
    // The box's corners in render space are the unit cube's.
    let corner = u.world_to_box * origin.to_world([1010.0, -1880.0, 65.0]).extend(1.0);
    assert_abs_diff_eq!(corner.x, 1.0, epsilon = 1e-5);
    assert_abs_diff_eq!(corner.y, 1.0, epsilon = 1e-5);
    assert_abs_diff_eq!(corner.z, 1.0, epsilon = 1e-5);
    let other = u.world_to_box * origin.to_world([990.0, -1920.0, 55.0]).extend(1.0);
    assert_abs_diff_eq!(other.x, -1.0, epsilon = 1e-5);
    assert_abs_diff_eq!(other.y, -1.0, epsilon = 1e-5);
    assert_abs_diff_eq!(other.z, -1.0, epsilon = 1e-5);
    // Moving the origin moves the render-space section with it.
    let moved = FloatingOrigin { enu: [1005.0, -2000.0, 50.0] };
    assert_eq!(section.to_uniform(&moved).planes[0], Vec4::new(1.0, 0.0, 0.0, -5.0));
    assert_eq!(section.to_uniform(&moved).planes[1], Vec4::new(0.0, 0.0, -1.0, -10.0));

    // The shader's rule on render positions agrees with `keeps` on ENU
    // positions, for a turned box far from the scene's origin, off the
    // boundaries (f32 render positions), from either origin.
    let far = FloatingOrigin { enu: [3_000_000.0, -1_500_000.0, 120.0] };
    let turned = Section {
        planes: vec![plane([3_000_010.0, -1_500_000.0, 0.0], [1.0, 0.5, 0.0])],
        clip_box: Some(ClipBox {
            center: [3_000_000.0, -1_499_990.0, 125.0],
            half_extent: [30.0, 12.0, 8.0],
            heading_deg: 30.0,
        }),
    };
    let mut compared = (0, 0);
    for origin in [far, FloatingOrigin { enu: [3_000_040.0, -1_500_020.0, 100.0] }] {
        let u = turned.to_uniform(&origin);
        for i in 0..41 {
            for j in 0..41 {
                for k in 0..5 {
                    let enu = [2_999_960.0 + 2.03 * f64::from(i), -1_500_030.0 + 2.07 * f64::from(j), 112.0 + 6.1 * f64::from(k)];
                    let kept = turned.keeps(enu);
                    assert_eq!(shader_keeps(&u, origin.to_world(enu)), kept, "{enu:?} from {origin:?}");
                    if kept {
                        compared.0 += 1;
                    } else {
                        compared.1 += 1;
                    }
                }
            }
        }
    }
    assert!(compared.0 > 500 && compared.1 > 500, "{compared:?}");
}

#[test]
fn a_changed_section_reaches_every_layer_material() {
    let mut app = app_with(citadel_scene());
    update_until_settled(&mut app);
    app.update();
    let uniforms = |app: &mut App| -> Vec<SectionUniform> {
        let handles: Vec<Handle<SceneMaterial>> = app.world_mut().query_filtered::<&MeshMaterial3d<SceneMaterial>, Without<crate::EllipsoidGround>>().iter(app.world()).map(|m| m.0.clone()).collect();
        let materials = app.world().resource::<Assets<SceneMaterial>>();
        handles.iter().map(|h| materials.get(h).unwrap().extension.section).collect()
    };
    let before = uniforms(&mut app);
    assert_eq!(before.len(), 6 + sontinh_procgen::citadel::TREE_COUNT);
    assert!(before.iter().all(|u| u.plane_count == 0 && u.has_box == 0));

    let section = Section {
        planes: vec![plane([0.0, 0.0, 0.0], [0.0, 1.0, 0.0])],
        clip_box: Some(ClipBox::from_corners([-300.0, -300.0, -10.0], [300.0, 300.0, 40.0])),
    };
    *app.world_mut().resource_mut::<Section>() = section.clone();
    app.update();
    let origin = *app.world().resource::<FloatingOrigin>();
    let expected = section.to_uniform(&origin);
    let after = uniforms(&mut app);
    assert_eq!(after.len(), 6 + sontinh_procgen::citadel::TREE_COUNT);
    assert!(after.iter().all(|u| *u == expected), "{after:?}");
    assert_eq!(expected.planes[0], Vec4::new(0.0, 0.0, -1.0, (origin.enu[1]) as f32));

    // The origin moves: the same section, written again for the new zero.
    app.world_mut().resource_mut::<FloatingOrigin>().enu = [500.0, 250.0, 0.0];
    app.update();
    let moved = section.to_uniform(&FloatingOrigin { enu: [500.0, 250.0, 0.0] });
    assert_ne!(moved, expected);
    assert!(uniforms(&mut app).iter().all(|u| *u == moved));
    assert_eq!(moved.planes[0], Vec4::new(0.0, 0.0, -1.0, 250.0));

    // Cleared: nothing cut.
    *app.world_mut().resource_mut::<Section>() = Section::default();
    app.update();
    assert!(uniforms(&mut app).iter().all(|u| u.plane_count == 0 && u.has_box == 0));
}

/// The section's shaders as naga_oil would compose them for `defs`: the
/// `#ifdef` blocks resolved, Bevy's imports left out (the stubs declare
/// what the shader uses from them, with the same signatures), our own
/// import module pasted in, the material bind group numbered.
fn preprocess(source: &str, defs: &[&str]) -> String {
    let mut out = String::new();
    // Whether each enclosing block is taken.
    let mut taken: Vec<bool> = Vec::new();
    let mut in_import = false;
    for line in source.lines() {
        let t = line.trim();
        if in_import {
            in_import = !t.ends_with('}');
            continue;
        }
        let active = taken.iter().all(|t| *t);
        if let Some(def) = t.strip_prefix("#ifdef ") {
            taken.push(defs.contains(&def.trim()));
        } else if let Some(def) = t.strip_prefix("#ifndef ") {
            taken.push(!defs.contains(&def.trim()));
        } else if t.starts_with("#else") {
            let last = taken.pop().expect("#else without #ifdef");
            taken.push(!last);
        } else if t.starts_with("#endif") {
            taken.pop().expect("#endif without #ifdef");
        } else if !active || t.starts_with("#define_import_path") {
        } else if t == "#import sontinh_layers::section::section_keeps" {
            out.push_str(&preprocess(include_str!("section_clip.wgsl"), defs));
        } else if t.starts_with("#import") {
            in_import = t.ends_with('{');
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(taken.is_empty(), "unclosed #ifdef");
    out.replace("#{MATERIAL_BIND_GROUP}", "3")
}

fn validate(wgsl: &str) -> (naga::Module, naga::valid::ModuleInfo) {
    let module = naga::front::wgsl::parse_str(wgsl).unwrap_or_else(|e| panic!("{}", e.emit_to_string(wgsl)));
    let info = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}\n{wgsl}", e.emit_to_string(wgsl)));
    (module, info)
}

const PBR_STUBS: &str = r#"
struct StandardMaterial { base_color: vec4<f32>, flags: u32 };
struct PbrInput { material: StandardMaterial, world_position: vec4<f32> };
const STANDARD_MATERIAL_FLAGS_UNLIT_BIT: u32 = 32u;
const STANDARD_MATERIAL_FLAGS_DOUBLE_SIDED_BIT: u32 = 16u;
fn pbr_input_from_standard_material(in: VertexOutput, is_front: bool) -> PbrInput { var p: PbrInput; p.world_position = in.world_position; return p; }
fn alpha_discard(material: StandardMaterial, color: vec4<f32>) -> vec4<f32> { return color; }
fn apply_decals(pbr_input: ptr<function, PbrInput>) {}
fn visibility_range_dither(frag_coord: vec4<f32>, dither: i32) {}
"#;

const FORWARD_STUBS: &str = r#"
struct VertexOutput { @builtin(position) position: vec4<f32>, @location(0) world_position: vec4<f32>, @location(1) world_normal: vec3<f32>, @location(9) @interpolate(flat) visibility_range_dither: i32 };
struct FragmentOutput { @location(0) color: vec4<f32> };
fn apply_pbr_lighting(in: PbrInput) -> vec4<f32> { return in.material.base_color; }
fn main_pass_post_lighting_processing(in: PbrInput, color: vec4<f32>) -> vec4<f32> { return color; }
"#;

const PREPASS_STUBS: &str = r#"
struct VertexOutput { @builtin(position) position: vec4<f32>, @location(2) world_normal: vec3<f32>, @location(4) world_position: vec4<f32>, @location(5) previous_world_position: vec4<f32>, @location(6) unclipped_depth: f32, @location(9) @interpolate(flat) visibility_range_dither: i32 };
fn prepass_alpha_discard(in: VertexOutput) {}
"#;

const DEFERRED_STUBS: &str = r#"
struct FragmentOutput { @location(2) deferred: vec4<u32>, @location(3) deferred_lighting_pass_id: u32 };
fn deferred_output(in: VertexOutput, pbr_input: PbrInput) -> FragmentOutput { var out: FragmentOutput; return out; }
"#;

const PREPASS_FRAGMENT_STUBS: &str = r#"
struct FragmentOutput { @location(0) normal: vec4<f32>, @location(1) motion_vector: vec2<f32>, @builtin(frag_depth) frag_depth: f32 };
@group(3) @binding(0) var<uniform> material: StandardMaterial;
fn prepare_world_normal(world_normal: vec3<f32>, double_sided: bool, is_front: bool) -> vec3<f32> { return world_normal; }
fn calculate_motion_vector(world_position: vec4<f32>, previous_world_position: vec4<f32>) -> vec2<f32> { return world_position.xy - previous_world_position.xy; }
"#;

/// The section's shaders validate (naga, the WGSL front end wgpu uses) in
/// each way Bevy specialises them: the forward pass, the deferred
/// G-buffer pass, the prepass with its outputs and the depth-only prepass
/// and shadow maps.
#[test]
fn section_shaders_validate() {
    let main = include_str!("section.wgsl");
    let prepass = include_str!("section_prepass.wgsl");
    for defs in [&[][..], &["VISIBILITY_RANGE_DITHER"][..]] {
        validate(&format!("{PBR_STUBS}{FORWARD_STUBS}{}", preprocess(main, defs)));
    }
    validate(&format!("{PBR_STUBS}{PREPASS_STUBS}{DEFERRED_STUBS}{}", preprocess(main, &["PREPASS_PIPELINE"])));
    validate(&format!("{PBR_STUBS}{PREPASS_STUBS}{}", preprocess(prepass, &["PREPASS_PIPELINE"])));
    let all = ["PREPASS_PIPELINE", "PREPASS_FRAGMENT", "NORMAL_PREPASS", "MOTION_VECTOR_PREPASS", "UNCLIPPED_DEPTH_ORTHO_EMULATION", "VISIBILITY_RANGE_DITHER"];
    let (module, _) = validate(&format!("{PBR_STUBS}{PREPASS_STUBS}{PREPASS_FRAGMENT_STUBS}{}", preprocess(prepass, &all)));
    assert!(module.entry_points.iter().any(|e| e.name == "fragment" && e.stage == naga::ShaderStage::Fragment));
}

/// The uniform's WGSL layout is the Rust struct's (encase), and the rule
/// translates to WebGL2's GLSL ES 3.00 as wgpu does in the browser.
#[test]
fn the_section_rule_runs_on_webgl2() {
    use bevy::render::render_resource::ShaderType;
    assert_eq!(SectionUniform::min_size().get(), 144);
    let wgsl = format!(
        "{}\n@fragment fn fragment(@location(0) p: vec3<f32>) -> @location(0) vec4<f32> {{ if !section_keeps(p) {{ discard; }} return vec4<f32>(1.0); }}\n",
        preprocess(include_str!("section_clip.wgsl"), &[])
    );
    let (module, info) = validate(&wgsl);
    let layout = &module.types;
    let clip = layout.iter().find(|(_, t)| t.name.as_deref() == Some("SectionClip")).expect("the struct");
    match &clip.1.inner {
        naga::TypeInner::Struct { members, span } => {
            assert_eq!(*span, 144);
            let offsets: Vec<(&str, u32)> = members.iter().map(|m| (m.name.as_deref().unwrap_or(""), m.offset)).collect();
            assert_eq!(offsets, [("planes", 0), ("world_to_box", 64), ("plane_count", 128), ("has_box", 132), ("padding", 136)]);
        }
        other => panic!("{other:?}"),
    }
    let options = naga::back::glsl::Options {
        version: naga::back::glsl::Version::Embedded { version: 300, is_webgl: true },
        ..Default::default()
    };
    let pipeline = naga::back::glsl::PipelineOptions {
        shader_stage: naga::ShaderStage::Fragment,
        entry_point: "fragment".to_owned(),
        multiview: None,
    };
    let mut glsl = String::new();
    let mut writer = naga::back::glsl::Writer::new(&mut glsl, &module, &info, &options, &pipeline, naga::proc::BoundsCheckPolicies::default())
        .unwrap_or_else(|e| panic!("the section cannot run on WebGL2: {e}"));
    writer.write().unwrap_or_else(|e| panic!("the section cannot run on WebGL2: {e}"));
    assert!(glsl.contains("uniform"), "{glsl}");
}

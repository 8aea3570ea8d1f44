use approx::assert_abs_diff_eq;
use sontinh_layers::{ClipBox, ClipPlane};

use super::*;

/// The shader with Bevy's imports replaced by declarations of the same
/// signatures, validated by naga (the WGSL front end wgpu uses).
#[test]
fn point_shader_validates() {
    let source = include_str!("points.wgsl");
    let stubs = r#"
struct View { clip_from_view: mat4x4<f32>, viewport: vec4<f32> };
@group(0) @binding(0) var<uniform> view: View;
fn get_world_from_local(instance_index: u32) -> mat4x4<f32> { return mat4x4<f32>(); }
fn mesh_position_local_to_clip(world_from_local: mat4x4<f32>, p: vec4<f32>) -> vec4<f32> { return world_from_local * p; }
"#;
    let body: String = source.lines().filter(|l| !l.starts_with("#import")).collect::<Vec<_>>().join("\n");
    let wgsl = format!("{stubs}\n{}", body.replace("#{MATERIAL_BIND_GROUP}", "3"));
    let module = naga::front::wgsl::parse_str(&wgsl).unwrap_or_else(|e| panic!("{}", e.emit_to_string(&wgsl)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .unwrap();
}

/// The eye-dome lighting shader, its one import replaced by the struct it names.
fn eye_dome_lighting_module() -> (naga::Module, naga::valid::ModuleInfo) {
    let source = include_str!("edl.wgsl");
    let stub = "struct FullscreenVertexOutput { @builtin(position) position: vec4<f32>, @location(0) uv: vec2<f32> };\n";
    let body: String = source.lines().filter(|l| !l.starts_with("#import")).collect::<Vec<_>>().join("\n");
    let wgsl = format!("{stub}{body}");
    let module = naga::front::wgsl::parse_str(&wgsl).unwrap_or_else(|e| panic!("{}", e.emit_to_string(&wgsl)));
    let info = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .unwrap();
    (module, info)
}

#[test]
fn eye_dome_lighting_shader_validates() {
    eye_dome_lighting_module();
}

/// WebGL2 runs shaders as GLSL ES 3.00, translated by naga as wgpu does in
/// the browser: the pass must translate (a `textureLoad` from a depth
/// texture does not, and quit the browser viewer before its first frame).
#[test]
fn eye_dome_lighting_translates_to_webgl2_glsl() {
    let (module, info) = eye_dome_lighting_module();
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
        .unwrap_or_else(|e| panic!("the eye-dome lighting pass cannot run on WebGL2: {e}"));
    writer.write().unwrap_or_else(|e| panic!("the eye-dome lighting pass cannot run on WebGL2: {e}"));
    // Depth through its nearest sampler (textureLod); only the colour by texelFetch.
    assert!(glsl.contains("textureLod("), "{glsl}");
    assert_eq!(glsl.matches("texelFetch(").count(), 1, "{glsl}");
}

#[test]
fn affine_fit_reproduces_a_linear_map_and_rejects_nonsense() {
    // Feet to metres with a rotation of 90°: x → north, y → west.
    let f = |p: [f64; 3]| Ok([-p[1] * 0.3048, p[0] * 0.3048, p[2] * 0.3048]);
    let a = CloudAffine::fit([1000.0, 2000.0, 10.0], 5.0, f).unwrap();
    let p = a.to_enu([1100.0, 1900.0, 20.0]);
    assert_abs_diff_eq!(p[0], -1900.0 * 0.3048, epsilon = 1e-9);
    assert_abs_diff_eq!(p[1], 1100.0 * 0.3048, epsilon = 1e-9);
    assert_abs_diff_eq!(a.metres_per_unit(), 0.3048, epsilon = 1e-12);
    assert!(CloudAffine::fit([0.0; 3], 1.0, |_| Ok([f64::NAN; 3])).is_err());
}

fn sample_points() -> NodePoints {
    NodePoints {
        center: Vec3::ZERO,
        positions: vec![Vec3::ZERO, Vec3::X, Vec3::Y],
        rgb: Some(vec![[255, 0, 0], [0, 255, 0], [0, 0, 255]]),
        intensity: vec![0, 100, 255],
        class: vec![2, 6, 7],
        return_number: vec![1, 2, 3],
        enu: vec![[0.0, 0.0, 0.0], [1.0, 0.0, 5.0], [0.0, 1.0, 10.0]],
        spacing_m: 0.5,
    }
}

#[test]
fn colour_modes_and_filters() {
    let points = sample_points();
    let mut settings = PointCloudSettings::default();
    let rgb = point_colors(&points, &settings, &Section::default(), [0.0, 10.0]);
    assert_eq!(rgb[0], Some([1.0, 0.0, 0.0, 1.0]), "8-bit colours in 16-bit fields");
    settings.color_mode = ColorMode::Classification;
    let classes = point_colors(&points, &settings, &Section::default(), [0.0, 10.0]);
    assert_ne!(classes[0], classes[1]);
    settings.hidden_classes = vec![7];
    assert_eq!(point_colors(&points, &settings, &Section::default(), [0.0, 10.0])[2], None, "noise hidden");
    settings.hidden_classes.clear();
    settings.clip_box = Some(([-0.5, -0.5, -1.0], [0.5, 0.5, 1.0]));
    let clipped = point_colors(&points, &settings, &Section::default(), [0.0, 10.0]);
    assert_eq!(clipped.iter().filter(|c| c.is_some()).count(), 1);
    let mesh = build_point_mesh(&points, &clipped);
    assert_eq!(mesh.count_vertices(), 4);
    assert_eq!(mesh.indices().map(|i| i.len()), Some(6));
}

#[test]
fn the_nearest_point_near_the_ray_is_picked() {
    let points = [Vec3::new(0.05, 0.0, -10.0), Vec3::new(0.0, 0.02, -5.0), Vec3::new(3.0, 0.0, -4.0), Vec3::new(0.0, 0.0, 5.0)];
    let hit = nearest_point_on_ray(Vec3::ZERO, Vec3::NEG_Z, points.into_iter(), 0.01);
    assert_eq!(hit, Some(Vec3::new(0.0, 0.02, -5.0)));
    assert_eq!(nearest_point_on_ray(Vec3::ZERO, Vec3::X, points.into_iter(), 0.001), None, "behind or off the ray");
}

/// The bytes counted per point are what a node really holds: its mesh as
/// Bevy measures it, and its CPU copy's vectors.
#[test]
fn a_point_holds_the_bytes_the_budget_counts() {
    let n = 1000;
    let points = NodePoints {
        positions: vec![Vec3::ZERO; n],
        rgb: Some(vec![[0; 3]; n]),
        intensity: vec![0; n],
        class: vec![0; n],
        return_number: vec![0; n],
        enu: vec![[0.0; 3]; n],
        ..NodePoints::default()
    };
    let colors = vec![Some([1.0; 4]); n];
    let mesh = build_point_mesh(&points, &colors);
    assert_eq!(sontinh_layers::mesh_bytes(&mesh), Some(n as u64 * MESH_BYTES_PER_POINT));
    let cpu = std::mem::size_of_val(points.positions.as_slice())
        + std::mem::size_of_val(points.enu.as_slice())
        + points.rgb.as_ref().map_or(0, |c| std::mem::size_of_val(c.as_slice()))
        + points.intensity.len() * 2
        + points.class.len()
        + points.return_number.len();
    assert_eq!(cpu as u64, n as u64 * CPU_BYTES_PER_POINT);
}

#[test]
fn the_memory_share_caps_the_points_selected_and_held() {
    // 2 M points asked for two clouds; a share of 100 MB holds 100e6 / 214 points per cloud.
    let (select, hold) = point_caps(2_000_000, 2, 100_000_000);
    assert_eq!(hold, 100_000_000 / 214);
    assert_eq!(select, 467_289);
    // A large share: the settings decide.
    assert_eq!(point_caps(2_000_000, 2, u64::MAX), (1_000_000, 2_000_000));
    // Nothing left: nothing loads.
    assert_eq!(point_caps(2_000_000, 1, 0), (0, 0));
}

/// A row of points one metre apart along east, at heights 0, 1, 2…, 10 m north.
fn row_of_points(n: usize) -> NodePoints {
    let enu: Vec<[f64; 3]> = (0..n).map(|i| [i as f64, 10.0, i as f64 % 3.0]).collect();
    NodePoints {
        center: Vec3::ZERO,
        positions: enu.iter().map(|p| enu_to_world(*p)).collect(),
        rgb: None,
        intensity: vec![0; n],
        class: vec![2; n],
        return_number: vec![1; n],
        enu,
        spacing_m: 1.0,
    }
}

fn kept(colors: &[Option<[f32; 4]>]) -> Vec<usize> {
    colors.iter().enumerate().filter(|(_, c)| c.is_some()).map(|(i, _)| i).collect()
}

#[test]
fn a_section_plane_drops_exactly_the_points_on_its_cut_side() {
    let points = row_of_points(10);
    let settings = PointCloudSettings::default();
    let none = point_colors(&points, &settings, &Section::default(), [0.0, 2.0]);
    assert_eq!(kept(&none), (0..10).collect::<Vec<_>>());
    // Keeps x >= 4.5: points 5 to 9.
    let east = Section {
        planes: vec![ClipPlane { point: [4.5, 0.0, 0.0], normal: [1.0, 0.0, 0.0] }],
        clip_box: None,
    };
    assert_eq!(kept(&point_colors(&points, &settings, &east, [0.0, 2.0])), [5, 6, 7, 8, 9]);
    // Keeps x + z <= 4 (a slanted plane, normal down and west): x, z = 0,0 1,1 2,2 3,0 4,1 → 0..=3 kept (4: 4 + 1 = 5 cut).
    let slanted = Section {
        planes: vec![ClipPlane { point: [4.0, 0.0, 0.0], normal: [-1.0, 0.0, -1.0] }],
        clip_box: None,
    };
    assert_eq!(kept(&point_colors(&points, &settings, &slanted, [0.0, 2.0])), [0, 1, 2, 3]);
    // Both: nothing is both x >= 4.5 and x + z <= 4.
    let both = Section {
        planes: [east.planes.clone(), slanted.planes.clone()].concat(),
        clip_box: None,
    };
    assert!(kept(&point_colors(&points, &settings, &both, [0.0, 2.0])).is_empty());
    // A box 2 m wide about x = 7: points 6, 7 and 8; a plane on top keeps z >= 1: 7 (z 1) and 8 (z 2).
    let boxed = Section {
        planes: vec![ClipPlane { point: [0.0, 0.0, 1.0], normal: [0.0, 0.0, 1.0] }],
        clip_box: Some(ClipBox::from_corners([6.0, 9.0, -1.0], [8.0, 11.0, 5.0])),
    };
    assert_eq!(kept(&point_colors(&points, &settings, &boxed, [0.0, 2.0])), [7, 8]);
    let mesh = build_point_mesh(&points, &point_colors(&points, &settings, &boxed, [0.0, 2.0]));
    assert_eq!(mesh.count_vertices(), 8, "four corners per kept point");
}

struct NoSource(HashMap<Key, u64>);

impl NodeSource for NoSource {
    fn octree(&self) -> Octree {
        Octree { center: [0.0; 3], halfsize: 1.0, spacing: 1.0 }
    }
    fn node_counts(&self) -> &HashMap<Key, u64> {
        &self.0
    }
    fn read_node(&self, _key: Key) -> bevy::tasks::BoxedFuture<'static, Result<RawNode, String>> {
        Box::pin(async { Err("no nodes".to_owned()) })
    }
}

/// A change of the section rebuilds the meshes of the nodes already loaded.
#[test]
fn a_changed_section_restyles_loaded_nodes() {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, bevy::asset::AssetPlugin::default(), bevy::mesh::MeshPlugin))
        .init_asset::<PointMaterial>()
        .init_resource::<PointCloudSettings>()
        .init_resource::<Section>()
        .add_systems(Update, restyle_nodes);
    let points = row_of_points(10);
    let settings = PointCloudSettings::default();
    let mesh = app.world_mut().resource_mut::<Assets<Mesh>>().add(build_point_mesh(&points, &point_colors(&points, &settings, &Section::default(), [0.0, 2.0])));
    let material = app.world_mut().resource_mut::<Assets<PointMaterial>>().add(PointMaterial { style: style(&points, &settings) });
    let cloud = app
        .world_mut()
        .spawn(Cloud {
            layer_index: 0,
            source: Arc::new(NoSource(HashMap::new())),
            affine: CloudAffine { center: [0.0; 3], center_enu: [0.0; 3], columns: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]] },
            views: HashMap::new(),
            loaded: HashMap::new(),
            loading: HashMap::new(),
            failed: Vec::new(),
            height_range: [0.0, 2.0],
        })
        .id();
    app.world_mut().spawn((points, Mesh3d(mesh.clone()), MeshMaterial3d(material), ChildOf(cloud)));
    app.update();
    let vertices = |app: &App| app.world().resource::<Assets<Mesh>>().get(&mesh).map(Mesh::count_vertices);
    assert_eq!(vertices(&app), Some(40));
    app.world_mut().resource_mut::<Section>().planes.push(ClipPlane { point: [4.5, 0.0, 0.0], normal: [1.0, 0.0, 0.0] });
    app.update();
    assert_eq!(vertices(&app), Some(20), "points 5 to 9 kept");
    app.world_mut().resource_mut::<Section>().planes.clear();
    app.update();
    assert_eq!(vertices(&app), Some(40));
}

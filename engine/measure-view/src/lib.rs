//! Measuring on everything the twin shows.
//!
//! Add [`MeasurePlugin`]; the UI (and the page) send [`MeasureAction`]s:
//! choose a tool, then place vertices by clicking or tapping what is shown
//! (point clouds, meshes, 3D Tiles, terrain alike), snapped to the
//! measurement's own vertices, a cloud's points, or a triangle's vertices
//! and edges; drag a vertex to move it, right-click (or select and press
//! Delete) to remove it; Ctrl+Z / Ctrl+Y undo and redo; Space places a
//! vertex at the view's centre for keyboard users. [`Measuring`] holds the
//! measurement being placed, its figures (from `sontinh-measure`), and the
//! measurements kept with the scene, which are saved back into the scene
//! file and exported as GeoJSON and CSV.

mod draw;
mod files;
mod input;
pub mod section;
pub mod snap;
mod surfaces;

use std::collections::HashMap;
use std::sync::Arc;

use bevy::picking::mesh_picking::ray_cast::{MeshRayCast, MeshRayCastSettings, RayCastVisibility};
use bevy::prelude::*;
use sontinh_geo::Geodetic;
use sontinh_layers::{ActiveScene, FloatingOrigin, LayerRoot};
use sontinh_measure::{Editor, Figures, Inputs, NamedSurface, VolumeReference};
use sontinh_pointcloud_view::{NodePoints, nearest_point_on_ray};
use sontinh_scene::{MeasureTool, Measurement, Text};

pub use draw::MeasureGizmos;
pub use files::{FileOutcome, deliver_file};
pub use snap::{Snap, SnapKind};
pub use surfaces::Members;

/// Cells an area on the surface or a volume takes in the viewer (ray casts).
pub const VIEWER_CELL_BUDGET: usize = 2_500;
/// Samples a profile takes in the viewer.
pub const VIEWER_PROFILE_SAMPLES: usize = 400;

pub struct MeasurePlugin;

impl Plugin for MeasurePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Measuring>()
            .init_resource::<MeasureLanguage>()
            .init_resource::<FileOutcome>()
            .add_message::<MeasureAction>()
            .init_gizmo_group::<MeasureGizmos>()
            .add_systems(Startup, draw::configure_gizmos)
            .add_systems(
                Update,
                (load_scene_measurements, input::track_pointer, input::pointer_gestures, input::keys, apply_actions, compute_figures)
                    .chain()
                    .before(sontinh_camera::CameraSystems),
            )
            .add_systems(Update, (files::finish_saving, draw::draw_measurements));
    }
}

/// What a volume is measured against.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum VolumeChoice {
    /// The polygon's lowest vertex.
    #[default]
    LowestVertex,
    /// A level, m.
    Level(f64),
    /// The water of the flood run shown (its maximum level), over the ground.
    FloodWater,
}

/// What the UI, the keyboard and the page ask of the measuring tools.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum MeasureAction {
    /// Start placing a new measurement with this tool (drops an unsaved one).
    Start(MeasureTool),
    /// Add a vertex where this screen position (pixels) shows something.
    AddAtScreen(Vec2),
    /// Add a vertex at a scene ENU position.
    AddAt([f64; 3]),
    Undo,
    Redo,
    /// Remove the selected vertex (else the last).
    RemoveVertex,
    Clear,
    /// Keep the measurement being placed under this name (replacing the one it edits).
    Keep { name: Text },
    /// Stop placing; what was not kept is dropped.
    Cancel,
    /// Edit a kept measurement.
    Edit(usize),
    /// Forget a kept measurement.
    Forget(usize),
    /// Show or hide a kept measurement.
    SetShown(usize, bool),
    /// Show exactly these kept measurements (a tour stop's).
    ShowOnly(Vec<usize>),
    SetReference(VolumeChoice),
    /// Write the kept measurements into the scene file (a download in the browser).
    SaveScene,
    /// The kept measurements, and the one being placed, as GeoJSON.
    ExportGeoJson,
    ExportCsv,
    /// The profile being shown, its samples as CSV.
    ExportProfileCsv,
}

/// The measurement being placed and those kept with the scene.
#[derive(Resource, Default)]
pub struct Measuring {
    /// The measurement being placed or edited; `None`: no tool is active.
    pub editor: Option<Editor>,
    /// The kept measurement the editor edits.
    pub editing: Option<usize>,
    pub kept: Vec<Measurement>,
    pub shown: Vec<bool>,
    /// Each kept measurement's figures, for its label.
    pub kept_figures: Vec<Option<Figures>>,
    pub selected_vertex: Option<usize>,
    /// The vertex being dragged.
    pub dragging: Option<usize>,
    /// Where the pointer would place a vertex now.
    pub hover: Option<Snap>,
    pub reference: VolumeChoice,
    /// The figures of the measurement being placed, or why there are none.
    pub figures: Option<Result<Figures, String>>,
    /// What the last edit refused, in words.
    pub refused: Option<String>,
    /// Kept measurements differ from the scene file.
    pub unsaved: bool,
    revision: u64,
    computed: u64,
    kept_revision: u64,
    kept_computed: u64,
    scene: Option<Arc<sontinh_scene::Scene>>,
}

impl Measuring {
    /// The active tool, if any.
    pub fn tool(&self) -> Option<MeasureTool> {
        self.editor.as_ref().map(Editor::tool)
    }

    pub(crate) fn touched(&mut self) {
        self.revision += 1;
    }

    fn kept_touched(&mut self) {
        self.kept_revision += 1;
        self.unsaved = true;
    }

    /// A fresh id for a kept measurement of `tool`.
    pub fn next_id(&self, tool: MeasureTool) -> String {
        (1..).map(|n| format!("{}-{n}", tool.id())).find(|id| !self.kept.iter().any(|m| &m.id == id)).unwrap_or_default()
    }
}

fn load_scene_measurements(scene: Option<Res<ActiveScene>>, mut measuring: ResMut<Measuring>) {
    let Some(scene) = scene else { return };
    if measuring.scene.as_ref().is_some_and(|s| Arc::ptr_eq(s, &scene.0)) {
        return;
    }
    let kept = scene.0.measurements.clone();
    *measuring = Measuring { shown: vec![false; kept.len()], kept_figures: vec![None; kept.len()], kept, scene: Some(scene.0.clone()), ..default() };
    measuring.kept_revision = 1;
}

/// What the pointer points at, from the meshes (ray cast) and the clouds'
/// drawn points (within a few pixels), whichever is nearer.
pub struct PointerHit {
    pub point: Vec3,
    pub triangle: Option<[Vec3; 3]>,
    pub cloud_point: bool,
}

/// The hit along `ray`, `tolerance` the cloud pick's angle (radians).
pub fn hit_along(ray: Ray3d, ray_cast: &mut MeshRayCast, clouds: &Query<(&NodePoints, &GlobalTransform, &InheritedVisibility)>, tolerance: f32) -> Option<PointerHit> {
    let settings = MeshRayCastSettings::default().with_visibility(RayCastVisibility::Visible);
    let mesh = ray_cast.cast_ray(ray, &settings).first().map(|(_, hit)| PointerHit { point: hit.point, triangle: hit.triangle, cloud_point: false });
    let points = clouds.iter().filter(|(_, _, v)| v.get()).flat_map(|(n, t, _)| n.positions.iter().map(move |p| t.transform_point(*p)));
    let cloud = nearest_point_on_ray(ray.origin, *ray.direction, points, tolerance).map(|point| PointerHit { point, triangle: None, cloud_point: true });
    match (mesh, cloud) {
        (Some(m), Some(c)) => Some(if c.point.distance(ray.origin) < m.point.distance(ray.origin) { c } else { m }),
        (m, c) => m.or(c),
    }
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
fn apply_actions(
    mut actions: MessageReader<MeasureAction>,
    mut measuring: ResMut<Measuring>,
    origin: Res<FloatingOrigin>,
    mut ray_cast: MeshRayCast,
    cameras: Query<(&Camera, &GlobalTransform, &Projection), With<Camera3d>>,
    clouds: Query<(&NodePoints, &GlobalTransform, &InheritedVisibility)>,
    mut outcome: ResMut<FileOutcome>,
    mut commands: Commands,
) {
    for action in actions.read() {
        let m = &mut *measuring;
        m.refused = None;
        match action.clone() {
            MeasureAction::Start(tool) => {
                m.editor = Some(Editor::new(tool));
                m.editing = None;
                m.selected_vertex = None;
                m.touched();
            }
            MeasureAction::AddAtScreen(at) => {
                let own: Vec<Vec3> = m.editor.as_ref().map(|e| e.points().iter().map(|p| origin.to_world(*p)).collect()).unwrap_or_default();
                let found = cameras
                    .iter()
                    .find(|(c, _, _)| c.is_active)
                    .and_then(|(camera, transform, projection)| input::snap_at(at, camera, transform, input::pick_tolerance(camera, projection), &mut ray_cast, &clouds, &own));
                match found {
                    // On one of its own vertices: that vertex is chosen, not doubled.
                    Some(Snap { kind: SnapKind::OwnVertex(i), .. }) => m.selected_vertex = Some(i),
                    Some(s) => add_vertex(m, origin.to_enu(s.world)),
                    None => m.refused = Some("nothing is shown there".into()),
                }
            }
            MeasureAction::AddAt(enu) => add_vertex(m, enu),
            MeasureAction::Undo => {
                if let Some(e) = m.editor.as_mut()
                    && e.undo()
                {
                    m.selected_vertex = None;
                    m.touched();
                }
            }
            MeasureAction::Redo => {
                if let Some(e) = m.editor.as_mut()
                    && e.redo()
                {
                    m.touched();
                }
            }
            MeasureAction::RemoveVertex => {
                if let Some(e) = m.editor.as_mut() {
                    let index = m.selected_vertex.unwrap_or(e.points().len().saturating_sub(1));
                    if e.remove(index).is_ok() {
                        m.selected_vertex = None;
                        m.touched();
                    }
                }
            }
            MeasureAction::Clear => {
                if let Some(e) = m.editor.as_mut() {
                    e.clear();
                    m.selected_vertex = None;
                    m.touched();
                }
            }
            MeasureAction::Keep { name } => keep(m, name),
            MeasureAction::Cancel => {
                m.editor = None;
                m.editing = None;
                m.figures = None;
                m.hover = None;
            }
            MeasureAction::Edit(index) => {
                if let Some(kept) = m.kept.get(index) {
                    m.editor = Some(Editor::with_points(kept.tool, kept.points.clone()));
                    if let (Some(level), MeasureTool::Volume) = (kept.level_m, kept.tool) {
                        m.reference = VolumeChoice::Level(level);
                    }
                    m.editing = Some(index);
                    m.touched();
                }
            }
            MeasureAction::Forget(index) => {
                if index < m.kept.len() {
                    m.kept.remove(index);
                    m.shown.remove(index);
                    m.kept_figures.remove(index);
                    m.editing = match m.editing {
                        Some(e) if e == index => None,
                        Some(e) if e > index => Some(e - 1),
                        other => other,
                    };
                    m.kept_touched();
                }
            }
            MeasureAction::SetShown(index, shown) => {
                if let Some(s) = m.shown.get_mut(index) {
                    *s = shown;
                    m.kept_revision += 1;
                }
            }
            MeasureAction::ShowOnly(indices) => {
                for (i, s) in m.shown.iter_mut().enumerate() {
                    *s = indices.contains(&i);
                }
                m.kept_revision += 1;
            }
            MeasureAction::SetReference(choice) => {
                m.reference = choice;
                m.touched();
            }
            MeasureAction::SaveScene => files::save_scene(m, &mut commands, &mut outcome),
            MeasureAction::ExportGeoJson | MeasureAction::ExportCsv | MeasureAction::ExportProfileCsv => files::export(m, action, &mut outcome),
        }
    }
}

pub(crate) fn add_vertex(m: &mut Measuring, enu: [f64; 3]) {
    let Some(editor) = m.editor.as_mut() else {
        m.refused = Some("choose a measuring tool first".into());
        return;
    };
    match editor.add(enu) {
        Ok(()) => {
            m.selected_vertex = None;
            m.touched();
        }
        Err(e) => m.refused = Some(e.to_string()),
    }
}

fn keep(m: &mut Measuring, name: Text) {
    let Some(editor) = m.editor.as_ref() else { return };
    if !editor.is_complete() {
        m.refused = Some(format!("a {} needs {} points", editor.tool().id(), editor.tool().min_points()));
        return;
    }
    let tool = editor.tool();
    let level_m = match (tool, m.reference) {
        (MeasureTool::Volume, VolumeChoice::Level(level)) => Some(level),
        _ => None,
    };
    let points = editor.points().to_vec();
    match m.editing {
        Some(index) if index < m.kept.len() => {
            let kept = &mut m.kept[index];
            kept.tool = tool;
            kept.points = points;
            kept.level_m = level_m;
            if !name.vi.trim().is_empty() && !name.en.trim().is_empty() {
                kept.name = name;
            }
            m.shown[index] = true;
        }
        _ => {
            let id = m.next_id(tool);
            let name = if name.vi.trim().is_empty() || name.en.trim().is_empty() { Text { vi: id.clone(), en: id.clone() } } else { name };
            m.kept.push(Measurement { id, name, tool, points, level_m, line: 0 });
            m.shown.push(true);
            m.kept_figures.push(None);
        }
    }
    m.editor = None;
    m.editing = None;
    m.figures = None;
    m.kept_touched();
}

/// Each mesh entity's layer, and the flood water's meshes.
fn layer_members(roots: &Query<(Entity, &LayerRoot)>, children: &Query<&Children>, water: &Query<Entity, With<sontinh_flood_view::FloodOverlay>>) -> (HashMap<Entity, usize>, Vec<Entity>) {
    let mut layer_of = HashMap::new();
    for (root, layer) in roots {
        layer_of.insert(root, layer.index);
        for e in children.iter_descendants(root) {
            layer_of.insert(e, layer.index);
        }
    }
    let water: Vec<Entity> = water.iter().flat_map(|w| std::iter::once(w).chain(children.iter_descendants(w))).collect();
    for w in &water {
        layer_of.remove(w);
    }
    (layer_of, water)
}

/// A layer's height function, owned.
type BoxedSurface<'a> = Box<dyn Fn(Geodetic) -> Option<f64> + 'a>;

/// The figures of `tool` over `points` (scene ENU) with the viewer's surfaces.
pub fn figures_of(tool: MeasureTool, points: &[[f64; 3]], reference: VolumeChoice, heights: &surfaces::Heights, scene: &sontinh_scene::Scene, lang_names: bool) -> Result<Figures, String> {
    let geodetic: Vec<Geodetic> = points.iter().map(|p| heights.frame.enu_to_geodetic(*p)).collect();
    // Meshes are the ground; where none lies, the clouds' highest points are.
    let ground = |g: Geodetic| heights.height(Members::Ground, g).or_else(|| heights.cloud_height(g));
    let clouds = |g: Geodetic| heights.cloud_height(g);
    let water = |g: Geodetic| heights.height(Members::Water, g);
    let mut indices: Vec<usize> = heights.layer_of.values().copied().collect();
    indices.sort_unstable();
    indices.dedup();
    let per_layer: Vec<(String, BoxedSurface)> = indices
        .iter()
        .map(|&i| {
            let name = scene.layers.get(i).map_or_else(|| format!("layer {i}"), |l| if lang_names { l.name.vi.clone() } else { l.name.en.clone() });
            let f: BoxedSurface = Box::new(move |g| heights.height(Members::Layer(i), g));
            (name, f)
        })
        .collect();
    let mut layers: Vec<NamedSurface> = per_layer.iter().map(|(name, f)| NamedSurface { name: name.clone(), height: f.as_ref() }).collect();
    if heights.clouds.is_some() {
        layers.push(NamedSurface { name: if lang_names { "Đám mây điểm".into() } else { "Point clouds".into() }, height: &clouds });
    }
    if !heights.water.is_empty() {
        layers.push(NamedSurface { name: if lang_names { "Mặt nước lũ".into() } else { "Flood water".into() }, height: &water });
    }
    let reference = match reference {
        VolumeChoice::LowestVertex => VolumeReference::Level(None),
        VolumeChoice::Level(level) => VolumeReference::Level(Some(level)),
        VolumeChoice::FloodWater => VolumeReference::Surface(NamedSurface { name: if lang_names { "Mặt nước lũ".into() } else { "Flood water".into() }, height: &water }),
    };
    let inputs = Inputs { tool, points: &geodetic, ground: Some(&ground), layers: &layers, reference, cell_budget: VIEWER_CELL_BUDGET, profile_samples: VIEWER_PROFILE_SAMPLES };
    sontinh_measure::figures(&inputs).map_err(|e| e.to_string())
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
fn compute_figures(
    mut measuring: ResMut<Measuring>,
    scene: Option<Res<ActiveScene>>,
    origin: Res<FloatingOrigin>,
    mut ray_cast: MeshRayCast,
    roots: Query<(Entity, &LayerRoot)>,
    children: Query<&Children>,
    water: Query<Entity, With<sontinh_flood_view::FloodOverlay>>,
    lang: Option<Res<MeasureLanguage>>,
    clouds: Query<(&NodePoints, &InheritedVisibility)>,
) {
    let Some(scene) = scene else { return };
    let m = &mut *measuring;
    let editor_due = m.editor.is_some() && m.computed != m.revision;
    let kept_due = m.kept_computed != m.kept_revision;
    if !editor_due && !kept_due {
        return;
    }
    let (layer_of, water) = layer_members(&roots, &children, &water);
    let drawn = clouds.iter().filter(|(_, v)| v.get()).flat_map(|(n, _)| n.enu.iter().copied());
    let clouds = surfaces::CloudHeights::from_points(drawn, surfaces::CLOUD_CELL_M);
    let heights = surfaces::Heights { ray_cast: std::cell::RefCell::new(&mut ray_cast), frame: scene.0.frame, origin: *origin, layer_of, water, clouds };
    let vi = lang.is_some_and(|l| l.0 == sontinh_scene::Lang::Vi);
    if editor_due {
        m.computed = m.revision;
        m.figures = m.editor.as_ref().filter(|e| e.is_complete()).map(|e| figures_of(e.tool(), e.points(), m.reference, &heights, &scene.0, vi));
    }
    if kept_due {
        m.kept_computed = m.kept_revision;
        let shown = m.shown.clone();
        m.kept_figures = m
            .kept
            .iter()
            .zip(shown)
            .map(|(k, shown)| {
                // Surfaces are only measured for what is drawn: the rest waits until shown.
                let cheap = !matches!(k.tool, MeasureTool::Area | MeasureTool::Volume | MeasureTool::Profile);
                let reference = k.level_m.map_or(VolumeChoice::LowestVertex, VolumeChoice::Level);
                (shown || cheap).then(|| figures_of(k.tool, &k.points, reference, &heights, &scene.0, vi).ok()).flatten()
            })
            .collect();
    }
}

/// The language layer names and file texts are given in (the UI sets it).
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq)]
pub struct MeasureLanguage(pub sontinh_scene::Lang);

/// The measurement being placed as one line of text: its tool, its points
/// (count, then each as scene ENU metres) and its figures, which the page
/// writes on `data-sontinh-measure` and `sontinh render --measure` prints,
/// so that the browser's figures are compared with the native ones.
pub fn measure_signal(m: &Measuring) -> Option<String> {
    let editor = m.editor.as_ref()?;
    let mut text = format!("tool={} points={}", editor.tool().id(), editor.points().len());
    for p in editor.points() {
        text.push_str(&format!(" at={:.4},{:.4},{:.4}", p[0], p[1], p[2]));
    }
    if let Some(Ok(figures)) = &m.figures {
        for (key, value) in figures.summary() {
            text.push_str(&format!(" {key}={value:.6}"));
        }
    }
    if let Some(why) = &m.refused {
        text.push_str(&format!(" refused={}", why.replace(' ', "_")));
    }
    Some(text)
}

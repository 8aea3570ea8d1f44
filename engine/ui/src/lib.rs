//! The viewer's panels (egui), in Vietnamese and English.
//!
//! egui never steals the camera's input: each frame, whether egui wants the
//! pointer or keyboard is passed to the camera as [`PointerCaptured`].

mod basemap_credits;
mod dashboard_panel;
mod device_labels;
mod i18n;
mod measure_labels;
mod markdown_view;
mod measure_panel;
pub mod measure_text;
mod operator_panel;
mod panels;
mod planner_panel;
mod pointcloud_panel;
mod readout;
mod sign_in;
mod tour_authoring;
mod tour_panel;
mod vector_panel;
mod vr_panel;
mod walk_joystick;

use bevy::picking::mesh_picking::ray_cast::{MeshRayCast, MeshRayCastSettings, RayCastVisibility};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiPlugin, EguiPrimaryContextPass};
use sontinh_camera::{CameraRig, CameraSystems, PointerCaptured, Pose};
use sontinh_layers::{ActiveScene, FloatingOrigin};
use sontinh_scene::{Bookmark, Lang};

pub use i18n::tr;
pub use readout::{Readout, format_lat_lon, readout, vn2000_transformer};
pub use sign_in::mode_for_role;

/// Adds egui and the viewer's panels.
pub struct ViewerUiPlugin;

impl Plugin for ViewerUiPlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<EguiPlugin>() {
            app.add_plugins(EguiPlugin::default());
        }
        app.init_resource::<UiLang>()
            .init_resource::<UserMode>()
            .init_resource::<CursorReadout>()
            .init_resource::<markdown_view::ArticleImages>()
            .init_resource::<vector_panel::VectorFilterForms>()
            .init_resource::<dashboard_panel::Dashboard>()
            .add_systems(
                Update,
                (
                    share_input_state.before(CameraSystems),
                    update_cursor_readout,
                    tour_panel::follow_language,
                    sign_in::follow_role,
                ),
            )
            .add_plugins(vr_panel::VrPanelPlugin)
            .init_resource::<FontsReady>()
            .add_systems(
                EguiPrimaryContextPass,
                (
                    install_fonts,
                    (
                        panels::draw_panels,
                        pointcloud_panel::draw_point_cloud_panel,
                        planner_panel::draw_planner_panel,
                        sign_in::draw_sign_in,
                        operator_panel::draw_operator_panel,
                        device_labels::draw_device_labels,
                        dashboard_panel::draw_dashboard,
                        measure_panel::draw_measure_panel,
                        measure_labels::draw_measure_labels,
                        vector_panel::draw_vector_labels,
                        vector_panel::draw_feature_panel,
                        basemap_credits::draw_basemap_credits,
                        tour_panel::draw_hotspots,
                        tour_panel::draw_tour_player,
                        tour_authoring::draw_tour_authoring,
                        walk_joystick::draw_walk_joystick,
                    )
                        .chain()
                        .run_if(|ready: Res<FontsReady>| ready.0)
                        .run_if(panels_shown),
                )
                    .chain(),
            );
    }
}

/// The panels are drawn on the page's own view and in the magic window;
/// in a headset, on a cardboard viewer or over the camera's image in AR
/// they would cover one eye or the real world.
fn panels_shown(session: Option<Res<sontinh_xr_view::XrSession>>) -> bool {
    session.is_none_or(|s| s.mode.is_none_or(|m| m == sontinh_xr::XrMode::MagicWindow))
}

#[derive(Resource, Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct UiLang(pub Lang);

/// Who is using the twin; each mode shows its own panels.
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserMode {
    #[default]
    Tourist,
    Operator,
    Planner,
}

/// The scene point under the cursor, if any.
#[derive(Resource, Default, Debug)]
pub struct CursorReadout(pub Option<Readout>);

/// The camera pose (relative to `origin`) and vertical field of view
/// (radians) of a bookmark.
pub fn bookmark_view(b: &Bookmark, origin: &FloatingOrigin) -> (Pose, f32) {
    (
        Pose {
            eye: origin.to_world(b.eye),
            target: origin.to_world(b.target),
        },
        (b.fov_deg as f32).to_radians(),
    )
}

/// A flight to a bookmark.
pub fn fly_to_bookmark(b: &Bookmark) -> sontinh_camera::FlyTo {
    sontinh_camera::FlyTo {
        eye: b.eye,
        target: b.target,
        fov: Some((b.fov_deg as f32).to_radians()),
    }
}

/// egui's built-in fonts lack Vietnamese letters (ạ, ổ, ữ…); DejaVu has them.
/// Embedded so that the browser build shows the same text.
const VIETNAMESE_FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansCondensed.ttf");

/// Whether the panels' font is in use: egui takes new fonts from the next
/// pass on, and has none of its own (no default fonts), so no text is laid
/// out before.
#[derive(Resource, Default)]
struct FontsReady(bool);

fn install_fonts(mut contexts: bevy_egui::EguiContexts, mut installed: Local<bool>, mut ready: ResMut<FontsReady>) -> Result {
    if *installed {
        if !ready.0 {
            ready.0 = true;
        }
        return Ok(());
    }
    set_fonts(contexts.ctx_mut()?);
    *installed = true;
    Ok(())
}

/// Gives `ctx` the panels' font (it has Vietnamese; egui has no fonts of its own here).
fn set_fonts(ctx: &bevy_egui::egui::Context) {
    let mut fonts = bevy_egui::egui::FontDefinitions::default();
    fonts.font_data.insert(
        "dejavu".to_owned(),
        std::sync::Arc::new(bevy_egui::egui::FontData::from_static(VIETNAMESE_FONT)),
    );
    for (family, position) in [
        (bevy_egui::egui::FontFamily::Proportional, 0),
        (bevy_egui::egui::FontFamily::Monospace, 1),
    ] {
        let list = fonts.families.entry(family).or_default();
        list.insert(position.min(list.len()), "dejavu".to_owned());
    }
    ctx.set_fonts(fonts);
}

fn share_input_state(wants: Option<Res<EguiWantsInput>>, mut captured: ResMut<PointerCaptured>) {
    let busy = wants.is_some_and(|w| w.wants_any_pointer_input() || w.wants_any_keyboard_input());
    if captured.0 != busy {
        captured.0 = busy;
    }
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
fn update_cursor_readout(
    windows: Query<&Window, With<PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform), With<CameraRig>>,
    captured: Res<PointerCaptured>,
    scene: Option<Res<ActiveScene>>,
    origin: Res<FloatingOrigin>,
    mut ray_cast: MeshRayCast,
    mut out: ResMut<CursorReadout>,
    mut to_vn2000: Local<Option<sontinh_geo::Transformer>>,
    point: Option<Res<sontinh_pointcloud_view::PointUnderCursor>>,
) {
    if captured.0 {
        // Keep the last value while the pointer is over a panel.
        return;
    }
    let (Some(scene), Ok(window), Ok((camera, camera_transform))) = (scene, windows.single(), cameras.single()) else {
        return;
    };
    let hit = window
        .cursor_position()
        .and_then(|cursor| camera.viewport_to_world(camera_transform, cursor).ok())
        .and_then(|ray| {
            let settings = MeshRayCastSettings::default().with_visibility(RayCastVisibility::Visible);
            ray_cast.cast_ray(ray, &settings).first().map(|(_, hit)| hit.point)
        });
    // A LiDAR point under the cursor counts when it is nearer than any mesh.
    let eye = camera_transform.translation();
    let hit = match (hit, point.and_then(|p| p.0)) {
        (Some(mesh), Some(p)) => Some(if p.distance(eye) < mesh.distance(eye) { p } else { mesh }),
        (mesh, p) => mesh.or(p),
    };
    if to_vn2000.is_none() {
        *to_vn2000 = vn2000_transformer();
    }
    out.0 = match (hit, to_vn2000.as_ref()) {
        (Some(point), Some(t)) => Some(readout(&scene.0.frame, t, origin.to_enu(point))),
        _ => None,
    };
}

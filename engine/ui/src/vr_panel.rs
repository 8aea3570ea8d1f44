//! In a headset the page's panels would cover one eye, so the tour's
//! caption and an opened hotspot's article are drawn by egui into an image
//! shown on a panel in the scene: head-locked, a little below the line of
//! sight, at reading distance. It is shown only while it has something to say.

use bevy::asset::RenderAssetUsages;
use bevy::camera::RenderTarget;
use bevy::camera::visibility::RenderLayers;
use bevy::ecs::schedule::ScheduleLabel;
use bevy::light::NotShadowCaster;
use bevy::math::DVec3;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat, TextureUsages};
use bevy_egui::{EguiContext, EguiSchedule, egui};
use sontinh_camera::FloatingOrigin;
use sontinh_layers::ActiveScene;
use sontinh_tour_view::{OpenArticle, TourNow, TourSettings};
use sontinh_xr::XrMode;
use sontinh_xr_view::{XrOverlay, XrSession};

use crate::{markdown_view, set_fonts};

/// The panel's egui pass.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct VrPanelPass;

/// The panel's image, pixels, and its size in the headset, metres.
const PANEL_PX: [u32; 2] = [640, 480];
const PANEL_M: Vec2 = Vec2::new(0.8, 0.6);
/// Where it hangs from the head: ahead and below the line of sight.
const AHEAD_M: f64 = 1.2;
const BELOW_M: f64 = 0.3;

pub struct VrPanelPlugin;

impl Plugin for VrPanelPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(PostUpdate, place_panel.before(bevy::transform::TransformSystems::Propagate))
            .add_systems(VrPanelPass, draw_panel);
    }
}

#[derive(Component)]
struct VrPanel;

#[derive(Component)]
struct VrPanelCamera;

/// The open article (title, Markdown text) and the caption showing.
type PanelContent = (Option<(String, String)>, Option<String>);

/// What the panel has to say now: the open article's title and text, and the caption.
fn panel_content(
    session: &XrSession,
    scene: Option<&ActiveScene>,
    open: Option<&OpenArticle>,
    now: Option<&TourNow>,
    settings: Option<&TourSettings>,
) -> Option<PanelContent> {
    if session.mode != Some(XrMode::Vr) {
        return None;
    }
    let lang = settings.map_or(sontinh_scene::Lang::Vi, |s| s.lang);
    let article = open
        .and_then(|o| o.0)
        .and_then(|i| scene?.0.hotspots.get(i))
        .map(|h| (h.title.get(lang).to_owned(), h.article.get(lang).to_owned()));
    let caption = now.and_then(|n| n.caption.clone()).filter(|c| !c.trim().is_empty());
    (article.is_some() || caption.is_some()).then_some((article, caption))
}

#[allow(clippy::too_many_arguments)] // A Bevy system: what the panel shows, where the head is, and the assets it is made of.
fn place_panel(
    session: Option<Res<XrSession>>,
    scene: Option<Res<ActiveScene>>,
    open: Option<Res<OpenArticle>>,
    now: Option<Res<TourNow>>,
    settings: Option<Res<TourSettings>>,
    origin: Option<Res<FloatingOrigin>>,
    mut panels: Query<(&mut Transform, &mut Visibility), With<VrPanel>>,
    mut cameras: Query<&mut Camera, With<VrPanelCamera>>,
    mut commands: Commands,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let (Some(session), Some(origin)) = (session, origin) else { return };
    let content = panel_content(&session, scene.as_deref(), open.as_deref(), now.as_deref(), settings.as_deref());
    let head = session.head_in_render().filter(|_| content.is_some());
    for mut camera in &mut cameras {
        camera.is_active = head.is_some();
    }
    let Some((head_pos, head_q)) = head else {
        for (_, mut visibility) in &mut panels {
            visibility.set_if_neq(Visibility::Hidden);
        }
        return;
    };
    let scale = session.scale();
    let at = head_pos + head_q * DVec3::new(0.0, -BELOW_M, -AHEAD_M) * scale;
    let transform = Transform {
        translation: origin.to_world([at.x, -at.z, at.y]),
        rotation: head_q.as_quat(),
        scale: Vec3::splat(scale as f32),
    };
    if panels.is_empty() {
        let mut image = Image::new_fill(
            Extent3d {
                width: PANEL_PX[0],
                height: PANEL_PX[1],
                depth_or_array_layers: 1,
            },
            TextureDimension::D2,
            &[0, 0, 0, 0],
            TextureFormat::Rgba8UnormSrgb,
            RenderAssetUsages::all(),
        );
        image.texture_descriptor.usage |= TextureUsages::RENDER_ATTACHMENT;
        let image = images.add(image);
        // A 2D camera: the scene's 3D cameras are dressed with the sky, and this one draws egui only.
        commands.spawn((
            VrPanelCamera,
            Camera2d,
            Camera {
                order: -1,
                clear_color: ClearColorConfig::Custom(Color::NONE),
                ..default()
            },
            RenderTarget::Image(image.clone().into()),
            RenderLayers::none(),
            EguiSchedule::new(VrPanelPass),
        ));
        commands.spawn((
            Name::new("headset panel"),
            VrPanel,
            XrOverlay,
            Mesh3d(meshes.add(Plane3d::new(Vec3::Z, PANEL_M / 2.0))),
            MeshMaterial3d(materials.add(StandardMaterial {
                base_color_texture: Some(image),
                alpha_mode: AlphaMode::Blend,
                unlit: true,
                cull_mode: None,
                ..default()
            })),
            NotShadowCaster,
            transform,
        ));
        return;
    }
    for (mut t, mut visibility) in &mut panels {
        *t = transform;
        visibility.set_if_neq(Visibility::Inherited);
    }
}

fn draw_panel(
    mut contexts: Query<&mut EguiContext, With<VrPanelCamera>>,
    session: Option<Res<XrSession>>,
    scene: Option<Res<ActiveScene>>,
    open: Option<Res<OpenArticle>>,
    now: Option<Res<TourNow>>,
    settings: Option<Res<TourSettings>>,
    mut fonts_set: Local<bool>,
) {
    let Ok(mut context) = contexts.single_mut() else { return };
    let ctx = context.get_mut();
    if !*fonts_set {
        // egui uses new fonts from the next pass on.
        set_fonts(ctx);
        *fonts_set = true;
        return;
    }
    let Some(session) = session else { return };
    let Some((article, caption)) = panel_content(&session, scene.as_deref(), open.as_deref(), now.as_deref(), settings.as_deref()) else {
        return;
    };
    ctx.set_visuals(egui::Visuals::dark());
    let size = ctx.content_rect().size();
    egui::Window::new("sontinh-headset-panel")
        .title_bar(false)
        .resizable(false)
        .fixed_pos(egui::pos2(0.0, 0.0))
        .fixed_size(size - egui::vec2(32.0, 32.0))
        .frame(egui::Frame::new().fill(egui::Color32::from_black_alpha(200)).inner_margin(16.0))
        .show(ctx, |ui| {
            ui.style_mut().text_styles.iter_mut().for_each(|(_, font)| font.size *= 1.6);
            if let Some((title, text)) = &article {
                ui.heading(title);
                ui.separator();
                markdown_view::show_text(ui, text);
            }
            if let Some(caption) = &caption {
                ui.with_layout(egui::Layout::bottom_up(egui::Align::Center), |ui| {
                    ui.label(egui::RichText::new(caption).strong());
                });
            }
        });
}

//! Walking on touch screens: at the view's lower left, a button that
//! switches between orbiting and walking and, while walking, a virtual
//! joystick whose deflection walks the camera (through
//! [`sontinh_camera::WalkJoystick`]). Shown once the screen has been
//! touched, or on a narrow (phone-sized) view; keyboards walk with WASD.

use bevy::input::touch::Touches;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiContexts, egui};
use sontinh_camera::{CameraRig, NavigationMode, SetNavigationMode, WalkJoystick};

use crate::{UiLang, tr};

/// The stick's throw, logical pixels.
pub const STICK_RADIUS: f32 = 56.0;
/// Views at most this wide (logical pixels) are phones: the overlay shows.
const NARROW_VIEW: f32 = 820.0;

/// The joystick's deflection for the knob dragged `offset` pixels from the
/// stick's centre (screen: y down): x right, y forward, length at most 1.
pub fn stick_deflection(offset: Vec2, radius: f32) -> Vec2 {
    (Vec2::new(offset.x, -offset.y) / radius.max(1.0)).clamp_length_max(1.0)
}

/// Whether the overlay shows.
pub fn shows_walk_overlay(touched: bool, view_width: f32) -> bool {
    touched || view_width <= NARROW_VIEW
}

#[allow(clippy::too_many_arguments)] // a Bevy system: its parameters are its queries
pub fn draw_walk_joystick(
    mut contexts: EguiContexts,
    lang: Res<UiLang>,
    touches: Option<Res<Touches>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    rigs: Query<&CameraRig>,
    mut navigation: MessageWriter<SetNavigationMode>,
    mut joystick: ResMut<WalkJoystick>,
    mut touched: Local<bool>,
) -> Result {
    if touches.is_some_and(|t| t.iter().next().is_some()) {
        *touched = true;
    }
    let width = windows.single().map_or(f32::MAX, Window::width);
    let mut deflection = Vec2::ZERO;
    if shows_walk_overlay(*touched, width) {
        let ctx = contexts.ctx_mut()?;
        let l = lang.0;
        let walking = rigs.iter().next().is_some_and(|r| r.mode == NavigationMode::Walk);
        egui::Area::new(egui::Id::new("sontinh-walk-joystick"))
            // Over the panels: on a phone the layers window reaches down here.
            .order(egui::Order::Foreground)
            .anchor(egui::Align2::LEFT_BOTTOM, egui::vec2(16.0, -16.0))
            .show(ctx, |ui| {
                ui.vertical(|ui| {
                    if walking {
                        let side = 2.0 * STICK_RADIUS + 20.0;
                        let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::drag());
                        let centre = rect.center();
                        let mut knob = centre;
                        if response.is_pointer_button_down_on()
                            && let Some(p) = response.interact_pointer_pos()
                        {
                            deflection = stick_deflection(Vec2::new(p.x - centre.x, p.y - centre.y), STICK_RADIUS);
                            knob = centre + egui::vec2(deflection.x, -deflection.y) * STICK_RADIUS;
                        }
                        let painter = ui.painter();
                        painter.circle_filled(centre, STICK_RADIUS + 8.0, egui::Color32::from_rgba_unmultiplied(20, 20, 20, 110));
                        painter.circle_stroke(
                            centre,
                            STICK_RADIUS + 8.0,
                            egui::Stroke::new(2.0, egui::Color32::from_rgba_unmultiplied(255, 255, 255, 150)),
                        );
                        painter.circle_filled(knob, 22.0, egui::Color32::from_rgba_unmultiplied(240, 240, 240, 210));
                        response.on_hover_text(tr("walk_stick_hint", l));
                    }
                    let (label, next) = if walking {
                        ("walk_stop", NavigationMode::Orbit)
                    } else {
                        ("walk_start", NavigationMode::Walk)
                    };
                    let button = egui::Button::new(egui::RichText::new(tr(label, l)).size(18.0)).min_size(egui::vec2(96.0, 40.0));
                    if ui.add(button).clicked() {
                        navigation.write(SetNavigationMode(next));
                    }
                });
            });
    }
    if joystick.0 != deflection {
        joystick.0 = deflection;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knob_up_is_forward_and_the_throw_is_clamped() {
        let r = STICK_RADIUS;
        assert_eq!(stick_deflection(Vec2::new(0.0, -r), r), Vec2::new(0.0, 1.0));
        assert_eq!(stick_deflection(Vec2::new(r / 2.0, r / 2.0), r), Vec2::new(0.5, -0.5));
        // Dragged past the rim: full throw in the same direction.
        let far = stick_deflection(Vec2::new(3.0 * r, -4.0 * r), r);
        assert!((far - Vec2::new(0.6, 0.8)).length() < 1e-6, "{far}");
    }

    #[test]
    fn the_overlay_shows_on_touch_or_phone_sized_views() {
        assert!(!shows_walk_overlay(false, 1280.0));
        assert!(shows_walk_overlay(true, 1280.0));
        assert!(shows_walk_overlay(false, 390.0));
    }
}

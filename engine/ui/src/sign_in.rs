//! Signing in to the scene's live feeds from the viewer itself (the page's
//! `?token=` and the command line's `--token` are the other ways): a field
//! for the role token, checked before the platform's transport connects
//! with it; and the role the gateway confirms picks the mode.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use sontinh_feeds::Role;
use sontinh_feeds_view::{FeedSignIn, FeedView, sign_in_token};
use sontinh_layers::ActiveScene;

use crate::{UiLang, UserMode, tr};

/// The sign-in field, while no feed is linked, for a scene with a gateway.
pub fn draw_sign_in(
    mut contexts: EguiContexts,
    view: Res<FeedView>,
    scene: Option<Res<ActiveScene>>,
    lang: Res<UiLang>,
    mut sign_in: ResMut<FeedSignIn>,
    mut typed: Local<String>,
) -> Result {
    if view.linked || sign_in.requested.is_some() || scene.is_none_or(|s| s.0.feeds.is_none()) {
        return Ok(());
    }
    let l = lang.0;
    let ctx = contexts.ctx_mut()?;
    egui::Area::new(egui::Id::new("sontinh-feed-sign-in"))
        .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-8.0, 8.0))
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                egui::CollapsingHeader::new(tr("sign_in_title", l))
                    .id_salt("sontinh-sign-in")
                    .show(ui, |ui| {
                        ui.label(tr("sign_in_hint", l));
                        let field = ui.add(egui::TextEdit::singleline(&mut *typed).password(true).desired_width(240.0).hint_text(tr("sign_in_token", l)));
                        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                        if ui.button(tr("sign_in", l)).clicked() || entered {
                            match sign_in_token(&typed) {
                                Ok(token) => {
                                    sign_in.requested = Some(token);
                                    sign_in.error = None;
                                    typed.clear();
                                }
                                Err(why) => sign_in.error = Some(why),
                            }
                        }
                        if let Some(why) = &sign_in.error {
                            ui.colored_label(egui::Color32::from_rgb(220, 40, 40), why);
                        }
                    });
            });
        });
    Ok(())
}

/// The mode a confirmed role opens: an operator's token opens the
/// operations centre, unless the user is planning; signing out (no role)
/// leaves the operations centre for the tourist's view.
pub fn mode_for_role(role: Option<Role>, mode: UserMode) -> UserMode {
    match (role, mode) {
        (Some(Role::Operator), UserMode::Tourist) => UserMode::Operator,
        (None, UserMode::Operator) => UserMode::Tourist,
        (_, mode) => mode,
    }
}

/// Follows the role the gateway confirms (once per sign-in) and sign-outs.
pub fn follow_role(view: Res<FeedView>, mode: Option<ResMut<UserMode>>, mut seen: Local<Option<(u64, Option<Role>)>>) {
    let role = view.lock().role();
    let now = (view.generation, role);
    if *seen == Some(now) {
        return;
    }
    let first = seen.is_none();
    *seen = Some(now);
    // At start the mode is what the command line or the page chose.
    if first && role.is_none() {
        return;
    }
    if let Some(mut mode) = mode {
        let next = mode_for_role(role, *mode);
        if next != *mode {
            *mode = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operators_role_opens_the_operations_centre_and_signing_out_closes_it() {
        assert_eq!(mode_for_role(Some(Role::Operator), UserMode::Tourist), UserMode::Operator);
        assert_eq!(mode_for_role(Some(Role::Operator), UserMode::Planner), UserMode::Planner);
        assert_eq!(mode_for_role(Some(Role::Tourist), UserMode::Tourist), UserMode::Tourist);
        assert_eq!(mode_for_role(Some(Role::Planner), UserMode::Tourist), UserMode::Tourist);
        assert_eq!(mode_for_role(None, UserMode::Operator), UserMode::Tourist);
        assert_eq!(mode_for_role(None, UserMode::Planner), UserMode::Planner);
    }
}

//! Comfort in a headset: cuts (tour stops, teleports) hidden behind a
//! fade to black, and a vignette narrowing the view while the user walks
//! with the stick. Both are head-locked veils just beyond the near plane.

use bevy::asset::RenderAssetUsages;
use bevy::light::NotShadowCaster;
use bevy::math::{DQuat, DVec3};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use sontinh_camera::FloatingOrigin;
use sontinh_xr::comfort::{fade_alpha, vignette_strength};
use sontinh_xr::frame::XrMode;
use sontinh_xr::placement::Placement;

use crate::{XrSession, render_to_world};

/// How long a cut's fade lasts, out and back in.
pub const FADE_S: f64 = 0.4;
/// The veils' distance in front of the head and their side, reference metres:
/// they cover about 70° either way of the view's centre.
const VEIL_DISTANCE_M: f32 = 0.1;
const VEIL_SIDE_M: f32 = 0.6;

/// Moves the user to `to` at the darkest moment of a fade.
pub(crate) fn cut_to(session: &mut XrSession, to: Placement) {
    session.pending = Some(to);
    session.fade_clock = Some(0.0);
}

#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Veil {
    Fade,
    Vignette,
}

/// A square image, transparent in the middle and black towards the edges.
fn vignette_image() -> Image {
    let side = 128u32;
    let mut data = Vec::with_capacity((side * side * 4) as usize);
    for y in 0..side {
        for x in 0..side {
            let u = (x as f32 + 0.5) / side as f32 - 0.5;
            let v = (y as f32 + 0.5) / side as f32 - 0.5;
            let r = (u * u + v * v).sqrt();
            // 30° off-centre stays clear; from about 45° on it is dark.
            let t = ((r - 0.08) / 0.12).clamp(0.0, 1.0);
            let alpha = t * t * (3.0 - 2.0 * t);
            data.extend_from_slice(&[0, 0, 0, (alpha * 255.0).round() as u8]);
        }
    }
    Image::new(
        Extent3d {
            width: side,
            height: side,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    )
}

#[allow(clippy::too_many_arguments)] // A Bevy system: the session, time, the veils and the assets they need.
pub(crate) fn draw_comfort(
    mut session: ResMut<XrSession>,
    time: Res<Time>,
    origin: Res<FloatingOrigin>,
    mut commands: Commands,
    mut veils: Query<(Entity, &Veil, &mut Transform, &mut Visibility, &MeshMaterial3d<StandardMaterial>)>,
    mut meshes: Option<ResMut<Assets<Mesh>>>,
    mut materials: Option<ResMut<Assets<StandardMaterial>>>,
    mut images: Option<ResMut<Assets<Image>>>,
) {
    let dt = f64::from(time.delta_secs());
    // The fade: the placement switches at its darkest moment.
    if let Some(t) = session.fade_clock {
        let t = t + dt;
        if t >= FADE_S / 2.0
            && let Some(to) = session.pending.take()
        {
            session.placement = Some(to);
        }
        session.fade = fade_alpha(t, FADE_S);
        session.fade_clock = (t < FADE_S).then_some(t);
    } else {
        session.fade = 0.0;
    }
    // The vignette follows the speed at which the user is carried (not the
    // head's own movement): walking with the stick; cuts are faded instead.
    let now = time.elapsed_secs_f64();
    let carried = session.placement.as_ref().map(|p| p.origin);
    session.vignette = match (session.last_move, carried) {
        (Some((before, then)), Some(at)) if now > then => {
            let speed = at.distance(before) / (now - then);
            if speed < 20.0 { vignette_strength(speed, 0.0) } else { 0.0 }
        }
        _ => 0.0,
    };
    session.last_move = carried.map(|p| (p, now));

    let head = crate::eyes::head_in_render(&session);
    let immersive = matches!(session.mode, Some(XrMode::Vr));
    let Some((head_pos, head_q)) = head.filter(|_| immersive) else {
        for (entity, ..) in &veils {
            commands.entity(entity).despawn();
        }
        return;
    };
    let scale = session.placement.as_ref().map_or(1.0, |p| p.scale) as f32;
    let place = |pos: DVec3, q: DQuat| Transform {
        translation: render_to_world(&origin, pos + q * DVec3::NEG_Z * f64::from(VEIL_DISTANCE_M * scale)),
        rotation: q.as_quat(),
        scale: Vec3::splat(scale),
    };
    if veils.is_empty() {
        let (Some(meshes), Some(materials), Some(images)) = (meshes.as_mut(), materials.as_mut(), images.as_mut()) else {
            return;
        };
        let mesh = meshes.add(Rectangle::new(VEIL_SIDE_M, VEIL_SIDE_M));
        let vignette = images.add(vignette_image());
        for (veil, texture) in [(Veil::Vignette, Some(vignette)), (Veil::Fade, None)] {
            let material = materials.add(StandardMaterial {
                base_color: Color::BLACK.with_alpha(0.0),
                base_color_texture: texture,
                unlit: true,
                alpha_mode: AlphaMode::Blend,
                cull_mode: None,
                ..default()
            });
            commands.spawn((
                Name::new("comfort veil"),
                veil,
                crate::XrOverlay,
                Mesh3d(mesh.clone()),
                MeshMaterial3d(material),
                NotShadowCaster,
                Visibility::Hidden,
                place(head_pos, head_q),
            ));
        }
        return;
    }
    for (_, veil, mut transform, mut visibility, material) in &mut veils {
        *transform = place(head_pos, head_q);
        let alpha = match veil {
            Veil::Fade => session.fade,
            Veil::Vignette => session.vignette,
        } as f32;
        // A clear veil is hidden: ray casts (pointer, teleport, markers) then pass it.
        visibility.set_if_neq(if alpha < 0.01 { Visibility::Hidden } else { Visibility::Inherited });
        if let Some(mut m) = materials.as_mut().and_then(|m| m.get_mut(&material.0)) {
            m.base_color = Color::BLACK.with_alpha(alpha);
        }
    }
}

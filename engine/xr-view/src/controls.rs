//! Controllers and touches: the pointer ray, selecting hotspots, aiming and
//! making teleports, snap turns, walking with the left stick, the tour's
//! next/previous buttons, and in AR placing, turning and scaling the model.

use std::cell::RefCell;

use bevy::math::{DQuat, DVec2, DVec3};
use bevy::picking::mesh_picking::ray_cast::{MeshRayCast, MeshRayCastSettings, RayCastVisibility};
use bevy::prelude::*;
use sontinh_camera::FloatingOrigin;
use sontinh_layers::ActiveScene;
use sontinh_tour_view::{ActiveTour, OpenArticle, TourAction};
use sontinh_xr::frame::{Handedness, TargetRayMode, XrInput, XrMode, XrPose};
use sontinh_xr::placement::Placement;
use sontinh_xr::teleport::{find_landing, parabola};

use crate::{TeleportOutcome, XrSession, enu_to_render, render_to_enu, render_to_world};

/// A hotspot is selected when the pointer passes within this angle of it.
pub const HOTSPOT_ANGLE_DEG: f64 = 2.0;
/// The stick's deflection that aims a teleport, and the one that releases it.
pub const AIM_AT: f32 = 0.6;
pub const RELEASE_BELOW: f32 = 0.3;
/// Sideways deflection of the right stick that snap-turns, and the turn.
pub const TURN_AT: f32 = 0.7;
pub const SNAP_TURN_DEG: f64 = 30.0;
/// The teleport arc: launch speed (m/s), gravity, time step and length.
const ARC_SPEED: f64 = 10.0;
const GRAVITY: f64 = 9.81;
const ARC_STEP_S: f64 = 0.03;
const ARC_POINTS: usize = 120;
/// Floors steeper than this are walls (the walk mode's limit).
pub const MAX_SLOPE_DEG: f64 = 40.0;
/// The body that must fit where a teleport lands: radius and height (walk mode's).
pub const BODY_RADIUS_M: f64 = 0.3;
pub const BODY_HEIGHT_M: f64 = 1.8;
/// Walking with the left stick, m/s at full deflection.
pub const WALK_SPEED: f64 = 2.0;

/// The xr-standard gamepad's thumbstick (axes 2, 3; touchpads only have 0, 1).
fn stick(input: &XrInput) -> Vec2 {
    match input.axes.len() {
        n if n >= 4 => Vec2::new(input.axes[2], input.axes[3]),
        2 | 3 => Vec2::new(input.axes[0], input.axes[1]),
        _ => Vec2::ZERO,
    }
}

fn button(input: &XrInput, index: usize) -> bool {
    input.buttons.get(index).is_some_and(|b| b.0)
}

/// A ray's origin and unit direction in the scene render frame.
pub(crate) fn ray_in_render(placement: &Placement, ray: &XrPose) -> (DVec3, DVec3) {
    let (origin, orientation) = placement.to_render(ray);
    (origin, (orientation * DVec3::NEG_Z).normalize_or(DVec3::NEG_Z))
}

/// The shown hotspot nearest to the pointer's direction within
/// [`HOTSPOT_ANGLE_DEG`]: index into the scene's hotspots.
pub fn pointed_hotspot(origin: DVec3, direction: DVec3, hotspots: &[(usize, DVec3)]) -> Option<usize> {
    let limit = HOTSPOT_ANGLE_DEG.to_radians();
    hotspots
        .iter()
        .filter_map(|(i, p)| {
            let to = *p - origin;
            let angle = direction.angle_between(to);
            (to.length() > 0.01 && angle <= limit).then_some((*i, angle))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// Ray casts against the scene for the teleport, in the render frame.
struct SceneProbe<'a, 'w, 's> {
    ray_cast: RefCell<&'a mut MeshRayCast<'w, 's>>,
    origin: &'a FloatingOrigin,
    /// The comfort veils: never ground or walls.
    veils: &'a [Entity],
}

impl SceneProbe<'_, '_, '_> {
    /// Distance and unit normal of the first surface along a ray within `max`.
    fn cast(&self, from: DVec3, direction: DVec3, max: f64) -> Option<(f64, DVec3)> {
        let start = render_to_world(self.origin, from);
        let dir = Dir3::new(direction.as_vec3()).ok()?;
        let not_veil = |e: Entity| !self.veils.contains(&e);
        let settings = MeshRayCastSettings::default()
            .with_visibility(RayCastVisibility::Visible)
            .with_filter(&not_veil);
        let mut ray_cast = self.ray_cast.borrow_mut();
        let (_, hit) = ray_cast.cast_ray(Ray3d::new(start, dir), &settings).first()?;
        let distance = f64::from(hit.distance);
        (distance <= max).then(|| (distance, hit.normal.as_dvec3().normalize_or(DVec3::Y)))
    }

    /// Whether a standing body fits at `floor`: nothing within its radius
    /// at knee, waist and head height, and nothing over its head.
    fn has_room(&self, floor: DVec3) -> bool {
        for height in [0.5, 1.0, 1.6] {
            for k in 0..8 {
                let a = f64::from(k) * std::f64::consts::FRAC_PI_4;
                let direction = DVec3::new(a.cos(), 0.0, a.sin());
                if self.cast(floor + DVec3::Y * height, direction, BODY_RADIUS_M).is_some() {
                    return false;
                }
            }
        }
        self.cast(floor + DVec3::Y * 0.05, DVec3::Y, BODY_HEIGHT_M).is_none()
    }
}

#[allow(clippy::too_many_arguments)] // A Bevy system: the session, the scene, its geometry, the veils, the tour and time.
pub(crate) fn read_controllers(
    mut session: ResMut<XrSession>,
    scene: Option<Res<ActiveScene>>,
    active_tour: Option<Res<ActiveTour>>,
    mut open: Option<ResMut<OpenArticle>>,
    mut tour_actions: MessageWriter<TourAction>,
    origin: Res<FloatingOrigin>,
    mut ray_cast: MeshRayCast,
    veils: Query<Entity, With<crate::XrOverlay>>,
    time: Res<Time>,
) {
    let Some(mode) = session.mode else { return };
    let Some(frame) = session.frame.clone() else { return };
    let Some(mut placement) = session.placement else { return };
    let veils: Vec<Entity> = veils.iter().collect();
    let probe = SceneProbe {
        ray_cast: RefCell::new(&mut ray_cast),
        origin: &origin,
        veils: &veils,
    };
    let head = session.head.unwrap_or((DVec3::ZERO, DQuat::IDENTITY));
    if mode == XrMode::Ar {
        place_ar_model(&mut session, &frame.inputs, frame.hit.as_ref());
        return;
    }
    // The shown hotspots, gathered only when a select asks for them.
    let shown_hotspots = || -> Vec<(usize, DVec3)> {
        let Some(scene) = &scene else { return Vec::new() };
        let shown = match &active_tour {
            Some(tour) => sontinh_tour_view::hotspots::shown_hotspots(&scene.0, tour),
            None => (0..scene.0.hotspots.len()).collect(),
        };
        shown
            .into_iter()
            .filter_map(|i| scene.0.hotspots.get(i).map(|h| (i, enu_to_render(h.enu))))
            .collect()
    };
    let mut aiming = None;
    let (mut turn_latched, mut a_down, mut b_down) = session.latches;
    let (mut a_now, mut b_now) = (false, false);
    for input in &frame.inputs {
        if input.mode != TargetRayMode::TrackedPointer {
            continue;
        }
        let (ray_origin, ray_dir) = ray_in_render(&placement, &input.ray);
        if input.selects > 0 {
            // A hotspot opens its article; a select elsewhere closes the one open.
            let pointed = pointed_hotspot(ray_origin, ray_dir, &shown_hotspots());
            if pointed.is_some() {
                session.selected_hotspot = pointed;
            }
            if let Some(open) = open.as_mut() {
                open.0 = pointed;
            }
        }
        let s = stick(input);
        match input.handedness {
            Handedness::Left => {
                // Walking: along the head's heading, over the ground, stopped by walls.
                if s.length() > 0.2 {
                    let dt = f64::from(time.delta_secs()).min(0.1);
                    let (head_pos, head_q) = placement.to_render(&XrPose {
                        position: head.0,
                        orientation: head.1,
                    });
                    let forward = (head_q * DVec3::NEG_Z).with_y(0.0).normalize_or(DVec3::NEG_Z);
                    let right = DVec3::Y.cross(forward).normalize_or(DVec3::X) * -1.0;
                    let step = (forward * -f64::from(s.y) + right * f64::from(s.x)) * WALK_SPEED * dt;
                    let feet = head_pos.with_y(placement.origin.y) + step;
                    if let Some((d, n)) = probe.cast(feet + DVec3::Y * 1.0, DVec3::NEG_Y, 2.0)
                        && n.angle_between(DVec3::Y).to_degrees() <= MAX_SLOPE_DEG
                    {
                        let floor = feet + DVec3::Y * (1.0 - d);
                        if probe.has_room(floor) {
                            placement = placement.teleport(head.0, floor);
                        }
                    }
                }
            }
            _ => {
                if s.y < -AIM_AT || session.aiming.is_some() && s.y < -RELEASE_BELOW {
                    let arc = parabola(
                        ray_origin,
                        ray_dir,
                        ARC_SPEED * placement.scale,
                        GRAVITY * placement.scale,
                        ARC_STEP_S,
                        ARC_POINTS,
                    );
                    let landing = find_landing(&arc, &|o, d, m| probe.cast(o, d, m), MAX_SLOPE_DEG, &|p| probe.has_room(p))
                        .map(|l| l.point)
                        .map_err(|why| why.message());
                    aiming = Some((arc, landing));
                } else if let Some((_, landing)) = session.aiming.take() {
                    // Released: go where the arc landed, or say why not.
                    session.teleports += 1;
                    match landing {
                        Ok(floor) => {
                            session.last_teleport = Some(TeleportOutcome::Landed {
                                floor_enu: render_to_enu(floor),
                            });
                            let to = placement.teleport(head.0, floor);
                            crate::fade::cut_to(&mut session, to);
                        }
                        Err(why) => session.last_teleport = Some(TeleportOutcome::Refused(why)),
                    }
                }
                if s.x.abs() > TURN_AT && !turn_latched {
                    turn_latched = true;
                    placement = placement.snap_turn(head.0, -f64::from(s.x.signum()) * SNAP_TURN_DEG.to_radians());
                } else if s.x.abs() < RELEASE_BELOW {
                    turn_latched = false;
                }
            }
        }
        a_now |= button(input, 4);
        b_now |= button(input, 5);
    }
    if a_now && !a_down {
        tour_actions.write(TourAction::Next);
    }
    if b_now && !b_down {
        tour_actions.write(TourAction::Previous);
    }
    (a_down, b_down) = (a_now, b_now);
    session.latches = (turn_latched, a_down, b_down);
    session.aiming = aiming;
    if session.pending.is_none() {
        session.placement = Some(placement);
    }
}

/// AR: the model follows the hit-test point until a select sets it down;
/// two touches turn and scale it.
fn place_ar_model(session: &mut XrSession, inputs: &[XrInput], hit: Option<&XrPose>) {
    let Some(mut model) = session.ar.clone() else { return };
    let selected = inputs.iter().any(|i| i.selects > 0);
    if !model.placed
        && let Some(hit) = hit
    {
        model.anchor = hit.position;
        model.placed = selected;
    }
    // Two screen touches: where their rays meet the model's plane, then and now.
    let touches: Vec<DVec2> = inputs
        .iter()
        .filter(|i| i.mode == TargetRayMode::Screen)
        .filter_map(|i| {
            let direction = i.ray.orientation * DVec3::NEG_Z;
            sontinh_xr::ar::ray_plane(i.ray.position, direction, model.anchor, DVec3::Y).map(|p| DVec2::new(p.x, -p.z))
        })
        .collect();
    if let [a, b] = touches[..] {
        if let Some(before) = session.touches
            && let Some((scale, turn)) = sontinh_xr::ar::two_pointer_gesture(before, [a, b])
        {
            model.scale = (model.scale * scale).clamp(1e-6, 10.0);
            model.yaw += turn;
        }
        session.touches = Some([a, b]);
    } else {
        session.touches = None;
    }
    session.placement = Some(Placement::anchored(model.anchor, model.base, -model.yaw, model.scale));
    session.ar = Some(model);
}

/// The pointer rays and the teleport arc, drawn in both eyes.
pub(crate) fn draw_rays(session: Res<XrSession>, origin: Res<FloatingOrigin>, gizmos: Option<Gizmos>) {
    let Some(mut gizmos) = gizmos else { return };
    let (Some(frame), Some(placement)) = (&session.frame, &session.placement) else {
        return;
    };
    if session.mode != Some(XrMode::Vr) {
        return;
    }
    for input in frame.inputs.iter().filter(|i| i.mode == TargetRayMode::TrackedPointer) {
        let (o, d) = ray_in_render(placement, &input.ray);
        gizmos.line(
            render_to_world(&origin, o),
            render_to_world(&origin, o + d * 5.0 * placement.scale),
            Color::srgb(0.9, 0.95, 1.0),
        );
    }
    if let Some((arc, landing)) = &session.aiming {
        let colour = if landing.is_ok() {
            Color::srgb(0.3, 0.9, 0.4)
        } else {
            Color::srgb(0.95, 0.3, 0.25)
        };
        gizmos.linestrip(arc.iter().map(|p| render_to_world(&origin, *p)), colour);
        if let Ok(p) = landing {
            let at = render_to_world(&origin, *p) + Vec3::Y * 0.02;
            gizmos.circle(Isometry3d::new(at, Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)), 0.3, colour);
        }
    }
}

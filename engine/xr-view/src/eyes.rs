//! Starting and ending a session, and the eye cameras each frame.

use bevy::camera::Viewport;
use bevy::core_pipeline::Skybox;
use bevy::math::{DQuat, DVec3};
use bevy::picking::mesh_picking::ray_cast::{MeshRayCast, MeshRayCastSettings, RayCastVisibility};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use sontinh_camera::{CameraRig, FloatingOrigin, Pose};
use sontinh_tour_view::TourSettings;
use sontinh_xr::frame::{XrMode, XrPose};
use sontinh_xr::placement::Placement;
use sontinh_xr::projection::Frustum;

use crate::{
    ArModel, SavedView, XrCommand, XrInbox, XrProjection, XrSession, enu_to_render, render_to_enu, render_to_world, world_to_render,
};

/// The second eye's camera (the scene camera is the first).
#[derive(Component, Debug)]
pub struct RightEye;

/// Within this height over the ground the user stands on it; higher views
/// (an overview) keep the user floating at the camera's height.
pub const STAND_WITHIN_M: f64 = 30.0;
/// Eye height of a standing user whose floor is unknown (magic window, floating).
pub const EYE_HEIGHT_M: f64 = 1.6;
/// Interpupillary distance for cardboard viewers (the adult mean).
pub const CARDBOARD_IPD_M: f64 = 0.064;
/// Near plane of an eye in reference metres.
pub const NEAR_M: f64 = 0.05;
/// Where shadows and light clusters stop for an eye.
const FAR_M: f32 = 60_000.0;
/// Field of view of the mono and cardboard eyes when the camera had none.
const DEFAULT_FOV: f64 = std::f64::consts::FRAC_PI_4;
/// AR: the table-top model's larger side.
pub const TABLETOP_M: f64 = 0.6;

type SceneCamera<'a> = (
    Entity,
    &'a mut Camera,
    &'a mut Transform,
    &'a mut Projection,
    &'a mut CameraRig,
    Option<&'a Skybox>,
);

/// The render-frame point of the ground below `eye_world` within
/// `STAND_WITHIN_M`, if the scene has one there.
pub(crate) fn ground_below(ray_cast: &mut MeshRayCast, origin: &FloatingOrigin, eye: DVec3) -> Option<DVec3> {
    let start = render_to_world(origin, eye);
    let settings = MeshRayCastSettings::default().with_visibility(RayCastVisibility::Visible);
    let hit = ray_cast
        .cast_ray(Ray3d::new(start, Dir3::NEG_Y), &settings)
        .first()
        .map(|(_, h)| h.clone())?;
    (f64::from(hit.distance) <= STAND_WITHIN_M).then(|| world_to_render(origin, hit.point))
}

/// Where the user stands for a camera at `eye` looking along `forward`. In
/// VR on the ground below when it is near, else floating at the camera's
/// height; elsewhere the phone is where the camera was (the head is the
/// reference origin).
pub(crate) fn placement_for_view(
    mode: XrMode,
    ray_cast: &mut MeshRayCast,
    origin: &FloatingOrigin,
    eye: DVec3,
    forward: DVec3,
) -> Placement {
    if mode != XrMode::Vr {
        return Placement::standing_at(eye, forward);
    }
    let floor = ground_below(ray_cast, origin, eye).unwrap_or(eye - DVec3::Y * EYE_HEIGHT_M);
    Placement::standing_at(floor, forward)
}

#[allow(clippy::too_many_arguments)] // A Bevy system: the session, the camera, the tour's settings, the section and the scene's geometry.
pub(crate) fn take_commands(
    inbox: Res<XrInbox>,
    mut session: ResMut<XrSession>,
    mut commands: Commands,
    mut cameras: Query<SceneCamera, Without<RightEye>>,
    right_eyes: Query<Entity, With<RightEye>>,
    origin: Res<FloatingOrigin>,
    mut tour: Option<ResMut<TourSettings>>,
    mut section: Option<ResMut<sontinh_layers::Section>>,
    mut ray_cast: MeshRayCast,
) {
    for command in inbox.take() {
        match command {
            XrCommand::Begin(mode) => {
                let Ok((entity, mut camera, _, projection, rig, skybox)) = cameras.single_mut() else {
                    continue;
                };
                if session.active() {
                    continue;
                }
                let pose = rig.pose();
                let (eye, target) = (world_to_render(&origin, pose.eye), world_to_render(&origin, pose.target));
                session.saved = Some(SavedView {
                    eye_enu: render_to_enu(eye),
                    target_enu: render_to_enu(target),
                    projection: projection.clone(),
                    viewport: camera.viewport.clone(),
                    clear_color: camera.clear_color,
                    reduced_motion: tour.as_ref().is_some_and(|t| t.reduced_motion),
                    skybox: skybox.cloned(),
                    section: section.as_deref().cloned(),
                });
                // Flights become cuts hidden by fades in a headset.
                if let Some(tour) = tour.as_mut() {
                    tour.reduced_motion = true;
                }
                session.placement = Some(placement_for_view(mode, &mut ray_cast, &origin, eye, target - eye));
                if mode == XrMode::Ar {
                    // The real world shows through: no sky, a clear background.
                    camera.clear_color = ClearColorConfig::Custom(Color::NONE);
                    commands.entity(entity).remove::<Skybox>();
                    let base = ground_below(&mut ray_cast, &origin, target + DVec3::Y * 5.0).unwrap_or(target);
                    let extent = DVec3::splat(eye.distance(target).max(1.0));
                    // The model is what the view framed: a square of the view's
                    // distance around its focus, cut out of the land around it.
                    if let Some(section) = section.as_mut() {
                        let half = extent.x / 2.0;
                        section.clip_box = Some(sontinh_layers::ClipBox {
                            center: render_to_enu(base),
                            half_extent: [half, half, 10_000.0],
                            heading_deg: 0.0,
                        });
                    }
                    session.ar = Some(ArModel {
                        placed: false,
                        anchor: DVec3::new(0.0, -0.5, -1.0),
                        base,
                        yaw: 0.0,
                        scale: sontinh_xr::ar::tabletop_scale(extent, TABLETOP_M),
                        extent,
                    });
                }
                // Kept for the mono and cardboard eyes.
                session.fov = match &*projection {
                    Projection::Perspective(p) => f64::from(p.fov),
                    _ => DEFAULT_FOV,
                };
                session.mode = Some(mode);
                session.frames = 0;
                session.rig_eye = Some(render_to_enu(eye));
                session.heading = None;
                session.teleports = 0;
                session.last_teleport = None;
                session.selected_hotspot = None;
            }
            XrCommand::Frame(frame) => {
                if !session.active() {
                    continue;
                }
                session.frames += 1;
                session.head = Some(match &frame.viewer {
                    Some(p) => (p.position, p.orientation),
                    None => (DVec3::ZERO, DQuat::IDENTITY),
                });
                session.frame = Some(*frame);
            }
            XrCommand::End => {
                if !session.active() {
                    continue;
                }
                for eye in &right_eyes {
                    commands.entity(eye).despawn();
                }
                let Ok((entity, mut camera, mut transform, mut projection, mut rig, _)) = cameras.single_mut() else {
                    continue;
                };
                if let Some(saved) = session.saved.take() {
                    // The camera goes on from where the user was in the session,
                    // looking the same way, with the page's own lens.
                    let head = head_in_render(&session);
                    let (eye, target) = match head {
                        Some((eye, q)) => (
                            eye,
                            eye + q * DVec3::NEG_Z * enu_to_render(saved.eye_enu).distance(enu_to_render(saved.target_enu)).max(1.0),
                        ),
                        None => (enu_to_render(saved.eye_enu), enu_to_render(saved.target_enu)),
                    };
                    let pose = Pose {
                        eye: render_to_world(&origin, eye),
                        target: render_to_world(&origin, target),
                    };
                    *transform = Transform::from_translation(pose.eye).looking_at(pose.target, Vec3::Y);
                    *rig = CameraRig::from_pose(pose);
                    *projection = saved.projection;
                    camera.viewport = saved.viewport;
                    camera.clear_color = saved.clear_color;
                    if let Some(skybox) = saved.skybox {
                        commands.entity(entity).insert(skybox);
                    }
                    if let Some(tour) = tour.as_mut() {
                        tour.reduced_motion = saved.reduced_motion;
                    }
                    if let (Some(section), Some(before)) = (section.as_mut(), saved.section) {
                        **section = before;
                    }
                }
                *session = XrSession::default();
            }
        }
    }
}

/// The head in the scene render frame.
pub(crate) fn head_in_render(session: &XrSession) -> Option<(DVec3, DQuat)> {
    let placement = session.placement.as_ref()?;
    let (p, q) = session.head.unwrap_or((DVec3::ZERO, DQuat::IDENTITY));
    let head = XrPose {
        position: p,
        orientation: q,
    };
    Some(placement.to_render(&head))
}

/// A tour stop or a bookmark moved the scene camera: the user is taken
/// there, behind a fade.
pub(crate) fn follow_the_rig(
    mut session: ResMut<XrSession>,
    rigs: Query<&CameraRig, Changed<CameraRig>>,
    origin: Res<FloatingOrigin>,
    mut ray_cast: MeshRayCast,
) {
    let Some(mode) = session.mode else { return };
    if mode == XrMode::Ar {
        return;
    }
    let Ok(rig) = rigs.single() else { return };
    let pose = rig.pose();
    let eye_enu = origin.to_enu(pose.eye);
    let moved = session.rig_eye.is_none_or(|seen| {
        let d = [eye_enu[0] - seen[0], eye_enu[1] - seen[1], eye_enu[2] - seen[2]];
        (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt() > 0.5
    });
    if !moved {
        return;
    }
    session.rig_eye = Some(eye_enu);
    let (eye, target) = (world_to_render(&origin, pose.eye), world_to_render(&origin, pose.target));
    let placement = placement_for_view(mode, &mut ray_cast, &origin, eye, target - eye);
    crate::fade::cut_to(&mut session, placement);
}

/// An eye to draw: its rectangle of the canvas (top-left origin), its pose
/// in the reference space and its frustum.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EyeView {
    pub viewport: [u32; 4],
    pub pose: XrPose,
    pub frustum: Frustum,
}

/// The eyes to draw this frame: the XR system's views, or made here for
/// the cardboard and magic-window modes.
pub(crate) fn views_for(session: &XrSession, mode: XrMode, canvas: [u32; 2]) -> Vec<EyeView> {
    let Some(frame) = &session.frame else { return Vec::new() };
    let head = session.head.unwrap_or((DVec3::ZERO, DQuat::IDENTITY));
    match mode {
        XrMode::Vr | XrMode::Ar if !frame.views.is_empty() => frame
            .views
            .iter()
            .filter_map(|v| {
                // The frame's parser accepted only projections this reads.
                let frustum = Frustum::from_gl_projection(&v.projection).ok()?;
                Some(EyeView {
                    viewport: v.viewport,
                    pose: v.pose,
                    frustum,
                })
            })
            .collect(),
        XrMode::Cardboard => match sontinh_xr::stereo::side_by_side(canvas, CARDBOARD_IPD_M, session.fov) {
            Ok(eyes) => eyes
                .iter()
                .map(|e| EyeView {
                    viewport: e.viewport,
                    pose: XrPose {
                        position: head.0 + head.1 * DVec3::X * e.offset_m,
                        orientation: head.1,
                    },
                    frustum: e.frustum,
                })
                .collect(),
            Err(_) => Vec::new(),
        },
        _ => {
            let aspect = f64::from(canvas[0].max(1)) / f64::from(canvas[1].max(1));
            vec![EyeView {
                viewport: [0, 0, canvas[0], canvas[1]],
                pose: XrPose {
                    position: head.0,
                    orientation: head.1,
                },
                frustum: Frustum::symmetric(session.fov, aspect),
            }]
        }
    }
}

/// Magic window and cardboard: the head turns with the phone, starting
/// the way the camera looked.
pub(crate) fn orient_head(session: &mut XrSession) {
    let Some(frame) = &session.frame else { return };
    let Some(o) = &frame.orientation else { return };
    let q = sontinh_xr::orientation::camera_orientation(o);
    let heading = *session.heading.get_or_insert_with(|| {
        let f = q * DVec3::NEG_Z;
        DQuat::from_rotation_y(-(-f.x).atan2(-f.z))
    });
    session.head = Some((DVec3::ZERO, heading * q));
}

type RightEyeCamera<'a> = (Entity, &'a mut Camera, &'a mut Transform, &'a mut Projection, Has<Skybox>);

type EyeCamera<'a> = (
    Entity,
    &'a mut Camera,
    &'a mut Transform,
    &'a mut Projection,
    Option<&'a DistanceFog>,
);

pub(crate) fn drive_eyes(
    mut session: ResMut<XrSession>,
    mut commands: Commands,
    mut scene_cameras: Query<EyeCamera, (With<CameraRig>, Without<RightEye>)>,
    mut right_eyes: Query<RightEyeCamera, (With<RightEye>, Without<CameraRig>)>,
    windows: Query<&Window, With<PrimaryWindow>>,
    origin: Res<FloatingOrigin>,
) {
    let Some(mode) = session.mode else { return };
    let Some(frame) = &session.frame else { return };
    let canvas = frame.canvas;
    if matches!(mode, XrMode::MagicWindow | XrMode::Cardboard) {
        orient_head(&mut session);
    }
    let Some(placement) = session.placement else { return };
    let views = views_for(&session, mode, canvas);
    // The canvas the page measured may differ from the surface Bevy draws
    // (a resize in flight): the viewports are scaled to the window.
    let window_size = windows
        .single()
        .map(|w| UVec2::new(w.physical_width(), w.physical_height()))
        .unwrap_or(UVec2::new(canvas[0], canvas[1]));
    let scale = Vec2::new(
        window_size.x as f32 / canvas[0].max(1) as f32,
        window_size.y as f32 / canvas[1].max(1) as f32,
    );
    let near = (NEAR_M * placement.scale) as f32;
    let mut placed_right = false;
    for (i, view) in views.iter().take(2).enumerate() {
        let frustum = view.frustum;
        let (position, orientation) = placement.to_render(&view.pose);
        let transform = Transform {
            translation: render_to_world(&origin, position),
            rotation: orientation.as_quat(),
            scale: Vec3::ONE,
        };
        let viewport = viewport_in(view.viewport, scale, window_size);
        let projection = Projection::custom(XrProjection::new(frustum, near, FAR_M));
        if i == 0 {
            let Ok((_, mut camera, mut t, mut p, _)) = scene_cameras.single_mut() else {
                return;
            };
            camera.viewport = viewport;
            *t = transform;
            *p = projection;
        } else if let Ok((entity, mut camera, mut t, mut p, has_sky)) = right_eyes.single_mut() {
            camera.viewport = viewport;
            *t = transform;
            *p = projection;
            if mode == XrMode::Ar && has_sky {
                commands.entity(entity).remove::<Skybox>();
            }
            placed_right = true;
        } else if let Ok((_, _, _, _, fog)) = scene_cameras.single() {
            let mut right = commands.spawn((
                Name::new("right eye"),
                RightEye,
                Camera3d::default(),
                // The left eye cleared the canvas; this one draws beside it.
                Camera {
                    order: 1,
                    viewport,
                    clear_color: ClearColorConfig::None,
                    ..default()
                },
                projection,
                transform,
            ));
            if let Some(fog) = fog {
                right.insert(fog.clone());
            }
            placed_right = true;
        }
    }
    if !placed_right {
        for (entity, ..) in &right_eyes {
            commands.entity(entity).despawn();
        }
    }
}

/// A view's viewport (canvas pixels, top-left origin) on a window of `size`.
fn viewport_in(vp: [u32; 4], scale: Vec2, size: UVec2) -> Option<Viewport> {
    if size.x == 0 || size.y == 0 {
        return None;
    }
    let x = ((vp[0] as f32 * scale.x).round() as u32).min(size.x.saturating_sub(1));
    let y = ((vp[1] as f32 * scale.y).round() as u32).min(size.y.saturating_sub(1));
    let w = ((vp[2] as f32 * scale.x).round() as u32).clamp(1, size.x - x);
    let h = ((vp[3] as f32 * scale.y).round() as u32).clamp(1, size.y - y);
    Some(Viewport {
        physical_position: UVec2::new(x, y),
        physical_size: UVec2::new(w, h),
        ..default()
    })
}

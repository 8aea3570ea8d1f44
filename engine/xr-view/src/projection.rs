//! A camera projection given as a matrix: each eye's, from the XR system.

use bevy::camera::{CameraProjection, SubCameraView};
use bevy::math::Vec3A;
use bevy::prelude::*;
use sontinh_xr::projection::Frustum;

/// An eye's projection: an off-axis frustum, reverse-Z with an infinite far
/// plane as Bevy's own perspective.
#[derive(Debug, Clone, PartialEq)]
pub struct XrProjection {
    pub frustum: Frustum,
    pub near: f32,
    /// Where shadows and clusters stop (Bevy asks every projection for one).
    pub far: f32,
}

impl XrProjection {
    pub fn new(frustum: Frustum, near: f32, far: f32) -> Self {
        Self { frustum, near, far }
    }
}

impl CameraProjection for XrProjection {
    fn get_clip_from_view(&self) -> Mat4 {
        self.frustum.reverse_z_infinite(self.near)
    }

    fn get_clip_from_view_for_sub(&self, _sub_view: &SubCameraView) -> Mat4 {
        // Eyes are never split into sub-views.
        self.get_clip_from_view()
    }

    fn update(&mut self, _width: f32, _height: f32) {
        // The XR system's frustum already fits the eye's viewport.
    }

    fn far(&self) -> f32 {
        self.far
    }

    fn get_frustum_corners(&self, z_near: f32, z_far: f32) -> [Vec3A; 8] {
        let f = &self.frustum;
        let (l, r, b, t) = (f.left as f32, f.right as f32, f.bottom as f32, f.top as f32);
        let (n, d) = (z_near.abs(), z_far.abs());
        // Bottom right, top right, top left, bottom left; near then far (Bevy's order).
        [
            Vec3A::new(r * n, b * n, z_near),
            Vec3A::new(r * n, t * n, z_near),
            Vec3A::new(l * n, t * n, z_near),
            Vec3A::new(l * n, b * n, z_near),
            Vec3A::new(r * d, b * d, z_far),
            Vec3A::new(r * d, t * d, z_far),
            Vec3A::new(l * d, t * d, z_far),
            Vec3A::new(l * d, b * d, z_far),
        ]
    }
}

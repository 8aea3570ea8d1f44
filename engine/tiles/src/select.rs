//! Which tiles to draw from a viewpoint: screen-space error, refinement
//! (REPLACE draws a parent until its children are ready; ADD draws both),
//! viewer request volumes and frustum culling.

use crate::{Tileset, Volume, distance, transform_point};

/// Where the viewer is, in tileset (world) coordinates, and how errors show.
#[derive(Clone, Copy, Debug)]
pub struct View {
    pub eye: [f64; 3],
    /// The view's height in pixels over its vertical field of view.
    pub pixels_per_radian: f64,
    /// Largest screen-space error drawn, pixels (Cesium's default is 16).
    pub max_error_px: f64,
    /// The view's frustum in tileset coordinates: tiles wholly outside it
    /// are neither drawn nor loaded. `None` keeps every direction.
    pub frustum: Option<Frustum>,
}

/// Six planes `(a, b, c, d)`: a point `p` is inside where `a·p + d ≥ 0` for all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frustum {
    pub planes: [[f64; 4]; 6],
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn unit(a: [f64; 3]) -> [f64; 3] {
    let l = dot(a, a).sqrt().max(1e-300);
    a.map(|c| c / l)
}

impl Frustum {
    /// A perspective view from `eye` toward `target` with `up`, vertical
    /// field of view `fov_y` (radians), width over height `aspect`, between
    /// `near` and `far`: for callers without a GPU camera (benchmarks, tests).
    pub fn perspective(eye: [f64; 3], target: [f64; 3], up: [f64; 3], fov_y: f64, aspect: f64, near: f64, far: f64) -> Frustum {
        let f = unit(sub(target, eye));
        let r = unit(cross(f, up));
        let u = cross(r, f);
        let hy = fov_y / 2.0;
        let hx = (hy.tan() * aspect).atan();
        let side = |axis: [f64; 3], sign: f64, half: f64| [0, 1, 2].map(|k| sign * half.cos() * axis[k] + half.sin() * f[k]);
        let through_eye = |n: [f64; 3]| [n[0], n[1], n[2], -dot(n, eye)];
        Frustum {
            planes: [
                [f[0], f[1], f[2], -dot(f, eye) - near],
                [-f[0], -f[1], -f[2], dot(f, eye) + far],
                through_eye(side(r, 1.0, hx)),
                through_eye(side(r, -1.0, hx)),
                through_eye(side(u, 1.0, hy)),
                through_eye(side(u, -1.0, hy)),
            ],
        }
    }

    /// Whether a sphere reaches inside every plane.
    pub fn intersects_sphere(&self, centre: [f64; 3], radius: f64) -> bool {
        self.planes.iter().all(|p| {
            let length = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
            p[0] * centre[0] + p[1] * centre[1] + p[2] * centre[2] + p[3] >= -radius * length
        })
    }
}

fn inside(volume: &Volume, transform: &[f64; 16], eye: [f64; 3]) -> bool {
    match volume {
        Volume::Sphere(s) => {
            let c = transform_point(transform, [s[0], s[1], s[2]]);
            distance(c, eye) <= s[3] * crate::max_scale(transform)
        }
        other => {
            let (c, r) = crate::bounding_sphere(other, transform);
            distance(c, eye) <= r
        }
    }
}

/// Tiles whose content to draw. `ready(i)` says whether tile i's content is
/// loaded: a REPLACE parent stays drawn until all its children are ready.
/// Also returns the tiles wanted but not ready, nearest first, to load next.
pub fn select(tileset: &Tileset, view: &View, ready: &dyn Fn(usize) -> bool) -> (Vec<usize>, Vec<usize>) {
    let mut draw = Vec::new();
    let mut wanted = Vec::new();
    if !tileset.tiles.is_empty() {
        visit(tileset, 0, view, ready, &mut draw, &mut wanted);
    }
    wanted.sort_by(|&a, &b| {
        let d = |i: usize| distance(tileset.tiles[i].sphere.0, view.eye);
        d(a).total_cmp(&d(b))
    });
    (draw, wanted)
}

fn error_px(tileset: &Tileset, i: usize, view: &View) -> f64 {
    let t = &tileset.tiles[i];
    let d = (distance(t.sphere.0, view.eye) - t.sphere.1).max(1e-3);
    t.geometric_error * view.pixels_per_radian / d
}

/// Returns whether the subtree at `i` is fully drawable (for REPLACE parents).
fn visit(tileset: &Tileset, i: usize, view: &View, ready: &dyn Fn(usize) -> bool, draw: &mut Vec<usize>, wanted: &mut Vec<usize>) -> bool {
    let t = &tileset.tiles[i];
    if let Some(rv) = &t.request_volume
        && !inside(rv, &t.transform, view.eye)
    {
        return true; // not requested from here: nothing to wait for
    }
    if let Some(frustum) = &view.frustum
        && !frustum.intersects_sphere(t.sphere.0, t.sphere.1)
    {
        return true; // out of view: nothing to draw or wait for
    }
    let has_content = t.content.is_some();
    let self_ready = !has_content || ready(i);
    if has_content && !self_ready {
        wanted.push(i);
    }
    let refine = !t.children.is_empty() && error_px(tileset, i, view) > view.max_error_px;
    if !refine {
        if has_content && self_ready {
            draw.push(i);
        }
        return self_ready;
    }
    match t.refine {
        crate::Refine::Add => {
            if has_content && self_ready {
                draw.push(i);
            }
            let mut all = self_ready;
            for &c in &t.children {
                all &= visit(tileset, c, view, ready, draw, wanted);
            }
            all
        }
        crate::Refine::Replace => {
            let mut child_draw = Vec::new();
            let mut children_ready = true;
            for &c in &t.children {
                children_ready &= visit(tileset, c, view, ready, &mut child_draw, wanted);
            }
            if children_ready || !self_ready || !has_content {
                draw.extend(child_draw);
            } else {
                // Keep the parent until its replacements are in.
                draw.push(i);
            }
            children_ready || self_ready
        }
    }
}

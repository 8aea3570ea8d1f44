//! The shapes and colours of the feed markers, as plain functions of the
//! data (tested without an App).

use sontinh_feeds::reach_surface;
use sontinh_procgen::MeshData;

/// Marker colour by flood alarm level (linear RGB): below Báo động I, then I, II, III.
pub const ALARM_COLORS: [[f32; 3]; 4] = [[0.10, 0.55, 0.20], [0.95, 0.80, 0.05], [0.95, 0.42, 0.02], [0.85, 0.04, 0.04]];
/// A device that missed its reporting period, or has no reading.
pub const STALE_COLOR: [f32; 3] = [0.45, 0.45, 0.48];

pub fn alarm_color(level: Option<u8>, stale: bool) -> [f32; 3] {
    match level {
        Some(l) if !stale => ALARM_COLORS[usize::from(l.min(3))],
        _ => STALE_COLOR,
    }
}

/// Height of a gauge symbol, m: the bar fills it at 1.25 × Báo động III.
pub const GAUGE_SYMBOL_M: f32 = 60.0;

/// How full a gauge's bar is (0–1).
pub fn gauge_fill(level_m: f64, alarm_levels_m: &[f64; 3]) -> f32 {
    let top = alarm_levels_m[2] * 1.25;
    if top <= 0.0 || !level_m.is_finite() {
        return 0.0;
    }
    (level_m / top).clamp(0.0, 1.0) as f32
}

/// Where a camera looks, as an ENU unit vector: heading clockwise from
/// north, pitch up from the horizon, degrees.
pub fn look_direction(heading_deg: f64, pitch_deg: f64) -> [f64; 3] {
    let (h, p) = (heading_deg.to_radians(), pitch_deg.to_radians());
    [h.sin() * p.cos(), h.cos() * p.cos(), p.sin()]
}

/// The far corners of a camera's view pyramid in ENU, `range` metres out,
/// for a horizontal field of view `fov_deg` and 16:9 pictures.
pub fn frustum_corners(eye: [f64; 3], heading_deg: f64, pitch_deg: f64, fov_deg: f64, range: f64) -> [[f64; 3]; 4] {
    let forward = look_direction(heading_deg, pitch_deg);
    let right = look_direction(heading_deg + 90.0, 0.0);
    let up = cross(right, forward);
    let half_w = (fov_deg.to_radians() / 2.0).tan() * range;
    let half_h = half_w * 9.0 / 16.0;
    let centre = [0, 1, 2].map(|i| eye[i] + forward[i] * range);
    [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)].map(|(sx, sy)| [0, 1, 2].map(|i| centre[i] + right[i] * half_w * sx + up[i] * half_h * sy))
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

/// A river reach resampled along its centre line.
#[derive(Clone, Debug)]
pub struct ReachLine {
    pub points: Vec<[f64; 2]>,
    /// Distance along the reach of each point, m.
    pub chainage: Vec<f64>,
    pub width_m: f64,
}

impl ReachLine {
    /// Resamples `path` (ENU, upstream first) every `step` metres at most.
    pub fn new(path: &[[f64; 2]], width_m: f64, step: f64) -> ReachLine {
        let mut points = Vec::new();
        let mut chainage = Vec::new();
        let mut along = 0.0;
        for pair in path.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let length = (b[0] - a[0]).hypot(b[1] - a[1]);
            let n = (length / step.max(1.0)).ceil().max(1.0) as usize;
            for k in 0..n {
                let t = k as f64 / n as f64;
                points.push([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]);
                chainage.push(along + length * t);
            }
            along += length;
        }
        if let Some(last) = path.last() {
            points.push(*last);
            chainage.push(along);
        }
        ReachLine { points, chainage, width_m }
    }

    /// Distance along the reach of the point nearest `p`, and how far `p` is from it.
    pub fn project(&self, p: [f64; 2]) -> (f64, f64) {
        let mut best = (0.0, f64::INFINITY);
        for i in 0..self.points.len().saturating_sub(1) {
            let (a, b) = (self.points[i], self.points[i + 1]);
            let d = [b[0] - a[0], b[1] - a[1]];
            let len2 = d[0] * d[0] + d[1] * d[1];
            let t = if len2 > 0.0 { (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / len2).clamp(0.0, 1.0) } else { 0.0 };
            let q = [a[0] + d[0] * t, a[1] + d[1] * t];
            let dist = (p[0] - q[0]).hypot(p[1] - q[1]);
            if dist < best.1 {
                best = (self.chainage[i] + (self.chainage[i + 1] - self.chainage[i]) * t, dist);
            }
        }
        best
    }

    /// The water surface as a ribbon at the levels interpolated between
    /// `stations` (chainage, height in scene metres); `None` without any.
    pub fn surface(&self, stations: &[(f64, f64)], color: [f32; 4]) -> Option<MeshData> {
        let levels = reach_surface(stations, &self.chainage)?;
        let n = self.points.len();
        let half = self.width_m / 2.0;
        let edge = |i: usize, side: f64| -> [f32; 3] {
            let prev = self.points[i.saturating_sub(1)];
            let next = self.points[(i + 1).min(n - 1)];
            let (dx, dy) = (next[0] - prev[0], next[1] - prev[1]);
            let len = dx.hypot(dy).max(1e-9);
            // Left of the flow direction is (-dy, dx).
            let (nx, ny) = (-dy / len, dx / len);
            [(self.points[i][0] + nx * half * side) as f32, (self.points[i][1] + ny * half * side) as f32, levels[i] as f32]
        };
        let mut mesh = MeshData::default();
        for i in 0..n.saturating_sub(1) {
            // Counter-clockwise from above: right bank, then left.
            mesh.push_quad([edge(i, -1.0), edge(i + 1, -1.0), edge(i + 1, 1.0), edge(i, 1.0)], color);
        }
        // Water is lit as level: on the inside of a tight bend the banks'
        // offsets cross, and a folded quad must not turn dark.
        for n in &mut mesh.normals {
            *n = [0.0, 0.0, 1.0];
        }
        Some(mesh)
    }
}

/// Colour of a flood warning's extent (linear RGB): the alarm's red.
pub const WARNING_COLOR: [f32; 3] = [1.0, 0.08, 0.02];
/// Points of a warning's extent drawn at most: a bound on what a message can make the viewer draw.
pub const MAX_WARNING_POINTS: usize = 200_000;

/// The rings (outer and holes) of a flood warning's extent, a GeoJSON
/// FeatureCollection of (Multi)Polygons in WGS 84, as scene ENU points at
/// the water level `level_m` (the gauge datum taken as the scene's height
/// datum, as the reaches are drawn). At most [`MAX_WARNING_POINTS`] points.
pub fn warning_rings(frame: &sontinh_geo::EnuFrame, extent: &serde_json::Value, level_m: f64) -> Vec<Vec<[f64; 3]>> {
    let mut rings = Vec::new();
    let mut points = 0usize;
    let features = extent["features"].as_array().map(Vec::as_slice).unwrap_or_default();
    for geometry in features.iter().map(|f| &f["geometry"]) {
        let polygons: Vec<&serde_json::Value> = match geometry["type"].as_str() {
            Some("Polygon") => vec![&geometry["coordinates"]],
            Some("MultiPolygon") => geometry["coordinates"].as_array().map(|p| p.iter().collect()).unwrap_or_default(),
            _ => Vec::new(),
        };
        for ring in polygons.iter().filter_map(|p| p.as_array()).flatten() {
            let ring: Vec<[f64; 3]> = ring
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
                .filter(|(lon, lat)| lon.is_finite() && lat.is_finite())
                .map(|(lon, lat)| frame.geodetic_to_enu(sontinh_geo::Geodetic::new(lon, lat, level_m)))
                .collect();
            points += ring.len();
            if points > MAX_WARNING_POINTS {
                return rings;
            }
            if ring.len() >= 2 {
                rings.push(ring);
            }
        }
    }
    rings
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn colours_follow_alarm_levels_and_staleness() {
        assert_eq!(alarm_color(Some(3), false), ALARM_COLORS[3]);
        assert_eq!(alarm_color(Some(0), false), ALARM_COLORS[0]);
        assert_eq!(alarm_color(Some(2), true), STALE_COLOR);
        assert_eq!(alarm_color(None, false), STALE_COLOR);
        assert_relative_eq!(gauge_fill(7.5, &[3.0, 4.5, 6.0]), 1.0);
        assert_relative_eq!(gauge_fill(3.75, &[3.0, 4.5, 6.0]), 0.5);
        assert_relative_eq!(gauge_fill(-1.0, &[3.0, 4.5, 6.0]), 0.0);
    }

    #[test]
    fn a_camera_looking_south_and_down_has_its_frustum_south_and_below() {
        let corners = frustum_corners([0.0, 0.0, 10.0], 180.0, -15.0, 60.0, 100.0);
        for c in corners {
            assert!(c[1] < -80.0, "{c:?}");
        }
        let mean_z: f64 = corners.iter().map(|c| c[2]).sum::<f64>() / 4.0;
        assert_relative_eq!(mean_z, 10.0 - 100.0 * 15f64.to_radians().sin(), epsilon = 1e-9);
        // 60° wide: the far edge is 2·tan(30°)·100 m across.
        assert_relative_eq!((corners[1][0] - corners[0][0]).abs(), 2.0 * 30f64.to_radians().tan() * 100.0, epsilon = 1e-9);
    }

    #[test]
    fn reach_surface_slopes_between_gauges_and_projects_points() {
        let line = ReachLine::new(&[[0.0, 0.0], [0.0, 1000.0], [1000.0, 1000.0]], 100.0, 50.0);
        assert_relative_eq!(*line.chainage.last().unwrap(), 2000.0);
        let (chainage, distance) = line.project([30.0, 500.0]);
        assert_relative_eq!(chainage, 500.0);
        assert_relative_eq!(distance, 30.0);
        let mesh = line.surface(&[(0.0, 8.0), (2000.0, 6.0)], [0.0, 0.0, 1.0, 1.0]).unwrap();
        let (lo, hi) = mesh.bounds().unwrap();
        assert_relative_eq!(lo[2], 6.0);
        assert_relative_eq!(hi[2], 8.0);
        assert!(lo[0] < -49.0 && hi[1] > 1049.0, "{lo:?} {hi:?}");
        assert!(mesh.normals.iter().all(|n| n[2] > 0.99), "faces up");
        assert!(line.surface(&[], [0.0; 4]).is_none());
    }
}


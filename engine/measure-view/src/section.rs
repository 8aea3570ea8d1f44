//! Sections from measurements: a clip box around what a measurement spans,
//! and a section view along a line (a thin turned box on the line, looked
//! at square-on), so that a wall's thickness or a ditch's shape reads in
//! the cut of every layer at once.

use sontinh_camera::FlyTo;
use sontinh_layers::ClipBox;

/// How far past a measurement's points a box around it reaches, m.
pub const BOX_MARGIN_M: f64 = 2.0;
/// Sections stand this tall about the line's heights, m: the whole of a relic or a valley.
const SECTION_HALF_HEIGHT_M: f64 = 2_000.0;

/// The unturned box around `points` (scene ENU), `margin` past them on every side.
pub fn box_around(points: &[[f64; 3]], margin: f64) -> Option<ClipBox> {
    let first = *points.first()?;
    let (mut lo, mut hi) = (first, first);
    for p in points {
        for i in 0..3 {
            lo[i] = lo[i].min(p[i]);
            hi[i] = hi[i].max(p[i]);
        }
    }
    Some(ClipBox::from_corners(lo.map(|v| v - margin), hi.map(|v| v + margin)))
}

/// The slab `thickness` metres thick standing on the horizontal line from
/// `a` to `b`, and the view looking at it square-on from its right-hand
/// side (the east side of a line running north) at a distance that shows
/// its whole length.
pub fn section_along(a: [f64; 3], b: [f64; 3], thickness: f64) -> Option<(ClipBox, FlyTo)> {
    let (de, dn) = (b[0] - a[0], b[1] - a[1]);
    let length = de.hypot(dn);
    if !(length > 0.01 && thickness > 0.0 && thickness.is_finite()) {
        return None;
    }
    let middle = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0, (a[2] + b[2]) / 2.0];
    // Clockwise from north, as the box turns: its north axis runs along the line.
    let heading_deg = de.atan2(dn).to_degrees();
    let section = ClipBox { center: middle, half_extent: [thickness / 2.0, length / 2.0, SECTION_HALF_HEIGHT_M], heading_deg };
    // Right of the line: its direction turned clockwise by 90°.
    let right = [dn / length, -de / length];
    let distance = length * 0.9 + 5.0;
    let eye = [middle[0] + right[0] * distance, middle[1] + right[1] * distance, middle[2]];
    Some((section, FlyTo { eye, target: middle, fov: None }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sontinh_layers::Section;

    #[test]
    fn a_box_around_keeps_the_points_and_their_margin_only() {
        let b = box_around(&[[0.0, 0.0, 1.0], [10.0, 4.0, 3.0]], 2.0).unwrap();
        let s = Section { planes: vec![], clip_box: Some(b) };
        assert!(s.keeps([-1.9, 5.9, 4.9]) && s.keeps([11.9, -1.9, -0.9]));
        assert!(!s.keeps([12.1, 0.0, 2.0]) && !s.keeps([5.0, 6.1, 2.0]) && !s.keeps([5.0, 2.0, 5.1]));
        assert!(box_around(&[], 1.0).is_none());
    }

    #[test]
    fn a_section_keeps_its_line_and_cuts_beside_it() {
        // A line running north-east, 100 m long, in a 1 m slab.
        let a = [0.0, 0.0, 5.0];
        let b = [100.0 / 2f64.sqrt(), 100.0 / 2f64.sqrt(), 5.0];
        let (clip, fly) = section_along(a, b, 1.0).unwrap();
        assert!((clip.heading_deg - 45.0).abs() < 1e-9);
        let s = Section { planes: vec![], clip_box: Some(clip) };
        for t in [0.01, 0.25, 0.5, 0.99] {
            let on = [b[0] * t, b[1] * t, 5.0 + 300.0 * t];
            assert!(s.keeps(on), "{on:?} on the line");
            // 0.6 m to the line's right (south-east), and 0.4 m: out, then in.
            let off = |d: f64| [on[0] + d / 2f64.sqrt(), on[1] - d / 2f64.sqrt(), on[2]];
            assert!(!s.keeps(off(0.6)) && s.keeps(off(0.4)), "{t}");
        }
        assert!(!s.keeps([b[0] * 1.05, b[1] * 1.05, 5.0]), "past the line's end");
        // The view stands to the line's right (south-east), level with it, looking at its middle.
        assert!(fly.eye[0] > fly.target[0] && fly.eye[1] < fly.target[1] && (fly.eye[2] - 5.0).abs() < 1e-9);
        assert!(section_along(a, a, 1.0).is_none());
    }
}

//! Plane geometry of features in the scene's ENU plane: lines densified,
//! polygons cut into triangles and those split until they follow the ground.

/// Unit normal of a triangle (counter-clockwise front), up when degenerate.
pub(crate) fn normal(t: [[f64; 3]; 3]) -> [f64; 3] {
    let u = [t[1][0] - t[0][0], t[1][1] - t[0][1], t[1][2] - t[0][2]];
    let v = [t[2][0] - t[0][0], t[2][1] - t[0][1], t[2][2] - t[0][2]];
    let n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if len > 0.0 && len.is_finite() {
        n.map(|c| c / len)
    } else {
        [0.0, 0.0, 1.0]
    }
}

/// A polyline with vertices added so that no step is longer than `step`.
pub(crate) fn densify(points: &[[f64; 2]], step: f64) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(points.len());
    for (i, &p) in points.iter().enumerate() {
        if let Some(&q) = i.checked_sub(1).and_then(|j| points.get(j)) {
            let len = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
            // Bounded: a step below a thousandth of the segment is never asked for.
            let pieces = (len / step).ceil().clamp(1.0, 1000.0) as usize;
            for k in 1..pieces {
                let t = k as f64 / pieces as f64;
                out.push([q[0] + (p[0] - q[0]) * t, q[1] + (p[1] - q[1]) * t]);
            }
        }
        out.push(p);
    }
    out
}

/// Twice the signed area of a ring (positive counter-clockwise).
pub(crate) fn signed_area2(ring: &[[f64; 2]]) -> f64 {
    let mut sum = 0.0;
    for (i, p) in ring.iter().enumerate() {
        let q = ring[(i + 1) % ring.len()];
        sum += p[0] * q[1] - q[0] * p[1];
    }
    sum
}

/// A ring without its closing repeat and without repeated neighbours.
pub(crate) fn open_ring(ring: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(ring.len());
    for &p in ring {
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// Triangles (counter-clockwise) of a polygon given by its rings (outer
/// first, then holes), as positions; empty when it has no area.
pub(crate) fn triangulate(rings: &[Vec<[f64; 2]>], earcut: &mut earcut::Earcut<f64>) -> Vec<[[f64; 2]; 3]> {
    let rings: Vec<Vec<[f64; 2]>> = rings.iter().map(|r| open_ring(r)).filter(|r| r.len() >= 3).collect();
    let Some(outer) = rings.first() else { return Vec::new() };
    if signed_area2(outer).abs() <= f64::EPSILON {
        return Vec::new();
    }
    // Near the origin for precision: earcut works in the polygon's own frame.
    let o = outer[0];
    let mut flat = Vec::new();
    let mut holes = Vec::new();
    for (i, ring) in rings.iter().enumerate() {
        if i > 0 {
            holes.push(flat.len());
        }
        flat.extend(ring.iter().map(|p| [p[0] - o[0], p[1] - o[1]]));
    }
    let mut indices: Vec<usize> = Vec::new();
    earcut.earcut(flat.iter().copied(), &holes, &mut indices);
    let mut out = Vec::with_capacity(indices.len() / 3);
    for t in indices.chunks_exact(3) {
        let p = |i: usize| flat.get(i).map(|q| [q[0] + o[0], q[1] + o[1]]);
        let (Some(a), Some(b), Some(c)) = (p(t[0]), p(t[1]), p(t[2])) else {
            continue;
        };
        let tri = [a, b, c];
        // Earcut's winding follows the input; make every triangle face up.
        let area = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]);
        out.push(if area < 0.0 { [a, c, b] } else { tri });
    }
    out
}

/// Triangles split in four until no edge is longer than `step` (at most
/// `max_depth` times), so a fill follows the ground under it.
pub(crate) fn subdivide(triangles: Vec<[[f64; 2]; 3]>, step: f64, max_depth: u32) -> Vec<[[f64; 2]; 3]> {
    let mut out = Vec::with_capacity(triangles.len());
    let mut stack: Vec<([[f64; 2]; 3], u32)> = triangles.into_iter().map(|t| (t, 0)).collect();
    let len = |a: [f64; 2], b: [f64; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    while let Some((t, depth)) = stack.pop() {
        let longest = len(t[0], t[1]).max(len(t[1], t[2])).max(len(t[2], t[0]));
        if longest <= step || depth >= max_depth {
            out.push(t);
            continue;
        }
        let mid = |a: [f64; 2], b: [f64; 2]| [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
        let (ab, bc, ca) = (mid(t[0], t[1]), mid(t[1], t[2]), mid(t[2], t[0]));
        for child in [[t[0], ab, ca], [ab, t[1], bc], [ca, bc, t[2]], [ab, bc, ca]] {
            stack.push((child, depth + 1));
        }
    }
    out
}

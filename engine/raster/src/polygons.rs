//! Polygons around the true cells of a mask: the flood extent as vectors.
//!
//! Every true cell contributes its four edges, counter-clockwise; edges shared
//! by two true cells cancel; what is left links up into closed rings —
//! counter-clockwise outer rings and clockwise holes. Where two rings touch
//! only at a corner, the walk turns left, so that rings never cross.

use std::collections::HashMap;

/// A polygon in pixel-corner coordinates (column, row): x grows east, y grows
/// south, so "counter-clockwise" is as seen on the map.
#[derive(Clone, Debug, PartialEq)]
pub struct MaskPolygon {
    pub outer: Vec<(usize, usize)>,
    pub holes: Vec<Vec<(usize, usize)>>,
}

/// Traces the polygons of `mask` (row-major, `width` columns).
pub fn mask_polygons(mask: &[bool], width: usize) -> Vec<MaskPolygon> {
    if width == 0 {
        return Vec::new();
    }
    let height = mask.len() / width;
    let at =
        |c: isize, r: isize| c >= 0 && r >= 0 && (c as usize) < width && (r as usize) < height && mask[r as usize * width + c as usize];
    // Directed edges, keyed by start corner. Seen on a map (north up, rows
    // going south), counter-clockwise around a cell is: bottom-left →
    // bottom-right → top-right → top-left.
    let mut outgoing: HashMap<(usize, usize), Vec<(usize, usize)>> = HashMap::new();
    for r in 0..height {
        for c in 0..width {
            if !mask[r * width + c] {
                continue;
            }
            let (ci, ri) = (c as isize, r as isize);
            // South edge (row r+1), going east, if the cell below is not set.
            if !at(ci, ri + 1) {
                outgoing.entry((c, r + 1)).or_default().push((c + 1, r + 1));
            }
            // East edge, going north.
            if !at(ci + 1, ri) {
                outgoing.entry((c + 1, r + 1)).or_default().push((c + 1, r));
            }
            // North edge, going west.
            if !at(ci, ri - 1) {
                outgoing.entry((c + 1, r)).or_default().push((c, r));
            }
            // West edge, going south.
            if !at(ci - 1, ri) {
                outgoing.entry((c, r)).or_default().push((c, r + 1));
            }
        }
    }
    let mut rings: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut starts: Vec<(usize, usize)> = outgoing.keys().copied().collect();
    starts.sort_unstable();
    for start in starts {
        while outgoing.get(&start).is_some_and(|v| !v.is_empty()) {
            let mut ring = vec![start];
            let mut previous = start;
            let Some(mut current) = take_edge(&mut outgoing, start, None) else {
                break;
            };
            while current != start {
                ring.push(current);
                let incoming = (current.0 as isize - previous.0 as isize, current.1 as isize - previous.1 as isize);
                previous = current;
                match take_edge(&mut outgoing, current, Some(incoming)) {
                    Some(next) => current = next,
                    None => break,
                }
            }
            rings.push(simplify(ring));
        }
    }
    // Map-counter-clockwise (positive area with y flipped) rings are outers.
    let (mut outers, holes): (Vec<_>, Vec<_>) = rings.into_iter().partition(|ring| signed_area(ring) > 0.0);
    outers.sort_by(|a, b| signed_area(a).total_cmp(&signed_area(b)));
    let mut polygons: Vec<MaskPolygon> = outers.into_iter().map(|outer| MaskPolygon { outer, holes: Vec::new() }).collect();
    for hole in holes {
        // The smallest outer ring that contains the hole.
        let probe = hole_probe(&hole);
        if let Some(p) = polygons.iter_mut().find(|p| contains(&p.outer, probe)) {
            p.holes.push(hole);
        }
    }
    polygons
}

/// Takes the edge leaving `at`; at a corner with two choices, turns left.
fn take_edge(
    outgoing: &mut HashMap<(usize, usize), Vec<(usize, usize)>>,
    at: (usize, usize),
    incoming: Option<(isize, isize)>,
) -> Option<(usize, usize)> {
    let edges = outgoing.get_mut(&at)?;
    if edges.is_empty() {
        return None;
    }
    let pick = match (incoming, edges.len()) {
        (Some((dx, dy)), n) if n > 1 => {
            // Left of (dx, dy) on the map (y south) is (dy, -dx).
            let left = (dy, -dx);
            edges
                .iter()
                .position(|e| (e.0 as isize - at.0 as isize, e.1 as isize - at.1 as isize) == left)
                .unwrap_or(0)
        }
        _ => 0,
    };
    Some(edges.swap_remove(pick))
}

/// Drops the corners where a ring goes straight on.
fn simplify(ring: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let n = ring.len();
    (0..n)
        .filter(|&i| {
            let (a, b, c) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
            let cross = (b.0 as isize - a.0 as isize) * (c.1 as isize - b.1 as isize)
                - (b.1 as isize - a.1 as isize) * (c.0 as isize - b.0 as isize);
            cross != 0
        })
        .map(|i| ring[i])
        .collect()
}

/// Area with y pointing south flipped to north: positive for map-counter-clockwise.
fn signed_area(ring: &[(usize, usize)]) -> f64 {
    let n = ring.len();
    -(0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.0 as f64 * b.1 as f64 - b.0 as f64 * a.1 as f64
        })
        .sum::<f64>()
        / 2.0
}

/// A point just inside the cell to the left of a hole's first edge (that cell
/// is false and lies inside the outer ring).
fn hole_probe(hole: &[(usize, usize)]) -> (f64, f64) {
    let (a, b) = (hole[0], hole[1 % hole.len()]);
    let mid = ((a.0 + b.0) as f64 / 2.0, (a.1 + b.1) as f64 / 2.0);
    let (dx, dy) = (b.0 as f64 - a.0 as f64, b.1 as f64 - a.1 as f64);
    let len = dx.hypot(dy).max(1e-9);
    // Map-left of the direction (y south) is (dy, -dx); holes run clockwise,
    // so their inside (the false cells) is on the right: (-dy, dx).
    (mid.0 - dy / len * 0.25, mid.1 + dx / len * 0.25)
}

fn contains(ring: &[(usize, usize)], p: (f64, f64)) -> bool {
    let mut inside = false;
    let n = ring.len();
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = ((ring[i].0 as f64, ring[i].1 as f64), (ring[j].0 as f64, ring[j].1 as f64));
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < (b.0 - a.0) * (p.1 - a.1) / (b.1 - a.1) + a.0 {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(rows: &[&str]) -> (Vec<bool>, usize) {
        (rows.iter().flat_map(|r| r.chars().map(|c| c == '#')).collect(), rows[0].len())
    }

    fn area(p: &MaskPolygon) -> f64 {
        signed_area(&p.outer) + p.holes.iter().map(|h| signed_area(h)).sum::<f64>()
    }

    #[test]
    fn a_block_is_one_rectangle() {
        let (m, w) = mask(&["....", ".##.", ".##.", "...."]);
        let p = mask_polygons(&m, w);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].outer.len(), 4);
        assert_eq!(area(&p[0]), 4.0);
    }

    #[test]
    fn a_ring_has_a_hole_and_separate_blobs_are_separate() {
        let (m, w) = mask(&["#####..", "#...#..", "#####.#"]);
        let p = mask_polygons(&m, w);
        assert_eq!(p.len(), 2);
        let ring = p.iter().find(|p| !p.holes.is_empty()).unwrap();
        assert_eq!(ring.holes.len(), 1);
        assert_eq!(area(ring), 12.0);
        let total: f64 = p.iter().map(area).sum();
        assert_eq!(total, m.iter().filter(|b| **b).count() as f64);
    }

    #[test]
    fn corner_touching_cells_stay_simple_rings() {
        let (m, w) = mask(&["#.", ".#"]);
        let p = mask_polygons(&m, w);
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|p| p.outer.len() == 4 && p.holes.is_empty()));
    }
}

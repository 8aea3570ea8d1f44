//! A tile as a patch of the WGS 84 ellipsoid in the scene's ENU frame: a
//! grid in tile coordinates (so the texture maps linearly, as Web Mercator
//! is linear in them), each vertex carried through geodetic → ENU in f64
//! and kept relative to the tile's centre, whose f64 `GeoPosition` places
//! it against the floating origin.

use sontinh_basemap::{TileId, tile_to_lon_lat};
use sontinh_geo::{EnuFrame, Geodetic};

/// Grid cells along a tile side over the ellipsoid: a zoom-0 tile spans the
/// world, a zoom-16 one 600 m; 16 cells keep a zoom-6 tile's chords within
/// 0.2 % of its size.
pub const CELLS: u32 = 16;
/// Most cells along a tile side over a DEM (a tile is 256 pixels: finer is not seen).
pub const MAX_CELLS: u32 = 64;

/// Vertex positions (ENU metres relative to `centre`), texture coordinates
/// and triangle indices of a tile, `cells` × `cells`, each vertex at the
/// height `height(lon, lat)` gives above the ellipsoid, with a skirt hanging
/// `skirt_m` down from its edges: neighbours of other zooms meet it at
/// points its edge does not have, and the skirt fills the cracks between.
pub struct Patch {
    pub centre: [f64; 3],
    pub positions: Vec<[f64; 3]>,
    pub uvs: Vec<[f32; 2]>,
    pub indices: Vec<u32>,
}

pub fn patch(frame: &EnuFrame, tile: TileId, cells: u32, skirt_m: f64, height: &dyn Fn(f64, f64) -> f64) -> Patch {
    let cells = cells.clamp(1, MAX_CELLS);
    let at_depth = |fx: f64, fy: f64, down: f64| {
        let (lon, lat) = tile_to_lon_lat(tile.z, f64::from(tile.x) + fx, f64::from(tile.y) + fy);
        frame.geodetic_to_enu(Geodetic::new(lon, lat, height(lon, lat) - down))
    };
    let at = |fx: f64, fy: f64| at_depth(fx, fy, 0.0);
    let centre = at(0.5, 0.5);
    let n = cells + 1;
    let mut positions = Vec::with_capacity((n * n) as usize);
    let mut uvs = Vec::with_capacity((n * n) as usize);
    for j in 0..n {
        for i in 0..n {
            let (fx, fy) = (f64::from(i) / f64::from(cells), f64::from(j) / f64::from(cells));
            let p = at(fx, fy);
            positions.push([p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]]);
            uvs.push([fx as f32, fy as f32]);
        }
    }
    let mut indices = Vec::with_capacity((cells * cells * 6) as usize);
    for j in 0..cells {
        for i in 0..cells {
            let a = j * n + i;
            let (b, c, d) = (a + 1, a + n, a + n + 1);
            // Rows run south: counter-clockwise seen from above.
            indices.extend_from_slice(&[a, c, b, b, c, d]);
        }
    }
    // The edges, each as grid (i, j) steps; a skirt vertex below each edge vertex.
    let edges: [&dyn Fn(u32) -> (u32, u32); 4] = [&|k| (k, 0), &|k| (cells, k), &|k| (cells - k, cells), &|k| (0, cells - k)];
    for edge in edges {
        for k in 0..cells {
            let (i0, j0) = edge(k);
            let (i1, j1) = edge(k + 1);
            let base = positions.len() as u32;
            for (i, j) in [(i0, j0), (i1, j1)] {
                let (fx, fy) = (f64::from(i) / f64::from(cells), f64::from(j) / f64::from(cells));
                let p = at_depth(fx, fy, skirt_m);
                positions.push([p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]]);
                uvs.push([fx as f32, fy as f32]);
            }
            let (top0, top1) = (j0 * n + i0, j1 * n + i1);
            indices.extend_from_slice(&[top0, base, top1, top1, base, base + 1]);
        }
    }
    Patch {
        centre,
        positions,
        uvs,
        indices,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// The patch's corners are the tile's corners on the ellipsoid, and the
    /// middle of a large tile dips below the frame's plane by the Earth's
    /// curvature (about d²/2R).
    #[test]
    fn a_patch_lies_on_the_ellipsoid() {
        let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
        let tile = sontinh_basemap::tile_at(107.194, 16.747, 8);
        let p = patch(&frame, tile, CELLS, 0.0, &|_, _| 0.0);
        let b = tile.bounds();
        let nw = [
            p.positions[0][0] + p.centre[0],
            p.positions[0][1] + p.centre[1],
            p.positions[0][2] + p.centre[2],
        ];
        let g = frame.enu_to_geodetic(nw);
        assert!(
            (g.lon_deg - b.west).abs() < 1e-9 && (g.lat_deg - b.north).abs() < 1e-9 && g.height_m.abs() < 1e-3,
            "{g:?} vs {b:?}"
        );
        // 100 km from the origin the ellipsoid lies ~785 m below the tangent plane.
        let far = patch(&frame, sontinh_basemap::tile_at(108.13, 16.747, 12), CELLS, 0.0, &|_, _| 0.0);
        let drop = -far.centre[2];
        let d = far.centre[0].hypot(far.centre[1]);
        assert!((drop - d * d / (2.0 * 6_378_137.0)).abs() < 0.01 * drop, "{drop} m at {d} m");
        // The grid's two triangles a cell, and the skirt's two along each edge cell.
        assert_eq!(p.indices.len(), (CELLS * CELLS * 6 + 4 * CELLS * 6) as usize);
        // On a ground 120 m up, every vertex is 120 m above the ellipsoid.
        let raised = patch(&frame, tile, 8, 30.0, &|_, _| 120.0);
        let heights: Vec<f64> = raised
            .positions
            .iter()
            .map(|q| {
                frame
                    .enu_to_geodetic([q[0] + raised.centre[0], q[1] + raised.centre[1], q[2] + raised.centre[2]])
                    .height_m
            })
            .collect();
        // 9 × 9 on the ground, then two skirt vertices for each of 4 × 8 edge cells, 30 m down.
        assert_eq!(heights.len(), 81 + 64);
        assert!(heights[..81].iter().all(|h| (h - 120.0).abs() < 1e-3), "{heights:?}");
        assert!(heights[81..].iter().all(|h| (h - 90.0).abs() < 1e-3), "{heights:?}");
    }
}

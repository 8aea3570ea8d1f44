//! A tile as a patch of the WGS 84 ellipsoid in the scene's ENU frame: a
//! grid in tile coordinates (so the texture maps linearly, as Web Mercator
//! is linear in them), each vertex carried through geodetic → ENU in f64
//! and kept relative to the tile's centre, whose f64 `GeoPosition` places
//! it against the floating origin.

use sontinh_basemap::{TileId, tile_to_lon_lat};
use sontinh_geo::{EnuFrame, Geodetic};

/// Grid cells along a tile side: a zoom-0 tile spans the world, a zoom-16
/// one 600 m; 16 cells keep a zoom-6 tile's chords within 0.2 % of its size.
pub const CELLS: u32 = 16;

/// Vertex positions (ENU metres relative to `centre`), texture coordinates
/// and triangle indices of a tile at `height_m` above the ellipsoid.
pub struct Patch {
    pub centre: [f64; 3],
    pub positions: Vec<[f64; 3]>,
    pub uvs: Vec<[f32; 2]>,
    pub indices: Vec<u32>,
}

pub fn patch(frame: &EnuFrame, tile: TileId, height_m: f64) -> Patch {
    let at = |fx: f64, fy: f64| {
        let (lon, lat) = tile_to_lon_lat(tile.z, f64::from(tile.x) + fx, f64::from(tile.y) + fy);
        frame.geodetic_to_enu(Geodetic::new(lon, lat, height_m))
    };
    let centre = at(0.5, 0.5);
    let n = CELLS + 1;
    let mut positions = Vec::with_capacity((n * n) as usize);
    let mut uvs = Vec::with_capacity((n * n) as usize);
    for j in 0..n {
        for i in 0..n {
            let (fx, fy) = (f64::from(i) / f64::from(CELLS), f64::from(j) / f64::from(CELLS));
            let p = at(fx, fy);
            positions.push([p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]]);
            uvs.push([fx as f32, fy as f32]);
        }
    }
    let mut indices = Vec::with_capacity((CELLS * CELLS * 6) as usize);
    for j in 0..CELLS {
        for i in 0..CELLS {
            let a = j * n + i;
            let (b, c, d) = (a + 1, a + n, a + n + 1);
            // Rows run south: counter-clockwise seen from above.
            indices.extend_from_slice(&[a, c, b, b, c, d]);
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
        let p = patch(&frame, tile, 0.0);
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
        let far = patch(&frame, sontinh_basemap::tile_at(108.13, 16.747, 12), 0.0);
        let drop = -far.centre[2];
        let d = far.centre[0].hypot(far.centre[1]);
        assert!((drop - d * d / (2.0 * 6_378_137.0)).abs() < 0.01 * drop, "{drop} m at {d} m");
        assert_eq!(p.indices.len(), (CELLS * CELLS * 6) as usize);
    }
}

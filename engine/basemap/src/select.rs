//! Which tiles to draw for a view: a quadtree refined where a tile's texel
//! covers more screen pixels than allowed (the screen-space error of
//! `sontinh-terrain` and `sontinh-tiles`: size × pixels per radian /
//! distance), largest error first, within a ground radius and a tile count.

use std::collections::BinaryHeap;

use sontinh_geo::{EnuFrame, Geodetic};

use crate::tile::{MAX_LATITUDE_DEG, TileId, tile_at, tile_size_m, tile_to_lon_lat};

/// The view tiles are chosen for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TileView {
    /// The camera in the scene's ENU frame, metres.
    pub eye: [f64; 3],
    /// Viewport height in pixels over the vertical field of view in radians.
    pub pixels_per_radian: f64,
    /// A tile is split while one of its texels covers more pixels than this.
    pub max_error_px: f64,
    /// Texels along a tile's side (256 for most services).
    pub tile_pixels: f64,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// Most tiles chosen.
    pub max_tiles: usize,
    /// Tiles farther than this from the camera (along the ground) are left out, metres.
    pub radius_m: f64,
    /// Where the camera looks (ENU, unit length): tiles wholly behind it are
    /// left out. `None` keeps every direction (a view about to turn).
    pub forward: Option<[f64; 3]>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SelectedTile {
    pub tile: TileId,
    /// The tile's screen-space error in pixels.
    pub error_px: f64,
    /// From the camera to the nearest point of the tile's box, metres.
    pub distance_m: f64,
}

struct Candidate(SelectedTile);

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.0.error_px.total_cmp(&other.0.error_px).is_eq()
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.error_px.total_cmp(&other.0.error_px)
    }
}

/// The box of a tile's surface on the ellipsoid in ENU (its corners, edge
/// middles and centre, so that the Earth's curvature under a large tile counts).
fn enu_box(frame: &EnuFrame, tile: TileId) -> ([f64; 3], [f64; 3]) {
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for fy in [0.0, 0.5, 1.0] {
        for fx in [0.0, 0.5, 1.0] {
            let (lon, lat) = tile_to_lon_lat(tile.z, f64::from(tile.x) + fx, f64::from(tile.y) + fy);
            let p = frame.geodetic_to_enu(Geodetic::new(lon, lat, 0.0));
            for i in 0..3 {
                lo[i] = lo[i].min(p[i]);
                hi[i] = hi[i].max(p[i]);
            }
        }
    }
    (lo, hi)
}

fn candidate(frame: &EnuFrame, view: &TileView, tile: TileId) -> Option<SelectedTile> {
    let (lo, hi) = enu_box(frame, tile);
    let gap = |i: usize| (lo[i] - view.eye[i]).max(view.eye[i] - hi[i]).max(0.0);
    let ground = gap(0).hypot(gap(1));
    if ground > view.radius_m {
        return None;
    }
    if let Some(f) = view.forward {
        // The box's corner farthest along the view direction.
        let ahead: f64 = (0..3).map(|i| (if f[i] >= 0.0 { hi[i] } else { lo[i] } - view.eye[i]) * f[i]).sum();
        if ahead < 0.0 {
            return None;
        }
    }
    let distance = ground.hypot(gap(2)).max(1.0);
    let (_, lat) = tile_to_lon_lat(tile.z, f64::from(tile.x) + 0.5, f64::from(tile.y) + 0.5);
    let texel = tile_size_m(tile.z, lat) / view.tile_pixels.max(1.0);
    Some(SelectedTile {
        tile,
        error_px: texel * view.pixels_per_radian / distance,
        distance_m: distance,
    })
}

/// The tiles to draw, nearest first. Starts from the tiles of `min_zoom`
/// around the camera and splits the one with the largest error while it is
/// above `max_error_px`, it is above `max_zoom` and the count allows.
pub fn select_tiles(frame: &EnuFrame, view: &TileView) -> Vec<SelectedTile> {
    let ground = frame.enu_to_geodetic(view.eye);
    let (lon, lat) = (ground.lon_deg, ground.lat_deg.clamp(-MAX_LATITUDE_DEG, MAX_LATITUDE_DEG));
    let dlat = (view.radius_m / 111_320.0).clamp(0.0, 90.0);
    let dlon = (dlat / lat.to_radians().cos().max(0.01)).min(180.0);
    let z0 = view.min_zoom.min(view.max_zoom);
    let nw = tile_at(lon - dlon, (lat + dlat).min(MAX_LATITUDE_DEG), z0);
    let se = tile_at(lon + dlon, (lat - dlat).max(-MAX_LATITUDE_DEG), z0);
    let mut heap = BinaryHeap::new();
    let mut count = 0usize;
    'cover: for y in nw.y..=se.y {
        for x in nw.x..=se.x {
            if count >= view.max_tiles {
                break 'cover;
            }
            if let Some(c) = candidate(frame, view, TileId { z: z0, x, y }) {
                heap.push(Candidate(c));
                count += 1;
            }
        }
    }
    let mut done = Vec::new();
    while let Some(Candidate(top)) = heap.pop() {
        let children = top
            .tile
            .children()
            .filter(|_| top.error_px > view.max_error_px && top.tile.z < view.max_zoom);
        let Some(children) = children else {
            done.push(top);
            continue;
        };
        let kept: Vec<SelectedTile> = children.iter().filter_map(|c| candidate(frame, view, *c)).collect();
        // Splitting trades one tile for up to four.
        if count - 1 + kept.len() > view.max_tiles {
            done.push(top);
            continue;
        }
        count = count - 1 + kept.len();
        heap.extend(kept.into_iter().map(Candidate));
    }
    done.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    done
}

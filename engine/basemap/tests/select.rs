#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file: failing loudly is the point

//! Tile choice: the zoom under a camera looking down is the one the
//! screen-space error formula gives, written out here from the Web
//! Mercator scale (2πa·cos φ / 2^z / 256 metres a texel).

use sontinh_basemap::{TileView, select_tiles, tile_at};
use sontinh_geo::{EnuFrame, Geodetic};

const A: f64 = 6_378_137.0;

fn view(height: f64) -> TileView {
    TileView {
        eye: [0.0, 0.0, height],
        pixels_per_radian: 1080.0 / 45f64.to_radians(),
        max_error_px: 1.5,
        tile_pixels: 256.0,
        min_zoom: 0,
        max_zoom: 19,
        max_tiles: 300,
        radius_m: 20.0 * height,
        forward: None,
    }
}

#[test]
fn the_tile_under_the_camera_has_the_zoom_its_error_asks_for() {
    let (lon, lat) = (107.194, 16.747);
    let frame = EnuFrame::new(Geodetic::new(lon, lat, 0.0));
    for height in [350.0, 1_400.0, 40_000.0] {
        // A count that does not bind: this checks the error formula alone.
        let v = TileView {
            max_tiles: 5_000,
            ..view(height)
        };
        let chosen = select_tiles(&frame, &v);
        // Split while texel · ppr / h > 1.5: the first zoom at or under it.
        let continuous = (2.0 * std::f64::consts::PI * A * lat.to_radians().cos() * v.pixels_per_radian / (256.0 * height * 1.5)).log2();
        assert!(
            (continuous.fract() - 0.5).abs() < 0.3,
            "height {height}: zoom {continuous} too close to a step to test"
        );
        let want = continuous.ceil() as u8;
        let under = chosen
            .iter()
            .find(|s| s.tile == tile_at(lon, lat, s.tile.z))
            .expect("a tile under the camera");
        assert_eq!(under.tile.z, want, "height {height} m: {continuous}");
        assert_eq!(chosen[0].tile, under.tile, "nearest first");
    }
}

#[test]
fn chosen_tiles_never_overlap_stay_in_their_count_and_coarsen_with_distance() {
    let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
    let mut v = view(800.0);
    v.eye = [300.0, -200.0, 800.0];
    for max_tiles in [20, 80, 300] {
        v.max_tiles = max_tiles;
        let chosen = select_tiles(&frame, &v);
        assert!(!chosen.is_empty() && chosen.len() <= max_tiles, "{} of {max_tiles}", chosen.len());
        for a in &chosen {
            for b in &chosen {
                assert!(a.tile == b.tile || !a.tile.is_within(b.tile), "{} lies in {}", a.tile, b.tile);
            }
            assert!(a.distance_m >= 800.0 - 1.0, "{}: {} m from a camera 800 m up", a.tile, a.distance_m);
        }
        let (near, far) = (chosen[0], chosen[chosen.len() - 1]);
        assert!(far.tile.z <= near.tile.z, "{} far, {} near", far.tile, near.tile);
    }
}

/// A camera 500 m up looking north-east and slightly down: no chosen tile lies
/// wholly behind it (checked on the tiles' corners on the ellipsoid), and the
/// count is smaller than looking every way.
#[test]
fn tiles_behind_the_camera_are_left_out() {
    let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
    let all = TileView {
        max_tiles: 5_000,
        ..view(500.0)
    };
    let f = [0.6, 0.6, -(1.0f64 - 0.72).sqrt()];
    let ahead = TileView { forward: Some(f), ..all };
    let every_way = select_tiles(&frame, &all);
    let chosen = select_tiles(&frame, &ahead);
    assert!(chosen.len() < every_way.len() * 3 / 4, "{} of {}", chosen.len(), every_way.len());
    for s in &chosen {
        let b = s.tile.bounds();
        let corners = [(b.west, b.south), (b.west, b.north), (b.east, b.south), (b.east, b.north)];
        let any_ahead = corners.iter().any(|&(lon, lat)| {
            let p = frame.geodetic_to_enu(Geodetic::new(lon, lat, 0.0));
            (0..3).map(|i| (p[i] - all.eye[i]) * f[i]).sum::<f64>() >= -1.0
        });
        // A tile straddling the camera's plane may have no corner ahead only if the plane cuts an edge; these tiles are small.
        assert!(any_ahead || s.distance_m < 2_000.0, "{} lies behind the camera", s.tile);
    }
}

#![allow(clippy::unwrap_used)]

use approx::assert_relative_eq;
use sontinh_geo::{EnuFrame, Geodetic, WGS84_A, WGS84_F};

use super::*;

/// The Citadel, where the twin's own measurements are made.
const CITADEL: Geodetic = Geodetic::new(107.194, 16.747, 0.0);

/// A position `east`, `north` metres from the Citadel, `up` high.
fn near(east: f64, north: f64, up: f64) -> Geodetic {
    EnuFrame::new(CITADEL).enu_to_geodetic([east, north, 0.0]).with_height(up)
}

trait WithHeight {
    fn with_height(self, h: f64) -> Geodetic;
}

impl WithHeight for Geodetic {
    fn with_height(self, h: f64) -> Geodetic {
        Geodetic::new(self.lon_deg, self.lat_deg, h)
    }
}

fn dms(d: f64, m: f64, s: f64) -> f64 {
    d.signum() * (d.abs() + m / 60.0 + s / 3600.0)
}

/// Vincenty's (1975) worked example, as Geoscience Australia publishes it:
/// Flinders Peak to Buninyong, 54 972.271 m at 306°52′05.37″ (GRS80, which
/// differs from WGS84 by well under a millimetre over this line).
#[test]
fn flinders_peak_to_buninyong_is_the_published_geodesic() {
    let flinders = Geodetic::new(dms(144.0, 25.0, 29.52440), dms(-37.0, 57.0, 3.72030), 0.0);
    let buninyong = Geodetic::new(dms(143.0, 55.0, 35.38390), dms(-37.0, 39.0, 10.15610), 0.0);
    let line = polyline(&[flinders, buninyong]).unwrap();
    assert!((line.horizontal_m - 54_972.271).abs() < 0.001, "{}", line.horizontal_m);
    assert!((line.legs[0].azimuth_deg - dms(306.0, 52.0, 5.37)).abs() < 0.01 / 3600.0, "{}", line.legs[0].azimuth_deg);
}

/// The triangle from (0°, 0°) along the equator to (90° E, 0°), up the
/// meridian to the pole and back down the prime meridian is an eighth of the
/// ellipsoid, whose whole area is 2πa²(1 + (1 − e²)/e · atanh e).
#[test]
fn an_eighth_of_the_ellipsoid_has_an_eighth_of_its_closed_form_area() {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let e = e2.sqrt();
    let whole = 2.0 * std::f64::consts::PI * WGS84_A * WGS84_A * (1.0 + (1.0 - e2) / e * e.atanh());
    let octant = polygon(&[Geodetic::new(0.0, 0.0, 0.0), Geodetic::new(90.0, 0.0, 0.0), Geodetic::new(0.0, 90.0, 0.0)]).unwrap();
    assert_relative_eq!(octant.horizontal_m2, whole / 8.0, max_relative = 1e-9);
    // Either winding gives the same area.
    let reversed = polygon(&[Geodetic::new(0.0, 90.0, 0.0), Geodetic::new(90.0, 0.0, 0.0), Geodetic::new(0.0, 0.0, 0.0)]).unwrap();
    assert_relative_eq!(reversed.horizontal_m2, octant.horizontal_m2, max_relative = 1e-12);
}

#[test]
fn a_polyline_through_a_point_on_its_geodesic_is_as_long_as_the_geodesic_and_adds_heights_in_3d() {
    let (a, b) = (near(-3000.0, -1000.0, 0.0), near(2500.0, 4000.0, 0.0));
    let straight = polyline(&[a, b]).unwrap();
    // The point 40 % of the way along the geodesic from a.
    let (lat, lon, _): (f64, f64, f64) = Geodesic::wgs84().direct(a.lat_deg, a.lon_deg, straight.legs[0].azimuth_deg, 0.4 * straight.horizontal_m);
    let via = polyline(&[a, Geodetic::new(lon, lat, 30.0), b.with_height(-10.0)]).unwrap();
    assert_relative_eq!(via.horizontal_m, straight.horizontal_m, max_relative = 1e-9);
    assert_relative_eq!(via.height_difference_m, -10.0);
    // 3-4-5 in each leg's vertical plane.
    let legs = [0.4 * straight.horizontal_m, 0.6 * straight.horizontal_m];
    let expected = (legs[0].powi(2) + 30.0_f64.powi(2)).sqrt() + (legs[1].powi(2) + 40.0_f64.powi(2)).sqrt();
    assert_relative_eq!(via.slope_m, expected, max_relative = 1e-9);
}

#[test]
fn angles_in_3d_are_those_of_the_local_vectors() {
    let vertex = near(0.0, 0.0, 10.0);
    assert_relative_eq!(angle_deg(near(100.0, 0.0, 10.0), vertex, near(0.0, 100.0, 10.0)).unwrap(), 90.0, epsilon = 1e-6);
    // Heights rise along each point's own vertical, which turns by 1.6e-5 rad
    // per 100 m on the Earth: 45° to within 0.001°.
    assert_relative_eq!(angle_deg(near(100.0, 0.0, 10.0), vertex, near(100.0, 0.0, 110.0)).unwrap(), 45.0, epsilon = 1e-3);
    assert_relative_eq!(angle_deg(near(-50.0, 0.0, 10.0), vertex, near(70.0, 0.0, 10.0)).unwrap(), 180.0, epsilon = 1e-3);
    assert!(angle_deg(vertex, vertex, near(1.0, 0.0, 10.0)).is_err());
}

/// A rectangle 400 m × 200 m under a plane rising 30° to the east: the
/// surface is the horizontal area over cos 30°.
#[test]
fn the_surface_under_a_rectangle_on_an_inclined_plane_is_its_area_over_the_cosine() {
    let frame = EnuFrame::new(CITADEL);
    let tilt = 30.0_f64.to_radians();
    let plane = |g: Geodetic| Some(frame.geodetic_to_enu(g)[0] * tilt.tan());
    let rectangle = [near(-200.0, -100.0, 0.0), near(200.0, -100.0, 0.0), near(200.0, 100.0, 0.0), near(-200.0, 100.0, 0.0)];
    let area = surface_area(&rectangle, &plane, 5.0).unwrap();
    assert_eq!(area.cells_without_surface, 0);
    assert_relative_eq!(area.horizontal_m2, 80_000.0, max_relative = 1e-9);
    assert_relative_eq!(area.surface_m2, 80_000.0 / tilt.cos(), max_relative = 1e-6);
    // The geodesic area agrees with the grid's, on this scale.
    assert_relative_eq!(polygon(&rectangle).unwrap().horizontal_m2, 80_000.0, max_relative = 1e-6);
    // Where there is no surface, the cells are counted, not measured.
    let west = |g: Geodetic| (frame.geodetic_to_enu(g)[0] < 2.5).then_some(0.0);
    let partial = surface_area(&rectangle, &west, 5.0).unwrap();
    assert_eq!(partial.cells - partial.cells_without_surface, 40 * 40);
    assert_relative_eq!(partial.surface_m2, 40_000.0, max_relative = 1e-9);
}

/// A box 100 m × 50 m × 10 m high on flat ground, measured over a 200 m ×
/// 100 m rectangle: exact cut and fill against levels and a water surface.
#[test]
fn a_box_on_flat_ground_has_its_exact_volume() {
    let frame = EnuFrame::new(CITADEL);
    let ground = |g: Geodetic| {
        let p = frame.geodetic_to_enu(g);
        Some(if p[0].abs() < 50.0 && p[1].abs() < 25.0 { 10.0 } else { 0.0 })
    };
    let area = [near(-100.0, -50.0, 0.0), near(100.0, -50.0, 0.0), near(100.0, 50.0, 0.0), near(-100.0, 50.0, 0.0)];
    let on_ground = volume(&area, &ground, &Reference::Plane(0.0), 1.0).unwrap();
    assert_relative_eq!(on_ground.cut_m3, 50_000.0, max_relative = 1e-9);
    assert_eq!(on_ground.fill_m3, 0.0);
    assert_relative_eq!(on_ground.horizontal_m2, 20_000.0, max_relative = 1e-9);
    let at_four = volume(&area, &ground, &Reference::Plane(4.0), 1.0).unwrap();
    assert_relative_eq!(at_four.cut_m3, 5_000.0 * 6.0, max_relative = 1e-9);
    assert_relative_eq!(at_four.fill_m3, 15_000.0 * 4.0, max_relative = 1e-9);
    // Water at 12 m over it: the water's volume is the fill.
    let water = |_: Geodetic| Some(12.0);
    let flooded = volume(&area, &ground, &Reference::Surface(&water), 1.0).unwrap();
    assert_relative_eq!(flooded.fill_m3, 5_000.0 * 2.0 + 15_000.0 * 12.0, max_relative = 1e-9);
    assert_eq!(flooded.cut_m3, 0.0);
}

#[test]
fn a_profile_samples_every_layer_evenly_along_the_line() {
    let frame = EnuFrame::new(CITADEL);
    let slope = |g: Geodetic| Some(0.1 * frame.geodetic_to_enu(g)[0]);
    let west_only = |g: Geodetic| (frame.geodetic_to_enu(g)[0] < 450.0).then_some(2.0);
    let samples = profile(&[near(0.0, 0.0, 0.0), near(1000.0, 0.0, 0.0)], 100.0, &[&slope, &west_only]).unwrap();
    assert_eq!(samples.len(), 11);
    for (k, s) in samples.iter().enumerate() {
        assert_relative_eq!(s.distance_m, 100.0 * k as f64, epsilon = 1e-3);
        assert_relative_eq!(s.heights[0].unwrap(), 10.0 * k as f64, epsilon = 1e-3);
        assert_eq!(s.heights[1].is_some(), k < 5, "sample {k}");
    }
    // Legs are split evenly, at most the spacing apart; vertices are samples.
    let bent = profile(&[near(0.0, 0.0, 0.0), near(250.0, 0.0, 0.0), near(250.0, 90.0, 0.0)], 100.0, &[]).unwrap();
    let distances: Vec<f64> = bent.iter().map(|s| (s.distance_m * 1000.0).round() / 1000.0).collect();
    assert_eq!(distances, [0.0, 83.333, 166.667, 250.0, 340.0]);
}

#[test]
fn bad_input_is_an_error_naming_what_was_wrong() {
    let a = near(0.0, 0.0, 0.0);
    assert_eq!(polyline(&[a]).unwrap_err(), MeasureError::TooFewPoints { what: "a distance", needed: 2, given: 1 });
    assert!(matches!(polygon(&[a, near(1.0, 0.0, 0.0)]), Err(MeasureError::TooFewPoints { needed: 3, .. })));
    let bad = Geodetic::new(f64::NAN, 16.0, 0.0);
    assert!(matches!(polyline(&[a, bad]), Err(MeasureError::BadPoint { index: 1, .. })));
    assert!(matches!(polyline(&[a, Geodetic::new(200.0, 16.0, 0.0)]), Err(MeasureError::BadPoint { index: 1, .. })));
    let flat = |_: Geodetic| Some(0.0);
    let square = [near(0.0, 0.0, 0.0), near(100.0, 0.0, 0.0), near(100.0, 100.0, 0.0), near(0.0, 100.0, 0.0)];
    for spacing in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(surface_area(&square, &flat, spacing), Err(MeasureError::BadSpacing(_))), "{spacing}");
    }
    // 100 km across at 1 m: ten billion cells, refused before any is made.
    let huge = [near(0.0, 0.0, 0.0), near(100_000.0, 0.0, 0.0), near(100_000.0, 100_000.0, 0.0)];
    let err = volume(&huge, &flat, &Reference::Plane(0.0), 1.0).unwrap_err();
    assert!(err.to_string().contains("larger spacing"), "{err}");
    assert!(matches!(profile(&[a, near(100_000.0, 0.0, 0.0)], 0.01, &[]), Err(MeasureError::TooManyCells { .. })));
    // Three points on one line enclose nothing.
    assert_eq!(volume(&[a, near(10.0, 0.0, 0.0), near(20.0, 0.0, 0.0)], &flat, &Reference::Plane(0.0), 1.0).unwrap_err(), MeasureError::EmptyPolygon);
}

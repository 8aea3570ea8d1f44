//! Exact shapes with known answers, and the shared data's real files.

use approx::assert_abs_diff_eq;
use sontinh_geo::{Crs, EnuFrame, Geodetic};
use sontinh_scene::{ColorBy, Elevation, FeatureFilter, FilterTest, VectorStyle};
use sontinh_vector::geo_types::{Geometry, LineString, Polygon, coord};
use sontinh_vector::{Driver, Feature, Value, VectorData};

use super::*;

fn frame() -> EnuFrame {
    EnuFrame::new(Geodetic::new(107.194, 16.747, 5.0))
}

/// A position `enu` metres from the origin, on the ellipsoid, as lon/lat.
fn lonlat(frame: &EnuFrame, e: f64, n: f64) -> sontinh_vector::geo_types::Coord<f64> {
    let g = plane_to_geodetic(frame, e, n);
    coord! { x: g.lon_deg, y: g.lat_deg }
}

fn square(frame: &EnuFrame, e: f64, n: f64, side: f64) -> Geometry<f64> {
    let ring: Vec<_> = [(0.0, 0.0), (side, 0.0), (side, side), (0.0, side), (0.0, 0.0)]
        .iter()
        .map(|(de, dn)| lonlat(frame, e + de, n + dn))
        .collect();
    Geometry::Polygon(Polygon::new(LineString::new(ring), vec![]))
}

fn layer(features: Vec<Feature>) -> VectorData {
    VectorData {
        driver: Driver::GeoJson,
        crs: Some(Crs::Wgs84),
        crs_definition: None,
        features,
        skipped: 0,
    }
}

fn feature(geometry: Geometry<f64>, props: &[(&str, Value)]) -> Feature {
    Feature {
        geometry,
        properties: props.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
    }
}

fn world(chunk: &Chunk, p: [f32; 3]) -> [f64; 3] {
    [0, 1, 2].map(|k| chunk.origin[k] + f64::from(p[k]))
}

fn triangle_area(t: [[f64; 3]; 3]) -> f64 {
    let u = [t[1][0] - t[0][0], t[1][1] - t[0][1], t[1][2] - t[0][2]];
    let v = [t[2][0] - t[0][0], t[2][1] - t[0][1], t[2][2] - t[0][2]];
    let n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt() / 2.0
}

#[test]
fn an_extruded_square_is_a_closed_box_of_its_height() {
    let frame = frame();
    let data = layer(vec![feature(square(&frame, 100.0, 50.0, 10.0), &[("height", Value::Float(7.0))])]);
    let style = VectorStyle {
        elevation: Elevation::Extruded {
            attribute: Some("height".into()),
            default_m: 3.0,
        },
        ..VectorStyle::default()
    };
    let built = build_vector(&data, None, &style, &frame, &Ellipsoid, &mut |_| {}).expect("builds");
    assert_eq!(built.features.len(), 1);
    let chunk = &built.chunks[0];
    // 4 walls of 2 triangles and a roof of 2.
    assert_eq!(chunk.solids.triangle_count(), 10);
    let tris: Vec<[[f64; 3]; 3]> = chunk
        .solids
        .indices
        .chunks(3)
        .map(|t| [0, 1, 2].map(|k| world(chunk, chunk.solids.positions[t[k] as usize])))
        .collect();
    let heights: Vec<f64> = tris.iter().flatten().map(|p| frame.enu_to_geodetic(*p).height_m).collect();
    let (low, high) = heights
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), h| (a.min(*h), b.max(*h)));
    assert_abs_diff_eq!(low, 0.0, epsilon = 1e-3);
    assert_abs_diff_eq!(high, 7.0, epsilon = 1e-3);
    // Total surface: 4 walls of 10 × 7 and a 10 × 10 roof.
    let area: f64 = tris.iter().map(|t| triangle_area(*t)).sum();
    assert_abs_diff_eq!(area, 4.0 * 70.0 + 100.0, epsilon = 0.05);
    // Walls face away from the box's axis, the roof up.
    let centre = [105.0, 55.0];
    for (t, n) in tris.iter().zip(chunk.solids.normals.chunks(3)) {
        let n = n[0];
        let mid = [0, 1].map(|k| (t[0][k] + t[1][k] + t[2][k]) / 3.0 - centre[k]);
        if n[2].abs() > 0.99 {
            assert!(n[2] > 0.0, "the roof faces up: {n:?}");
        } else {
            assert!(
                f64::from(n[0]) * mid[0] + f64::from(n[1]) * mid[1] > 0.0,
                "a wall faces in: {n:?} at {mid:?}"
            );
        }
    }
    // The label sits on the roof's centre.
    let a = built.features[0].anchor;
    assert_abs_diff_eq!(a[0], 105.0, epsilon = 1e-3);
    assert_abs_diff_eq!(a[1], 55.0, epsilon = 1e-3);
    assert_abs_diff_eq!(frame.enu_to_geodetic(a).height_m, 7.0, epsilon = 1e-3);
}

#[test]
fn draped_lines_and_fills_follow_the_ground() {
    let frame = frame();
    // A ground rising 1 m per 0.001° of longitude east of the origin.
    let ground = |lon: f64, _lat: f64| Some(20.0 + (lon - 107.194) * 1000.0);
    let line = Geometry::LineString(LineString::new(vec![lonlat(&frame, -2000.0, 0.0), lonlat(&frame, 2000.0, 300.0)]));
    let data = layer(vec![feature(line, &[]), feature(square(&frame, -500.0, -500.0, 1000.0), &[])]);
    let built = build_vector(&data, None, &VectorStyle::default(), &frame, &ground, &mut |_| {}).expect("builds");
    let mut checked = 0;
    for chunk in &built.chunks {
        for p in chunk.lines.positions.iter().chain(&chunk.fills.positions) {
            let g = frame.enu_to_geodetic(world(chunk, *p));
            assert_abs_diff_eq!(g.height_m, 20.0 + (g.lon_deg - 107.194) * 1000.0, epsilon = 2e-3);
            checked += 1;
        }
        // Segments are short enough to follow it: the layer is 4 km across.
        for pair in chunk.lines.positions.chunks(2) {
            let d = [0, 1].map(|k| f64::from(pair[1][k] - pair[0][k]));
            assert!((d[0] * d[0] + d[1] * d[1]).sqrt() <= 4000.0 / 1500.0 + 5.0 + 1e-3);
        }
    }
    assert!(checked > 1500, "only {checked} vertices");
    // The fill covers the square: 1 km², horizontally (at 20 m over the
    // ellipsoid the ENU frame's metres are 1 + 20/R longer: 7 ppm of area).
    let fill_area: f64 = built
        .chunks
        .iter()
        .flat_map(|c| {
            c.fills
                .indices
                .chunks(3)
                .map(move |t| [0, 1, 2].map(|k| world(c, c.fills.positions[t[k] as usize])))
        })
        .map(|t| triangle_area(t.map(|p| [p[0], p[1], 0.0])))
        .sum();
    assert_abs_diff_eq!(fill_area, 1.0e6, epsilon = 10.0);
}

#[test]
fn styles_colour_filter_and_label_by_attribute() {
    let frame = frame();
    let features = vec![
        feature(
            square(&frame, 0.0, 0.0, 10.0),
            &[
                ("use", Value::Text("home".into())),
                ("floors", Value::Int(2)),
                ("ten", Value::Text("Nhà A".into())),
            ],
        ),
        feature(
            square(&frame, 50.0, 0.0, 10.0),
            &[
                ("use", Value::Text("shop".into())),
                ("floors", Value::Int(5)),
                ("ten", Value::Text("Chợ".into())),
            ],
        ),
        feature(
            square(&frame, 100.0, 0.0, 10.0),
            &[("use", Value::Text("home".into())), ("floors", Value::Text("1".into()))],
        ),
    ];
    let mut style = VectorStyle {
        color_by: Some(ColorBy::Ramp {
            attribute: "floors".into(),
            stops: vec![(1.0, [0.0, 0.0, 0.0, 1.0]), (5.0, [1.0, 1.0, 1.0, 1.0])],
        }),
        filter: Some(FeatureFilter {
            attribute: "floors".into(),
            test: FilterTest::Range { min: Some(2.0), max: None },
        }),
        label: Some(sontinh_scene::LabelAttributes {
            vi: "ten".into(),
            en: "ten".into(),
        }),
        ..VectorStyle::default()
    };
    let built = build_vector(&layer(features.clone()), None, &style, &frame, &Ellipsoid, &mut |_| {}).expect("builds");
    assert_eq!((built.features.len(), built.filtered_out), (2, 1));
    assert_eq!(built.features[0].label.as_ref().map(|l| l.vi.as_str()), Some("Nhà A"));
    // Two floors: a quarter of the way from black to white (sRGB 0.25, linear 0.0508…).
    let c = built.chunks[0].lines.colors[0];
    assert_abs_diff_eq!(c[0], ((0.25f32 + 0.055) / 1.055).powf(2.4), epsilon = 1e-6);
    // By category, the filter as a list of values; the text "1" is a number to ranges.
    style.color_by = Some(ColorBy::Categories {
        attribute: "use".into(),
        categories: vec![("home".into(), [1.0, 0.0, 0.0, 1.0])],
    });
    style.filter = Some(FeatureFilter {
        attribute: "use".into(),
        test: FilterTest::OneOf(vec!["home".into()]),
    });
    let built = build_vector(&layer(features), None, &style, &frame, &Ellipsoid, &mut |_| {}).expect("builds");
    assert_eq!(built.features.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["0", "2"]);
    assert_eq!(built.chunks[0].lines.colors[0], [1.0, 0.0, 0.0, 1.0]);
}

#[test]
fn every_triangle_and_segment_knows_its_feature() {
    let frame = frame();
    let features: Vec<Feature> = (0..40)
        .map(|i| {
            feature(
                square(&frame, f64::from(i % 8) * 400.0, f64::from(i / 8) * 400.0, 20.0),
                &[("n", Value::Int(i64::from(i)))],
            )
        })
        .collect();
    let style = VectorStyle {
        elevation: Elevation::Extruded {
            attribute: None,
            default_m: 12.0,
        },
        ..VectorStyle::default()
    };
    let built = build_vector(&layer(features), None, &style, &frame, &Ellipsoid, &mut |_| {}).expect("builds");
    assert!(built.chunks.len() > 1, "3 km of buildings make more than one chunk");
    for (ci, chunk) in built.chunks.iter().enumerate() {
        for t in 0..chunk.solids.triangle_count() {
            let f = built.feature_of_triangle(ci, TriangleSet::Solids, t).expect("a feature");
            assert_eq!(f.chunk as usize, ci);
            for k in 0..3 {
                let p = world(chunk, chunk.solids.positions[chunk.solids.indices[t * 3 + k] as usize]);
                let inside = (0..3).all(|a| p[a] >= f.min[a] - 1e-3 && p[a] <= f.max[a] + 1e-3);
                assert!(inside, "triangle {t} of chunk {ci} lies outside feature {}", f.id);
            }
        }
    }
    assert_eq!(built.features.len(), 40);
    assert_eq!(built.triangle_count(), 40 * 10);
    // Far away, only the roofs: 2 triangles a house, each still its house's.
    let tops: usize = built.chunks.iter().map(|c| c.tops.triangle_count()).sum();
    assert_eq!(tops, 40 * 2);
    for (ci, chunk) in built.chunks.iter().enumerate() {
        for t in 0..chunk.tops.triangle_count() {
            let f = built.feature_of_triangle(ci, TriangleSet::Tops, t).expect("a feature");
            let p = world(chunk, chunk.tops.positions[t * 3]);
            // The roof is level on the ellipsoid: 2 cm of curvature across a house 3 km out.
            assert!((p[2] - f.max[2]).abs() < 0.05, "a top triangle below its house's roof");
        }
    }
}

#[test]
fn a_layer_without_a_crs_is_refused_by_name() {
    let frame = frame();
    let mut data = layer(vec![feature(square(&frame, 0.0, 0.0, 10.0), &[])]);
    data.crs = None;
    let err = build_vector(&data, None, &VectorStyle::default(), &frame, &Ellipsoid, &mut |_| {}).expect_err("no CRS");
    assert!(err.contains("declares no CRS; give the layer a crs"), "{err}");
    data.crs_definition = Some("LOCAL_CS[\"mine\"]".into());
    let err = build_vector(&data, None, &VectorStyle::default(), &frame, &Ellipsoid, &mut |_| {}).expect_err("no CRS");
    assert!(err.contains("LOCAL_CS"), "{err}");
    // A position off the Earth.
    let far = Geometry::Point(sontinh_vector::geo_types::Point::new(107.0, 95.0));
    let data = layer(vec![feature(far, &[])]);
    let err = build_vector(&data, None, &VectorStyle::default(), &frame, &Ellipsoid, &mut |_| {}).expect_err("off the Earth");
    assert!(err.starts_with("feature 0:"), "{err}");
}

#[test]
fn built_layers_and_requests_cross_to_a_worker_and_back() {
    let frame = frame();
    let features = vec![
        feature(
            square(&frame, 0.0, 0.0, 10.0),
            &[("use", Value::Text("home".into())), ("h", Value::Float(7.5))],
        ),
        feature(
            Geometry::LineString(LineString::new(vec![lonlat(&frame, -50.0, 0.0), lonlat(&frame, 50.0, 20.0)])),
            &[],
        ),
    ];
    let style = VectorStyle {
        elevation: Elevation::Extruded {
            attribute: Some("h".into()),
            default_m: 3.0,
        },
        color_by: Some(ColorBy::Ramp {
            attribute: "h".into(),
            stops: vec![(0.0, [0.0, 0.0, 0.0, 1.0]), (10.0, [1.0, 0.5, 0.25, 1.0])],
        }),
        label: Some(sontinh_scene::LabelAttributes {
            vi: "use".into(),
            en: "use".into(),
        }),
        filter: Some(FeatureFilter {
            attribute: "h".into(),
            test: FilterTest::Range { min: None, max: Some(9.0) },
        }),
        ..VectorStyle::default()
    };
    let built = build_vector(&layer(features), None, &style, &frame, &Ellipsoid, &mut |_| {}).expect("builds");
    let bytes = built.to_bytes();
    assert_eq!(Built::from_bytes(&bytes).expect("reads back"), built);
    // Any cut short is an error naming what was being read, never a panic.
    for cut in (0..bytes.len()).step_by(7) {
        let err = Built::from_bytes(&bytes[..cut]).expect_err("truncated");
        assert!(err.contains("built vector layer"), "{err}");
    }
    let request = VectorRequest {
        file: LayerFile::Vector,
        path: "layers/houses.shp".into(),
        crs: Some(Crs::Utm48N),
        style,
        origin: Geodetic::new(107.194, 16.747, 5.0),
        ground: GroundSource::Dem {
            path: "dem/quang-tri.tif".into(),
            crs: Some(Crs::Vn2000QuangTri),
        },
    };
    assert_eq!(VectorRequest::from_bytes(&request.to_bytes()).expect("reads back"), request);
    let mut bad = request.to_bytes();
    bad[0] = 9;
    assert!(VectorRequest::from_bytes(&bad).expect_err("bad kind").contains("layer kind 9"));
}

#[test]
fn a_request_reads_its_files_and_asks_for_what_it_lacks() {
    let frame = frame();
    let dir = std::env::temp_dir().join(format!("sontinh-vector-request-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let ring: Vec<String> = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 0.0)]
        .iter()
        .map(|(e, n)| {
            let c = lonlat(&frame, *e, *n);
            format!("[{}, {}]", c.x, c.y)
        })
        .collect();
    let path = dir.join("one.geojson");
    std::fs::write(&path, format!(r#"{{"type": "FeatureCollection", "features": [{{"type": "Feature", "properties": {{}}, "geometry": {{"type": "Polygon", "coordinates": [[{}]]}}}}]}}"#, ring.join(", "))).expect("writes");
    let request = VectorRequest {
        file: LayerFile::Vector,
        path: path.clone(),
        crs: None,
        style: VectorStyle::default(),
        origin: frame.origin(),
        ground: GroundSource::Dem {
            path: dir.join("missing.tif"),
            crs: None,
        },
    };
    let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let err = request.build(&read, &mut |_| {}).expect_err("the DEM is missing");
    assert!(err.contains("missing.tif"), "{err}");
    let on_ellipsoid = VectorRequest {
        ground: GroundSource::Ellipsoid,
        ..request
    };
    let built = on_ellipsoid.build(&read, &mut |_| {}).expect("builds");
    assert_eq!(built.features.len(), 1);
    // A triangle of 10 m sides: 50 m² of fill.
    let area: f64 = built.chunks[0]
        .fills
        .indices
        .chunks(3)
        .map(|t| triangle_area([0, 1, 2].map(|k| world(&built.chunks[0], built.chunks[0].fills.positions[t[k] as usize]))))
        .sum();
    assert!((area - 50.0).abs() < 0.01, "{area}");
    let _ = std::fs::remove_dir_all(&dir);
}

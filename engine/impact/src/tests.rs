//! The grid's cells under footprints and lines, lines cut into segments,
//! and obstacles raised, against cells worked out by hand.

use geo::{Geometry, LineString, MapCoords, Polygon};

use super::*;

/// 10 × 10 cells of 10 m, north-west corner at (0, 100): cell (c, r) has
/// its centre at (10 c + 5, 95 − 10 r).
fn grid() -> Grid {
    Grid {
        nx: 10,
        ny: 10,
        origin_x: 0.0,
        origin_y: 100.0,
        cell: 10.0,
    }
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Geometry<f64> {
    Geometry::Polygon(Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    ))
}

#[test]
fn a_footprint_covers_the_cells_whose_centres_it_holds() {
    // x 12..28 holds centres 15, 25 (columns 1, 2); y 62..78 holds 75 (row 2) and 65 (row 3).
    assert_eq!(cells::footprint_cells(&grid(), &rect(12.0, 62.0, 28.0, 78.0)), vec![21, 22, 31, 32]);
    assert_eq!(
        cells::footprint_cells(&grid(), &rect(12.0, 62.0, 38.0, 78.0)),
        vec![21, 22, 23, 31, 32, 33]
    );
    // 3 m square holding no centre: the cell under its centroid (42.5, 42.5): column 4, row 5.
    assert_eq!(cells::footprint_cells(&grid(), &rect(41.0, 41.0, 44.0, 44.0)), vec![54]);
    // Half over the east edge: only the centres inside the grid.
    assert_eq!(cells::footprint_cells(&grid(), &rect(92.0, 92.0, 130.0, 98.0)), vec![9]);
    assert!(cells::footprint_cells(&grid(), &rect(200.0, 200.0, 205.0, 205.0)).is_empty());
}

#[test]
fn a_line_covers_the_cells_it_crosses() {
    let line = LineString::from(vec![(5.0, 95.0), (35.0, 95.0), (35.0, 75.0)]);
    assert_eq!(cells::line_cells(&grid(), &line), vec![0, 1, 2, 3, 13, 23]);
}

#[test]
fn lines_are_cut_into_segments_of_at_most_100_m() {
    let lengths = |l: &LineString<f64>| {
        read::split_line(l, 100.0)
            .iter()
            .map(|p| geo::Euclidean.length(p))
            .collect::<Vec<_>>()
    };
    let straight = LineString::from(vec![(0.0, 0.0), (250.0, 0.0)]);
    let pieces = lengths(&straight);
    assert_eq!(pieces.len(), 3);
    for (got, want) in pieces.iter().zip([100.0, 100.0, 50.0]) {
        assert!((got - want).abs() < 1e-9, "{pieces:?}");
    }
    let bent = LineString::from(vec![(0.0, 0.0), (60.0, 0.0), (60.0, 80.0)]);
    let cut = read::split_line(&bent, 100.0);
    assert_eq!(cut.len(), 2);
    assert_eq!(cut[0], LineString::from(vec![(0.0, 0.0), (60.0, 0.0), (60.0, 40.0)]));
    assert_eq!(cut[1], LineString::from(vec![(60.0, 40.0), (60.0, 80.0)]));
}

#[test]
fn overlapping_obstacles_raise_each_cell_once_and_keep_the_water_surface() {
    let feature = |g| Feature {
        layer: "b".into(),
        id: "1".into(),
        name: None,
        kind: FeatureKind::Building,
        geometry: g,
    };
    // Columns 1..=2 × rows 2..=3 and columns 2..=3 × rows 2..=3: six cells in all.
    let obstacles = [feature(rect(12.0, 62.0, 28.0, 78.0)), feature(rect(22.0, 62.0, 38.0, 78.0))];
    let mut z = vec![1.0; 100];
    let mut water = vec![0.0; 100];
    water[21] = 3.0;
    let raised = raise_obstacles(&grid(), &obstacles, 20.0, &mut z, &mut water).unwrap();
    assert_eq!(raised, 6);
    let high: Vec<usize> = (0..100).filter(|&i| z[i] == 21.0).collect();
    assert_eq!(high, vec![21, 22, 23, 31, 32, 33]);
    assert_eq!(z.iter().filter(|v| **v == 1.0).count(), 94);
    // The cell's water (surface at 4 m) lies under the raised ground now.
    assert_eq!(water[21], 0.0);
}

#[test]
fn the_geojson_is_json_with_its_names_escaped_and_footprints_counter_clockwise() {
    // One building over cells 21, 22, 31, 32 (as above), its ring clockwise, its name quoted.
    let clockwise = Geometry::Polygon(Polygon::new(
        LineString::from(vec![(12.0, 62.0), (12.0, 78.0), (28.0, 78.0), (28.0, 62.0), (12.0, 62.0)]),
        vec![],
    ));
    let feature = Feature {
        layer: "nhà".into(),
        id: "7".into(),
        name: Some("Nhà \"Lớn\"\n".into()),
        kind: FeatureKind::Building,
        geometry: clockwise,
    };
    // The grid placed in UTM 48N, so that its metres have a WGS 84 place.
    let g = Grid {
        origin_x: 700_000.0,
        origin_y: 1_850_100.0,
        ..grid()
    };
    let shifted = |f: Feature| Feature {
        geometry: f.geometry.map_coords(|c| geo::coord! { x: c.x + 700_000.0, y: c.y + 1_850_000.0 }),
        ..f
    };
    let areas_shifted = Areas::new(
        "xã",
        vec![("Triệu \\ Thành".into(), rect(700_000.0, 1_850_000.0, 700_100.0, 1_850_100.0))],
    );
    let set = ImpactSet::new(g, vec![shifted(feature)], Some(areas_shifted));
    let mut depth = vec![0.0; 100];
    depth[22] = 1.2345;
    let mut arrival = vec![f64::NAN; 100];
    arrival[22] = 0.5;
    arrival[21] = 0.25; // wet, but shallower than the minimum depth: not its arrival
    depth[21] = 0.01;
    let assessment = set.assess(&depth, Some(&arrival), 0.05).unwrap();
    let text = output::geojson(&set, &assessment, sontinh_geo::Crs::Utm48N).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let f = &doc["features"][0];
    assert_eq!(f["properties"]["name"], "Nhà \"Lớn\"\n");
    assert_eq!(f["properties"]["area"], "Triệu \\ Thành");
    assert_eq!(f["properties"]["max_depth_m"], 1.235);
    assert_eq!(f["properties"]["arrival_h"], 0.5);
    let ring: Vec<[f64; 2]> = f["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()])
        .collect();
    // Shoelace over lon/lat: positive for counter-clockwise.
    let twice_area: f64 = ring.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum();
    assert!(twice_area > 0.0, "{ring:?}");
    assert_eq!(ring.len(), 5);
}

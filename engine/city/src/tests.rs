#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use serde_json::{Value, json};

use super::*;

/// A unit cube as a Solid (outward rings), with roof, wall and ground
/// semantics, in RD New + NAP, integer vertices in millimetres.
fn cube() -> Value {
    json!({
        "type": "CityJSON",
        "version": "2.0",
        "transform": {"scale": [0.001, 0.001, 0.001], "translate": [85000.0, 447500.0, 0.0]},
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/7415"},
        "vertices": [
            [0, 0, 0], [1000, 0, 0], [1000, 1000, 0], [0, 1000, 0],
            [0, 0, 1000], [1000, 0, 1000], [1000, 1000, 1000], [0, 1000, 1000]
        ],
        "CityObjects": {
            "b1": {
                "type": "Building",
                "attributes": {"name": "cube"},
                "children": ["b1-part"],
                "geometry": []
            },
            "b1-part": {
                "type": "BuildingPart",
                "parents": ["b1"],
                "geometry": [{
                    "type": "Solid",
                    "lod": "2",
                    "boundaries": [[
                        [[0, 3, 2, 1]], [[4, 5, 6, 7]],
                        [[0, 1, 5, 4]], [[1, 2, 6, 5]], [[2, 3, 7, 6]], [[3, 0, 4, 7]]
                    ]],
                    "semantics": {
                        "surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"}, {"type": "WallSurface"}],
                        "values": [[0, 1, 2, 2, 2, null]]
                    }
                }]
            }
        }
    })
}

fn parse(doc: &Value) -> Result<CityModel, CityError> {
    CityModel::parse("test.city.json", doc.to_string().as_bytes())
}

fn signed_volume(model: &CityModel, g: &Geometry) -> f64 {
    g.triangles
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|i| {
                let p = model.positions[i as usize];
                [p[0] - 85000.0, p[1] - 447500.0, p[2]]
            });
            (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0])) / 6.0
        })
        .sum()
}

#[test]
fn a_solid_cube_with_semantics() {
    let model = parse(&cube()).unwrap();
    assert_eq!(model.version, "2.0");
    let crs = model.crs.as_ref().unwrap();
    assert_eq!((crs.code, crs.horizontal, crs.vertical), (7415, Crs::Epsg(28992), Some(5709)));
    assert_eq!(model.positions[6], [85001.0, 447501.0, 1.0]);
    let part = model.object("b1-part").unwrap();
    assert_eq!(part.parents, ["b1"]);
    assert_eq!(model.object("b1").unwrap().attributes["name"], "cube");
    let g = &part.geometries[0];
    assert_eq!((g.kind, g.lod.as_deref()), (GeometryKind::Solid, Some("2")));
    assert_eq!(g.triangles.len(), 12);
    use SurfaceClass::*;
    assert_eq!(g.polygon_classes, [Ground, Roof, Wall, Wall, Wall, Unclassified]);
    let classes: Vec<SurfaceClass> = (0..12).map(|t| g.triangle_class(t)).collect();
    assert_eq!(classes.iter().filter(|c| **c == Roof).count(), 2);
    assert_eq!(classes.iter().filter(|c| **c == Wall).count(), 6);
    // Outward rings give outward triangles: the enclosed volume is positive.
    approx::assert_abs_diff_eq!(signed_volume(&model, g), 1.0, epsilon = 1e-9);
    let info = model.info();
    assert_eq!(info.object_types["Building"], 1);
    assert_eq!(info.triangle_count, 12);
    assert_eq!(info.lods, ["2"]);
}

#[test]
fn placed_in_a_scene_frame() {
    let model = parse(&cube()).unwrap();
    let t = model.to_wgs84().unwrap();
    let corner = t.to_geodetic(model.positions[0]).unwrap();
    let frame = EnuFrame::new(corner);
    let placed = model.positions_in(&frame).unwrap();
    approx::assert_abs_diff_eq!(placed[0][0], 0.0, epsilon = 1e-6);
    // RD's 1 m is about 1 m on the ground near Delft (scale 0.99991 at the
    // origin, grid convergence under 1°): east stays east.
    let east = placed[1];
    assert!((east[0] - 1.0).abs() < 0.01 && east[1].abs() < 0.03, "{east:?}");
    let up = placed[4];
    assert!((up[2] - 1.0).abs() < 1e-6, "{up:?}");
}

fn error_of(doc: &Value) -> String {
    parse(doc).unwrap_err().to_string()
}

#[test]
fn a_vertex_index_out_of_range_names_the_object() {
    let mut doc = cube();
    doc["CityObjects"]["b1-part"]["geometry"][0]["boundaries"][0][1][0][2] = json!(8);
    let e = error_of(&doc);
    assert!(
        e.contains("test.city.json") && e.contains("\"b1-part\"") && e.contains("vertex index 8 is out of range"),
        "{e}"
    );
    doc["CityObjects"]["b1-part"]["geometry"][0]["boundaries"][0][1][0][2] = json!(-1);
    assert!(error_of(&doc).contains("not a non-negative integer"));
    doc["CityObjects"]["b1-part"]["geometry"][0]["boundaries"][0][1][0][2] = json!(u64::MAX);
    assert!(error_of(&doc).contains("out of range"));
}

#[test]
fn a_bad_transform_is_refused() {
    for (scale, translate) in [
        (json!([0.0, 0.001, 0.001]), json!([0.0, 0.0, 0.0])),
        (json!([-0.001, 0.001, 0.001]), json!([0.0, 0.0, 0.0])),
        (json!([0.001, 0.001]), json!([0.0, 0.0, 0.0])),
        (json!([0.001, 0.001, 0.001]), json!([0.0, "x", 0.0])),
        (json!([0.001, 0.001, 1e308]), json!([0.0, 0.0, 0.0])),
    ] {
        let mut doc = cube();
        doc["transform"] = json!({"scale": scale, "translate": translate});
        let e = parse(&doc).unwrap_err();
        assert!(
            matches!(e, CityError::Transform { .. }) || e.to_string().contains("not finite"),
            "{scale} {translate}: {e}"
        );
        assert!(e.to_string().contains("test.city.json"), "{e}");
    }
}

#[test]
fn an_unknown_crs_is_refused() {
    let mut doc = cube();
    doc["metadata"]["referenceSystem"] = json!("https://www.opengis.net/def/crs/EPSG/0/999999");
    let e = parse(&doc).unwrap_err();
    assert!(matches!(e, CityError::UnknownCrs { .. }), "{e}");
    assert!(e.to_string().contains("999999"), "{e}");
    doc["metadata"]["referenceSystem"] = json!("urn:ogc:def:crs:EPSG::2056");
    assert_eq!(parse(&doc).unwrap().crs.unwrap().horizontal, Crs::Epsg(2056));
    // No reference system: readable, not placeable.
    doc["metadata"] = json!({});
    let model = parse(&doc).unwrap();
    assert!(matches!(
        model.positions_in(&EnuFrame::new(sontinh_geo::Geodetic::new(4.36, 52.0, 0.0))),
        Err(CityError::Placement { .. })
    ));
}

#[test]
fn bad_structure_is_named_not_panicked() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        // A Solid's boundaries one level too shallow.
        (
            Box::new(|d| d["CityObjects"]["b1-part"]["geometry"][0]["type"] = json!("MultiSolid")),
            "is not an array",
        ),
        (
            Box::new(|d| d["CityObjects"]["b1-part"]["geometry"][0]["semantics"]["values"] = json!([[0, 1, 2]])),
            "has 3 entries",
        ),
        (
            Box::new(|d| d["CityObjects"]["b1-part"]["geometry"][0]["semantics"]["values"][0][0] = json!(3)),
            "semantic value 3 is out of range",
        ),
        (
            Box::new(|d| d["CityObjects"]["b1-part"]["geometry"][0]["type"] = json!("Blob")),
            "unknown geometry type",
        ),
        (
            Box::new(|d| d["CityObjects"]["b1-part"]["parents"] = json!(["nobody"])),
            "\"nobody\" is not in the file",
        ),
        (Box::new(|d| d["vertices"][3] = json!([0, 1])), "vertex 3 is not three numbers"),
        (Box::new(|d| d["version"] = json!("3.0")), "version 3.0"),
        (Box::new(|d| d["type"] = json!("FeatureCollection")), "expected \"CityJSON\""),
        (
            Box::new(|d| {
                d["CityObjects"]["b1-part"]["geometry"] = json!([{"type": "GeometryInstance", "template": 0, "boundaries": [0], "transformationMatrix": [1,0,0,0, 0,1,0,0, 0,0,1,0, 0,0,0,1]}]);
            }),
            "template 0 is out of range",
        ),
    ];
    for (edit, expected) in cases {
        let mut doc = cube();
        edit(&mut doc);
        let e = error_of(&doc);
        assert!(e.contains(expected), "expected \"{expected}\" in: {e}");
    }
    // Nesting far deeper than any geometry: serde_json's recursion limit, an error.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let text = format!(
        "{{\"type\":\"CityJSON\",\"version\":\"2.0\",\"vertices\":[],\"CityObjects\":{{\"a\":{{\"type\":\"Building\",\"geometry\":[{{\"type\":\"Solid\",\"boundaries\":{deep}}}]}}}}}}"
    );
    assert!(CityModel::parse("deep.json", text.as_bytes()).is_err());
}

#[test]
fn geometry_templates_are_placed() {
    let mut doc = cube();
    doc["geometry-templates"] = json!({
        "templates": [{"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 1, 2]]]}],
        "vertices-templates": [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 3.0]]
    });
    doc["CityObjects"]["tree"] = json!({
        "type": "SolitaryVegetationObject",
        "geometry": [{
            "type": "GeometryInstance", "template": 0, "boundaries": [1],
            // Turned 90° about z, then moved 10 m up.
            "transformationMatrix": [0,-1,0,0, 1,0,0,0, 0,0,1,10, 0,0,0,1]
        }]
    });
    let model = parse(&doc).unwrap();
    let g = &model.object("tree").unwrap().geometries[0];
    assert!(g.instanced);
    assert_eq!(
        (g.kind, g.lod.as_deref(), g.triangles.len()),
        (GeometryKind::MultiSurface, Some("1"), 1)
    );
    let [a, b, c] = g.triangles[0].map(|i| model.positions[i as usize]);
    assert_eq!(a, [85001.0, 447500.0, 10.0]);
    assert_eq!(b, [85001.0, 447502.0, 10.0]);
    assert_eq!(c, [85001.0, 447500.0, 13.0]);
    assert_eq!(model.file_vertex_count, 8);
    assert_eq!(model.positions.len(), 11);
}

#[test]
fn cityjson_seq_features_carry_their_own_vertices() {
    let header = json!({
        "type": "CityJSON", "version": "2.0",
        "transform": {"scale": [0.01, 0.01, 0.01], "translate": [2680000.0, 1250000.0, 400.0]},
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/2056"},
        "CityObjects": {}, "vertices": []
    });
    let feature = |id: &str, dx: i64| {
        json!({
            "type": "CityJSONFeature", "id": id,
            "CityObjects": {id: {"type": "Building", "geometry": [{"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 1, 2]]]}]}},
            "vertices": [[dx, 0, 0], [dx + 100, 0, 0], [dx, 100, 0]]
        })
    };
    let text = format!("{header}\n{}\n{}\n", feature("a", 0), feature("b", 1000));
    let model = CityModel::parse("seq.city.jsonl", text.as_bytes()).unwrap();
    assert!(model.sequence);
    assert_eq!(model.objects.len(), 2);
    let b = &model.object("b").unwrap().geometries[0];
    assert_eq!(model.positions[b.triangles[0][0] as usize], [2680010.0, 1250000.0, 400.0]);
    // A feature's index may not reach another feature's vertices.
    let bad = json!({"type": "CityJSONFeature", "id": "c", "CityObjects": {"c": {"type": "Building", "geometry": [{"type": "MultiSurface", "boundaries": [[[0, 1, 3]]]}]}}, "vertices": [[0, 0, 0], [1, 0, 0], [0, 1, 0]]});
    let text = format!("{header}\n{}\n{bad}\n", feature("a", 0));
    let e = CityModel::parse("seq.city.jsonl", text.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("\"c\"") && e.contains("vertex index 3 is out of range"), "{e}");
}

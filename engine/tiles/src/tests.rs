#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use super::*;

fn shared(path: &str) -> PathBuf {
    sontinh_scene::shared_file(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), path).unwrap()
}

#[test]
fn request_volume_tileset_with_an_external_tileset_and_three_contents() {
    let t = load_tileset(&shared("tiles/TilesetWithRequestVolume/tileset.json")).unwrap();
    assert_eq!(t.version, "1.0");
    assert_eq!(t.files.len(), 2, "the root and city/tileset.json");
    let contents: Vec<String> = t.tiles.iter().filter_map(|x| x.content.as_ref()).map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for name in ["building.b3dm", "points.pnts", "ll.b3dm", "lr.b3dm", "ul.b3dm", "ur.b3dm"] {
        assert!(contents.contains(&name.to_owned()), "{name} in {contents:?}");
    }
    assert_eq!(t.tiles[0].refine, Refine::Add);
    let points = t.tiles.iter().position(|x| x.content.as_ref().is_some_and(|p| p.ends_with("points.pnts"))).unwrap();
    assert!(t.tiles[points].request_volume.is_some());

    // From far away nothing but the root's own (empty) content; near the point cloud, it is requested.
    let far = View { eye: [0.0, 0.0, 0.0], pixels_per_radian: 800.0, max_error_px: 16.0, frustum: None };
    let (draw, wanted) = select(&t, &far, &|_| true);
    assert!(draw.is_empty() && wanted.is_empty());
    let centre = t.tiles[points].sphere.0;
    let near = View { eye: centre, ..far };
    let (draw, _) = select(&t, &near, &|_| true);
    assert!(draw.contains(&points), "{draw:?}");
    let (_, wanted) = select(&t, &near, &|_| false);
    assert!(wanted.contains(&points));
}

#[test]
fn b3dm_and_pnts_decode() {
    let dir = shared("tiles/TilesetWithRequestVolume");
    match read_content(&dir.join("building.b3dm")).unwrap() {
        Content::Model { model, .. } => assert!(model.triangle_count() > 1000),
        other => panic!("{other:?}"),
    }
    match read_content(&dir.join("points.pnts")).unwrap() {
        Content::Points(p) => {
            assert_eq!(p.positions.len(), 125_000);
            assert!(p.colors.iter().any(|c| c[0] != c[1]));
        }
        other => panic!("{other:?}"),
    }
    match read_content(&dir.join("city/ll.b3dm")).unwrap() {
        Content::Model { batch_length, batch_properties, .. } => {
            assert!(batch_length > 0 && !batch_properties.is_empty(), "{batch_length} {batch_properties:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn discrete_lod_replaces_low_by_medium_when_close() {
    let t = load_tileset(&shared("tiles/TilesetWithDiscreteLOD/tileset.json")).unwrap();
    let root = &t.tiles[0];
    assert!(root.content.as_ref().unwrap().ends_with("dragon_low.b3dm"));
    let centre = root.sphere.0;
    // The root transform puts the dragon in ECEF near 40.04 N, 75.61 W.
    assert!((distance(centre, [0.0; 3]) - 6_369_000.0).abs() < 20_000.0, "{centre:?}");
    let medium = t.tiles.iter().position(|x| x.content.as_ref().is_some_and(|p| p.ends_with("dragon_medium.b3dm"))).unwrap();
    let far = View { eye: [centre[0] + 2000.0, centre[1], centre[2]], pixels_per_radian: 800.0, max_error_px: 16.0, frustum: None };
    let (draw, _) = select(&t, &far, &|_| true);
    assert_eq!(draw, vec![0]);
    let near = View { eye: [centre[0] + 20.0, centre[1], centre[2]], ..far };
    let (draw, _) = select(&t, &near, &|_| true);
    assert_eq!(draw, vec![medium]);
    // Until the medium tile is loaded, the low one stays.
    let (draw, wanted) = select(&t, &near, &|i| i != medium);
    assert_eq!((draw, wanted), (vec![0], vec![medium]));

    // Looking away (a frustum whose near plane faces out of the dragon): nothing drawn or loaded.
    let eye = [centre[0] + 2000.0, centre[1], centre[2]];
    let facing = |towards: f64| {
        // Near plane through the eye, facing +x (towards = 1) or -x; the other planes open.
        let mut planes = [[0.0, 0.0, 0.0, 1.0]; 6];
        planes[0] = [towards, 0.0, 0.0, -towards * eye[0]];
        View { eye, pixels_per_radian: 800.0, max_error_px: 16.0, frustum: Some(Frustum { planes }) }
    };
    assert_eq!(select(&t, &facing(-1.0), &|_| false), (vec![], vec![0]), "looking at the dragon");
    assert_eq!(select(&t, &facing(1.0), &|_| false), (vec![], vec![]), "looking away");
}

#[test]
fn sparse_implicit_quadtree_expands_from_its_subtrees() {
    let t = load_tileset(&shared("tiles/SparseImplicitQuadtree/tileset.json")).unwrap();
    assert_eq!(t.version, "1.1");
    let with_content: Vec<&PathBuf> = t.tiles.iter().filter_map(|x| x.content.as_ref()).collect();
    let files = std::fs::read_dir(shared("tiles/SparseImplicitQuadtree/content")).unwrap().count();
    assert_eq!(with_content.len(), files, "one tile per content file");
    assert!(with_content.iter().all(|p| p.exists()), "templated URIs point at real files");
    // Deepest level 5: 1/32 of the root's box, geometric error 32/32.
    let deepest = t.tiles.iter().filter(|x| x.content.is_some()).map(|x| x.geometric_error).fold(f64::INFINITY, f64::min);
    assert_eq!(deepest, 1.0);
    match read_content(with_content[0]).unwrap() {
        Content::Model { model, .. } => assert!(model.triangle_count() > 0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_cycle_and_broken_tiles_are_errors() {
    let dir = std::env::temp_dir().join(format!("sontinh-tiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tile = |child: &str| {
        format!(
            r#"{{"asset":{{"version":"1.0"}},"geometricError":10,"root":{{"boundingVolume":{{"sphere":[0,0,0,10]}},"geometricError":5,"content":{{"uri":"{child}"}}}}}}"#
        )
    };
    std::fs::write(dir.join("a.json"), tile("b.json")).unwrap();
    std::fs::write(dir.join("b.json"), tile("a.json")).unwrap();
    let e = load_tileset(&dir.join("a.json")).unwrap_err();
    assert!(matches!(&e, TilesError::Cycle { chain, .. } if chain.contains("a.json") && chain.contains("b.json")), "{e}");
    std::fs::write(dir.join("missing.json"), tile("nowhere.json")).unwrap();
    assert!(load_tileset(&dir.join("missing.json")).unwrap_err().to_string().contains("nowhere.json"));
    std::fs::write(dir.join("bad.b3dm"), b"b3dm\x01\0\0\0\xff\xff\0\0").unwrap();
    assert!(read_content(&dir.join("bad.b3dm")).unwrap_err().to_string().contains("bad.b3dm"));
    let mut b3dm = std::fs::read(shared("tiles/TilesetWithRequestVolume/building.b3dm")).unwrap();
    b3dm.truncate(b3dm.len() / 2);
    std::fs::write(dir.join("half.b3dm"), &b3dm).unwrap();
    assert!(read_content(&dir.join("half.b3dm")).unwrap_err().to_string().contains("truncated"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_perspective_frustum_holds_what_the_camera_sees() {
    let f = Frustum::perspective([0.0, -100.0, 10.0], [0.0, 0.0, 10.0], [0.0, 0.0, 1.0], 1.0, 16.0 / 9.0, 0.5, 1000.0);
    assert!(f.intersects_sphere([0.0, 0.0, 10.0], 0.1), "the target");
    assert!(f.intersects_sphere([80.0, 50.0, 10.0], 0.1), "ahead, right of centre, within the wide side");
    assert!(!f.intersects_sphere([0.0, -200.0, 10.0], 50.0), "behind");
    assert!(!f.intersects_sphere([0.0, 2000.0, 10.0], 10.0), "past the far plane");
    assert!(!f.intersects_sphere([0.0, 0.0, 200.0], 10.0), "above the top plane (half angle 0.5 rad)");
    assert!(f.intersects_sphere([0.0, 0.0, 200.0], 150.0), "a big sphere reaching in");
}

/// Frames over the discrete-LOD dragon seen from close by (where the medium
/// tile replaces the low one), each load finishing at once and counting its
/// file's size: the bytes held each frame, the tiles drawn in the last, and
/// the final error scale.
fn stream_dragon(budget: usize, scale_error: bool, frames: usize) -> (Vec<usize>, Vec<usize>, f64) {
    let t = load_tileset(&shared("tiles/TilesetWithDiscreteLOD/tileset.json")).unwrap();
    // 20 m outside the dragon's bounding sphere: the low tile's error is 40 px.
    let (centre, radius) = t.tiles[0].sphere;
    let view = |scale: f64| View { eye: [centre[0] + radius + 20.0, centre[1], centre[2]], pixels_per_radian: 800.0, max_error_px: 16.0 * scale, frustum: None };
    let mut residency = Residency::new(budget, 8);
    let mut held = Vec::new();
    let mut drawn = Vec::new();
    for _ in 0..frames {
        let v = view(if scale_error { residency.error_scale() } else { 1.0 });
        let (draw, wanted) = select(&t, &v, &|i| residency.is_ready(i));
        let plan = residency.plan(&draw.iter().copied().collect(), &wanted);
        for i in plan.load {
            let file = t.tiles[i].content.as_ref().unwrap();
            residency.finished(i, Ok(std::fs::metadata(file).unwrap().len() as usize));
        }
        held.push(residency.held_bytes());
        drawn = draw;
    }
    (held, drawn, residency.error_scale())
}

#[test]
fn a_budget_smaller_than_the_view_makes_the_selection_coarser_until_it_fits() {
    let size = |name: &str| std::fs::metadata(shared(&format!("tiles/TilesetWithDiscreteLOD/{name}"))).unwrap().len() as usize;
    let (low, medium) = (size("dragon_low.b3dm"), size("dragon_medium.b3dm"));
    // Room for the low tile, not the medium one; the low one fills less
    // than half of it, where a naive refinement would swing back.
    let budget = 2 * low + 1;
    assert!(budget < medium);
    // Fixed error: the medium tile is drawn, over the budget, frame after frame.
    let (held, drawn, _) = stream_dragon(budget, false, 400);
    assert!(drawn.iter().all(|&i| i != 0) && held[300..].iter().all(|&h| h > budget), "{drawn:?} {:?}", &held[300..]);
    // Scaled error: back to the low tile, and it stays there.
    let (held, drawn, scale) = stream_dragon(budget, true, 400);
    assert_eq!(drawn, vec![0], "scale {scale}");
    assert!(scale > 1.0);
    assert!(held[300..].iter().all(|&h| h == low), "budget {budget}: {:?}", &held[300..]);
}

#[test]
fn placed_points_land_inside_their_tiles_bounding_sphere_in_the_scene_frame() {
    use sontinh_geo::{EnuFrame, Geodetic};
    let t = load_tileset(&shared("tiles/TilesetWithRequestVolume/tileset.json")).unwrap();
    let frame = EnuFrame::new(Geodetic { lon_deg: -75.61209430782448, lat_deg: 40.042530611425896, height_m: 0.0 });
    for name in ["points.pnts", "building.b3dm"] {
        let tile = t.tiles.iter().find(|x| x.content.as_ref().is_some_and(|p| p.ends_with(name))).unwrap();
        let request = TileRequest { content: tile.content.clone().unwrap(), transform: tile.transform, frame: Some(frame) };
        // The request crosses to a worker and back unchanged.
        assert_eq!(TileRequest::from_bytes(&request.to_bytes()).unwrap(), request);
        let (placed, budget) = request.load(&FileSource).unwrap();
        // The bounding sphere the tileset gives (ECEF), carried into ENU by
        // the frame alone: every placed vertex lies inside it.
        let centre = frame.ecef_to_enu(tile.sphere.0);
        let radius = tile.sphere.1;
        let positions: Vec<[f32; 3]> = match &placed {
            PlacedTile::Points { positions, colors } => {
                assert_eq!((positions.len(), colors.len()), (125_000, 125_000));
                positions.clone()
            }
            PlacedTile::Model(model) => model.primitives.iter().flat_map(|p| p.positions.clone()).collect(),
        };
        assert!(!positions.is_empty());
        for p in &positions {
            let d = ((f64::from(p[0]) - centre[0]).powi(2) + (f64::from(p[1]) - centre[1]).powi(2) + (f64::from(p[2]) - centre[2]).powi(2)).sqrt();
            assert!(d <= radius * 1.001 + 0.01, "{name}: a vertex {d:.2} m from the sphere's centre, radius {radius:.2}");
        }
        assert!(budget > 0);
        let bytes = placed.to_bytes(budget);
        let path = std::path::Path::new(name);
        assert_eq!(PlacedTile::from_bytes(&bytes, path).unwrap(), (placed.clone(), budget));
        for cut in [0, 3, 12, 13, 40, bytes.len() - 1] {
            let err = PlacedTile::from_bytes(&bytes[..cut], path).unwrap_err();
            assert!(err.contains(name) && (err.contains("cut short") || err.contains("cannot fit")), "cut at {cut}: {err}");
        }
    }
    // A request with a frame off the Earth is refused.
    let mut bad = TileRequest { content: "x.b3dm".into(), transform: [0.0; 16], frame: Some(frame) }.to_bytes();
    let at = bad.len() - 16;
    bad[at..at + 8].copy_from_slice(&123.0f64.to_le_bytes());
    assert!(TileRequest::from_bytes(&bad).unwrap_err().contains("not a place on Earth"));
}

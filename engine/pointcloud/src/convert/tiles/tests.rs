use std::collections::BTreeSet;
use std::path::PathBuf;

use super::*;
use crate::convert::is_within;
use crate::Stats;
use crate::convert::Silent;
use crate::convert::tests::point_set;

fn lidar(name: &str) -> PathBuf {
    crate::shared_lidar(name).unwrap_or_else(|| panic!("the shared test data lacks lidar/{name}"))
}

/// The octants of the cube around the header's bounds that hold points,
/// worked out here from the points (the cube: the header's lower corner and
/// its largest extent, as a single conversion builds it).
fn occupied_octants(file: &PointCloudFile) -> BTreeSet<String> {
    let (min, max) = (file.layout.min, file.layout.max);
    let size = (0..3).map(|a| max[a] - min[a]).fold(0.0f64, f64::max) * 1.000_001;
    let mut octants = BTreeSet::new();
    file.for_each_batch(|batch| {
        for ((x, y), z) in batch.x().zip(batch.y()).zip(batch.z()) {
            let half = |v: f64, a: usize| i32::from(v - min[a] >= size / 2.0);
            octants.insert(format!("1-{}-{}-{}", half(x, 0), half(y, 1), half(z, 2)));
        }
        Ok(())
    })
    .unwrap();
    octants
}

/// Autzen converted as separate tiles, then merged: every point once, each
/// node's points inside its cube, the header's statistics true, and the
/// tiles' nodes below their roots carried over byte for byte.
#[test]
fn autzen_converted_as_tiles_apart_and_merged_is_point_for_point() {
    let input = lidar("autzen_trim.laz");
    let source = PointCloudFile::open(&input).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_tiles(std::slice::from_ref(&input), 1).unwrap();
    let planned: BTreeSet<String> = plan.tiles.iter().map(|t| t.key.clone()).collect();
    let occupied = occupied_octants(&source);
    assert_eq!(occupied.len(), 2, "Autzen's points fill two octants: {occupied:?}");
    assert!(planned.is_superset(&occupied), "planned {planned:?}, occupied {occupied:?}");
    // A plan survives its JSON, which the batch engine hands to each job.
    let plan: TilePlan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();

    let mut tile_files = Vec::new();
    let mut tile_points = 0;
    for tile in &occupied {
        let out = dir.path().join(format!("{tile}.copc.laz"));
        let summary = convert_tile(&plan, tile, &out, &Silent).unwrap();
        tile_points += summary.point_count;
        let file = PointCloudFile::open(&out).unwrap();
        let (info, hierarchy) = file.copc.as_ref().unwrap();
        let key = parse_node_name(tile).unwrap();
        // Only the tile's subtree holds points, each inside its node.
        for (node, entry) in hierarchy.nodes.iter().filter(|(_, e)| e.point_count > 0) {
            assert!(is_within(*node, key), "{node:?} outside tile {tile}");
            let (min, max) = info.node_bounds(*node);
            let points = file.read_node(*entry).unwrap();
            for ((x, y), z) in points.x().zip(points.y()).zip(points.z()) {
                assert!((0..3).all(|a| [x, y, z][a] >= min[a] - 0.01 && [x, y, z][a] <= max[a] + 0.01), "{node:?}");
            }
        }
        assert!(hierarchy.nodes[&key].point_count > 0, "tile {tile} keeps points in its own node");
        tile_files.push(out);
    }
    assert_eq!(tile_points, 110_000, "each point in exactly one tile");

    let merged_path = dir.path().join("merged.copc.laz");
    let summary = merge_tiles(&tile_files, &merged_path, &Silent).unwrap();
    assert_eq!(summary.point_count, 110_000);
    let merged = PointCloudFile::open(&merged_path).unwrap();
    assert_eq!(point_set(&merged), point_set(&source));
    let stats = Stats::compute(&merged).unwrap();
    assert!(stats.header_mismatches(&merged).is_empty(), "{:?}", stats.header_mismatches(&merged));
    assert_eq!(merged.crs.chosen, source.crs.chosen);
    let (info, hierarchy) = merged.copc.as_ref().unwrap();
    assert!(hierarchy.nodes[&NodeKey::ROOT].point_count > 0, "the root samples both tiles");
    for (node, entry) in hierarchy.nodes.iter().filter(|(_, e)| e.point_count > 0) {
        let (min, max) = info.node_bounds(*node);
        let points = merged.read_node(*entry).unwrap();
        for ((x, y), z) in points.x().zip(points.y()).zip(points.z()) {
            assert!((0..3).all(|a| [x, y, z][a] >= min[a] - 0.01 && [x, y, z][a] <= max[a] + 0.01), "{node:?}");
        }
    }
    // Below the tile roots, nodes are the tiles' own LAZ chunks.
    let chunk = |path: &PathBuf, entry: NodeEntry| {
        let mut bytes = vec![0u8; entry.byte_size as usize];
        let mut f = File::open(path).unwrap();
        f.seek(SeekFrom::Start(entry.offset)).unwrap();
        f.read_exact(&mut bytes).unwrap();
        bytes
    };
    let mut carried = 0;
    for (tile, path) in occupied.iter().zip(&tile_files) {
        let key = parse_node_name(tile).unwrap();
        let file = PointCloudFile::open(path).unwrap();
        for (node, entry) in file.copc.as_ref().unwrap().1.nodes.iter().filter(|(k, e)| e.point_count > 0 && **k != key) {
            let there = hierarchy.nodes[node];
            assert_eq!(there.point_count, entry.point_count, "{node:?}");
            assert!(chunk(&merged_path, there) == chunk(path, *entry), "{node:?} is not the tile's chunk");
            carried += 1;
        }
    }
    assert!(carried > 0);
}

#[test]
fn tiles_that_do_not_fit_together_are_refused() {
    let input = lidar("autzen_trim.laz");
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_tiles(std::slice::from_ref(&input), 1).unwrap();
    let tile = &plan.tiles[0].key;
    let a = dir.path().join("a.copc.laz");
    convert_tile(&plan, tile, &a, &Silent).unwrap();

    // The same tile twice overlaps itself.
    let error = merge_tiles(&[a.clone(), a.clone()], &dir.path().join("twice.copc.laz"), &Silent).unwrap_err().to_string();
    assert!(error.contains("overlap") && error.contains(tile.as_str()), "{error}");

    // A tile of another survey's plan has another cube.
    let other = lidar("lone-star.copc.laz");
    let other_plan = plan_tiles(std::slice::from_ref(&other), 1).unwrap();
    let b = dir.path().join("b.copc.laz");
    convert_tile(&other_plan, &other_plan.tiles[0].key, &b, &Silent).unwrap();
    let error = merge_tiles(&[a.clone(), b.clone()], &dir.path().join("mixed.copc.laz"), &Silent).unwrap_err().to_string();
    assert!(error.contains("b.copc.laz") && error.contains("differs"), "{error}");

    // A tile the plan does not have, and names that are not nodes.
    let error = convert_tile(&plan, "1-1-1-1", &dir.path().join("c.copc.laz"), &Silent).unwrap_err().to_string();
    assert!(error.contains("not in the plan") || plan.tiles.iter().any(|t| t.key == "1-1-1-1"), "{error}");
    for bad in ["1-2-0-0", "7-0-0-0", "1-0-0", "a-b-c-d", "-1-0-0-0"] {
        let error = parse_node_name(bad).unwrap_err();
        assert!(error.contains(bad), "{bad}: {error}");
    }
    assert!(plan_tiles(std::slice::from_ref(&input), MAX_TILE_LEVEL + 1).is_err());
    // A file that is not COPC is not a tile.
    let error = merge_tiles(std::slice::from_ref(&input), &dir.path().join("d.copc.laz"), &Silent).unwrap_err().to_string();
    assert!(error.contains("not a COPC file"), "{error}");
}

use std::path::PathBuf;

use super::*;
use crate::Stats;
use crate::copc::NodeKey;

fn lidar(name: &str) -> Option<PathBuf> {
    crate::shared_lidar(name)
}

/// Every point of a file as sorted (x, y, z, class, intensity, gps) tuples.
pub(super) fn point_set(file: &PointCloudFile) -> Vec<(i64, i64, i64, u8, u16, u64)> {
    let mut out = Vec::new();
    file.for_each_batch(|batch| {
        for p in batch.points() {
            let p = p.unwrap();
            out.push((
                (p.x * 100.0).round() as i64,
                (p.y * 100.0).round() as i64,
                (p.z * 100.0).round() as i64,
                u8::from(p.classification),
                p.intensity,
                p.gps_time.unwrap_or(0.0).to_bits(),
            ));
        }
        Ok(())
    })
    .unwrap();
    out.sort_unstable();
    out
}

#[test]
fn autzen_converts_to_copc_point_for_point() {
    let Some(input) = lidar("autzen_trim.laz") else { return };
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("autzen.copc.laz");
    let summary = convert(std::slice::from_ref(&input), &output, &Silent).unwrap();
    assert_eq!(summary.point_count, 110_000);
    assert_eq!(summary.point_format, 7);
    assert!(summary.nodes > 1, "{summary:?}");

    let copc = PointCloudFile::open(&output).unwrap();
    let (info, hierarchy) = copc.copc.as_ref().expect("written file is read as COPC");
    assert_eq!(copc.layout.version, (1, 4));
    assert_eq!(copc.layout.vlrs[0].user_id, "copc");
    assert_eq!(hierarchy.nodes.values().map(|e| e.point_count).sum::<u64>(), 110_000);
    // Each node's points lie inside its cube.
    for (key, entry) in &hierarchy.nodes {
        if entry.point_count == 0 {
            continue;
        }
        let (min, max) = info.node_bounds(*key);
        let points = copc.read_node(*entry).unwrap();
        assert_eq!(points.len() as u64, entry.point_count);
        for ((x, y), z) in points.x().zip(points.y()).zip(points.z()) {
            assert!(x >= min[0] - 0.01 && x <= max[0] + 0.01 && y >= min[1] - 0.01 && y <= max[1] + 0.01 && z >= min[2] - 0.01 && z <= max[2] + 0.01, "{key:?}");
        }
    }
    assert!(hierarchy.nodes[&NodeKey::ROOT].point_count > 0);

    let source = PointCloudFile::open(&input).unwrap();
    assert_eq!(point_set(&copc), point_set(&source));
    let stats = Stats::compute(&copc).unwrap();
    assert!(stats.header_mismatches(&copc).is_empty(), "{:?}", stats.header_mismatches(&copc));
    assert_eq!(stats.rgb_max, Some([236, 228, 219]));
    assert_eq!(copc.crs.chosen, source.crs.chosen);
}

/// Small chunks: the levels above the chunks are built from the chunk roots'
/// points (kept on disk meanwhile); still every point once.
#[test]
fn many_chunks_keep_every_point_once() {
    let Some(input) = lidar("lone-star.copc.laz") else { return };
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("chunked.copc.laz");
    let summary = convert_in_chunks(std::slice::from_ref(&input), &output, &Silent, 20_000).unwrap();
    assert!(summary.chunks > 10, "{summary:?}");
    // The bound the small limit exercises: no chunk indexed in memory holds more.
    assert!(summary.largest_chunk <= 20_000 && summary.largest_chunk > 0, "{summary:?}");
    let copc = PointCloudFile::open(&output).unwrap();
    let (_, hierarchy) = copc.copc.as_ref().unwrap();
    assert!(hierarchy.nodes[&NodeKey::ROOT].point_count > 0);
    let source = PointCloudFile::open(&input).unwrap();
    assert_eq!(point_set(&copc), point_set(&source));
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "temporary chunk files are gone");
}

#[test]
fn several_inputs_merge_and_keep_extra_bytes() {
    let (Some(a), Some(b)) = (lidar("extrabytes.las"), lidar("autzen_trim.las")) else { return };
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("merged.copc.laz");
    let result = convert(&[a.clone(), b], &output, &Silent);
    // extrabytes.las has no CRS and Autzen has one: refused, with both named.
    let error = result.unwrap_err().to_string();
    assert!(error.contains("CRS"), "{error}");

    let summary = convert(&[a.clone(), a.clone()], &output, &Silent).unwrap();
    assert_eq!(summary.point_count, 2 * 1_065);
    assert_eq!(summary.extra_bytes, 27);
    let merged = PointCloudFile::open(&output).unwrap();
    let source = PointCloudFile::open(&a).unwrap();
    let names = |f: &PointCloudFile| f.attributes.iter().filter(|x| x.extra_offset.is_some()).map(|x| x.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&merged), names(&source));
    // The extra bytes of each point survive: compare sorted byte strings.
    let extras = |f: &PointCloudFile| {
        let mut all = Vec::new();
        f.for_each_batch(|batch| {
            for p in batch.points() {
                all.push(p.unwrap().extra_bytes);
            }
            Ok(())
        })
        .unwrap();
        all.sort();
        all
    };
    let mut doubled = extras(&source);
    doubled.extend(extras(&source));
    doubled.sort();
    assert_eq!(extras(&merged), doubled);
}

#[test]
fn chunks_split_at_the_bound() {
    let n = 1usize << COUNT_LEVEL;
    let mut grid = vec![0u32; n * n * n];
    // 4 M points in one corner cell and 1 elsewhere: the root must split.
    grid[0] = 4_000_000;
    grid[n * n * n - 1] = 1;
    let chunks = choose_chunks(&grid, CHUNK_MAX);
    // The root splits down to the dense cell (a count cell cannot split
    // further); the lone point's branch stops at the first level that fits.
    let dense = NodeKey { level: COUNT_LEVEL, x: 0, y: 0, z: 0 };
    let lone = NodeKey { level: 1, x: 1, y: 1, z: 1 };
    assert_eq!(chunks, BTreeMap::from([(dense, 4_000_000), (lone, 1)]));
}

/// A small limit over a spread-out grid: every chunk fits it and all points
/// are in exactly one chunk.
#[test]
fn chunks_never_exceed_a_small_limit() {
    let n = 1usize << COUNT_LEVEL;
    let grid: Vec<u32> = (0..n * n * n).map(|i| (i % 7) as u32).collect();
    let total: u64 = grid.iter().map(|&c| u64::from(c)).sum();
    let limit = 50_000;
    let chunks = choose_chunks(&grid, limit);
    assert!(chunks.len() > 8, "{}", chunks.len());
    for (key, &count) in &chunks {
        assert!(count <= limit, "{key:?} holds {count} points, over {limit}");
        assert_ne!(key.level, COUNT_LEVEL, "the grid is sparse enough to stop above the count cells");
    }
    assert_eq!(chunks.values().sum::<u64>(), total);
    // No chunk lies inside another.
    for key in chunks.keys() {
        let mut up = key.parent();
        while let Some(p) = up {
            assert!(!chunks.contains_key(&p), "{key:?} inside {p:?}");
            up = p.parent();
        }
    }
}

/// A cache entry written by another converter version is not served: the
/// file is converted again into an entry of its own.
#[test]
fn cache_entry_of_another_converter_version_is_not_reused() {
    let Some(input) = lidar("extrabytes.las") else { return };
    let cache = tempfile::tempdir().unwrap();
    let stale = cache_entry(&input, cache.path(), CONVERTER_VERSION + 1).unwrap();
    std::fs::write(&stale, b"stale output of another converter").unwrap();
    let fresh = cached_conversion(&input, cache.path(), &Silent).unwrap();
    assert_ne!(fresh, stale);
    assert_eq!(fresh, cache_entry(&input, cache.path(), CONVERTER_VERSION).unwrap());
    let copc = PointCloudFile::open(&fresh).unwrap();
    assert!(copc.copc.is_some());
    assert_eq!(copc.layout.point_count, 1_065);
    assert_eq!(std::fs::read(&stale).unwrap(), b"stale output of another converter");

    // This version's entry is reused as it is: no second conversion.
    std::fs::write(&fresh, b"kept").unwrap();
    assert_eq!(cached_conversion(&input, cache.path(), &Silent).unwrap(), fresh);
    assert_eq!(std::fs::read(&fresh).unwrap(), b"kept");
    let mut names: Vec<_> = std::fs::read_dir(cache.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
}

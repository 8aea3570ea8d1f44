//! Regression tests on the shared real files, named after the case.

use std::path::PathBuf;

use approx::assert_abs_diff_eq;

use crate::{PointCloudFile, Stats};

fn lidar(name: &str) -> Option<PathBuf> {
    crate::shared_lidar(name)
}

#[test]
fn autzen_laz_header_and_full_decode_agree_with_the_data_readme() {
    let Some(path) = lidar("autzen_trim.laz") else { return };
    let file = PointCloudFile::open(&path).unwrap();
    assert_eq!(file.layout.version, (1, 2));
    assert_eq!(file.layout.point_format, 3);
    assert!(file.layout.compressed);
    assert_eq!(file.layout.point_count, 110_000);
    let stats = Stats::compute(&file).unwrap();
    assert_eq!(stats.point_count, 110_000);
    assert_eq!(stats.classification.get(&1), Some(&83_893));
    assert_eq!(stats.classification.get(&2), Some(&26_107));
    assert_eq!(stats.rgb_max, Some([236, 228, 219]));
    assert_abs_diff_eq!(stats.min[0], 636001.76, epsilon = 1e-6);
    assert_abs_diff_eq!(stats.max[0], 637179.22, epsilon = 1e-6);
    assert_abs_diff_eq!(stats.min[1], 848935.20, epsilon = 1e-6);
    assert_abs_diff_eq!(stats.max[1], 849497.90, epsilon = 1e-6);
    assert_abs_diff_eq!(stats.min[2], 406.26, epsilon = 1e-6);
    assert_abs_diff_eq!(stats.max[2], 520.51, epsilon = 1e-6);
    assert!(stats.header_mismatches(&file).is_empty(), "{:?}", stats.header_mismatches(&file));
    // The GeoTIFF keys describe the projection by parameters (user-defined,
    // no EPSG code); the WKT has no top-level code either, so it is converted.
    assert_eq!(file.crs.geotiff_epsg, None);
    assert_eq!(file.crs.chosen.as_deref(), Some("WKT \"NAD_1983_HARN_Lambert_Conformal_Conic\""));
    assert_abs_diff_eq!(file.crs.linear_unit_m, 0.3048);
    let g = file.crs.transformer_to(sontinh_geo::Crs::Wgs84).unwrap().to_geodetic([636590.0, 849216.0, 0.0]).unwrap();
    // Autzen stadium, Eugene, Oregon.
    assert_abs_diff_eq!(g.lat_deg, 44.0575, epsilon = 0.01);
    assert_abs_diff_eq!(g.lon_deg, -123.0675, epsilon = 0.01);
}

#[test]
fn autzen_las_and_format_7_hold_the_same_points() {
    let (Some(las), Some(las14)) = (lidar("autzen_trim.las"), lidar("autzen_trim_7.las")) else { return };
    let a = PointCloudFile::open(&las).unwrap();
    assert_eq!(a.layout.vlrs.len(), 5);
    assert_eq!(a.layout.offset_to_point_data, 2038);
    let b = PointCloudFile::open(&las14).unwrap();
    assert_eq!(b.layout.header_size, 375);
    assert_eq!(b.layout.point_format, 7);
    assert_eq!(b.crs.geotiff_epsg, None);
    assert!(b.crs.wkt.is_some());
    let (sa, sb) = (Stats::compute(&a).unwrap(), Stats::compute(&b).unwrap());
    assert_eq!(sa.point_count, 110_000);
    assert_eq!(sa.classification, sb.classification);
    assert_eq!(sa.min, sb.min);
    assert_eq!(sa.max, sb.max);
}

#[test]
fn lone_star_is_read_as_copc_and_its_geocentric_wkt_is_doubted() {
    let Some(path) = lidar("lone-star.copc.laz") else { return };
    let file = PointCloudFile::open(&path).unwrap();
    assert_eq!(file.layout.point_count, 518_862);
    assert_eq!(file.layout.point_format, 6);
    let (info, hierarchy) = file.copc.as_ref().expect("COPC index");
    assert!(info.halfsize > 0.0);
    let in_nodes: u64 = hierarchy.nodes.values().map(|e| e.point_count).sum();
    assert_eq!(in_nodes, 518_862);
    assert!(file.crs.is_geocentric());
    assert!(file.warnings.iter().any(|w| w.contains("Earth-centred") && w.contains("look projected")), "{:?}", file.warnings);
    let root = hierarchy.nodes[&crate::copc::NodeKey::ROOT];
    let points = file.read_node(root).unwrap();
    assert_eq!(points.len() as u64, root.point_count);
    let stats = Stats::compute(&file).unwrap();
    assert_abs_diff_eq!(stats.min[0], 515368.60, epsilon = 0.01);
    assert_abs_diff_eq!(stats.max[2], 2338.58, epsilon = 0.01);
}

#[test]
fn nebraska_file_with_both_crs_records_reports_their_disagreement() {
    let Some(path) = lidar("file_with_both_wkt_and_geotiff_vlrs.las") else { return };
    let file = PointCloudFile::open(&path).unwrap();
    let stats = Stats::compute(&file).unwrap();
    assert_eq!(stats.point_count, 25_408);
    let expected = [(2u8, 9_808u64), (3, 158), (4, 724), (5, 10_956), (6, 3_737), (7, 25)];
    assert_eq!(stats.classification.into_iter().collect::<Vec<_>>(), expected);
    assert!(file.crs.wkt.is_some() && file.crs.geotiff_epsg.is_some());
    assert!(file.warnings.iter().any(|w| w.contains("disagree")), "{:?} {:?}", file.warnings, file.crs);
    assert_abs_diff_eq!(file.crs.linear_unit_m, 1200.0 / 3937.0, epsilon = 1e-9);
}

#[test]
fn extra_bytes_are_named_attributes() {
    let Some(path) = lidar("extrabytes.las") else { return };
    let file = PointCloudFile::open(&path).unwrap();
    assert_eq!(file.layout.record_length, 61);
    assert_eq!(file.layout.point_count, 1_065);
    let extra: Vec<_> = file.attributes.iter().filter(|a| a.extra_offset.is_some()).collect();
    assert!(!extra.is_empty());
    assert!(extra.iter().all(|a| a.name != "undescribed_extra_bytes"), "{extra:?}");
    assert_eq!(Stats::compute(&file).unwrap().point_count, 1_065);
}

#[test]
fn fullwave_points_load_without_their_waveform_file() {
    let Some(path) = lidar("fullwave.laz") else { return };
    let file = PointCloudFile::open(&path).unwrap();
    assert_eq!(file.layout.point_format, 10);
    assert!(file.warnings.iter().any(|w| w.contains("waveform")), "{:?}", file.warnings);
    assert_eq!(Stats::compute(&file).unwrap().point_count, 10_750);
    assert_eq!(file.crs.wkt.as_ref().and_then(|w| w.epsg), Some(32723));
}

#[test]
fn truncated_and_corrupt_files_are_errors_naming_the_file() {
    let Some(path) = lidar("autzen_trim.laz") else { return };
    let bytes = std::fs::read(&path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Cut in the middle of the point data.
    let cut = dir.path().join("cut.laz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let error = PointCloudFile::open(&cut).and_then(|f| Stats::compute(&f)).unwrap_err().to_string();
    assert!(error.contains("cut.laz"), "{error}");
    // Scramble compressed bytes in the middle of the first chunk.
    let mut scrambled = bytes.clone();
    let start = 2500;
    for (i, b) in scrambled[start..start + 4000].iter_mut().enumerate() {
        *b ^= (i * 131 % 251) as u8;
    }
    let bad = dir.path().join("scrambled.laz");
    std::fs::write(&bad, &scrambled).unwrap();
    // The scramble starts inside the first chunk (its points begin at byte
    // 2144 + 8): decoding stops there, an error naming the file and how far
    // it got, not garbage points counted as good.
    let error = PointCloudFile::open(&bad).and_then(|f| Stats::compute(&f)).unwrap_err().to_string();
    assert!(error.contains("scrambled.laz: after 0 of 110000 points: "), "{error}");
    // A LAS whose header claims more points than it holds.
    let las = lidar("autzen_trim.las").unwrap();
    let mut bytes = std::fs::read(las).unwrap();
    bytes[107..111].copy_from_slice(&2_000_000_000u32.to_le_bytes());
    let lying = dir.path().join("lying.las");
    std::fs::write(&lying, &bytes).unwrap();
    let error = PointCloudFile::open(&lying).unwrap_err().to_string();
    assert!(error.contains("lying.las") && error.contains("2000000000 points"), "{error}");
}


/// Runs a future whose every await is ready at once (the fetches below read
/// a file), as the browser's would be after its responses arrive.
fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("a fetch that reads a file never waits"),
    }
}

/// `fetch(start, len)` over the real file, counting the requests.
fn file_ranges(path: &std::path::Path, requests: &std::cell::RefCell<Vec<(u64, u64)>>) -> impl FnMut(u64, u64) -> std::future::Ready<crate::ranged::FetchedRange> {
    let bytes = std::fs::read(path).unwrap();
    move |start, len| {
        requests.borrow_mut().push((start, len));
        let total = bytes.len() as u64;
        let end = start.saturating_add(len).min(total);
        std::future::ready(Ok((bytes[start.min(total) as usize..end as usize].to_vec(), total)))
    }
}

#[test]
fn lone_star_copc_opened_by_ranges_reads_its_index_from_a_small_part_of_the_file() {
    let Some(path) = lidar("lone-star.copc.laz") else { return };
    let whole = PointCloudFile::open(&path).unwrap();
    let requests = std::cell::RefCell::new(Vec::new());
    let (ranged, partial) = ready(crate::ranged::open_by_ranges(&path, file_ranges(&path, &requests))).unwrap();
    assert_eq!(ranged.layout, whole.layout);
    assert_eq!(ranged.copc, whole.copc);
    assert_eq!(ranged.crs.chosen, whole.crs.chosen);
    assert_eq!(ranged.attributes.len(), whole.attributes.len());
    // The index is header, records and hierarchy: a few ranges, a few per cent of the 2.7 MB.
    let file_len = std::fs::metadata(&path).unwrap().len();
    let fetched: u64 = requests.borrow().iter().map(|r| r.1).sum();
    assert!(fetched * 20 < file_len, "{fetched} of {file_len} bytes fetched in {:?}", requests.borrow());
    assert_eq!(partial.known_bytes(), fetched.min(file_len));
    assert!(requests.borrow().len() <= 8, "{:?}", requests.borrow());
    // A node decoded from its own range is the node read from the file.
    let (_, hierarchy) = whole.copc.as_ref().unwrap();
    let (_, &entry) = hierarchy.nodes.iter().filter(|(_, e)| e.point_count > 0).max_by_key(|(k, _)| (k.level, k.x, k.y, k.z)).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let chunk = bytes[entry.offset as usize..(entry.offset + entry.byte_size) as usize].to_vec();
    let from_range = ranged.decode_node_chunk(entry, chunk.clone()).unwrap();
    let from_file = whole.read_node(entry).unwrap();
    assert_eq!(from_range.x().collect::<Vec<_>>(), from_file.x().collect::<Vec<_>>());
    assert_eq!(from_range.len(), entry.point_count as usize);
    // One byte short is an error naming the node, not a short decode.
    let short = ranged.decode_node_chunk(entry, chunk[..chunk.len() - 1].to_vec()).unwrap_err().to_string();
    assert!(short.contains(&format!("node at byte {}", entry.offset)), "{short}");
}

#[test]
fn a_truncated_file_opened_by_ranges_is_an_error_naming_it() {
    let Some(path) = lidar("lone-star.copc.laz") else { return };
    let bytes = std::fs::read(&path).unwrap();
    let fetch = |start: u64, len: u64| {
        // The server's length says 1000 bytes: the hierarchy lies beyond it.
        let end = start.saturating_add(len).min(1000);
        std::future::ready(Ok((bytes[start.min(1000) as usize..end as usize].to_vec(), 1000)))
    };
    let err = ready(crate::ranged::open_by_ranges(&path, fetch)).unwrap_err().to_string();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
}

#[test]
fn lone_star_copc_nodes_decoded_from_the_fetched_index_match_the_file_read_whole() {
    // What a Web Worker does: open the file from the index image the page
    // fetched, decode a node's chunk, hand back bytes.
    use crate::decoded_node::{DecodedNode, NodeDecoder};
    let Some(path) = lidar("lone-star.copc.laz") else { return };
    let whole = PointCloudFile::open(&path).unwrap();
    let requests = std::cell::RefCell::new(Vec::new());
    let (_, partial) = ready(crate::ranged::open_by_ranges(&path, file_ranges(&path, &requests))).unwrap();
    let decoder = NodeDecoder::open(&partial.to_bytes(), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let (_, hierarchy) = whole.copc.as_ref().unwrap();
    let mut checked = 0;
    for entry in hierarchy.nodes.values().filter(|e| e.point_count > 0).take(5) {
        let chunk = bytes[entry.offset as usize..(entry.offset + entry.byte_size) as usize].to_vec();
        let through_bytes = DecodedNode::from_bytes(&decoder.decode(*entry, chunk).unwrap().to_bytes()).unwrap();
        let reference = whole.read_node(*entry).unwrap();
        assert_eq!(through_bytes.len(), entry.point_count as usize);
        let xyz: Vec<[f64; 3]> = reference.x().zip(reference.y()).zip(reference.z()).map(|((x, y), z)| [x, y, z]).collect();
        assert_eq!(through_bytes.xyz, xyz);
        assert_eq!(through_bytes.intensity, reference.intensity().collect::<Vec<_>>());
        assert_eq!(through_bytes.class, reference.classification().collect::<Vec<_>>());
        assert_eq!(through_bytes.return_number, reference.return_number().collect::<Vec<_>>());
        assert_eq!(through_bytes.rgb, reference.rgb().map(|c| c.map(|(r, g, b)| [r, g, b]).collect()));
        checked += 1;
    }
    assert_eq!(checked, 5);
    // An entry that is not in the hierarchy is refused, not decoded.
    let stray = crate::copc::NodeEntry { offset: 12, byte_size: 100, point_count: 10 };
    let err = decoder.decode(stray, vec![0; 100]).unwrap_err().to_string();
    assert!(err.contains("no node at offset 12"), "{err}");
}

#[test]
fn a_fetched_index_cut_short_or_lacking_its_hierarchy_is_an_error() {
    use crate::decoded_node::NodeDecoder;
    use crate::ranged::PartialFile;
    let Some(path) = lidar("lone-star.copc.laz") else { return };
    let requests = std::cell::RefCell::new(Vec::new());
    let (_, partial) = ready(crate::ranged::open_by_ranges(&path, file_ranges(&path, &requests))).unwrap();
    let image = partial.to_bytes();
    // Cut anywhere: an error naming what was cut, never a panic.
    for cut in [0, 7, 11, 12, 19, 20, 21, image.len() / 2, image.len() - 1] {
        let err = PartialFile::from_bytes(&image[..cut]).unwrap_err();
        assert!(err.contains("cut short"), "cut at {cut}: {err}");
    }
    let mut trailing = image.clone();
    trailing.push(0);
    assert!(PartialFile::from_bytes(&trailing).unwrap_err().contains("after its"));
    // A range said to lie past the file's end.
    let mut past = Vec::new();
    past.extend_from_slice(&100u64.to_le_bytes());
    past.extend_from_slice(&1u32.to_le_bytes());
    past.extend_from_slice(&90u64.to_le_bytes());
    past.extend_from_slice(&20u32.to_le_bytes());
    past.extend_from_slice(&[0; 20]);
    assert!(PartialFile::from_bytes(&past).unwrap_err().contains("runs past"));
    // Only the first 16 KiB (header and records, no hierarchy): the reader
    // names the bytes it lacks.
    let mut head = PartialFile::new(std::fs::metadata(&path).unwrap().len());
    head.insert(0, std::fs::read(&path).unwrap()[..16 * 1024].to_vec());
    let err = NodeDecoder::open(&head.to_bytes(), &path).err().unwrap().to_string();
    assert!(err.contains("lacks bytes"), "{err}");
}

#[test]
fn decoded_node_bytes_refuse_wrong_sizes_and_flags() {
    use crate::decoded_node::DecodedNode;
    let points = DecodedNode {
        xyz: vec![[1.5, -2.25, 1e6], [0.0, 3.0, -7.125]],
        rgb: Some(vec![[1, 2, 3], [65535, 0, 9]]),
        intensity: vec![10, 20],
        class: vec![2, 6],
        return_number: vec![1, 2],
    };
    let bytes = points.to_bytes();
    // 5 header bytes, then 2 points of 28 bytes and 6 of colour each.
    assert_eq!(bytes.len(), 5 + 2 * (28 + 6));
    assert_eq!(DecodedNode::from_bytes(&bytes).unwrap(), points);
    assert!(DecodedNode::from_bytes(&bytes[..bytes.len() - 1]).unwrap_err().contains("expected"));
    let mut flag = bytes.clone();
    flag[4] = 7;
    assert!(DecodedNode::from_bytes(&flag).unwrap_err().contains("colour flag 7"));
    // A count of 4 billion points in 5 bytes allocates nothing.
    let mut huge = vec![0xff, 0xff, 0xff, 0xff, 1];
    huge.extend_from_slice(&[0; 8]);
    assert!(DecodedNode::from_bytes(&huge).is_err());
    let plain = DecodedNode { rgb: None, ..points };
    assert_eq!(DecodedNode::from_bytes(&plain.to_bytes()).unwrap(), plain);
}

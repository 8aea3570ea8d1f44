//! The layout of a flood run's output folder that readers rely on: the
//! snapshots' file names and their index (`snapshots/index.json`), which a
//! browser needs since it cannot list a folder.

use serde::Deserialize;

/// The snapshots' index in a run folder: a browser cannot list folders.
pub const SNAPSHOT_INDEX: &str = "snapshots/index.json";

/// Most snapshots an index may name (a week at one a minute is 10,080).
pub const MAX_SNAPSHOTS: usize = 100_000;

/// The time of a snapshot file named `depth_<seconds>s.tif`.
pub fn snapshot_seconds(name: &str) -> Option<f64> {
    let digits = name.strip_prefix("depth_")?.strip_suffix("s.tif")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `snapshots/index.json` for snapshot files (names in `snapshots/`).
pub fn snapshot_index_json(files: &[String]) -> String {
    let entries: Vec<String> = files
        .iter()
        .filter_map(|f| snapshot_seconds(f).map(|t| format!("    {{\"seconds\": {t}, \"file\": \"{f}\"}}")))
        .collect();
    format!("{{\n  \"snapshots\": [\n{}\n  ]\n}}\n", entries.join(",\n"))
}

#[derive(Deserialize)]
struct SnapshotIndex {
    snapshots: Vec<SnapshotEntry>,
}

#[derive(Deserialize)]
struct SnapshotEntry {
    seconds: f64,
    file: String,
}

/// Reads `snapshots/index.json`: each file a `depth_<seconds>s.tif` in the
/// same folder whose name agrees with its time; in time order.
pub fn parse_snapshot_index(text: &str) -> Result<Vec<(f64, String)>, String> {
    let index: SnapshotIndex = serde_json::from_str(text).map_err(|e| format!("{SNAPSHOT_INDEX}: {e}"))?;
    if index.snapshots.len() > MAX_SNAPSHOTS {
        return Err(format!("{SNAPSHOT_INDEX}: {} snapshots, more than the {MAX_SNAPSHOTS} a run writes", index.snapshots.len()));
    }
    let mut found = Vec::with_capacity(index.snapshots.len());
    for entry in index.snapshots {
        match snapshot_seconds(&entry.file) {
            Some(t) if t == entry.seconds => found.push((t, entry.file)),
            Some(t) => return Err(format!("{SNAPSHOT_INDEX}: {} is the snapshot at {t} s, not {} s", entry.file, entry.seconds)),
            None => return Err(format!("{SNAPSHOT_INDEX}: \"{}\" is not a snapshot file name (depth_<seconds>s.tif)", entry.file)),
        }
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_carry_whole_seconds_only() {
        assert_eq!(snapshot_seconds("depth_0000600s.tif"), Some(600.0));
        assert_eq!(snapshot_seconds("depth_0s.tif"), Some(0.0));
        for bad in ["depth_s.tif", "depth_-60s.tif", "depth_1e3s.tif", "depth_60.5s.tif", "depth_60s.tiff", "../depth_60s.tif", "max_depth.tif"] {
            assert_eq!(snapshot_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_index_lists_its_snapshots_in_time_order_and_refuses_what_is_not_one() {
        let text = r#"{"snapshots": [{"seconds": 1200, "file": "depth_0001200s.tif"}, {"seconds": 0, "file": "depth_0000000s.tif"}]}"#;
        assert_eq!(parse_snapshot_index(text).unwrap(), vec![(0.0, "depth_0000000s.tif".to_owned()), (1200.0, "depth_0001200s.tif".to_owned())]);
        let wrong_time = r#"{"snapshots": [{"seconds": 60, "file": "depth_0001200s.tif"}]}"#;
        assert!(parse_snapshot_index(wrong_time).unwrap_err().contains("1200"));
        let outside = r#"{"snapshots": [{"seconds": 0, "file": "../terrain.tif"}]}"#;
        assert!(parse_snapshot_index(outside).unwrap_err().contains("../terrain.tif"));
        assert!(parse_snapshot_index("{\"snapshots\": 3}").is_err());
        assert!(parse_snapshot_index("").is_err());
        let many = format!("{{\"snapshots\": [{}]}}", vec![r#"{"seconds": 0, "file": "depth_0s.tif"}"#; MAX_SNAPSHOTS + 1].join(","));
        assert!(parse_snapshot_index(&many).unwrap_err().contains("more than"));
        // What a run writes reads back.
        let written = snapshot_index_json(&["depth_0000000s.tif".to_owned(), "depth_0000600s.tif".to_owned()]);
        assert_eq!(parse_snapshot_index(&written).unwrap().len(), 2);
    }
}

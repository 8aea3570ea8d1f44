//! A flood scenario whose grid would be too large to allocate is refused at
//! validation, with the file and line of the field.

use std::path::{Path, PathBuf};

use sontinh_scene::{FileResolver, MAX_FLOOD_CELLS, parse};

const SCENE: &str = r#"format = 1

[site]
id = "big-flood"
name = { vi = "Lũ lớn", en = "Big flood" }
description = { vi = "", en = "" }

[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]

[[layer]]
id = "citadel"
kind = "procedural"
generator = "quang-tri-citadel"
name = { vi = "Thành cổ", en = "Citadel" }

[[bookmark]]
id = "overview"
name = { vi = "Toàn cảnh", en = "Overview" }
eye = [620.0, -820.0, 430.0]
target = [-160.0, 40.0, 0.0]

[[flood_scenario]]
id = "huge"
name = { vi = "Lớn", en = "Huge" }
terrain_layer = "citadel"
duration_hours = 1.0
CELL
EXTENT
"#;

fn scene(cell: &str, extent: &str) -> String {
    SCENE.replace("CELL", cell).replace("EXTENT", extent)
}

fn check(text: &str) -> Result<sontinh_scene::Scene, sontinh_scene::SceneErrors> {
    parse(text, Path::new("big.toml"), &FileResolver::new(PathBuf::from(".")))
}

#[test]
fn flood_cell_size_0_5_with_extent_100_km_is_refused_naming_the_fields_and_line() {
    let errors = check(&scene("cell_size_m = 0.5", "extent_m = 100000.0")).unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [format!(
            "big.toml:29:15: cell_size_m 0.5 and extent_m 100000 make a 400000 × 400000 flood grid, more than {MAX_FLOOD_CELLS} cells: raise cell_size_m or lower extent_m"
        )]
    );
}

#[test]
fn flood_extent_alone_past_the_cap_is_refused_at_its_line() {
    // The default cell (10 m) over ±100 km: 20000² cells.
    let errors = check(&scene("", "extent_m = 100000.0")).unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [format!(
            "big.toml:30:12: cell_size_m 10 and extent_m 100000 make a 20000 × 20000 flood grid, more than {MAX_FLOOD_CELLS} cells: raise cell_size_m or lower extent_m"
        )]
    );
}

#[test]
fn flood_grid_at_the_cap_is_accepted() {
    // 2 × 2048 / 1 = 4096 cells a side: exactly the cap.
    let scene = check(&scene("cell_size_m = 1.0", "extent_m = 2048.0")).unwrap();
    let s = &scene.flood_scenarios[0];
    assert_eq!((s.cell_size_m, s.extent_m), (1.0, 2048.0));
    assert_eq!(4096 * 4096, MAX_FLOOD_CELLS);
}

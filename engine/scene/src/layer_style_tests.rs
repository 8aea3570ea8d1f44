//! `[layer.style]` of vector and city layers, basemap layers and a flood
//! scenario's `impact`: what they become, and errors that name their line.

use super::tests::parse_str;
use super::*;

const BASE: &str = r#"format = 1
[site]
id = "city"
name = { vi = "Thành phố", en = "City" }
description = { vi = "", en = "" }
[origin]
crs = "EPSG:4326"
position = [107.194, 16.747, 0.0]
[[bookmark]]
id = "home"
name = { vi = "Nhà", en = "Home" }
eye = [0.0, -100.0, 50.0]
target = [0.0, 0.0, 0.0]
[[layer]]
id = "ground"
kind = "procedural"
generator = "quang-tri-citadel"
name = { vi = "Đất", en = "Ground" }
"#;

fn errors_of(text: &str) -> Vec<(usize, String)> {
    match parse_str(text) {
        Ok(_) => panic!("the scene should be refused"),
        Err(e) => e.0.iter().map(|e| (e.line().unwrap_or(0), e.message.clone())).collect(),
    }
}

/// The 1-based line of `text` holding `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle} is not in the text"))
}

#[test]
fn a_styled_vector_layer_keeps_every_rule() {
    let text = format!(
        r##"{BASE}
[[layer]]
id = "buildings"
kind = "vector"
path = "buildings.geojson"
name = {{ vi = "Nhà", en = "Buildings" }}
[layer.style]
color = "#ff800080"
extrude_attribute = "height"
extrude_default_m = 6.5
label = {{ vi = "ten", en = "name" }}
color_by = {{ attribute = "use", categories = {{ home = "#00ff00", shop = "#0000ff" }} }}
filter = {{ attribute = "floors", min = 1.0 }}
"##
    );
    let scene = parse_str(&text).expect("scene parses");
    let style = &scene.layers[1].style;
    assert_eq!(style.color, [1.0, 128.0 / 255.0, 0.0, 128.0 / 255.0]);
    assert_eq!(
        style.elevation,
        Elevation::Extruded {
            attribute: Some("height".into()),
            default_m: 6.5
        }
    );
    assert_eq!(
        style.label,
        Some(LabelAttributes {
            vi: "ten".into(),
            en: "name".into()
        })
    );
    assert_eq!(
        style.color_by,
        Some(ColorBy::Categories {
            attribute: "use".into(),
            categories: vec![("home".into(), [0.0, 1.0, 0.0, 1.0]), ("shop".into(), [0.0, 0.0, 1.0, 1.0])],
        })
    );
    assert_eq!(
        style.filter,
        Some(FeatureFilter {
            attribute: "floors".into(),
            test: FilterTest::Range { min: Some(1.0), max: None }
        })
    );
}

#[test]
fn style_mistakes_name_their_line() {
    let text = format!(
        r##"{BASE}
[[layer]]
id = "roads"
kind = "vector"
path = "roads.geojson"
name = {{ vi = "Đường", en = "Roads" }}
[layer.style]
color = "orange"
height_attribute = "z"
extrude = true
color_by = {{ attribute = "lanes", ramp = [[2.0, "#000000"], [1.0, "#ffffff"]] }}
"##
    );
    let errors = errors_of(&text);
    let lines: Vec<usize> = errors.iter().map(|e| e.0).collect();
    assert!(
        errors
            .iter()
            .any(|(l, m)| *l == line_of(&text, "color = \"orange") && m.contains("\"orange\" is not a colour")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(l, m)| *l == line_of(&text, "height_attribute") && m.contains("either extruded or set at a height")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(l, m)| *l == line_of(&text, "color_by") && m.contains("increasing")),
        "{errors:?}"
    );
    assert_eq!(lines.len(), 3, "{errors:?}");
}

#[test]
fn only_vector_and_city_layers_take_a_style() {
    let text = format!("{BASE}[layer.style]\ncolor = \"#ffffff\"\n");
    let errors = errors_of(&text);
    assert!(
        errors
            .iter()
            .any(|(l, m)| *l == line_of(&text, "[layer.style]") && m.contains("only vector and city layers take a `style`")),
        "{errors:?}"
    );
}

#[test]
fn basemaps_come_from_files_or_services() {
    let text = format!(
        r##"{BASE}
[[layer]]
id = "osm"
kind = "basemap"
url = "https://tile.example.org/{{z}}/{{x}}/{{y}}.png"
max_zoom = 18
attribution = "© OpenStreetMap contributors"
name = {{ vi = "Bản đồ", en = "Map" }}
[[layer]]
id = "offline"
kind = "basemap"
path = "quang-tri.pmtiles"
name = {{ vi = "Bản đồ ngoại tuyến", en = "Offline map" }}
[[layer]]
id = "province"
kind = "basemap"
service = "wmts"
url = "https://gis.example.vn/wmts/ortho/GoogleMapsCompatible/{{TileMatrix}}/{{TileRow}}/{{TileCol}}.jpg"
name = {{ vi = "Ảnh trực giao", en = "Orthophoto" }}
"##
    );
    let scene = parse_str(&text).expect("scene parses");
    let osm = scene.layers[1].basemap.as_ref().expect("a basemap");
    assert_eq!(osm.source, BasemapSource::Xyz("https://tile.example.org/{z}/{x}/{y}.png".into()));
    assert_eq!(
        (osm.max_zoom, osm.attribution.as_deref()),
        (18, Some("© OpenStreetMap contributors"))
    );
    let offline = scene.layers[2].basemap.as_ref().expect("a basemap");
    assert_eq!(offline.max_zoom, DEFAULT_BASEMAP_MAX_ZOOM);
    assert!(matches!(&offline.source, BasemapSource::File(p) if p.ends_with("quang-tri.pmtiles")));
    assert!(matches!(
        scene.layers[3].basemap.as_ref().map(|b| &b.source),
        Some(BasemapSource::Wmts(_))
    ));
    assert!(scene.layers[0].basemap.is_none());
}

#[test]
fn basemap_mistakes_name_their_line() {
    let text = format!(
        r##"{BASE}
[[layer]]
id = "bad-template"
kind = "basemap"
url = "https://tile.example.org/{{z}}/{{x}}.png"
name = {{ vi = "A", en = "A" }}
[[layer]]
id = "bad-file"
kind = "basemap"
path = "map.tif"
name = {{ vi = "B", en = "B" }}
[[layer]]
id = "bad-zoom"
kind = "basemap"
path = "map.mbtiles"
max_zoom = 30
name = {{ vi = "C", en = "C" }}
[[layer]]
id = "nothing"
kind = "basemap"
name = {{ vi = "D", en = "D" }}
"##
    );
    let errors = errors_of(&text);
    assert!(
        errors
            .iter()
            .any(|(l, m)| *l == line_of(&text, "{x}.png") && m.contains("lacks {y}")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(l, m)| *l == line_of(&text, "map.tif") && m.contains(".mbtiles or .pmtiles")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(l, m)| *l == line_of(&text, "max_zoom = 30") && m.contains("max_zoom 30")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(l, m)| *l == line_of(&text, "id = \"nothing\"") + 1 && m.contains("needs `path`")),
        "{errors:?}"
    );
}

#[test]
fn a_flood_impact_names_its_layers_and_areas() {
    let scenario = r##"
[[layer]]
id = "buildings"
kind = "vector"
path = "buildings.geojson"
name = { vi = "Nhà", en = "Buildings" }
[[layer]]
id = "communes"
kind = "vector"
path = "communes.geojson"
name = { vi = "Xã", en = "Communes" }
[[flood_scenario]]
id = "rain"
name = { vi = "Mưa", en = "Rain" }
terrain_layer = "ground"
duration_hours = 1.0
[flood_scenario.impact]
layers = ["buildings"]
areas = "communes"
area_name = "ten_xa"
obstacles = ["buildings"]
"##;
    let scene = parse_str(&format!("{BASE}{scenario}")).expect("scene parses");
    let impact = scene.flood_scenarios[0].impact.as_ref().expect("an impact");
    assert_eq!(impact.layers, vec!["buildings".to_owned()]);
    assert_eq!(
        impact.areas,
        Some(ImpactAreas {
            layer: "communes".into(),
            name_attribute: "ten_xa".into()
        })
    );
    assert_eq!(
        (impact.obstacles.len(), impact.obstacle_height_m, impact.min_depth_m),
        (1, DEFAULT_OBSTACLE_HEIGHT_M, DEFAULT_IMPACT_MIN_DEPTH_M)
    );

    let wrong = scenario
        .replace("layers = [\"buildings\"]", "layers = [\"ground\", \"bridges\"]")
        .replace("area_name = \"ten_xa\"\n", "");
    let errors = errors_of(&format!("{BASE}{wrong}"));
    assert!(
        errors
            .iter()
            .any(|(_, m)| m.contains("impact layer \"ground\" is a procedural layer")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|(_, m)| m.contains("\"bridges\" is not a layer of this scene")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|(_, m)| m.contains("impact.areas needs area_name")), "{errors:?}");
}

//! The scene file as written, before validation. Fields that need checking
//! beyond their type carry their span so that errors can name the line.

use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScene {
    pub format: Spanned<i64>,
    pub site: RawSite,
    pub origin: RawPosition,
    #[serde(default)]
    pub view: Option<RawView>,
    #[serde(default)]
    pub layer: Vec<Spanned<RawLayer>>,
    #[serde(default)]
    pub bookmark: Vec<Spanned<RawBookmark>>,
    #[serde(default)]
    pub tour: Vec<Spanned<RawTour>>,
    #[serde(default)]
    pub hotspot: Vec<Spanned<RawHotspot>>,
    #[serde(default)]
    pub feeds: Option<Spanned<RawFeeds>>,
    #[serde(default)]
    pub flood_scenario: Vec<Spanned<RawFloodScenario>>,
    #[serde(default)]
    pub place: Vec<Spanned<RawPlace>>,
    #[serde(default)]
    pub measurement: Vec<Spanned<RawMeasurement>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlace {
    pub id: Spanned<String>,
    pub name: RawText,
    pub kind: Spanned<String>,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    pub position: Spanned<[f64; 3]>,
    #[serde(default)]
    pub radius_m: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawText {
    pub vi: String,
    pub en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    pub id: Spanned<String>,
    pub name: RawText,
    pub description: RawText,
    #[serde(default)]
    pub reconstruction: bool,
    #[serde(default)]
    pub attribution: Option<String>,
}

/// A position in a CRS; `crs = "local"` (the default where allowed) means
/// scene ENU metres.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPosition {
    pub crs: Spanned<String>,
    pub position: Spanned<[f64; 3]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawView {
    pub default_bookmark: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLayer {
    pub id: Spanned<String>,
    pub kind: Spanned<String>,
    pub name: RawText,
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    pub generator: Option<Spanned<String>>,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    #[serde(default)]
    pub placement: Option<RawPlacement>,
    #[serde(default)]
    pub visible: Option<bool>,
    #[serde(default)]
    pub opacity: Option<Spanned<f64>>,
    #[serde(default)]
    pub drape: Option<Spanned<RawDrape>>,
    /// A base map service's tile address template (instead of `path`).
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    /// `xyz` or `wmts`, for `url`.
    #[serde(default)]
    pub service: Option<Spanned<String>>,
    #[serde(default)]
    pub max_zoom: Option<Spanned<i64>>,
    #[serde(default)]
    pub attribution: Option<String>,
    #[serde(default)]
    pub style: Option<Spanned<RawStyle>>,
}

/// How a vector (or city) layer is drawn.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStyle {
    #[serde(default)]
    pub color: Option<Spanned<String>>,
    #[serde(default)]
    pub fill_opacity: Option<Spanned<f64>>,
    #[serde(default)]
    pub height_attribute: Option<Spanned<String>>,
    /// `ground` (the default) or `ellipsoid`.
    #[serde(default)]
    pub height_above: Option<Spanned<String>>,
    #[serde(default)]
    pub extrude: Option<Spanned<bool>>,
    #[serde(default)]
    pub extrude_attribute: Option<Spanned<String>>,
    #[serde(default)]
    pub extrude_default_m: Option<Spanned<f64>>,
    #[serde(default)]
    pub color_by: Option<Spanned<RawColorBy>>,
    #[serde(default)]
    pub label: Option<Spanned<RawLabel>>,
    #[serde(default)]
    pub filter: Option<Spanned<RawFilter>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawColorBy {
    pub attribute: Spanned<String>,
    #[serde(default)]
    pub categories: Option<Spanned<std::collections::BTreeMap<String, Spanned<String>>>>,
    /// `[[value, "#rrggbb"], …]`, values increasing.
    #[serde(default)]
    pub ramp: Option<Spanned<Vec<RampStop>>>,
}

/// A ramp's stop: a value and its colour.
pub type RampStop = (f64, Spanned<String>);

/// One attribute for both languages, or one each.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum RawLabel {
    Same(String),
    PerLanguage { vi: String, en: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFilter {
    pub attribute: Spanned<String>,
    #[serde(default)]
    pub one_of: Option<Vec<String>>,
    #[serde(default)]
    pub min: Option<Spanned<f64>>,
    #[serde(default)]
    pub max: Option<Spanned<f64>>,
}

/// An orthophoto over a terrain layer.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDrape {
    pub path: Spanned<String>,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlacement {
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    #[serde(default)]
    pub position: Option<Spanned<[f64; 3]>>,
    #[serde(default)]
    pub heading_deg: Option<Spanned<f64>>,
    #[serde(default)]
    pub pitch_deg: Option<Spanned<f64>>,
    #[serde(default)]
    pub roll_deg: Option<Spanned<f64>>,
    #[serde(default)]
    pub scale: Option<Spanned<f64>>,
    #[serde(default)]
    pub anchor: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBookmark {
    pub id: Spanned<String>,
    pub name: RawText,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    pub eye: Spanned<[f64; 3]>,
    pub target: Spanned<[f64; 3]>,
    #[serde(default)]
    pub fov_deg: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTour {
    pub id: Spanned<String>,
    pub name: RawText,
    pub stop: Vec<Spanned<RawTourStop>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTourStop {
    #[serde(default)]
    pub title: Option<Spanned<RawText>>,
    /// The stop's camera: a bookmark, a pose (eye/target/fov_deg/crs) or a path.
    #[serde(default)]
    pub bookmark: Option<Spanned<String>>,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    #[serde(default)]
    pub eye: Option<Spanned<[f64; 3]>>,
    #[serde(default)]
    pub target: Option<Spanned<[f64; 3]>>,
    #[serde(default)]
    pub fov_deg: Option<Spanned<f64>>,
    #[serde(default)]
    pub path: Option<Spanned<Vec<RawWaypoint>>>,
    #[serde(default)]
    pub path_seconds: Option<Spanned<f64>>,
    pub text: Spanned<RawText>,
    #[serde(default)]
    pub audio: Option<Spanned<RawLangPath>>,
    #[serde(default)]
    pub captions: Option<Spanned<RawLangPath>>,
    #[serde(default)]
    pub seconds: Option<Spanned<f64>>,
    /// Ids of the scene's hotspots shown at this stop.
    #[serde(default)]
    pub hotspots: Vec<Spanned<String>>,
    /// Ids of the scene's measurements shown at this stop.
    #[serde(default)]
    pub measurements: Vec<Spanned<String>>,
    #[serde(default)]
    pub layers: Vec<Spanned<RawStopLayer>>,
    #[serde(default)]
    pub point_cloud: Option<Spanned<RawStopPointCloud>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWaypoint {
    pub eye: [f64; 3],
    pub target: [f64; 3],
    #[serde(default)]
    pub fov_deg: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLangPath {
    pub vi: Spanned<String>,
    pub en: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStopLayer {
    pub id: Spanned<String>,
    #[serde(default)]
    pub visible: Option<bool>,
    #[serde(default)]
    pub opacity: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStopPointCloud {
    #[serde(default)]
    pub color: Option<Spanned<String>>,
    #[serde(default)]
    pub point_size: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHotspot {
    pub id: Spanned<String>,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    pub position: Spanned<[f64; 3]>,
    pub title: RawText,
    pub article: Spanned<RawText>,
    #[serde(default)]
    pub bookmark: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeasurement {
    pub id: Spanned<String>,
    pub name: RawText,
    pub tool: Spanned<String>,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    pub points: Spanned<Vec<[f64; 3]>>,
    #[serde(default)]
    pub level_m: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeeds {
    pub gateway: Spanned<String>,
    #[serde(default)]
    pub config: Option<Spanned<String>>,
    #[serde(default)]
    pub reach: Vec<Spanned<RawReach>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReach {
    pub river: Spanned<String>,
    pub name: RawText,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    pub path: Spanned<Vec<[f64; 2]>>,
    pub width_m: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFloodScenario {
    pub id: Spanned<String>,
    pub name: RawText,
    pub terrain_layer: Spanned<String>,
    pub duration_hours: Spanned<f64>,
    #[serde(default)]
    pub rain_mm_per_hour: Option<Spanned<f64>>,
    #[serde(default)]
    pub rain_hours: Option<Spanned<f64>>,
    #[serde(default)]
    pub cell_size_m: Option<Spanned<f64>>,
    #[serde(default)]
    pub extent_m: Option<Spanned<f64>>,
    #[serde(default)]
    pub manning: Option<Spanned<f64>>,
    #[serde(default)]
    pub output_interval_minutes: Option<Spanned<f64>>,
    #[serde(default)]
    pub inflow: Vec<Spanned<RawInflow>>,
    #[serde(default)]
    pub gauge: Vec<Spanned<RawGauge>>,
    #[serde(default)]
    pub breach: Vec<Spanned<RawBreach>>,
    #[serde(default)]
    pub boundaries: Option<RawBoundaries>,
    #[serde(default)]
    pub scheme: Option<RawScheme>,
    #[serde(default)]
    pub impact: Option<Spanned<RawImpact>>,
}

/// Which features a flood is checked against.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawImpact {
    #[serde(default)]
    pub layers: Vec<Spanned<String>>,
    #[serde(default)]
    pub areas: Option<Spanned<String>>,
    #[serde(default)]
    pub area_name: Option<Spanned<String>>,
    #[serde(default)]
    pub obstacles: Vec<Spanned<String>>,
    #[serde(default)]
    pub obstacle_height_m: Option<Spanned<f64>>,
    #[serde(default)]
    pub min_depth_m: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheme {
    #[serde(default)]
    pub preset: Option<Spanned<String>>,
    #[serde(default)]
    pub theta: Option<Spanned<f64>>,
    #[serde(default)]
    pub alpha: Option<Spanned<f64>>,
    #[serde(default)]
    pub froude_limit: Option<Spanned<f64>>,
    #[serde(default)]
    pub depth_threshold_m: Option<Spanned<f64>>,
    #[serde(default)]
    pub max_time_step_s: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInflow {
    pub name: RawText,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    pub position: Spanned<[f64; 2]>,
    /// The other end of a line inflow (spread evenly along the segment).
    #[serde(default)]
    pub to: Option<Spanned<[f64; 2]>>,
    /// [[hours, m³/s], …]
    pub hydrograph: Spanned<Vec<[f64; 2]>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGauge {
    pub id: Spanned<String>,
    pub name: RawText,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    pub position: Spanned<[f64; 2]>,
    /// The live feed's gauge this one forecasts.
    #[serde(default)]
    pub device: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBreach {
    pub name: RawText,
    #[serde(default)]
    pub crs: Option<Spanned<String>>,
    pub from: Spanned<[f64; 2]>,
    pub to: Spanned<[f64; 2]>,
    pub width_m: Spanned<f64>,
    /// New ground elevation along the segment: lower for a breach, higher for a wall.
    pub elevation_m: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBoundaries {
    #[serde(default)]
    pub north: Option<Spanned<RawBoundary>>,
    #[serde(default)]
    pub south: Option<Spanned<RawBoundary>>,
    #[serde(default)]
    pub west: Option<Spanned<RawBoundary>>,
    #[serde(default)]
    pub east: Option<Spanned<RawBoundary>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBoundary {
    /// "closed", "free" or "stage".
    pub kind: Spanned<String>,
    #[serde(default)]
    pub slope: Option<Spanned<f64>>,
    /// [[hours, metres], …] for stage boundaries.
    #[serde(default)]
    pub stage: Option<Spanned<Vec<[f64; 2]>>>,
}

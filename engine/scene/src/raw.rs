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
    pub feeds: Option<Spanned<RawFeeds>>,
    #[serde(default)]
    pub flood_scenario: Vec<Spanned<RawFloodScenario>>,
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
    pub bookmark: Spanned<String>,
    pub text: RawText,
    #[serde(default)]
    pub seconds: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeeds {
    pub gateway: Spanned<String>,
    #[serde(default)]
    pub config: Option<Spanned<String>>,
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
}

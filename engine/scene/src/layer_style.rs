//! What vector, city and base map layers and a flood's impact report ask
//! for beyond a file: how features are drawn, which are kept, where base
//! map tiles come from, and which layers a flood is checked against.

use std::path::PathBuf;

/// An sRGB colour with alpha, each 0–1 (`"#rrggbb"` or `"#rrggbbaa"` in the file).
pub type Rgba = [f32; 4];

/// How a vector layer's features are drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorStyle {
    /// Lines, outlines and points; fills use it at `fill_opacity`.
    pub color: Rgba,
    pub fill_opacity: f32,
    pub elevation: Elevation,
    /// Colours by an attribute, over `color`.
    pub color_by: Option<ColorBy>,
    /// Attributes whose values label features, per language.
    pub label: Option<LabelAttributes>,
    /// Only features that pass are drawn, reported and picked.
    pub filter: Option<FeatureFilter>,
}

impl Default for VectorStyle {
    fn default() -> Self {
        Self {
            color: [0.95, 0.85, 0.2, 1.0],
            fill_opacity: 0.35,
            elevation: Elevation::Draped,
            color_by: None,
            label: None,
            filter: None,
        }
    }
}

/// Where a feature's vertices go up and down.
#[derive(Clone, Debug, PartialEq)]
pub enum Elevation {
    /// On the ground: the scene's terrain, else its generated ground, else the ellipsoid.
    Draped,
    /// At the height an attribute gives, metres above the ground (or the
    /// ellipsoid when `above_ellipsoid`); features without it are draped.
    Attribute { attribute: String, above_ellipsoid: bool },
    /// Polygons raised from the ground into prisms (LoD1 buildings) by an
    /// attribute's height in metres; `default_m` where a feature has none.
    Extruded { attribute: Option<String>, default_m: f64 },
}

/// Colours from an attribute's values.
#[derive(Clone, Debug, PartialEq)]
pub enum ColorBy {
    /// A colour per value (compared as text); others keep the layer's colour.
    Categories {
        attribute: String,
        categories: Vec<(String, Rgba)>,
    },
    /// A numeric attribute through colour stops (value increasing), linear between them.
    Ramp { attribute: String, stops: Vec<(f64, Rgba)> },
}

/// Which attribute labels a feature in each language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelAttributes {
    pub vi: String,
    pub en: String,
}

/// Which features a layer keeps.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureFilter {
    pub attribute: String,
    pub test: FilterTest,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FilterTest {
    /// The value, as text, is one of these.
    OneOf(Vec<String>),
    /// A number within (either end may be open).
    Range { min: Option<f64>, max: Option<f64> },
}

/// Where a base map layer's tiles come from.
#[derive(Clone, Debug, PartialEq)]
pub enum BasemapSource {
    /// An MBTiles (SQLite) or PMTiles (v3) file, told apart by its extension.
    File(PathBuf),
    /// An XYZ service: `{z}`, `{x}`, `{y}` in the template.
    Xyz(String),
    /// A WMTS service in the Web Mercator quad matrix set (`GoogleMapsCompatible`)
    /// by its RESTful template: `{TileMatrix}`, `{TileRow}`, `{TileCol}`.
    Wmts(String),
}

/// A base map layer: raster tiles draped over the terrain, or over the
/// ellipsoid where the scene has none.
#[derive(Clone, Debug, PartialEq)]
pub struct Basemap {
    pub source: BasemapSource,
    /// The deepest zoom level asked for (the service's or file's own limit may be lower).
    pub max_zoom: u8,
    /// Credit the viewer shows while the layer is visible.
    pub attribution: Option<String>,
}

/// Default deepest zoom of a base map: about 2.4 m per pixel at Quảng Trị's latitude.
pub const DEFAULT_BASEMAP_MAX_ZOOM: u8 = 16;

/// Which features a flood scenario reports as reached by water.
#[derive(Clone, Debug, PartialEq)]
pub struct FloodImpact {
    /// Vector and city layers whose features are checked (buildings, roads…).
    pub layers: Vec<String>,
    /// A vector layer of polygons the counts are given per, with the
    /// attribute naming each area.
    pub areas: Option<ImpactAreas>,
    /// Layers whose polygon footprints are raised in the flood grid.
    pub obstacles: Vec<String>,
    /// How far obstacle cells are raised above the ground, m.
    pub obstacle_height_m: f64,
    /// Water shallower than this does not count as reaching a feature, m.
    pub min_depth_m: f64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImpactAreas {
    pub layer: String,
    pub name_attribute: String,
}

/// Obstacles are raised this much unless the scenario says otherwise: above any flood the twin runs.
pub const DEFAULT_OBSTACLE_HEIGHT_M: f64 = 20.0;

/// Depth under which water does not count as reaching a building or road, m.
pub const DEFAULT_IMPACT_MIN_DEPTH_M: f64 = 0.05;

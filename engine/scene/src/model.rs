use std::path::PathBuf;

use sontinh_geo::{Crs, EnuFrame, Geodetic};

pub use crate::layer_style::*;

/// User-interface language; every name in a scene has both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

/// A text in Vietnamese and English.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

/// A validated scene.
#[derive(Clone, Debug)]
pub struct Scene {
    pub source: PathBuf,
    pub id: String,
    pub name: Text,
    pub description: Text,
    /// The site is a reconstruction, not a survey; viewers must say so.
    pub reconstruction: bool,
    pub attribution: Option<String>,
    /// WGS84 origin of the scene's east-north-up frame.
    pub origin: Geodetic,
    pub frame: EnuFrame,
    pub layers: Vec<Layer>,
    pub bookmarks: Vec<Bookmark>,
    /// Index into `bookmarks`.
    pub default_bookmark: usize,
    pub tours: Vec<Tour>,
    pub hotspots: Vec<Hotspot>,
    pub feeds: Option<Feeds>,
    pub flood_scenarios: Vec<FloodScenario>,
    /// Named places (relics, buildings, roads) that planners follow in floods.
    pub places: Vec<Place>,
    /// Measurements kept with the scene (a tour stop can show some).
    pub measurements: Vec<Measurement>,
    /// Layers whose files cannot be found. `sontinh scene check` rejects the
    /// scene; viewers show the other layers and report these.
    pub missing_files: Vec<crate::SceneError>,
}

impl Scene {
    pub fn bookmark(&self, id: &str) -> Option<&Bookmark> {
        self.bookmarks.iter().find(|b| b.id == id)
    }

    pub fn default_bookmark(&self) -> &Bookmark {
        &self.bookmarks[self.default_bookmark]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerKind {
    PointCloud,
    Mesh,
    Tileset,
    Terrain,
    Vector,
    /// A 3D city model (CityJSON).
    City,
    /// Raster map tiles draped over the ground.
    Basemap,
    Procedural,
}

impl LayerKind {
    pub const ALL: [LayerKind; 8] = [
        LayerKind::PointCloud,
        LayerKind::Mesh,
        LayerKind::Tileset,
        LayerKind::Terrain,
        LayerKind::Vector,
        LayerKind::City,
        LayerKind::Basemap,
        LayerKind::Procedural,
    ];

    pub fn id(self) -> &'static str {
        match self {
            LayerKind::PointCloud => "pointcloud",
            LayerKind::Mesh => "mesh",
            LayerKind::Tileset => "tileset",
            LayerKind::Terrain => "terrain",
            LayerKind::Vector => "vector",
            LayerKind::City => "city",
            LayerKind::Basemap => "basemap",
            LayerKind::Procedural => "procedural",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// Generators of content the project makes itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Generator {
    /// The reconstruction of Quảng Trị Citadel, its moat and the Thạch Hãn river.
    QuangTriCitadel,
}

impl Generator {
    pub const ALL: [Generator; 1] = [Generator::QuangTriCitadel];

    pub fn id(self) -> &'static str {
        match self {
            Generator::QuangTriCitadel => "quang-tri-citadel",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.id() == id)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum LayerSource {
    File(PathBuf),
    Generator(Generator),
    /// A service's address template (base maps).
    Service(String),
    /// A file the scene names but that cannot be found; `reason` says why.
    Missing {
        path: String,
        reason: String,
    },
}

/// Where a layer's own frame sits in the scene's ENU frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// East, north, up in metres from the scene origin.
    pub enu: [f64; 3],
    /// Clockwise from north, degrees.
    pub heading_deg: f64,
    pub pitch_deg: f64,
    pub roll_deg: f64,
    pub scale: f64,
    /// Which point of the content goes to `enu`.
    pub anchor: Anchor,
}

/// The point of a model that its placement puts at the position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Anchor {
    /// The model's own origin (georeferenced exports).
    #[default]
    Origin,
    /// The centre of the base of its bounds (scans whose origin is arbitrary).
    Base,
}

impl Default for Placement {
    fn default() -> Self {
        Self {
            enu: [0.0; 3],
            heading_deg: 0.0,
            pitch_deg: 0.0,
            roll_deg: 0.0,
            scale: 1.0,
            anchor: Anchor::Origin,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub id: String,
    pub name: Text,
    pub kind: LayerKind,
    pub source: LayerSource,
    /// The CRS of the layer's data, overriding what the file declares.
    pub crs: Option<Crs>,
    pub placement: Placement,
    pub visible: bool,
    pub opacity: f32,
    /// An orthophoto draped over a terrain layer.
    pub drape: Option<Drape>,
    /// How a vector or city layer's features are drawn and which are kept.
    pub style: VectorStyle,
    /// A base map layer's tiles.
    pub basemap: Option<Basemap>,
    /// Line of the layer's table in the scene file, for messages.
    pub line: usize,
}

/// An orthophoto to drape: a GeoTIFF, or a PNG/JPEG with a world file
/// (whose CRS is `crs`, or else the terrain's).
#[derive(Clone, Debug, PartialEq)]
pub struct Drape {
    pub source: LayerSource,
    pub crs: Option<Crs>,
}

/// A named camera position: eye and target in scene ENU metres.
#[derive(Clone, Debug, PartialEq)]
pub struct Bookmark {
    pub id: String,
    pub name: Text,
    pub eye: [f64; 3],
    pub target: [f64; 3],
    /// Vertical field of view, degrees.
    pub fov_deg: f64,
}

/// A camera view in scene ENU metres: where the eye is, what it looks at,
/// and the vertical field of view in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub eye: [f64; 3],
    pub target: [f64; 3],
    pub fov_deg: f64,
}

impl From<&Bookmark> for View {
    fn from(b: &Bookmark) -> Self {
        View {
            eye: b.eye,
            target: b.target,
            fov_deg: b.fov_deg,
        }
    }
}

/// Where a tour stop puts the camera.
#[derive(Clone, Debug, PartialEq)]
pub enum StopCamera {
    /// Index into the scene's bookmarks.
    Bookmark(usize),
    /// A pose of the stop's own.
    Pose(View),
    /// A flight through waypoints taking `seconds`; the stop's view is the last waypoint.
    Path { waypoints: Vec<View>, seconds: f64 },
}

/// The same path or file for each language of the interface.
#[derive(Clone, Debug, PartialEq)]
pub struct PerLang<T> {
    pub vi: T,
    pub en: T,
}

impl<T> PerLang<T> {
    pub fn get(&self, lang: Lang) -> &T {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

/// Narration audio of a stop, per language, with its WebVTT captions.
#[derive(Clone, Debug, PartialEq)]
pub struct Narration {
    /// Resolved audio files (Ogg Vorbis).
    pub audio: PerLang<PathBuf>,
    /// Resolved WebVTT files.
    pub captions: PerLang<PathBuf>,
    /// The paths as the scene file writes them (the page fetches these).
    pub written: PerLang<(String, String)>,
}

/// A layer's visibility and opacity wanted while at a stop.
#[derive(Clone, Debug, PartialEq)]
pub struct StopLayer {
    /// Index into the scene's layers.
    pub layer: usize,
    pub visible: Option<bool>,
    pub opacity: Option<f32>,
}

/// How point clouds are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointColor {
    Rgb,
    Elevation,
    Intensity,
    Classification,
    Return,
}

impl PointColor {
    pub const ALL: [PointColor; 5] = [
        PointColor::Rgb,
        PointColor::Elevation,
        PointColor::Intensity,
        PointColor::Classification,
        PointColor::Return,
    ];

    pub fn id(self) -> &'static str {
        match self {
            PointColor::Rgb => "rgb",
            PointColor::Elevation => "elevation",
            PointColor::Intensity => "intensity",
            PointColor::Classification => "classification",
            PointColor::Return => "return",
        }
    }
}

/// Point-cloud settings wanted while at a stop.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StopPointCloud {
    pub color: Option<PointColor>,
    /// Point size in pixels.
    pub point_size: Option<f32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TourStop {
    pub camera: StopCamera,
    /// A short heading; the tour's name with the stop's number when absent.
    pub title: Option<Text>,
    /// Narration text, a Markdown subset (emphasis, lists, images, links).
    pub text: Text,
    pub narration: Option<Narration>,
    /// How long the stop waits after arriving (with narration, the player
    /// waits at least as long as the narration lasts).
    pub seconds: f64,
    /// Indices into the scene's hotspots shown at this stop.
    pub hotspots: Vec<usize>,
    /// Indices into the scene's measurements, shown while at this stop.
    pub measurements: Vec<usize>,
    pub layers: Vec<StopLayer>,
    pub point_cloud: Option<StopPointCloud>,
}

impl TourStop {
    /// The view the camera rests at during the stop.
    pub fn view(&self, bookmarks: &[Bookmark]) -> Option<View> {
        match &self.camera {
            StopCamera::Bookmark(i) => bookmarks.get(*i).map(View::from),
            StopCamera::Pose(v) => Some(*v),
            StopCamera::Path { waypoints, .. } => waypoints.last().copied(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tour {
    pub id: String,
    pub name: Text,
    pub stops: Vec<TourStop>,
}

/// A point of interest pinned in 3D, with an article.
#[derive(Clone, Debug, PartialEq)]
pub struct Hotspot {
    pub id: String,
    /// Scene ENU metres.
    pub enu: [f64; 3],
    pub title: Text,
    /// A Markdown subset (emphasis, lists, images, links).
    pub article: Text,
    /// Index into the scene's bookmarks: the article offers a flight there.
    pub bookmark: Option<usize>,
}

/// Live feeds of the IOC for this site.
#[derive(Clone, Debug, PartialEq)]
pub struct Feeds {
    /// WebSocket URL of the feed gateway (`ws://` or `wss://`).
    pub gateway: String,
    /// Gateway or replay configuration, resolved like layer paths.
    pub config: Option<PathBuf>,
    /// River reaches whose water surface follows the gauges on them.
    pub reaches: Vec<RiverReach>,
}

/// A stretch of river drawn at the level its gauges report: the surface is
/// interpolated along `path` between the gauges of `river`.
#[derive(Clone, Debug, PartialEq)]
pub struct RiverReach {
    /// Matches the `river` of water gauges in the feed.
    pub river: String,
    pub name: Text,
    /// Centre line in scene ENU metres, upstream first.
    pub path: Vec<[f64; 2]>,
    pub width_m: f64,
}

/// Most cells of a flood scenario's square grid, (2 extent_m / cell_size_m)²:
/// 4096², about 1.6 GiB of solver state. Equal to `sontinh_flood::Raster::MAX_CELLS`
/// (the app checks they agree at compile time).
pub const MAX_FLOOD_CELLS: usize = 1 << 24;

/// A flood scenario for planners; `sontinh flood run` reads its forcing here.
#[derive(Clone, Debug, PartialEq)]
pub struct FloodScenario {
    pub id: String,
    pub name: Text,
    /// Id of the terrain (or procedural ground) layer the flood runs on.
    pub terrain_layer: String,
    pub duration_hours: f64,
    /// Uniform rainfall intensity, mm/h, for the whole duration.
    pub rain_mm_per_hour: f64,
    /// Rain falls for this many hours from the start (the whole run when `None`).
    pub rain_hours: Option<f64>,
    /// Grid spacing when the terrain is generated (procedural layers), m;
    /// with `extent_m`, at most [`MAX_FLOOD_CELLS`] cells.
    pub cell_size_m: f64,
    /// Half the side of the simulated square around the scene origin, for
    /// procedural terrain, m.
    pub extent_m: f64,
    /// Manning's n of the whole domain.
    pub manning: f64,
    /// How often gauges and snapshots are recorded, minutes.
    pub output_interval_minutes: f64,
    pub inflows: Vec<FloodInflow>,
    pub gauges: Vec<FloodGauge>,
    pub breaches: Vec<Breach>,
    pub boundaries: FloodBoundaries,
    /// The numerical scheme's settings the scenario asks for.
    pub scheme: FloodScheme,
    /// Buildings and roads checked against the water, and obstacles.
    pub impact: Option<FloodImpact>,
}

/// Which defaults a scenario's scheme starts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SchemePreset {
    /// The solver's own (θ = 0.8, Froude-limited).
    #[default]
    Sontinh,
    /// LISFLOOD-FP's ACC solver's, to reproduce its runs.
    LisfloodFp,
}

/// The local-inertial scheme's settings of a scenario: a preset, and any
/// value the scenario sets itself (`None`: the preset's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FloodScheme {
    pub preset: SchemePreset,
    /// The de Almeida θ weighting of the old discharge against its neighbours'.
    pub theta: Option<f64>,
    /// The CFL coefficient of the adaptive time step.
    pub alpha: Option<f64>,
    /// The largest Froude number a face carries; `Some(0.0)` turns the
    /// limit off.
    pub froude_limit: Option<f64>,
    /// Faces with a flow depth below this carry no flow, m.
    pub depth_threshold_m: Option<f64>,
    /// The longest time step, s.
    pub max_time_step_s: Option<f64>,
}

/// A point inflow: position in scene ENU metres (east, north).
#[derive(Clone, Debug, PartialEq)]
pub struct FloodInflow {
    pub name: Text,
    pub enu: [f64; 2],
    /// For a line inflow, the other end of the segment.
    pub to_enu: Option<[f64; 2]>,
    /// (hours, m³/s), times increasing.
    pub hydrograph: Vec<(f64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FloodGauge {
    pub id: String,
    pub name: Text,
    pub enu: [f64; 2],
    /// The live feed's gauge (device id) whose level this one forecasts.
    pub device: Option<String>,
}

/// A DEM edit along a segment: a levee breach (lower) or a flood wall (higher).
/// What a place is, for lists and icons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaceKind {
    Relic,
    Building,
    Road,
    Bridge,
    Other,
}

impl PlaceKind {
    pub const ALL: [PlaceKind; 5] = [
        PlaceKind::Relic,
        PlaceKind::Building,
        PlaceKind::Road,
        PlaceKind::Bridge,
        PlaceKind::Other,
    ];

    pub fn id(self) -> &'static str {
        match self {
            PlaceKind::Relic => "relic",
            PlaceKind::Building => "building",
            PlaceKind::Road => "road",
            PlaceKind::Bridge => "bridge",
            PlaceKind::Other => "other",
        }
    }
}

/// A named place of the site, in scene ENU metres, with the radius of ground it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub id: String,
    pub name: Text,
    pub kind: PlaceKind,
    pub enu: [f64; 3],
    pub radius_m: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Breach {
    pub name: Text,
    pub from: [f64; 2],
    pub to: [f64; 2],
    pub width_m: f64,
    pub elevation_m: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FloodBoundary {
    Closed,
    /// Normal-depth outflow with this energy slope.
    Free {
        slope: f64,
    },
    /// Imposed water level: (hours, metres above the scene datum).
    Stage(Vec<(f64, f64)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FloodBoundaries {
    pub north: FloodBoundary,
    pub south: FloodBoundary,
    pub west: FloodBoundary,
    pub east: FloodBoundary,
}

/// What a measurement measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MeasureTool {
    /// One point's coordinates.
    Point,
    /// Along a polyline, in 3D and horizontally.
    Distance,
    /// The height difference between two points.
    Height,
    /// The angle at the middle one of three points.
    Angle,
    /// A polygon's area, horizontal and on the surface.
    Area,
    /// Every layer's height along a polyline.
    Profile,
    /// Cut and fill over a polygon against a level or another surface.
    Volume,
}

impl MeasureTool {
    pub const ALL: [MeasureTool; 7] = [
        MeasureTool::Point,
        MeasureTool::Distance,
        MeasureTool::Height,
        MeasureTool::Angle,
        MeasureTool::Area,
        MeasureTool::Profile,
        MeasureTool::Volume,
    ];

    pub fn id(self) -> &'static str {
        match self {
            MeasureTool::Point => "point",
            MeasureTool::Distance => "distance",
            MeasureTool::Height => "height",
            MeasureTool::Angle => "angle",
            MeasureTool::Area => "area",
            MeasureTool::Profile => "profile",
            MeasureTool::Volume => "volume",
        }
    }

    pub fn from_id(id: &str) -> Option<MeasureTool> {
        MeasureTool::ALL.into_iter().find(|t| t.id() == id)
    }

    /// The fewest points the figure needs.
    pub fn min_points(self) -> usize {
        match self {
            MeasureTool::Point => 1,
            MeasureTool::Distance | MeasureTool::Height | MeasureTool::Profile => 2,
            MeasureTool::Angle | MeasureTool::Area | MeasureTool::Volume => 3,
        }
    }

    /// The most points the figure takes (`None`: any number).
    pub fn max_points(self) -> Option<usize> {
        match self {
            MeasureTool::Point => Some(1),
            MeasureTool::Height => Some(2),
            MeasureTool::Angle => Some(3),
            _ => None,
        }
    }

    /// Whether the points close into a polygon.
    pub fn is_polygon(self) -> bool {
        matches!(self, MeasureTool::Area | MeasureTool::Volume)
    }
}

/// The most vertices one measurement may have.
pub const MAX_MEASUREMENT_POINTS: usize = 10_000;

/// A measurement kept in the scene, its points in scene ENU metres.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    pub id: String,
    pub name: Text,
    pub tool: MeasureTool,
    pub points: Vec<[f64; 3]>,
    /// Volume: the level cut and fill are measured against, m (else the polygon's lowest vertex).
    pub level_m: Option<f64>,
    /// 1-based line of the `[[measurement]]` table.
    pub line: usize,
}

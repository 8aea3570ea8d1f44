//! Command-line interface, in the style of `pdal` and `gdal`: one program,
//! subcommands per task.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::headless::{RenderRequest, render};
use crate::{default_scene_path, viewer};

#[derive(Parser, Debug)]
#[command(name = "sontinh", version, about = "Sơn Tinh — a living 3D twin of Quảng Trị province")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Rendering quality for `view` and `render`: low (phones: one shadow cascade, no ambient occlusion or multisampling, fewer trees) or high (the default).
    #[arg(long, global = true, value_parser = sontinh_layers::Quality::parse)]
    quality: Option<sontinh_layers::Quality>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Open the viewer on a scene (the Quảng Trị Citadel by default). Without a
    /// display, renders the scene's default bookmark to a PNG instead.
    View {
        scene: Option<PathBuf>,
        /// Where the PNG goes when there is no display.
        #[arg(long, default_value = "out/view.png")]
        out: PathBuf,
        /// Output folder of `sontinh flood run` to draw over the scene.
        #[arg(long)]
        flood: Option<PathBuf>,
        #[command(flatten)]
        feeds: FeedArgs,
        /// Memory budget for everything the scene holds: phone, desktop, wall, or MiB.
        #[arg(long, default_value = "desktop", value_parser = sontinh_layers::MemoryBudget::parse)]
        memory: sontinh_layers::MemoryBudget,
        #[command(flatten)]
        tour: TourArgs,
    },
    /// Render one frame of a scene to a PNG, with no display and no GPU needed.
    Render(RenderArgs),
    /// Scene files.
    #[command(subcommand)]
    Scene(SceneCommand),
    /// Elevation models.
    #[cfg(not(target_arch = "wasm32"))]
    #[command(subcommand)]
    Dem(DemCommand),
    /// Flood simulation.
    #[cfg(not(target_arch = "wasm32"))]
    #[command(subcommand)]
    Flood(FloodCommand),
    /// Vector layers (GeoJSON, Shapefile, GeoPackage, FlatGeobuf).
    #[cfg(not(target_arch = "wasm32"))]
    #[command(subcommand)]
    Vector(VectorCommand),
    /// 3D city models (CityJSON 1.0, 1.1, 2.0 and CityJSONSeq).
    #[cfg(not(target_arch = "wasm32"))]
    #[command(subcommand)]
    City(CityCommand),
    /// LiDAR point clouds (LAS, LAZ, COPC).
    #[cfg(not(target_arch = "wasm32"))]
    #[command(subcommand)]
    Pc(PcCommand),
    /// Live IOC feeds: the MQTT-to-WebSocket gateway, scenario replay, role tokens.
    #[cfg(not(target_arch = "wasm32"))]
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// Measure without a window, as the viewer's tools do: a point's
    /// coordinates (WGS84, UTM, VN-2000 Quảng Trị), a polyline's length, a
    /// polygon's area (and on the terrain), an elevation profile (CSV; JSON
    /// with --json), cut and fill, a layer's bounds (`bounds --layer ID`).
    /// Heights not given come from what the scene shows there.
    #[cfg(not(target_arch = "wasm32"))]
    Measure {
        #[arg(value_enum)]
        tool: crate::measure::Tool,
        scene: PathBuf,
        /// The CRS of the points: EPSG:4326 (lon,lat), EPSG:32648, VN2000:QUANGTRI, any EPSG code the twin knows.
        #[arg(long, default_value = "EPSG:4326")]
        crs: String,
        /// X,Y[,Z] in that CRS, several after one --points (give it last: west and south are negative).
        #[arg(long, num_args = 1.., required_unless_present = "layer", allow_hyphen_values = true)]
        points: Vec<String>,
        /// Sample and cell spacing for profiles, surface areas and volumes, metres.
        #[arg(long, default_value_t = 10.0)]
        spacing: f64,
        /// Volume: the level to cut and fill against, metres (default: the lowest point's height).
        #[arg(long)]
        level: Option<f64>,
        /// Volume: the water of a `flood run` output folder at its maximum, over its terrain.
        #[arg(long)]
        flood: Option<PathBuf>,
        /// Bounds: the id of a model or generated layer.
        #[arg(long)]
        layer: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Serve the twin to browsers: the web bundle (web/dist, built by
    /// tools/build-web.sh), the scenes and exactly the files they reference,
    /// and with --feeds the gateway on the same origin. Prints the URL to open.
    #[cfg(not(target_arch = "wasm32"))]
    Serve {
        /// Scene files (default: every scene in scenes/).
        scenes: Vec<PathBuf>,
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on; 0.0.0.0 serves the local network (phones).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// The web bundle's folder.
        #[arg(long, default_value = "web/dist")]
        bundle: PathBuf,
        /// A feeds gateway configuration: its WebSocket and REST on the same origin.
        #[arg(long)]
        feeds: Option<PathBuf>,
        /// A `flood run` output folder to serve for planners, at
        /// /floods/<folder name> (repeatable); open it with &flood=.
        #[arg(long)]
        flood: Vec<PathBuf>,
    },
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Subcommand, Debug)]
enum FeedsCommand {
    /// Subscribe to the broker and serve viewers (WebSocket and REST) until Ctrl-C.
    Gateway {
        #[arg(long)]
        config: PathBuf,
    },
    /// Publish a recorded scenario (JSON lines of compact messages) to a broker.
    Replay {
        file: PathBuf,
        #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
        broker: String,
        /// The folder made by `feeds broker-setup`: each device logs in as itself.
        #[arg(long)]
        credentials: Option<PathBuf>,
        /// Times faster than recorded; 0 sends as fast as possible.
        #[arg(long, default_value_t = 60.0)]
        speed: f64,
    },
    /// Print a signed token for a role (tourist, operator, planner), valid at most 720 hours.
    Token {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        role: String,
        #[arg(long, default_value_t = 12.0)]
        hours: f64,
        /// Create the config's secret_file (32 random bytes, mode 0600) if it does not exist.
        #[arg(long)]
        create_secret: bool,
        /// Who holds the token (an operator's name): alarm acknowledgements record it.
        #[arg(long)]
        subject: Option<String>,
    },
    /// Make broker credentials (random passwords, hashed password file, ACL:
    /// each device may publish only its own topics) and a mosquitto config from the shipped one.
    BrokerSetup {
        /// The device list (JSON).
        #[arg(long)]
        devices: PathBuf,
        /// Folder for the passwords, ACL, store and mosquitto.conf.
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 1883)]
        port: u16,
    },
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Subcommand, Debug)]
enum PcCommand {
    /// Version, point format, count, bounds, scale/offset, CRS, attributes;
    /// with --stats also the figures of a full decode (classes, returns).
    Info {
        file: PathBuf,
        #[arg(long)]
        json: bool,
        /// Decode every point and compare with the header.
        #[arg(long)]
        stats: bool,
    },
    /// Convert and merge LAS/LAZ/COPC files into one COPC file, out of core
    /// (memory stays bounded whatever the input size).
    Convert {
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Plan a conversion too large for one machine as tiles (octree nodes
    /// at --level), from the inputs' headers: a JSON plan for a batch
    /// engine, one `pc convert-tile` job per tile, then `pc merge`.
    Tiles {
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Octree level of the tiles (0 to 6): up to 8^level tiles.
        #[arg(long)]
        level: i32,
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Convert one tile of a plan (`pc tiles`) into a COPC file of its own.
    ConvertTile {
        plan: PathBuf,
        /// The tile, level-x-y-z as the plan names it.
        #[arg(long)]
        tile: String,
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Merge the tiles of one plan into one COPC file: their nodes are
    /// copied as they are, the levels above them built.
    Merge {
        #[arg(required = true)]
        tiles: Vec<PathBuf>,
        #[arg(short, long)]
        out: PathBuf,
    },
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Subcommand, Debug)]
enum VectorCommand {
    /// Driver, CRS, feature count, geometry types, bounds (in the file's CRS
    /// and in WGS 84) and attributes of a GeoJSON, Shapefile, GeoPackage or FlatGeobuf.
    Info {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Subcommand, Debug)]
enum CityCommand {
    /// Version, CRS, objects by type, LoDs, vertex and triangle counts,
    /// semantic surfaces and bounds (in the file's CRS and in WGS 84) of a CityJSON file.
    Info {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Subcommand, Debug)]
enum DemCommand {
    /// Size, CRS, bounds, resolution, nodata and value range of a DEM (GeoTIFF or SRTM .hgt).
    Info {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Rasterize LiDAR ground points (class 2, or all points when unclassified)
    /// into a float32 GeoTIFF DEM in the clouds' CRS, filling small gaps.
    FromLidar {
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(short, long)]
        out: PathBuf,
        /// Cell size in the clouds' horizontal unit.
        #[arg(long)]
        res: f64,
        /// Gap filling passes: each closes gaps one cell deeper from every side.
        #[arg(long, default_value_t = 3)]
        fill: usize,
    },
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Subcommand, Debug)]
enum FloodCommand {
    /// Run a scene's flood scenario; writes GeoTIFFs, GeoJSON, CSV and a JSON summary.
    Run {
        scene: PathBuf,
        /// The scenario id; the scene's first scenario if not given.
        #[arg(long)]
        scenario: Option<String>,
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
        threads: Option<u32>,
        /// The solver: cpu (f64, threads) or gpu (f32 compute shaders; lavapipe without a GPU).
        #[arg(long, value_enum, default_value = "cpu")]
        backend: crate::flood::Backend,
    },
    /// Quick inundation map: what lies below the given gauge levels and is connected to them.
    Inundate {
        scene: PathBuf,
        #[arg(long)]
        scenario: Option<String>,
        /// A gauge of the scenario and its water level in metres, e.g. thach-han=7.4 (repeatable).
        #[arg(long = "level", value_parser = parse_level, required = true)]
        levels: Vec<(String, f64)>,
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
}

#[cfg(not(target_arch = "wasm32"))]
fn parse_level(s: &str) -> Result<(String, f64), String> {
    let (id, level) = s.split_once('=').ok_or_else(|| format!("\"{s}\" is not GAUGE=LEVEL"))?;
    let level: f64 = level.trim().parse().map_err(|_| format!("\"{level}\" is not a level in metres"))?;
    if !level.is_finite() {
        return Err(format!("\"{level}\" is not a level in metres"));
    }
    Ok((id.trim().to_owned(), level))
}

/// A tour to open at one of its stops (a deep link).
#[derive(Args, Debug, Clone, Default)]
struct TourArgs {
    /// Open this tour of the scene (its id), playing from --stop.
    #[arg(long)]
    tour: Option<String>,
    /// With --tour: the stop to open at, counting from 1.
    #[arg(long, requires = "tour", value_parser = sontinh_tour::link::parse_stop_number)]
    stop: Option<usize>,
}

impl TourArgs {
    fn request(&self) -> Option<(String, usize)> {
        self.tour.clone().map(|t| (t, self.stop.unwrap_or(0)))
    }
}

#[derive(Args, Debug)]
struct RenderArgs {
    scene: PathBuf,
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 1280, value_parser = clap::value_parser!(u32).range(16..=8192))]
    width: u32,
    #[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(16..=8192))]
    height: u32,
    /// A bookmark id of the scene; its default bookmark if not given.
    #[arg(long)]
    bookmark: Option<String>,
    /// Output folder of `sontinh flood run` to draw over the scene (maximum depth).
    #[arg(long)]
    flood: Option<PathBuf>,
    /// With --flood: show the snapshot nearest this many hours into the flood.
    #[arg(long, requires = "flood")]
    flood_time: Option<f64>,
    /// Point cloud colouring: rgb, elevation, intensity, classification or return.
    #[arg(long, value_parser = parse_color_mode)]
    point_color: Option<sontinh_pointcloud_view::ColorMode>,
    /// After loading, time this many frames and print the median frame time.
    #[arg(long, default_value_t = 0)]
    time_frames: u32,
    #[command(flatten)]
    feeds: FeedArgs,
    /// With live feeds: show this moment of the feed's history (RFC 3339,
    /// e.g. 2020-10-18T01:30:00+07:00) instead of the newest.
    #[arg(long)]
    feeds_at: Option<String>,
    /// Memory budget for everything the scene holds: phone, desktop, wall, or MiB.
    #[arg(long, default_value = "desktop", value_parser = sontinh_layers::MemoryBudget::parse)]
    memory: sontinh_layers::MemoryBudget,
    /// Section: keep only what lies in this box, MINX,MINY,MINZ,MAXX,MAXY,MAXZ in scene ENU metres.
    #[arg(long, value_parser = parse_clip_box, allow_hyphen_values = true)]
    clip_box: Option<sontinh_layers::ClipBox>,
    /// Section: keep the side of the plane through X,Y,Z (scene ENU metres)
    /// that its normal NX,NY,NZ points to; up to four.
    #[arg(long, value_parser = parse_clip_plane, allow_hyphen_values = true)]
    clip_plane: Vec<sontinh_layers::ClipPlane>,
    /// Measure with this tool (point, distance, height, angle, area, profile,
    /// volume) by picking what the picture shows at each --at, as a click
    /// there would; the measurement is drawn and its figures printed.
    #[arg(long, value_parser = parse_measure_tool, requires = "at")]
    measure: Option<sontinh_scene::MeasureTool>,
    /// With --measure: a pixel of the picture (X,Y from its top-left) to place a vertex at; repeat in order.
    #[arg(long, value_parser = parse_pixel, requires = "measure", allow_hyphen_values = true)]
    at: Vec<[f32; 2]>,
    /// Render a tour's stop (--tour ID --stop N) as its player shows it, instead of a bookmark.
    #[command(flatten)]
    tour: TourArgs,
}

fn parse_measure_tool(text: &str) -> Result<sontinh_scene::MeasureTool, String> {
    sontinh_scene::MeasureTool::from_id(text).ok_or_else(|| {
        let tools: Vec<&str> = sontinh_scene::MeasureTool::ALL.iter().map(|t| t.id()).collect();
        format!("\"{text}\" is not a measuring tool: {}", tools.join(", "))
    })
}

fn parse_pixel(text: &str) -> Result<[f32; 2], String> {
    let v = parse_numbers(text, 2, "X,Y (a pixel of the picture)")?;
    if v.iter().any(|p| *p < 0.0 || *p > 16_384.0) {
        return Err(format!("\"{text}\": pixels lie from 0 to 16384"));
    }
    Ok([v[0] as f32, v[1] as f32])
}

/// `count` comma-separated finite numbers.
fn parse_numbers(text: &str, count: usize, what: &str) -> Result<Vec<f64>, String> {
    let numbers: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("\"{text}\" is not {what}"))?;
    if numbers.len() != count {
        return Err(format!("\"{text}\" is not {what}"));
    }
    Ok(numbers)
}

fn parse_clip_box(text: &str) -> Result<sontinh_layers::ClipBox, String> {
    let v = parse_numbers(text, 6, "MINX,MINY,MINZ,MAXX,MAXY,MAXZ (six numbers, metres)")?;
    if (0..3).any(|i| v[i] > v[i + 3]) {
        return Err(format!("\"{text}\": each minimum must not exceed its maximum"));
    }
    Ok(sontinh_layers::ClipBox::from_corners([v[0], v[1], v[2]], [v[3], v[4], v[5]]))
}

fn parse_clip_plane(text: &str) -> Result<sontinh_layers::ClipPlane, String> {
    let v = parse_numbers(text, 6, "X,Y,Z,NX,NY,NZ (a point and a normal)")?;
    if v[3] == 0.0 && v[4] == 0.0 && v[5] == 0.0 {
        return Err(format!("\"{text}\": the normal is zero"));
    }
    Ok(sontinh_layers::ClipPlane {
        point: [v[0], v[1], v[2]],
        normal: [v[3], v[4], v[5]],
    })
}

/// Live IOC feeds for the viewer and the renderer.
#[derive(Args, Debug, Default)]
struct FeedArgs {
    /// A role token (`sontinh feeds token`; or SONTINH_FEEDS_TOKEN): with it,
    /// the viewer connects to the scene's feed gateway.
    #[arg(long)]
    token: Option<String>,
    /// The feed gateway (ws://host:port/ws), instead of the scene's.
    #[arg(long)]
    feeds: Option<String>,
}

fn parse_color_mode(text: &str) -> Result<sontinh_pointcloud_view::ColorMode, String> {
    sontinh_pointcloud_view::ColorMode::from_id(text).ok_or_else(|| {
        let known: Vec<&str> = sontinh_pointcloud_view::ColorMode::ALL.iter().map(|m| m.id()).collect();
        format!("unknown colour mode \"{text}\"; expected one of {}", known.join(", "))
    })
}

#[derive(Subcommand, Debug)]
enum SceneCommand {
    /// Validate scene files; prints every problem with file and line.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(quality) = cli.quality {
        sontinh_layers::Quality::set_process_default(quality);
    }
    #[cfg(not(target_arch = "wasm32"))]
    sontinh_pointcloud::quiet_decoder_panics();
    match cli.command {
        Command::View { scene, out, flood, feeds, memory, tour } => {
            let scene = scene.unwrap_or_else(default_scene_path);
            if viewer::display_available() {
                run_viewer(scene, flood, feeds, memory, tour.request())
            } else {
                eprintln!("No display found (DISPLAY and WAYLAND_DISPLAY are unset): rendering the default bookmark headless instead.");
                run_render(RenderArgs {
                    scene,
                    out,
                    width: 1280,
                    height: 720,
                    bookmark: None,
                    flood,
                    flood_time: None,
                    point_color: None,
                    time_frames: 0,
                    feeds,
                    feeds_at: None,
                    memory,
                    clip_box: None,
                    clip_plane: Vec::new(),
                    measure: None,
                    at: Vec::new(),
                    tour,
                })
            }
        }
        Command::Render(args) => run_render(args),
        Command::Scene(SceneCommand::Check { files }) => check(&files),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Dem(DemCommand::Info { file, json }) => print_or_fail(crate::dem::info(&file, json)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Vector(VectorCommand::Info { file, json }) => print_or_fail(crate::vector::info(&file, json)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::City(CityCommand::Info { file, json }) => print_or_fail(crate::city::info(&file, json)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Dem(DemCommand::FromLidar { inputs, out, res, fill }) => print_or_fail(crate::pc::dem_from_lidar(&inputs, &out, res, fill)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Feeds(FeedsCommand::Gateway { config }) => print_or_fail(crate::feeds::gateway(&config)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Feeds(FeedsCommand::Replay { file, broker, credentials, speed }) => {
            print_or_fail(crate::feeds::replay_file(&file, &broker, credentials.as_deref(), speed))
        }
        #[cfg(not(target_arch = "wasm32"))]
        Command::Feeds(FeedsCommand::Token { config, role, hours, create_secret, subject }) => {
            print_or_fail(crate::feeds::issue_token(&config, &role, hours, create_secret, subject.as_deref()))
        }
        #[cfg(not(target_arch = "wasm32"))]
        Command::Feeds(FeedsCommand::BrokerSetup { devices, dir, port }) => print_or_fail(crate::feeds::broker_setup(&devices, &dir, port)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Serve { scenes, port, host, bundle, feeds, flood } => print_or_fail(crate::serve::serve(&scenes, &host, port, &bundle, feeds.as_deref(), &flood)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Measure { tool, scene, crs, points, spacing, level, flood, layer, json } => print_or_fail(crate::measure::measure(&crate::measure::MeasureRequest {
            tool,
            scene,
            crs,
            points,
            spacing_m: spacing,
            level,
            flood,
            layer,
            json,
        })),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Pc(PcCommand::Info { file, json, stats }) => print_or_fail(crate::pc::info(&file, json, stats)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Pc(PcCommand::Convert { inputs, out }) => print_or_fail(crate::pc::convert(&inputs, &out)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Pc(PcCommand::Tiles { inputs, level, out }) => print_or_fail(crate::pc::plan_tiles(&inputs, level, &out)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Pc(PcCommand::ConvertTile { plan, tile, out }) => print_or_fail(crate::pc::convert_tile(&plan, &tile, &out)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Pc(PcCommand::Merge { tiles, out }) => print_or_fail(crate::pc::merge(&tiles, &out)),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Flood(FloodCommand::Run {
            scene,
            scenario,
            out,
            threads,
            backend,
        }) => {
            let scene = match load(&scene) {
                Ok(s) => s,
                Err(code) => return code,
            };
            if let Some(n) = threads
                && let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n as usize).build_global()
            {
                eprintln!("error: cannot start {n} threads: {e}");
                return ExitCode::FAILURE;
            }
            report(crate::flood::run(&scene, scenario.as_deref(), &out, backend))
        }
        #[cfg(not(target_arch = "wasm32"))]
        Command::Flood(FloodCommand::Inundate {
            scene,
            scenario,
            levels,
            out,
        }) => match load(&scene) {
            Ok(scene) => report(crate::flood::inundate(&scene, scenario.as_deref(), &levels, &out)),
            Err(code) => code,
        },
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn print_or_fail(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(text) => {
            use std::io::Write;
            // A reader that stops early (`| head`) is not an error of ours.
            match writeln!(std::io::stdout().lock(), "{}", text.trim_end()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("error: cannot write the output: {e}");
                    ExitCode::FAILURE
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Loads a scene for viewing or rendering: structural errors stop here;
/// missing layer files are warnings, and those layers are reported as broken.
#[cfg(not(target_arch = "wasm32"))]
fn report(result: Result<crate::flood::Outcome, String>) -> ExitCode {
    match result {
        Ok(outcome) => {
            println!("{}", outcome.report);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load(path: &std::path::Path) -> Result<sontinh_scene::Scene, ExitCode> {
    let scene = sontinh_scene::load(path).map_err(|errors| {
        eprintln!("{errors}");
        ExitCode::FAILURE
    })?;
    for missing in &scene.missing_files {
        eprintln!("warning: {missing}");
    }
    Ok(scene)
}

fn run_viewer(path: PathBuf, flood: Option<PathBuf>, feeds: FeedArgs, memory: sontinh_layers::MemoryBudget, tour: Option<(String, usize)>) -> ExitCode {
    let scene = match load(&path) {
        Ok(scene) => scene,
        Err(code) => return code,
    };
    match viewer::FeedLink::resolve(&scene, feeds.feeds, feeds.token) {
        Ok(link) => viewer::run(scene, flood, link, memory, tour),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_render(args: RenderArgs) -> ExitCode {
    let scene = match load(&args.scene) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let link = match viewer::FeedLink::resolve(&scene, args.feeds.feeds, args.feeds.token) {
        Ok(link) => link,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let at = match args.feeds_at.as_deref().map(sontinh_feeds::parse_time).transpose() {
        Ok(at) => at,
        Err(e) => {
            eprintln!("error: --feeds-at: {e}");
            return ExitCode::FAILURE;
        }
    };
    if at.is_some() && link.is_none() {
        eprintln!("error: --feeds-at needs live feeds: give a role token with --token (or SONTINH_FEEDS_TOKEN)");
        return ExitCode::FAILURE;
    }
    if args.clip_plane.len() > sontinh_layers::MAX_CLIP_PLANES {
        eprintln!("error: --clip-plane: at most {} planes", sontinh_layers::MAX_CLIP_PLANES);
        return ExitCode::FAILURE;
    }
    let request = RenderRequest {
        scene,
        feeds: link.map(|l| (l, at)),
        bookmark: args.bookmark,
        width: args.width,
        height: args.height,
        out: args.out,
        flood: args.flood,
        flood_time: args.flood_time,
        point_color: args.point_color,
        time_frames: args.time_frames,
        memory: args.memory,
        section: sontinh_layers::Section {
            planes: args.clip_plane,
            clip_box: args.clip_box,
        },
        measure: args.measure.map(|tool| (tool, args.at.clone())),
        tour: args.tour.request(),
    };
    match render(&request) {
        Ok(report) => {
            for (layer, why) in &report.failed_layers {
                eprintln!("warning: layer \"{layer}\" was not drawn: {why}");
            }
            println!(
                "Rendered {} ({}×{}, bookmark \"{}\") in {:.1} s: {}",
                request.scene.id,
                request.width,
                request.height,
                report.bookmark,
                report.seconds,
                std::path::absolute(&request.out).unwrap_or(request.out.clone()).display()
            );
            println!(
                "Memory: at most {:.1} MiB held of a budget of {}; {} LiDAR points drawn",
                report.memory_peak_bytes as f64 / (1024.0 * 1024.0),
                request.memory.describe(false),
                report.points_drawn
            );
            if let Some(measured) = &report.measured {
                println!("Measured: {measured}");
            }
            if let Some(ms) = report.frame_ms {
                println!(
                    "Median frame time over {} frames: {ms:.1} ms ({} LiDAR points drawn)",
                    request.time_frames, report.points_drawn
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What is wrong inside the scene's narration files (captions, audio).
fn narration_problems(scene: &sontinh_scene::Scene) -> Vec<String> {
    sontinh_tour::check::check_narration(scene, |p| std::fs::read(p).map_err(|e| e.to_string()))
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut failed = 0;
    for file in files {
        match sontinh_scene::load(file) {
            Ok(scene) if !scene.missing_files.is_empty() => {
                failed += 1;
                eprintln!("{}", sontinh_scene::SceneErrors(scene.missing_files));
            }
            Ok(scene) => {
                // The narration files are read once: a problem fails the file.
                let problems = narration_problems(&scene);
                if problems.is_empty() {
                    println!(
                        "{}: ok — \"{}\", {} layer(s), {} bookmark(s), {} tour(s), {} flood scenario(s)",
                        file.display(),
                        scene.name.en,
                        scene.layers.len(),
                        scene.bookmarks.len(),
                        scene.tours.len(),
                        scene.flood_scenarios.len()
                    );
                } else {
                    failed += 1;
                    for problem in problems {
                        eprintln!("{problem}");
                    }
                }
            }
            Err(errors) => {
                failed += 1;
                eprintln!("{errors}");
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} scene file(s) have errors", files.len());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

use std::collections::HashSet;
use std::path::Path;

use sontinh_geo::{Crs, EnuFrame, Geodetic, Transformer};
use toml::Spanned;

use crate::PathResolver;
use crate::error::{SceneError, SceneErrors};
use crate::model::*;
use crate::raw::*;

mod flood_scheme;
mod layer_style;
mod measurements;
mod tours;

/// The only format version this build reads.
pub const FORMAT_VERSION: i64 = 1;

struct Checker<'a> {
    text: &'a str,
    path: &'a Path,
    errors: Vec<SceneError>,
    /// Layer files that cannot be found: fatal for `scene check`, but a
    /// viewer shows the rest of the scene and reports the layer.
    missing: Vec<SceneError>,
}

impl Checker<'_> {
    fn error<T>(&mut self, at: &Spanned<T>, message: String) {
        self.errors.push(SceneError::at(self.path, self.text, at.span().start, message));
    }

    fn line_of<T>(&self, at: &Spanned<T>) -> usize {
        SceneError::at(self.path, self.text, at.span().start, String::new())
            .line()
            .unwrap_or(0)
    }

    fn identifier(&mut self, id: &Spanned<String>, what: &str, seen: &mut HashSet<String>) -> String {
        let value = id.get_ref();
        let valid = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            self.error(
                id,
                format!("{what} id \"{value}\" is not valid: expected lowercase ASCII letters, digits, '-' or '_'"),
            );
        } else if !seen.insert(value.clone()) {
            self.error(id, format!("{what} id \"{value}\" is used twice"));
        }
        value.clone()
    }

    fn crs(&mut self, crs: &Spanned<String>) -> Option<Crs> {
        match crs.get_ref().parse::<Crs>() {
            Ok(c) => Some(c),
            Err(e) => {
                self.error(crs, e.to_string());
                None
            }
        }
    }

    /// A CRS that may also be "local" (scene ENU metres): `Ok(None)` for local.
    fn placement_crs(&mut self, crs: Option<&Spanned<String>>) -> Result<Option<Crs>, ()> {
        match crs {
            None => Ok(None),
            Some(c) if c.get_ref().eq_ignore_ascii_case("local") => Ok(None),
            Some(c) => self.crs(c).map(Some).ok_or(()),
        }
    }

    fn finite(&mut self, value: &Spanned<f64>, what: &str, range: std::ops::RangeInclusive<f64>) -> Option<f64> {
        let v = *value.get_ref();
        if v.is_finite() && range.contains(&v) {
            Some(v)
        } else {
            self.error(
                value,
                format!("{what} is {v}: expected a number from {} to {}", range.start(), range.end()),
            );
            None
        }
    }

    fn text<T>(&mut self, at: &Spanned<T>, text: RawText, what: &str) -> Text {
        if text.vi.trim().is_empty() || text.en.trim().is_empty() {
            self.error(
                at,
                format!("{what} needs a non-empty name in both Vietnamese (vi) and English (en)"),
            );
        }
        Text { vi: text.vi, en: text.en }
    }

    /// Converts a position given in `crs` (or local ENU when `None`) into scene ENU.
    fn position_in_enu(&mut self, at: &Spanned<[f64; 3]>, crs: Option<Crs>, frame: &EnuFrame) -> Option<[f64; 3]> {
        let p = *at.get_ref();
        if p.iter().any(|v| !v.is_finite()) {
            self.error(at, format!("position {p:?} is not finite"));
            return None;
        }
        let Some(crs) = crs else { return Some(p) };
        if crs.is_geographic() && !Geodetic::new(p[0], p[1], p[2]).is_valid() {
            self.error(
                at,
                format!("position {p:?} is not [longitude, latitude, height] in degrees and metres"),
            );
            return None;
        }
        match Transformer::new(crs, Crs::Wgs84).and_then(|t| t.to_geodetic(p)) {
            Ok(g) => Some(frame.geodetic_to_enu(g)),
            Err(e) => {
                self.error(at, e.to_string());
                None
            }
        }
    }
}

pub fn validate(raw: RawScene, text: &str, path: &Path, resolver: &dyn PathResolver) -> Result<Scene, SceneErrors> {
    let mut c = Checker {
        text,
        path,
        errors: Vec::new(),
        missing: Vec::new(),
    };

    if *raw.format.get_ref() != FORMAT_VERSION {
        c.error(
            &raw.format,
            format!(
                "format {} is not supported: expected format = {FORMAT_VERSION}",
                raw.format.get_ref()
            ),
        );
    }

    let site_id = c.identifier(&raw.site.id, "site", &mut HashSet::new());
    let name = c.text(&raw.site.id, raw.site.name, "the site");
    let description = Text {
        vi: raw.site.description.vi,
        en: raw.site.description.en,
    };

    // The origin anchors everything else; without it nothing can be placed.
    let origin = match c.crs(&raw.origin.crs) {
        Some(crs) => {
            let p = *raw.origin.position.get_ref();
            match Transformer::new(crs, Crs::Wgs84).and_then(|t| t.to_geodetic(p)) {
                Ok(g) if g.is_valid() && (!crs.is_geographic() || Geodetic::new(p[0], p[1], p[2]).is_valid()) => Some(g),
                Ok(_) => {
                    c.error(&raw.origin.position, format!("origin {p:?} is not a valid position in {crs}"));
                    None
                }
                Err(e) => {
                    c.error(&raw.origin.position, e.to_string());
                    None
                }
            }
        }
        None => None,
    };
    let Some(origin) = origin else {
        return Err(SceneErrors(c.errors));
    };
    let frame = EnuFrame::new(origin);

    let mut layer_ids = HashSet::new();
    let mut layers = Vec::new();
    for spanned in raw.layer {
        let line = c.line_of(&spanned);
        let layer = spanned.into_inner();
        let id = c.identifier(&layer.id, "layer", &mut layer_ids);
        let name = c.text(&layer.id, layer.name, &format!("layer \"{id}\""));
        let kind = LayerKind::from_id(layer.kind.get_ref());
        if kind.is_none() {
            let expected: Vec<&str> = LayerKind::ALL.iter().map(|k| k.id()).collect();
            c.error(
                &layer.kind,
                format!(
                    "unknown layer kind \"{}\": expected one of {}",
                    layer.kind.get_ref(),
                    expected.join(", ")
                ),
            );
        }
        let source = match (kind, &layer.path, &layer.generator) {
            (Some(LayerKind::Procedural), None, Some(generator)) => match Generator::from_id(generator.get_ref()) {
                Some(g) => Some(LayerSource::Generator(g)),
                None => {
                    let expected: Vec<&str> = Generator::ALL.iter().map(|g| g.id()).collect();
                    c.error(
                        generator,
                        format!(
                            "unknown generator \"{}\": expected one of {}",
                            generator.get_ref(),
                            expected.join(", ")
                        ),
                    );
                    None
                }
            },
            (Some(LayerKind::Procedural), _, _) => {
                c.error(&layer.kind, format!("procedural layer \"{id}\" needs `generator` and no `path`"));
                None
            }
            (Some(LayerKind::Basemap), None, None) if layer.url.is_some() => {
                layer.url.as_ref().map(|u| LayerSource::Service(u.get_ref().clone()))
            }
            (Some(LayerKind::Basemap), _, _) if layer.url.is_some() => {
                c.error(
                    &layer.kind,
                    format!("basemap layer \"{id}\" takes either `path` or `url`, not both"),
                );
                None
            }
            (Some(_), Some(p), None) => match resolver.resolve(p.get_ref()) {
                Ok(resolved) => Some(LayerSource::File(resolved)),
                Err(why) => {
                    let reason = format!("layer \"{id}\": file not found: {why}");
                    c.missing.push(SceneError::at(c.path, c.text, p.span().start, reason.clone()));
                    Some(LayerSource::Missing {
                        path: p.get_ref().clone(),
                        reason,
                    })
                }
            },
            (Some(LayerKind::Basemap), _, _) => {
                c.error(
                    &layer.kind,
                    format!("basemap layer \"{id}\" needs `path` (an .mbtiles or .pmtiles file) or `url` (a tile service)"),
                );
                None
            }
            (Some(k), _, _) => {
                c.error(&layer.kind, format!("{} layer \"{id}\" needs `path` and no `generator`", k.id()));
                None
            }
            (None, _, _) => None,
        };
        let crs = layer.crs.as_ref().and_then(|s| c.crs(s));
        let placement = match layer.placement {
            None => Some(Placement::default()),
            Some(p) => placement(&mut c, p, &frame),
        };
        let opacity = match &layer.opacity {
            Some(o) => c.finite(o, "opacity", 0.0..=1.0).map(|v| v as f32),
            None => Some(1.0),
        };
        let drape = match &layer.drape {
            None => Some(None),
            Some(d) if kind != Some(LayerKind::Terrain) => {
                c.error(d, format!("layer \"{id}\": only terrain layers take a `drape`"));
                None
            }
            Some(d) => {
                let d = d.get_ref();
                let crs = match &d.crs {
                    Some(s) => c.crs(s).map(Some),
                    None => Some(None),
                };
                let source = match resolver.resolve(d.path.get_ref()) {
                    Ok(resolved) => LayerSource::File(resolved),
                    Err(why) => {
                        let reason = format!("layer \"{id}\": drape file not found: {why}");
                        c.missing.push(SceneError::at(c.path, c.text, d.path.span().start, reason.clone()));
                        LayerSource::Missing {
                            path: d.path.get_ref().clone(),
                            reason,
                        }
                    }
                };
                crs.map(|crs| Some(Drape { source, crs }))
            }
        };
        let style = layer_style::style(&mut c, layer.style.as_ref(), kind, &id);
        let fields = layer_style::BasemapFields {
            path: layer.path.as_ref(),
            url: layer.url.as_ref(),
            service: layer.service.as_ref(),
            max_zoom: layer.max_zoom.as_ref(),
            attribution: layer.attribution.as_ref(),
        };
        let basemap = layer_style::basemap(&mut c, fields, kind, source.as_ref(), &id);
        if let (Some(kind), Some(source), Some(placement), Some(opacity), Some(drape), Some(style), Some(basemap)) =
            (kind, source, placement, opacity, drape, style, basemap)
        {
            layers.push(Layer {
                id,
                name,
                kind,
                source,
                crs,
                placement,
                visible: layer.visible.unwrap_or(true),
                opacity,
                drape,
                style,
                basemap,
                line,
            });
        }
    }

    let mut bookmark_ids = HashSet::new();
    let mut bookmarks = Vec::new();
    for spanned in &raw.bookmark {
        let b = spanned.get_ref();
        let id = c.identifier(&b.id, "bookmark", &mut bookmark_ids);
        let name = c.text(
            &b.id,
            RawText {
                vi: b.name.vi.clone(),
                en: b.name.en.clone(),
            },
            &format!("bookmark \"{id}\""),
        );
        let Ok(crs) = c.placement_crs(b.crs.as_ref()) else { continue };
        let eye = c.position_in_enu(&b.eye, crs, &frame);
        let target = c.position_in_enu(&b.target, crs, &frame);
        let fov_deg = match &b.fov_deg {
            Some(f) => c.finite(f, "fov_deg", 1.0..=170.0),
            None => Some(45.0),
        };
        if let (Some(eye), Some(target), Some(fov_deg)) = (eye, target, fov_deg) {
            let distance = ((eye[0] - target[0]).powi(2) + (eye[1] - target[1]).powi(2) + (eye[2] - target[2]).powi(2)).sqrt();
            if distance < 1e-3 {
                c.error(&b.eye, format!("bookmark \"{id}\": eye and target are the same point"));
                continue;
            }
            bookmarks.push(Bookmark {
                id,
                name,
                eye,
                target,
                fov_deg,
            });
        }
    }
    if raw.bookmark.is_empty() {
        c.errors.push(SceneError::file(
            path,
            "the scene has no [[bookmark]]: at least one camera position is required".to_owned(),
        ));
    }

    let default_bookmark = match &raw.view {
        Some(view) => {
            let wanted = view.default_bookmark.get_ref();
            match bookmarks.iter().position(|b| &b.id == wanted) {
                Some(i) => i,
                None => {
                    c.error(
                        &view.default_bookmark,
                        format!("default_bookmark \"{wanted}\" is not a bookmark of this scene"),
                    );
                    0
                }
            }
        }
        None => 0,
    };

    let measurements = measurements::measurements(&mut c, &raw.measurement, &frame);

    let hotspots = tours::hotspots(&mut c, &raw.hotspot, &frame, &bookmarks, resolver);
    let tours = tours::tours(
        &mut c,
        raw.tour,
        &tours::TourContext {
            frame: &frame,
            bookmarks: &bookmarks,
            measurements: &measurements,
            layers: &layers,
            hotspots: &hotspots,
            resolver,
        },
    );

    let feeds = raw.feeds.map(|spanned| {
        let feeds = spanned.into_inner();
        let url = feeds.gateway.get_ref();
        if !(url.starts_with("ws://") || url.starts_with("wss://")) || url.len() <= "wss://".len() {
            c.error(
                &feeds.gateway,
                format!("gateway \"{url}\" is not a WebSocket URL: expected ws://host:port/path or wss://…"),
            );
        }
        let config = feeds.config.as_ref().and_then(|p| match resolver.resolve(p.get_ref()) {
            Ok(resolved) => Some(resolved),
            Err(why) => {
                c.error(p, format!("feeds config not found: {why}"));
                None
            }
        });
        let mut reaches = Vec::new();
        for spanned in &feeds.reach {
            let r = spanned.get_ref();
            let name = c.text(
                &r.river,
                RawText {
                    vi: r.name.vi.clone(),
                    en: r.name.en.clone(),
                },
                &format!("reach of \"{}\"", r.river.get_ref()),
            );
            let width_m = c.finite(&r.width_m, "width_m", 1.0..=20_000.0);
            if r.path.get_ref().len() < 2 {
                c.error(&r.path, "a reach path needs at least two points, upstream first".to_owned());
                continue;
            }
            let Ok(crs) = c.placement_crs(r.crs.as_ref()) else { continue };
            let mut path = Vec::new();
            for point in r.path.get_ref() {
                let at = Spanned::new(r.path.span(), [point[0], point[1], 0.0]);
                match c.position_in_enu(&at, crs, &frame) {
                    Some(enu) => path.push([enu[0], enu[1]]),
                    None => break,
                }
            }
            if let (Some(width_m), true) = (width_m, path.len() == r.path.get_ref().len()) {
                reaches.push(RiverReach {
                    river: r.river.get_ref().clone(),
                    name,
                    path,
                    width_m,
                });
            }
        }
        Feeds {
            gateway: url.clone(),
            config,
            reaches,
        }
    });

    let mut scenario_ids = HashSet::new();
    let mut flood_scenarios = Vec::new();
    for spanned in raw.flood_scenario {
        let s = spanned.into_inner();
        let id = c.identifier(&s.id, "flood scenario", &mut scenario_ids);
        let name = c.text(&s.id, s.name, &format!("flood scenario \"{id}\""));
        let terrain = layers.iter().find(|l| &l.id == s.terrain_layer.get_ref());
        match terrain {
            Some(l) if matches!(l.kind, LayerKind::Terrain | LayerKind::Procedural) => {}
            Some(l) => c.error(
                &s.terrain_layer,
                format!(
                    "terrain_layer \"{}\" is a {} layer: expected a terrain or procedural layer",
                    l.id,
                    l.kind.id()
                ),
            ),
            None => c.error(
                &s.terrain_layer,
                format!("terrain_layer \"{}\" is not a layer of this scene", s.terrain_layer.get_ref()),
            ),
        }
        let duration_hours = c.finite(&s.duration_hours, "duration_hours", 0.01..=24.0 * 30.0);
        let number = |c: &mut Checker<'_>, v: &Option<Spanned<f64>>, what: &str, default: f64, range: std::ops::RangeInclusive<f64>| match v
        {
            Some(v) => c.finite(v, what, range),
            None => Some(default),
        };
        let rain = number(&mut c, &s.rain_mm_per_hour, "rain_mm_per_hour", 0.0, 0.0..=500.0);
        let rain_hours = match &s.rain_hours {
            Some(v) => c.finite(v, "rain_hours", 0.0..=24.0 * 30.0).map(Some),
            None => Some(None),
        };
        let cell_size_m = number(&mut c, &s.cell_size_m, "cell_size_m", 10.0, 0.5..=1000.0);
        let extent_m = number(&mut c, &s.extent_m, "extent_m", 1500.0, 10.0..=100_000.0);
        // Each value may be in range while the grid they make, (2 extent / cell)²
        // cells, is far past what a run can allocate: refused here, with the line.
        let (cell_size_m, extent_m) = match (cell_size_m, extent_m) {
            (Some(cell), Some(extent)) => {
                let side = (2.0 * extent / cell).ceil();
                if side * side > MAX_FLOOD_CELLS as f64 {
                    let message = format!(
                        "cell_size_m {cell} and extent_m {extent} make a {side} × {side} flood grid, more than {MAX_FLOOD_CELLS} cells: raise cell_size_m or lower extent_m"
                    );
                    match (&s.cell_size_m, &s.extent_m) {
                        (Some(at), _) => c.error(at, message),
                        (None, Some(at)) => c.error(at, message),
                        (None, None) => c.error(&s.id, message),
                    }
                    (None, None)
                } else {
                    (Some(cell), Some(extent))
                }
            }
            other => other,
        };
        let manning = number(&mut c, &s.manning, "manning", 0.035, 0.0..=0.5);
        let interval = number(&mut c, &s.output_interval_minutes, "output_interval_minutes", 10.0, 0.1..=1440.0);
        let mut inflows = Vec::new();
        for inflow in &s.inflow {
            let inflow = inflow.get_ref();
            let enu = horizontal(&mut c, inflow.crs.as_ref(), &inflow.position, &frame);
            let to_enu = match &inflow.to {
                Some(to) => horizontal(&mut c, inflow.crs.as_ref(), to, &frame).map(Some),
                None => Some(None),
            };
            let hydrograph = series(&mut c, &inflow.hydrograph, "hydrograph", 0.0..=1e6);
            if let (Some(enu), Some(to_enu), Some(hydrograph)) = (enu, to_enu, hydrograph) {
                inflows.push(FloodInflow {
                    name: Text {
                        vi: inflow.name.vi.clone(),
                        en: inflow.name.en.clone(),
                    },
                    enu,
                    to_enu,
                    hydrograph,
                });
            }
        }
        let mut gauge_ids = HashSet::new();
        let mut gauges = Vec::new();
        for gauge in &s.gauge {
            let gauge = gauge.get_ref();
            let gid = c.identifier(&gauge.id, "gauge", &mut gauge_ids);
            if let Some(enu) = horizontal(&mut c, gauge.crs.as_ref(), &gauge.position, &frame) {
                gauges.push(FloodGauge {
                    id: gid,
                    name: Text {
                        vi: gauge.name.vi.clone(),
                        en: gauge.name.en.clone(),
                    },
                    enu,
                    device: gauge.device.clone(),
                });
            }
        }
        let mut breaches = Vec::new();
        for breach in &s.breach {
            let b = breach.get_ref();
            let from = horizontal(&mut c, b.crs.as_ref(), &b.from, &frame);
            let to = horizontal(&mut c, b.crs.as_ref(), &b.to, &frame);
            let width_m = c.finite(&b.width_m, "width_m", 0.1..=10_000.0);
            let elevation_m = c.finite(&b.elevation_m, "elevation_m", -500.0..=9000.0);
            if let (Some(from), Some(to), Some(width_m), Some(elevation_m)) = (from, to, width_m, elevation_m) {
                breaches.push(Breach {
                    name: Text {
                        vi: b.name.vi.clone(),
                        en: b.name.en.clone(),
                    },
                    from,
                    to,
                    width_m,
                    elevation_m,
                });
            }
        }
        let boundary = |c: &mut Checker<'_>, b: Option<&Spanned<RawBoundary>>| -> Option<FloodBoundary> {
            let Some(b) = b else { return Some(FloodBoundary::Closed) };
            let b = b.get_ref();
            match b.kind.get_ref().as_str() {
                "closed" => Some(FloodBoundary::Closed),
                "free" => {
                    let slope = match &b.slope {
                        Some(v) => c.finite(v, "slope", 1e-6..=1.0)?,
                        None => 1e-3,
                    };
                    Some(FloodBoundary::Free { slope })
                }
                "stage" => match &b.stage {
                    Some(stage) => series(c, stage, "stage", -500.0..=9000.0).map(FloodBoundary::Stage),
                    None => {
                        c.error(&b.kind, "a stage boundary needs `stage = [[hours, metres], …]`".to_owned());
                        None
                    }
                },
                other => {
                    c.error(
                        &b.kind,
                        format!("unknown boundary kind \"{other}\": expected closed, free or stage"),
                    );
                    None
                }
            }
        };
        let edges = s.boundaries.as_ref();
        let boundaries = (
            boundary(&mut c, edges.and_then(|e| e.north.as_ref())),
            boundary(&mut c, edges.and_then(|e| e.south.as_ref())),
            boundary(&mut c, edges.and_then(|e| e.west.as_ref())),
            boundary(&mut c, edges.and_then(|e| e.east.as_ref())),
        );
        let scheme = flood_scheme::flood_scheme(&mut c, s.scheme.as_ref());
        let impact = layer_style::impact(&mut c, s.impact.as_ref(), &layers, &id);
        if let (
            Some(duration_hours),
            Some(rain_mm_per_hour),
            Some(cell_size_m),
            Some(extent_m),
            Some(manning),
            Some(output_interval_minutes),
            (Some(north), Some(south), Some(west), Some(east)),
            Some(rain_hours),
            Some(scheme),
            Some(impact),
        ) = (
            duration_hours,
            rain,
            cell_size_m,
            extent_m,
            manning,
            interval,
            boundaries,
            rain_hours,
            scheme,
            impact,
        ) {
            flood_scenarios.push(FloodScenario {
                id,
                name,
                terrain_layer: s.terrain_layer.into_inner(),
                duration_hours,
                rain_mm_per_hour,
                rain_hours,
                cell_size_m,
                extent_m,
                manning,
                output_interval_minutes,
                inflows,
                gauges,
                breaches,
                boundaries: FloodBoundaries { north, south, west, east },
                scheme,
                impact,
            });
        }
    }

    let mut place_ids = HashSet::new();
    let mut places = Vec::new();
    for spanned in &raw.place {
        let p = spanned.get_ref();
        let id = c.identifier(&p.id, "place", &mut place_ids);
        let name = c.text(
            &p.id,
            RawText {
                vi: p.name.vi.clone(),
                en: p.name.en.clone(),
            },
            &format!("place \"{id}\""),
        );
        let kind = PlaceKind::ALL.into_iter().find(|k| k.id() == p.kind.get_ref());
        if kind.is_none() {
            let expected: Vec<&str> = PlaceKind::ALL.iter().map(|k| k.id()).collect();
            c.error(
                &p.kind,
                format!(
                    "unknown place kind \"{}\", expected one of {}",
                    p.kind.get_ref(),
                    expected.join(", ")
                ),
            );
        }
        let Ok(crs) = c.placement_crs(p.crs.as_ref()) else { continue };
        let enu = c.position_in_enu(&p.position, crs, &frame);
        let radius_m = match &p.radius_m {
            Some(r) => c.finite(r, "radius_m", 0.0..=10_000.0),
            None => Some(10.0),
        };
        if let (Some(kind), Some(enu), Some(radius_m)) = (kind, enu, radius_m) {
            places.push(Place {
                id,
                name,
                kind,
                enu,
                radius_m,
            });
        }
    }

    if !c.errors.is_empty() {
        c.errors.append(&mut c.missing);
        c.errors.sort_by_key(|e| e.position);
        return Err(SceneErrors(c.errors));
    }
    Ok(Scene {
        source: path.to_path_buf(),
        id: site_id,
        name,
        description,
        reconstruction: raw.site.reconstruction,
        attribution: raw.site.attribution,
        origin,
        frame,
        layers,
        bookmarks,
        default_bookmark,
        tours,
        hotspots,
        feeds,
        flood_scenarios,
        places,
        measurements,
        missing_files: c.missing,
    })
}

/// A horizontal position (east, north) in ENU metres from one given in `crs`.
fn horizontal(c: &mut Checker<'_>, crs: Option<&Spanned<String>>, at: &Spanned<[f64; 2]>, frame: &EnuFrame) -> Option<[f64; 2]> {
    let crs = c.placement_crs(crs).ok()?;
    let [x, y] = *at.get_ref();
    let as3 = Spanned::new(at.span(), [x, y, 0.0]);
    c.position_in_enu(&as3, crs, frame).map(|p| [p[0], p[1]])
}

/// A time series of [hours, value] pairs with increasing times.
fn series(c: &mut Checker<'_>, at: &Spanned<Vec<[f64; 2]>>, what: &str, range: std::ops::RangeInclusive<f64>) -> Option<Vec<(f64, f64)>> {
    let points = at.get_ref();
    if points.is_empty() {
        c.error(at, format!("{what} is empty: expected [[hours, value], …]"));
        return None;
    }
    for (i, [t, v]) in points.iter().enumerate() {
        if !t.is_finite() || !v.is_finite() || !range.contains(v) || *t < 0.0 {
            c.error(
                at,
                format!(
                    "{what} point {} ({t}, {v}) is out of range: values from {} to {}, times from 0 h",
                    i + 1,
                    range.start(),
                    range.end()
                ),
            );
            return None;
        }
        if i > 0 && *t <= points[i - 1][0] {
            c.error(
                at,
                format!(
                    "{what} times must increase: point {} at {t} h follows {} h",
                    i + 1,
                    points[i - 1][0]
                ),
            );
            return None;
        }
    }
    Some(points.iter().map(|[t, v]| (*t, *v)).collect())
}

fn placement(c: &mut Checker<'_>, p: RawPlacement, frame: &EnuFrame) -> Option<Placement> {
    let crs = c.placement_crs(p.crs.as_ref()).ok()?;
    let enu = match &p.position {
        Some(pos) => c.position_in_enu(pos, crs, frame)?,
        None => [0.0; 3],
    };
    let angle = |c: &mut Checker<'_>, v: &Option<Spanned<f64>>, what: &str| match v {
        Some(v) => c.finite(v, what, -360.0..=360.0),
        None => Some(0.0),
    };
    let heading_deg = angle(c, &p.heading_deg, "heading_deg");
    let pitch_deg = angle(c, &p.pitch_deg, "pitch_deg");
    let roll_deg = angle(c, &p.roll_deg, "roll_deg");
    let scale = match &p.scale {
        Some(s) => c.finite(s, "scale", 1e-6..=1e6),
        None => Some(1.0),
    };
    let anchor = match p.anchor.as_ref().map(|a| (a, a.get_ref().as_str())) {
        None | Some((_, "origin")) => Some(Anchor::Origin),
        Some((_, "base")) => Some(Anchor::Base),
        Some((at, other)) => {
            c.error(at, format!("unknown anchor \"{other}\": expected origin or base"));
            None
        }
    };
    Some(Placement {
        enu,
        heading_deg: heading_deg?,
        pitch_deg: pitch_deg?,
        roll_deg: roll_deg?,
        scale: scale?,
        anchor: anchor?,
    })
}

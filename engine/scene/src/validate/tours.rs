//! `[[hotspot]]` and `[[tour]]`: points of interest with articles, and guided
//! tours whose stops each name a camera (bookmark, pose or path), narration
//! text and audio, the hotspots, measurements and layer settings they show.

use std::collections::HashSet;
use std::path::PathBuf;

use sontinh_geo::EnuFrame;
use toml::Spanned;

use super::Checker;
use crate::PathResolver;
use crate::error::SceneError;
use crate::markdown::parse_markdown;
use crate::model::*;
use crate::raw::{RawHotspot, RawLangPath, RawText, RawTour, RawTourStop};

/// What tours may refer to.
pub(super) struct TourContext<'a> {
    pub frame: &'a EnuFrame,
    pub bookmarks: &'a [Bookmark],
    pub measurements: &'a [Measurement],
    pub layers: &'a [Layer],
    pub hotspots: &'a [Hotspot],
    pub resolver: &'a dyn PathResolver,
}

pub(super) fn hotspots(
    c: &mut Checker<'_>,
    raw: &[Spanned<RawHotspot>],
    frame: &EnuFrame,
    bookmarks: &[Bookmark],
    resolver: &dyn PathResolver,
) -> Vec<Hotspot> {
    let mut ids = HashSet::new();
    let mut out = Vec::new();
    for spanned in raw {
        let h = spanned.get_ref();
        let id = c.identifier(&h.id, "hotspot", &mut ids);
        let title = c.text(&h.id, clone_text(&h.title), &format!("hotspot \"{id}\""));
        let article = markdown_text(c, &h.article, &format!("hotspot \"{id}\": article"), resolver);
        let bookmark = match &h.bookmark {
            None => Some(None),
            Some(wanted) => match bookmarks.iter().position(|b| &b.id == wanted.get_ref()) {
                Some(i) => Some(Some(i)),
                None => {
                    c.error(
                        wanted,
                        format!(
                            "hotspot \"{id}\" names bookmark \"{}\", which this scene does not have",
                            wanted.get_ref()
                        ),
                    );
                    None
                }
            },
        };
        let Ok(crs) = c.placement_crs(h.crs.as_ref()) else { continue };
        let enu = c.position_in_enu(&h.position, crs, frame);
        if let (Some(enu), Some(bookmark)) = (enu, bookmark) {
            out.push(Hotspot {
                id,
                enu,
                title,
                article,
                bookmark,
            });
        }
    }
    out
}

pub(super) fn tours(c: &mut Checker<'_>, raw: Vec<Spanned<RawTour>>, cx: &TourContext<'_>) -> Vec<Tour> {
    let mut ids = HashSet::new();
    let mut tours = Vec::new();
    for spanned in raw {
        let tour = spanned.into_inner();
        let id = c.identifier(&tour.id, "tour", &mut ids);
        let name = c.text(&tour.id, tour.name, &format!("tour \"{id}\""));
        let mut stops = Vec::new();
        let count = tour.stop.len();
        for (index, stop) in tour.stop.iter().enumerate() {
            let what = format!("tour \"{id}\" stop {} of {count}", index + 1);
            if let Some(stop) = tour_stop(c, stop, cx, &what) {
                stops.push(stop);
            }
        }
        if stops.is_empty() {
            c.error(&tour.id, format!("tour \"{id}\" has no valid [[tour.stop]]"));
        }
        tours.push(Tour { id, name, stops });
    }
    tours
}

fn tour_stop(c: &mut Checker<'_>, spanned: &Spanned<RawTourStop>, cx: &TourContext<'_>, what: &str) -> Option<TourStop> {
    let stop = spanned.get_ref();
    let camera = stop_camera(c, spanned, cx, what);
    let title = stop
        .title
        .as_ref()
        .map(|t| c.text(t, clone_text(t.get_ref()), &format!("{what}: title")));
    let text = markdown_text(c, &stop.text, &format!("{what}: text"), cx.resolver);
    let seconds = match &stop.seconds {
        Some(s) => c.finite(s, "seconds", 0.5..=3600.0),
        None => Some(8.0),
    };
    let narration = match (&stop.audio, &stop.captions) {
        (None, None) => Some(None),
        (Some(audio), Some(captions)) => Some(Some(Narration {
            audio: resolve_each(c, audio, "audio", cx.resolver),
            captions: resolve_each(c, captions, "captions", cx.resolver),
            written: PerLang {
                vi: (audio.get_ref().vi.get_ref().clone(), captions.get_ref().vi.get_ref().clone()),
                en: (audio.get_ref().en.get_ref().clone(), captions.get_ref().en.get_ref().clone()),
            },
        })),
        (Some(audio), None) => {
            c.error(
                audio,
                format!("{what}: narration audio needs `captions` (WebVTT) for each language too"),
            );
            None
        }
        (None, Some(captions)) => {
            c.error(captions, format!("{what}: `captions` are given without `audio`"));
            None
        }
    };
    let hotspots = lookup(c, &stop.hotspots, what, "hotspot", |id| cx.hotspots.iter().position(|h| h.id == id));
    let measurements = lookup(c, &stop.measurements, what, "measurement", |id| {
        cx.measurements.iter().position(|m| m.id == id)
    });
    let mut layers = Vec::new();
    for wanted in &stop.layers {
        let l = wanted.get_ref();
        let Some(layer) = cx.layers.iter().position(|x| &x.id == l.id.get_ref()) else {
            c.error(
                &l.id,
                format!("{what} sets layer \"{}\", which this scene does not have", l.id.get_ref()),
            );
            continue;
        };
        let opacity = match &l.opacity {
            Some(o) => match c.finite(o, "opacity", 0.0..=1.0) {
                Some(v) => Some(v as f32),
                None => continue,
            },
            None => None,
        };
        if l.visible.is_none() && opacity.is_none() {
            c.error(
                wanted,
                format!("{what}: layer \"{}\" sets neither `visible` nor `opacity`", l.id.get_ref()),
            );
            continue;
        }
        layers.push(StopLayer {
            layer,
            visible: l.visible,
            opacity,
        });
    }
    let point_cloud = match &stop.point_cloud {
        None => Some(None),
        Some(pc) => {
            let raw = pc.get_ref();
            let color = match &raw.color {
                None => Some(None),
                Some(name) => match PointColor::ALL.into_iter().find(|m| m.id() == name.get_ref()) {
                    Some(m) => Some(Some(m)),
                    None => {
                        let expected: Vec<&str> = PointColor::ALL.iter().map(|m| m.id()).collect();
                        c.error(
                            name,
                            format!(
                                "unknown point colour \"{}\": expected one of {}",
                                name.get_ref(),
                                expected.join(", ")
                            ),
                        );
                        None
                    }
                },
            };
            let point_size = match &raw.point_size {
                None => Some(None),
                Some(s) => c.finite(s, "point_size", 0.5..=64.0).map(|v| Some(v as f32)),
            };
            match (color, point_size) {
                (Some(color), Some(point_size)) => Some(Some(StopPointCloud { color, point_size })),
                _ => None,
            }
        }
    };
    Some(TourStop {
        camera: camera?,
        title,
        text,
        narration: narration?,
        seconds: seconds?,
        hotspots,
        measurements,
        layers,
        point_cloud: point_cloud?,
    })
}

fn stop_camera(c: &mut Checker<'_>, spanned: &Spanned<RawTourStop>, cx: &TourContext<'_>, what: &str) -> Option<StopCamera> {
    let stop = spanned.get_ref();
    let posed = stop.eye.is_some() || stop.target.is_some();
    let given = [stop.bookmark.is_some(), posed, stop.path.is_some()].iter().filter(|g| **g).count();
    if given != 1 {
        c.error(
            spanned,
            format!("{what}: give exactly one of `bookmark`, a pose (`eye` and `target`) or a `path` of waypoints"),
        );
        return None;
    }
    if stop.path_seconds.is_some() && stop.path.is_none() {
        c.error(spanned, format!("{what}: `path_seconds` goes with a `path`"));
        return None;
    }
    if stop.bookmark.is_some() && (stop.fov_deg.is_some() || stop.crs.is_some()) {
        c.error(
            spanned,
            format!("{what}: a stop at a bookmark takes its `fov_deg` and `crs` from the bookmark"),
        );
        return None;
    }
    if let Some(wanted) = &stop.bookmark {
        return match cx.bookmarks.iter().position(|b| &b.id == wanted.get_ref()) {
            Some(i) => Some(StopCamera::Bookmark(i)),
            None => {
                c.error(
                    wanted,
                    format!("{what} names bookmark \"{}\", which this scene does not have", wanted.get_ref()),
                );
                None
            }
        };
    }
    let crs = c.placement_crs(stop.crs.as_ref()).ok()?;
    let fov_deg = match &stop.fov_deg {
        Some(f) => c.finite(f, "fov_deg", 1.0..=170.0)?,
        None => 45.0,
    };
    if let Some(path) = &stop.path {
        let waypoints = path.get_ref();
        if waypoints.len() < 2 {
            c.error(path, format!("{what}: a path needs at least two waypoints"));
            return None;
        }
        let seconds = match &stop.path_seconds {
            Some(s) => c.finite(s, "path_seconds", 1.0..=3600.0)?,
            None => {
                c.error(
                    path,
                    format!("{what}: a path needs `path_seconds`, how long the flight along it takes"),
                );
                return None;
            }
        };
        let mut views = Vec::new();
        for (i, w) in waypoints.iter().enumerate() {
            let at = |p: [f64; 3]| Spanned::new(path.span(), p);
            let eye = c.position_in_enu(&at(w.eye), crs, cx.frame)?;
            let target = c.position_in_enu(&at(w.target), crs, cx.frame)?;
            let fov = match w.fov_deg {
                Some(f) => c.finite(&Spanned::new(path.span(), f), "fov_deg", 1.0..=170.0)?,
                None => fov_deg,
            };
            if distance(eye, target) < 1e-3 {
                c.error(path, format!("{what}: waypoint {}: eye and target are the same point", i + 1));
                return None;
            }
            views.push(View { eye, target, fov_deg: fov });
        }
        return Some(StopCamera::Path { waypoints: views, seconds });
    }
    let (Some(eye), Some(target)) = (&stop.eye, &stop.target) else {
        c.error(spanned, format!("{what}: a pose needs both `eye` and `target`"));
        return None;
    };
    let eye = c.position_in_enu(eye, crs, cx.frame)?;
    let target_enu = c.position_in_enu(target, crs, cx.frame)?;
    if distance(eye, target_enu) < 1e-3 {
        c.error(target, format!("{what}: eye and target are the same point"));
        return None;
    }
    Some(StopCamera::Pose(View {
        eye,
        target: target_enu,
        fov_deg,
    }))
}

fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

fn clone_text(t: &RawText) -> RawText {
    RawText {
        vi: t.vi.clone(),
        en: t.en.clone(),
    }
}

/// A vi/en text in the Markdown subset, both non-empty; images must exist.
fn markdown_text(c: &mut Checker<'_>, at: &Spanned<RawText>, what: &str, resolver: &dyn PathResolver) -> Text {
    let raw = at.get_ref();
    let text = c.text(at, clone_text(raw), what);
    for (lang, value) in [("vi", &text.vi), ("en", &text.en)] {
        match parse_markdown(value) {
            Ok(md) => {
                for src in md.images() {
                    if let Err(why) = resolver.resolve(src) {
                        c.missing.push(SceneError::at(
                            c.path,
                            c.text,
                            at.span().start,
                            format!("{what} ({lang}): image not found: {why}"),
                        ));
                    }
                }
            }
            Err(why) => c.error(at, format!("{what} ({lang}): {why}")),
        }
    }
    text
}

fn resolve_each(c: &mut Checker<'_>, paths: &Spanned<RawLangPath>, what: &str, resolver: &dyn PathResolver) -> PerLang<PathBuf> {
    let raw = paths.get_ref();
    let mut one = |p: &Spanned<String>, lang: &str| match resolver.resolve(p.get_ref()) {
        Ok(resolved) => resolved,
        Err(why) => {
            c.missing.push(SceneError::at(
                c.path,
                c.text,
                p.span().start,
                format!("{what} ({lang}) not found: {why}"),
            ));
            PathBuf::from(p.get_ref())
        }
    };
    PerLang {
        vi: one(&raw.vi, "vi"),
        en: one(&raw.en, "en"),
    }
}

fn lookup(c: &mut Checker<'_>, wanted: &[Spanned<String>], what: &str, kind: &str, find: impl Fn(&str) -> Option<usize>) -> Vec<usize> {
    let mut out = Vec::new();
    for w in wanted {
        match find(w.get_ref()) {
            Some(i) => out.push(i),
            None => c.error(
                w,
                format!("{what} shows {kind} \"{}\", which this scene does not have", w.get_ref()),
            ),
        }
    }
    out
}

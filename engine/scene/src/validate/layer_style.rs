//! A vector or city layer's `[layer.style]`, a base map layer's source,
//! and a flood scenario's `[flood_scenario.impact]`, checked with the line
//! of anything wrong.

use toml::Spanned;

use crate::model::*;
use crate::raw::{RawImpact, RawLabel, RawStyle};

use super::Checker;

/// `"#rrggbb"` or `"#rrggbbaa"` as sRGB 0–1.
pub(crate) fn parse_color(text: &str) -> Option<Rgba> {
    let hex = text.strip_prefix('#')?;
    if !(hex.len() == 6 || hex.len() == 8) || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok().map(|b| f32::from(b) / 255.0);
    let alpha = if hex.len() == 8 { byte(6)? } else { 1.0 };
    Some([byte(0)?, byte(2)?, byte(4)?, alpha])
}

fn color(c: &mut Checker<'_>, at: &Spanned<String>, what: &str) -> Option<Rgba> {
    let parsed = parse_color(at.get_ref());
    if parsed.is_none() {
        c.error(
            at,
            format!(
                "{what}: \"{}\" is not a colour: expected \"#rrggbb\" or \"#rrggbbaa\"",
                at.get_ref()
            ),
        );
    }
    parsed
}

fn attribute_name(c: &mut Checker<'_>, at: &Spanned<String>, what: &str) -> Option<String> {
    if at.get_ref().trim().is_empty() {
        c.error(at, format!("{what}: the attribute name is empty"));
        return None;
    }
    Some(at.get_ref().clone())
}

/// The layer's style; `None` after an error (reported).
pub(super) fn style(c: &mut Checker<'_>, raw: Option<&Spanned<RawStyle>>, kind: Option<LayerKind>, id: &str) -> Option<VectorStyle> {
    let Some(spanned) = raw else { return Some(VectorStyle::default()) };
    if !matches!(kind, Some(LayerKind::Vector | LayerKind::City)) {
        c.error(spanned, format!("layer \"{id}\": only vector and city layers take a `style`"));
        return None;
    }
    let s = spanned.get_ref();
    let what = format!("layer \"{id}\" style");
    let mut ok = true;
    let mut style = VectorStyle::default();
    if let Some(at) = &s.color {
        match color(c, at, &what) {
            Some(rgba) => style.color = rgba,
            None => ok = false,
        }
    }
    if let Some(at) = &s.fill_opacity {
        match c.finite(at, "fill_opacity", 0.0..=1.0) {
            Some(v) => style.fill_opacity = v as f32,
            None => ok = false,
        }
    }
    let above_ellipsoid = match s.height_above.as_ref().map(|a| (a, a.get_ref().as_str())) {
        None | Some((_, "ground")) => false,
        Some((_, "ellipsoid")) => true,
        Some((at, other)) => {
            c.error(at, format!("{what}: height_above \"{other}\": expected ground or ellipsoid"));
            ok = false;
            false
        }
    };
    let extrude = s.extrude.as_ref().is_some_and(|e| *e.get_ref()) || s.extrude_attribute.is_some();
    match (&s.height_attribute, extrude) {
        (Some(at), true) => {
            c.error(
                at,
                format!("{what}: a layer is either extruded or set at a height attribute, not both"),
            );
            ok = false;
        }
        (Some(at), false) => match attribute_name(c, at, &what) {
            Some(attribute) => {
                style.elevation = Elevation::Attribute {
                    attribute,
                    above_ellipsoid,
                }
            }
            None => ok = false,
        },
        (None, true) => {
            let attribute = match &s.extrude_attribute {
                Some(at) => {
                    let name = attribute_name(c, at, &what);
                    ok &= name.is_some();
                    name
                }
                None => None,
            };
            let default_m = match &s.extrude_default_m {
                Some(at) => c.finite(at, "extrude_default_m", 0.0..=1000.0),
                None => Some(10.0),
            };
            ok &= default_m.is_some();
            style.elevation = Elevation::Extruded {
                attribute,
                default_m: default_m.unwrap_or(10.0),
            };
        }
        (None, false) => {}
    }
    if let Some(at) = &s.extrude_default_m
        && !extrude
    {
        c.error(at, format!("{what}: extrude_default_m needs extrude = true or extrude_attribute"));
        ok = false;
    }
    if let Some(at) = &s.color_by {
        let by = at.get_ref();
        let attribute = attribute_name(c, &by.attribute, &what);
        let rule = match (&by.categories, &by.ramp) {
            (Some(categories), None) => {
                let mut list = Vec::new();
                for (value, hex) in categories.get_ref() {
                    list.push((value.clone(), color(c, hex, &what)));
                }
                if list.is_empty() {
                    c.error(categories, format!("{what}: color_by.categories is empty"));
                }
                (!list.is_empty() && list.iter().all(|(_, c)| c.is_some()))
                    .then(|| list.into_iter().map(|(v, c)| (v, c.unwrap_or_default())).collect::<Vec<_>>())
                    .zip(attribute.clone())
                    .map(|(categories, attribute)| ColorBy::Categories { attribute, categories })
            }
            (None, Some(ramp)) => {
                let mut stops = Vec::new();
                for (value, hex) in ramp.get_ref() {
                    stops.push((*value, color(c, hex, &what)));
                }
                let increasing = stops.windows(2).all(|w| w[0].0 < w[1].0) && stops.iter().all(|s| s.0.is_finite());
                if stops.len() < 2 || !increasing {
                    c.error(
                        ramp,
                        format!("{what}: color_by.ramp needs two or more stops with finite values increasing"),
                    );
                    None
                } else if stops.iter().any(|s| s.1.is_none()) {
                    None
                } else {
                    attribute.clone().map(|attribute| ColorBy::Ramp {
                        attribute,
                        stops: stops.into_iter().map(|(v, c)| (v, c.unwrap_or_default())).collect(),
                    })
                }
            }
            _ => {
                c.error(at, format!("{what}: color_by takes either categories or ramp"));
                None
            }
        };
        match rule {
            Some(rule) => style.color_by = Some(rule),
            None => ok = false,
        }
    }
    if let Some(at) = &s.label {
        let (vi, en) = match at.get_ref() {
            RawLabel::Same(name) => (name.clone(), name.clone()),
            RawLabel::PerLanguage { vi, en } => (vi.clone(), en.clone()),
        };
        if vi.trim().is_empty() || en.trim().is_empty() {
            c.error(at, format!("{what}: label names an empty attribute"));
            ok = false;
        } else {
            style.label = Some(LabelAttributes { vi, en });
        }
    }
    if let Some(at) = &s.filter {
        let f = at.get_ref();
        let attribute = attribute_name(c, &f.attribute, &what);
        let min = f.min.as_ref().map(|m| c.finite(m, "filter.min", f64::MIN..=f64::MAX));
        let max = f.max.as_ref().map(|m| c.finite(m, "filter.max", f64::MIN..=f64::MAX));
        let test = match (&f.one_of, min, max) {
            (Some(values), None, None) if !values.is_empty() => Some(FilterTest::OneOf(values.clone())),
            (None, min, max) if min.is_some() || max.is_some() => match (min.flatten(), max.flatten()) {
                (Some(lo), Some(hi)) if lo > hi => {
                    c.error(at, format!("{what}: filter.min {lo} is above filter.max {hi}"));
                    None
                }
                (lo, hi) if min.is_some() == lo.is_some() && max.is_some() == hi.is_some() => Some(FilterTest::Range { min: lo, max: hi }),
                _ => None,
            },
            _ => {
                c.error(at, format!("{what}: filter takes a non-empty one_of list, or min and/or max"));
                None
            }
        };
        match (attribute, test) {
            (Some(attribute), Some(test)) => style.filter = Some(FeatureFilter { attribute, test }),
            _ => ok = false,
        }
    }
    ok.then_some(style)
}

/// The base map of a `basemap` layer (`Some(None)` for other kinds);
/// `None` after an error (reported).
pub(super) struct BasemapFields<'a> {
    pub path: Option<&'a Spanned<String>>,
    pub url: Option<&'a Spanned<String>>,
    pub service: Option<&'a Spanned<String>>,
    pub max_zoom: Option<&'a Spanned<i64>>,
    pub attribution: Option<&'a String>,
}

pub(super) fn basemap(
    c: &mut Checker<'_>,
    layer: BasemapFields<'_>,
    kind: Option<LayerKind>,
    source: Option<&LayerSource>,
    id: &str,
) -> Option<Option<Basemap>> {
    let is_basemap = kind == Some(LayerKind::Basemap);
    if !is_basemap {
        let stray = [layer.url, layer.service].into_iter().flatten().next();
        if let Some(at) = stray {
            c.error(at, format!("layer \"{id}\": only basemap layers take `url` and `service`"));
            return None;
        }
        if let Some(at) = layer.max_zoom {
            c.error(at, format!("layer \"{id}\": only basemap layers take `max_zoom`"));
            return None;
        }
        return Some(None);
    }
    let max_zoom = match layer.max_zoom {
        None => Some(DEFAULT_BASEMAP_MAX_ZOOM),
        Some(z) if (0..=24).contains(z.get_ref()) => u8::try_from(*z.get_ref()).ok(),
        Some(z) => {
            c.error(z, format!("layer \"{id}\": max_zoom {} is outside 0–24", z.get_ref()));
            None
        }
    };
    let source = match source? {
        LayerSource::Service(url) => {
            let service = layer.service.map(|s| s.get_ref().as_str());
            let needs: &[&str] = match service {
                Some("xyz") | None => &["{z}", "{x}", "{y}"],
                Some("wmts") => &["{TileMatrix}", "{TileRow}", "{TileCol}"],
                Some(other) => {
                    if let Some(at) = layer.service {
                        c.error(at, format!("layer \"{id}\": service \"{other}\": expected xyz or wmts"));
                    }
                    return None;
                }
            };
            let missing: Vec<&str> = needs.iter().copied().filter(|n| !url.contains(n)).collect();
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/');
            if !missing.is_empty() || !scheme_ok {
                if let Some(at) = layer.url {
                    let why = if scheme_ok {
                        format!("lacks {}", missing.join(", "))
                    } else {
                        "is not an http(s) address or a path on the site".to_owned()
                    };
                    c.error(at, format!("layer \"{id}\": tile address \"{url}\" {why}"));
                }
                return None;
            }
            match service {
                Some("wmts") => BasemapSource::Wmts(url.clone()),
                _ => BasemapSource::Xyz(url.clone()),
            }
        }
        LayerSource::File(path) => {
            let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
            if !matches!(ext.as_deref(), Some("mbtiles" | "pmtiles")) {
                if let Some(at) = layer.path {
                    c.error(
                        at,
                        format!("layer \"{id}\": a basemap file is .mbtiles or .pmtiles, not {}", path.display()),
                    );
                }
                return None;
            }
            if let Some(at) = layer.service {
                c.error(at, format!("layer \"{id}\": `service` goes with `url`, not with a file"));
                return None;
            }
            BasemapSource::File(path.clone())
        }
        // Reported with the scene's missing files.
        LayerSource::Missing { path, .. } => BasemapSource::File(path.into()),
        LayerSource::Generator(_) => return None,
    };
    Some(max_zoom.map(|max_zoom| Basemap {
        source,
        max_zoom,
        attribution: layer.attribution.cloned(),
    }))
}

/// A flood scenario's impact settings; `None` after an error (reported).
pub(super) fn impact(
    c: &mut Checker<'_>,
    raw: Option<&Spanned<RawImpact>>,
    layers: &[Layer],
    scenario: &str,
) -> Option<Option<FloodImpact>> {
    let Some(spanned) = raw else { return Some(None) };
    let r = spanned.get_ref();
    let mut ok = true;
    let mut layer_of = |c: &mut Checker<'_>, at: &Spanned<String>, kinds: &[LayerKind], what: &str| -> Option<String> {
        match layers.iter().find(|l| &l.id == at.get_ref()) {
            Some(l) if kinds.contains(&l.kind) => Some(l.id.clone()),
            Some(l) => {
                let expected: Vec<&str> = kinds.iter().map(|k| k.id()).collect();
                c.error(
                    at,
                    format!(
                        "flood scenario \"{scenario}\": {what} \"{}\" is a {} layer: expected {}",
                        l.id,
                        l.kind.id(),
                        expected.join(" or ")
                    ),
                );
                ok = false;
                None
            }
            None => {
                c.error(
                    at,
                    format!(
                        "flood scenario \"{scenario}\": {what} \"{}\" is not a layer of this scene",
                        at.get_ref()
                    ),
                );
                ok = false;
                None
            }
        }
    };
    let features = [LayerKind::Vector, LayerKind::City];
    let impact_layers: Vec<String> = r
        .layers
        .iter()
        .filter_map(|at| layer_of(c, at, &features, "impact layer"))
        .collect();
    let obstacles: Vec<String> = r
        .obstacles
        .iter()
        .filter_map(|at| layer_of(c, at, &features, "obstacle layer"))
        .collect();
    let areas = match (&r.areas, &r.area_name) {
        (Some(layer), Some(name)) => layer_of(c, layer, &[LayerKind::Vector], "areas layer").map(|layer| ImpactAreas {
            layer,
            name_attribute: name.get_ref().clone(),
        }),
        (Some(at), None) => {
            c.error(
                at,
                format!("flood scenario \"{scenario}\": impact.areas needs area_name, the attribute naming each area"),
            );
            ok = false;
            None
        }
        (None, Some(at)) => {
            c.error(at, format!("flood scenario \"{scenario}\": impact.area_name needs areas"));
            ok = false;
            None
        }
        (None, None) => None,
    };
    if r.layers.is_empty() && r.obstacles.is_empty() {
        c.error(
            spanned,
            format!("flood scenario \"{scenario}\": impact names no layers and no obstacles"),
        );
        ok = false;
    }
    let obstacle_height_m = match &r.obstacle_height_m {
        Some(at) => c.finite(at, "obstacle_height_m", 0.1..=1000.0),
        None => Some(DEFAULT_OBSTACLE_HEIGHT_M),
    };
    let min_depth_m = match &r.min_depth_m {
        Some(at) => c.finite(at, "min_depth_m", 0.0..=10.0),
        None => Some(DEFAULT_IMPACT_MIN_DEPTH_M),
    };
    match (ok, obstacle_height_m, min_depth_m) {
        (true, Some(obstacle_height_m), Some(min_depth_m)) => Some(Some(FloodImpact {
            layers: impact_layers,
            areas,
            obstacles,
            obstacle_height_m,
            min_depth_m,
        })),
        _ => None,
    }
}

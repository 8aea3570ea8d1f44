//! `[[measurement]]`: measurements kept with the scene, their points in any
//! CRS the twin knows (or local ENU), checked with the line of each problem.

use std::collections::HashSet;

use sontinh_geo::EnuFrame;
use toml::Spanned;

use super::Checker;
use crate::model::{MAX_MEASUREMENT_POINTS, MeasureTool, Measurement};
use crate::raw::{RawMeasurement, RawText};

pub(super) fn measurements(c: &mut Checker<'_>, raw: &[Spanned<RawMeasurement>], frame: &EnuFrame) -> Vec<Measurement> {
    let mut ids = HashSet::new();
    let mut out = Vec::new();
    for spanned in raw {
        let m = spanned.get_ref();
        let id = c.identifier(&m.id, "measurement", &mut ids);
        let name = c.text(&m.id, RawText { vi: m.name.vi.clone(), en: m.name.en.clone() }, &format!("measurement \"{id}\""));
        let tool = MeasureTool::from_id(m.tool.get_ref());
        if tool.is_none() {
            let expected: Vec<&str> = MeasureTool::ALL.iter().map(|t| t.id()).collect();
            c.error(&m.tool, format!("unknown measurement tool \"{}\", expected one of {}", m.tool.get_ref(), expected.join(", ")));
        }
        let given = m.points.get_ref().len();
        if let Some(tool) = tool {
            let (min, max) = (tool.min_points(), tool.max_points().unwrap_or(MAX_MEASUREMENT_POINTS));
            if given < min || given > max {
                let wanted = if min == max { format!("{min}") } else { format!("{min} to {max}") };
                c.error(&m.points, format!("a {} measurement takes {wanted} points; {given} given", tool.id()));
                continue;
            }
        }
        let Ok(crs) = c.placement_crs(m.crs.as_ref()) else { continue };
        let points: Option<Vec<[f64; 3]>> = m
            .points
            .get_ref()
            .iter()
            .map(|p| c.position_in_enu(&Spanned::new(m.points.span(), *p), crs, frame))
            .collect();
        let level_m = match &m.level_m {
            Some(level) => match c.finite(level, "level_m", -12_000.0..=10_000.0) {
                Some(v) => Some(v),
                None => continue,
            },
            None => None,
        };
        if let (Some(tool), Some(points)) = (tool, points) {
            if level_m.is_some() && tool != MeasureTool::Volume {
                c.error(&m.id, format!("measurement \"{id}\": level_m belongs to volume measurements only"));
                continue;
            }
            out.push(Measurement { id, name, tool, points, level_m, line: c.line_of(spanned) });
        }
    }
    out
}

//! What a run means for people: the scene's places under water, and the
//! flooded extent as GeoJSON.

use std::fmt::Write as _;

use serde_json::json;
use sontinh_geo::{Crs, Transformer};
use sontinh_raster::mask_polygons;
use sontinh_scene::Scene;

use crate::domain::{Domain, enu_to_utm};
use crate::run::EXTENT_THRESHOLD_M;

/// How deep a named place of the scene went under water, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaceFlood {
    pub id: String,
    pub name: sontinh_scene::Text,
    pub kind: &'static str,
    /// Deepest water over the place's ground (its radius), m.
    pub max_depth_m: f64,
    /// First time water deeper than 0.1 m reached it, hours.
    pub arrival_h: Option<f64>,
}

/// The scene's places against the run's maximum depth and arrival rasters:
/// the deepest cell and the earliest arrival within each place's radius,
/// deepest first.
pub fn places_under_water(scene: &Scene, to_utm: &Transformer, domain: &Domain, max_depth: &[f64], arrival_h: &[f64]) -> Result<Vec<PlaceFlood>, String> {
    // Only the grid's geometry is needed to find the cells around a place.
    let grid = domain.raster(Vec::new());
    let mut out = Vec::new();
    for place in &scene.places {
        let (x, y) = enu_to_utm(scene, to_utm, [place.enu[0], place.enu[1]])?;
        let cells = grid.cells_within(x, y, place.radius_m);
        let depth = cells.iter().map(|(c, r)| max_depth[r * domain.nx + c]).fold(0.0f64, f64::max);
        let arrival = cells
            .iter()
            .map(|(c, r)| arrival_h[r * domain.nx + c])
            .filter(|h| h.is_finite())
            .fold(None, |best: Option<f64>, h| Some(best.map_or(h, |b| b.min(h))));
        out.push(PlaceFlood {
            id: place.id.clone(),
            name: place.name.clone(),
            kind: place.kind.id(),
            max_depth_m: if cells.is_empty() { f64::NAN } else { depth },
            arrival_h: arrival,
        });
    }
    // Deepest first: what a planner reads first.
    out.sort_by(|a, b| b.max_depth_m.total_cmp(&a.max_depth_m));
    Ok(out)
}

/// `places.csv`: quoted names, depth in m, arrival in hours (empty if dry).
pub fn places_csv(places: &[PlaceFlood]) -> String {
    let mut csv = String::from("id,kind,name_vi,name_en,max_depth_m,arrival_h\n");
    for p in places {
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let _ = writeln!(
            csv,
            "{},{},{},{},{:.3},{}",
            p.id,
            p.kind,
            quote(&p.name.vi),
            quote(&p.name.en),
            p.max_depth_m,
            p.arrival_h.map(|h| format!("{h:.3}")).unwrap_or_default()
        );
    }
    csv
}

/// The flooded cells as a GeoJSON MultiPolygon in WGS84 longitude/latitude (RFC 7946).
pub fn extent_geojson(domain: &Domain, mask: &[bool], scenario: &str) -> Result<String, String> {
    let to_wgs84 = Transformer::new(domain.utm, Crs::Wgs84).map_err(|e| e.to_string())?;
    let t = domain.transform;
    let corner = |(c, r): (usize, usize)| -> Result<[f64; 2], String> {
        let x = t.origin_x + c as f64 * t.pixel_width;
        let y = t.origin_y + r as f64 * t.pixel_height;
        let [lon, lat, _] = to_wgs84.transform([x, y, 0.0]).map_err(|e| e.to_string())?;
        Ok([(lon * 1e7).round() / 1e7, (lat * 1e7).round() / 1e7])
    };
    // RFC 7946: exterior rings counter-clockwise, holes clockwise, closed.
    let ring = |points: &[(usize, usize)]| -> Result<Vec<[f64; 2]>, String> {
        let mut out = points.iter().map(|p| corner(*p)).collect::<Result<Vec<_>, _>>()?;
        if let Some(first) = out.first().copied() {
            out.push(first);
        }
        Ok(out)
    };
    let mut polygons = Vec::new();
    for p in mask_polygons(mask, domain.nx) {
        let mut rings = vec![ring(&p.outer)?];
        for hole in &p.holes {
            rings.push(ring(hole)?);
        }
        polygons.push(rings);
    }
    let value = json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": { "scenario": scenario, "max_depth_above_m": EXTENT_THRESHOLD_M },
            "geometry": { "type": "MultiPolygon", "coordinates": polygons },
        }],
    });
    serde_json::to_string(&value).map_err(|e| e.to_string())
}

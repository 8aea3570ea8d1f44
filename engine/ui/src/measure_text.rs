//! A measurement's figures in words, in the panel's language: plain
//! functions the panel, the labels on the twin and the tests share.

use sontinh_geo::{Crs, Geodetic, Transformer};
use sontinh_measure::Figures;
use sontinh_scene::{Lang, MeasureTool};

use crate::format_lat_lon;

/// The tool's name.
pub fn tool_name(tool: MeasureTool, lang: Lang) -> &'static str {
    let (vi, en) = match tool {
        MeasureTool::Point => ("Điểm", "Point"),
        MeasureTool::Distance => ("Khoảng cách", "Distance"),
        MeasureTool::Height => ("Chênh cao", "Height"),
        MeasureTool::Angle => ("Góc", "Angle"),
        MeasureTool::Area => ("Diện tích", "Area"),
        MeasureTool::Profile => ("Mặt cắt dọc", "Profile"),
        MeasureTool::Volume => ("Khối lượng", "Volume"),
    };
    if lang == Lang::Vi { vi } else { en }
}

/// Metres: centimetres up to a kilometre, then kilometres.
pub fn length(m: f64) -> String {
    if m.abs() >= 1000.0 { format!("{:.3} km", m / 1000.0) } else { format!("{m:.2} m") }
}

/// Square metres, then hectares.
pub fn area(m2: f64) -> String {
    if m2.abs() >= 10_000.0 { format!("{:.3} ha ({m2:.0} m²)", m2 / 10_000.0) } else { format!("{m2:.2} m²") }
}

pub fn volume(m3: f64) -> String {
    format!("{m3:.1} m³")
}

/// Coordinates of a point in the systems Vietnamese surveyors use.
pub struct Systems {
    utm: Option<Transformer>,
    vn2000: Option<Transformer>,
}

impl Default for Systems {
    fn default() -> Self {
        Systems { utm: Transformer::new(Crs::Wgs84, Crs::Utm48N).ok(), vn2000: Transformer::new(Crs::Wgs84, Crs::Vn2000QuangTri).ok() }
    }
}

impl Systems {
    pub fn lines(&self, g: &Geodetic, lang: Lang) -> Vec<String> {
        let mut out = vec![format!("WGS 84: {}", format_lat_lon(g))];
        let planar = |t: &Option<Transformer>| t.as_ref().and_then(|t| t.transform([g.lon_deg, g.lat_deg, g.height_m]).ok());
        if let Some(p) = planar(&self.utm) {
            out.push(format!("UTM 48N: E {:.3} · N {:.3}", p[0], p[1]));
        }
        if let Some(p) = planar(&self.vn2000) {
            out.push(format!("VN-2000 Quảng Trị: X {:.3} · Y {:.3}", p[1], p[0]));
        }
        out.push(format!("{}: {:.2} m", if lang == Lang::Vi { "Độ cao" } else { "Height" }, g.height_m));
        out
    }
}

/// The figures, a line each.
pub fn figure_lines(figures: &Figures, lang: Lang, systems: &Systems) -> Vec<String> {
    let vi = lang == Lang::Vi;
    let say = |v: &'static str, e: &'static str| if vi { v } else { e };
    match figures {
        Figures::Point { at } => systems.lines(at, lang),
        Figures::Distance(line) => vec![
            format!("{}: {}", say("Ngang", "Horizontal"), length(line.horizontal_m)),
            format!("{}: {}", say("Theo dốc (3D)", "Along the slope (3D)"), length(line.slope_m)),
            format!("{}: {:+.2} m", say("Chênh cao", "Height difference"), line.height_difference_m),
            format!("{}: {}", say("Số đoạn", "Segments"), line.legs.len()),
        ],
        Figures::Height { difference_m, horizontal_m, slope_m } => vec![
            format!("{}: {:+.2} m", say("Chênh cao", "Height difference"), difference_m),
            format!("{}: {}", say("Ngang", "Horizontal"), length(*horizontal_m)),
            format!("{}: {}", say("Theo dốc (3D)", "Along the slope (3D)"), length(*slope_m)),
        ],
        Figures::Angle { degrees } => vec![format!("{}: {degrees:.2}°", say("Góc", "Angle"))],
        Figures::Area { polygon, surface, spacing_m } => {
            let mut out = vec![
                format!("{}: {}", say("Diện tích ngang", "Horizontal area"), area(polygon.horizontal_m2)),
                format!("{}: {}", say("Chu vi", "Perimeter"), length(polygon.perimeter_m)),
            ];
            if let Some(s) = surface {
                out.push(format!("{}: {} ({} {spacing_m} m)", say("Diện tích bề mặt", "Surface area"), area(s.surface_m2), say("lưới", "grid")));
                if s.cells_without_surface > 0 {
                    out.push(format!("{}: {}/{}", say("Ô không có bề mặt", "Cells without a surface"), s.cells_without_surface, s.cells));
                }
            }
            out
        }
        Figures::Profile { layers, samples, spacing_m } => {
            let mut out = vec![
                format!("{}: {}", say("Chiều dài", "Length"), length(samples.last().map_or(0.0, |s| s.distance_m))),
                format!("{}: {} ({} {spacing_m:.2} m)", say("Mẫu", "Samples"), samples.len(), say("cách", "every")),
            ];
            for (k, name) in layers.iter().enumerate() {
                let heights: Vec<f64> = samples.iter().filter_map(|s| s.heights.get(k).copied().flatten()).collect();
                if let (Some(lo), Some(hi)) = (heights.iter().copied().reduce(f64::min), heights.iter().copied().reduce(f64::max)) {
                    out.push(format!("{name}: {lo:.2} … {hi:.2} m"));
                }
            }
            out
        }
        Figures::Volume { volume: v, reference, spacing_m, .. } => {
            let mut out = vec![
                format!("{}: {}", say("Đào (trên mức)", "Cut (above)"), volume(v.cut_m3)),
                format!("{}: {}", say("Đắp (dưới mức)", "Fill (below)"), volume(v.fill_m3)),
                format!("{}: {reference}", say("So với", "Against")),
                format!("{}: {} ({} {spacing_m} m)", say("Trên diện tích", "Over"), area(v.horizontal_m2), say("lưới", "grid")),
            ];
            if v.cells_without_surface > 0 {
                out.push(format!("{}: {}/{}", say("Ô không có bề mặt", "Cells without a surface"), v.cells_without_surface, v.cells));
            }
            out
        }
    }
}

/// The one figure a label on the twin shows.
pub fn headline(figures: &Figures, lang: Lang) -> String {
    match figures {
        Figures::Point { at } => format!("{:.2} m", at.height_m),
        Figures::Distance(line) => length(line.horizontal_m),
        Figures::Height { difference_m, .. } => format!("Δh {difference_m:+.2} m"),
        Figures::Angle { degrees } => format!("{degrees:.1}°"),
        Figures::Area { polygon, .. } => area(polygon.horizontal_m2),
        Figures::Profile { samples, .. } => length(samples.last().map_or(0.0, |s| s.distance_m)),
        Figures::Volume { volume: v, .. } => {
            if lang == Lang::Vi {
                format!("đào {} · đắp {}", volume(v.cut_m3), volume(v.fill_m3))
            } else {
                format!("cut {} · fill {}", volume(v.cut_m3), volume(v.fill_m3))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sontinh_measure::{PolygonFigures, Volume};

    #[test]
    fn units_switch_at_a_kilometre_and_a_hectare() {
        assert_eq!(length(999.994), "999.99 m");
        assert_eq!(length(12_345.0), "12.345 km");
        assert_eq!(area(9_999.0), "9999.00 m²");
        assert_eq!(area(25_000.0), "2.500 ha (25000 m²)");
    }

    #[test]
    fn a_citadel_corner_reads_in_utm_and_the_provincial_vn2000_zone() {
        // The Citadel's centre; the expected figures are PROJ's (pyproj 3.7):
        // EPSG:4326 → EPSG:32648 and → VN-2000 / Quảng Trị 3° zone (central meridian 106°15', k 0.9999, the
        // project's +towgs84), each to a centimetre.
        let g = Geodetic::new(107.194, 16.747, 0.0);
        let lines = Systems::default().lines(&g, Lang::En);
        assert_eq!(lines[0], "WGS 84: 16.747000° N, 107.194000° E");
        // pyproj: UTM (733895.5334, 1852858.0956); VN-2000 zone (E 600454.4819, N 1852473.1179), northing first as X.
        assert!(lines[1].starts_with("UTM 48N: E 733895.53") && lines[1].contains("N 1852858.09"), "{lines:?}");
        assert!(lines[2].starts_with("VN-2000 Quảng Trị: X 1852473.11") && lines[2].contains("Y 600454.48"), "{lines:?}");
    }

    #[test]
    fn figures_read_in_both_languages() {
        let f = Figures::Volume {
            volume: Volume { cut_m3: 24.0, fill_m3: 0.5, horizontal_m2: 12.0, cells: 10, cells_without_surface: 0 },
            reference: "0.000 m".into(),
            level_m: Some(0.0),
            spacing_m: 0.1,
        };
        assert_eq!(headline(&f, Lang::Vi), "đào 24.0 m³ · đắp 0.5 m³");
        assert_eq!(figure_lines(&f, Lang::En, &Systems::default())[0], "Cut (above): 24.0 m³");
        let a = Figures::Area { polygon: PolygonFigures { horizontal_m2: 12.0, perimeter_m: 14.0 }, surface: None, spacing_m: 0.1 };
        assert_eq!(figure_lines(&a, Lang::Vi, &Systems::default()), vec!["Diện tích ngang: 12.00 m²", "Chu vi: 14.00 m"]);
    }
}

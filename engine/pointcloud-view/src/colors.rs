//! Point colours for each colour mode.

/// How points are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorMode {
    #[default]
    Rgb,
    Elevation,
    Intensity,
    Classification,
    ReturnNumber,
}

impl ColorMode {
    pub const ALL: [ColorMode; 5] = [ColorMode::Rgb, ColorMode::Elevation, ColorMode::Intensity, ColorMode::Classification, ColorMode::ReturnNumber];

    pub fn id(self) -> &'static str {
        match self {
            ColorMode::Rgb => "rgb",
            ColorMode::Elevation => "elevation",
            ColorMode::Intensity => "intensity",
            ColorMode::Classification => "classification",
            ColorMode::ReturnNumber => "return",
        }
    }

    pub fn from_id(id: &str) -> Option<ColorMode> {
        Self::ALL.into_iter().find(|m| m.id() == id)
    }
}

/// ASPRS standard classification colours (as used by Potree and QGIS).
pub fn class_color(class: u8) -> [f32; 3] {
    match class {
        0 | 1 => [0.70, 0.70, 0.70],  // never classified / unclassified
        2 => [0.63, 0.45, 0.27],      // ground
        3 => [0.60, 0.85, 0.45],      // low vegetation
        4 => [0.30, 0.70, 0.25],      // medium vegetation
        5 => [0.10, 0.45, 0.10],      // high vegetation
        6 => [0.90, 0.35, 0.25],      // building
        7 => [1.00, 0.00, 1.00],      // low noise
        8 => [1.00, 1.00, 0.00],      // key point
        9 => [0.15, 0.45, 0.95],      // water
        10 => [0.55, 0.35, 0.60],     // rail
        11 => [0.35, 0.35, 0.35],     // road surface
        12 => [0.95, 0.80, 0.60],     // overlap
        13..=16 => [1.00, 0.85, 0.0], // wires and towers
        17 => [0.60, 0.60, 0.85],     // bridge deck
        18 => [1.00, 0.00, 0.50],     // high noise
        _ => [0.95, 0.95, 0.95],
    }
}

/// A perceptual blue–green–yellow–red ramp for t in 0..1 (elevation).
pub fn ramp(t: f32) -> [f32; 3] {
    const STOPS: [[f32; 3]; 5] = [[0.17, 0.11, 0.55], [0.13, 0.47, 0.71], [0.16, 0.70, 0.45], [0.96, 0.83, 0.20], [0.80, 0.15, 0.10]];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 } * (STOPS.len() - 1) as f32;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f32;
    [0, 1, 2].map(|c| STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f)
}

/// First, second, third and later returns.
pub fn return_color(return_number: u8) -> [f32; 3] {
    match return_number {
        0 | 1 => [0.95, 0.30, 0.25],
        2 => [0.25, 0.75, 0.30],
        3 => [0.25, 0.45, 0.95],
        _ => [0.95, 0.85, 0.25],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_ends_and_clamps() {
        let close = |a: [f32; 3], b: [f32; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);
        assert!(close(ramp(0.0), [0.17, 0.11, 0.55]));
        assert!(close(ramp(1.0), [0.80, 0.15, 0.10]));
        assert_eq!(ramp(-5.0), ramp(0.0));
        assert_eq!(ramp(f32::NAN), ramp(0.0));
        assert_ne!(class_color(2), class_color(6));
        for m in ColorMode::ALL {
            assert_eq!(ColorMode::from_id(m.id()), Some(m));
        }
    }
}

//! How much the renderer spends on looks: `low` for phones, `high` for
//! desktops (the default natively).

use bevy::prelude::*;

/// The rendering quality: shadows, ambient occlusion, multisampling and
/// how many trees are drawn follow it (see [`Quality::settings`]).
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Quality {
    /// Phones: one shadow cascade on a small map, no ambient occlusion, no
    /// multisampling, fewer trees.
    Low,
    /// Desktops: four shadow cascades on a large map, screen-space ambient
    /// occlusion where the backend has it, 4× multisampling elsewhere, every tree.
    #[default]
    High,
}

/// What a [`Quality`] turns on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QualitySettings {
    /// Side of the sun's shadow map, texels.
    pub shadow_map_size: usize,
    pub shadow_cascades: usize,
    /// How far the sun's shadows reach from the camera, metres.
    pub shadow_distance_m: f32,
    /// Screen-space ambient occlusion (never on WebGL2 or WebGPU: Bevy has
    /// it on neither).
    pub ambient_occlusion: bool,
    /// Multisampling (with ambient occlusion, which needs it off, none).
    pub msaa_samples: u32,
    /// Share of the generated trees drawn.
    pub tree_share: f32,
}

/// The quality an app gets when it is given none ([`Quality::set_process_default`]).
static PROCESS_DEFAULT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

impl Quality {
    /// Makes `quality` the one every app of this process starts with
    /// unless it is given a [`Quality`] resource (the command line's
    /// `--quality`).
    pub fn set_process_default(quality: Quality) {
        PROCESS_DEFAULT.store(quality as u8, std::sync::atomic::Ordering::Relaxed);
    }

    /// The quality apps of this process start with: high unless set.
    pub fn process_default() -> Quality {
        if PROCESS_DEFAULT.load(std::sync::atomic::Ordering::Relaxed) == Quality::Low as u8 { Quality::Low } else { Quality::High }
    }

    pub const NAMES: [&'static str; 2] = ["low", "high"];

    /// `low` or `high` (any case, spaces around ignored); anything else is
    /// an error that says what is accepted.
    pub fn parse(text: &str) -> Result<Quality, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "low" => Ok(Quality::Low),
            "high" => Ok(Quality::High),
            _ => Err(format!("unknown quality \"{}\": use low (phones) or high (desktops)", text.trim())),
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Quality::Low => "low",
            Quality::High => "high",
        }
    }

    pub fn settings(self) -> QualitySettings {
        match self {
            Quality::Low => QualitySettings {
                shadow_map_size: 1024,
                shadow_cascades: 1,
                shadow_distance_m: 600.0,
                ambient_occlusion: false,
                msaa_samples: 1,
                tree_share: 0.4,
            },
            Quality::High => QualitySettings {
                shadow_map_size: 4096,
                shadow_cascades: 4,
                shadow_distance_m: 4000.0,
                ambient_occlusion: !cfg!(target_arch = "wasm32"),
                msaa_samples: 4,
                tree_share: 1.0,
            },
        }
    }
}

impl std::str::FromStr for Quality {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quality::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_parses_its_names_and_refuses_nonsense_clearly() {
        assert_eq!(Quality::parse("low"), Ok(Quality::Low));
        assert_eq!(Quality::parse(" HIGH "), Ok(Quality::High));
        for name in Quality::NAMES {
            assert_eq!(Quality::parse(name).map(Quality::id), Ok(name));
        }
        for bad in ["", "medium", "ultra", "lo w", "1"] {
            let e = Quality::parse(bad).expect_err(bad);
            assert!(e.contains("low") && e.contains("high") && e.contains(&format!("\"{}\"", bad.trim())), "{e}");
        }
        assert_eq!(Quality::default(), Quality::High);
        let (low, high) = (Quality::Low.settings(), Quality::High.settings());
        assert!(low.shadow_map_size < high.shadow_map_size && low.tree_share < high.tree_share);
        assert!(!low.ambient_occlusion && low.msaa_samples == 1);
    }
}

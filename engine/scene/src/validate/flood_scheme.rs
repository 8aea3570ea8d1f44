//! A flood scenario's `[flood_scenario.scheme]`: the local-inertial
//! scheme's settings, checked with the line of anything out of range.

use crate::model::{FloodScheme, SchemePreset};
use crate::raw::RawScheme;

use toml::Spanned;

use super::Checker;

/// The scheme a scenario asks for; `None` after an error (reported).
pub(super) fn flood_scheme(c: &mut Checker<'_>, raw: Option<&RawScheme>) -> Option<FloodScheme> {
    let Some(raw) = raw else { return Some(FloodScheme::default()) };
    let mut ok = true;
    let preset = match raw.preset.as_ref() {
        None => SchemePreset::Sontinh,
        Some(p) => match p.get_ref().as_str() {
            "sontinh" => SchemePreset::Sontinh,
            "lisflood-fp" => SchemePreset::LisfloodFp,
            other => {
                c.error(p, format!("unknown scheme preset \"{other}\": expected sontinh or lisflood-fp"));
                ok = false;
                SchemePreset::Sontinh
            }
        },
    };
    let mut value = |v: &Option<Spanned<f64>>, what: &str, range: std::ops::RangeInclusive<f64>| match v {
        None => None,
        Some(v) => {
            let checked = c.finite(v, what, range);
            ok &= checked.is_some();
            checked
        }
    };
    // θ = 1 is Bates et al. (2010)'s scheme; below about 0.5 the averaging
    // of neighbouring discharges no longer damps anything (de Almeida et al. 2012).
    let theta = value(&raw.theta, "theta", 0.5..=1.0);
    // α above 1 breaks the CFL condition the time step is made for.
    let alpha = value(&raw.alpha, "alpha", 0.01..=1.0);
    let froude_limit = value(&raw.froude_limit, "froude_limit", 0.0..=100.0);
    let depth_threshold_m = value(&raw.depth_threshold_m, "depth_threshold_m", 0.0..=1.0);
    let max_time_step_s = value(&raw.max_time_step_s, "max_time_step_s", 0.001..=3600.0);
    ok.then_some(FloodScheme {
        preset,
        theta,
        alpha,
        froude_limit,
        depth_threshold_m,
        max_time_step_s,
    })
}

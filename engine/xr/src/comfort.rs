//! Comfort: a vignette that narrows the view while the user is moved
//! artificially (a known cure for vection sickness), and fades that hide cuts.

/// The linear speed (m/s) at which the vignette is full.
pub const FULL_VIGNETTE_SPEED_MPS: f64 = 4.0;
/// The turning speed (rad/s) at which the vignette is full: 90°/s.
pub const FULL_VIGNETTE_TURN_RAD_S: f64 = std::f64::consts::FRAC_PI_2;

/// The vignette's strength, 0 (none) to 1 (full), for artificial motion at
/// these speeds (their magnitudes are used): the larger of speed / 4 m/s and
/// turn / 90°/s, eased by smoothstep (no jump as motion starts or the cap is
/// reached), capped at 1. A NaN counts as rest, an infinite speed as full.
pub fn vignette_strength(linear_speed_mps: f64, angular_speed_rad_s: f64) -> f64 {
    let ratio = |value: f64, full: f64| if value.is_nan() { 0.0 } else { value.abs() / full };
    let x = ratio(linear_speed_mps, FULL_VIGNETTE_SPEED_MPS)
        .max(ratio(angular_speed_rad_s, FULL_VIGNETTE_TURN_RAD_S))
        .min(1.0);
    x * x * (3.0 - 2.0 * x)
}

/// The opacity of a black fade that hides a cut (a teleport, a tour jump):
/// 0 -> 1 over the first half of `duration_s`, 1 -> 0 over the second (the cut
/// is made at the middle, when the view is black), 0 before, after, and for
/// a duration that is not positive and finite.
pub fn fade_alpha(elapsed_s: f64, duration_s: f64) -> f64 {
    if !(duration_s > 0.0 && duration_s.is_finite() && elapsed_s >= 0.0 && elapsed_s <= duration_s) {
        return 0.0;
    }
    let u = elapsed_s / duration_s;
    if u <= 0.5 { 2.0 * u } else { 2.0 * (1.0 - u) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn vignette_rises_smoothly_to_a_cap() {
        assert_eq!(vignette_strength(0.0, 0.0), 0.0);
        assert_eq!(vignette_strength(4.0, 0.0), 1.0);
        assert_eq!(vignette_strength(0.0, -FULL_VIGNETTE_TURN_RAD_S), 1.0);
        assert_eq!(vignette_strength(40.0, 10.0), 1.0);
        assert_eq!(vignette_strength(f64::INFINITY, 0.0), 1.0);
        assert_eq!(vignette_strength(f64::NAN, f64::NAN), 0.0);
        assert_relative_eq!(vignette_strength(2.0, 0.0), 0.5);
        let mut last = 0.0;
        for i in 1..=100 {
            let s = vignette_strength(0.05 * f64::from(i), 0.0);
            assert!(s >= last && s - last < 0.03, "step {i}: {last} -> {s}");
            last = s;
        }
        // Small speeds give a small vignette: slow walking stays clear.
        assert!(vignette_strength(0.2, 0.0) < 0.01);
    }

    #[test]
    fn fades_go_up_and_down() {
        assert_eq!(fade_alpha(-0.1, 0.4), 0.0);
        assert_eq!(fade_alpha(0.0, 0.4), 0.0);
        assert_relative_eq!(fade_alpha(0.1, 0.4), 0.5);
        assert_eq!(fade_alpha(0.2, 0.4), 1.0);
        assert_relative_eq!(fade_alpha(0.3, 0.4), 0.5);
        assert_relative_eq!(fade_alpha(0.4, 0.4), 0.0);
        assert_eq!(fade_alpha(0.5, 0.4), 0.0);
        assert_eq!(fade_alpha(0.1, 0.0), 0.0);
        assert_eq!(fade_alpha(f64::NAN, 1.0), 0.0);
    }
}

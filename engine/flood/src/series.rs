use crate::FloodError;

/// A piecewise-linear time series of (seconds, value), held constant beyond
/// its first and last points.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeSeries {
    points: Vec<(f64, f64)>,
}

impl TimeSeries {
    pub fn new(points: Vec<(f64, f64)>) -> Result<Self, FloodError> {
        if points.is_empty() {
            return Err(FloodError::Series("a time series needs at least one point".into()));
        }
        for (i, (t, v)) in points.iter().enumerate() {
            if !t.is_finite() || !v.is_finite() {
                return Err(FloodError::Series(format!("point {i} ({t}, {v}) is not finite")));
            }
            if i > 0 && *t <= points[i - 1].0 {
                return Err(FloodError::Series(format!(
                    "times must increase: point {i} at {t} s follows {} s",
                    points[i - 1].0
                )));
            }
        }
        Ok(Self { points })
    }

    /// The (seconds, value) points, times increasing.
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    pub fn constant(value: f64) -> Self {
        Self {
            points: vec![(0.0, value)],
        }
    }

    /// The same series with every value multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Self {
        Self {
            points: self.points.iter().map(|(t, v)| (*t, v * factor)).collect(),
        }
    }

    pub fn at(&self, t: f64) -> f64 {
        let p = &self.points;
        let after = p.partition_point(|(time, _)| *time <= t);
        if after == 0 {
            return p[0].1;
        }
        if after == p.len() {
            return p[p.len() - 1].1;
        }
        let ((t0, v0), (t1, v1)) = (p[after - 1], p[after]);
        v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    }

    /// The integral of the series from `t0` to `t1` (trapezoidal over the
    /// breakpoints, exact for a piecewise-linear series).
    pub fn integral(&self, t0: f64, t1: f64) -> f64 {
        let mut cuts: Vec<f64> = vec![t0];
        cuts.extend(self.points.iter().map(|(t, _)| *t).filter(|t| *t > t0 && *t < t1));
        cuts.push(t1);
        cuts.windows(2).map(|w| (w[1] - w[0]) * (self.at(w[0]) + self.at(w[1])) / 2.0).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_and_integrates() {
        let s = TimeSeries::new(vec![(0.0, 0.0), (10.0, 10.0), (20.0, 0.0)]).unwrap();
        assert_eq!(s.at(-5.0), 0.0);
        assert_eq!(s.at(5.0), 5.0);
        assert_eq!(s.at(15.0), 5.0);
        assert_eq!(s.at(50.0), 0.0);
        assert!((s.integral(0.0, 20.0) - 100.0).abs() < 1e-12);
        assert!((s.integral(5.0, 15.0) - 75.0).abs() < 1e-12);
        assert!(TimeSeries::new(vec![(1.0, 0.0), (1.0, 2.0)]).is_err());
        assert!(TimeSeries::new(vec![(0.0, f64::NAN)]).is_err());
    }
}

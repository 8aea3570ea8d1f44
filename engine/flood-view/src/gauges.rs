//! A run's virtual gauges (`gauges.csv`): the water level the run computed
//! at each gauge of its scenario, over the run's hours. Beside a live
//! gauge's observed levels, this is its forecast.

use bevy::prelude::*;

/// One gauge's series: (hours from the run's start, water level m).
#[derive(Clone, Debug, PartialEq)]
pub struct GaugeSeries {
    pub id: String,
    pub points: Vec<(f64, f64)>,
}

/// The gauges of the shown results.
#[derive(Resource, Default, Debug)]
pub struct FloodGaugeSeries(pub Vec<GaugeSeries>);

/// Lines read at most: a run records a few hundred moments.
const MAX_ROWS: usize = 1_000_000;

/// Reads `time_h,<id>_level_m,<id>_depth_m,…` (as `sontinh flood run`
/// writes it); a malformed header or row is an error naming its line.
pub fn parse_gauges_csv(text: &str) -> Result<Vec<GaugeSeries>, String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("gauges.csv is empty")?.split(',').map(str::trim).collect();
    if header.first() != Some(&"time_h") {
        return Err(format!("gauges.csv line 1: expected time_h first, found {:?}", header.first().unwrap_or(&"")));
    }
    // Each gauge is a pair of columns: its level, then its depth.
    let mut series = Vec::new();
    let mut level_columns = Vec::new();
    for (k, pair) in header[1..].chunks(2).enumerate() {
        let (Some(id), Some(_)) = (pair[0].strip_suffix("_level_m"), pair.get(1).and_then(|d| d.strip_suffix("_depth_m"))) else {
            return Err(format!("gauges.csv line 1: column {} should be <gauge>_level_m then <gauge>_depth_m, found {pair:?}", 2 + 2 * k));
        };
        series.push(GaugeSeries { id: id.to_owned(), points: Vec::new() });
        level_columns.push(1 + 2 * k);
    }
    for (n, line) in lines.enumerate().take(MAX_ROWS) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != header.len() {
            return Err(format!("gauges.csv line {}: {} fields, the header has {}", n + 2, fields.len(), header.len()));
        }
        let number = |i: usize| fields[i].parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("gauges.csv line {}: {:?} is not a number", n + 2, fields[i]));
        let hours = number(0)?;
        for (s, &c) in series.iter_mut().zip(&level_columns) {
            s.points.push((hours, number(c)?));
        }
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_s_gauges_read_as_hours_and_levels_and_bad_rows_are_named() {
        let text = "time_h,thach-han_level_m,thach-han_depth_m,centre_level_m,centre_depth_m\n0.0000,2.5,0.5,4.0,0.0\n0.2500,2.75,0.75,4.0,0.0\n";
        let series = parse_gauges_csv(text).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0], GaugeSeries { id: "thach-han".into(), points: vec![(0.0, 2.5), (0.25, 2.75)] });
        assert_eq!(series[1].id, "centre");
        assert!(parse_gauges_csv("").unwrap_err().contains("empty"));
        assert!(parse_gauges_csv("t,a_level_m,a_depth_m\n").unwrap_err().contains("time_h"));
        assert!(parse_gauges_csv("time_h,a_level_m\n").unwrap_err().contains("column 2"));
        assert!(parse_gauges_csv("time_h,a_level_m,a_depth_m\n0,1\n").unwrap_err().contains("line 2"));
        assert!(parse_gauges_csv("time_h,a_level_m,a_depth_m\n0,1,1\n1,NaN,0\n").unwrap_err().contains("line 3"));
    }
}

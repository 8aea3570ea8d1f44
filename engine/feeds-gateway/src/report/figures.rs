//! What a period's report says, worked out from the stored observations:
//! per gauge its peak, low and the time spent above each alarm level (the
//! level taken as linear between readings, as a hydrograph is drawn), the
//! alarm log (each crossing of a level, up and down, at its interpolated
//! time), cameras' availability and lights' faults. Plain functions of the
//! readings: the handler fetches, these compute.

use sontinh_feeds::{Device, DeviceKind, Observation, Reading};

/// Alarm levels of Vietnam's flood warnings: Báo động I, II, III.
pub const ALARM_NAMES: [&str; 3] = ["I", "II", "III"];

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GaugeFigures {
    pub device: String,
    pub name_vi: String,
    pub name_en: String,
    pub river: String,
    pub alarm_levels_m: [f64; 3],
    pub readings: usize,
    /// (time ms, level m) of the highest and lowest readings.
    pub peak: Option<(i64, f64)>,
    pub low: Option<(i64, f64)>,
    /// Highest alarm level reached: 0 (none) to 3.
    pub highest_alarm: u8,
    /// Time above each alarm level, ms.
    pub above_ms: [i64; 3],
    /// The readings, oldest first, for the hydrograph.
    pub series: Vec<(i64, f64)>,
}

/// A water level crossing an alarm level.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AlarmEvent {
    pub device: String,
    /// Interpolated time of the crossing, ms.
    pub time_ms: i64,
    /// 1 to 3.
    pub alarm: u8,
    pub level_m: f64,
    pub rising: bool,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CameraFigures {
    pub device: String,
    pub name_vi: String,
    pub name_en: String,
    pub readings: usize,
    pub online: usize,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LightFigures {
    pub device: String,
    pub name_vi: String,
    pub name_en: String,
    pub readings: usize,
    pub on: usize,
    /// Readings reporting a fault, and the distinct faults (first few).
    pub faulty: usize,
    pub faults: Vec<String>,
}

/// Distinct faults listed per light at most.
const FAULTS_LISTED: usize = 5;

/// Time above `threshold` and its crossings between two readings, the
/// level linear in between.
fn segment(a: (i64, f64), b: (i64, f64), threshold: f64) -> (i64, Option<(i64, bool)>) {
    let ((t0, l0), (t1, l1)) = (a, b);
    let span = (t1 - t0) as f64;
    let crossing = |rising: bool| {
        let fraction = (threshold - l0) / (l1 - l0);
        (t0 + (fraction * span).round() as i64, rising)
    };
    match (l0 >= threshold, l1 >= threshold) {
        (true, true) => (t1 - t0, None),
        (false, false) => (0, None),
        (false, true) => {
            let (at, rising) = crossing(true);
            (t1 - at, Some((at, rising)))
        }
        (true, false) => {
            let (at, rising) = crossing(false);
            (at - t0, Some((at, rising)))
        }
    }
}

/// A gauge's figures and alarm events from its readings (any order).
pub fn gauge(device: &Device, observations: &[&Observation]) -> Option<(GaugeFigures, Vec<AlarmEvent>)> {
    let DeviceKind::WaterGauge { river, alarm_levels_m } = &device.kind else {
        return None;
    };
    let mut series: Vec<(i64, f64)> = observations
        .iter()
        .filter_map(|o| match o.reading {
            Reading::WaterLevel { level_m } if level_m.is_finite() => Some((o.time_ms, level_m)),
            _ => None,
        })
        .collect();
    series.sort_by_key(|(t, _)| *t);
    let peak = series.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1));
    let low = series.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1));
    let mut above_ms = [0i64; 3];
    let mut events = Vec::new();
    for pair in series.windows(2) {
        for (k, threshold) in alarm_levels_m.iter().enumerate() {
            let (above, crossing) = segment(pair[0], pair[1], *threshold);
            above_ms[k] += above;
            if let Some((time_ms, rising)) = crossing {
                events.push(AlarmEvent {
                    device: device.id.clone(),
                    time_ms,
                    alarm: k as u8 + 1,
                    level_m: *threshold,
                    rising,
                });
            }
        }
    }
    let highest_alarm = peak.map_or(0, |(_, level)| sontinh_feeds::alarm_level(alarm_levels_m, level));
    Some((
        GaugeFigures {
            device: device.id.clone(),
            name_vi: device.names.vi.clone(),
            name_en: device.names.en.clone(),
            river: river.clone(),
            alarm_levels_m: *alarm_levels_m,
            readings: series.len(),
            peak,
            low,
            highest_alarm,
            above_ms,
            series,
        },
        events,
    ))
}

pub fn camera(device: &Device, observations: &[&Observation]) -> Option<CameraFigures> {
    let DeviceKind::Camera { .. } = device.kind else { return None };
    let states: Vec<bool> = observations
        .iter()
        .filter_map(|o| match o.reading {
            Reading::Camera { online, .. } => Some(online),
            _ => None,
        })
        .collect();
    Some(CameraFigures {
        device: device.id.clone(),
        name_vi: device.names.vi.clone(),
        name_en: device.names.en.clone(),
        readings: states.len(),
        online: states.iter().filter(|o| **o).count(),
    })
}

pub fn light(device: &Device, observations: &[&Observation]) -> Option<LightFigures> {
    let DeviceKind::StreetLight = device.kind else { return None };
    let mut figures = LightFigures {
        device: device.id.clone(),
        name_vi: device.names.vi.clone(),
        name_en: device.names.en.clone(),
        readings: 0,
        on: 0,
        faulty: 0,
        faults: Vec::new(),
    };
    for o in observations {
        if let Reading::Light { on, fault, .. } = &o.reading {
            figures.readings += 1;
            figures.on += usize::from(*on);
            if let Some(fault) = fault {
                figures.faulty += 1;
                if figures.faults.len() < FAULTS_LISTED && !figures.faults.contains(fault) {
                    figures.faults.push(fault.clone());
                }
            }
        }
    }
    Some(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauge_device() -> Device {
        serde_json::from_str(
            r#"{"id": "g", "names": {"vi": "Trạm", "en": "Gauge"}, "kind": "water_gauge", "river": "R",
                "alarm_levels_m": [3.0, 4.5, 6.0], "position": [107.0, 16.0, 0.0], "owner": "KTTV",
                "visible_to": ["operator"], "expected_period_s": 3600}"#,
        )
        .unwrap()
    }

    fn level(hour: i64, level_m: f64) -> Observation {
        Observation {
            device: "g".to_owned(),
            time_ms: hour * 3_600_000,
            reading: Reading::WaterLevel { level_m },
        }
    }

    /// A flood wave over the three alarm levels, worked out by hand: the
    /// level rises 2.5, 3.1, 4.7, 6.2, 7.4 m then falls 5.0, 4.0, 2.8 m,
    /// an hour apart (readings given out of order).
    #[test]
    fn times_above_alarm_levels_and_crossings_follow_the_hydrograph() {
        let levels = [2.5, 3.1, 4.7, 6.2, 7.4, 5.0, 4.0, 2.8];
        let mut observations: Vec<Observation> = levels.iter().enumerate().map(|(h, l)| level(h as i64, *l)).collect();
        observations.reverse();
        let refs: Vec<&Observation> = observations.iter().collect();
        let (figures, events) = gauge(&gauge_device(), &refs).unwrap();
        assert_eq!(figures.peak, Some((4 * 3_600_000, 7.4)));
        assert_eq!(figures.low, Some((0, 2.5)));
        assert_eq!(figures.highest_alarm, 3);
        // I (3.0 m): up at 0 h + 0.5/0.6 h, down at 6 h + 1.0/1.2 h: 6 h above.
        // II (4.5 m): up at 1 h + 1.4/1.6 h = 1.875 h, down at 5 h + 0.5 h: 3.625 h.
        // III (6.0 m): up at 2 h + 1.3/1.5 h, down at 4 h + 1.4/2.4 h: 1.71666… h.
        let hours = figures.above_ms.map(|ms| ms as f64 / 3_600_000.0);
        approx::assert_abs_diff_eq!(hours[0], 6.0, epsilon = 1e-6);
        approx::assert_abs_diff_eq!(hours[1], 3.625, epsilon = 1e-6);
        approx::assert_abs_diff_eq!(hours[2], (4.0 + 1.4 / 2.4) - (2.0 + 1.3 / 1.5), epsilon = 1e-6);
        let log: Vec<(u8, bool, i64)> = events.iter().map(|e| (e.alarm, e.rising, e.time_ms)).collect();
        assert_eq!(
            log,
            [
                (1, true, 3_000_000),  // 00:50
                (2, true, 6_750_000),  // 01:52:30
                (3, true, 10_320_000), // 02:52
                (3, false, 16_500_000), // 04:35
                (2, false, 19_800_000), // 05:30
                (1, false, 24_600_000), // 06:50
            ]
        );
    }

    #[test]
    fn a_gauge_below_every_alarm_has_none_and_a_lone_reading_no_duration() {
        let observations = [level(0, 1.0), level(1, 2.9)];
        let refs: Vec<&Observation> = observations.iter().collect();
        let (figures, events) = gauge(&gauge_device(), &refs).unwrap();
        assert_eq!((figures.highest_alarm, figures.above_ms, events.len()), (0, [0, 0, 0], 0));
        let lone = [level(0, 7.0)];
        let refs: Vec<&Observation> = lone.iter().collect();
        let (figures, events) = gauge(&gauge_device(), &refs).unwrap();
        assert_eq!((figures.highest_alarm, figures.above_ms, events.len()), (3, [0, 0, 0], 0));
    }
}

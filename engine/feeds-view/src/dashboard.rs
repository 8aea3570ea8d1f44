//! What the operator's dashboard shows, as plain functions of the feed:
//! the indicators at a glance and a gauge's hydrograph (observed levels,
//! alarm lines, and a flood run's forecast beside them).

use sontinh_feeds::{DeviceKind, FeedClient, Reading, alarm_level};

/// The feed at a glance, at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Indicators {
    /// Reporting gauges below Báo động I, and at I, II and III.
    pub gauges_by_alarm: [usize; 4],
    pub gauges: usize,
    pub cameras_online: usize,
    pub cameras: usize,
    pub lights_on: usize,
    pub lights_faulted: usize,
    pub lights: usize,
    /// Devices that missed their reporting period (or never reported).
    pub stale: usize,
    pub devices: usize,
}

/// Counts each kind of device by its state at `now`; a stale device
/// counts as stale only, never as at an alarm level, online or lit.
pub fn indicators(client: &FeedClient, now: i64) -> Indicators {
    let mut n = Indicators {
        devices: client.devices().len(),
        ..Indicators::default()
    };
    for (i, device) in client.devices().iter().enumerate() {
        let stale = client.is_stale(i, now);
        n.stale += usize::from(stale);
        let reading = if stale { None } else { client.at(i, now).map(|o| &o.reading) };
        match (&device.kind, reading) {
            (DeviceKind::WaterGauge { alarm_levels_m, .. }, reading) => {
                n.gauges += 1;
                if let Some(Reading::WaterLevel { level_m }) = reading {
                    n.gauges_by_alarm[usize::from(alarm_level(alarm_levels_m, *level_m).min(3))] += 1;
                }
            }
            (DeviceKind::Camera { .. }, reading) => {
                n.cameras += 1;
                n.cameras_online += usize::from(matches!(reading, Some(Reading::Camera { online: true, .. })));
            }
            (DeviceKind::StreetLight, reading) => {
                n.lights += 1;
                match reading {
                    Some(Reading::Light { fault: Some(_), .. }) => n.lights_faulted += 1,
                    Some(Reading::Light { on: true, .. }) => n.lights_on += 1,
                    _ => {}
                }
            }
            (DeviceKind::Sensor { .. }, _) => {}
        }
    }
    n
}

/// A gauge's chart: levels over time, its alarm levels, and a forecast.
#[derive(Clone, Debug, PartialEq)]
pub struct Hydrograph {
    /// (ms, m), oldest first, up to the shown moment.
    pub observed: Vec<(i64, f64)>,
    /// (ms, m) of a flood run at this gauge, when one is loaded.
    pub forecast: Vec<(i64, f64)>,
    pub alarm_levels_m: [f64; 3],
    pub now_ms: i64,
    /// The chart's axes: time (ms) and level (m) ranges.
    pub time_range: (i64, i64),
    pub level_range: (f64, f64),
}

/// The hydrograph of gauge `device` as seen at `now`, with `forecast`
/// ((ms, m) points) beside it; `None` for a device that is not a gauge.
pub fn hydrograph(client: &FeedClient, device: usize, now: i64, forecast: Vec<(i64, f64)>) -> Option<Hydrograph> {
    let DeviceKind::WaterGauge { alarm_levels_m, .. } = &client.devices().get(device)?.kind else { return None };
    let observed: Vec<(i64, f64)> = client
        .history(device)
        .filter(|o| o.time_ms <= now)
        .filter_map(|o| match o.reading {
            Reading::WaterLevel { level_m } if level_m.is_finite() => Some((o.time_ms, level_m)),
            _ => None,
        })
        .collect();
    let times = observed.iter().chain(&forecast).map(|p| p.0).chain([now]);
    let start = times.clone().min().unwrap_or(now);
    let end = times.max().unwrap_or(now).max(start + 3_600_000);
    let levels = observed.iter().chain(&forecast).map(|p| p.1).chain(alarm_levels_m.iter().copied());
    let (low, high) = levels.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((high - low) * 0.08).max(0.1);
    Some(Hydrograph {
        observed,
        forecast,
        alarm_levels_m: *alarm_levels_m,
        now_ms: now,
        time_range: (start, end),
        level_range: (low - pad, high + pad),
    })
}

/// A run's (hours, level) series as (ms, level), its hour 0 at `start_ms`.
pub fn forecast_points(series: &[(f64, f64)], start_ms: i64) -> Vec<(i64, f64)> {
    series
        .iter()
        .filter(|(h, l)| h.is_finite() && l.is_finite() && (0.0..=24.0 * 366.0).contains(h))
        .map(|&(h, l)| (start_ms + (h * 3_600_000.0).round() as i64, l))
        .collect()
}

/// Where a (time, level) point falls in a chart of `size` pixels (origin
/// top left), for the hydrograph's ranges.
pub fn chart_position(h: &Hydrograph, time_ms: i64, level_m: f64, size: [f32; 2]) -> [f32; 2] {
    let (t0, t1) = h.time_range;
    let (l0, l1) = h.level_range;
    let x = (time_ms - t0) as f64 / (t1 - t0).max(1) as f64;
    let y = (level_m - l0) / (l1 - l0).max(1e-9);
    [(x * f64::from(size[0])) as f32, ((1.0 - y) * f64::from(size[1])) as f32]
}

//! Labels of the devices on the twin, as plain functions: how fast a gauge
//! rises, and where on screen each label goes so that none covers another.
//! The words themselves belong to the panels (they speak two languages).

use sontinh_feeds::{Observation, Reading};

/// The span over which a gauge's trend is measured, ms.
pub const TREND_WINDOW_MS: i64 = 3_600_000;
/// A trend needs readings at least this far apart, ms.
pub const TREND_MIN_SPAN_MS: i64 = 5 * 60_000;
/// Below this rate a level is steady, m/h: a gauge reads to the
/// centimetre, so one centimetre in half an hour (0.02 m/h) is its noise.
pub const STEADY_M_PER_H: f64 = 0.025;

/// How a gauge's level moves: its rate over the last hour of readings up
/// to `now`, m/h (`None` without two levels at least
/// [`TREND_MIN_SPAN_MS`] apart in that hour).
pub fn level_trend<'a>(history: impl DoubleEndedIterator<Item = &'a Observation>, now_ms: i64) -> Option<f64> {
    // From the newest back: only the last hour before `now` is read.
    let mut last: Option<(i64, f64)> = None;
    let mut first: Option<(i64, f64)> = None;
    for o in history.rev() {
        if o.time_ms > now_ms {
            continue;
        }
        if o.time_ms < now_ms - TREND_WINDOW_MS {
            break;
        }
        let Reading::WaterLevel { level_m } = o.reading else { continue };
        if !level_m.is_finite() {
            continue;
        }
        if last.is_none() {
            last = Some((o.time_ms, level_m));
        }
        first = Some((o.time_ms, level_m));
    }
    let ((t0, l0), (t1, l1)) = (first?, last?);
    let span = t1 - t0;
    (span >= TREND_MIN_SPAN_MS).then(|| (l1 - l0) / (span as f64 / 3_600_000.0))
}

/// The arrow of a trend: rising, falling or steady.
pub fn trend_arrow(rate_m_per_h: f64) -> char {
    if rate_m_per_h > STEADY_M_PER_H {
        '↑'
    } else if rate_m_per_h < -STEADY_M_PER_H {
        '↓'
    } else {
        '→'
    }
}

/// A label that wants a place on screen, in logical pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelRequest {
    /// Which label (the caller's index, e.g. the device's).
    pub key: usize,
    /// The point the label belongs to (the top of the marker).
    pub anchor: [f32; 2],
    pub size: [f32; 2],
    /// Higher first: an alarm before a quiet gauge, a gauge before a lamp.
    pub priority: u32,
    /// Distance from the eye: nearer first among equals.
    pub distance: f32,
}

/// Where a label went: its top-left corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlacedLabel {
    pub key: usize,
    pub min: [f32; 2],
    pub size: [f32; 2],
    /// Whether it sits away from its anchor (draw a leader line).
    pub moved: bool,
}

/// Space kept between labels, px.
pub const LABEL_GAP_PX: f32 = 3.0;

/// Places labels greedily by priority: each takes the first of a few spots
/// around its anchor (above it first) that is inside the viewport, clear
/// of every label placed before it and of the `blocked` rectangles (the
/// panels: (min, size)); a label with no such spot is not drawn. At most
/// `max` labels are placed.
pub fn place_labels(requests: &[LabelRequest], viewport: [f32; 2], blocked: &[([f32; 2], [f32; 2])], max: usize) -> Vec<PlacedLabel> {
    let mut order: Vec<&LabelRequest> = requests
        .iter()
        .filter(|r| r.anchor.iter().chain(&r.size).all(|v| v.is_finite()) && r.size[0] > 0.0 && r.size[1] > 0.0)
        .collect();
    order.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.distance.total_cmp(&b.distance)));
    let mut placed: Vec<PlacedLabel> = Vec::new();
    for r in order {
        if placed.len() >= max {
            break;
        }
        let [w, h] = r.size;
        let [x, y] = r.anchor;
        let g = LABEL_GAP_PX * 2.0;
        // Above, then beside, then below, then further up.
        let spots = [
            ([x - w / 2.0, y - h - g], false),
            ([x + g, y - h - g], true),
            ([x - w - g, y - h - g], true),
            ([x + g * 2.0, y - h / 2.0], true),
            ([x - w - g * 2.0, y - h / 2.0], true),
            ([x - w / 2.0, y + g * 2.0], true),
            ([x - w / 2.0, y - 2.0 * h - 2.0 * g], true),
            ([x - w / 2.0, y - 3.0 * h - 3.0 * g], true),
        ];
        let clear = |min: [f32; 2]| {
            min[0] >= 0.0
                && min[1] >= 0.0
                && min[0] + w <= viewport[0]
                && min[1] + h <= viewport[1]
                && placed.iter().all(|p| !overlaps(min, r.size, p.min, p.size, LABEL_GAP_PX))
                && blocked.iter().all(|(b, size)| !overlaps(min, r.size, *b, *size, 0.0))
        };
        if let Some((min, moved)) = spots.into_iter().find(|(min, _)| clear(*min)) {
            placed.push(PlacedLabel { key: r.key, min, size: r.size, moved });
        }
    }
    placed
}

/// Whether two rectangles come closer than `gap`.
pub fn overlaps(a: [f32; 2], a_size: [f32; 2], b: [f32; 2], b_size: [f32; 2], gap: f32) -> bool {
    a[0] < b[0] + b_size[0] + gap && b[0] < a[0] + a_size[0] + gap && a[1] < b[1] + b_size[1] + gap && b[1] < a[1] + a_size[1] + gap
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn level(time_ms: i64, level_m: f64) -> Observation {
        Observation {
            device: "gauge".into(),
            time_ms,
            reading: Reading::WaterLevel { level_m },
        }
    }

    #[test]
    fn a_gauge_trend_is_its_rise_over_the_last_hour_of_readings() {
        // Readings over 90 minutes: only the last hour counts.
        let h = [level(0, 1.0), level(1_800_000, 1.5), level(3_600_000, 2.0), level(5_400_000, 2.3)];
        let rate = level_trend(h.iter(), 5_400_000).unwrap();
        // From 1.5 m at 30 min to 2.3 m at 90 min: 0.8 m in one hour.
        assert_abs_diff_eq!(rate, 0.8, epsilon = 1e-12);
        assert_eq!(trend_arrow(rate), '↑');
        // Seen at 60 min, the reading of 90 min is in the future.
        assert_abs_diff_eq!(level_trend(h.iter(), 3_600_000).unwrap(), 1.0, epsilon = 1e-12);
        assert_eq!(trend_arrow(-0.5), '↓');
        assert_eq!(trend_arrow(0.01 / 0.5), '→', "one centimetre in half an hour");
    }

    #[test]
    fn one_reading_or_readings_a_minute_apart_give_no_trend() {
        assert_eq!(level_trend([level(0, 1.0)].iter(), 10), None);
        assert_eq!(level_trend([level(0, 1.0), level(60_000, 1.2)].iter(), 60_000), None);
        let camera = Observation {
            device: "camera".into(),
            time_ms: 0,
            reading: Reading::Camera { online: true, snapshot_url: None },
        };
        assert_eq!(level_trend([camera].iter(), 0), None);
    }

    fn request(key: usize, anchor: [f32; 2], priority: u32) -> LabelRequest {
        LabelRequest {
            key,
            anchor,
            size: [120.0, 34.0],
            priority,
            distance: key as f32,
        }
    }

    #[test]
    fn two_labels_on_one_spot_both_show_without_overlap_and_the_alarm_keeps_its_place() {
        let placed = place_labels(&[request(0, [400.0, 300.0], 1), request(1, [400.0, 300.0], 9)], [800.0, 600.0], &[], 10);
        assert_eq!(placed.len(), 2);
        assert_eq!(placed[0].key, 1, "the higher priority is placed first");
        assert_eq!(placed[0].min, [340.0, 300.0 - 34.0 - 6.0], "centred above its anchor");
        assert!(!placed[0].moved && placed[1].moved);
        assert!(!overlaps(placed[0].min, placed[0].size, placed[1].min, placed[1].size, 0.0));
    }

    #[test]
    fn a_crowd_of_labels_never_overlaps_and_stays_on_screen() {
        let viewport = [1280.0, 720.0];
        let requests: Vec<LabelRequest> = (0..2000)
            .map(|k| request(k, [(k * 37 % 1300) as f32 - 10.0, (k * 53 % 740) as f32 - 10.0], (k % 4) as u32))
            .collect();
        let placed = place_labels(&requests, viewport, &[], 500);
        assert!(placed.len() > 20, "only {} placed", placed.len());
        for (i, a) in placed.iter().enumerate() {
            assert!(a.min[0] >= 0.0 && a.min[1] >= 0.0 && a.min[0] + a.size[0] <= viewport[0] && a.min[1] + a.size[1] <= viewport[1]);
            for b in &placed[i + 1..] {
                assert!(!overlaps(a.min, a.size, b.min, b.size, 0.0), "{a:?} overlaps {b:?}");
            }
        }
        // Placed in priority order: no lower priority before a higher one.
        let priorities: Vec<u32> = placed.iter().map(|p| requests[p.key].priority).collect();
        assert!(priorities.windows(2).all(|w| w[0] >= w[1]));
        assert_eq!(place_labels(&requests, viewport, &[], 3).len(), 3);
        // A panel over the left half: no label under it.
        let panel = ([0.0, 0.0], [640.0, 720.0]);
        let beside = place_labels(&requests, viewport, &[panel], 500);
        assert!(!beside.is_empty() && beside.iter().all(|p| p.min[0] >= 640.0), "a label under the panel");
    }

    #[test]
    fn labels_with_non_finite_positions_are_dropped() {
        let mut r = request(0, [f32::NAN, 10.0], 1);
        assert!(place_labels(&[r], [800.0, 600.0], &[], 10).is_empty());
        r.anchor = [100.0, 100.0];
        r.size = [0.0, 10.0];
        assert!(place_labels(&[r], [800.0, 600.0], &[], 10).is_empty());
    }
}

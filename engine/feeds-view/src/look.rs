//! How each device is drawn, as a plain function of its state: which
//! shared material it wears and what differs between markers of a kind.

use sontinh_feeds::{DeviceKind, Reading};

use crate::geometry::{GAUGE_SYMBOL_M, gauge_fill};

/// Which of the shared materials a marker wears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paint {
    Alarm(u8),
    Stale,
    CameraOnline,
    CameraOffline,
    /// A lit lamp, 0–5 from dim to full.
    Light(u8),
    LightOff,
    LightFault,
}

/// What differs between markers of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Bar height in centimetres of the symbol.
    Gauge { bar_cm: i32 },
    Camera { board_shown: bool },
    Light { lumens: u32 },
    Sensor,
}

/// How a device is drawn: compared with the last look, so that only real changes touch the scene.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    pub paint: Paint,
    pub shape: Shape,
}

/// How a device looks at `now`, given its last observation by then.
pub fn device_look(device: &sontinh_feeds::Device, observation: Option<&sontinh_feeds::Observation>, now: i64) -> Look {
    let stale = device.is_stale(observation, now);
    let reading = observation.map(|o| &o.reading);
    match &device.kind {
        DeviceKind::WaterGauge { alarm_levels_m, .. } => {
            let level = match reading {
                Some(Reading::WaterLevel { level_m }) => Some(*level_m),
                _ => None,
            };
            let paint = match level {
                Some(l) if !stale => Paint::Alarm(sontinh_feeds::alarm_level(alarm_levels_m, l)),
                _ => Paint::Stale,
            };
            let fill = level.map_or(0.0, |l| gauge_fill(l, alarm_levels_m));
            Look {
                paint,
                shape: Shape::Gauge {
                    bar_cm: (fill * GAUGE_SYMBOL_M * 100.0).round() as i32,
                },
            }
        }
        DeviceKind::Camera { .. } => {
            let online = matches!(reading, Some(Reading::Camera { online: true, .. }));
            let paint = match (stale, online) {
                (true, _) => Paint::Stale,
                (false, true) => Paint::CameraOnline,
                (false, false) => Paint::CameraOffline,
            };
            Look {
                paint,
                shape: Shape::Camera { board_shown: online && !stale },
            }
        }
        DeviceKind::StreetLight => {
            let (paint, lumens) = match reading {
                _ if stale => (Paint::Stale, 0),
                Some(Reading::Light { fault: Some(_), .. }) => (Paint::LightFault, 0),
                Some(Reading::Light { on: true, dim, .. }) => {
                    let dim = dim.clamp(0.0, 1.0);
                    (Paint::Light((dim * 5.0).round() as u8), (LAMP_LUMENS * dim) as u32)
                }
                _ => (Paint::LightOff, 0),
            };
            Look {
                paint,
                shape: Shape::Light { lumens },
            }
        }
        DeviceKind::Sensor { .. } => Look {
            paint: if stale { Paint::Stale } else { Paint::Alarm(0) },
            shape: Shape::Sensor,
        },
    }
}

/// A street lamp at full power.
pub const LAMP_LUMENS: f64 = 400_000.0;

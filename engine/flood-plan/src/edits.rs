//! What a planner changes in a scenario before running it, and the request
//! a browser's worker gets to run it (the scene's text and address, so that
//! the worker parses the same scene the page shows).

use std::path::Path;

use sontinh_scene::{Breach, FloodScenario, Scene, Text};
use sontinh_wire::{Reader, Writer};

/// A planner's edits to one of the scene's flood scenarios.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioEdits {
    /// Index into the scene's flood scenarios.
    pub scenario: usize,
    pub rain_mm_per_hour: f64,
    /// Rain falls for this many hours from the start.
    pub rain_hours: f64,
    /// Multiplies every inflow hydrograph.
    pub inflow_scale: f64,
    /// A levee breach: where (scene ENU east, north), how wide, down to what level.
    pub breach: Option<[f64; 2]>,
    pub breach_width_m: f64,
    pub breach_level_m: f64,
}

impl ScenarioEdits {
    /// No edits: the scenario as the scene has it.
    pub fn from_scenario(index: usize, s: &FloodScenario) -> ScenarioEdits {
        ScenarioEdits {
            scenario: index,
            rain_mm_per_hour: s.rain_mm_per_hour,
            rain_hours: s.rain_hours.unwrap_or(s.duration_hours),
            inflow_scale: 1.0,
            breach: None,
            breach_width_m: 30.0,
            breach_level_m: 3.0,
        }
    }

    /// A copy of `scene` whose chosen scenario carries the edits.
    pub fn apply(&self, scene: &Scene) -> Option<Scene> {
        let mut edited = scene.clone();
        let s = edited.flood_scenarios.get_mut(self.scenario)?;
        s.rain_mm_per_hour = self.rain_mm_per_hour.max(0.0);
        s.rain_hours = Some(self.rain_hours.clamp(0.0, s.duration_hours));
        for inflow in &mut s.inflows {
            for point in &mut inflow.hydrograph {
                point.1 *= self.inflow_scale.max(0.0);
            }
        }
        if let Some([east, north]) = self.breach {
            // A cut across whatever wall or levee is there, at least one cell
            // long and wide so that it always reaches the grid.
            let half = s.cell_size_m.max(10.0);
            s.breaches.push(Breach {
                name: Text {
                    vi: "Điểm vỡ đê (người lập kế hoạch)".to_owned(),
                    en: "Breach (planner)".to_owned(),
                },
                from: [east - half, north],
                to: [east + half, north],
                width_m: self.breach_width_m.max(s.cell_size_m),
                elevation_m: self.breach_level_m,
            });
        }
        Some(edited)
    }
}

impl ScenarioEdits {
    /// These edits changed by a page's JSON object (`floodPlan(id, edits)`
    /// in the browser): any of `rain_mm_per_hour`, `rain_hours`,
    /// `inflow_scale` and `breach` (`{"east", "north", "width_m",
    /// "level_m"}`, the first two in the scene's ENU metres). Anything else,
    /// or a value out of range, is refused with what was wrong.
    pub fn with_page_json(&self, json: &str) -> Result<ScenarioEdits, String> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("flood edits: not JSON ({e})"))?;
        let object = value.as_object().ok_or("flood edits: not a JSON object")?;
        let number = |object: &serde_json::Map<String, serde_json::Value>, key: &str, min: f64, max: f64| -> Result<Option<f64>, String> {
            match object.get(key) {
                None => Ok(None),
                Some(v) => match v.as_f64() {
                    Some(x) if x.is_finite() && (min..=max).contains(&x) => Ok(Some(x)),
                    _ => Err(format!("flood edits: {key} must be a number from {min} to {max}, not {v}")),
                },
            }
        };
        let mut edits = self.clone();
        for key in object.keys() {
            if !["rain_mm_per_hour", "rain_hours", "inflow_scale", "breach"].contains(&key.as_str()) {
                return Err(format!("flood edits: unknown field {key:?} (rain_mm_per_hour, rain_hours, inflow_scale, breach)"));
            }
        }
        // Bounds a planner could mean: the heaviest rains on record are
        // under 400 mm/h; a year is longer than any scenario.
        if let Some(rain) = number(object, "rain_mm_per_hour", 0.0, 1000.0)? {
            edits.rain_mm_per_hour = rain;
        }
        if let Some(hours) = number(object, "rain_hours", 0.0, 8760.0)? {
            edits.rain_hours = hours;
        }
        if let Some(scale) = number(object, "inflow_scale", 0.0, 100.0)? {
            edits.inflow_scale = scale;
        }
        if let Some(breach) = object.get("breach") {
            let breach = breach.as_object().ok_or("flood edits: breach must be an object {east, north, width_m, level_m}")?;
            for key in breach.keys() {
                if !["east", "north", "width_m", "level_m"].contains(&key.as_str()) {
                    return Err(format!("flood edits: unknown breach field {key:?} (east, north, width_m, level_m)"));
                }
            }
            let at = |key| number(breach, key, -1e6, 1e6)?.ok_or_else(|| format!("flood edits: breach needs {key}"));
            edits.breach = Some([at("east")?, at("north")?]);
            if let Some(width) = number(breach, "width_m", 1.0, 10_000.0)? {
                edits.breach_width_m = width;
            }
            if let Some(level) = number(breach, "level_m", -500.0, 9000.0)? {
                edits.breach_level_m = level;
            }
        }
        Ok(edits)
    }
}

/// A run for a browser's worker: the scene as the page read it (its text
/// and site address) and the planner's edits.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRequest {
    pub scene_url: String,
    pub scene_text: String,
    pub edits: ScenarioEdits,
}

const MAGIC: [u8; 4] = *b"SFRq";

impl RunRequest {
    pub fn to_bytes(&self) -> Vec<u8> {
        let e = &self.edits;
        let mut w = Writer::with_capacity(self.scene_text.len() + self.scene_url.len() + 96);
        w.bytes(&MAGIC);
        w.text(&self.scene_url);
        w.text(&self.scene_text);
        w.len(e.scenario);
        w.f64s(&[e.rain_mm_per_hour, e.rain_hours, e.inflow_scale, e.breach_width_m, e.breach_level_m]);
        match e.breach {
            None => w.u8(0),
            Some(at) => {
                w.u8(1);
                w.f64s(&at);
            }
        }
        w.into_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<RunRequest, String> {
        let mut r = Reader::new(bytes, "a flood run request");
        if r.take(4, "its magic")? != MAGIC {
            return Err(r.error("not a flood run request"));
        }
        let scene_url = r.text("the scene's address")?;
        let scene_text = r.text("the scene's text")?;
        let scenario = r.len("the scenario's index")?;
        let [rain_mm_per_hour, rain_hours, inflow_scale, breach_width_m, breach_level_m] = r.f64s("the edits")?;
        let breach = match r.u8("whether there is a breach")? {
            0 => None,
            1 => Some(r.f64s("the breach's position")?),
            other => return Err(r.error(format!("breach flag {other} (0 or 1)"))),
        };
        r.finish("the request")?;
        Ok(RunRequest {
            scene_url,
            scene_text,
            edits: ScenarioEdits { scenario, rain_mm_per_hour, rain_hours, inflow_scale, breach, breach_width_m, breach_level_m },
        })
    }

    /// The edited scene, parsed as the page parsed it (its paths are site
    /// addresses), and the id of the scenario to run.
    pub fn scene(&self) -> Result<(Scene, String), String> {
        let resolver = sontinh_scene::SiteResolver::new(self.scene_url.clone());
        let scene = sontinh_scene::parse(&self.scene_text, Path::new(&self.scene_url), &resolver).map_err(|e| format!("{}: {e}", self.scene_url))?;
        let edited = self.edits.apply(&scene).ok_or_else(|| format!("{}: no flood scenario number {}", self.scene_url, self.edits.scenario + 1))?;
        let id = edited.flood_scenarios[self.edits.scenario].id.clone();
        Ok((edited, id))
    }
}

//! Which tile contents to hold in memory: loads are started for the wanted
//! tiles, a few at a time, nearest first; when the held bytes pass the
//! budget, the tiles drawn longest ago are dropped (never one drawn now).
//! When even the tiles drawn now do not fit, the selection is made coarser
//! ([`Residency::error_scale`], as CesiumJS's memory-adjusted screen-space
//! error) until they do, and finer again once there is room.
//! Plain bookkeeping, so that the viewer and the flight benchmark share it.

use std::collections::{HashMap, HashSet};

/// What a frame should do.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FramePlan {
    /// Tiles whose loading starts now.
    pub load: Vec<usize>,
    /// Loaded tiles to drop now.
    pub evict: Vec<usize>,
}

#[derive(Clone, Copy, Debug)]
struct Held {
    bytes: usize,
    last_drawn: u64,
}

/// The residency of one tileset's contents.
#[derive(Clone, Debug)]
pub struct Residency {
    pub budget_bytes: usize,
    pub parallel_loads: usize,
    held: HashMap<usize, Held>,
    loading: HashSet<usize>,
    failed: HashMap<usize, String>,
    frame: u64,
    held_bytes: usize,
    peak_bytes: usize,
    /// Loads finished and tiles evicted so far.
    pub loads: usize,
    pub evictions: usize,
    error_scale: f64,
    /// The scale the drawn tiles last overflowed below: while the view
    /// stays, the selection is not made finer than this again (it would
    /// only overflow again, and swing back and forth).
    error_floor: f64,
}

/// Each frame over budget makes the allowed screen error this much larger;
/// each frame with room, this much smaller again.
pub const ERROR_SCALE_STEP: f64 = 1.05;
/// The coarsest the selection is made: 256 times the allowed error.
pub const MAX_ERROR_SCALE: f64 = 256.0;
/// The selection is made finer again only below this share of the budget
/// and with no load in flight, so that it does not swing back over at once.
pub const REFINE_BELOW_SHARE: f64 = 0.5;

impl Residency {
    pub fn new(budget_bytes: usize, parallel_loads: usize) -> Self {
        Residency {
            budget_bytes,
            parallel_loads: parallel_loads.max(1),
            held: HashMap::new(),
            loading: HashSet::new(),
            failed: HashMap::new(),
            frame: 0,
            held_bytes: 0,
            peak_bytes: 0,
            loads: 0,
            evictions: 0,
            error_scale: 1.0,
            error_floor: 1.0,
        }
    }

    /// The camera moved (or the budget changed): a finer selection may fit
    /// now, so the floor that kept a still view from swinging goes.
    pub fn view_changed(&mut self) {
        self.error_floor = 1.0;
    }

    /// The factor to multiply the allowed screen-space error by: 1 while
    /// the tiles fit the budget, larger while the tiles drawn alone exceed it.
    pub fn error_scale(&self) -> f64 {
        self.error_scale
    }

    /// Loaded, or failed (nothing to wait for: its error is reported).
    pub fn is_ready(&self, tile: usize) -> bool {
        self.held.contains_key(&tile) || self.failed.contains_key(&tile)
    }

    pub fn is_held(&self, tile: usize) -> bool {
        self.held.contains_key(&tile)
    }

    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// The most ever held at the end of a frame: evictions run at frame end,
    /// so this is what the budget bounds (plus what one frame's loads add).
    pub fn peak_bytes(&self) -> usize {
        self.peak_bytes
    }

    pub fn loading_count(&self) -> usize {
        self.loading.len()
    }

    pub fn failures(&self) -> impl Iterator<Item = (&usize, &String)> {
        self.failed.iter()
    }

    /// A load started by [`Residency::plan`] finished.
    pub fn finished(&mut self, tile: usize, result: Result<usize, String>) {
        if !self.loading.remove(&tile) {
            return;
        }
        match result {
            Ok(bytes) => {
                self.held.insert(tile, Held { bytes, last_drawn: self.frame });
                self.held_bytes += bytes;
                self.loads += 1;
            }
            Err(why) => {
                self.failed.insert(tile, why);
            }
        }
    }

    /// One frame: `draw` are the tiles drawn now, `wanted` those to load,
    /// nearest first (both from [`crate::select`]).
    pub fn plan(&mut self, draw: &HashSet<usize>, wanted: &[usize]) -> FramePlan {
        self.frame += 1;
        for tile in draw {
            if let Some(h) = self.held.get_mut(tile) {
                h.last_drawn = self.frame;
            }
        }
        let mut plan = FramePlan::default();
        for &tile in wanted {
            if self.loading.len() >= self.parallel_loads {
                break;
            }
            if self.loading.contains(&tile) || self.is_ready(tile) {
                continue;
            }
            self.loading.insert(tile);
            plan.load.push(tile);
        }
        if self.held_bytes > self.budget_bytes {
            let mut old: Vec<(u64, usize)> = self.held.iter().filter(|(t, _)| !draw.contains(t)).map(|(t, h)| (h.last_drawn, *t)).collect();
            old.sort_unstable();
            for (_, tile) in old {
                if self.held_bytes <= self.budget_bytes {
                    break;
                }
                if let Some(h) = self.held.remove(&tile) {
                    self.held_bytes -= h.bytes;
                    self.evictions += 1;
                    plan.evict.push(tile);
                }
            }
        }
        self.peak_bytes = self.peak_bytes.max(self.held_bytes);
        // Still over after dropping every tile not drawn: coarser next frame.
        let budget = self.budget_bytes as f64;
        if self.held_bytes > self.budget_bytes {
            self.error_scale = (self.error_scale * ERROR_SCALE_STEP).min(MAX_ERROR_SCALE);
            self.error_floor = self.error_scale;
        } else if (self.held_bytes as f64) < REFINE_BELOW_SHARE * budget && self.loading.is_empty() {
            self.error_scale = (self.error_scale / ERROR_SCALE_STEP).max(self.error_floor).max(1.0);
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_are_limited_and_old_tiles_leave_first() {
        let mut r = Residency::new(250, 2);
        let plan = r.plan(&HashSet::new(), &[1, 2, 3]);
        assert_eq!(plan.load, vec![1, 2]);
        assert!(!r.is_ready(1));
        r.finished(1, Ok(100));
        r.finished(2, Err("truncated".into()));
        assert!(r.is_ready(2) && !r.is_held(2));
        // Tile 3 starts; 1 is drawn.
        let plan = r.plan(&HashSet::from([1]), &[3]);
        assert_eq!(plan.load, vec![3]);
        r.finished(3, Ok(100));
        r.plan(&HashSet::from([3]), &[4]);
        r.finished(4, Ok(100));
        // 300 bytes held, 250 allowed: tile 1, drawn longest ago, goes; 4 is drawn and stays.
        let plan = r.plan(&HashSet::from([4]), &[]);
        assert_eq!(plan.evict, vec![1]);
        assert_eq!(r.held_bytes(), 200);
        assert_eq!((r.loads, r.evictions), (3, 1));
        // Tiles drawn now are never dropped, even over budget.
        let plan = r.plan(&HashSet::from([3, 4]), &[]);
        assert!(plan.evict.is_empty());
        // A finished report for a tile never started is ignored.
        r.finished(99, Ok(1_000_000));
        assert_eq!(r.held_bytes(), 200);
    }

    #[test]
    fn the_error_scale_grows_while_the_drawn_tiles_overflow_and_relaxes_with_room() {
        let mut r = Residency::new(100, 4);
        r.plan(&HashSet::new(), &[1, 2]);
        r.finished(1, Ok(80));
        r.finished(2, Ok(80));
        assert_eq!(r.error_scale(), 1.0);
        // Both drawn, 160 of 100: one step coarser per frame, up to the cap.
        r.plan(&HashSet::from([1, 2]), &[]);
        assert!((r.error_scale() - ERROR_SCALE_STEP).abs() < 1e-12);
        for _ in 0..1000 {
            r.plan(&HashSet::from([1, 2]), &[]);
        }
        assert_eq!(r.error_scale(), MAX_ERROR_SCALE);
        // Only tile 1 drawn: 2 goes, 80 of 100 held: above half, the scale stays.
        let plan = r.plan(&HashSet::from([1]), &[]);
        assert_eq!(plan.evict, vec![2]);
        assert_eq!(r.error_scale(), MAX_ERROR_SCALE);
        // A small tile instead: 10 of 100, nothing loading: finer step by step, never below 1.
        r.plan(&HashSet::new(), &[3]);
        r.finished(3, Ok(10));
        r.budget_bytes = 10;
        r.plan(&HashSet::from([3]), &[]);
        r.budget_bytes = 100;
        // The view stays: no finer than where it last overflowed.
        let before = r.error_scale();
        r.plan(&HashSet::from([3]), &[]);
        assert_eq!(r.error_scale(), before);
        r.view_changed();
        r.plan(&HashSet::from([3]), &[]);
        assert!((r.error_scale() - before / ERROR_SCALE_STEP).abs() < 1e-9);
        for _ in 0..1000 {
            r.plan(&HashSet::from([3]), &[]);
        }
        assert_eq!(r.error_scale(), 1.0);
    }
}

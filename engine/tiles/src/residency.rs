//! Which tile contents to hold in memory: loads are started for the wanted
//! tiles, a few at a time, nearest first; when the held bytes pass the
//! budget, the tiles drawn longest ago are dropped (never one drawn now).
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
}

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
        }
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
}

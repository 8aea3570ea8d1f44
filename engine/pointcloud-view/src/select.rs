//! Which nodes to show: plain functions, tested without an `App`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

/// A node key as (level, x, y, z); mirrors the COPC key.
pub type Key = (i32, i32, i32, i32);

/// What selection needs to know of a node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeView {
    pub point_count: u64,
    /// World-space bounds.
    pub min: [f32; 3],
    pub max: [f32; 3],
    /// World-space spacing of the node's points.
    pub spacing: f32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewpoint {
    pub eye: [f32; 3],
    /// Pixels that one world unit covers at one unit of distance:
    /// viewport height / (2 tan(fov/2)).
    pub pixels_per_unit: f32,
}

/// Screen-space error of a node: how many pixels its point spacing covers
/// seen from the viewpoint (at the node's nearest point).
pub fn screen_space_error(node: &NodeView, view: &Viewpoint) -> f32 {
    let mut d2 = 0.0f32;
    for a in 0..3 {
        let e = view.eye[a];
        let d = if e < node.min[a] {
            node.min[a] - e
        } else if e > node.max[a] {
            e - node.max[a]
        } else {
            0.0
        };
        d2 += d * d;
    }
    node.spacing * view.pixels_per_unit / d2.sqrt().max(1e-3)
}

struct Candidate {
    sse: f32,
    key: Key,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.sse == other.sse
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sse.total_cmp(&other.sse).then_with(|| other.key.cmp(&self.key))
    }
}

/// Nodes to show, largest screen-space error first, until the point budget
/// is spent; a node is only refined (its children considered) when its
/// error exceeds `min_sse_px`, and only visible nodes count.
pub fn select_nodes(
    nodes: &HashMap<Key, NodeView>,
    view: &Viewpoint,
    visible: impl Fn(&NodeView) -> bool,
    point_budget: u64,
    min_sse_px: f32,
) -> Vec<Key> {
    let root = (0, 0, 0, 0);
    let mut selected = Vec::new();
    let mut spent = 0u64;
    let mut heap = BinaryHeap::new();
    if let Some(node) = nodes.get(&root) {
        heap.push(Candidate {
            sse: screen_space_error(node, view),
            key: root,
        });
    }
    while let Some(Candidate { sse, key }) = heap.pop() {
        let Some(node) = nodes.get(&key) else { continue };
        if !visible(node) {
            continue;
        }
        if spent + node.point_count > point_budget {
            // Other, smaller candidates may still fit.
            continue;
        }
        spent += node.point_count;
        selected.push(key);
        if sse <= min_sse_px {
            continue;
        }
        let (l, x, y, z) = key;
        for i in 0..8 {
            let child = (l + 1, 2 * x + (i & 1), 2 * y + ((i >> 1) & 1), 2 * z + ((i >> 2) & 1));
            if let Some(c) = nodes.get(&child) {
                heap.push(Candidate {
                    sse: screen_space_error(c, view),
                    key: child,
                });
            }
        }
    }
    selected
}

/// For every selected node, the deepest level selected in its subtree
/// (itself included): the density its points are drawn at.
pub fn deepest_selected_level(selected: &[Key]) -> HashMap<Key, i32> {
    let mut deepest: HashMap<Key, i32> = HashMap::new();
    for &(level, x, y, z) in selected {
        for up in 0..=level {
            let ancestor = (level - up, x >> up, y >> up, z >> up);
            let entry = deepest.entry(ancestor).or_insert(level);
            *entry = (*entry).max(level);
        }
    }
    let chosen: std::collections::HashSet<&Key> = selected.iter().collect();
    deepest.retain(|k, _| chosen.contains(k));
    deepest
}

/// Nodes to drop when more than `keep_points` are loaded: those not wanted
/// now, least recently wanted first.
pub fn eviction_order(loaded: &HashMap<Key, (u64, u64)>, wanted: &[Key], keep_points: u64) -> Vec<Key> {
    let mut total: u64 = loaded.values().map(|(points, _)| points).sum();
    let wanted: std::collections::HashSet<&Key> = wanted.iter().collect();
    let mut idle: Vec<(&Key, &(u64, u64))> = loaded.iter().filter(|(k, _)| !wanted.contains(k)).collect();
    idle.sort_by_key(|(k, (_, last_used))| (*last_used, **k));
    let mut out = Vec::new();
    for (key, (points, _)) in idle {
        if total <= keep_points {
            break;
        }
        total -= points;
        out.push(*key);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-level octree over a 100 m cube at the origin.
    fn tree() -> HashMap<Key, NodeView> {
        let mut nodes = HashMap::new();
        nodes.insert(
            (0, 0, 0, 0),
            NodeView {
                point_count: 1000,
                min: [0.0; 3],
                max: [100.0; 3],
                spacing: 1.0,
            },
        );
        for i in 0..8 {
            let (x, y, z) = (i & 1, (i >> 1) & 1, (i >> 2) & 1);
            let min = [50.0 * x as f32, 50.0 * y as f32, 50.0 * z as f32];
            nodes.insert(
                (1, x, y, z),
                NodeView {
                    point_count: 1000,
                    min,
                    max: [min[0] + 50.0, min[1] + 50.0, min[2] + 50.0],
                    spacing: 0.5,
                },
            );
        }
        nodes
    }

    #[test]
    fn near_nodes_refine_first_and_the_budget_holds() {
        let nodes = tree();
        let view = Viewpoint {
            eye: [-10.0, 10.0, 10.0],
            pixels_per_unit: 1000.0,
        };
        let all = select_nodes(&nodes, &view, |_| true, 1_000_000, 1.0);
        assert_eq!(all.len(), 9);
        let some = select_nodes(&nodes, &view, |_| true, 3000, 1.0);
        assert_eq!(some.len(), 3);
        assert_eq!(some[0], (0, 0, 0, 0));
        assert_eq!(some[1], (1, 0, 0, 0), "the child nearest the eye comes first");
    }

    #[test]
    fn far_away_clouds_stay_coarse_and_hidden_nodes_are_skipped() {
        let nodes = tree();
        let far = Viewpoint {
            eye: [100_000.0, 0.0, 0.0],
            pixels_per_unit: 1000.0,
        };
        assert_eq!(select_nodes(&nodes, &far, |_| true, 1_000_000, 1.0), vec![(0, 0, 0, 0)]);
        let near = Viewpoint {
            eye: [-10.0, 10.0, 10.0],
            pixels_per_unit: 1000.0,
        };
        let left_half = select_nodes(&nodes, &near, |n| n.min[0] < 50.0, 1_000_000, 1.0);
        assert_eq!(left_half.len(), 5);
    }

    #[test]
    fn coarse_nodes_take_the_density_of_their_finest_selected_descendant() {
        let deepest = deepest_selected_level(&[(0, 0, 0, 0), (1, 1, 0, 0), (2, 2, 0, 0), (1, 0, 1, 0)]);
        assert_eq!(deepest[&(0, 0, 0, 0)], 2);
        assert_eq!(deepest[&(1, 1, 0, 0)], 2);
        assert_eq!(deepest[&(1, 0, 1, 0)], 1);
        assert_eq!(deepest.len(), 4);
    }

    #[test]
    fn eviction_drops_the_least_recently_wanted() {
        let mut loaded = HashMap::new();
        loaded.insert((1, 0, 0, 0), (100, 5));
        loaded.insert((1, 1, 0, 0), (100, 1));
        loaded.insert((1, 0, 1, 0), (100, 9));
        let out = eviction_order(&loaded, &[(1, 0, 1, 0)], 150);
        assert_eq!(out, vec![(1, 1, 0, 0), (1, 0, 0, 0)]);
        assert!(eviction_order(&loaded, &[], 1000).is_empty());
    }
}

//! Where node points come from: behind [`NodeSource`] so that the browser
//! can read COPC over HTTP range requests with the same viewer code.

use std::collections::HashMap;

use crate::select::Key;

/// The octree cube and spacing of a cloud, in file units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Octree {
    pub center: [f64; 3],
    pub halfsize: f64,
    pub spacing: f64,
}

impl Octree {
    pub fn node_bounds(&self, key: Key) -> ([f64; 3], [f64; 3]) {
        let size = 2.0 * self.halfsize / f64::from(1u32 << key.0.clamp(0, 30));
        let min = [
            self.center[0] - self.halfsize + f64::from(key.1) * size,
            self.center[1] - self.halfsize + f64::from(key.2) * size,
            self.center[2] - self.halfsize + f64::from(key.3) * size,
        ];
        (min, [min[0] + size, min[1] + size, min[2] + size])
    }
}

/// Decoded points of one node, in file coordinates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawNode {
    pub xyz: Vec<[f64; 3]>,
    pub rgb: Option<Vec<[u16; 3]>>,
    pub intensity: Vec<u16>,
    pub class: Vec<u8>,
    pub return_number: Vec<u8>,
}

/// A cloud's octree and node reader.
pub trait NodeSource: Send + Sync {
    fn octree(&self) -> Octree;
    /// Points per node, for every node of the hierarchy.
    fn node_counts(&self) -> &HashMap<Key, u64>;
    fn read_node(&self, key: Key) -> Result<RawNode, String>;
}

#[cfg(not(target_arch = "wasm32"))]
pub use local::LocalCopc;

#[cfg(not(target_arch = "wasm32"))]
mod local {
    use std::collections::HashMap;

    use sontinh_pointcloud::PointCloudFile;
    use sontinh_pointcloud::copc::NodeKey;

    use super::{NodeSource, Octree, RawNode};
    use crate::select::Key;

    /// A COPC file on the local disk.
    pub struct LocalCopc {
        pub file: PointCloudFile,
        counts: HashMap<Key, u64>,
        octree: Octree,
    }

    impl LocalCopc {
        pub fn new(file: PointCloudFile) -> Result<LocalCopc, String> {
            let (info, hierarchy) = file.copc.as_ref().ok_or_else(|| format!("{}: not a COPC file", file.path.display()))?;
            let counts = hierarchy.nodes.iter().map(|(k, e)| ((k.level, k.x, k.y, k.z), e.point_count)).collect();
            let octree = Octree {
                center: info.center,
                halfsize: info.halfsize,
                spacing: info.spacing,
            };
            Ok(LocalCopc { file, counts, octree })
        }
    }

    impl NodeSource for LocalCopc {
        fn octree(&self) -> Octree {
            self.octree
        }

        fn node_counts(&self) -> &HashMap<Key, u64> {
            &self.counts
        }

        fn read_node(&self, key: Key) -> Result<RawNode, String> {
            let node_key = NodeKey {
                level: key.0,
                x: key.1,
                y: key.2,
                z: key.3,
            };
            let Some((_, hierarchy)) = &self.file.copc else { return Err("not a COPC file".to_owned()) };
            let entry = *hierarchy.nodes.get(&node_key).ok_or_else(|| format!("no node {key:?}"))?;
            if entry.point_count == 0 {
                return Ok(RawNode::default());
            }
            let points = self.file.read_node(entry).map_err(|e| e.to_string())?;
            Ok(RawNode {
                xyz: points.x().zip(points.y()).zip(points.z()).map(|((x, y), z)| [x, y, z]).collect(),
                rgb: points.rgb().map(|c| c.map(|(r, g, b)| [r, g, b]).collect()),
                intensity: points.intensity().collect(),
                class: points.classification().collect(),
                return_number: points.return_number().collect(),
            })
        }
    }
}

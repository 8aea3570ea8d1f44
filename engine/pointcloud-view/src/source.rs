//! Where node points come from: behind [`NodeSource`] so that the browser
//! can read COPC over HTTP range requests with the same viewer code.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use bevy::tasks::BoxedFuture;
use sontinh_layers::{file_range, workers};
use sontinh_pointcloud::PointCloudFile;
use sontinh_pointcloud::copc::NodeEntry;
use sontinh_pointcloud::decoded_node::DecodedNode;
use sontinh_pointcloud::ranged::open_by_ranges;

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
pub type RawNode = DecodedNode;

/// A cloud's octree and node reader.
pub trait NodeSource: Send + Sync {
    fn octree(&self) -> Octree;
    /// Points per node, for every node of the hierarchy.
    fn node_counts(&self) -> &HashMap<Key, u64>;
    /// Reads one node: in the browser over the network, so a future.
    fn read_node(&self, key: Key) -> BoxedFuture<'static, Result<RawNode, String>>;
}

/// A COPC file read by byte ranges: from disk natively, by HTTP range
/// requests in the browser (its index when opened, then one range per
/// node), through one code path.
pub struct RangedCopc {
    inner: Arc<Opened>,
    counts: HashMap<Key, u64>,
    octree: Octree,
}

struct Opened {
    file: PointCloudFile,
    nodes: HashMap<Key, NodeEntry>,
    /// The file's id in the page's decoding workers, when they hold its
    /// index (in the browser): its nodes then decode there.
    pooled: Option<u32>,
}

impl RangedCopc {
    /// Opens `location` (a disk path natively, a site address in the
    /// browser), fetching only its header, records and hierarchy. A file
    /// that is not COPC comes back as itself, for the caller to convert.
    pub async fn open(location: &Path) -> Result<Result<RangedCopc, PointCloudFile>, String> {
        let (file, partial) = open_by_ranges(location, |start, len| file_range(location, start, len)).await.map_err(|e| e.to_string())?;
        let Some((info, hierarchy)) = &file.copc else { return Ok(Err(file)) };
        // In the browser, the page's workers get the index and decode the nodes.
        let pooled = if cfg!(target_arch = "wasm32") {
            let id = workers::next_file_id();
            let registered = workers::register_copc(id, &location.to_string_lossy(), &partial.to_bytes());
            if !registered {
                bevy::log::warn!("{}: the page has no decoding workers; its nodes decode on the main thread", location.display());
            }
            registered.then_some(id)
        } else {
            None
        };
        let nodes: HashMap<Key, NodeEntry> = hierarchy.nodes.iter().map(|(k, e)| ((k.level, k.x, k.y, k.z), *e)).collect();
        let counts = nodes.iter().map(|(k, e)| (*k, e.point_count)).collect();
        let octree = Octree {
            center: info.center,
            halfsize: info.halfsize,
            spacing: info.spacing,
        };
        Ok(Ok(RangedCopc {
            inner: Arc::new(Opened { file, nodes, pooled }),
            counts,
            octree,
        }))
    }

    pub fn file(&self) -> &PointCloudFile {
        &self.inner.file
    }
}

impl NodeSource for RangedCopc {
    fn octree(&self) -> Octree {
        self.octree
    }

    fn node_counts(&self) -> &HashMap<Key, u64> {
        &self.counts
    }

    fn read_node(&self, key: Key) -> BoxedFuture<'static, Result<RawNode, String>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let entry = *inner.nodes.get(&key).ok_or_else(|| format!("no node {key:?}"))?;
            if entry.point_count == 0 {
                return Ok(RawNode::default());
            }
            let (mut bytes, _) = file_range(&inner.file.path, entry.offset, entry.byte_size).await?;
            if let Some(id) = inner.pooled {
                match workers::decode_copc_node(id, entry.offset, entry.byte_size, entry.point_count, bytes).await {
                    Ok(decoded) => return DecodedNode::from_bytes(&decoded?),
                    // The pool went away (its workers failed): decode here.
                    Err(chunk) => bytes = chunk,
                }
            }
            let points = inner.file.decode_node_chunk(entry, bytes).map_err(|e| e.to_string())?;
            Ok(DecodedNode::from_point_data(&points))
        })
    }
}

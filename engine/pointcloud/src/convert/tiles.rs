//! Converting a survey too large for one machine: as independent tiles on
//! a batch engine, then one merge.
//!
//! 1. **Plan** ([`plan_tiles`], from the inputs' headers alone): the octree
//!    over every input is the one a single conversion would build; each node
//!    of a chosen level that some input's bounds reach is a tile, with the
//!    inputs it needs.
//! 2. **Tiles** ([`convert_tile`], one batch job each, anywhere): a tile
//!    reads its inputs, keeps the points in its node and builds that node's
//!    subtree exactly as [`super::convert`] builds a chunk's; its file is a
//!    COPC file of the whole octree's cube that holds only that subtree.
//! 3. **Merge** ([`merge_tiles`]): the tiles' nodes below their roots are
//!    copied as they are (no decompression); the levels above the tiles are
//!    built from the tile roots' points, as the levels above the chunks are.
//!
//! Every job derives the output's point format, grid and cube from all the
//! inputs' headers in the same way, so the tiles agree; the merge checks
//! that they do.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{CHUNK_MAX, ConvertSummary, Cube, GRID, IndexContext, NodeWriter, OutputFormat, Progress, base_record_len, convert_region, is_within, temp_dir_beside};
use crate::copc::{CopcInfo, Hierarchy, NodeEntry, NodeKey, decode_node};
use crate::{PointCloudError, PointCloudFile};

/// Deepest tile level: 8^6 tiles are more than any batch needs.
pub const MAX_TILE_LEVEL: i32 = 6;

/// The tiles of a conversion, for the batch engine (serialised as JSON).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TilePlan {
    /// Every input of the conversion, in order; every tile job sees all of
    /// their headers.
    pub inputs: Vec<PathBuf>,
    pub level: i32,
    pub tiles: Vec<PlannedTile>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlannedTile {
    /// `level-x-y-z`, as COPC names nodes.
    pub key: String,
    /// Indices into [`TilePlan::inputs`] of the inputs whose bounds reach it.
    pub inputs: Vec<usize>,
    /// Points of those inputs: at most what the tile holds.
    pub points_at_most: u64,
}

/// `level-x-y-z` of a node.
pub fn node_name(key: NodeKey) -> String {
    format!("{}-{}-{}-{}", key.level, key.x, key.y, key.z)
}

/// A node from `level-x-y-z`, checked to lie in the octree.
pub fn parse_node_name(text: &str) -> Result<NodeKey, String> {
    let parts: Vec<&str> = text.split('-').collect();
    let numbers: Vec<i32> = parts
        .iter()
        .map(|p| p.parse::<i32>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("node {text:?} is not level-x-y-z"))?;
    let [level, x, y, z] = numbers[..] else {
        return Err(format!("node {text:?} is not level-x-y-z"));
    };
    if !(0..=MAX_TILE_LEVEL).contains(&level) {
        return Err(format!("node {text:?}: the level must be 0 to {MAX_TILE_LEVEL}"));
    }
    let side = 1i32 << level;
    if [x, y, z].iter().any(|v| !(0..side).contains(v)) {
        return Err(format!("node {text:?}: x, y and z must be 0 to {} at level {level}", side - 1));
    }
    Ok(NodeKey { level, x, y, z })
}

/// The tiles at `level` of the octree over `inputs`, from their headers.
pub fn plan_tiles(inputs: &[PathBuf], level: i32) -> Result<TilePlan, PointCloudError> {
    let first = inputs.first().ok_or_else(|| PointCloudError::invalid(Path::new("."), "no input files".to_owned()))?;
    if !(0..=MAX_TILE_LEVEL).contains(&level) {
        return Err(PointCloudError::invalid(first, format!("tile level {level} is outside 0 to {MAX_TILE_LEVEL}")));
    }
    let files = inputs.iter().map(|p| PointCloudFile::open(p)).collect::<Result<Vec<_>, _>>()?;
    let (_, plans) = super::plan_output(files).map_err(|e| PointCloudError::invalid(first, e))?;
    let bounds = super::header_bounds(&plans);
    let cube = Cube::around(bounds.0, bounds.1);
    let mut tiles: std::collections::BTreeMap<NodeKey, PlannedTile> = std::collections::BTreeMap::new();
    for (index, plan) in plans.iter().enumerate() {
        let layout = &plan.file.layout;
        if layout.point_count == 0 {
            continue;
        }
        let (lo, hi) = (cube.cell(layout.min, level), cube.cell(layout.max, level));
        for z in lo[2]..=hi[2] {
            for y in lo[1]..=hi[1] {
                for x in lo[0]..=hi[0] {
                    let key = NodeKey { level, x, y, z };
                    let tile = tiles.entry(key).or_insert_with(|| PlannedTile {
                        key: node_name(key),
                        inputs: Vec::new(),
                        points_at_most: 0,
                    });
                    tile.inputs.push(index);
                    tile.points_at_most += layout.point_count;
                }
            }
        }
    }
    Ok(TilePlan {
        inputs: inputs.to_vec(),
        level,
        tiles: tiles.into_values().collect(),
    })
}

/// One tile of `plan`, named `level-x-y-z`, into `output`.
pub fn convert_tile(plan: &TilePlan, tile: &str, output: &Path, progress: &dyn Progress) -> Result<ConvertSummary, PointCloudError> {
    let key = parse_node_name(tile).map_err(|e| PointCloudError::invalid(output, e))?;
    let planned = plan
        .tiles
        .iter()
        .find(|t| t.key == tile)
        .ok_or_else(|| PointCloudError::invalid(output, format!("tile {tile} is not in the plan ({} tiles at level {})", plan.tiles.len(), plan.level)))?;
    convert_region(&plan.inputs, &planned.inputs, Some(key), output, progress, CHUNK_MAX)
}

/// One tile file, as the merge sees it.
struct Tile {
    file: PointCloudFile,
    info: CopcInfo,
    hierarchy: Hierarchy,
    root: NodeKey,
}

fn open_tile(path: &Path) -> Result<Tile, PointCloudError> {
    let mut file = PointCloudFile::open(path)?;
    let err = |m: String| PointCloudError::invalid(path, m);
    let Some((info, hierarchy)) = file.copc.take() else {
        return Err(err("not a COPC file: tiles are the COPC files sontinh pc convert-tile writes".to_owned()));
    };
    let filled: Vec<NodeKey> = hierarchy.nodes.iter().filter(|(_, e)| e.point_count > 0).map(|(k, _)| *k).collect();
    let roots: Vec<NodeKey> = filled.iter().copied().filter(|k| !filled.iter().any(|a| a != k && is_within(*k, *a))).collect();
    match roots[..] {
        [root] => Ok(Tile { file, info, hierarchy, root }),
        [] => Err(err("it holds no points".to_owned())),
        _ => Err(err(format!("its points lie in {} separate subtrees, not one tile's", roots.len()))),
    }
}

/// The tiles' nodes, and the levels above them built from their roots, in
/// one COPC file.
pub fn merge_tiles(tiles: &[PathBuf], output: &Path, progress: &dyn Progress) -> Result<ConvertSummary, PointCloudError> {
    let out_err = |m: String| PointCloudError::invalid(output, m);
    if tiles.is_empty() {
        return Err(out_err("no tiles to merge".to_owned()));
    }
    let opened = tiles.iter().map(|p| open_tile(p)).collect::<Result<Vec<_>, _>>()?;
    let first = &opened[0];
    let info = &first.info;
    let layout = &first.file.layout;
    let laz_vlr = first.file.header.laz_vlr().map_err(|e| PointCloudError::invalid(&first.file.path, format!("LAZ VLR: {e}")))?;
    for tile in &opened[1..] {
        let (other, l) = (&tile.info, &tile.file.layout);
        let differs = |what: &str| {
            Err(PointCloudError::invalid(
                &tile.file.path,
                format!("its {what} differs from {}'s: tiles of one plan share it", first.file.path.display()),
            ))
        };
        if other.center != info.center || other.halfsize != info.halfsize {
            return differs("octree cube");
        }
        if l.scale != layout.scale || l.offset != layout.offset {
            return differs("scale or offset");
        }
        if l.point_format != layout.point_format || l.record_length != layout.record_length || tile.file.attributes != first.file.attributes {
            return differs("point format");
        }
        if tile.file.crs.chosen != first.file.crs.chosen {
            return differs("coordinate system");
        }
        let vlr = tile.file.header.laz_vlr().map_err(|e| PointCloudError::invalid(&tile.file.path, format!("LAZ VLR: {e}")))?;
        if vlr.items() != laz_vlr.items() {
            return differs("LAZ record layout");
        }
    }
    for (i, a) in opened.iter().enumerate() {
        for b in &opened[i + 1..] {
            if is_within(a.root, b.root) || is_within(b.root, a.root) {
                return Err(out_err(format!(
                    "tiles {} ({}) and {} ({}) overlap",
                    a.file.path.display(),
                    node_name(a.root),
                    b.file.path.display(),
                    node_name(b.root)
                )));
            }
        }
    }

    let base_len = base_record_len(layout.point_format).ok_or_else(|| {
        PointCloudError::invalid(&first.file.path, format!("point format {}: tiles are written in 6, 7 or 8", layout.point_format))
    })?;
    let format = OutputFormat {
        format: layout.point_format,
        base_len,
        record_len: usize::from(layout.record_length),
        extra: first.file.attributes.iter().filter(|a| a.extra_offset.is_some()).cloned().collect(),
        scale: layout.scale,
        offset: layout.offset,
    };
    let cube = Cube {
        min: [0, 1, 2].map(|a| info.center[a] - info.halfsize),
        size: 2.0 * info.halfsize,
    };
    if !(cube.size.is_finite() && cube.size > 0.0 && (cube.size / GRID - info.spacing).abs() <= 1e-9 * cube.size) {
        return Err(PointCloudError::invalid(&first.file.path, "its COPC cube is not one sontinh pc convert-tile writes".to_owned()));
    }

    let out_file = File::create(output).map_err(|e| PointCloudError::io(output, e))?;
    let mut writer = NodeWriter::start(out_file, output, &first.file, &format, &laz_vlr)?;
    // The header's statistics are the tiles': merging moves points between
    // nodes, it adds or removes none.
    writer.stats_from_points = false;
    for tile in &opened {
        let l = &tile.file.layout;
        for (i, count) in writer.by_return.iter_mut().enumerate() {
            *count += tile.file.header.number_of_points_by_return(i as u8 + 1).unwrap_or(0);
        }
        writer.gps = [writer.gps[0].min(tile.info.gps_time_range[0]), writer.gps[1].max(tile.info.gps_time_range[1])];
        for a in 0..3 {
            writer.real_min[a] = writer.real_min[a].min(l.min[a]);
            writer.real_max[a] = writer.real_max[a].max(l.max[a]);
        }
    }

    let total: u64 = opened.iter().map(|t| t.file.layout.point_count).sum();
    progress.phase("copying the tiles' nodes", total);
    let temp_dir = temp_dir_beside(output, ".sontinh-merge-")?;
    let mut retained: HashMap<NodeKey, PathBuf> = HashMap::new();
    for tile in &opened {
        let path = &tile.file.path;
        let mut source = BufReader::new(File::open(path).map_err(|e| PointCloudError::io(path, e))?);
        let mut entries: Vec<(NodeKey, NodeEntry)> = tile.hierarchy.nodes.iter().filter(|(_, e)| e.point_count > 0).map(|(k, e)| (*k, *e)).collect();
        entries.sort_unstable_by_key(|(_, e)| e.offset);
        for (key, entry) in entries {
            if key == tile.root {
                // The root's points go up into the levels above the tiles.
                let records = decode_node(&mut source, entry, &laz_vlr, layout.record_length).map_err(|e| PointCloudError::invalid(path, e))?;
                let kept = temp_dir.path().join(format!("{}.kept", node_name(key)));
                std::fs::write(&kept, &records).map_err(|e| PointCloudError::io(&kept, e))?;
                retained.insert(key, kept);
            } else {
                let size = usize::try_from(entry.byte_size).map_err(|e| PointCloudError::invalid(path, e.to_string()))?;
                let mut compressed = vec![0u8; size];
                source
                    .seek(SeekFrom::Start(entry.offset))
                    .and_then(|_| source.read_exact(&mut compressed))
                    .map_err(|e| PointCloudError::invalid(path, format!("reading node {} at byte {}: {e}", node_name(key), entry.offset)))?;
                writer.append_compressed(key, entry.point_count, &compressed)?;
            }
            progress.advance(entry.point_count);
        }
    }

    progress.phase("building the levels above the tiles", 1);
    let writer = Mutex::new(writer);
    let ctx = IndexContext {
        cube: &cube,
        format: &format,
        laz_vlr: &laz_vlr,
        writer: &writer,
        output,
    };
    let root = ctx.build_upper(NodeKey::ROOT, &mut retained)?;
    ctx.write_node(NodeKey::ROOT, &root)?;
    progress.advance(1);
    let writer = writer.into_inner().map_err(|_| out_err("a writer thread failed".to_owned()))?;
    let (point_count, nodes, levels) = writer.finish(&cube)?;
    if point_count != total {
        return Err(out_err(format!("the merge wrote {point_count} points of the tiles' {total}")));
    }
    Ok(ConvertSummary {
        point_count,
        nodes,
        levels,
        chunks: opened.len(),
        largest_chunk: opened.iter().map(|t| t.file.layout.point_count).max().unwrap_or(0),
        point_format: format.format,
        extra_bytes: (format.record_len - format.base_len) as u16,
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests;

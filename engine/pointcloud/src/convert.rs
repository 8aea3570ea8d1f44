//! Out-of-core conversion of LAS/LAZ/COPC inputs into one COPC file.
//!
//! 1. **Count**: every point is binned in a 128³ grid over the cube that
//!    holds all inputs.
//! 2. **Chunk**: top-down, an octree node whose count fits [`CHUNK_MAX`] is a
//!    chunk; the points are streamed into one temporary file per chunk.
//! 3. **Index**: each chunk is built in memory, bottom-up: a leaf keeps its
//!    points; a parent takes a grid sample of its children's points, which
//!    leave the children (each point is stored once). Nodes are LAZ-compressed
//!    in parallel and appended to the output.
//! 4. **Top**: the levels above the chunks are built the same way from the
//!    chunk roots' points; then the chunk table, the hierarchy EVLR and the
//!    header are written.
//!
//! Memory is bounded by one chunk (at most [`CHUNK_MAX`] records, twice while
//! partitioned), the count grid (8 MiB) and the chunk write buffers; the
//! points each chunk root keeps for the levels above wait in a file, and an
//! upper node holds only its children's samples. None of it grows with the
//! input size.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use laz::record::{LayeredPointRecordCompressor, RecordCompressor};
use laz::{LazItemRecordBuilder, LazVlr, LazVlrBuilder};
use rayon::prelude::*;

use crate::attributes::Attribute;
use crate::copc::NodeKey;
use crate::{PointCloudError, PointCloudFile};

/// Version of the COPC files this converter writes. Bump it with every
/// change to what `convert` outputs (a fix, a new field, another node
/// layout): cached conversions are keyed by it ([`cached_conversion`]), so a
/// bump makes every existing cache entry stale instead of served.
pub const CONVERTER_VERSION: u32 = 2;

/// Largest chunk indexed in memory at once, in points.
pub const CHUNK_MAX: u64 = 3_000_000;
/// A node with at most this many points is a leaf.
const LEAF_MAX: usize = 60_000;
/// Sampling grid cells per node side: the node's spacing is its size / 128.
const GRID: f64 = 128.0;
const COUNT_LEVEL: i32 = 7;
const MAX_DEPTH: i32 = 24;
const HEADER_SIZE: u64 = 375;

/// What the caller sees of the conversion as it runs.
pub trait Progress: Sync {
    /// A new phase with the number of steps it will take.
    fn phase(&self, name: &str, total: u64);
    fn advance(&self, steps: u64);
}

/// A progress sink that discards everything.
pub struct Silent;
impl Progress for Silent {
    fn phase(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ConvertSummary {
    pub point_count: u64,
    pub nodes: usize,
    pub levels: i32,
    pub chunks: usize,
    pub largest_chunk: u64,
    pub point_format: u8,
    pub extra_bytes: u16,
    pub warnings: Vec<String>,
}

/// The output record layout shared by all inputs.
struct OutputFormat {
    format: u8,
    base_len: usize,
    record_len: usize,
    extra: Vec<Attribute>,
    scale: [f64; 3],
    offset: [f64; 3],
}

/// How an input's extra bytes map into the output's.
struct InputPlan {
    file: PointCloudFile,
    /// (input offset, output offset, length) per attribute.
    extra_moves: Vec<(usize, usize, usize)>,
}

pub fn convert(inputs: &[PathBuf], output: &Path, progress: &dyn Progress) -> Result<ConvertSummary, PointCloudError> {
    convert_in_chunks(inputs, output, progress, CHUNK_MAX)
}

/// The folder of cached conversions: `$SONTINH_CACHE_DIR/pointclouds`, else
/// under `$XDG_CACHE_HOME/sontinh`, `~/.cache/sontinh` or the temp folder.
pub fn default_cache_dir() -> PathBuf {
    std::env::var_os("SONTINH_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("sontinh")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/sontinh")))
        .unwrap_or_else(|| std::env::temp_dir().join("sontinh"))
        .join("pointclouds")
}

/// Where converter `version`'s output for `source` is kept in `cache_dir`:
/// named by the source's path, size and modification time (so edits make a
/// new entry) and by the converter version (so a fixed converter does too).
fn cache_entry(source: &Path, cache_dir: &Path, version: u32) -> Result<PathBuf, PointCloudError> {
    use std::hash::{Hash, Hasher};
    let meta = std::fs::metadata(source).map_err(|e| PointCloudError::io(source, e))?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::fs::canonicalize(source).unwrap_or_else(|_| source.to_owned()).hash(&mut hasher);
    meta.len().hash(&mut hasher);
    meta.modified().ok().hash(&mut hasher);
    version.hash(&mut hasher);
    let stem = source.file_stem().and_then(|s| s.to_str()).unwrap_or("cloud");
    Ok(cache_dir.join(format!("{stem}-v{version}-{:016x}.copc.laz", hasher.finish())))
}

/// The COPC conversion of `source` in `cache_dir`: the entry this converter
/// version made earlier, else converted now (into a partial file renamed
/// once complete, so an interrupted run leaves no entry).
pub fn cached_conversion(source: &Path, cache_dir: &Path, progress: &dyn Progress) -> Result<PathBuf, PointCloudError> {
    std::fs::create_dir_all(cache_dir).map_err(|e| PointCloudError::io(cache_dir, e))?;
    let cached = cache_entry(source, cache_dir, CONVERTER_VERSION)?;
    if !cached.exists() {
        let partial = cached.with_extension("partial.copc.laz");
        convert(&[source.to_owned()], &partial, progress)?;
        std::fs::rename(&partial, &cached).map_err(|e| PointCloudError::io(&cached, e))?;
    }
    Ok(cached)
}

/// [`convert`] with chunks of at most `chunk_max` points (tests use small
/// chunks to exercise the levels above the chunks on small files).
pub fn convert_in_chunks(inputs: &[PathBuf], output: &Path, progress: &dyn Progress, chunk_max: u64) -> Result<ConvertSummary, PointCloudError> {
    let all: Vec<usize> = (0..inputs.len()).collect();
    convert_region(inputs, &all, None, output, progress, chunk_max)
}

/// The conversion of the points of `read` (indices into `inputs`) that lie
/// in `tile`, a node of the octree over every input (all of them, when
/// `None`). All inputs decide the output's format, grid and cube, from their
/// headers alone, so that tiles converted apart fit together
/// ([`tiles::merge_tiles`]); a tile's file holds the tile's node and those
/// below it, under their keys in the whole octree.
pub(crate) fn convert_region(
    inputs: &[PathBuf],
    read: &[usize],
    tile: Option<NodeKey>,
    output: &Path,
    progress: &dyn Progress,
    chunk_max: u64,
) -> Result<ConvertSummary, PointCloudError> {
    let out_err = |m: String| PointCloudError::invalid(output, m);
    if inputs.is_empty() {
        return Err(out_err("no input files".to_owned()));
    }
    if let Some(i) = read.iter().find(|i| **i >= inputs.len()) {
        return Err(out_err(format!("input {i} of {} asked for", inputs.len())));
    }
    let files = inputs.iter().map(|p| PointCloudFile::open(p)).collect::<Result<Vec<_>, _>>()?;
    let mut warnings: Vec<String> = Vec::new();
    for f in &files {
        warnings.extend(f.warnings.iter().map(|w| format!("{}: {w}", f.path.display())));
        if matches!(f.layout.point_format, 4 | 5 | 9 | 10) {
            warnings.push(format!(
                "{}: waveform packet descriptors are not carried (COPC allows point formats 6 to 8 only)",
                f.path.display()
            ));
        }
    }
    let first_crs = files[0].crs.chosen.clone();
    for f in &files[1..] {
        if f.crs.chosen != first_crs {
            return Err(PointCloudError::invalid(
                &f.path,
                format!(
                    "its CRS ({}) differs from {}'s ({}); convert inputs of one CRS together",
                    f.crs.chosen.as_deref().unwrap_or("none"),
                    files[0].path.display(),
                    first_crs.as_deref().unwrap_or("none")
                ),
            ));
        }
    }
    let (format, plans) = plan_output(files).map_err(out_err)?;

    // Cube over the header bounds; a point outside them triggers a recount
    // (a tile cannot widen the cube the other tiles use: it fails).
    let mut bounds = header_bounds(&plans);
    let plans: Vec<InputPlan> = plans.into_iter().enumerate().filter(|(i, _)| read.contains(i)).map(|(_, p)| p).collect();
    let total: u64 = plans.iter().map(|p| p.file.layout.point_count).sum();
    let (counts, cube, count_cube) = loop {
        let cube = Cube::around(bounds.0, bounds.1);
        // Counting, chunks and sampling work in the tile's own cube.
        let count_cube = tile.map_or(cube, |t| {
            let (min, size) = cube.node_min(t);
            Cube { min, size }
        });
        let keep = |p: [f64; 3]| in_tile(&cube, tile, p);
        progress.phase("counting points", total);
        let (grid, seen) = count_points(&plans, &count_cube, &keep, progress)?;
        let inside = |(min, max): &Bounds, (lo, hi): &Bounds| (0..3).all(|a| lo[a] >= min[a] && hi[a] <= max[a]);
        if tile.is_some()
            && let Some((plan, _)) = plans.iter().zip(&seen).find(|(plan, seen)| !inside(&(plan.file.layout.min, plan.file.layout.max), seen))
        {
            return Err(PointCloudError::invalid(
                &plan.file.path,
                "some points lie outside the header's bounds, which tiles are planned by: repair the header's bounds or convert it in one piece".to_owned(),
            ));
        }
        let all_seen = seen.iter().fold(([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]), |(lo, hi), (a, b)| {
            ([0, 1, 2].map(|i| lo[i].min(a[i])), [0, 1, 2].map(|i| hi[i].max(b[i])))
        });
        if tile.is_some() || inside(&bounds, &all_seen) {
            break (grid, cube, count_cube);
        }
        warnings.push("some points lie outside their header's bounds; the octree cube was widened".to_owned());
        bounds = all_seen;
    };
    let keep = |p: [f64; 3]| in_tile(&cube, tile, p);
    let chunks = choose_chunks(&counts, chunk_max);
    let largest_chunk = chunks.values().copied().max().unwrap_or(0);

    let temp_dir = temp_dir_beside(output, ".sontinh-copc-")?;
    progress.phase("distributing points to chunks", total);
    let chunk_paths = distribute(&plans, &format, &count_cube, &keep, &chunks, temp_dir.path(), progress)?;

    let out_file = File::create(output).map_err(|e| PointCloudError::io(output, e))?;
    let laz_items = LazItemRecordBuilder::default_for_point_format_id(format.format, (format.record_len - format.base_len) as u16)
        .map_err(|e| out_err(format!("LAZ items: {e}")))?;
    let laz_vlr = LazVlrBuilder::new(laz_items).with_variable_chunk_size().build();
    let first = plans.first().ok_or_else(|| out_err("no input to read".to_owned()))?;
    let mut writer = NodeWriter::start(out_file, output, &first.file, &format, &laz_vlr)?;
    writer.key_base = tile.unwrap_or(NodeKey::ROOT);
    let writer = Mutex::new(writer);
    let ctx = IndexContext {
        cube: &count_cube,
        format: &format,
        laz_vlr: &laz_vlr,
        writer: &writer,
        output,
    };

    progress.phase("indexing chunks", total);
    // Each chunk root's points wait on disk for the levels above, so that
    // memory does not grow with the number of chunks.
    let mut retained: HashMap<NodeKey, PathBuf> = HashMap::new();
    for (key, path) in &chunk_paths {
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| PointCloudError::io(path, e))?;
        std::fs::remove_file(path).map_err(|e| PointCloudError::io(path, e))?;
        let n = (bytes.len() / format.record_len) as u64;
        let records = Records { bytes };
        let kept = ctx.build(*key, records)?;
        let kept_path = path.with_extension("kept");
        std::fs::write(&kept_path, &kept.bytes).map_err(|e| PointCloudError::io(&kept_path, e))?;
        retained.insert(*key, kept_path);
        progress.advance(n);
    }
    progress.phase("writing the top of the octree", 1);
    let root = ctx.build_upper(NodeKey::ROOT, &mut retained)?;
    ctx.write_node(NodeKey::ROOT, &root)?;
    progress.advance(1);

    let writer = writer.into_inner().map_err(|_| out_err("a writer thread failed".to_owned()))?;
    let summary = writer.finish(&cube)?;
    Ok(ConvertSummary {
        point_count: summary.0,
        nodes: summary.1,
        levels: summary.2,
        chunks: chunks.len(),
        largest_chunk,
        point_format: format.format,
        extra_bytes: (format.record_len - format.base_len) as u16,
        warnings,
    })
}

/// Whether a point lies in `tile` of the octree over `cube` (every point,
/// when `None`): each point in exactly one tile of a level, edges included.
fn in_tile(cube: &Cube, tile: Option<NodeKey>, p: [f64; 3]) -> bool {
    tile.is_none_or(|t| cube.cell(p, t.level) == [t.x, t.y, t.z])
}

/// Bytes of a record of the point formats written (6, 7, 8) before extra bytes.
fn base_record_len(format: u8) -> Option<usize> {
    match format {
        6 => Some(30),
        7 => Some(36),
        8 => Some(38),
        _ => None,
    }
}

/// A temporary folder beside `output` (same file system: its files are
/// written once and read back), removed when dropped.
fn temp_dir_beside(output: &Path, prefix: &str) -> Result<tempfile::TempDir, PointCloudError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
        .map_err(|e| PointCloudError::io(output, e))
}

fn plan_output(files: Vec<PointCloudFile>) -> Result<(OutputFormat, Vec<InputPlan>), String> {
    let has_nir = files.iter().any(|f| matches!(f.layout.point_format, 8 | 10));
    let has_rgb = files.iter().any(|f| matches!(f.layout.point_format, 2 | 3 | 5 | 7 | 8 | 10));
    let format = if has_nir {
        8u8
    } else if has_rgb {
        7
    } else {
        6
    };
    let base_len = base_record_len(format).ok_or_else(|| format!("point format {format}"))?;
    // Union of the extra attributes by name; a name used with two types is an error.
    let mut extra: Vec<Attribute> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    for f in &files {
        let attrs: Vec<&Attribute> = f.attributes.iter().filter(|a| a.extra_offset.is_some()).collect();
        let len = usize::from(f.layout.extra_bytes_per_point());
        for (i, a) in attrs.iter().enumerate() {
            let start = usize::from(a.extra_offset.unwrap_or(0));
            let end = attrs.get(i + 1).and_then(|n| n.extra_offset).map_or(len, usize::from);
            match extra.iter().position(|e| e.name == a.name) {
                Some(j) if extra[j].kind != a.kind => {
                    return Err(format!("extra attribute \"{}\" is {} in one input and {} in another", a.name, extra[j].kind, a.kind));
                }
                Some(_) => {}
                None => {
                    extra.push((*a).clone());
                    sizes.push(end.saturating_sub(start));
                }
            }
        }
    }
    let mut at = 0usize;
    let mut out_offsets = Vec::new();
    for (a, size) in extra.iter_mut().zip(&sizes) {
        a.extra_offset = Some(at as u16);
        out_offsets.push(at);
        at += size;
    }
    let record_len = base_len + at;
    // Inputs that share a grid keep it (no point moves); otherwise the finest
    // scale with an offset at the lower corner.
    let first = &files[0].layout;
    let same_grid = files.iter().all(|f| f.layout.scale == first.scale && f.layout.offset == first.offset);
    let mut min = [f64::INFINITY; 3];
    let mut max = [f64::NEG_INFINITY; 3];
    let mut scale = [f64::INFINITY; 3];
    for f in &files {
        for axis in 0..3 {
            scale[axis] = scale[axis].min(f.layout.scale[axis]);
            min[axis] = min[axis].min(f.layout.min[axis]);
            max[axis] = max[axis].max(f.layout.max[axis]);
        }
    }
    let fits = |offset: [f64; 3], scale: [f64; 3]| {
        (0..3).all(|a| [min[a], max[a]].iter().all(|v| ((v - offset[a]) / scale[a]).abs() < 2.0e9))
    };
    let (scale, offset) = if same_grid && fits(first.offset, first.scale) {
        (first.scale, first.offset)
    } else {
        let offset = [0, 1, 2].map(|a| if min[a].is_finite() { (min[a] / scale[a]).floor() * scale[a] } else { 0.0 });
        (scale, offset)
    };
    let plans = files
        .into_iter()
        .map(|file| {
            let len = usize::from(file.layout.extra_bytes_per_point());
            let attrs: Vec<Attribute> = file.attributes.iter().filter(|a| a.extra_offset.is_some()).cloned().collect();
            let extra_moves = attrs
                .iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    let start = usize::from(a.extra_offset?);
                    let end = attrs.get(i + 1).and_then(|n| n.extra_offset).map_or(len, usize::from);
                    let j = extra.iter().position(|e| e.name == a.name)?;
                    Some((start, out_offsets[j], end.saturating_sub(start).min(sizes[j])))
                })
                .collect();
            InputPlan { file, extra_moves }
        })
        .collect();
    Ok((
        OutputFormat {
            format,
            base_len,
            record_len,
            extra,
            scale,
            offset,
        },
        plans,
    ))
}

fn header_bounds(plans: &[InputPlan]) -> ([f64; 3], [f64; 3]) {
    let mut min = [f64::INFINITY; 3];
    let mut max = [f64::NEG_INFINITY; 3];
    for p in plans {
        for a in 0..3 {
            min[a] = min[a].min(p.file.layout.min[a]);
            max[a] = max[a].max(p.file.layout.max[a]);
        }
    }
    if !min.iter().chain(&max).all(|v| v.is_finite()) {
        return ([0.0; 3], [1.0; 3]);
    }
    (min, max)
}

/// The octree's cube.
#[derive(Clone, Copy, Debug)]
struct Cube {
    min: [f64; 3],
    size: f64,
}

impl Cube {
    fn around(min: [f64; 3], max: [f64; 3]) -> Cube {
        let size = (0..3).map(|a| max[a] - min[a]).fold(0.0f64, f64::max).max(1e-3) * 1.000_001;
        Cube { min, size }
    }

    fn node_min(&self, key: NodeKey) -> ([f64; 3], f64) {
        let s = self.size / f64::from(1u32 << key.level);
        ([self.min[0] + f64::from(key.x) * s, self.min[1] + f64::from(key.y) * s, self.min[2] + f64::from(key.z) * s], s)
    }

    /// Integer cell of a position at `level`, clamped into the cube.
    fn cell(&self, p: [f64; 3], level: i32) -> [i32; 3] {
        let n = f64::from(1u32 << level);
        // Clamped at 0 first, the cast's truncation is the floor (and no
        // call to libm's, which the baseline x86-64 target makes).
        [0, 1, 2].map(|a| ((p[a] - self.min[a]) / self.size * n).clamp(0.0, n - 1.0) as i32)
    }

    fn center(&self) -> [f64; 3] {
        [0, 1, 2].map(|a| self.min[a] + self.size / 2.0)
    }
}

type Bounds = ([f64; 3], [f64; 3]);

/// The points of `plans` that `keep` keeps, counted per cell of the count
/// grid over `cube`; and the bounds of every point of each input.
fn count_points(
    plans: &[InputPlan],
    cube: &Cube,
    keep: &(dyn Fn([f64; 3]) -> bool + Sync),
    progress: &dyn Progress,
) -> Result<(Vec<u32>, Vec<Bounds>), PointCloudError> {
    let n = 1usize << COUNT_LEVEL;
    let mut grid = vec![0u32; n * n * n];
    let mut seen = Vec::with_capacity(plans.len());
    for plan in plans {
        let mut min = [f64::INFINITY; 3];
        let mut max = [f64::NEG_INFINITY; 3];
        plan.file.for_each_batch(|batch| {
            // Positions and cells in parallel tasks; the counts in order.
            let (raw, len) = (batch.raw_bytes(), batch.record_len());
            if len < 12 {
                return Err(PointCloudError::invalid(&plan.file.path, format!("its point records are {len} bytes, too short for a position")));
            }
            let t = batch.transforms();
            let tasks: Vec<(Vec<u32>, Bounds)> = raw
                .par_chunks(DISTRIBUTE_TASK * len)
                .map(|part| {
                    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
                    let cells = part
                        .chunks_exact(len)
                        .map(|r| {
                            let v = |o: usize| i32::from_le_bytes([r[o], r[o + 1], r[o + 2], r[o + 3]]);
                            let p = [t.x.direct(v(0)), t.y.direct(v(4)), t.z.direct(v(8))];
                            for a in 0..3 {
                                lo[a] = lo[a].min(p[a]);
                                hi[a] = hi[a].max(p[a]);
                            }
                            if !keep(p) {
                                return u32::MAX;
                            }
                            let c = cube.cell(p, COUNT_LEVEL);
                            ((c[2] as usize * n + c[1] as usize) * n + c[0] as usize) as u32
                        })
                        .collect();
                    (cells, (lo, hi))
                })
                .collect();
            for (cells, (lo, hi)) in tasks {
                for a in 0..3 {
                    min[a] = min[a].min(lo[a]);
                    max[a] = max[a].max(hi[a]);
                }
                for i in cells.into_iter().filter(|i| *i != u32::MAX) {
                    grid[i as usize] = grid[i as usize].saturating_add(1);
                }
            }
            progress.advance(batch.len() as u64);
            Ok(())
        })?;
        seen.push((min, max));
    }
    Ok((grid, seen))
}

/// Top-down: the largest nodes whose counts fit in a chunk.
fn choose_chunks(grid: &[u32], chunk_max: u64) -> BTreeMap<NodeKey, u64> {
    let n = 1i32 << COUNT_LEVEL;
    let count_of = |key: NodeKey| -> u64 {
        let span = 1i32 << (COUNT_LEVEL - key.level);
        let mut sum = 0u64;
        for z in key.z * span..(key.z + 1) * span {
            for y in key.y * span..(key.y + 1) * span {
                let row = ((z * n + y) * n) as usize;
                for x in key.x * span..(key.x + 1) * span {
                    sum += u64::from(grid[row + x as usize]);
                }
            }
        }
        sum
    };
    let mut chunks = BTreeMap::new();
    let mut stack = vec![(NodeKey::ROOT, count_of(NodeKey::ROOT))];
    while let Some((key, count)) = stack.pop() {
        if count == 0 {
            continue;
        }
        if count <= chunk_max || key.level == COUNT_LEVEL {
            chunks.insert(key, count);
            continue;
        }
        for i in 0..8 {
            let child = key.child(i);
            stack.push((child, count_of(child)));
        }
    }
    chunks
}

/// Which chunk holds each cell of the count grid (`u32::MAX`: none), as
/// indices into `keys`: a point's chunk is one look-up.
fn chunk_per_cell(keys: &[NodeKey]) -> Vec<u32> {
    let n = 1usize << COUNT_LEVEL;
    let mut cells = vec![u32::MAX; n * n * n];
    for (index, key) in keys.iter().enumerate() {
        let span = 1i32 << (COUNT_LEVEL - key.level);
        for z in key.z * span..(key.z + 1) * span {
            for y in key.y * span..(key.y + 1) * span {
                let row = (z as usize * n + y as usize) * n;
                let (first, last) = ((key.x * span) as usize, ((key.x + 1) * span) as usize);
                cells[row + first..row + last].fill(index as u32);
            }
        }
    }
    cells
}

/// Points decoded and encoded per task while distributing.
const DISTRIBUTE_TASK: usize = 16_384;

fn distribute(
    plans: &[InputPlan],
    format: &OutputFormat,
    cube: &Cube,
    keep: &(dyn Fn([f64; 3]) -> bool + Sync),
    chunks: &BTreeMap<NodeKey, u64>,
    dir: &Path,
    progress: &dyn Progress,
) -> Result<Vec<(NodeKey, PathBuf)>, PointCloudError> {
    const FLUSH_AT: usize = 256 * 1024;
    let keys: Vec<NodeKey> = chunks.keys().copied().collect();
    let cell_chunk = chunk_per_cell(&keys);
    let n = 1usize << COUNT_LEVEL;
    let paths: Vec<PathBuf> = keys.iter().map(|k| dir.join(format!("{}-{}-{}-{}.bin", k.level, k.x, k.y, k.z))).collect();
    let mut buffers: Vec<Vec<u8>> = vec![Vec::new(); keys.len()];
    let flush = |index: usize, buffer: &mut Vec<u8>| -> Result<(), PointCloudError> {
        let path = &paths[index];
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| PointCloudError::io(path, e))?;
        f.write_all(buffer).map_err(|e| PointCloudError::io(path, e))?;
        buffer.clear();
        Ok(())
    };
    let len = format.record_len;
    for plan in plans {
        let path = &plan.file.path;
        plan.file.for_each_batch(|batch| {
            // Decoding and re-encoding the records takes most of the time:
            // tasks of the batch do it in parallel, each into its own slab;
            // the slabs go to the chunks' buffers in order.
            let (raw, in_len) = (batch.raw_bytes(), batch.record_len());
            if in_len == 0 {
                return Err(PointCloudError::invalid(path, "its point records have a length of 0".to_owned()));
            }
            let slabs: Vec<(Vec<u32>, Vec<u8>)> = raw
                .par_chunks(DISTRIBUTE_TASK * in_len)
                .map(|part| -> Result<(Vec<u32>, Vec<u8>), PointCloudError> {
                    let mut chunk_indices = Vec::with_capacity(part.len() / in_len);
                    let mut bytes = vec![0u8; chunk_indices.capacity() * len];
                    let mut record = bytes.chunks_exact_mut(len);
                    for input in part.chunks_exact(in_len) {
                        let raw_point = las::raw::Point::read_from(input, batch.format()).map_err(|e| PointCloudError::invalid(path, e.to_string()))?;
                        let point = las::Point::new(raw_point, batch.transforms());
                        if !keep([point.x, point.y, point.z]) {
                            continue;
                        }
                        let c = cube.cell([point.x, point.y, point.z], COUNT_LEVEL);
                        let chunk = cell_chunk[(c[2] as usize * n + c[1] as usize) * n + c[0] as usize];
                        if chunk == u32::MAX {
                            continue;
                        }
                        let Some(out) = record.next() else { break };
                        encode_record(&point, plan, format, out);
                        chunk_indices.push(chunk);
                    }
                    bytes.truncate(chunk_indices.len() * len);
                    Ok((chunk_indices, bytes))
                })
                .collect::<Result<_, _>>()?;
            for (chunk_indices, bytes) in slabs {
                for (&chunk, record) in chunk_indices.iter().zip(bytes.chunks_exact(len)) {
                    let buffer = &mut buffers[chunk as usize];
                    buffer.extend_from_slice(record);
                    if buffer.len() >= FLUSH_AT {
                        flush(chunk as usize, buffer)?;
                    }
                }
            }
            progress.advance(batch.len() as u64);
            Ok(())
        })?;
    }
    for (index, buffer) in buffers.iter_mut().enumerate() {
        if !buffer.is_empty() {
            flush(index, buffer)?;
        }
    }
    Ok(keys.into_iter().zip(paths).filter(|(_, p)| p.exists()).collect())
}

/// Writes one point as a format 6/7/8 record (little-endian, LAS 1.4 layout).
fn encode_record(p: &las::Point, plan: &InputPlan, format: &OutputFormat, out: &mut [u8]) {
    let q = |v: f64, a: usize| ((v - format.offset[a]) / format.scale[a]).round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
    out[0..4].copy_from_slice(&q(p.x, 0).to_le_bytes());
    out[4..8].copy_from_slice(&q(p.y, 1).to_le_bytes());
    out[8..12].copy_from_slice(&q(p.z, 2).to_le_bytes());
    out[12..14].copy_from_slice(&p.intensity.to_le_bytes());
    out[14] = (p.return_number & 0x0F) | ((p.number_of_returns & 0x0F) << 4);
    let flags = u8::from(p.is_synthetic) | (u8::from(p.is_key_point) << 1) | (u8::from(p.is_withheld) << 2) | (u8::from(p.is_overlap) << 3);
    let direction = u8::from(matches!(p.scan_direction, las::point::ScanDirection::LeftToRight));
    out[15] = flags | ((p.scanner_channel & 0x03) << 4) | (direction << 6) | (u8::from(p.is_edge_of_flight_line) << 7);
    out[16] = u8::from(p.classification);
    out[17] = p.user_data;
    let angle = (f64::from(p.scan_angle) / 0.006).round().clamp(-30_000.0, 30_000.0) as i16;
    out[18..20].copy_from_slice(&angle.to_le_bytes());
    out[20..22].copy_from_slice(&p.point_source_id.to_le_bytes());
    out[22..30].copy_from_slice(&p.gps_time.unwrap_or(0.0).to_le_bytes());
    if format.format >= 7 {
        let c = p.color.unwrap_or_default();
        out[30..32].copy_from_slice(&c.red.to_le_bytes());
        out[32..34].copy_from_slice(&c.green.to_le_bytes());
        out[34..36].copy_from_slice(&c.blue.to_le_bytes());
    }
    if format.format == 8 {
        out[36..38].copy_from_slice(&p.nir.unwrap_or(0).to_le_bytes());
    }
    let extra = &mut out[format.base_len..];
    extra.fill(0);
    for &(from, to, len) in &plan.extra_moves {
        if let (Some(src), Some(dst)) = (p.extra_bytes.get(from..from + len), extra.get_mut(to..to + len)) {
            dst.copy_from_slice(src);
        }
    }
}

/// Packed records of the output format.
#[derive(Default)]
struct Records {
    bytes: Vec<u8>,
}

/// A thread's grid of the best sampling candidate per cell (`u64::MAX`:
/// none yet), and the cells it has touched; back to empty after each use.
#[derive(Default)]
struct Winners {
    grid: Vec<u64>,
    touched: Vec<u32>,
}

thread_local! {
    static WINNERS: std::cell::RefCell<Winners> = std::cell::RefCell::new(Winners::default());
}

struct IndexContext<'a> {
    cube: &'a Cube,
    format: &'a OutputFormat,
    laz_vlr: &'a LazVlr,
    writer: &'a Mutex<NodeWriter>,
    output: &'a Path,
}

impl IndexContext<'_> {
    fn position(&self, record: &[u8]) -> [f64; 3] {
        let i = |o: usize| f64::from(i32::from_le_bytes([record[o], record[o + 1], record[o + 2], record[o + 3]]));
        [
            i(0) * self.format.scale[0] + self.format.offset[0],
            i(4) * self.format.scale[1] + self.format.offset[1],
            i(8) * self.format.scale[2] + self.format.offset[2],
        ]
    }

    fn child_index(&self, key: NodeKey, p: [f64; 3]) -> u8 {
        let (min, size) = self.cube.node_min(key);
        let half = size / 2.0;
        u8::from(p[0] >= min[0] + half) | (u8::from(p[1] >= min[1] + half) << 1) | (u8::from(p[2] >= min[2] + half) << 2)
    }

    /// Builds the subtree of `key` from its points; writes every node below
    /// `key` and returns the points that `key` itself keeps.
    fn build(&self, key: NodeKey, records: Records) -> Result<Records, PointCloudError> {
        let len = self.format.record_len;
        let count = records.bytes.len() / len;
        if count <= LEAF_MAX || key.level >= MAX_DEPTH {
            return Ok(records);
        }
        let mut parts: Vec<Records> = (0..8).map(|_| Records::default()).collect();
        for r in records.bytes.chunks_exact(len) {
            let c = self.child_index(key, self.position(r));
            parts[usize::from(c)].bytes.extend_from_slice(r);
        }
        drop(records);
        let children: Vec<(NodeKey, Records)> = parts
            .into_par_iter()
            .enumerate()
            .filter(|(_, part)| !part.bytes.is_empty())
            .map(|(i, part)| {
                let child = key.child(i as u8);
                self.build(child, part).map(|kept| (child, kept))
            })
            .collect::<Result<_, _>>()?;
        self.sample_from_children(key, children)
    }

    /// Above the chunks: gathers the chunk roots' points upwards.
    fn build_upper(&self, key: NodeKey, retained: &mut HashMap<NodeKey, PathBuf>) -> Result<Records, PointCloudError> {
        if let Some(path) = retained.remove(&key) {
            let bytes = std::fs::read(&path).map_err(|e| PointCloudError::io(&path, e))?;
            std::fs::remove_file(&path).map_err(|e| PointCloudError::io(&path, e))?;
            return Ok(Records { bytes });
        }
        let mut children = Vec::new();
        for i in 0..8 {
            let child = key.child(i);
            if retained.keys().any(|k| is_within(*k, child)) {
                let kept = self.build_upper(child, retained)?;
                children.push((child, kept));
            }
        }
        if children.is_empty() {
            return Ok(Records::default());
        }
        self.sample_from_children(key, children)
    }

    /// The parent keeps one point per cell of a 128³ grid over its cube,
    /// taken from the children's points; the others stay in (and finish) the children.
    fn sample_from_children(&self, key: NodeKey, children: Vec<(NodeKey, Records)>) -> Result<Records, PointCloudError> {
        let len = self.format.record_len;
        let (min, size) = self.cube.node_min(key);
        let cell_size = size / GRID;
        // In each cell the point of lowest (rank, child, index) wins, ranks
        // from a hash so that no child or file order is favoured; the
        // winners are kept in cell order.
        let mut chosen: Vec<Vec<bool>> = children.iter().map(|(_, r)| vec![false; r.bytes.len() / len]).collect();
        let mut kept = Records::default();
        let mut take = |ci: usize, ri: usize| {
            chosen[ci][ri] = true;
            kept.bytes.extend_from_slice(&children[ci].1.bytes[ri * len..(ri + 1) * len]);
        };
        let cell_of = |r: &[u8]| {
            let p = self.position(r);
            let cell = [0, 1, 2].map(|a| ((p[a] - min[a]) / cell_size).clamp(0.0, GRID - 1.0) as u32);
            (cell[2] * 128 + cell[1]) * 128 + cell[0]
        };
        let rank_of = |ci: usize, ri: usize| hash32(ri as u32 ^ ((ci as u32) << 27));
        if let Some((child, _)) = children.iter().find(|(_, r)| r.bytes.len() / len > u32::MAX as usize) {
            return Err(PointCloudError::invalid(self.output, format!("node {child:?} holds over 2^32 points at one spot; thin the input")));
        }
        // The best candidate per cell in a dense grid of the thread's own:
        // one pass over the points instead of sorting them. A candidate is
        // (rank: 29 bits, child: 3, index: 32).
        WINNERS.with_borrow_mut(|winners| {
            if winners.grid.is_empty() {
                winners.grid = vec![u64::MAX; 128 * 128 * 128];
            }
            for (ci, (_, records)) in children.iter().enumerate() {
                for (ri, r) in records.bytes.chunks_exact(len).enumerate() {
                    let cell = cell_of(r) as usize;
                    let candidate = (u64::from(rank_of(ci, ri) >> 3) << 35) | ((ci as u64) << 32) | ri as u64;
                    let best = &mut winners.grid[cell];
                    if *best == u64::MAX {
                        winners.touched.push(cell as u32);
                    }
                    *best = (*best).min(candidate);
                }
            }
            winners.touched.sort_unstable();
            for &cell in &winners.touched {
                let best = std::mem::replace(&mut winners.grid[cell as usize], u64::MAX);
                take(((best >> 32) & 0x7) as usize, (best & 0xFFFF_FFFF) as usize);
            }
            winners.touched.clear();
        });
        children
            .into_par_iter()
            .zip(chosen)
            .try_for_each(|((child, records), taken)| {
                let mut rest = Records::default();
                for (r, t) in records.bytes.chunks_exact(len).zip(taken) {
                    if !t {
                        rest.bytes.extend_from_slice(r);
                    }
                }
                self.write_node(child, &rest)
            })?;
        Ok(kept)
    }

    fn write_node(&self, key: NodeKey, records: &Records) -> Result<(), PointCloudError> {
        let count = (records.bytes.len() / self.format.record_len) as u64;
        let compressed = if count == 0 {
            Vec::new()
        } else {
            let mut compressor = LayeredPointRecordCompressor::new(Cursor::new(Vec::new()));
            let fail = |e: String| PointCloudError::invalid(self.output, format!("compressing node {key:?}: {e}"));
            compressor.set_fields_from(self.laz_vlr.items()).map_err(|e| fail(e.to_string()))?;
            compressor.compress_many(&records.bytes).map_err(|e| fail(e.to_string()))?;
            compressor.done().map_err(|e| fail(e.to_string()))?;
            compressor.into_inner().into_inner()
        };
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| PointCloudError::invalid(self.output, "a writer thread failed".to_owned()))?;
        writer.append(key, count, &compressed, &records.bytes, self.format)
    }
}

fn is_within(descendant: NodeKey, ancestor: NodeKey) -> bool {
    if descendant.level < ancestor.level {
        return false;
    }
    let shift = descendant.level - ancestor.level;
    descendant.x >> shift == ancestor.x && descendant.y >> shift == ancestor.y && descendant.z >> shift == ancestor.z
}

fn hash32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

/// Appends compressed nodes to the output and writes the header, VLRs,
/// chunk table and hierarchy around them.
struct NodeWriter {
    out: BufWriter<File>,
    path: PathBuf,
    laz_vlr: LazVlr,
    copc_info_data_offset: u64,
    offset_to_point_data: u64,
    position: u64,
    entries: Vec<(NodeKey, u64, u64, u64)>,
    chunk_table: laz::laszip::ChunkTable,
    by_return: [u64; 15],
    gps: [f64; 2],
    real_min: [f64; 3],
    real_max: [f64; 3],
    scale: [f64; 3],
    offset: [f64; 3],
    format: u8,
    record_len: u16,
    wkt: bool,
    /// Where the nodes written lie in the whole octree: a tile's node
    /// (its keys are relative to it), else the root.
    key_base: NodeKey,
    /// Whether the header's statistics (returns, GPS time, bounds) come
    /// from the points appended (else they were set from the tiles merged).
    stats_from_points: bool,
}

impl NodeWriter {
    fn start(file: File, path: &Path, first: &PointCloudFile, format: &OutputFormat, laz_vlr: &LazVlr) -> Result<NodeWriter, PointCloudError> {
        let io = |e: std::io::Error| PointCloudError::io(path, e);
        let mut out = BufWriter::new(file);
        out.write_all(&[0u8; HEADER_SIZE as usize]).map_err(io)?;
        let mut position = HEADER_SIZE;
        let mut vlr = |out: &mut BufWriter<File>, user: &str, record_id: u16, description: &str, data: &[u8]| -> Result<u64, PointCloudError> {
            let len = u16::try_from(data.len()).map_err(|_| PointCloudError::invalid(path, format!("VLR {user} {record_id} is too long")))?;
            let mut head = [0u8; 54];
            head[2..2 + user.len().min(16)].copy_from_slice(&user.as_bytes()[..user.len().min(16)]);
            head[18..20].copy_from_slice(&record_id.to_le_bytes());
            head[20..22].copy_from_slice(&len.to_le_bytes());
            head[22..22 + description.len().min(32)].copy_from_slice(&description.as_bytes()[..description.len().min(32)]);
            out.write_all(&head).map_err(io)?;
            out.write_all(data).map_err(io)?;
            let data_offset = position + 54;
            position += 54 + data.len() as u64;
            Ok(data_offset)
        };
        // COPC requires its info VLR first, at byte 375; it is completed at the end.
        let copc_info_data_offset = vlr(&mut out, "copc", 1, "COPC info VLR", &[0u8; 160])?;
        let mut laz_data = Vec::new();
        laz_vlr.write_to(&mut laz_data).map_err(io)?;
        vlr(&mut out, "laszip encoded", 22204, "laz variable chunks", &laz_data)?;
        let mut wkt = false;
        let copy = |user: &str, id: u16| -> Option<Vec<u8>> {
            let record = first.layout.find_vlr(user, id)?;
            let mut data = vec![0u8; usize::try_from(record.data_len).ok()?];
            let mut f = File::open(&first.path).ok()?;
            f.seek(SeekFrom::Start(record.data_offset)).ok()?;
            f.read_exact(&mut data).ok()?;
            Some(data)
        };
        if let Some(data) = copy("LASF_Projection", 2112) {
            vlr(&mut out, "LASF_Projection", 2112, "OGC coordinate system WKT", &data)?;
            wkt = true;
        } else {
            for id in [34735, 34736, 34737] {
                if let Some(data) = copy("LASF_Projection", id) {
                    vlr(&mut out, "LASF_Projection", id, "GeoTIFF keys", &data)?;
                }
            }
        }
        if !format.extra.is_empty() {
            vlr(&mut out, "LASF_Spec", 4, "Extra Bytes", &extra_bytes_vlr(&format.extra, format.record_len - format.base_len))?;
        }
        let offset_to_point_data = position;
        // Offset of the LAZ chunk table, patched at the end.
        out.write_all(&(-1i64).to_le_bytes()).map_err(io)?;
        position += 8;
        Ok(NodeWriter {
            out,
            path: path.to_owned(),
            laz_vlr: laz_vlr.clone(),
            copc_info_data_offset,
            offset_to_point_data,
            position,
            entries: Vec::new(),
            chunk_table: laz::laszip::ChunkTable::default(),
            by_return: [0; 15],
            gps: [f64::INFINITY, f64::NEG_INFINITY],
            real_min: [f64::INFINITY; 3],
            real_max: [f64::NEG_INFINITY; 3],
            scale: format.scale,
            offset: format.offset,
            format: format.format,
            record_len: format.record_len as u16,
            wkt,
            key_base: NodeKey::ROOT,
            stats_from_points: true,
        })
    }

    fn append(&mut self, key: NodeKey, count: u64, compressed: &[u8], raw: &[u8], format: &OutputFormat) -> Result<(), PointCloudError> {
        self.append_compressed(key, count, compressed)?;
        if count > 0 && self.stats_from_points {
            for r in raw.chunks_exact(format.record_len) {
                let ret = usize::from(r[14] & 0x0F);
                if (1..=15).contains(&ret) {
                    self.by_return[ret - 1] += 1;
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&r[22..30]);
                let t = f64::from_le_bytes(b);
                self.gps[0] = self.gps[0].min(t);
                self.gps[1] = self.gps[1].max(t);
                for a in 0..3 {
                    let v = f64::from(i32::from_le_bytes([r[4 * a], r[4 * a + 1], r[4 * a + 2], r[4 * a + 3]])) * self.scale[a] + self.offset[a];
                    self.real_min[a] = self.real_min[a].min(v);
                    self.real_max[a] = self.real_max[a].max(v);
                }
            }
        }
        Ok(())
    }

    /// A node's LAZ chunk as it is, `key` relative to [`Self::key_base`].
    fn append_compressed(&mut self, key: NodeKey, count: u64, compressed: &[u8]) -> Result<(), PointCloudError> {
        let offset = self.position;
        if count > 0 {
            self.out.write_all(compressed).map_err(|e| PointCloudError::io(&self.path, e))?;
            self.position += compressed.len() as u64;
            self.chunk_table.push(laz::laszip::ChunkTableEntry {
                point_count: count,
                byte_count: compressed.len() as u64,
            });
        }
        let base = self.key_base;
        let key = NodeKey {
            level: base.level + key.level,
            x: (base.x << key.level) + key.x,
            y: (base.y << key.level) + key.y,
            z: (base.z << key.level) + key.z,
        };
        self.entries.push((key, offset, compressed.len() as u64, count));
        Ok(())
    }

    /// Chunk table, hierarchy EVLR, then the header and COPC info.
    /// Returns the points, nodes and levels written.
    fn finish(mut self, cube: &Cube) -> Result<(u64, usize, i32), PointCloudError> {
        // The header's count is what the nodes hold.
        let points: u64 = self.entries.iter().map(|e| e.3).sum();
        let path = self.path.clone();
        let io = |e: std::io::Error| PointCloudError::io(&path, e);
        let chunk_table_offset = self.position;
        let mut table = Vec::new();
        self.chunk_table.write_to(&mut table, &self.laz_vlr).map_err(io)?;
        self.out.write_all(&table).map_err(io)?;
        self.position += table.len() as u64;

        // Every node is listed so that readers can walk down to any leaf;
        // empty inner nodes get zero points.
        let mut all: BTreeMap<NodeKey, (u64, u64, u64)> = self.entries.iter().map(|&(k, o, s, c)| (k, (o, s, c))).collect();
        let keys: Vec<NodeKey> = all.keys().copied().collect();
        for k in keys {
            let mut p = k.parent();
            while let Some(parent) = p {
                all.entry(parent).or_insert((0, 0, 0));
                p = parent.parent();
            }
        }
        let mut page = Vec::with_capacity(all.len() * 32);
        for (k, (o, s, c)) in &all {
            for v in [k.level, k.x, k.y, k.z] {
                page.extend_from_slice(&v.to_le_bytes());
            }
            page.extend_from_slice(&o.to_le_bytes());
            page.extend_from_slice(&(*s as i32).to_le_bytes());
            page.extend_from_slice(&(*c as i32).to_le_bytes());
        }
        let evlr_start = self.position;
        let mut head = [0u8; 60];
        head[2..6].copy_from_slice(b"copc");
        head[18..20].copy_from_slice(&1000u16.to_le_bytes());
        head[20..28].copy_from_slice(&(page.len() as u64).to_le_bytes());
        head[28..44].copy_from_slice(b"EPT hierarchy\0\0\0");
        self.out.write_all(&head).map_err(io)?;
        self.out.write_all(&page).map_err(io)?;
        let levels = all.keys().map(|k| k.level).max().unwrap_or(0) + 1;

        let mut file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        file.seek(SeekFrom::Start(self.offset_to_point_data)).map_err(io)?;
        file.write_all(&(chunk_table_offset as i64).to_le_bytes()).map_err(io)?;

        let mut info = Vec::with_capacity(160);
        let center = cube.center();
        for v in [center[0], center[1], center[2], cube.size / 2.0, cube.size / GRID] {
            info.extend_from_slice(&v.to_le_bytes());
        }
        info.extend_from_slice(&(evlr_start + 60).to_le_bytes());
        info.extend_from_slice(&(page.len() as u64).to_le_bytes());
        let gps = if points > 0 { self.gps } else { [0.0, 0.0] };
        info.extend_from_slice(&gps[0].to_le_bytes());
        info.extend_from_slice(&gps[1].to_le_bytes());
        info.resize(160, 0);
        file.seek(SeekFrom::Start(self.copc_info_data_offset)).map_err(io)?;
        file.write_all(&info).map_err(io)?;

        let mut h = vec![0u8; HEADER_SIZE as usize];
        h[0..4].copy_from_slice(b"LASF");
        // GPS time is standard GPS time minus 1e9 (bit 0); WKT bit 4.
        let encoding: u16 = 0x0001 | if self.wkt { 0x0010 } else { 0 };
        h[6..8].copy_from_slice(&encoding.to_le_bytes());
        h[24] = 1;
        h[25] = 4;
        h[26..33].copy_from_slice(b"SONTINH");
        let software = b"sontinh pc convert";
        h[58..58 + software.len()].copy_from_slice(software);
        h[94..96].copy_from_slice(&(HEADER_SIZE as u16).to_le_bytes());
        h[96..100].copy_from_slice(&(self.offset_to_point_data as u32).to_le_bytes());
        let vlr_count: u32 = 2 + if self.wkt { 1 } else { 0 } + u32::from(usize::from(self.record_len) > base_record_len(self.format).unwrap_or(usize::MAX));
        h[100..104].copy_from_slice(&vlr_count.to_le_bytes());
        h[104] = self.format | 0x80;
        h[105..107].copy_from_slice(&self.record_len.to_le_bytes());
        // Legacy counts are zero for formats 6+ (LAS 1.4).
        for (a, o) in [131usize, 139, 147].into_iter().enumerate() {
            h[o..o + 8].copy_from_slice(&self.scale[a].to_le_bytes());
            h[o + 24..o + 32].copy_from_slice(&self.offset[a].to_le_bytes());
        }
        let (min, max) = if points > 0 { (self.real_min, self.real_max) } else { ([0.0; 3], [0.0; 3]) };
        for a in 0..3 {
            h[179 + 16 * a..187 + 16 * a].copy_from_slice(&max[a].to_le_bytes());
            h[187 + 16 * a..195 + 16 * a].copy_from_slice(&min[a].to_le_bytes());
        }
        h[235..243].copy_from_slice(&evlr_start.to_le_bytes());
        h[243..247].copy_from_slice(&1u32.to_le_bytes());
        h[247..255].copy_from_slice(&points.to_le_bytes());
        for (i, n) in self.by_return.iter().enumerate() {
            h[255 + 8 * i..263 + 8 * i].copy_from_slice(&n.to_le_bytes());
        }
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&h).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok((points, all.len(), levels))
    }
}

/// Extra Bytes VLR payload: 192 bytes per attribute.
fn extra_bytes_vlr(attributes: &[Attribute], total: usize) -> Vec<u8> {
    let mut data = Vec::new();
    for (i, a) in attributes.iter().enumerate() {
        let start = usize::from(a.extra_offset.unwrap_or(0));
        let end = attributes.get(i + 1).and_then(|n| n.extra_offset).map_or(total, usize::from);
        let mut record = [0u8; 192];
        let type_code = match a.kind.as_str() {
            "u8" => 1,
            "i8" => 2,
            "u16" => 3,
            "i16" => 4,
            "u32" => 5,
            "i32" => 6,
            "u64" => 7,
            "i64" => 8,
            "f32" => 9,
            "f64" => 10,
            _ => 0,
        };
        record[2] = type_code;
        if type_code == 0 {
            record[3] = u8::try_from(end - start).unwrap_or(u8::MAX);
        }
        if let Some(s) = a.scale {
            record[3] |= 0x08;
            record[112..120].copy_from_slice(&s.to_le_bytes());
        }
        if let Some(o) = a.offset {
            record[3] |= 0x10;
            record[136..144].copy_from_slice(&o.to_le_bytes());
        }
        let name = a.name.as_bytes();
        record[4..4 + name.len().min(32)].copy_from_slice(&name[..name.len().min(32)]);
        let d = a.description.as_bytes();
        record[160..160 + d.len().min(32)].copy_from_slice(&d[..d.len().min(32)]);
        data.extend_from_slice(&record);
    }
    data
}

pub mod tiles;

#[cfg(test)]
mod tests;

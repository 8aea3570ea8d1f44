//! 3D Tiles 1.1 implicit tiling: quadtrees and octrees described by subtree
//! files (availability of tiles, contents and child subtrees as bitstreams or
//! constants), expanded into explicit tiles.

use std::path::Path;

use serde::Deserialize;

use crate::{Builder, Tile, TilesError, Volume, bounding_sphere, file_error};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawImplicit {
    subdivision_scheme: String,
    subtree_levels: u32,
    available_levels: u32,
    subtrees: RawUri,
}

#[derive(Deserialize)]
struct RawUri {
    uri: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSubtree {
    #[serde(default)]
    buffers: Vec<RawBuffer>,
    #[serde(default)]
    buffer_views: Vec<RawView>,
    tile_availability: RawAvailability,
    #[serde(default)]
    content_availability: Vec<RawAvailability>,
    child_subtree_availability: RawAvailability,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBuffer {
    #[serde(default)]
    uri: Option<String>,
    byte_length: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawView {
    buffer: usize,
    #[serde(default)]
    byte_offset: usize,
    byte_length: usize,
}

#[derive(Deserialize)]
struct RawAvailability {
    #[serde(default)]
    bitstream: Option<usize>,
    #[serde(default)]
    constant: Option<u8>,
}

/// One availability, ready to ask.
enum Bits {
    Constant(bool),
    Stream(Vec<u8>),
}

impl Bits {
    /// Bit `i` (u64: a deep octree's indices pass a 32-bit usize); past the end is unavailable.
    fn get(&self, i: u64) -> bool {
        match self {
            Bits::Constant(b) => *b,
            Bits::Stream(bytes) => usize::try_from(i / 8).ok().and_then(|at| bytes.get(at)).is_some_and(|b| (b >> (i % 8)) & 1 == 1),
        }
    }
}

/// Most levels in one subtree: the Morton indices here hold 21 bits per
/// axis, and 8^20 tiles of an octree level still count in a u64.
pub const MAX_SUBTREE_LEVELS: u32 = 21;

struct Subtree {
    tiles: Bits,
    content: Bits,
    children: Bits,
}

fn read_subtree(source: &dyn crate::TileSource, path: &Path) -> Result<Subtree, TilesError> {
    let bytes = source.read(path).map_err(|e| file_error(path, e))?;
    if bytes.len() < 24 || &bytes[0..4] != b"subt" {
        return Err(file_error(path, "not a subtree file (magic \"subt\")"));
    }
    let json_len = u64::from_le_bytes(bytes[8..16].try_into().map_err(|_| file_error(path, "header"))?);
    let bin_len = u64::from_le_bytes(bytes[16..24].try_into().map_err(|_| file_error(path, "header"))?);
    // u64 lengths: summed checked, and cast only once known to lie in the file.
    let fits = 24u64.checked_add(json_len).and_then(|n| n.checked_add(bin_len)).is_some_and(|end| usize::try_from(end).is_ok_and(|end| end <= bytes.len()));
    if !fits {
        return Err(file_error(
            path,
            format!("truncated: jsonByteLength {json_len} and binaryByteLength {bin_len} run past the file's {} bytes", bytes.len()),
        ));
    }
    let (json_len, bin_len) = (json_len as usize, bin_len as usize);
    let raw: RawSubtree = serde_json::from_slice(&bytes[24..24 + json_len]).map_err(|e| file_error(path, format!("subtree JSON: {e}")))?;
    let binary = &bytes[24 + json_len..24 + json_len + bin_len];
    let mut buffers = Vec::new();
    for b in &raw.buffers {
        let data = match &b.uri {
            None => binary.to_vec(),
            Some(uri) => {
                let p = crate::resolve(path.parent().unwrap_or(Path::new(".")), uri);
                source.read(&p).map_err(|e| file_error(&p, e))?
            }
        };
        if data.len() < b.byte_length {
            return Err(file_error(path, format!("a buffer declares {} bytes and has {}", b.byte_length, data.len())));
        }
        buffers.push(data);
    }
    let bits = |a: &RawAvailability| -> Result<Bits, TilesError> {
        match (a.bitstream, a.constant) {
            (Some(view), _) => {
                let v = raw.buffer_views.get(view).ok_or_else(|| file_error(path, format!("bitstream view {view} does not exist")))?;
                let buffer = buffers.get(v.buffer).ok_or_else(|| file_error(path, format!("buffer {} does not exist", v.buffer)))?;
                let slice = buffer
                    .get(v.byte_offset..v.byte_offset.saturating_add(v.byte_length))
                    .ok_or_else(|| file_error(path, format!("buffer view {view} runs past its buffer")))?;
                Ok(Bits::Stream(slice.to_vec()))
            }
            (None, Some(c)) => Ok(Bits::Constant(c == 1)),
            (None, None) => Err(file_error(path, "an availability needs a bitstream or a constant")),
        }
    };
    Ok(Subtree {
        tiles: bits(&raw.tile_availability)?,
        content: match raw.content_availability.first() {
            Some(a) => bits(a)?,
            None => Bits::Constant(false),
        },
        children: bits(&raw.child_subtree_availability)?,
    })
}

/// Interleaves the bits of x, y (and z): the Morton index.
fn morton(x: u64, y: u64, z: u64, octree: bool) -> u64 {
    let mut m = 0u64;
    for bit in 0..21 {
        if octree {
            m |= ((x >> bit) & 1) << (3 * bit) | ((y >> bit) & 1) << (3 * bit + 1) | ((z >> bit) & 1) << (3 * bit + 2);
        } else {
            m |= ((x >> bit) & 1) << (2 * bit) | ((y >> bit) & 1) << (2 * bit + 1);
        }
    }
    m
}

fn fill(template: &str, level: u32, x: u64, y: u64, z: u64) -> String {
    template.replace("{level}", &level.to_string()).replace("{x}", &x.to_string()).replace("{y}", &y.to_string()).replace("{z}", &z.to_string())
}

/// The volume of tile (level, x, y, z) inside the root volume.
fn subdivide(root: &Volume, level: u32, x: u64, y: u64, z: u64, octree: bool) -> Volume {
    let n = (1u64 << level) as f64;
    match root {
        Volume::Box(b) => {
            let f = |i: u64| (2.0 * i as f64 + 1.0) / n - 1.0;
            let (fx, fy, fz) = (f(x), f(y), if octree { f(z) } else { 0.0 });
            let mut out = [0.0; 12];
            for k in 0..3 {
                out[k] = b[k] + b[3 + k] * fx + b[6 + k] * fy + b[9 + k] * fz;
                out[3 + k] = b[3 + k] / n;
                out[6 + k] = b[6 + k] / n;
                out[9 + k] = if octree { b[9 + k] / n } else { b[9 + k] };
            }
            Volume::Box(out)
        }
        Volume::Region(r) => {
            let (dx, dy) = ((r[2] - r[0]) / n, (r[3] - r[1]) / n);
            let (h0, h1) = if octree {
                let dh = (r[5] - r[4]) / n;
                (r[4] + dh * z as f64, r[4] + dh * (z + 1) as f64)
            } else {
                (r[4], r[5])
            };
            Volume::Region([r[0] + dx * x as f64, r[1] + dy * y as f64, r[0] + dx * (x + 1) as f64, r[1] + dy * (y + 1) as f64, h0, h1])
        }
        Volume::Sphere(s) => Volume::Sphere(*s),
    }
}

pub(crate) fn expand(b: &mut Builder, raw: &RawImplicit, root: usize, template: &str, base: &Path, file: &Path) -> Result<(), TilesError> {
    let octree = match raw.subdivision_scheme.as_str() {
        "QUADTREE" => false,
        "OCTREE" => true,
        other => return Err(file_error(file, format!("subdivisionScheme \"{other}\": expected QUADTREE or OCTREE"))),
    };
    if matches!(b.tiles[root].volume, Volume::Sphere(_)) {
        return Err(file_error(file, "implicit tiling needs a box or region root volume"));
    }
    if !(1..=MAX_SUBTREE_LEVELS).contains(&raw.subtree_levels) {
        return Err(file_error(file, format!("subtreeLevels {} is outside 1 to {MAX_SUBTREE_LEVELS}", raw.subtree_levels)));
    }
    if !(1..=30).contains(&raw.available_levels) {
        return Err(file_error(file, format!("availableLevels {} is outside 1 to 30", raw.available_levels)));
    }
    let ctx = Context {
        octree,
        subtree_levels: raw.subtree_levels,
        available_levels: raw.available_levels,
        template,
        subtree_template: &raw.subtrees.uri,
        base,
        root_volume: b.tiles[root].volume,
        root_error: b.tiles[root].geometric_error,
    };
    ctx.subtree(b, root, 0, 0, 0, 0)
}

struct Context<'a> {
    octree: bool,
    subtree_levels: u32,
    available_levels: u32,
    template: &'a str,
    subtree_template: &'a str,
    base: &'a Path,
    root_volume: Volume,
    root_error: f64,
}

impl Context<'_> {
    /// Expands the subtree rooted at tile `index` = (level, x, y, z).
    fn subtree(&self, b: &mut Builder, index: usize, level: u32, x: u64, y: u64, z: u64) -> Result<(), TilesError> {
        let path = crate::resolve(self.base, &fill(self.subtree_template, level, x, y, z));
        let st = read_subtree(b.source, &path)?;
        let branching: u64 = if self.octree { 8 } else { 4 };
        // Tiles of this subtree by local level: (tile index, local x, y, z).
        let mut current = vec![(index, 0u64, 0u64, 0u64)];
        for local in 0..self.subtree_levels {
            if current.is_empty() {
                break;
            }
            let global = level + local;
            // local < MAX_SUBTREE_LEVELS: 8^local fits a u64.
            let offset = (branching.pow(local) - 1) / (branching - 1);
            let mut next = Vec::new();
            for &(tile, lx, ly, lz) in &current {
                let bit = offset + morton(lx, ly, lz, self.octree);
                if st.content.get(bit) {
                    let (gx, gy, gz) = ((x << local) + lx, (y << local) + ly, (z << local) + lz);
                    b.tiles[tile].content = Some(crate::resolve(self.base, &fill(self.template, global, gx, gy, gz)));
                }
                if global + 1 >= self.available_levels {
                    continue;
                }
                let kids = if self.octree { 8 } else { 4 };
                for k in 0..kids {
                    let (cx, cy, cz) = (lx * 2 + (k & 1), ly * 2 + ((k >> 1) & 1), lz * 2 + ((k >> 2) & 1));
                    let child_local = local + 1;
                    let (gx, gy, gz) = ((x << child_local) + cx, (y << child_local) + cy, (z << child_local) + cz);
                    let available = if child_local < self.subtree_levels {
                        let child_offset = (branching.pow(child_local) - 1) / (branching - 1);
                        st.tiles.get(child_offset + morton(cx, cy, cz, self.octree))
                    } else {
                        st.children.get(morton(cx, cy, cz, self.octree))
                    };
                    if !available {
                        continue;
                    }
                    let child = self.new_tile(b, tile, global + 1, gx, gy, gz)?;
                    if child_local < self.subtree_levels {
                        next.push((child, cx, cy, cz));
                    } else {
                        self.subtree(b, child, global + 1, gx, gy, gz)?;
                    }
                }
            }
            current = next;
        }
        Ok(())
    }

    fn new_tile(&self, b: &mut Builder, parent: usize, level: u32, x: u64, y: u64, z: u64) -> Result<usize, TilesError> {
        if b.tiles.len() >= crate::MAX_TILES {
            return Err(file_error(self.base, format!("more than {} tiles", crate::MAX_TILES)));
        }
        let p = &b.tiles[parent];
        let volume = subdivide(&self.root_volume, level, x, y, z, self.octree);
        let tile = Tile {
            transform: p.transform,
            volume,
            request_volume: None,
            geometric_error: self.root_error / (1u64 << level) as f64,
            refine: p.refine,
            content: None,
            children: Vec::new(),
            parent: Some(parent),
            sphere: bounding_sphere(&volume, &p.transform),
        };
        b.tiles.push(tile);
        let index = b.tiles.len() - 1;
        b.tiles[parent].children.push(index);
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashMap;
    use std::path::PathBuf;

    /// Files in memory, by path.
    struct Memory(HashMap<PathBuf, Vec<u8>>);

    impl crate::TileSource for Memory {
        fn read(&self, location: &Path) -> Result<Vec<u8>, String> {
            self.0.get(location).cloned().ok_or_else(|| format!("{} not found", location.display()))
        }
    }

    fn subtree_file(json: &str, json_len: u64, bin_len: u64) -> Vec<u8> {
        let mut out = b"subt".to_vec();
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&json_len.to_le_bytes());
        out.extend_from_slice(&bin_len.to_le_bytes());
        out.extend_from_slice(json.as_bytes());
        out
    }

    /// A quadtree tileset with `subtreeLevels` and `availableLevels` as
    /// given, whose root subtree has no tiles below the root.
    fn implicit_tileset(subtree_levels: u32, available_levels: u32) -> Memory {
        let tileset = format!(
            r#"{{"asset":{{"version":"1.1"}},"geometricError":100,"root":{{"boundingVolume":{{"box":[0,0,0,10,0,0,0,10,0,0,0,10]}},"geometricError":50,"content":{{"uri":"c/{{level}}/{{x}}/{{y}}.glb"}},"implicitTiling":{{"subdivisionScheme":"QUADTREE","subtreeLevels":{subtree_levels},"availableLevels":{available_levels},"subtrees":{{"uri":"s/{{level}}.{{x}}.{{y}}.subtree"}}}}}}}}"#
        );
        let json = r#"{"tileAvailability":{"constant":0},"contentAvailability":[{"constant":1}],"childSubtreeAvailability":{"constant":0}}"#;
        Memory(HashMap::from([
            (PathBuf::from("t/tileset.json"), tileset.into_bytes()),
            (PathBuf::from("t/s/0.0.0.subtree"), subtree_file(json, json.len() as u64, 0)),
        ]))
    }

    #[test]
    fn subtree_levels_64_is_an_error_naming_subtree_levels() {
        let e = crate::load_tileset_from(&implicit_tileset(64, 30), Path::new("t/tileset.json")).unwrap_err().to_string();
        assert_eq!(e, crate::file_error(Path::new("t/tileset.json"), "subtreeLevels 64 is outside 1 to 21").to_string());
    }

    #[test]
    fn subtree_levels_at_the_cap_expand() {
        let t = crate::load_tileset_from(&implicit_tileset(MAX_SUBTREE_LEVELS, 30), Path::new("t/tileset.json")).unwrap();
        assert_eq!(t.tiles.len(), 1);
        assert_eq!(t.tiles[0].content, Some(PathBuf::from("t/c/0/0/0.glb")));
    }

    #[test]
    fn subtree_json_length_near_u64_max_is_an_error_naming_the_field() {
        let path = Path::new("s/0.0.0.subtree");
        let source = Memory(HashMap::from([(path.to_owned(), subtree_file("{}", u64::MAX, 0))]));
        let e = read_subtree(&source, path).err().unwrap().to_string();
        let expected = format!("truncated: jsonByteLength {} and binaryByteLength 0 run past the file's 26 bytes", u64::MAX);
        assert_eq!(e, file_error(path, expected).to_string());
    }

    #[test]
    fn morton_interleaves() {
        assert_eq!(morton(1, 0, 0, false), 1);
        assert_eq!(morton(0, 1, 0, false), 2);
        assert_eq!(morton(3, 3, 0, false), 15);
        assert_eq!(morton(0, 0, 1, true), 4);
    }
}

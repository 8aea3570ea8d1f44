//! Generated parts as bytes: the browser generates the Citadel in a Web
//! Worker and hands the page its parts this way. Little-endian; counts are
//! checked against the bytes there are before anything is allocated, and
//! part names must be ones the generator gives.

use crate::{MeshData, Part, Surface};

const MAGIC: [u8; 4] = *b"SPrt";
const VERSION: u32 = 1;

/// Every name a generator of this crate gives its parts.
pub const PART_NAMES: [&str; 7] = ["ground", "walls", "gates", "memorial", "trees", "river", "moat"];

/// The parts in bytes. A part named outside [`PART_NAMES`] is written
/// (and then refused by [`parts_from_bytes`]): the test of this crate
/// keeps the list and the generator in step.
pub fn parts_to_bytes(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    put_u32(&mut out, VERSION);
    put_u32(&mut out, len32(parts.len()));
    for part in parts {
        put_u32(&mut out, len32(part.name.len()));
        out.extend_from_slice(part.name.as_bytes());
        out.push(match part.surface {
            Surface::Solid => 0,
            Surface::Water => 1,
        });
        let m = &part.mesh;
        for n in [m.positions.len(), m.normals.len(), m.colors.len(), m.indices.len()] {
            put_u32(&mut out, len32(n));
        }
        m.positions.iter().chain(&m.normals).flatten().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        m.colors.iter().flatten().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        m.indices.iter().for_each(|i| put_u32(&mut out, *i));
    }
    out
}

/// Reads [`parts_to_bytes`]'s form back.
pub fn parts_from_bytes(bytes: &[u8]) -> Result<Vec<Part>, String> {
    let mut r = Reader { rest: bytes };
    if r.take(4, "the magic")? != MAGIC {
        return Err("generated parts: not parts' bytes (bad magic)".to_owned());
    }
    let version = r.u32("the version")?;
    if version != VERSION {
        return Err(format!("generated parts: format version {version}, this build reads {VERSION}"));
    }
    let count = r.u32("the part count")? as usize;
    // A part takes at least 21 bytes (name length, surface, four counts).
    r.room_for(count, 21, "parts")?;
    let mut parts = Vec::with_capacity(count);
    for k in 0..count {
        let name_len = r.u32("a part's name")? as usize;
        let name = std::str::from_utf8(r.take(name_len, "a part's name")?).map_err(|_| format!("generated parts: part {k}'s name is not UTF-8"))?;
        let name = PART_NAMES.iter().find(|n| **n == name).ok_or_else(|| format!("generated parts: part {k} is named \"{name}\", not a generated part"))?;
        let surface = match r.take(1, "a part's surface")?[0] {
            0 => Surface::Solid,
            1 => Surface::Water,
            other => return Err(format!("generated parts: part {k} has surface {other}")),
        };
        let [positions, normals, colors, indices] = [0; 4].map(|_| r.u32("a part's sizes").map(|n| n as usize));
        let (positions, normals, colors, indices) = (positions?, normals?, colors?, indices?);
        r.room_for(positions, 12, "positions")?;
        let positions: Vec<[f32; 3]> = (0..positions).map(|_| r.f32s::<3>("positions")).collect::<Result<_, _>>()?;
        r.room_for(normals, 12, "normals")?;
        let normals = (0..normals).map(|_| r.f32s::<3>("normals")).collect::<Result<_, _>>()?;
        r.room_for(colors, 16, "colours")?;
        let colors = (0..colors).map(|_| r.f32s::<4>("colours")).collect::<Result<_, _>>()?;
        r.room_for(indices, 4, "indices")?;
        let indices: Vec<u32> = (0..indices).map(|_| r.u32("indices")).collect::<Result<_, _>>()?;
        if let Some(bad) = indices.iter().find(|i| **i as usize >= positions.len()) {
            return Err(format!("generated parts: part {k} has index {bad} of {} vertices", positions.len()));
        }
        parts.push(Part {
            name,
            surface,
            mesh: MeshData { positions, normals, colors, indices },
        });
    }
    if !r.rest.is_empty() {
        return Err(format!("generated parts: {} bytes after the last part", r.rest.len()));
    }
    Ok(parts)
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err(format!("generated parts: cut short in {what} ({} bytes left, {n} needed)", self.rest.len()));
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Ok(a)
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f32s<const N: usize>(&mut self, what: &str) -> Result<[f32; N], String> {
        let b = self.take(4 * N, what)?;
        Ok(std::array::from_fn(|i| f32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])))
    }

    fn room_for(&self, count: usize, min_bytes: usize, what: &str) -> Result<(), String> {
        match count.checked_mul(min_bytes) {
            Some(n) if n <= self.rest.len() => Ok(()),
            _ => Err(format!("generated parts: {count} {what} cannot fit in the {} bytes left", self.rest.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::citadel;

    #[test]
    fn the_citadel_crosses_to_the_main_thread_as_bytes_unchanged() {
        let parts = citadel::generate(&citadel::Layout::default(), &mut |_| {});
        // Every name the generator gives is one the reader accepts.
        let names: Vec<&str> = parts.iter().map(|p| p.name).collect();
        assert_eq!(names, PART_NAMES);
        let bytes = parts_to_bytes(&parts);
        assert_eq!(parts_from_bytes(&bytes).expect("read back"), parts);
        for cut in [0, 5, 11, 12, 20, bytes.len() / 2, bytes.len() - 1] {
            let err = parts_from_bytes(&bytes[..cut]).expect_err("cut");
            assert!(err.contains("cut short") || err.contains("cannot fit"), "cut at {cut}: {err}");
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(parts_from_bytes(&trailing).expect_err("trailing").contains("after the last part"));
    }

    #[test]
    fn forged_parts_are_refused() {
        let part = |name: &'static str, indices: Vec<u32>| Part {
            name,
            surface: Surface::Water,
            mesh: MeshData { positions: vec![[0.0; 3]; 3], normals: vec![[0.0, 0.0, 1.0]; 3], colors: vec![[1.0; 4]; 3], indices },
        };
        assert!(parts_from_bytes(&parts_to_bytes(&[part("spaceship", vec![0, 1, 2])])).expect_err("name").contains("\"spaceship\""));
        assert!(parts_from_bytes(&parts_to_bytes(&[part("moat", vec![0, 1, 3])])).expect_err("index").contains("index 3 of 3"));
        let mut many = parts_to_bytes(&[part("moat", vec![0, 1, 2])]);
        many[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parts_from_bytes(&many).expect_err("count").contains("cannot fit"));
        let mut surface = parts_to_bytes(&[part("moat", vec![0, 1, 2])]);
        surface[12 + 4 + 4] = 7;
        assert!(parts_from_bytes(&surface).expect_err("surface").contains("surface 7"));
    }
}

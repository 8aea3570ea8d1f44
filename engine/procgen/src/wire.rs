//! Generated parts as bytes: the browser generates the Citadel in a Web
//! Worker and hands the page its parts this way. Little-endian, every count
//! checked ([`sontinh_wire`]); part names must be ones the generator gives.

use sontinh_wire::{Reader, Writer};

use crate::{MeshData, Part, Surface};

const MAGIC: [u8; 4] = *b"SPrt";
const VERSION: u32 = 2;
/// Least bytes of a part: its name's length, surface and four counts.
const PART_MIN_BYTES: usize = 21;

/// Every name a generator of this crate gives its parts.
pub const PART_NAMES: [&str; 6] = ["ground", "walls", "gates", "memorial", "river", "moat"];

/// The parts in bytes. A part named outside [`PART_NAMES`] is written
/// (and then refused by [`parts_from_bytes`]): the test of this crate
/// keeps the list and the generator in step.
pub fn parts_to_bytes(parts: &[Part]) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(&MAGIC);
    w.u32(VERSION);
    w.len(parts.len());
    for part in parts {
        w.len(part.name.len());
        w.bytes(part.name.as_bytes());
        w.u8(match part.surface {
            Surface::Solid => 0,
            Surface::Water => 1,
        });
        write_mesh(&mut w, &part.mesh);
    }
    w.into_bytes()
}

/// A mesh's four counts, then its arrays (also the terrain's chunks' form).
pub fn write_mesh(w: &mut Writer, m: &MeshData) {
    for n in [m.positions.len(), m.normals.len(), m.colors.len(), m.indices.len()] {
        w.len(n);
    }
    w.f32s(m.positions.as_flattened());
    w.f32s(m.normals.as_flattened());
    w.f32s(m.colors.as_flattened());
    w.u32s(&m.indices);
}

/// Reads [`write_mesh`]'s form; `what` names the mesh in errors. Every
/// index must name a vertex.
pub fn read_mesh(r: &mut Reader, what: &str) -> Result<MeshData, String> {
    let (positions, normals) = (r.len("a mesh's sizes")?, r.len("a mesh's sizes")?);
    let (colors, indices) = (r.len("a mesh's sizes")?, r.len("a mesh's sizes")?);
    let positions = r.f32_arrays::<3>(positions, "positions")?;
    let normals = r.f32_arrays::<3>(normals, "normals")?;
    let colors = r.f32_arrays::<4>(colors, "colours")?;
    let indices = r.u32s(indices, "indices")?;
    if let Some(bad) = indices.iter().find(|i| **i as usize >= positions.len()) {
        return Err(r.error(format_args!("{what} has index {bad} of {} vertices", positions.len())));
    }
    Ok(MeshData { positions, normals, colors, indices })
}

/// Reads [`parts_to_bytes`]'s form back.
pub fn parts_from_bytes(bytes: &[u8]) -> Result<Vec<Part>, String> {
    let mut r = Reader::new(bytes, "generated parts");
    if r.take(4, "the magic")? != MAGIC {
        return Err(r.error("not parts' bytes (bad magic)"));
    }
    let version = r.u32("the version")?;
    if version != VERSION {
        return Err(r.error(format_args!("format version {version}, this build reads {VERSION}")));
    }
    let count = r.len("the part count")?;
    r.room_for(count, PART_MIN_BYTES, "parts")?;
    let mut parts = Vec::with_capacity(count);
    for k in 0..count {
        let name_len = r.len("a part's name")?;
        let name = std::str::from_utf8(r.take(name_len, "a part's name")?).map_err(|_| r.error(format_args!("part {k}'s name is not UTF-8")))?;
        let name = PART_NAMES.iter().find(|n| **n == name).ok_or_else(|| r.error(format_args!("part {k} is named \"{name}\", not a generated part")))?;
        let surface = match r.u8("a part's surface")? {
            0 => Surface::Solid,
            1 => Surface::Water,
            other => return Err(r.error(format_args!("part {k} has surface {other}"))),
        };
        let mesh = read_mesh(&mut r, &format!("part {k}"))?;
        parts.push(Part { name, surface, mesh });
    }
    r.finish("the last part")?;
    Ok(parts)
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

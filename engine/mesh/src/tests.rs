#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use super::*;

fn shared(path: &str) -> Vec<u8> {
    let p: PathBuf = sontinh_scene::shared_file(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), path).unwrap();
    std::fs::read(&p).unwrap()
}

#[test]
fn smithsonian_scan_sits_16_8_m_from_its_origin() {
    let model = read_glb(&shared("models/smithsonian_USNM_1145291/USNM_1145291-100k-2048_nodraco.glb")).unwrap();
    assert_eq!(model.triangle_count(), 100_000);
    assert_eq!(model.textures.len(), 3);
    assert!(model.textures.iter().all(|t| t.width == 2048 && t.height == 2048));
    // glTF z 16.786..17.072 is ENU south (-y).
    assert!((model.max[1] + 16.786).abs() < 1e-3 && (model.min[1] + 17.072).abs() < 1e-3, "{:?} {:?}", model.min, model.max);
    let m = &model.primitives[0].material;
    assert!(m.base_color_texture.is_some() && m.normal_texture.is_some() && m.occlusion_texture.is_some());
}

#[test]
fn the_danish_bust_is_about_0_6_m_tall() {
    let model = read_glb(&shared("models/danish_statues/BustManWreath.glb")).unwrap();
    assert_eq!(model.triangle_count(), 31_514);
    let height = model.max[2] - model.min[2];
    assert!((height - 0.605).abs() < 0.01, "{height}");
}

const DRACO: &str = "models/smithsonian_USNM_1145291/USNM_1145291-150k-2048-medium-100k-2048_draco.glb";

#[test]
fn the_draco_smithsonian_scan_matches_the_plain_one() {
    let plain = read_glb(&shared("models/smithsonian_USNM_1145291/USNM_1145291-100k-2048_nodraco.glb")).unwrap();
    let draco = read_glb(&shared(DRACO)).unwrap();
    assert_eq!(draco.triangle_count(), 100_000);
    // The accessors say 73,080; EdgeBreaker may split a vertex or two on seams.
    let vertices = draco.primitives[0].positions.len();
    assert!((73_080..73_100).contains(&vertices), "{vertices}");
    assert_eq!(draco.textures.len(), 3);
    // Quantisation moves vertices by well under a millimetre on a 0.4 m object.
    for k in 0..3 {
        assert!((draco.min[k] - plain.min[k]).abs() < 1e-3 && (draco.max[k] - plain.max[k]).abs() < 1e-3, "{:?} {:?} / {:?} {:?}", draco.min, draco.max, plain.min, plain.max);
    }
    let p = &draco.primitives[0];
    assert!(p.normals.iter().all(|n| ((n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt() - 1.0).abs() < 1e-2));
    assert!(p.uvs.iter().all(|uv| (-0.01..=1.01).contains(&uv[0]) && (-0.01..=1.01).contains(&uv[1])));
    // The surface area agrees: the same triangles, not the same count of others.
    let area = |m: &Model| -> f64 {
        m.primitives
            .iter()
            .flat_map(|p| p.indices.chunks(3).map(move |t| [0, 1, 2].map(|k| p.positions[t[k] as usize])))
            .map(|[a, b, c]| {
                let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
                let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
                let n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
                0.5 * ((n[0] * n[0] + n[1] * n[1] + n[2] * n[2]) as f64).sqrt()
            })
            .sum()
    };
    let (a, b) = (area(&draco), area(&plain));
    assert!((a - b).abs() / b < 0.01, "{a} {b}");
}

#[test]
fn a_corrupt_draco_bitstream_is_an_error() {
    let good = shared(DRACO);
    let json_len = u32::from_le_bytes([good[12], good[13], good[14], good[15]]) as usize;
    let bin_start = 20 + json_len + 8;
    let mut broken = good.clone();
    // Draco's header ("DRACO", version, type) then the connectivity: scramble past the header.
    for b in &mut broken[bin_start + 16..bin_start + 4096] {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    match read_glb(&broken) {
        Err(e) => assert!(e.to_string().contains("Draco"), "{e}"),
        Ok(m) => panic!("a scrambled bitstream decoded to {} triangles", m.triangle_count()),
    }
    let mut magic = good;
    magic[bin_start..bin_start + 5].copy_from_slice(b"XXXXX");
    let e = read_glb(&magic).unwrap_err();
    assert!(e.to_string().contains("Draco"), "{e}");
}

#[test]
fn broken_files_are_errors() {
    let good = shared("models/danish_statues/BustManWreath.glb");
    let mut magic = good.clone();
    magic[0] = b'X';
    assert_eq!(read_glb(&magic).unwrap_err(), MeshError::BadMagic);
    assert!(matches!(read_glb(&good[..good.len() / 2]).unwrap_err(), MeshError::Truncated(_)));
    assert!(matches!(read_glb(&good[..5]).unwrap_err(), MeshError::Truncated(_)));
    // An accessor pointing past its buffer: grow the first accessor's count in the JSON.
    let json_len = u32::from_le_bytes([good[12], good[13], good[14], good[15]]) as usize;
    let json = std::str::from_utf8(&good[20..20 + json_len]).unwrap();
    let at = json.find("\"count\":").unwrap() + 8;
    let end = at + json[at..].find(|c: char| !c.is_ascii_digit()).unwrap();
    let bigger = "9".repeat(end - at);
    let mut broken = good.clone();
    broken[20 + at..20 + end].copy_from_slice(bigger.as_bytes());
    let e = read_glb(&broken).unwrap_err();
    assert!(matches!(e, MeshError::Invalid(_)), "{e:?}");
}

#[test]
fn damaged_draco_bitstreams_never_panic() {
    let good = shared(DRACO);
    let json_len = u32::from_le_bytes([good[12], good[13], good[14], good[15]]) as usize;
    let bin_start = 20 + json_len + 8;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..24 {
        let mut broken = good.clone();
        // A burst of random bytes somewhere in the first 64 KiB of the bitstream.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let at = bin_start + 6 + (seed % 65_536) as usize;
        for (k, b) in broken[at..at + 1 + round].iter_mut().enumerate() {
            *b ^= (seed >> (k % 8 * 8)) as u8 | 1;
        }
        let _ = read_glb(&broken);
    }
}

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

#[test]
fn draco_is_refused_by_name() {
    let e = read_glb(&shared("models/smithsonian_USNM_1145291/USNM_1145291-150k-2048-medium-100k-2048_draco.glb")).unwrap_err();
    assert_eq!(e, MeshError::UnsupportedExtension("KHR_draco_mesh_compression".into()));
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

//! Inputs the fuzzers (tools/fuzz.sh, target mesh_glb) found crashing the
//! GLB reader, kept so that they stay errors. The files are in
//! fuzz/regressions/.

/// A GLB header whose total length (0) is shorter than the 12-byte header
/// itself: gltf's `Glb::from_slice` subtracts the header size from it
/// (an overflow panic in builds with overflow checks, tests included).
#[test]
fn glb_length_shorter_than_its_header_is_an_error() {
    let bytes = include_bytes!("../../../fuzz/regressions/glb-length-shorter-than-header.glb");
    assert!(sontinh_mesh::read_glb(bytes).is_err());
    for length in 0u32..12 {
        let mut glb = b"glTF\x02\0\0\0".to_vec();
        glb.extend_from_slice(&length.to_le_bytes());
        assert!(sontinh_mesh::read_glb(&glb).is_err(), "declared length {length}");
    }
}

/// A primitive whose POSITION names accessor 5 of 3: gltf-json's
/// validation indexes the accessors with it unchecked (index out of bounds).
#[test]
fn glb_position_accessor_out_of_range_is_an_error() {
    let bytes = include_bytes!("../../../fuzz/regressions/glb-position-accessor-out-of-range.glb");
    assert!(sontinh_mesh::read_glb(bytes).is_err());
}

/// The same, built by hand: the smallest GLB whose only primitive's
/// POSITION accessor does not exist.
#[test]
fn glb_position_accessor_missing_is_an_error() {
    let mut json = br#"{"asset":{"version":"2.0"},"meshes":[{"primitives":[{"attributes":{"POSITION":0}}]}]}"#.to_vec();
    // GLB chunks are padded with spaces to four bytes.
    while json.len() % 4 != 0 {
        json.push(b' ');
    }
    let json = json.as_slice();
    let mut glb = b"glTF\x02\0\0\0".to_vec();
    glb.extend_from_slice(&(20 + json.len() as u32).to_le_bytes());
    glb.extend_from_slice(&(json.len() as u32).to_le_bytes());
    glb.extend_from_slice(b"JSON");
    glb.extend_from_slice(json);
    assert!(sontinh_mesh::read_glb(&glb).is_err());
}

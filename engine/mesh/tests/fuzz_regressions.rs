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
    while !json.len().is_multiple_of(4) {
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

/// A primitive whose `indices` names a FLOAT VEC3 accessor (its POSITION
/// one): gltf's reader has no arm for float indices (`unreachable!` in
/// `Reader::read_indices`).
#[test]
fn glb_indices_float_vec3_accessor_is_an_error() {
    let bytes = include_bytes!("../../../fuzz/regressions/glb-indices-float-vec3-accessor.glb");
    let Err(error) = sontinh_mesh::read_glb(bytes) else { panic!("read as a model") };
    assert!(error.to_string().contains("indices"), "{error}");
}

/// The same from the tile_content fuzzer: `indices` names the FLOAT VEC3
/// NORMAL accessor.
#[test]
fn glb_indices_naming_the_normal_accessor_is_an_error() {
    let bytes = include_bytes!("../../../fuzz/regressions/glb-indices-naming-the-normal-accessor.glb");
    let Err(error) = sontinh_mesh::read_glb(bytes) else { panic!("read as a model") };
    assert!(error.to_string().contains("indices"), "{error}");
}

/// A one-triangle GLB: accessor 0 is POSITION (FLOAT VEC3, 3 vertices at
/// byte 0), `second` is accessor 1 (at byte 36 of the same 64-byte view),
/// used as `attribute` ("indices" for the index list); `stride` is the
/// view's byteStride JSON, if any.
fn glb_with(attribute: &str, second: &str, position_count: u32, stride: &str) -> Vec<u8> {
    let (attributes, indices) = match attribute {
        "indices" => (String::new(), r#","indices":1"#.to_owned()),
        name => (format!(r#","{name}":1"#), String::new()),
    };
    let mut json = format!(
        r#"{{"asset":{{"version":"2.0"}},"scenes":[{{"nodes":[0]}}],"nodes":[{{"mesh":0}}],"meshes":[{{"primitives":[{{"attributes":{{"POSITION":0{attributes}}}{indices}}}]}}],"buffers":[{{"byteLength":64}}],"bufferViews":[{{"buffer":0,"byteLength":64{stride}}}],"accessors":[{{"bufferView":0,"componentType":5126,"count":{position_count},"type":"VEC3","min":[0,0,0],"max":[1,1,0]}},{second}]}}"#
    )
    .into_bytes();
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    let mut bin = Vec::new();
    for v in [[0f32, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]] {
        for c in v {
            bin.extend_from_slice(&c.to_le_bytes());
        }
    }
    for i in [0u16, 1, 2] {
        bin.extend_from_slice(&i.to_le_bytes());
    }
    bin.resize(64, 0);
    let mut glb = b"glTF\x02\0\0\0".to_vec();
    glb.extend_from_slice(&(12 + 8 + json.len() as u32 + 8 + 64).to_le_bytes());
    glb.extend_from_slice(&(json.len() as u32).to_le_bytes());
    glb.extend_from_slice(b"JSON");
    glb.extend_from_slice(&json);
    glb.extend_from_slice(&64u32.to_le_bytes());
    glb.extend_from_slice(b"BIN\0");
    glb.extend_from_slice(&bin);
    glb
}

const U16_INDICES: &str = r#"{"bufferView":0,"byteOffset":36,"componentType":5123,"count":3,"type":"SCALAR"}"#;

/// The hand-built GLB reads when its accessors are what gltf's reader expects.
#[test]
fn glb_with_helper_reads_when_accessor_types_are_sane() {
    let model = sontinh_mesh::read_glb(&glb_with("indices", U16_INDICES, 3, "")).expect("the sane GLB");
    assert_eq!(model.primitives[0].indices, [0, 1, 2]);
}

/// Float indices, built by hand.
#[test]
fn glb_float_indices_are_an_error_naming_indices() {
    let float = r#"{"bufferView":0,"byteOffset":36,"componentType":5126,"count":3,"type":"SCALAR"}"#;
    let Err(error) = sontinh_mesh::read_glb(&glb_with("indices", float, 3, "")) else { panic!("read as a model") };
    assert!(error.to_string().contains("indices"), "{error}");
}

/// Indices of more than one component (gltf reads them as scalars).
#[test]
fn glb_vec2_indices_are_an_error_naming_indices() {
    let vec2 = r#"{"bufferView":0,"byteOffset":36,"componentType":5123,"count":3,"type":"VEC2"}"#;
    let Err(error) = sontinh_mesh::read_glb(&glb_with("indices", vec2, 3, "")) else { panic!("read as a model") };
    assert!(error.to_string().contains("indices"), "{error}");
}

/// BYTE texture coordinates: gltf's `read_tex_coords` has no arm for them.
#[test]
fn glb_byte_texcoords_are_an_error_naming_texcoord() {
    let byte = r#"{"bufferView":0,"byteOffset":36,"componentType":5120,"count":3,"type":"VEC2"}"#;
    let Err(error) = sontinh_mesh::read_glb(&glb_with("TEXCOORD_0", byte, 3, "")) else { panic!("read as a model") };
    assert!(error.to_string().contains("TEXCOORD_0"), "{error}");
}

/// VEC2 normals: gltf reads 12 bytes of each 8-byte element.
#[test]
fn glb_vec2_normals_are_an_error_naming_normal() {
    let vec2 = r#"{"bufferView":0,"byteOffset":36,"componentType":5126,"count":3,"type":"VEC2"}"#;
    let Err(error) = sontinh_mesh::read_glb(&glb_with("NORMAL", vec2, 3, "")) else { panic!("read as a model") };
    assert!(error.to_string().contains("NORMAL"), "{error}");
}

/// A POSITION accessor of no vertices: gltf's reader computes count - 1.
#[test]
fn glb_position_count_zero_is_an_error_naming_the_count() {
    let Err(error) = sontinh_mesh::read_glb(&glb_with("indices", U16_INDICES, 0, "")) else { panic!("read as a model") };
    assert!(error.to_string().contains("count"), "{error}");
}

/// A byteStride (4) shorter than a FLOAT VEC3 element (12): gltf reads
/// each element from a 4-byte slice.
#[test]
fn glb_stride_shorter_than_its_element_is_an_error_naming_byte_stride() {
    let Err(error) = sontinh_mesh::read_glb(&glb_with("indices", U16_INDICES, 3, r#","byteStride":4"#)) else { panic!("read as a model") };
    assert!(error.to_string().contains("byteStride"), "{error}");
}

/// An image with a bufferView but no mimeType (the fuzzer spelled it
/// "mimeTyre"): gltf's `Image::source` unwraps the mimeType.
#[test]
fn glb_image_view_without_mime_type_is_an_error_naming_mime_type() {
    let bytes = include_bytes!("../../../fuzz/regressions/glb-image-view-without-mime-type.glb");
    let Err(error) = sontinh_mesh::read_glb(bytes) else { panic!("read as a model") };
    assert!(error.to_string().contains("mimeType"), "{error}");
}

/// The same file with the image's bufferView renamed away (same length, so
/// the chunk lengths hold): an image with neither a bufferView nor a uri,
/// whose uri gltf's `Image::source` unwraps.
#[test]
fn glb_image_without_view_or_uri_is_an_error_naming_both() {
    let mut bytes = include_bytes!("../../../fuzz/regressions/glb-image-view-without-mime-type.glb").to_vec();
    let (from, to) = (br#"{"bufferView":3,"mimeTyre""#, br#"{"bufferViex":3,"mimeType""#);
    let at = bytes.windows(from.len()).position(|w| w == from).expect("the image in the file");
    bytes[at..at + to.len()].copy_from_slice(to);
    let Err(error) = sontinh_mesh::read_glb(&bytes) else { panic!("read as a model") };
    assert!(error.to_string().contains("neither a bufferView nor a uri"), "{error}");
}

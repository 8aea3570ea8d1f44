//! Inputs the fuzzers (tools/fuzz.sh, target tile_content) found crashing
//! the tile content reader, kept so that they stay errors naming the tile.
//! The files are in fuzz/regressions/.

use std::path::Path;

use sontinh_tiles::{TileSource, read_content_from};

struct Bytes(&'static [u8]);

impl TileSource for Bytes {
    fn read(&self, _: &Path) -> Result<Vec<u8>, String> {
        Ok(self.0.to_vec())
    }
}

/// A GLB tile whose header declares a total length (0) shorter than the
/// header: an overflow panic inside gltf's `Glb::from_slice`.
#[test]
fn glb_tile_length_shorter_than_its_header_is_an_error() {
    let bytes = include_bytes!("../../../fuzz/regressions/glb-length-shorter-than-header.glb");
    for name in ["fuzz.b3dm", "fuzz.glb"] {
        let result = read_content_from(&Bytes(bytes), Path::new(name));
        let Err(error) = result else { panic!("{name}: read as content") };
        assert!(error.to_string().contains("fuzz."), "{name}: {error}");
    }
}

/// A GLB tile whose primitive names a POSITION accessor that does not exist.
#[test]
fn glb_tile_position_accessor_out_of_range_is_an_error() {
    let bytes = include_bytes!("../../../fuzz/regressions/glb-position-accessor-out-of-range.glb");
    assert!(read_content_from(&Bytes(bytes), Path::new("fuzz.glb")).is_err());
}

/// A GLB tile whose primitive's `indices` names its FLOAT VEC3 NORMAL
/// accessor: gltf's reader has no arm for float indices (`unreachable!`).
#[test]
fn glb_tile_indices_naming_the_normal_accessor_is_an_error() {
    let bytes = include_bytes!("../../../fuzz/regressions/glb-indices-naming-the-normal-accessor.glb");
    for name in ["fuzz.b3dm", "fuzz.glb"] {
        let result = read_content_from(&Bytes(bytes), Path::new(name));
        let Err(error) = result else { panic!("{name}: read as content") };
        assert!(error.to_string().contains("fuzz.") && error.to_string().contains("indices"), "{name}: {error}");
    }
}

/// A b3dm whose embedded GLB's image has neither a bufferView (the fuzzer
/// spelled it "buffebView") nor a uri: gltf's `Image::source` unwraps the uri.
#[test]
fn b3dm_image_without_view_or_uri_is_an_error() {
    let bytes = include_bytes!("../../../fuzz/regressions/b3dm-image-without-view-or-uri.b3dm");
    let Err(error) = read_content_from(&Bytes(bytes), Path::new("fuzz.b3dm")) else { panic!("read as content") };
    assert!(error.to_string().contains("fuzz.b3dm") && error.to_string().contains("bufferView"), "{error}");
}

//! GLB reading of arbitrary bytes (container, JSON, accessors, Draco
//! bitstreams, embedded PNG/JPEG/KTX2 textures): an error or a model whose
//! indices stay inside its vertices, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = sontinh_mesh::read_glb(data) {
        for p in &model.primitives {
            assert!(p.indices.iter().all(|&i| (i as usize) < p.positions.len()));
        }
    }
    let _ = sontinh_mesh::decode_ktx2(data);
});

//! Header, VLR/EVLR and COPC hierarchy parsing of arbitrary bytes: must
//! return an error or a layout whose offsets lie in the input, never panic.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use sontinh_pointcloud::copc::{CopcInfo, Hierarchy};
use sontinh_pointcloud::layout::read_layout;

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let mut cursor = Cursor::new(data);
    if let Ok(layout) = read_layout(&mut cursor, len) {
        for record in layout.vlrs.iter().chain(&layout.evlrs) {
            assert!(record.data_offset + record.data_len <= len);
        }
        if let Some(record) = layout.find_vlr("copc", 1) {
            let start = record.data_offset as usize;
            let end = start + record.data_len as usize;
            if let Ok(info) = CopcInfo::parse(&data[start..end]) {
                let _ = Hierarchy::read(&mut cursor, &info, &layout);
            }
        }
    }
});

//! The raw byte layout of a LAS/LAZ file, checked against the file's size
//! before any decoder sees it, so that a bogus header field (a point count,
//! a VLR length, an EVLR offset) becomes a clear error instead of a huge
//! allocation or a read past the end.

use std::io::{Read, Seek, SeekFrom};

/// Minimum record length of each point format (0–10), from the LAS 1.4 spec.
pub const MIN_RECORD_LENGTH: [u16; 11] = [20, 28, 26, 34, 57, 63, 30, 36, 38, 59, 67];
const VLR_HEADER_LEN: u64 = 54;
const EVLR_HEADER_LEN: u64 = 60;

/// One variable-length record as found in the file.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RecordSummary {
    pub user_id: String,
    pub record_id: u16,
    pub description: String,
    /// File offset of the record's payload.
    #[serde(skip)]
    pub data_offset: u64,
    pub data_len: u64,
}

/// What the header and record walk established; every offset and length in
/// it lies inside the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub version: (u8, u8),
    pub header_size: u16,
    pub offset_to_point_data: u64,
    /// Format id 0–10 (the compression bits removed).
    pub point_format: u8,
    pub compressed: bool,
    pub record_length: u16,
    pub point_count: u64,
    pub points_by_return: Vec<u64>,
    pub global_encoding: u16,
    pub system_identifier: String,
    pub generating_software: String,
    pub creation: (u16, u16),
    pub scale: [f64; 3],
    pub offset: [f64; 3],
    /// Header bounds, min then max.
    pub min: [f64; 3],
    pub max: [f64; 3],
    pub vlrs: Vec<RecordSummary>,
    pub evlrs: Vec<RecordSummary>,
    pub file_len: u64,
}

impl Layout {
    /// Bytes of extra (user) data at the end of each record.
    pub fn extra_bytes_per_point(&self) -> u16 {
        self.record_length.saturating_sub(MIN_RECORD_LENGTH[usize::from(self.point_format)])
    }

    pub fn find_vlr(&self, user_id: &str, record_id: u16) -> Option<&RecordSummary> {
        self.vlrs.iter().chain(&self.evlrs).find(|r| r.user_id == user_id && r.record_id == record_id)
    }

    /// The WKT bit of the global encoding (LAS 1.4): the WKT VLR is authoritative.
    pub fn wkt_flag(&self) -> bool {
        self.global_encoding & 0x10 != 0
    }
}

/// Reads and checks the header and every VLR/EVLR header of `src`, whose
/// total length is `file_len`. Messages name the field that is wrong.
pub fn read_layout<R: Read + Seek>(src: &mut R, file_len: u64) -> Result<Layout, String> {
    if file_len < 227 {
        return Err(format!("truncated header: the file has {file_len} bytes, a LAS header needs at least 227"));
    }
    let mut head = [0u8; 375];
    let head_len = usize::try_from(file_len.min(375)).unwrap_or(375);
    src.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    src.read_exact(&mut head[..head_len]).map_err(|e| format!("reading the header: {e}"))?;
    if &head[0..4] != b"LASF" {
        return Err(format!("not a LAS file: the signature is {:?}, expected \"LASF\"", String::from_utf8_lossy(&head[0..4])));
    }
    let u16_at = |o: usize| u16::from_le_bytes([head[o], head[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes([head[o], head[o + 1], head[o + 2], head[o + 3]]);
    let u64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&head[o..o + 8]);
        u64::from_le_bytes(b)
    };
    let f64_at = |o: usize| f64::from_bits(u64_at(o));
    let text_at = |o: usize, n: usize| String::from_utf8_lossy(&head[o..o + n]).trim_end_matches(['\0', ' ']).to_owned();

    let version = (head[24], head[25]);
    if version.0 != 1 || version.1 > 4 {
        return Err(format!("unsupported LAS version {}.{} (1.0 to 1.4 are known)", version.0, version.1));
    }
    let header_size = u16_at(94);
    let minimum_header = match version.1 {
        0..=2 => 227,
        3 => 235,
        _ => 375,
    };
    if header_size < minimum_header {
        return Err(format!("header size {header_size} is smaller than the {minimum_header} bytes of a LAS 1.{} header", version.1));
    }
    if u64::from(header_size) > file_len {
        return Err(format!("truncated header: header size is {header_size} but the file has {file_len} bytes"));
    }
    let offset_to_point_data = u64::from(u32_at(96));
    if offset_to_point_data < u64::from(header_size) {
        return Err(format!("offset to point data {offset_to_point_data} lies inside the {header_size}-byte header"));
    }
    if offset_to_point_data > file_len {
        return Err(format!("offset to point data {offset_to_point_data} is past the end of the file ({file_len} bytes)"));
    }
    let raw_format = head[104];
    let compressed = raw_format & 0xC0 != 0;
    let point_format = raw_format & 0x3F;
    if point_format > 10 {
        return Err(format!("unknown point data format {point_format} (0 to 10 are defined)"));
    }
    let record_length = u16_at(105);
    let minimum_record = MIN_RECORD_LENGTH[usize::from(point_format)];
    if record_length < minimum_record {
        return Err(format!("point record length {record_length} is shorter than the {minimum_record} bytes of format {point_format}"));
    }
    let legacy_count = u64::from(u32_at(107));
    let mut points_by_return: Vec<u64> = (0..5).map(|i| u64::from(u32_at(111 + 4 * i))).collect();
    let (evlr_start, evlr_count, point_count) = if version.1 >= 4 {
        let count = u64_at(247);
        points_by_return = (0..15).map(|i| u64_at(255 + 8 * i)).collect();
        (u64_at(235), u64::from(u32_at(243)), if count == 0 { legacy_count } else { count })
    } else {
        (0, 0, legacy_count)
    };
    let scale = [f64_at(131), f64_at(139), f64_at(147)];
    let offset = [f64_at(155), f64_at(163), f64_at(171)];
    for (axis, s) in ["x", "y", "z"].iter().zip(scale) {
        if !(s.is_finite() && s > 0.0) {
            return Err(format!("{axis} scale factor {s} is not a positive number"));
        }
    }
    if offset.iter().any(|o| !o.is_finite()) {
        return Err(format!("offsets {offset:?} are not finite"));
    }
    let max = [f64_at(179), f64_at(195), f64_at(211)];
    let min = [f64_at(187), f64_at(203), f64_at(219)];

    let mut vlrs = Vec::new();
    let mut position = u64::from(header_size);
    let vlr_count = u32_at(100);
    for index in 0..vlr_count {
        let record = read_record_header(src, position, VLR_HEADER_LEN, offset_to_point_data)
            .map_err(|e| format!("VLR {index} of {vlr_count} at byte {position}: {e}"))?;
        // A u16 length after a header that fits before the point data: cannot wrap.
        position = record.data_offset + record.data_len;
        if position > offset_to_point_data {
            return Err(format!(
                "VLR {index} ({} {}) is {} bytes long and runs past the start of the point data at byte {offset_to_point_data}",
                record.user_id, record.record_id, record.data_len
            ));
        }
        vlrs.push(record);
    }

    let end_of_points = if compressed {
        check_laz_chunk_table(src, offset_to_point_data, file_len, &vlrs)?;
        None
    } else {
        let needed = point_count.checked_mul(u64::from(record_length)).and_then(|n| n.checked_add(offset_to_point_data));
        let available = (file_len - offset_to_point_data) / u64::from(record_length);
        match needed {
            Some(end) if end <= file_len => Some(end),
            _ => {
                return Err(format!(
                    "the header says {point_count} points but the file holds only {available} complete {record_length}-byte records after byte {offset_to_point_data} (truncated file or wrong point count)"
                ));
            }
        }
    };

    let mut evlrs = Vec::new();
    if evlr_count > 0 {
        if let Some(end) = end_of_points
            && evlr_start < end
        {
            return Err(format!("the first EVLR offset {evlr_start} lies inside the point data (which ends at byte {end})"));
        }
        let mut position = evlr_start;
        for index in 0..evlr_count {
            let record = read_record_header(src, position, EVLR_HEADER_LEN, file_len)
                .map_err(|e| format!("EVLR {index} of {evlr_count} at byte {position}: {e}"))?;
            // The 64-bit record length is file-supplied: near u64::MAX it wraps.
            position = record.data_offset.checked_add(record.data_len).ok_or_else(|| {
                format!(
                    "EVLR {index} ({} {}) has a record length after header of {} bytes, past any file position",
                    record.user_id, record.record_id, record.data_len
                )
            })?;
            if position > file_len {
                return Err(format!(
                    "EVLR {index} ({} {}) is {} bytes long and runs past the end of the file ({file_len} bytes)",
                    record.user_id, record.record_id, record.data_len
                ));
            }
            evlrs.push(record);
        }
    }

    Ok(Layout {
        version,
        header_size,
        offset_to_point_data,
        point_format,
        compressed,
        record_length,
        point_count,
        points_by_return,
        global_encoding: u16_at(6),
        system_identifier: text_at(26, 32),
        generating_software: text_at(58, 32),
        creation: (u16_at(90), u16_at(92)),
        scale,
        offset,
        min,
        max,
        vlrs,
        evlrs,
        file_len,
    })
}

fn read_record_header<R: Read + Seek>(src: &mut R, position: u64, header_len: u64, limit: u64) -> Result<RecordSummary, String> {
    if position.checked_add(header_len).is_none_or(|end| end > limit) {
        return Err(format!("the record header does not fit before byte {limit}"));
    }
    let mut buf = [0u8; 60];
    let header_len_usize = if header_len == EVLR_HEADER_LEN { 60 } else { 54 };
    src.seek(SeekFrom::Start(position)).map_err(|e| e.to_string())?;
    src.read_exact(&mut buf[..header_len_usize]).map_err(|e| e.to_string())?;
    let user_id = String::from_utf8_lossy(&buf[2..18]).trim_end_matches('\0').to_owned();
    let record_id = u16::from_le_bytes([buf[18], buf[19]]);
    let (data_len, description_at) = if header_len == EVLR_HEADER_LEN {
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[20..28]);
        (u64::from_le_bytes(b), 28)
    } else {
        (u64::from(u16::from_le_bytes([buf[20], buf[21]])), 22)
    };
    let description = String::from_utf8_lossy(&buf[description_at..description_at + 32])
        .trim_end_matches('\0')
        .to_owned();
    Ok(RecordSummary {
        user_id,
        record_id,
        description,
        data_offset: position + header_len,
        data_len,
    })
}

/// LAZ point data starts with the offset of the chunk table; it must lie in the file.
fn check_laz_chunk_table<R: Read + Seek>(src: &mut R, offset_to_point_data: u64, file_len: u64, vlrs: &[RecordSummary]) -> Result<(), String> {
    if !vlrs.iter().any(|r| r.user_id == "laszip encoded" && r.record_id == 22204) {
        return Err("the point format is marked compressed but the file has no LASzip VLR".to_owned());
    }
    if offset_to_point_data + 8 > file_len {
        return Err("truncated LAZ file: no room for the chunk table offset after the header".to_owned());
    }
    let mut b = [0u8; 8];
    src.seek(SeekFrom::Start(offset_to_point_data)).map_err(|e| e.to_string())?;
    src.read_exact(&mut b).map_err(|e| e.to_string())?;
    let table = i64::from_le_bytes(b);
    // -1 means a writer that never finished; laz-rs then scans the chunks.
    if table != -1 && (table < 0 || table as u64 > file_len || (table as u64) < offset_to_point_data + 8) {
        return Err(format!(
            "the LAZ chunk table offset {table} is outside the point data (bytes {} to {file_len}): truncated or corrupt file",
            offset_to_point_data + 8
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A minimal valid LAS 1.2 header with `count` format-0 points of data.
    pub(crate) fn tiny_las(count: u32, with_points: u32) -> Vec<u8> {
        let mut h = vec![0u8; 227];
        h[0..4].copy_from_slice(b"LASF");
        h[24] = 1;
        h[25] = 2;
        h[94..96].copy_from_slice(&227u16.to_le_bytes());
        h[96..100].copy_from_slice(&227u32.to_le_bytes());
        h[104] = 0;
        h[105..107].copy_from_slice(&20u16.to_le_bytes());
        h[107..111].copy_from_slice(&count.to_le_bytes());
        for o in [131, 139, 147] {
            h[o..o + 8].copy_from_slice(&0.01f64.to_le_bytes());
        }
        h.extend(std::iter::repeat_n(0u8, 20 * with_points as usize));
        h
    }

    fn check(bytes: &[u8]) -> Result<Layout, String> {
        read_layout(&mut Cursor::new(bytes), bytes.len() as u64)
    }

    #[test]
    fn accepts_a_minimal_file() {
        let layout = check(&tiny_las(3, 3)).unwrap();
        assert_eq!(layout.point_count, 3);
        assert_eq!(layout.version, (1, 2));
    }

    #[test]
    fn point_count_larger_than_the_file_holds() {
        let err = check(&tiny_las(4_000_000_000, 2)).unwrap_err();
        assert!(err.contains("4000000000 points") && err.contains("only 2 complete"), "{err}");
    }

    #[test]
    fn truncated_header() {
        let err = check(&tiny_las(1, 1)[..100]).unwrap_err();
        assert!(err.contains("truncated header"), "{err}");
    }

    #[test]
    fn bad_signature_and_offsets() {
        let mut bytes = tiny_las(1, 1);
        bytes[0] = b'X';
        assert!(check(&bytes).unwrap_err().contains("signature"));
        let mut bytes = tiny_las(1, 1);
        bytes[96..100].copy_from_slice(&100u32.to_le_bytes());
        assert!(check(&bytes).unwrap_err().contains("inside the 227-byte header"));
        let mut bytes = tiny_las(1, 1);
        bytes[96..100].copy_from_slice(&9_999_999u32.to_le_bytes());
        assert!(check(&bytes).unwrap_err().contains("past the end"));
    }

    #[test]
    fn evlr_length_near_u64_max_is_an_error_naming_the_record_length() {
        // LAS 1.4, no points, one EVLR right after the header.
        let mut bytes = tiny_las(0, 0);
        bytes.resize(375, 0);
        bytes[25] = 4;
        bytes[94..96].copy_from_slice(&375u16.to_le_bytes());
        bytes[96..100].copy_from_slice(&375u32.to_le_bytes());
        bytes[235..243].copy_from_slice(&375u64.to_le_bytes());
        bytes[243..247].copy_from_slice(&1u32.to_le_bytes());
        let mut evlr = vec![0u8; 60];
        evlr[2..6].copy_from_slice(b"test");
        evlr[20..28].copy_from_slice(&(u64::MAX - 100).to_le_bytes());
        bytes.extend(evlr);
        let err = check(&bytes).unwrap_err();
        assert_eq!(
            err,
            format!("EVLR 0 (test 0) has a record length after header of {} bytes, past any file position", u64::MAX - 100)
        );
    }

    #[test]
    fn vlr_running_past_the_point_data() {
        let mut bytes = tiny_las(0, 0);
        bytes[100..104].copy_from_slice(&1u32.to_le_bytes());
        let mut vlr = vec![0u8; 54];
        vlr[2..6].copy_from_slice(b"test");
        vlr[20..22].copy_from_slice(&60_000u16.to_le_bytes());
        bytes.extend(vlr);
        bytes.extend([0u8; 10]);
        let offset = bytes.len() as u32;
        bytes[96..100].copy_from_slice(&offset.to_le_bytes());
        let err = check(&bytes).unwrap_err();
        assert!(err.contains("VLR 0") && err.contains("runs past"), "{err}");
    }
}

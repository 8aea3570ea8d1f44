//! The per-point attributes of a file: the standard dimensions of its point
//! format and the named extra bytes its Extra Bytes VLR describes.

/// One attribute of every point.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Attribute {
    pub name: String,
    /// e.g. "u16", "f64", "3×u8" or "bytes[4]".
    pub kind: String,
    pub description: String,
    /// Byte offset inside the record; extra bytes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_offset: Option<u16>,
    /// Scale and offset that turn the stored value into the real one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<f64>,
}

fn standard(name: &str, kind: &str) -> Attribute {
    Attribute {
        name: name.to_owned(),
        kind: kind.to_owned(),
        description: String::new(),
        extra_offset: None,
        scale: None,
        offset: None,
    }
}

/// The standard dimensions of a point format (0–10).
pub fn standard_attributes(format: u8) -> Vec<Attribute> {
    let extended = format >= 6;
    let mut list = vec![standard("X", "i32"), standard("Y", "i32"), standard("Z", "i32"), standard("Intensity", "u16")];
    if extended {
        list.extend([
            standard("ReturnNumber", "u4"),
            standard("NumberOfReturns", "u4"),
            standard("ClassificationFlags", "u4"),
            standard("ScannerChannel", "u2"),
        ]);
    } else {
        list.extend([
            standard("ReturnNumber", "u3"),
            standard("NumberOfReturns", "u3"),
            standard("Synthetic/KeyPoint/Withheld", "3×bit"),
        ]);
    }
    list.extend([
        standard("ScanDirectionFlag", "bit"),
        standard("EdgeOfFlightLine", "bit"),
        standard("Classification", if extended { "u8" } else { "u5" }),
        standard("UserData", "u8"),
        standard(if extended { "ScanAngle" } else { "ScanAngleRank" }, if extended { "i16" } else { "i8" }),
        standard("PointSourceId", "u16"),
    ]);
    if matches!(format, 1 | 3 | 4 | 5) || extended {
        list.push(standard("GpsTime", "f64"));
    }
    if matches!(format, 2 | 3 | 5 | 7 | 8 | 10) {
        list.extend([standard("Red", "u16"), standard("Green", "u16"), standard("Blue", "u16")]);
    }
    if matches!(format, 8 | 10) {
        list.push(standard("NearInfrared", "u16"));
    }
    if matches!(format, 4 | 5 | 9 | 10) {
        list.push(standard("WavePacket", "29 bytes"));
    }
    list
}

const TYPE_NAMES: [(&str, u16); 10] = [
    ("u8", 1),
    ("i8", 1),
    ("u16", 2),
    ("i16", 2),
    ("u32", 4),
    ("i32", 4),
    ("u64", 8),
    ("i64", 8),
    ("f32", 4),
    ("f64", 8),
];

/// Parses an Extra Bytes VLR (192 bytes per attribute). Attributes that do
/// not fit in `extra_bytes_per_point` are reported as an error, not read.
pub fn parse_extra_bytes(data: &[u8], extra_bytes_per_point: u16) -> Result<Vec<Attribute>, String> {
    if !data.len().is_multiple_of(192) {
        return Err(format!("the Extra Bytes VLR is {} bytes, not a multiple of 192", data.len()));
    }
    let mut offset: u16 = 0;
    let mut list = Vec::new();
    for (index, record) in data.chunks_exact(192).enumerate() {
        let data_type = record[2];
        let options = record[3];
        let name = String::from_utf8_lossy(&record[4..36]).trim_end_matches('\0').to_owned();
        let description = String::from_utf8_lossy(&record[160..192]).trim_end_matches('\0').to_owned();
        let (kind, size) = match data_type {
            0 => (format!("bytes[{options}]"), u16::from(options)),
            1..=10 => {
                let (n, s) = TYPE_NAMES[usize::from(data_type - 1)];
                (n.to_owned(), s)
            }
            // Deprecated 2- and 3-element arrays (11–30).
            11..=30 => {
                let base = usize::from((data_type - 11) % 10);
                let count = if data_type <= 20 { 2 } else { 3 };
                let (n, s) = TYPE_NAMES[base];
                (format!("{count}×{n}"), s * count)
            }
            other => return Err(format!("extra bytes attribute {index} (\"{name}\") has unknown data type {other}")),
        };
        let f64_at = |o: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&record[o..o + 8]);
            f64::from_le_bytes(b)
        };
        let scaled = options & 0x08 != 0 && (1..=10).contains(&data_type);
        let offsetted = options & 0x10 != 0 && (1..=10).contains(&data_type);
        list.push(Attribute {
            name: if name.is_empty() { format!("extra_{index}") } else { name },
            kind,
            description,
            extra_offset: Some(offset),
            scale: scaled.then(|| f64_at(112)),
            offset: offsetted.then(|| f64_at(136)),
        });
        offset = offset.saturating_add(size);
    }
    if offset > extra_bytes_per_point {
        return Err(format!(
            "the Extra Bytes VLR describes {offset} bytes per point but the records carry only {extra_bytes_per_point}"
        ));
    }
    if offset < extra_bytes_per_point {
        list.push(Attribute {
            name: "undescribed_extra_bytes".to_owned(),
            kind: format!("bytes[{}]", extra_bytes_per_point - offset),
            description: "bytes after the described attributes".to_owned(),
            extra_offset: Some(offset),
            scale: None,
            offset: None,
        });
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_bytes_record_layout() {
        let mut data = vec![0u8; 384];
        data[2] = 9; // f32
        data[4..9].copy_from_slice(b"Range");
        data[192 + 2] = 3; // u16
        data[192 + 3] = 0x08;
        data[192 + 4..192 + 9].copy_from_slice(b"Pulse");
        data[192 + 112..192 + 120].copy_from_slice(&0.5f64.to_le_bytes());
        let list = parse_extra_bytes(&data, 6).unwrap();
        assert_eq!(list[0].name, "Range");
        assert_eq!(list[0].kind, "f32");
        assert_eq!(list[1].extra_offset, Some(4));
        assert_eq!(list[1].scale, Some(0.5));
        assert!(parse_extra_bytes(&data, 5).unwrap_err().contains("only 5"));
        assert!(parse_extra_bytes(&data[..100], 6).is_err());
    }
}

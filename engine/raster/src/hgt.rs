use std::path::Path;

use crate::{Epsg, GeoRaster, GeoTransform, RasterError};

/// SRTM void value.
const VOID: i16 = -32768;

/// An SRTM `.hgt` tile: big-endian int16, 1201² (3″) or 3601² (1″) samples
/// centred on whole-degree grid lines; the name (e.g. N44W072) gives the
/// south-west corner.
pub fn read_hgt(path: &Path) -> Result<GeoRaster, RasterError> {
    let io = |source| RasterError::Io {
        path: path.display().to_string(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    check_size(path, size)?;
    let bytes = std::fs::read(path).map_err(io)?;
    read_hgt_bytes(path, &bytes)
}

/// The samples per side of an SRTM tile of `size` bytes.
fn check_size(path: &Path, size: u64) -> Result<usize, RasterError> {
    match size {
        2_884_802 => Ok(1201),
        25_934_402 => Ok(3601),
        _ => Err(RasterError::invalid(
            path,
            format!("{size} bytes is not the size of a 1201² or 3601² SRTM tile"),
        )),
    }
}

/// [`read_hgt`] of bytes already read (fetched, in the browser); `path`
/// gives the tile's name (its south-west corner) and names it in errors.
pub fn read_hgt_bytes(path: &Path, bytes: &[u8]) -> Result<GeoRaster, RasterError> {
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_ascii_uppercase();
    let (lat, lon) =
        parse_name(&name).ok_or_else(|| RasterError::invalid(path, format!("\"{name}\" is not an SRTM tile name like N44W072")))?;
    let n = check_size(path, bytes.len() as u64)?;
    let values = bytes
        .chunks_exact(2)
        .map(|b| match i16::from_be_bytes([b[0], b[1]]) {
            VOID => f64::NAN,
            v => f64::from(v),
        })
        .collect();
    let step = 1.0 / (n - 1) as f64;
    Ok(GeoRaster {
        width: n,
        height: n,
        values,
        transform: GeoTransform {
            origin_x: f64::from(lon) - step / 2.0,
            origin_y: f64::from(lat) + 1.0 + step / 2.0,
            pixel_width: step,
            pixel_height: -step,
        },
        crs: Some(Epsg {
            code: 4326,
            geographic: true,
        }),
        nodata: Some(f64::from(VOID)),
        sample_type: "int16",
    })
}

fn parse_name(name: &str) -> Option<(i32, i32)> {
    let (ns, rest) = name.split_at_checked(1)?;
    let (lat, rest) = rest.split_at_checked(2)?;
    let (ew, lon) = rest.split_at_checked(1)?;
    let lat: i32 = lat.parse().ok()?;
    let lon: i32 = lon.get(..3)?.parse().ok()?;
    let lat = match ns {
        "N" => lat,
        "S" => -lat,
        _ => return None,
    };
    let lon = match ew {
        "E" => lon,
        "W" => -lon,
        _ => return None,
    };
    Some((lat, lon))
}

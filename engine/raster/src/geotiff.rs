use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

use tiff::ColorType;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::encoder::{Compression, DeflateLevel, TiffEncoder, colortype};
use tiff::tags::Tag;

use crate::{Epsg, GeoRaster, GeoTransform, RasterError};

const GT_MODEL_TYPE: u16 = 1024;
const GT_RASTER_TYPE: u16 = 1025;
const GEOGRAPHIC_TYPE: u16 = 2048;
const PROJECTED_CS_TYPE: u16 = 3072;
const RASTER_PIXEL_IS_POINT: u16 = 2;
const MODEL_TRANSFORMATION: u16 = 34264;
/// What written rasters use for "no value".
pub const NODATA: f64 = -9999.0;

pub fn read_geotiff(path: &Path) -> Result<GeoRaster, RasterError> {
    let file = File::open(path).map_err(|source| RasterError::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_geotiff_from(path, BufReader::new(file))
}

/// [`read_geotiff`] of bytes already read (fetched, in the browser); `path` names it in errors.
pub fn read_geotiff_bytes(path: &Path, bytes: &[u8]) -> Result<GeoRaster, RasterError> {
    read_geotiff_from(path, std::io::Cursor::new(bytes))
}

fn read_geotiff_from(path: &Path, reader: impl std::io::Read + std::io::Seek) -> Result<GeoRaster, RasterError> {
    let tiff_error = |e: tiff::TiffError| RasterError::invalid(path, format!("not a readable TIFF: {e}"));
    let mut decoder = Decoder::new(reader).map_err(tiff_error)?;
    let (width, height) = decoder.dimensions().map_err(tiff_error)?;
    match decoder.colortype().map_err(tiff_error)? {
        ColorType::Gray(_) => {}
        other => {
            return Err(RasterError::invalid(
                path,
                format!("has colour type {other:?}; a DEM is a single band of numbers"),
            ));
        }
    }
    let (values, sample_type): (Vec<f64>, &'static str) = match decoder.read_image().map_err(tiff_error)? {
        DecodingResult::U8(v) => (v.into_iter().map(f64::from).collect(), "uint8"),
        DecodingResult::I8(v) => (v.into_iter().map(f64::from).collect(), "int8"),
        DecodingResult::U16(v) => (v.into_iter().map(f64::from).collect(), "uint16"),
        DecodingResult::I16(v) => (v.into_iter().map(f64::from).collect(), "int16"),
        DecodingResult::U32(v) => (v.into_iter().map(f64::from).collect(), "uint32"),
        DecodingResult::I32(v) => (v.into_iter().map(f64::from).collect(), "int32"),
        DecodingResult::U64(v) => (v.into_iter().map(|x| x as f64).collect(), "uint64"),
        DecodingResult::I64(v) => (v.into_iter().map(|x| x as f64).collect(), "int64"),
        DecodingResult::F16(v) => (v.into_iter().map(f64::from).collect(), "float16"),
        DecodingResult::F32(v) => (v.into_iter().map(f64::from).collect(), "float32"),
        DecodingResult::F64(v) => (v, "float64"),
    };
    let (width, height) = (width as usize, height as usize);
    if values.len() != width * height {
        return Err(RasterError::invalid(
            path,
            format!("holds {} samples for a {width} × {height} image", values.len()),
        ));
    }

    let (transform, crs) = georeference(&mut decoder, path)?;
    let nodata = decoder
        .get_tag_ascii_string(Tag::GdalNodata)
        .ok()
        .and_then(|s| s.trim_matches(char::from(0)).trim().parse::<f64>().ok());
    let values = match nodata {
        Some(nd) if !nd.is_nan() => values.into_iter().map(|v| if v == nd { f64::NAN } else { v }).collect(),
        _ => values,
    };
    Ok(GeoRaster {
        width,
        height,
        values,
        transform,
        crs,
        nodata,
        sample_type,
    })
}

/// Writes a float32, Deflate-compressed GeoTIFF (NaN written as −9999 and
/// declared as GDAL nodata).
/// The geotransform and CRS from a GeoTIFF's tags.
pub(crate) fn georeference<R: std::io::Read + std::io::Seek>(decoder: &mut Decoder<R>, path: &Path) -> Result<(GeoTransform, Option<Epsg>), RasterError> {
    let keys = decoder.get_tag_u16_vec(Tag::GeoKeyDirectoryTag).ok();
    let key = |id: u16| -> Option<u16> {
        let keys = keys.as_ref()?;
        // Header of 4 shorts, then (id, location, count, value) entries.
        keys.get(4..)?
            .chunks_exact(4)
            .find(|entry| entry[0] == id && entry[1] == 0)
            .map(|entry| entry[3])
    };
    let mut transform = match (
        decoder.get_tag_f64_vec(Tag::ModelPixelScaleTag).ok(),
        decoder.get_tag_f64_vec(Tag::ModelTiepointTag).ok(),
    ) {
        (Some(scale), Some(tie)) if scale.len() >= 2 && tie.len() >= 6 => GeoTransform {
            origin_x: tie[3] - tie[0] * scale[0],
            origin_y: tie[4] + tie[1] * scale[1],
            pixel_width: scale[0],
            pixel_height: -scale[1],
        },
        _ => match decoder.get_tag_f64_vec(Tag::Unknown(MODEL_TRANSFORMATION)).ok() {
            Some(m) if m.len() >= 8 && m[1] == 0.0 && m[4] == 0.0 => GeoTransform {
                origin_x: m[3],
                origin_y: m[7],
                pixel_width: m[0],
                pixel_height: m[5],
            },
            Some(_) => {
                return Err(RasterError::invalid(
                    path,
                    "is rotated (ModelTransformationTag with shear), which is not supported",
                ));
            }
            None => {
                return Err(RasterError::invalid(
                    path,
                    "has no georeferencing (no ModelPixelScale + ModelTiepoint or ModelTransformation tag)",
                ));
            }
        },
    };
    if ![
        transform.origin_x,
        transform.origin_y,
        transform.pixel_width,
        transform.pixel_height,
    ]
    .iter()
    .all(|v| v.is_finite())
        || transform.pixel_width == 0.0
        || transform.pixel_height == 0.0
    {
        return Err(RasterError::invalid(path, format!("has an invalid geotransform {transform:?}")));
    }
    if key(GT_RASTER_TYPE) == Some(RASTER_PIXEL_IS_POINT) {
        // The tie point names a pixel centre: move it to the corner.
        transform.origin_x -= transform.pixel_width / 2.0;
        transform.origin_y -= transform.pixel_height / 2.0;
    }
    let crs = match (key(GT_MODEL_TYPE), key(PROJECTED_CS_TYPE), key(GEOGRAPHIC_TYPE)) {
        (_, Some(code), _) if code != 32767 => Some(Epsg { code, geographic: false }),
        (_, _, Some(code)) if code != 32767 => Some(Epsg { code, geographic: true }),
        _ => None,
    };
    Ok((transform, crs))
}

pub fn write_geotiff(path: &Path, raster: &GeoRaster) -> Result<(), RasterError> {
    let file = File::create(path).map_err(|source| RasterError::Io {
        path: path.display().to_string(),
        source,
    })?;
    encode_geotiff(BufWriter::new(file), path, raster)
}

/// The GeoTIFF [`write_geotiff`] writes, as bytes (`name` names it in
/// errors): runs in a browser keep their outputs in memory.
pub fn geotiff_bytes(name: &Path, raster: &GeoRaster) -> Result<Vec<u8>, RasterError> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    encode_geotiff(&mut bytes, name, raster)?;
    Ok(bytes.into_inner())
}

fn encode_geotiff<W: std::io::Write + std::io::Seek>(out: W, path: &Path, raster: &GeoRaster) -> Result<(), RasterError> {
    let tiff_error = |e: tiff::TiffError| RasterError::invalid(path, format!("cannot write the GeoTIFF: {e}"));
    let mut encoder = TiffEncoder::new(out)
        .map_err(tiff_error)?
        .with_compression(Compression::Deflate(DeflateLevel::Balanced));
    let mut image = encoder
        .new_image::<colortype::Gray32Float>(raster.width as u32, raster.height as u32)
        .map_err(tiff_error)?;
    let t = raster.transform;
    let dir = image.encoder();
    dir.write_tag(Tag::ModelPixelScaleTag, &[t.pixel_width, -t.pixel_height, 0.0][..])
        .map_err(tiff_error)?;
    dir.write_tag(Tag::ModelTiepointTag, &[0.0, 0.0, 0.0, t.origin_x, t.origin_y, 0.0][..])
        .map_err(tiff_error)?;
    let mut keys: Vec<u16> = vec![1, 1, 0, 0];
    match raster.crs {
        Some(Epsg { code, geographic: true }) => {
            keys.extend([GT_MODEL_TYPE, 0, 1, 2, GT_RASTER_TYPE, 0, 1, 1, GEOGRAPHIC_TYPE, 0, 1, code])
        }
        Some(Epsg { code, geographic: false }) => {
            keys.extend([GT_MODEL_TYPE, 0, 1, 1, GT_RASTER_TYPE, 0, 1, 1, PROJECTED_CS_TYPE, 0, 1, code])
        }
        None => keys.extend([GT_RASTER_TYPE, 0, 1, 1]),
    }
    keys[3] = ((keys.len() - 4) / 4) as u16;
    dir.write_tag(Tag::GeoKeyDirectoryTag, &keys[..]).map_err(tiff_error)?;
    dir.write_tag(Tag::GdalNodata, &*format!("{NODATA}")).map_err(tiff_error)?;
    let data: Vec<f32> = raster
        .values
        .iter()
        .map(|v| if v.is_finite() { *v as f32 } else { NODATA as f32 })
        .collect();
    image.write_data(&data).map_err(tiff_error)
}

//! Orthophotos to drape over terrain: an RGB(A) GeoTIFF, or a PNG/JPEG
//! georeferenced by its world file (`.pgw`, `.jgw`, `.wld`…), whose CRS
//! the caller names because world files carry none.

use std::path::{Path, PathBuf};

use tiff::ColorType;
use tiff::decoder::{Decoder, DecodingResult};

use crate::geotiff::georeference;
use crate::{Epsg, GeoTransform, RasterError};

/// An image in RGBA8 with the position of its pixel corners.
#[derive(Clone, Debug, PartialEq)]
pub struct Orthophoto {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
    pub transform: GeoTransform,
    /// From the GeoTIFF's keys; `None` for a world file (the caller's).
    pub crs: Option<Epsg>,
}

impl Orthophoto {
    /// Bilinear RGBA at a fractional pixel position (pixel centres at +0.5),
    /// or `None` outside the image.
    pub fn sample(&self, column: f64, row: f64) -> Option<[u8; 4]> {
        if !(column >= 0.0 && row >= 0.0 && column <= self.width as f64 && row <= self.height as f64) {
            return None;
        }
        let (x, y) = ((column - 0.5).max(0.0), (row - 0.5).max(0.0));
        let (x0, y0) = ((x as usize).min(self.width - 1), (y as usize).min(self.height - 1));
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let texel = |c: usize, r: usize, k: usize| f64::from(self.rgba[(r * self.width + c) * 4 + k]);
        Some(std::array::from_fn(|k| {
            let top = texel(x0, y0, k) * (1.0 - fx) + texel(x1, y0, k) * fx;
            let bottom = texel(x0, y1, k) * (1.0 - fx) + texel(x1, y1, k) * fx;
            (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8
        }))
    }
}

/// Reads an orthophoto by its extension.
pub fn read_orthophoto(path: &Path) -> Result<Orthophoto, RasterError> {
    read_orthophoto_with(path, &|file: &Path| std::fs::read(file).map_err(|e| e.to_string()))
}

/// [`read_orthophoto`] through `files`, which gives a file's bytes by path
/// (read from disk natively; handed to a worker, fetched, in the browser).
pub fn read_orthophoto_with(path: &Path, files: &dyn Fn(&Path) -> Result<Vec<u8>, String>) -> Result<Orthophoto, RasterError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    let read = |file: &Path| files(file).map_err(|e| RasterError::invalid(file, format!("cannot be read: {e}")));
    match extension.as_str() {
        "tif" | "tiff" => read_tiff(path, std::io::Cursor::new(read(path)?)),
        "png" | "jpg" | "jpeg" => read_with_world_file(path, files),
        other => Err(RasterError::invalid(path, format!("\"{other}\" is not an orthophoto format this version reads (GeoTIFF, or PNG/JPEG with a world file)"))),
    }
}

fn read_tiff(path: &Path, reader: impl std::io::Read + std::io::Seek) -> Result<Orthophoto, RasterError> {
    let tiff_error = |e: tiff::TiffError| RasterError::invalid(path, format!("not a readable TIFF: {e}"));
    let mut decoder = Decoder::new(reader).map_err(tiff_error)?;
    let (width, height) = decoder.dimensions().map_err(tiff_error)?;
    let (width, height) = (width as usize, height as usize);
    let channels = match decoder.colortype().map_err(tiff_error)? {
        ColorType::RGB(8 | 16) => 3,
        ColorType::RGBA(8 | 16) => 4,
        ColorType::Gray(8 | 16) => 1,
        other => return Err(RasterError::invalid(path, format!("has colour type {other:?}; an orthophoto is 8- or 16-bit grey, RGB or RGBA"))),
    };
    let samples: Vec<u8> = match decoder.read_image().map_err(tiff_error)? {
        DecodingResult::U8(v) => v,
        DecodingResult::U16(v) => v.into_iter().map(|s| (s >> 8) as u8).collect(),
        _ => return Err(RasterError::invalid(path, "has samples that are not unsigned integers")),
    };
    if samples.len() != width * height * channels {
        return Err(RasterError::invalid(path, format!("holds {} samples for a {width} × {height} × {channels} image", samples.len())));
    }
    let rgba = samples
        .chunks_exact(channels)
        .flat_map(|p| match channels {
            1 => [p[0], p[0], p[0], 255],
            3 => [p[0], p[1], p[2], 255],
            _ => [p[0], p[1], p[2], p[3]],
        })
        .collect();
    let (transform, crs) = georeference(&mut decoder, path)?;
    Ok(Orthophoto { width, height, rgba, transform, crs })
}

/// The world files an image may have beside it, in the order they are
/// looked for: `photo.pgw`, `photo.pngw`, `photo.wld`, then upper case.
pub fn world_file_candidates(path: &Path) -> Vec<PathBuf> {
    let Some(extension) = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase) else { return Vec::new() };
    let mut chars = extension.chars();
    let short = match (chars.next(), chars.last()) {
        (Some(first), Some(last)) => format!("{first}{last}w"),
        _ => return Vec::new(),
    };
    [short, format!("{extension}w"), "wld".to_owned()]
        .into_iter()
        .flat_map(|e| [e.clone(), e.to_ascii_uppercase()])
        .map(|e| path.with_extension(e))
        .collect()
}

fn read_with_world_file(path: &Path, files: &dyn Fn(&Path) -> Result<Vec<u8>, String>) -> Result<Orthophoto, RasterError> {
    // The candidates in order; in a worker, one not fetched yet ends the
    // probe (the page fetches it, and only it: each absent one is a 404).
    let mut found = None;
    for candidate in world_file_candidates(path) {
        match files(&candidate) {
            Ok(bytes) => {
                found = Some((candidate, bytes));
                break;
            }
            Err(e) if e.ends_with(sontinh_wire::NOT_FETCHED) => return Err(RasterError::invalid(&candidate, e)),
            Err(_) => {}
        }
    }
    let (world, text) = found.ok_or_else(|| {
        RasterError::invalid(path, "has no world file beside it (.pgw/.jgw, .pngw/.jpgw or .wld) to say where it lies")
    })?;
    let text = String::from_utf8(text).map_err(|_| RasterError::invalid(&world, "is not a world file: not text"))?;
    let numbers: Vec<f64> = text.split_whitespace().map(str::parse).collect::<Result<_, _>>().map_err(|_| {
        RasterError::invalid(&world, "is not a world file: six numbers expected (pixel width, rotation, rotation, pixel height, x, y)")
    })?;
    let [a, d, b, e, c, f] = numbers[..] else {
        return Err(RasterError::invalid(&world, format!("has {} numbers, a world file has six", numbers.len())));
    };
    if d != 0.0 || b != 0.0 {
        return Err(RasterError::invalid(&world, "describes a rotated image, which is not supported"));
    }
    if a == 0.0 || e == 0.0 || ![a, e, c, f].iter().all(|v| v.is_finite()) {
        return Err(RasterError::invalid(&world, "has a zero or invalid pixel size"));
    }
    let bytes = files(path).map_err(|e| RasterError::invalid(path, format!("cannot be read: {e}")))?;
    let image = image::load_from_memory(&bytes).map_err(|e| RasterError::invalid(path, format!("not a readable image: {e}")))?.to_rgba8();
    Ok(Orthophoto {
        width: image.width() as usize,
        height: image.height() as usize,
        rgba: image.into_raw(),
        // A world file names the centre of the top-left pixel.
        transform: GeoTransform { origin_x: c - a / 2.0, origin_y: f - e / 2.0, pixel_width: a, pixel_height: e },
        crs: None,
    })
}

//! Tile images decoded into RGBA8, their size checked before decoding.

use image::ImageFormat;

use crate::BasemapError;
use crate::tile::TileId;

/// Largest tile side accepted (tiles are 256 or 512 pixels; 1024 at most for "retina" sets).
pub const MAX_TILE_SIDE: u32 = 1024;

/// A decoded tile: `width × height` RGBA pixels, rows from the north.
#[derive(Clone, Debug, PartialEq)]
pub struct TileImage {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl TileImage {
    /// The pixel at column `x`, row `y` (from the north-west corner).
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        let i = (y.checked_mul(self.width)?.checked_add(x)? as usize).checked_mul(4)?;
        (x < self.width)
            .then(|| self.rgba.get(i..i + 4))
            .flatten()
            .and_then(|p| p.try_into().ok())
    }
}

/// Decodes a PNG or JPEG tile (told apart by its bytes).
pub fn decode_tile(tile: TileId, bytes: &[u8]) -> Result<TileImage, BasemapError> {
    let fail = |why: String| BasemapError::Decode(tile.to_string(), why);
    let format = image::guess_format(bytes).map_err(|_| fail("neither PNG nor JPEG".to_owned()))?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(fail(format!("{format:?} tiles are not read (PNG or JPEG)")));
    }
    let reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let (width, height) = reader.into_dimensions().map_err(|e| fail(e.to_string()))?;
    if width == 0 || height == 0 || width > MAX_TILE_SIDE || height > MAX_TILE_SIDE {
        return Err(fail(format!("{width} × {height} pixels (at most {MAX_TILE_SIDE} a side)")));
    }
    let image = image::load_from_memory_with_format(bytes, format).map_err(|e| fail(e.to_string()))?;
    Ok(TileImage {
        width,
        height,
        rgba: image.into_rgba8().into_raw(),
    })
}

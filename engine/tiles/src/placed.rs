//! A tile's content placed in its layer's frame: the tile's transform and
//! RTC centre applied in f64, then (for a georeferenced tileset) carried
//! from ECEF into the scene's ENU frame, and only then rounded to f32 for
//! drawing. The same work natively and in the browser's workers, which
//! hand the page the placed tile as bytes ([`PlacedTile::to_bytes`]).

use std::path::{Path, PathBuf};

use sontinh_geo::{EnuFrame, Geodetic};
use sontinh_mesh::Model;
use sontinh_wire::{Reader, Writer};

use crate::{Content, TileSource, read_content_from, transform_point};

/// A tile ready to draw, in its layer's coordinates (scene ENU, or local).
#[derive(Clone, Debug, PartialEq)]
pub enum PlacedTile {
    Model(Box<Model>),
    /// Positions, and sRGB colours as the tile gives them.
    Points { positions: Vec<[f32; 3]>, colors: Vec<[u8; 4]> },
}

/// Which tile content to read and where it goes.
#[derive(Clone, Debug, PartialEq)]
pub struct TileRequest {
    pub content: PathBuf,
    /// The tile's transform (column-major), with its ancestors'.
    pub transform: [f64; 16],
    /// For a georeferenced (ECEF) tileset: the scene's ENU frame.
    pub frame: Option<EnuFrame>,
}

const REQUEST_MAGIC: [u8; 4] = *b"STrq";
const TILE_MAGIC: [u8; 4] = *b"STpl";

impl TileRequest {
    /// Reads the content (and any file it names) through `source` and
    /// places it: the tile, and the bytes it counts against the memory
    /// budget ([`Content::decoded_bytes`]).
    pub fn load(&self, source: &dyn TileSource) -> Result<(PlacedTile, u64), String> {
        let content = read_content_from(source, &self.content).map_err(|e| e.to_string())?;
        let bytes = content.decoded_bytes() as u64;
        Ok((place(content, &self.transform, self.frame.as_ref()), bytes))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(&REQUEST_MAGIC);
        w.text(&self.content.to_string_lossy());
        w.f64s(&self.transform);
        match &self.frame {
            None => w.u8(0),
            Some(frame) => {
                let o = frame.origin();
                w.u8(1);
                w.f64s(&[o.lon_deg, o.lat_deg, o.height_m]);
            }
        }
        w.into_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<TileRequest, String> {
        let mut r = Reader::new(bytes, "tile request");
        if r.take(4, "the magic")? != REQUEST_MAGIC {
            return Err(r.error("not a tile request (bad magic)"));
        }
        let content = r.text("the content's path")?.into();
        let transform = r.f64s::<16>("the transform")?;
        let frame = match r.u8("the frame flag")? {
            0 => None,
            1 => {
                let [lon_deg, lat_deg, height_m] = r.f64s("the frame's origin")?;
                if !(lon_deg.is_finite() && lat_deg.abs() <= 90.0 && height_m.is_finite()) {
                    return Err(r.error(format_args!("the frame's origin ({lon_deg}, {lat_deg}, {height_m}) is not a place on Earth")));
                }
                Some(EnuFrame::new(Geodetic { lon_deg, lat_deg, height_m }))
            }
            other => return Err(r.error(format_args!("frame flag {other}"))),
        };
        r.finish("the request")?;
        Ok(TileRequest { content, transform, frame })
    }
}

/// Tile coordinates (f64) to the layer's, rounded to f32 at the end.
fn to_layer(transform: &[f64; 16], frame: Option<&EnuFrame>, p: [f64; 3]) -> [f32; 3] {
    let world = transform_point(transform, p);
    let out = frame.map_or(world, |f| f.ecef_to_enu(world));
    out.map(|v| v as f32)
}

/// Places decoded content with its tile's `transform`, into `frame` when
/// the tileset is georeferenced.
pub fn place(content: Content, transform: &[f64; 16], frame: Option<&EnuFrame>) -> PlacedTile {
    match content {
        Content::Model { mut model, rtc_center, .. } => {
            let at = |p: [f32; 3]| [f64::from(p[0]) + rtc_center[0], f64::from(p[1]) + rtc_center[1], f64::from(p[2]) + rtc_center[2]];
            let origin = to_layer(transform, frame, at([0.0; 3]));
            for p in &mut model.primitives {
                for v in &mut p.positions {
                    *v = to_layer(transform, frame, at(*v));
                }
                // Normals: the same rotation, without the translation.
                for n in &mut p.normals {
                    let t = to_layer(transform, frame, at(*n));
                    let d = [t[0] - origin[0], t[1] - origin[1], t[2] - origin[2]];
                    let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt().max(1e-12);
                    *n = [d[0] / len, d[1] / len, d[2] / len];
                }
            }
            PlacedTile::Model(model)
        }
        Content::Points(points) => PlacedTile::Points {
            positions: points.positions.iter().map(|p| to_layer(transform, frame, *p)).collect(),
            colors: points.colors,
        },
    }
}

impl PlacedTile {
    /// The tile and the bytes it counts against the budget.
    pub fn to_bytes(&self, budget_bytes: u64) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(&TILE_MAGIC);
        w.u64(budget_bytes);
        match self {
            PlacedTile::Model(model) => {
                w.u8(0);
                w.bytes(&model.to_bytes());
            }
            PlacedTile::Points { positions, colors } => {
                w.u8(1);
                w.len(positions.len());
                w.len(colors.len());
                w.f32s(positions.as_flattened());
                w.bytes(colors.as_flattened());
            }
        }
        w.into_bytes()
    }

    /// Reads [`PlacedTile::to_bytes`]'s form; `path` names the tile in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<(PlacedTile, u64), String> {
        let context = format!("placed tile {}", path.display());
        let mut r = Reader::new(bytes, &context);
        if r.take(4, "the magic")? != TILE_MAGIC {
            return Err(r.error("not a placed tile (bad magic)"));
        }
        let budget_bytes = r.u64("the tile's size")?;
        let tile = match r.u8("the tile's kind")? {
            0 => {
                PlacedTile::Model(Box::new(Model::from_bytes(r.rest()).map_err(|e| format!("{context}: {e}"))?))
            }
            1 => {
                let (n, m) = (r.len("the point count")?, r.len("the colour count")?);
                if m != n {
                    return Err(r.error(format_args!("{n} points with {m} colours")));
                }
                let positions = r.f32_arrays::<3>(n, "positions")?;
                let colors = r.take(n.checked_mul(4).ok_or_else(|| r.error("too many colours"))?, "colours")?.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
                PlacedTile::Points { positions, colors }
            }
            other => return Err(r.error(format_args!("tile kind {other}"))),
        };
        r.finish("the tile")?;
        Ok((tile, budget_bytes))
    }
}

/// A worker reads tile contents from the files the page handed it.
impl TileSource for sontinh_wire::FileSet {
    fn read(&self, location: &Path) -> Result<Vec<u8>, String> {
        self.get(location)
    }
}

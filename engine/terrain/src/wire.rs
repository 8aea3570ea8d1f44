//! A built terrain as bytes: the browser builds terrain in a Web Worker
//! (reading the DEM and meshing its chunks is seconds of work) and hands
//! the page the result this way. Little-endian, every count checked
//! ([`sontinh_wire`]); chunk parents must name earlier-built chunks of the
//! same terrain.

use std::path::{Path, PathBuf};

use sontinh_geo::{Crs, Geodetic};
use sontinh_procgen::wire::{read_mesh, write_mesh};
use sontinh_raster::GeoRaster;
use sontinh_wire::{Reader, Writer};

use crate::{Chunk, DrapeTexture, Summit, Terrain};

const MAGIC: [u8; 4] = *b"STrn";
const VERSION: u32 = 1;
/// Least bytes of a chunk: level, place, mesh and uv counts, bounds, error, parent.
const CHUNK_MIN_BYTES: usize = 1 + 8 + 20 + 32 + 8 + 5;
/// No parent, in a chunk's parent field.
const NO_PARENT: u32 = u32::MAX;

impl Terrain {
    pub fn to_bytes(&self) -> Vec<u8> {
        let vertices: usize = self.chunks.iter().map(|c| c.mesh.positions.len()).sum();
        let mut w = Writer::with_capacity(vertices * 48 + self.drape.as_ref().map_or(0, |d| d.rgba.len()) + 64);
        w.bytes(&MAGIC);
        w.u32(VERSION);
        w.u8(self.levels);
        for n in [self.grid.0, self.grid.1, self.stride, self.filled_nodata] {
            w.u64(n as u64);
        }
        w.f64s(&[self.min_height_m, self.max_height_m]);
        w.f64s(&self.summit.enu);
        w.f64s(&[self.summit.geodetic.lon_deg, self.summit.geodetic.lat_deg, self.summit.geodetic.height_m]);
        w.len(self.chunks.len());
        for chunk in &self.chunks {
            w.u8(chunk.level);
            w.u32(chunk.ix);
            w.u32(chunk.iy);
            write_mesh(&mut w, &chunk.mesh);
            w.len(chunk.uvs.len());
            w.f32s(chunk.uvs.as_flattened());
            w.f64s(&chunk.centre);
            w.f64s(&[chunk.radius, chunk.error_m]);
            w.u32(chunk.parent.map_or(NO_PARENT, |p| u32::try_from(p).unwrap_or(NO_PARENT)));
        }
        match &self.drape {
            None => w.u8(0),
            Some(d) => {
                w.u8(1);
                w.len(d.width);
                w.len(d.height);
                w.f64s(&[d.coverage]);
                w.bytes(&d.rgba);
            }
        }
        w.into_bytes()
    }

    /// Reads [`Terrain::to_bytes`]'s form back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Terrain, String> {
        let mut r = Reader::new(bytes, "built terrain");
        if r.take(4, "the magic")? != MAGIC {
            return Err(r.error("not a terrain's bytes (bad magic)"));
        }
        let version = r.u32("the version")?;
        if version != VERSION {
            return Err(r.error(format_args!("format version {version}, this build reads {VERSION}")));
        }
        let levels = r.u8("the level count")?;
        let mut size = || -> Result<usize, String> {
            let n = r.u64("the grid's size")?;
            usize::try_from(n).map_err(|_| r.error(format_args!("a size of {n} does not fit this machine")))
        };
        let grid = (size()?, size()?);
        let (stride, filled_nodata) = (size()?, size()?);
        let [min_height_m, max_height_m] = r.f64s("the height range")?;
        let enu = r.f64s("the summit")?;
        let [lon_deg, lat_deg, height_m] = r.f64s("the summit")?;
        let count = r.len("the chunk count")?;
        r.room_for(count, CHUNK_MIN_BYTES, "chunks")?;
        let mut chunks = Vec::with_capacity(count);
        for k in 0..count {
            let level = r.u8("a chunk's level")?;
            let (ix, iy) = (r.u32("a chunk's place")?, r.u32("a chunk's place")?);
            let mesh = read_mesh(&mut r, &format!("chunk {k}"))?;
            let uv_count = r.len("a chunk's uv count")?;
            let uvs = r.f32_arrays::<2>(uv_count, "uvs")?;
            if !uvs.is_empty() && uvs.len() != mesh.positions.len() {
                return Err(r.error(format_args!("chunk {k} has {} uvs for {} vertices", uvs.len(), mesh.positions.len())));
            }
            let centre = r.f64s("a chunk's centre")?;
            let [radius, error_m] = r.f64s("a chunk's bounds")?;
            let parent = match r.u32("a chunk's parent")? {
                NO_PARENT => None,
                p if (p as usize) < count && p as usize != k => Some(p as usize),
                p => return Err(r.error(format_args!("chunk {k} names chunk {p} as its parent, of {count}"))),
            };
            if level >= levels {
                return Err(r.error(format_args!("chunk {k} is at level {level} of {levels}")));
            }
            chunks.push(Chunk { level, ix, iy, mesh, uvs, centre, radius, error_m, parent });
        }
        let drape = match r.u8("the drape flag")? {
            0 => None,
            1 => {
                let (width, height) = (r.len("the drape's size")?, r.len("the drape's size")?);
                let [coverage] = r.f64s("the drape's coverage")?;
                let texels = width.checked_mul(height).and_then(|n| n.checked_mul(4)).ok_or_else(|| r.error(format_args!("a {width} × {height} drape")))?;
                let rgba = r.take(texels, "the drape's texels")?.to_vec();
                Some(DrapeTexture { width, height, rgba, coverage })
            }
            other => return Err(r.error(format_args!("drape flag {other}"))),
        };
        r.finish("the terrain")?;
        Ok(Terrain {
            chunks,
            levels,
            grid,
            stride,
            min_height_m,
            max_height_m,
            filled_nodata,
            summit: Summit { enu, geodetic: Geodetic { lon_deg, lat_deg, height_m } },
            drape,
        })
    }
}

/// A terrain to build from a DEM file, in a scene's frame (with the
/// default options), with an orthophoto draped over it or not: what the
/// page asks a worker for, and what the viewer builds natively.
#[derive(Clone, Debug, PartialEq)]
pub struct TerrainRequest {
    pub dem: PathBuf,
    pub origin: Geodetic,
    pub drape: Option<DrapeRequest>,
}

/// An orthophoto to drape, and the CRS the scene names for it (else the
/// photo's own, else the DEM's).
#[derive(Clone, Debug, PartialEq)]
pub struct DrapeRequest {
    pub photo: PathBuf,
    pub crs: Option<Crs>,
}

/// A file's bytes by path: read from disk natively, handed to a worker in
/// the browser.
pub type Files<'a> = &'a dyn Fn(&Path) -> Result<Vec<u8>, String>;

const REQUEST_MAGIC: [u8; 4] = *b"STrR";

impl TerrainRequest {
    /// Reads the DEM (and the photo) through `files` and builds the terrain.
    pub fn build(&self, files: Files, progress: &mut dyn FnMut(f32)) -> Result<Terrain, String> {
        let bytes = files(&self.dem).map_err(|e| format!("{}: {e}", self.dem.display()))?;
        let raster = sontinh_raster::read_bytes(&self.dem, &bytes).map_err(|e| e.to_string())?;
        drop(bytes);
        progress(0.1);
        let frame = sontinh_geo::EnuFrame::new(self.origin);
        let share = if self.drape.is_some() { 0.6 } else { 0.9 };
        let mut terrain = crate::build(&raster, &frame, &crate::TerrainOptions::default(), &mut |p| progress(0.1 + share * p))
            .map_err(|e| format!("{}: {e}", self.dem.display()))?;
        if let Some(drape) = &self.drape {
            terrain.drape = Some(drape.texture(&raster, files)?);
        }
        Ok(terrain)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(&REQUEST_MAGIC);
        w.text(&self.dem.to_string_lossy());
        w.f64s(&[self.origin.lon_deg, self.origin.lat_deg, self.origin.height_m]);
        match &self.drape {
            None => w.u8(0),
            Some(drape) => {
                w.u8(1);
                w.text(&drape.photo.to_string_lossy());
                w.text(&drape.crs.map(Crs::id).unwrap_or_default());
            }
        }
        w.into_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<TerrainRequest, String> {
        let mut r = Reader::new(bytes, "terrain request");
        if r.take(4, "the magic")? != REQUEST_MAGIC {
            return Err(r.error("not a terrain request (bad magic)"));
        }
        let dem = r.text("the DEM's path")?.into();
        let [lon_deg, lat_deg, height_m] = r.f64s("the frame's origin")?;
        if !(lon_deg.is_finite() && lat_deg.abs() <= 90.0 && height_m.is_finite()) {
            return Err(r.error(format_args!("the frame's origin ({lon_deg}, {lat_deg}, {height_m}) is not a place on Earth")));
        }
        let drape = match r.u8("the drape flag")? {
            0 => None,
            1 => {
                let photo = r.text("the drape's path")?.into();
                let crs = match r.text("the drape's CRS")?.as_str() {
                    "" => None,
                    id => Some(id.parse::<Crs>().map_err(|e| r.error(format_args!("the drape's CRS: {e}")))?),
                };
                Some(DrapeRequest { photo, crs })
            }
            other => return Err(r.error(format_args!("drape flag {other}"))),
        };
        r.finish("the request")?;
        Ok(TerrainRequest { dem, origin: Geodetic { lon_deg, lat_deg, height_m }, drape })
    }
}

impl DrapeRequest {
    /// Reads the photo and resamples it onto the DEM's grid.
    pub fn texture(&self, dem: &GeoRaster, files: Files) -> Result<DrapeTexture, String> {
        let path = &self.photo;
        let photo = sontinh_raster::read_orthophoto_with(path, files).map_err(|e| format!("drape: {e}"))?;
        let crs = match (self.crs, photo.crs, dem.crs) {
            (Some(crs), _, _) => crs,
            (None, Some(epsg), _) | (None, None, Some(epsg)) => {
                Crs::from_epsg(epsg.code).ok_or_else(|| format!("drape {}: EPSG:{} is not in the EPSG table", path.display(), epsg.code))?
            }
            (None, None, None) => return Err(format!("drape {}: neither the photo nor the DEM names a CRS; set the drape's `crs`", path.display())),
        };
        crate::drape_texture(dem, &photo, crs, MAX_DRAPE_TEXELS).map_err(|e| format!("drape {}: {e}", path.display()))
    }
}

/// Sides of a drape texture: what WebGL2 devices reliably take.
pub const MAX_DRAPE_TEXELS: usize = 4096;

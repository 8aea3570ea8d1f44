//! What building one layer needs, as a request that runs wherever the
//! files are: natively from disk, or in one of the page's workers that
//! asks the page for the files it lacks (the layer's file, a shapefile's
//! companions, the DEM the features are draped on).

use std::path::{Path, PathBuf};

use sontinh_geo::{Crs, EnuFrame, Geodetic};
use sontinh_wire::{Reader, Writer};

use crate::wire::{read_style, write_style};
use crate::{Built, Ellipsoid, Ground};

/// Where the features are draped.
#[derive(Clone, Debug, PartialEq)]
pub enum GroundSource {
    Ellipsoid,
    /// The generated Citadel's ground (its default layout).
    Citadel,
    /// A DEM (GeoTIFF or SRTM), in its own CRS or `crs`.
    Dem {
        path: PathBuf,
        crs: Option<Crs>,
    },
}

/// Which reader a layer's file goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerFile {
    Vector,
    City,
}

/// Everything one layer's build needs.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorRequest {
    pub file: LayerFile,
    pub path: PathBuf,
    /// The layer's CRS, over the file's.
    pub crs: Option<Crs>,
    pub style: sontinh_scene::VectorStyle,
    /// The scene frame's origin.
    pub origin: Geodetic,
    pub ground: GroundSource,
}

/// The ground a request's features lie on, read.
pub enum SceneGround {
    Dem(Box<sontinh_terrain::DemHeights>),
    Citadel {
        // Boxed: the reconstruction's layout is large beside the other grounds.
        layout: Box<sontinh_procgen::citadel::Layout>,
        frame: EnuFrame,
    },
    Ellipsoid,
}

impl Ground for SceneGround {
    fn height(&self, lon_deg: f64, lat_deg: f64) -> Option<f64> {
        match self {
            SceneGround::Dem(dem) => dem.height(lon_deg, lat_deg),
            SceneGround::Citadel { layout, frame } => {
                let enu = frame.geodetic_to_enu(Geodetic::new(lon_deg, lat_deg, frame.origin().height_m));
                let z = f64::from(layout.ground_height([enu[0] as f32, enu[1] as f32]));
                Some(frame.enu_to_geodetic([enu[0], enu[1], z]).height_m)
            }
            SceneGround::Ellipsoid => Ellipsoid.height(lon_deg, lat_deg),
        }
    }
}

/// How files are read: their bytes, or why not.
pub type Files<'a> = &'a dyn Fn(&Path) -> Result<Vec<u8>, String>;

fn ext_of(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

impl VectorRequest {
    /// The ground, read through `files`.
    pub fn ground(&self, files: Files<'_>) -> Result<SceneGround, String> {
        match &self.ground {
            GroundSource::Ellipsoid => Ok(SceneGround::Ellipsoid),
            GroundSource::Citadel => Ok(SceneGround::Citadel {
                layout: Box::default(),
                frame: EnuFrame::new(self.origin),
            }),
            GroundSource::Dem { path, crs } => {
                let bytes = files(path)?;
                let raster = sontinh_raster::read_bytes(path, &bytes).map_err(|e| format!("the ground {}: {e}", path.display()))?;
                let dem = sontinh_terrain::DemHeights::new(raster, *crs).map_err(|e| format!("the ground {}: {e}", path.display()))?;
                Ok(SceneGround::Dem(Box::new(dem)))
            }
        }
    }

    fn vector_data(&self, files: Files<'_>) -> Result<sontinh_vector::VectorData, String> {
        let path = &self.path;
        match ext_of(path).as_str() {
            #[cfg(not(target_arch = "wasm32"))]
            "gpkg" => sontinh_vector::read(path).map_err(|e| e.to_string()),
            #[cfg(target_arch = "wasm32")]
            "gpkg" => Err(format!(
                "{}: GeoPackage layers are read natively only (the page has no SQLite); convert it to FlatGeobuf",
                path.display()
            )),
            "shp" => {
                // All asked for before any is missed: the page fetches them in one round.
                let (shp, shx, dbf) = (files(path), files(&path.with_extension("shx")), files(&path.with_extension("dbf")));
                // The .prj is asked for only when the layer does not give the CRS.
                let prj = self.crs.is_none().then(|| files(&path.with_extension("prj"))).transpose();
                let (shp, shx, dbf, prj) = (shp?, shx?, dbf?, prj?);
                let prj = prj.map(|b| String::from_utf8_lossy(&b).into_owned());
                sontinh_vector::read_shapefile_bytes(path, &shp, &shx, &dbf, prj.as_deref()).map_err(|e| e.to_string())
            }
            _ => sontinh_vector::read_bytes(path, &files(path)?).map_err(|e| e.to_string()),
        }
    }

    /// Reads what the layer needs through `files` and builds it.
    pub fn build(&self, files: Files<'_>, progress: &mut dyn FnMut(f32)) -> Result<Built, String> {
        let frame = EnuFrame::new(self.origin);
        let named = |e: String| format!("{}: {e}", self.path.display());
        match self.file {
            LayerFile::City => {
                let bytes = files(&self.path)?;
                let model = sontinh_city::CityModel::parse(&self.path.display().to_string(), &bytes).map_err(|e| e.to_string())?;
                crate::build_city(&model, &self.style, &frame, progress).map_err(named)
            }
            LayerFile::Vector => {
                // Both asked for before either is missed (one round of fetching in the page).
                let (data, ground) = (self.vector_data(files), self.ground(files));
                let (data, ground) = (data?, ground?);
                crate::build_vector(&data, self.crs, &self.style, &frame, &ground, progress).map_err(named)
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(256);
        w.u8(match self.file {
            LayerFile::Vector => 0,
            LayerFile::City => 1,
        });
        w.text(&self.path.to_string_lossy());
        w.text(&self.crs.map(Crs::id).unwrap_or_default());
        write_style(&mut w, &self.style);
        w.f64s(&[self.origin.lon_deg, self.origin.lat_deg, self.origin.height_m]);
        match &self.ground {
            GroundSource::Ellipsoid => w.u8(0),
            GroundSource::Citadel => w.u8(1),
            GroundSource::Dem { path, crs } => {
                w.u8(2);
                w.text(&path.to_string_lossy());
                w.text(&crs.map(Crs::id).unwrap_or_default());
            }
        }
        w.into_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<VectorRequest, String> {
        let mut r = Reader::new(bytes, "a vector layer request");
        let file = match r.u8("the layer's kind")? {
            0 => LayerFile::Vector,
            1 => LayerFile::City,
            other => return Err(r.error(format_args!("layer kind {other}"))),
        };
        let path: PathBuf = r.text("the layer's path")?.into();
        let crs_of = |r: &mut Reader<'_>, what: &str| -> Result<Option<Crs>, String> {
            match r.text(what)?.as_str() {
                "" => Ok(None),
                id => id.parse::<Crs>().map(Some).map_err(|e| r.error(format_args!("{what}: {e}"))),
            }
        };
        let crs = crs_of(&mut r, "the layer's CRS")?;
        let style = read_style(&mut r)?;
        let [lon_deg, lat_deg, height_m] = r.f64s::<3>("the frame's origin")?;
        if !(lon_deg.is_finite() && lat_deg.abs() <= 90.0 && height_m.is_finite()) {
            return Err(r.error(format_args!(
                "the frame's origin ({lon_deg}, {lat_deg}, {height_m}) is not a place on Earth"
            )));
        }
        let ground = match r.u8("the ground")? {
            0 => GroundSource::Ellipsoid,
            1 => GroundSource::Citadel,
            2 => {
                let path = r.text("the ground's path")?.into();
                GroundSource::Dem {
                    path,
                    crs: crs_of(&mut r, "the ground's CRS")?,
                }
            }
            other => return Err(r.error(format_args!("ground {other}"))),
        };
        r.finish("the request")?;
        Ok(VectorRequest {
            file,
            path,
            crs,
            style,
            origin: Geodetic {
                lon_deg,
                lat_deg,
                height_m,
            },
            ground,
        })
    }
}

//! A vector or city layer read and made drawable off the main thread: the
//! file (and a shapefile's companions) read or fetched, the ground it is
//! draped on built from the scene's terrain or generated ground.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sontinh_geo::{Crs, EnuFrame, Geodetic, Transformer};
use sontinh_scene::{Generator, Layer, LayerKind, LayerSource, Scene, VectorStyle};
use sontinh_vector_mesh::{Built, Ellipsoid, Ground};

/// The ground under a scene's features.
pub enum SceneGround {
    Dem {
        raster: Box<sontinh_raster::GeoRaster>,
        from_wgs84: Box<Transformer>,
    },
    Citadel {
        layout: sontinh_procgen::citadel::Layout,
        frame: EnuFrame,
    },
    Ellipsoid,
}

impl Ground for SceneGround {
    fn height(&self, lon_deg: f64, lat_deg: f64) -> Option<f64> {
        match self {
            SceneGround::Dem { raster, from_wgs84 } => {
                let p = from_wgs84.transform([lon_deg, lat_deg, 0.0]).ok()?;
                Some(raster.sample(p[0], p[1])).filter(|h| h.is_finite())
            }
            SceneGround::Citadel { layout, frame } => {
                let enu = frame.geodetic_to_enu(Geodetic::new(lon_deg, lat_deg, frame.origin().height_m));
                let z = f64::from(layout.ground_height([enu[0] as f32, enu[1] as f32]));
                Some(frame.enu_to_geodetic([enu[0], enu[1], z]).height_m)
            }
            SceneGround::Ellipsoid => Ellipsoid.height(lon_deg, lat_deg),
        }
    }
}

/// The scene's first visible terrain layer, else its generated Citadel, else the ellipsoid.
pub async fn scene_ground(scene: &Scene) -> Result<SceneGround, String> {
    let visible = || scene.layers.iter().filter(|l| l.visible);
    if let Some(layer) = visible().find(|l| l.kind == LayerKind::Terrain) {
        let LayerSource::File(path) = &layer.source else {
            return Ok(SceneGround::Ellipsoid);
        };
        let bytes = sontinh_layers::file_bytes(path).await?;
        let raster = sontinh_raster::read_bytes(path, &bytes).map_err(|e| format!("the ground, layer \"{}\": {e}", layer.id))?;
        let crs = match (layer.crs, raster.crs) {
            (Some(crs), _) => crs,
            (None, Some(epsg)) => Crs::from_epsg(epsg.code).ok_or_else(|| {
                format!(
                    "the ground, layer \"{}\": EPSG:{} is not a system the twin knows",
                    layer.id, epsg.code
                )
            })?,
            (None, None) => return Err(format!("the ground, layer \"{}\", declares no CRS", layer.id)),
        };
        let from_wgs84 = Transformer::new(Crs::Wgs84, crs).map_err(|e| e.to_string())?;
        return Ok(SceneGround::Dem {
            raster: Box::new(raster),
            from_wgs84: Box::new(from_wgs84),
        });
    }
    if visible().any(|l| l.source == LayerSource::Generator(Generator::QuangTriCitadel)) {
        return Ok(SceneGround::Citadel {
            layout: sontinh_procgen::citadel::Layout::default(),
            frame: scene.frame,
        });
    }
    Ok(SceneGround::Ellipsoid)
}

fn with_extension(path: &Path, ext: &str) -> PathBuf {
    path.with_extension(ext)
}

/// A shapefile's companion, in either case of extension; `None` when
/// neither can be read (the page cannot ask whether a file exists).
async fn companion(path: &Path, ext: &str) -> Result<Option<Vec<u8>>, String> {
    for candidate in [ext.to_owned(), ext.to_ascii_uppercase()] {
        if let Ok(bytes) = sontinh_layers::file_bytes(&with_extension(path, &candidate)).await {
            return Ok(Some(bytes));
        }
    }
    Ok(None)
}

/// A vector file read natively, or fetched with its companions in the page.
async fn read_vector(path: &Path) -> Result<sontinh_vector::VectorData, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !cfg!(target_arch = "wasm32") && sontinh_layers::memory_file(path).is_none() {
        return sontinh_vector::read(path).map_err(|e| e.to_string());
    }
    let bytes = sontinh_layers::file_bytes(path).await?;
    if ext == "shp" {
        let shx = companion(path, "shx")
            .await?
            .ok_or_else(|| format!("{}: the shapefile's .shx is missing", path.display()))?;
        let dbf = companion(path, "dbf")
            .await?
            .ok_or_else(|| format!("{}: the shapefile's .dbf is missing", path.display()))?;
        let prj = companion(path, "prj").await?.map(|b| String::from_utf8_lossy(&b).into_owned());
        return sontinh_vector::read_shapefile_bytes(path, &bytes, &shx, &dbf, prj.as_deref()).map_err(|e| e.to_string());
    }
    sontinh_vector::read_bytes(path, &bytes).map_err(|e| e.to_string())
}

/// Reads and builds one layer with `style` (the scene's, or the panel's filter).
pub async fn build_layer(scene: Arc<Scene>, layer: Layer, style: VectorStyle, progress: Arc<AtomicU32>) -> Result<Built, String> {
    let path = match &layer.source {
        LayerSource::File(p) => p.clone(),
        LayerSource::Missing { reason, .. } => return Err(reason.clone()),
        LayerSource::Generator(g) => return Err(format!("{} is not a vector file", g.id())),
        LayerSource::Service(url) => return Err(format!("{url} is not a vector file")),
    };
    let mut report = |p: f32| progress.store((0.3 + 0.7 * p).to_bits(), Ordering::Relaxed);
    let named = |e: String| format!("{}: {e}", path.display());
    match layer.kind {
        LayerKind::City => {
            let bytes = sontinh_layers::file_bytes(&path).await?;
            progress.store(0.2f32.to_bits(), Ordering::Relaxed);
            let model = sontinh_city::CityModel::parse(&path.display().to_string(), &bytes).map_err(|e| e.to_string())?;
            sontinh_vector_mesh::build_city(&model, &style, &scene.frame, &mut report).map_err(named)
        }
        _ => {
            let data = read_vector(&path).await?;
            progress.store(0.2f32.to_bits(), Ordering::Relaxed);
            let ground = scene_ground(&scene).await?;
            sontinh_vector_mesh::build_vector(&data, layer.crs, &style, &scene.frame, &ground, &mut report).map_err(named)
        }
    }
}

//! A vector or city layer read and made drawable off the main thread: in
//! the page by a worker (which asks the page for the layer's file, a
//! shapefile's companions and the DEM the features are draped on),
//! natively on a background task reading from disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sontinh_scene::{Generator, Layer, LayerKind, LayerSource, Scene, VectorStyle};
use sontinh_vector_mesh::{Built, GroundSource, LayerFile, VectorRequest};

/// Rounds of fetching: the layer's file, a DEM, a shapefile's companions,
/// and one to spare.
const VECTOR_ROUNDS: usize = 4;

/// What building `layer` of `scene` with `style` asks for: its file, and
/// the ground (the scene's first visible terrain, else its generated
/// Citadel, else the ellipsoid).
pub fn request_for(scene: &Scene, layer: &Layer, style: VectorStyle) -> Result<VectorRequest, String> {
    let path = match &layer.source {
        LayerSource::File(p) => p.clone(),
        LayerSource::Missing { reason, .. } => return Err(reason.clone()),
        LayerSource::Generator(g) => return Err(format!("{} is not a vector file", g.id())),
        LayerSource::Service(url) => return Err(format!("{url} is not a vector file")),
    };
    let visible = || scene.layers.iter().filter(|l| l.visible);
    let ground = if let Some(terrain) = visible().find(|l| l.kind == LayerKind::Terrain && matches!(l.source, LayerSource::File(_))) {
        match &terrain.source {
            LayerSource::File(dem) => GroundSource::Dem {
                path: dem.clone(),
                crs: terrain.crs,
            },
            _ => GroundSource::Ellipsoid,
        }
    } else if visible().any(|l| l.source == LayerSource::Generator(Generator::QuangTriCitadel)) {
        GroundSource::Citadel
    } else {
        GroundSource::Ellipsoid
    };
    Ok(VectorRequest {
        file: if layer.kind == LayerKind::City {
            LayerFile::City
        } else {
            LayerFile::Vector
        },
        path,
        crs: layer.crs,
        style,
        origin: scene.frame.origin(),
        ground,
    })
}

/// Reads and builds one layer with `style` (the scene's, or the panel's filter).
pub async fn build_layer(scene: Arc<Scene>, layer: Layer, style: VectorStyle, progress: Arc<AtomicU32>) -> Result<Built, String> {
    let request = request_for(&scene, &layer, style)?;
    progress.store(0.1f32.to_bits(), Ordering::Relaxed);
    // In the page a worker reads and builds it; natively, here.
    if let Some(built) = sontinh_layers::workers::run_job("vector", &request.to_bytes(), VECTOR_ROUNDS).await {
        return Built::from_bytes(&built?);
    }
    sontinh_layers::read_fetching(VECTOR_ROUNDS, |fetched| {
        request.build(&|file: &std::path::Path| fetched.get(file), &mut |p| {
            progress.store((0.1 + 0.9 * p).to_bits(), Ordering::Relaxed)
        })
    })
    .await
}

//! Decoding in a Web Worker. The page starts a few workers
//! (`web/decode-worker.js`), each loading this module; the viewer sends a
//! point cloud's fetched index once per worker, then each node's compressed
//! chunk, and gets the node's columns back as bytes
//! ([`sontinh_pointcloud::decoded_node::DecodedNode::to_bytes`]); and a GLB
//! model's bytes, getting the decoded model back
//! ([`sontinh_mesh::Model::to_bytes`]: Draco geometry and KTX2, PNG and
//! JPEG textures decoded); and it generates the procedural Citadel. The
//! main thread only fetches and draws.
//!
//! A dedicated worker of the same module runs a planner's flood
//! ([`sontinh_flood_plan::WorkerRun`]), one output moment at a time.
//!
//! The logic is plain Rust ([`Decoders`]), tested natively; the wasm
//! exports are a thin layer over one `Decoders` per worker.

use std::collections::HashMap;
use std::path::PathBuf;

use sontinh_pointcloud::copc::NodeEntry;
use sontinh_pointcloud::decoded_node::NodeDecoder;
use sontinh_wire::FileSet;

/// Files a worker holds open, by the id the viewer gave them.
#[derive(Default)]
pub struct Decoders {
    files: HashMap<u32, NodeDecoder>,
}

/// Files one worker keeps open at most: a scene has a few clouds; a page
/// that opened more drops the oldest id first.
pub const MAX_OPEN_FILES: usize = 16;

impl Decoders {
    /// Opens file `id` (`location` names it in errors) from its index image.
    pub fn open(&mut self, id: u32, location: &str, index: &[u8]) -> Result<(), String> {
        let decoder = NodeDecoder::open(index, &PathBuf::from(location)).map_err(|e| e.to_string())?;
        if self.files.len() >= MAX_OPEN_FILES
            && !self.files.contains_key(&id)
            && let Some(oldest) = self.files.keys().min().copied()
        {
            self.files.remove(&oldest);
        }
        self.files.insert(id, decoder);
        Ok(())
    }

    pub fn is_open(&self, id: u32) -> bool {
        self.files.contains_key(&id)
    }

    /// Decodes one node of file `id` into its byte form.
    pub fn decode(&self, id: u32, entry: NodeEntry, chunk: Vec<u8>) -> Result<Vec<u8>, String> {
        let decoder = self.files.get(&id).ok_or_else(|| format!("point cloud {id} was not opened in this worker"))?;
        if u64::try_from(chunk.len()).ok() != Some(entry.byte_size) {
            return Err(format!("node at byte {}: {} bytes given, its entry says {}", entry.offset, chunk.len(), entry.byte_size));
        }
        Ok(decoder.decode(entry, chunk).map_err(|e| e.to_string())?.to_bytes())
    }
}

/// Generates the Quảng Trị Citadel (the default layout) into its parts'
/// byte form.
pub fn generate_citadel() -> Vec<u8> {
    use sontinh_procgen::citadel;
    sontinh_procgen::wire::parts_to_bytes(&citadel::generate(&citadel::Layout::default(), &mut |_| {}))
}

/// Decodes a GLB model (Draco, KTX2 and image textures included) into its
/// byte form.
pub fn decode_glb(bytes: &[u8]) -> Result<Vec<u8>, String> {
    sontinh_mesh::read_glb(bytes).map(|model| model.to_bytes()).map_err(|e| e.to_string())
}

/// Runs a job that reads files: `kind` names it, `params` are its
/// request's bytes, `files` the [`FileSet`] the page fetched so far. The
/// answer's bytes ([`Answer`]): what it produced, or the files it lacks.
///
/// - `"tile"`: a [`sontinh_tiles::TileRequest`], answered with the placed
///   tile ([`sontinh_tiles::PlacedTile::to_bytes`]);
/// - `"terrain"`: a [`sontinh_terrain::TerrainRequest`], answered with the
///   built terrain ([`sontinh_terrain::Terrain::to_bytes`]);
/// - `"obj"`: an OBJ's path (UTF-8), answered with the model, its
///   materials and textures read ([`sontinh_mesh::Model::to_bytes`]);
/// - `"vector"`: a [`sontinh_vector_mesh::VectorRequest`] (a vector or city
///   layer and the DEM it is draped on), answered with the built layer
///   ([`sontinh_vector_mesh::Built::to_bytes`]).
pub fn run_job(kind: &str, params: &[u8], files: &[u8]) -> Result<Vec<u8>, String> {
    let files = FileSet::from_bytes(files)?;
    let result = match kind {
        "tile" => {
            let request = sontinh_tiles::TileRequest::from_bytes(params)?;
            request.load(&files).map(|(tile, budget)| tile.to_bytes(budget))
        }
        "terrain" => {
            let request = sontinh_terrain::TerrainRequest::from_bytes(params)?;
            request.build(&|file: &std::path::Path| files.get(file), &mut |_| {}).map(|terrain| terrain.to_bytes())
        }
        "obj" => {
            let path = std::str::from_utf8(params).map_err(|_| "an OBJ job's path is not UTF-8".to_owned())?;
            sontinh_mesh::read_obj_with(std::path::Path::new(path), &|file: &std::path::Path| files.get(file)).map(|model| model.to_bytes()).map_err(|e| e.to_string())
        }
        "vector" => {
            let request = sontinh_vector_mesh::VectorRequest::from_bytes(params)?;
            request.build(&|file: &std::path::Path| files.get(file), &mut |_| {}).map(|built| built.to_bytes())
        }
        other => return Err(format!("no job is called \"{other}\" (tile, terrain, obj or vector)")),
    };
    files.answer(result).map(|answer| answer.to_bytes())
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use std::cell::RefCell;

    use sontinh_pointcloud::copc::NodeEntry;
    use wasm_bindgen::prelude::*;

    use crate::Decoders;

    thread_local! {
        static DECODERS: RefCell<Decoders> = RefCell::new(Decoders::default());
    }

    /// Opens a point cloud from its fetched index (header, records, hierarchy).
    #[wasm_bindgen(js_name = openCopc)]
    pub fn open_copc(id: u32, location: &str, index: &[u8]) -> Result<(), JsError> {
        DECODERS.with(|d| d.borrow_mut().open(id, location, index)).map_err(|e| JsError::new(&e))
    }

    /// Decodes one node's chunk; offsets and sizes come as f64 (JavaScript
    /// numbers) and must be whole and within 2^53.
    #[wasm_bindgen(js_name = decodeCopcNode)]
    pub fn decode_copc_node(id: u32, offset: f64, byte_size: f64, point_count: f64, chunk: Vec<u8>) -> Result<Vec<u8>, JsError> {
        let whole = |v: f64, what: &str| {
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_992.0 {
                Ok(v as u64)
            } else {
                Err(JsError::new(&format!("{what} {v} is not a whole number of bytes or points")))
            }
        };
        let entry = NodeEntry {
            offset: whole(offset, "offset")?,
            byte_size: whole(byte_size, "byte size")?,
            point_count: whole(point_count, "point count")?,
        };
        DECODERS.with(|d| d.borrow().decode(id, entry, chunk)).map_err(|e| JsError::new(&e))
    }

    /// Generates the Citadel into [`sontinh_procgen::wire::parts_to_bytes`]'s form.
    #[wasm_bindgen(js_name = generateCitadel)]
    pub fn generate_citadel() -> Vec<u8> {
        crate::generate_citadel()
    }

    /// Runs a job that reads files ([`crate::run_job`]).
    #[wasm_bindgen(js_name = runJob)]
    pub fn run_job(kind: &str, params: &[u8], files: &[u8]) -> Result<Vec<u8>, JsError> {
        crate::run_job(kind, params, files).map_err(|e| JsError::new(&e))
    }

    thread_local! {
        static FLOOD: RefCell<sontinh_flood_plan::WorkerRun> = RefCell::new(sontinh_flood_plan::WorkerRun::default());
    }

    /// Starts a flood run ([`sontinh_flood_plan::WorkerRun::start`]): an
    /// answer naming the files it lacks, or done.
    #[wasm_bindgen(js_name = floodStart)]
    pub fn flood_start(request: &[u8], files: &[u8]) -> Result<Vec<u8>, JsError> {
        FLOOD.with(|f| f.borrow_mut().start(request, files)).map_err(|e| JsError::new(&e))
    }

    /// Runs the flood to its next output moment ([`sontinh_flood_plan::RunUpdate`]'s bytes).
    #[wasm_bindgen(js_name = floodStep)]
    pub fn flood_step() -> Result<Vec<u8>, JsError> {
        FLOOD.with(|f| f.borrow_mut().step()).map_err(|e| JsError::new(&e))
    }

    /// Prepares a flood run for the page's GPU
    /// ([`sontinh_flood_plan::WorkerRun::start_recording`]): the solver's
    /// input, or the files it lacks.
    #[wasm_bindgen(js_name = floodStartRecording)]
    pub fn flood_start_recording(request: &[u8], files: &[u8]) -> Result<Vec<u8>, JsError> {
        FLOOD.with(|f| f.borrow_mut().start_recording(request, files)).map_err(|e| JsError::new(&e))
    }

    /// Records a moment's depths from the page's GPU.
    #[wasm_bindgen(js_name = floodRecord)]
    pub fn flood_record(depth: &[u8]) -> Result<Vec<u8>, JsError> {
        FLOOD.with(|f| f.borrow_mut().record(depth)).map_err(|e| JsError::new(&e))
    }

    /// Ends a recorded run with the GPU solver's final state.
    #[wasm_bindgen(js_name = floodFinish)]
    pub fn flood_finish(state: &[u8]) -> Result<Vec<u8>, JsError> {
        FLOOD.with(|f| f.borrow_mut().finish(state)).map_err(|e| JsError::new(&e))
    }

    /// Decodes a GLB model into [`sontinh_mesh::Model::to_bytes`]'s form.
    #[wasm_bindgen(js_name = decodeGlb)]
    pub fn decode_glb(bytes: &[u8]) -> Result<Vec<u8>, JsError> {
        crate::decode_glb(bytes).map_err(|e| JsError::new(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sontinh_pointcloud::PointCloudFile;
    use sontinh_pointcloud::decoded_node::DecodedNode;
    use sontinh_pointcloud::ranged::PartialFile;

    fn lone_star() -> PathBuf {
        let root = std::env::var_os("SONTINH_SHARED_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
        let path = root.join("lidar/lone-star.copc.laz");
        assert!(path.exists(), "the shared test data is absent: {} (set SONTINH_SHARED_DATA)", path.display());
        path
    }

    /// The whole file as its own index: every byte known.
    fn index_of(bytes: &[u8]) -> Vec<u8> {
        let mut partial = PartialFile::new(bytes.len() as u64);
        partial.insert(0, bytes.to_vec());
        partial.to_bytes()
    }

    #[test]
    fn a_worker_decodes_lone_star_nodes_as_the_file_reader_does() {
        let path = lone_star();
        let bytes = std::fs::read(&path).expect("read");
        let file = PointCloudFile::open(&path).expect("open");
        let mut decoders = Decoders::default();
        decoders.open(7, "lone-star.copc.laz", &index_of(&bytes)).expect("open in the worker");
        let (_, hierarchy) = file.copc.as_ref().expect("COPC");
        let entry = *hierarchy.nodes.values().find(|e| e.point_count > 1000).expect("a node");
        let chunk = bytes[entry.offset as usize..(entry.offset + entry.byte_size) as usize].to_vec();
        let decoded = DecodedNode::from_bytes(&decoders.decode(7, entry, chunk.clone()).expect("decode")).expect("bytes");
        let reference = file.read_node(entry).expect("read node");
        assert_eq!(decoded.len() as u64, entry.point_count);
        assert_eq!(decoded.xyz.first().copied(), reference.x().zip(reference.y()).zip(reference.z()).map(|((x, y), z)| [x, y, z]).next());
        assert_eq!(decoded.intensity, reference.intensity().collect::<Vec<_>>());
        // A file not opened here, and a chunk of the wrong size, are errors.
        assert!(decoders.decode(8, entry, chunk.clone()).unwrap_err().contains("was not opened"));
        let err = decoders.decode(7, entry, chunk[1..].to_vec()).unwrap_err();
        assert!(err.contains("bytes given"), "{err}");
        // Corrupt compressed bytes are an error, not a panic.
        let garbage = vec![0xA5; chunk.len()];
        assert!(decoders.decode(7, entry, garbage).is_err());
    }

    #[test]
    fn a_worker_decodes_the_draco_scan_as_the_main_thread_would() {
        let root = lone_star().parent().and_then(|p| p.parent()).map(PathBuf::from).expect("shared data root");
        let glb = std::fs::read(root.join("models/smithsonian_USNM_1145291/USNM_1145291-150k-2048-medium-100k-2048_draco.glb")).expect("read");
        let from_worker = sontinh_mesh::Model::from_bytes(&decode_glb(&glb).expect("decode")).expect("bytes");
        assert_eq!(from_worker, sontinh_mesh::read_glb(&glb).expect("read_glb"));
        // Not a GLB: the decoder's own error, as bytes never come back.
        let not_glb = b"glTF but not really";
        let err = decode_glb(not_glb).unwrap_err();
        assert!(err.contains("GLB version"), "{err}");
        assert!(decode_glb(&glb[..glb.len() / 2]).is_err());
    }

    #[test]
    fn a_worker_generates_the_citadel_the_main_thread_would() {
        use sontinh_procgen::citadel;
        let parts = sontinh_procgen::wire::parts_from_bytes(&generate_citadel()).expect("bytes");
        assert_eq!(parts, citadel::generate(&citadel::Layout::default(), &mut |_| {}));
    }

    /// What the page does: run the job, fetch (here: read) the files it
    /// lacks, run it again; the rounds it took and what it produced.
    fn run_like_the_page(kind: &str, params: &[u8]) -> (usize, Result<Vec<u8>, String>) {
        use sontinh_wire::Answer;
        let mut files = FileSet::default();
        for round in 1..=8 {
            match run_job(kind, params, &files.to_bytes()).map(|a| Answer::from_bytes(a).expect("answer")) {
                Ok(Answer::Done(bytes)) => return (round, Ok(bytes)),
                Ok(Answer::Missing(paths)) => {
                    for path in paths {
                        let bytes = std::fs::read(&path).ok();
                        files.insert(path, bytes);
                    }
                }
                Err(why) => return (round, Err(why)),
            }
        }
        panic!("{kind}: more than 8 rounds");
    }

    #[test]
    fn file_jobs_fetch_what_they_lack_and_produce_what_the_main_thread_would() {
        let shared = lone_star().parent().and_then(|p| p.parent()).map(PathBuf::from).expect("shared data root");
        // An OBJ with its material library: the OBJ, then its library.
        let plinth = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/models/plinth.obj");
        let (rounds, bytes) = run_like_the_page("obj", plinth.to_str().expect("path").as_bytes());
        let model = sontinh_mesh::Model::from_bytes(&bytes.expect("obj")).expect("bytes");
        assert_eq!(model, sontinh_mesh::read_obj(&plinth).expect("read_obj"));
        assert!(rounds >= 2, "{rounds} rounds");
        // A tile: placed as the main thread places it.
        let tileset = sontinh_tiles::load_tileset(&shared.join("tiles/TilesetWithDiscreteLOD/tileset.json")).expect("tileset");
        let tile = tileset.tiles.iter().find(|t| t.content.is_some()).expect("a content");
        let frame = sontinh_geo::EnuFrame::new(sontinh_geo::Geodetic { lon_deg: -75.61209430782448, lat_deg: 40.042530611425896, height_m: 0.0 });
        let request = sontinh_tiles::TileRequest { content: tile.content.clone().expect("content"), transform: tile.transform, frame: Some(frame) };
        let (_, bytes) = run_like_the_page("tile", &request.to_bytes());
        let path = request.content.clone();
        assert_eq!(sontinh_tiles::PlacedTile::from_bytes(&bytes.expect("tile"), &path).expect("bytes"), request.load(&sontinh_tiles::FileSource).expect("load"));
        // Terrain: the DEM, then the build.
        let request = sontinh_terrain::TerrainRequest {
            dem: shared.join("dem/N44W072.hgt"),
            origin: sontinh_geo::Geodetic { lon_deg: -71.5, lat_deg: 44.5, height_m: 0.0 },
            drape: None,
        };
        let (rounds, bytes) = run_like_the_page("terrain", &request.to_bytes());
        let terrain = sontinh_terrain::Terrain::from_bytes(&bytes.expect("terrain")).expect("bytes");
        assert_eq!(rounds, 2);
        let read = |file: &std::path::Path| std::fs::read(file).map_err(|e| e.to_string());
        assert_eq!(terrain, request.build(&read, &mut |_| {}).expect("build"));
        // A vector layer draped on that DEM: the layer and the DEM asked for in
        // one round, then built as natively.
        let grid = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/vector/mount-washington-grid.geojson");
        let request = sontinh_vector_mesh::VectorRequest {
            file: sontinh_vector_mesh::LayerFile::Vector,
            path: grid,
            crs: None,
            style: sontinh_scene::VectorStyle::default(),
            origin: sontinh_geo::Geodetic { lon_deg: -71.3033, lat_deg: 44.2708, height_m: 0.0 },
            ground: sontinh_vector_mesh::GroundSource::Dem { path: shared.join("dem/N44W072.hgt"), crs: None },
        };
        let (rounds, bytes) = run_like_the_page("vector", &request.to_bytes());
        let built = sontinh_vector_mesh::Built::from_bytes(&bytes.expect("vector")).expect("bytes");
        assert_eq!(rounds, 2);
        assert_eq!(built, request.build(&read, &mut |_| {}).expect("build"));
        assert_eq!(built.features.len(), 21, "11 meridians, 9 parallels and the summit area");
        // A file that cannot be had is the reader's error naming it; an unknown job is named.
        let (_, missing) = run_like_the_page("obj", b"/nowhere/model.obj");
        assert!(missing.expect_err("missing").contains("/nowhere/model.obj"));
        assert!(run_job("stl", b"", &FileSet::default().to_bytes()).expect_err("kind").contains("\"stl\""));
        assert!(run_job("obj", b"a.obj", b"junk").expect_err("files").contains("files for a worker"));
    }

    #[test]
    fn a_worker_keeps_at_most_its_cap_of_open_files() {
        let bytes = std::fs::read(lone_star()).expect("read");
        let index = index_of(&bytes);
        let mut decoders = Decoders::default();
        for id in 0..(MAX_OPEN_FILES as u32 + 3) {
            decoders.open(id, "lone-star.copc.laz", &index).expect("open");
        }
        assert_eq!(decoders.files.len(), MAX_OPEN_FILES);
        assert!(!decoders.is_open(0) && decoders.is_open(MAX_OPEN_FILES as u32 + 2));
        // A plain LAS header is not a COPC index.
        assert!(decoders.open(99, "x.laz", &index[..40]).is_err());
    }
}

//! Decoding off the main thread. In the browser the page starts a pool of
//! Web Workers (`web/decode-pool.js`) and the viewer hands them compressed
//! point cloud nodes, GLB models, tile contents, DEMs and OBJ models; natively the viewer's task pool
//! already decodes on other threads, so these functions say there is no
//! pool and the caller decodes where it is.

/// A point cloud's id in the page's decoding pool: one per opened file.
pub fn next_file_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(not(target_arch = "wasm32"))]
pub fn register_copc(_file: u32, _location: &str, _index: &[u8]) -> bool {
    false
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn generate_citadel() -> Option<Result<Vec<u8>, String>> {
    None
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn decode_glb(bytes: Vec<u8>) -> Result<Result<Vec<u8>, String>, Vec<u8>> {
    Err(bytes)
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn run_job(_kind: &str, _params: &[u8], _rounds: usize) -> Option<Result<Vec<u8>, String>> {
    None
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn flood_start(_request: &[u8], _rounds: usize, _recording: bool) -> Option<Result<Vec<u8>, String>> {
    None
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn flood_call(_method: &str, _bytes: Option<&[u8]>) -> Result<Vec<u8>, String> {
    Err("flood runs go to a worker in the browser only".into())
}

#[cfg(not(target_arch = "wasm32"))]
pub fn flood_cancel() {}

#[cfg(not(target_arch = "wasm32"))]
pub async fn wait_ms(_ms: i32) {}

/// Resolves after `ms` milliseconds of the page's clock, without holding
/// the main thread (a paused run waits for the planner this way).
#[cfg(target_arch = "wasm32")]
pub async fn wait_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn decode_copc_node(_file: u32, _offset: u64, _byte_size: u64, _point_count: u64, chunk: Vec<u8>) -> Result<Result<Vec<u8>, String>, Vec<u8>> {
    Err(chunk)
}

/// Gives the page's decoding pool a COPC file's fetched index (header,
/// records, hierarchy); false when the page has no pool (the caller then
/// decodes on the main thread, and says so once).
#[cfg(target_arch = "wasm32")]
pub fn register_copc(file: u32, location: &str, index: &[u8]) -> bool {
    use wasm_bindgen::{JsCast, JsValue};
    let Some(pool) = pool() else { return false };
    let Some(register) = js_sys::Reflect::get(&pool, &JsValue::from_str("registerCopc")).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()) else {
        return false;
    };
    // A copy the pool keeps (it is not a view into the viewer's memory).
    let index = js_sys::Uint8Array::from(index);
    register.call3(&pool, &JsValue::from(file), &JsValue::from_str(location), &index).is_ok()
}

/// Decodes one node in a worker: the node's bytes
/// (`sontinh_pointcloud::decoded_node::DecodedNode::to_bytes`) or the
/// worker's error; `Err(chunk)` back when the page has no working pool.
#[cfg(target_arch = "wasm32")]
pub async fn decode_copc_node(file: u32, offset: u64, byte_size: u64, point_count: u64, chunk: Vec<u8>) -> Result<Result<Vec<u8>, String>, Vec<u8>> {
    use wasm_bindgen::JsValue;
    // JavaScript numbers hold whole numbers up to 2^53 exactly: COPC offsets
    // and sizes beyond are not files a browser fetches.
    let args = [
        JsValue::from(file),
        JsValue::from_f64(offset as f64),
        JsValue::from_f64(byte_size as f64),
        JsValue::from_f64(point_count as f64),
        js_sys::Uint8Array::from(chunk.as_slice()).into(),
    ];
    match ask_pool("decodeCopcNode", &args) {
        Some(promise) => Ok(answer(promise).await),
        None => Err(chunk),
    }
}

/// Decodes a GLB model in a worker: the model's bytes
/// (`sontinh_mesh::Model::to_bytes`) or the decoder's error; `Err(bytes)`
/// back when the page has no working pool.
#[cfg(target_arch = "wasm32")]
pub async fn decode_glb(bytes: Vec<u8>) -> Result<Result<Vec<u8>, String>, Vec<u8>> {
    match ask_pool("decodeGlb", &[js_sys::Uint8Array::from(bytes.as_slice()).into()]) {
        Some(promise) => Ok(answer(promise).await),
        None => Err(bytes),
    }
}

/// Generates the Citadel in a worker: its parts' bytes
/// (`sontinh_procgen::wire::parts_to_bytes`); `None` when the page has no
/// working pool.
#[cfg(target_arch = "wasm32")]
pub async fn generate_citadel() -> Option<Result<Vec<u8>, String>> {
    Some(answer(ask_pool("generateCitadel", &[])?).await)
}

/// Runs a job that reads files ([`sontinh_decode_worker`]'s `run_job`:
/// `"tile"`, `"terrain"` or `"obj"`) in a worker: the worker answers with
/// what it made, or with the files it lacks, which are fetched here for
/// the next round (at most `rounds`). `None` when the page has no working
/// pool (the caller then does the work where it is).
#[cfg(target_arch = "wasm32")]
pub async fn run_job(kind: &str, params: &[u8], rounds: usize) -> Option<Result<Vec<u8>, String>> {
    // Fresh arrays each round: the pool hands their buffers over to the worker.
    ask_with_files("runJob", rounds, |files| vec![wasm_bindgen::JsValue::from_str(kind), js_sys::Uint8Array::from(params).into(), files]).await
}

/// Starts a planner's flood run in the pool's flood worker (a fresh one:
/// a run before it is ended), fetching the files it asks for (the DEM):
/// what it answered (for a run `recording` a solver on the page's GPU, the
/// solver's input). `None` when the page has no working pool.
#[cfg(target_arch = "wasm32")]
pub async fn flood_start(request: &[u8], rounds: usize, recording: bool) -> Option<Result<Vec<u8>, String>> {
    flood_cancel();
    // Fresh arrays each round: the pool hands their buffers over to the worker.
    ask_with_files("floodStart", rounds, |files| vec![js_sys::Uint8Array::from(request).into(), files, wasm_bindgen::JsValue::from_bool(recording)]).await
}

/// Asks the pool's `method` (its arguments made anew each round by `args`,
/// given the files fetched so far as a `FileSet`'s bytes: the pool
/// transfers the arrays' buffers) until the worker is done, fetching
/// the files it says it lacks between rounds (at most `rounds`); `None`
/// when the page has no working pool.
#[cfg(target_arch = "wasm32")]
async fn ask_with_files(method: &str, rounds: usize, args: impl Fn(wasm_bindgen::JsValue) -> Vec<wasm_bindgen::JsValue>) -> Option<Result<Vec<u8>, String>> {
    use sontinh_wire::{Answer, FileSet};
    let mut files = FileSet::default();
    for _ in 0..rounds {
        let fetched = js_sys::Uint8Array::from(files.to_bytes().as_slice()).into();
        match answer(ask_pool(method, &args(fetched))?).await.and_then(Answer::from_bytes) {
            Ok(Answer::Done(bytes)) => return Some(Ok(bytes)),
            Ok(Answer::Missing(paths)) => {
                for path in paths {
                    // A file that cannot be had is remembered as such: the reader's own error names it.
                    let bytes = crate::fetch::file_bytes(std::path::Path::new(&path)).await.ok();
                    files.insert(path, bytes);
                }
            }
            Err(why) => return Some(Err(why)),
        }
    }
    Some(Err(format!("the files name further files more than {rounds} levels deep")))
}

/// Asks the started flood run's worker `method` (`floodStep`, or
/// `floodRecord` and `floodFinish` with their bytes): the update's bytes
/// (`sontinh_flood_plan::RunUpdate`).
#[cfg(target_arch = "wasm32")]
pub async fn flood_call(method: &str, bytes: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let args: Vec<wasm_bindgen::JsValue> = bytes.map(|b| js_sys::Uint8Array::from(b).into()).into_iter().collect();
    match ask_pool(method, &args) {
        Some(promise) => answer(promise).await,
        None => Err("the page's workers are not running".into()),
    }
}

/// Ends the flood worker and its run.
#[cfg(target_arch = "wasm32")]
pub fn flood_cancel() {
    use wasm_bindgen::{JsCast, JsValue};
    if let Some(pool) = pool()
        && let Some(cancel) = js_sys::Reflect::get(&pool, &JsValue::from_str("floodCancel")).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        let _ = cancel.call0(&pool);
    }
}

/// Calls the pool's method `name` with `args`: the promise of its answer,
/// or `None` when the page has no working pool or no such method.
#[cfg(target_arch = "wasm32")]
fn ask_pool(name: &str, args: &[wasm_bindgen::JsValue]) -> Option<js_sys::Promise> {
    use wasm_bindgen::{JsCast, JsValue};
    let pool = pool()?;
    let method = js_sys::Reflect::get(&pool, &JsValue::from_str(name)).ok()?.dyn_into::<js_sys::Function>().ok()?;
    let args: js_sys::Array = args.iter().collect();
    method.apply(&pool, &args).ok()?.dyn_into::<js_sys::Promise>().ok()
}

/// A worker's answer: its bytes, or the message it rejected with.
#[cfg(target_arch = "wasm32")]
async fn answer(promise: js_sys::Promise) -> Result<Vec<u8>, String> {
    use wasm_bindgen::JsCast;
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(bytes) => Ok(js_sys::Uint8Array::new(&bytes).to_vec()),
        Err(error) => Err(error.as_string().or_else(|| error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message()))).unwrap_or_else(|| format!("{error:?}"))),
    }
}

/// The page's pool (`globalThis.sontinhDecode`), when it started one and
/// its workers have not all failed.
#[cfg(target_arch = "wasm32")]
fn pool() -> Option<wasm_bindgen::JsValue> {
    use wasm_bindgen::JsValue;
    let pool = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("sontinhDecode")).ok()?;
    if pool.is_undefined() || pool.is_null() {
        return None;
    }
    let broken = js_sys::Reflect::get(&pool, &JsValue::from_str("broken")).ok()?;
    broken.is_falsy().then_some(pool)
}

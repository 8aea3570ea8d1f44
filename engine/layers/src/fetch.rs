//! A layer file's bytes: read from disk natively; in the browser, fetched
//! from the site that served the scene (its paths are site addresses there,
//! see `sontinh_scene::site_path`).

use std::path::Path;

#[cfg(not(target_arch = "wasm32"))]
pub async fn file_bytes(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(target_arch = "wasm32")]
pub async fn file_bytes(path: &Path) -> Result<Vec<u8>, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let url = path.to_str().ok_or_else(|| format!("{}: not a site address", path.display()))?;
    let failed = |e: wasm_bindgen::JsValue| format!("{url}: cannot fetch: {e:?}");
    let window = web_sys::window().ok_or_else(|| format!("{url}: no window to fetch from"))?;
    let response = JsFuture::from(window.fetch_with_str(url)).await.map_err(failed)?;
    let response: web_sys::Response = response.dyn_into().map_err(failed)?;
    if !response.ok() {
        return Err(format!("{url}: the server answered {} {}", response.status(), response.status_text()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(failed)?).await.map_err(failed)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

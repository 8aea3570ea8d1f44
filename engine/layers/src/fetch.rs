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

/// The files a synchronous reader has been given so far. Natively a file is
/// read when asked for; in the browser a file not fetched yet is an error
/// for this round and is noted, so that [`read_fetching`] can fetch it and
/// run the reader again.
#[derive(Default)]
pub struct Fetched {
    files: std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, Option<Vec<u8>>>>,
    missing: std::sync::Mutex<Vec<std::path::PathBuf>>,
}

impl Fetched {
    pub fn get(&self, file: &Path) -> Result<Vec<u8>, String> {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        match files.get(file) {
            Some(Some(bytes)) => Ok(bytes.clone()),
            Some(None) => Err(format!("{}: could not be read", file.display())),
            // Natively the file is at hand: read it now, no second round.
            #[cfg(not(target_arch = "wasm32"))]
            None => {
                drop(files);
                let bytes = std::fs::read(file).ok();
                let result = bytes.clone().ok_or_else(|| format!("{}: could not be read", file.display()));
                self.files.lock().unwrap_or_else(|e| e.into_inner()).insert(file.to_path_buf(), bytes);
                result
            }
            #[cfg(target_arch = "wasm32")]
            None => {
                let mut missing = self.missing.lock().unwrap_or_else(|e| e.into_inner());
                if !missing.iter().any(|m| m == file) {
                    missing.push(file.to_path_buf());
                }
                Err(format!("{}: not fetched yet", file.display()))
            }
        }
    }
}

impl sontinh_tiles::TileSource for Fetched {
    fn read(&self, location: &Path) -> Result<Vec<u8>, String> {
        self.get(location)
    }
}

/// Runs a synchronous reader over files fetched as it asks for them: read,
/// fetch what it asked for and lacked, read again (a tileset, then its
/// external tilesets and subtrees; an OBJ, then its materials, then their
/// textures), at most `rounds` times. The reader alone decides what it needs,
/// natively (files) and in the browser (the site) alike; a file that cannot
/// be had is remembered as such and the reader's own error names it.
pub async fn read_fetching<T, E: std::fmt::Display>(rounds: usize, read: impl Fn(&Fetched) -> Result<T, E>) -> Result<T, String> {
    let fetched = Fetched::default();
    for _ in 0..rounds {
        let result = read(&fetched);
        let missing = std::mem::take(&mut *fetched.missing.lock().unwrap_or_else(|e| e.into_inner()));
        if missing.is_empty() {
            return result.map_err(|e| e.to_string());
        }
        for file in missing {
            let bytes = file_bytes(&file).await.ok();
            fetched.files.lock().unwrap_or_else(|e| e.into_inner()).insert(file, bytes);
        }
    }
    Err(format!("the files name further files more than {rounds} levels deep"))
}

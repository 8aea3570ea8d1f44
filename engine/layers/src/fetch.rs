//! A layer file's bytes: read from disk natively; in the browser, fetched
//! from the site that served the scene (its paths are site addresses there,
//! see `sontinh_scene::site_path`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

/// Files made in this page or process rather than read (a planner's flood
/// run in the browser keeps its outputs here): `file_bytes` reads them
/// first, so the readers of a run folder need not know where it lives.
static MEMORY_FILES: LazyLock<Mutex<BTreeMap<PathBuf, Arc<Vec<u8>>>>> = LazyLock::new(Default::default);

fn memory_files() -> std::sync::MutexGuard<'static, BTreeMap<PathBuf, Arc<Vec<u8>>>> {
    // A map of whole files: consistent after any panic.
    MEMORY_FILES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps `bytes` as the file at `path` (replacing one there).
pub fn keep_in_memory(path: PathBuf, bytes: Vec<u8>) {
    memory_files().insert(path, Arc::new(bytes));
}

/// A file kept with [`keep_in_memory`].
pub fn memory_file(path: &Path) -> Option<Arc<Vec<u8>>> {
    memory_files().get(path).cloned()
}

/// Drops every kept file under `dir`.
pub fn forget_memory_folder(dir: &Path) {
    memory_files().retain(|path, _| !path.starts_with(dir));
}

/// Whether a file is kept in memory or, natively, on disk.
pub fn file_exists(path: &Path) -> bool {
    memory_file(path).is_some() || (cfg!(not(target_arch = "wasm32")) && path.is_file())
}

/// Offers `bytes` to the user as a download named `name` (the page's
/// "save as"); natively there is nothing to do: files are on disk.
#[cfg(not(target_arch = "wasm32"))]
pub fn offer_download(_name: &str, _bytes: &[u8], _mime: &str) -> Result<(), String> {
    Ok(())
}

#[cfg(target_arch = "wasm32")]
pub fn offer_download(name: &str, bytes: &[u8], mime: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let failed = |e: wasm_bindgen::JsValue| format!("{name}: cannot offer the download: {e:?}");
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| format!("{name}: no page to download from"))?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").map_err(failed)?.dyn_into().map_err(|_| format!("{name}: no link element"))?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The browser reads the blob after this task: let it go a little later.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let window = web_sys::window().ok_or_else(|| format!("{name}: no window"))?;
    window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000).map_err(failed)?;
    Ok(())
}

/// Where kept files live: never read from disk or fetched.
pub const MEMORY_PREFIX: &str = "memory:";

pub async fn file_bytes(path: &Path) -> Result<Vec<u8>, String> {
    if let Some(kept) = memory_file(path) {
        return Ok(kept.as_ref().clone());
    }
    if path.to_str().is_some_and(|p| p.starts_with(MEMORY_PREFIX)) {
        return Err(format!("{}: not made (yet)", path.display()));
    }
    read_or_fetch(path).await
}

#[cfg(not(target_arch = "wasm32"))]
async fn read_or_fetch(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(target_arch = "wasm32")]
async fn read_or_fetch(path: &Path) -> Result<Vec<u8>, String> {
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

/// Up to `len` bytes of a file from byte `start` (fewer at its end), and
/// the file's length: natively from disk; in the browser one HTTP range
/// request, which must be answered 206 with exactly that range (a server
/// that sends the whole file instead is an error, not a slow success).
#[cfg(not(target_arch = "wasm32"))]
pub async fn file_range(path: &Path, start: u64, len: u64) -> Result<(Vec<u8>, u64), String> {
    use std::io::{Read, Seek, SeekFrom};
    let failed = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = std::fs::File::open(path).map_err(failed)?;
    let total = file.metadata().map_err(failed)?.len();
    let want = len.min(total.saturating_sub(start));
    let mut bytes = vec![0u8; usize::try_from(want).map_err(|e| format!("{}: {e}", path.display()))?];
    file.seek(SeekFrom::Start(start)).map_err(failed)?;
    file.read_exact(&mut bytes).map_err(failed)?;
    Ok((bytes, total))
}

#[cfg(target_arch = "wasm32")]
pub async fn file_range(path: &Path, start: u64, len: u64) -> Result<(Vec<u8>, u64), String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let url = path.to_str().ok_or_else(|| format!("{}: not a site address", path.display()))?;
    if len == 0 {
        return Err(format!("{url}: an empty range was asked for"));
    }
    let last = start.checked_add(len - 1).ok_or_else(|| format!("{url}: the range at {start} of {len} bytes overflows"))?;
    let failed = |e: wasm_bindgen::JsValue| format!("{url}: cannot fetch bytes {start}-{last}: {e:?}");
    let window = web_sys::window().ok_or_else(|| format!("{url}: no window to fetch from"))?;
    let headers = web_sys::Headers::new().map_err(failed)?;
    headers.set("Range", &format!("bytes={start}-{last}")).map_err(failed)?;
    let init = web_sys::RequestInit::new();
    init.set_headers(&headers);
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(failed)?;
    let response: web_sys::Response = response.dyn_into().map_err(failed)?;
    if response.status() != 206 {
        return Err(format!(
            "{url}: the server answered {} {} to a range request (206 expected: it must serve byte ranges)",
            response.status(),
            response.status_text()
        ));
    }
    let content_range = response.headers().get("Content-Range").map_err(failed)?.unwrap_or_default();
    let (first, total) = parse_content_range(&content_range).ok_or_else(|| format!("{url}: unreadable Content-Range \"{content_range}\""))?;
    let buffer = JsFuture::from(response.array_buffer().map_err(failed)?).await.map_err(failed)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    if first != start || bytes.len() as u64 > len {
        return Err(format!("{url}: asked for bytes {start}-{last}, the server sent {content_range} ({} bytes)", bytes.len()));
    }
    Ok((bytes, total))
}

/// `bytes FIRST-LAST/TOTAL` as (FIRST, TOTAL).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let (range, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let (first, last, total): (u64, u64, u64) = (first.parse().ok()?, last.parse().ok()?, total.parse().ok()?);
    (first <= last && last < total).then_some((first, total))
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
                Err(format!("{}: {}", file.display(), sontinh_wire::NOT_FETCHED))
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

#[cfg(test)]
mod tests {
    use super::parse_content_range;

    /// RFC 9110 section 14.4: `Content-Range: bytes 42-1233/1234`.
    #[test]
    fn content_ranges_are_read_as_the_rfc_writes_them() {
        assert_eq!(parse_content_range("bytes 42-1233/1234"), Some((42, 1234)));
        assert_eq!(parse_content_range("bytes 0-0/1"), Some((0, 1)));
        assert_eq!(parse_content_range("bytes */1234"), None);
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("bytes 0-10/10"), None);
        assert_eq!(parse_content_range("bytes 0-9/*"), None);
        assert_eq!(parse_content_range("items 0-9/10"), None);
    }
}

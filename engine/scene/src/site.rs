//! Where a scene's files live on a web site: the one mapping shared by the
//! browser (which fetches them) and `sontinh serve` (which finds them on
//! disk from the same addresses).
//!
//! A scene served at `/scenes/a.toml` that names `../assets/m.obj` has it at
//! `/assets/m.obj`; `shared:dem/x.hgt` is at `/shared/dem/x.hgt`. Addresses
//! never climb above the site's root, and absolute or remote paths are
//! refused: a scene cannot make the browser fetch from another site.

/// Resolves a scene's paths to site addresses ([`site_path`]): how the
/// browser (and its workers) parse a scene fetched from a site.
#[derive(Clone, Debug)]
pub struct SiteResolver {
    scene_url: String,
}

impl SiteResolver {
    pub fn new(scene_url: String) -> SiteResolver {
        SiteResolver { scene_url }
    }
}

impl crate::PathResolver for SiteResolver {
    fn resolve(&self, path: &str) -> Result<std::path::PathBuf, String> {
        site_path(&self.scene_url, path).map(std::path::PathBuf::from)
    }
}

/// The URL prefix of files named with `shared:`.
pub const SHARED_SITE_PREFIX: &str = "/shared/";

/// The site address of `path` (as written in the scene) for the scene at
/// `scene_url` (a path on the site, `/scenes/a.toml` or `scenes/a.toml`).
pub fn site_path(scene_url: &str, path: &str) -> Result<String, String> {
    if path.contains('\\') || path.contains('\0') || path.contains('?') || path.contains('#') {
        return Err(format!("{path}: a served scene's paths use / and name files (no \\, ?, # or NUL)"));
    }
    if let Some(rest) = path.strip_prefix("shared:") {
        let segments = clean_segments(rest.split('/'), path, false)?;
        if segments.is_empty() {
            return Err(format!("{path}: names no file"));
        }
        return Ok(format!("{SHARED_SITE_PREFIX}{}", segments.join("/")));
    }
    if path.starts_with('/') || path.contains("://") || path.get(1..2) == Some(":") {
        return Err(format!("{path}: an absolute path or address cannot be served; name files relative to the scene or with shared:"));
    }
    let scene = scene_url.split(['?', '#']).next().unwrap_or_default();
    let folder = scene.rsplit_once('/').map_or("", |(dir, _)| dir);
    let joined = folder.split('/').chain(path.split('/'));
    let segments = clean_segments(joined, path, true)?;
    if segments.is_empty() {
        return Err(format!("{path}: names no file"));
    }
    Ok(format!("/{}", segments.join("/")))
}

/// Path segments with `.` and empty ones dropped and `..` applied; `..`
/// that would climb above the root is an error (and any `..` at all where
/// `parents` is false).
fn clean_segments<'a>(parts: impl Iterator<Item = &'a str>, path: &str, parents: bool) -> Result<Vec<&'a str>, String> {
    let mut segments: Vec<&str> = Vec::new();
    for part in parts {
        match part {
            "" | "." => {}
            ".." if parents => {
                if segments.pop().is_none() {
                    return Err(format!("{path}: climbs above the site's root"));
                }
            }
            ".." => return Err(format!("{path}: .. is not allowed here")),
            part => segments.push(part),
        }
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::site_path;

    #[test]
    fn files_are_found_beside_the_scene_and_in_the_shared_folder() {
        assert_eq!(site_path("/scenes/relic-gallery.toml", "../assets/models/plinth.obj").unwrap(), "/assets/models/plinth.obj");
        assert_eq!(site_path("scenes/relic-gallery.toml", "../assets/models/plinth.obj").unwrap(), "/assets/models/plinth.obj");
        assert_eq!(site_path("/scenes/a.toml", "./b/./c.glb").unwrap(), "/scenes/b/c.glb");
        assert_eq!(site_path("/scenes/a.toml", "shared:dem/N44W072.hgt").unwrap(), "/shared/dem/N44W072.hgt");
        assert_eq!(site_path("/scenes/a.toml?x=1", "m.glb").unwrap(), "/scenes/m.glb");
    }

    #[test]
    fn no_scene_path_leaves_the_site() {
        for (scene, path) in [
            ("/scenes/a.toml", "../../etc/passwd"),
            ("/a.toml", "../x"),
            ("/scenes/a.toml", "shared:../secret"),
            ("/scenes/a.toml", "/etc/passwd"),
            ("/scenes/a.toml", "https://evil.example/x.glb"),
            ("/scenes/a.toml", "C:/x.glb"),
            ("/scenes/a.toml", "..\\x.glb"),
            ("/scenes/a.toml", "x.glb?token=1"),
            ("/scenes/a.toml", "shared:"),
        ] {
            assert!(site_path(scene, path).is_err(), "{scene} {path} was accepted: {:?}", site_path(scene, path));
        }
    }
}

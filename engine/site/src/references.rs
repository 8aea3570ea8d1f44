//! The files a data file references, as it writes them (relative to its
//! folder): a 3D Tiles tileset's contents, external tilesets and implicit
//! subtrees (templates expanded over the files present), an OBJ's material
//! libraries, a material library's textures, a glTF's buffers and images,
//! an image's world file.
//! References stay inside the referencing file's folder: `..`, absolute
//! paths and addresses on other sites are errors naming the file.

use std::path::{Path, PathBuf};

/// Files listed when a tileset's implicit template is expanded, at most:
/// a bound on the walk over a folder the tileset names.
const MAX_TEMPLATE_FILES: usize = 200_000;

pub fn referenced_files(path: &Path) -> Result<Vec<String>, String> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    let read = || std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()));
    let written = match extension.as_str() {
        "json" => tileset_references(path, &read()?)?,
        "gltf" => gltf_references(path, &read()?)?,
        "obj" => obj_references(&read()?),
        "mtl" => mtl_references(&read()?),
        // An orthophoto's world file says where it lies (a drape's reader asks for it).
        "png" | "jpg" | "jpeg" => sontinh_raster::world_file_candidates(path)
            .into_iter()
            .filter(|c| c.is_file())
            .filter_map(|c| c.file_name().and_then(|n| n.to_str()).map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    for reference in &written {
        check_inside(path, reference)?;
    }
    Ok(written)
}

fn check_inside(path: &Path, reference: &str) -> Result<(), String> {
    let climbs = reference.split(['/', '\\']).any(|s| s == "..");
    if climbs || reference.starts_with('/') || reference.contains("://") || reference.contains('\\') || reference.get(1..2) == Some(":") {
        return Err(format!(
            "{}: references {reference}, outside its own folder; a served file may reference only files beside or below it",
            path.display()
        ));
    }
    Ok(())
}

fn json(path: &Path, text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

/// A URI without its query or fragment, percent-decoded; `None` for data URIs.
fn local_uri(uri: &str) -> Option<String> {
    if uri.starts_with("data:") {
        return None;
    }
    let bare = uri.split(['?', '#']).next().unwrap_or_default();
    Some(percent_encoding::percent_decode_str(bare).decode_utf8_lossy().into_owned()).filter(|u| !u.is_empty())
}

fn tileset_references(path: &Path, text: &str) -> Result<Vec<String>, String> {
    let value = json(path, text)?;
    // Only a tileset (it has an `asset` and a `root`) references files.
    let Some(root) = value.get("root") else { return Ok(Vec::new()) };
    let folder = path.parent().unwrap_or(Path::new(""));
    let mut out = Vec::new();
    let mut tiles = vec![root];
    while let Some(tile) = tiles.pop() {
        let contents = tile.get("content").into_iter().chain(tile.get("contents").and_then(|c| c.as_array()).into_iter().flatten());
        let mut templates = Vec::new();
        for content in contents {
            if let Some(uri) = content.get("uri").or_else(|| content.get("url")).and_then(|u| u.as_str()).and_then(local_uri) {
                templates.push(uri);
            }
        }
        if let Some(implicit) = tile.get("implicitTiling") {
            if let Some(uri) = implicit.pointer("/subtrees/uri").and_then(|u| u.as_str()).and_then(local_uri) {
                templates.push(uri);
            }
            for template in templates {
                out.extend(expand_template(folder, &template, path)?);
            }
        } else {
            out.extend(templates);
        }
        if let Some(children) = tile.get("children").and_then(|c| c.as_array()) {
            tiles.extend(children);
        }
    }
    Ok(out)
}

/// The files under `folder` that an implicit-tiling template names
/// (`{level}`, `{x}`, `{y}`, `{z}` each stand for a number).
fn expand_template(folder: &Path, template: &str, tileset: &Path) -> Result<Vec<String>, String> {
    check_inside(tileset, template)?;
    let pattern: Vec<&str> = template.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    let mut found = Vec::new();
    let mut listed = 0usize;
    walk_matching(folder, &pattern, String::new(), &mut found, &mut listed, tileset)?;
    Ok(found)
}

fn walk_matching(dir: &Path, pattern: &[&str], prefix: String, found: &mut Vec<String>, listed: &mut usize, tileset: &Path) -> Result<(), String> {
    let Some((first, rest)) = pattern.split_first() else { return Ok(()) };
    if !first.contains('{') {
        let next = dir.join(first);
        let written = format!("{prefix}{first}");
        if rest.is_empty() {
            if next.is_file() {
                found.push(written);
            }
        } else if next.is_dir() {
            walk_matching(&next, rest, format!("{written}/"), found, listed, tileset)?;
        }
        return Ok(());
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for entry in entries.flatten() {
        *listed += 1;
        if *listed > MAX_TEMPLATE_FILES {
            return Err(format!("{}: its implicit template matches over {MAX_TEMPLATE_FILES} files", tileset.display()));
        }
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
        if !segment_matches(first, &name) {
            continue;
        }
        let path: PathBuf = entry.path();
        if rest.is_empty() {
            if path.is_file() {
                found.push(format!("{prefix}{name}"));
            }
        } else if path.is_dir() {
            walk_matching(&path, rest, format!("{prefix}{name}/"), found, listed, tileset)?;
        }
    }
    Ok(())
}

/// `name` against one template segment: literal text as written, each
/// `{…}` one or more decimal digits.
fn segment_matches(segment: &str, name: &str) -> bool {
    fn go(pattern: &str, name: &str) -> bool {
        match pattern.find('{') {
            None => pattern == name,
            Some(open) => {
                let (literal, after) = pattern.split_at(open);
                let Some(rest_name) = name.strip_prefix(literal) else { return false };
                let Some(close) = after.find('}') else { return false };
                let rest_pattern = &after[close + 1..];
                let digits = rest_name.bytes().take_while(u8::is_ascii_digit).count();
                (1..=digits).any(|n| go(rest_pattern, &rest_name[n..]))
            }
        }
    }
    go(segment, name)
}

fn gltf_references(path: &Path, text: &str) -> Result<Vec<String>, String> {
    let value = json(path, text)?;
    let mut out = Vec::new();
    for key in ["buffers", "images"] {
        for item in value.get(key).and_then(|v| v.as_array()).into_iter().flatten() {
            if let Some(uri) = item.get("uri").and_then(|u| u.as_str()).and_then(local_uri) {
                out.push(uri);
            }
        }
    }
    Ok(out)
}

fn obj_references(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("mtllib "))
        .flat_map(|names| names.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// Texture maps: the file is the statement's last word (options come first).
fn mtl_references(text: &str) -> Vec<String> {
    const MAPS: [&str; 10] = ["map_Kd", "map_Ka", "map_Ks", "map_Ns", "map_d", "map_Bump", "map_bump", "bump", "disp", "norm"];
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let keyword = words.next()?;
            MAPS.contains(&keyword).then(|| words.last().map(str::to_owned)).flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_segments_match_numbers_only() {
        assert!(segment_matches("{level}", "12"));
        assert!(segment_matches("{x}_{y}.b3dm", "3_14.b3dm"));
        assert!(!segment_matches("{x}_{y}.b3dm", "3_a.b3dm"));
        assert!(!segment_matches("{level}", ""));
        assert!(!segment_matches("{x}.glb", "secret.glb"));
        assert!(segment_matches("tile.json", "tile.json"));
    }

    #[test]
    fn obj_and_mtl_name_their_files() {
        assert_eq!(obj_references("v 0 0 0\nmtllib a.mtl b.mtl\n"), ["a.mtl", "b.mtl"]);
        assert_eq!(mtl_references("newmtl x\nmap_Kd -s 1 1 1 tex/stone.png\nKd 1 1 1\n"), ["tex/stone.png"]);
    }

    #[test]
    fn a_reference_outside_the_files_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let obj = dir.path().join("m.obj");
        std::fs::write(&obj, "mtllib ../../etc/passwd\n").unwrap();
        let err = referenced_files(&obj).unwrap_err();
        assert!(err.contains("outside its own folder"), "{err}");
        let gltf = dir.path().join("m.gltf");
        std::fs::write(&gltf, r#"{"buffers":[{"uri":"https://evil.example/b.bin"}],"images":[{"uri":"data:image/png;base64,AA"}]}"#).unwrap();
        assert!(referenced_files(&gltf).unwrap_err().contains("evil.example"));
    }
}

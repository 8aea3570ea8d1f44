//! Wavefront OBJ with its MTL materials, the other common photogrammetry
//! export. Faces are triangulated; `map_Kd` becomes the base colour texture
//! and `map_Bump`/`norm` the normal map, read from beside the OBJ. OBJ
//! carries no axis convention: like glTF and most exporters' defaults, +Y is
//! taken as up (a Z-up export is turned upright with the placement's pitch).

use std::collections::HashMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::{Material, MeshError, Model, Primitive, bounds, smooth_normals, to_enu};

/// Reads an OBJ file, its MTL libraries and their textures.
pub fn read_obj(path: &Path) -> Result<Model, MeshError> {
    read_obj_with(path, &|file: &Path| std::fs::read(file).map_err(|e| e.to_string()))
}

/// [`read_obj`] with every file (the OBJ, its libraries, their textures)
/// read through `files`: the browser serves them from what it fetched.
pub fn read_obj_with(path: &Path, files: &dyn Fn(&Path) -> Result<Vec<u8>, String>) -> Result<Model, MeshError> {
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let file = std::io::Cursor::new(files(path).map_err(MeshError::Io)?);
    let options = tobj::LoadOptions {
        single_index: true,
        triangulate: true,
        ignore_points: true,
        ignore_lines: true,
    };
    let failed_library: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
    let (models, materials) = tobj::load_obj_buf(&mut BufReader::new(file), &options, |library| {
        let full = folder.join(library);
        match files(&full) {
            Ok(bytes) => tobj::load_mtl_buf(&mut BufReader::new(std::io::Cursor::new(bytes))),
            Err(e) => {
                *failed_library.borrow_mut() = Some(format!("material library {}: {e}", full.display()));
                Err(tobj::LoadError::OpenFileFailed)
            }
        }
    })
    .map_err(|e| MeshError::Invalid(format!("OBJ: {e}")))?;
    let materials = match materials {
        Ok(m) => m,
        Err(e) => return Err(MeshError::Invalid(failed_library.into_inner().unwrap_or_else(|| format!("MTL: {e}")))),
    };

    let mut textures = Vec::new();
    let mut texture_of_file: HashMap<PathBuf, usize> = HashMap::new();
    let mut texture = |name: &str| -> Result<usize, MeshError> {
        let (file, bytes) = texture_file(&folder, name, files)?;
        if let Some(&t) = texture_of_file.get(&file) {
            return Ok(t);
        }
        let decoded = crate::decode_texture(&bytes).map_err(|e| MeshError::Texture { index: textures.len(), why: format!("{}: {e}", file.display()) })?;
        textures.push(decoded);
        texture_of_file.insert(file, textures.len() - 1);
        Ok(textures.len() - 1)
    };
    let mut converted: Vec<Material> = Vec::with_capacity(materials.len());
    for m in &materials {
        let diffuse = m.diffuse.unwrap_or([1.0; 3]);
        // Phong exponent to roughness (the usual sqrt(2 / (Ns + 2))).
        let roughness = m.shininess.map_or(1.0, |ns| (2.0 / (ns.max(0.0) + 2.0)).sqrt());
        converted.push(Material {
            base_color: [diffuse[0], diffuse[1], diffuse[2], m.dissolve.unwrap_or(1.0)],
            metallic: 0.0,
            roughness,
            base_color_texture: m.diffuse_texture.as_deref().map(&mut texture).transpose()?,
            normal_texture: m.normal_texture.as_deref().map(&mut texture).transpose()?,
            occlusion_texture: None,
            double_sided: false,
        });
    }
    let plain = Material {
        base_color: [0.8, 0.8, 0.8, 1.0],
        metallic: 0.0,
        roughness: 1.0,
        base_color_texture: None,
        normal_texture: None,
        occlusion_texture: None,
        double_sided: false,
    };

    let mut primitives = Vec::new();
    for model in models {
        let mesh = model.mesh;
        if mesh.indices.is_empty() {
            continue;
        }
        let count = mesh.positions.len() / 3;
        if let Some(bad) = mesh.indices.iter().find(|&&i| i as usize >= count) {
            return Err(MeshError::Invalid(format!("OBJ object {:?}: index {bad} past {count} vertices", model.name)));
        }
        let positions: Vec<[f32; 3]> = mesh.positions.chunks_exact(3).map(|p| to_enu([p[0], p[1], p[2]])).collect();
        let normals = if mesh.normals.len() == mesh.positions.len() {
            mesh.normals.chunks_exact(3).map(|n| to_enu([n[0], n[1], n[2]])).collect()
        } else {
            smooth_normals(&positions, &mesh.indices)
        };
        let uvs = if mesh.texcoords.len() / 2 == count {
            // OBJ's v runs up from the image's bottom row; glTF's and ours run down.
            mesh.texcoords.chunks_exact(2).map(|t| [t[0], 1.0 - t[1]]).collect()
        } else {
            vec![[0.0, 0.0]; count]
        };
        let material = match mesh.material_id {
            Some(id) => converted
                .get(id)
                .cloned()
                .ok_or_else(|| MeshError::Invalid(format!("OBJ object {:?}: material {id} is not in its libraries", model.name)))?,
            None => plain.clone(),
        };
        primitives.push(Primitive { positions, normals, uvs, tangents: Vec::new(), indices: mesh.indices, material });
    }
    if primitives.is_empty() {
        return Err(MeshError::Empty);
    }
    let (min, max) = bounds(&primitives);
    let mut model = Model { primitives, textures, min, max };
    model.add_tangents();
    Ok(model)
}

/// A texture named in an MTL file: relative to the OBJ's folder, Windows
/// separators accepted, map options (`-s 1 1 1 file.jpg`) skipped.
/// A texture named in a material library, with its bytes: the whole name
/// relative to the OBJ's folder, else its last word (options before it).
fn texture_file(folder: &Path, name: &str, files: &dyn Fn(&Path) -> Result<Vec<u8>, String>) -> Result<(PathBuf, Vec<u8>), MeshError> {
    let name = name.trim().replace('\\', "/");
    let whole = folder.join(&name);
    let first = files(&whole);
    if let Ok(bytes) = first {
        return Ok((whole, bytes));
    }
    let last = name.split_whitespace().last().unwrap_or_default();
    let file = folder.join(last);
    if file != whole
        && let Ok(bytes) = files(&file)
    {
        return Ok((file, bytes));
    }
    Err(MeshError::Io(format!("texture {}: no such file", whole.display())))
}

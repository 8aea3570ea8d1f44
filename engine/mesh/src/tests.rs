#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use super::*;

fn shared(path: &str) -> Vec<u8> {
    let p: PathBuf = sontinh_scene::shared_file(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), path).unwrap();
    std::fs::read(&p).unwrap()
}

#[test]
fn smithsonian_scan_sits_16_8_m_from_its_origin() {
    let model = read_glb(&shared("models/smithsonian_USNM_1145291/USNM_1145291-100k-2048_nodraco.glb")).unwrap();
    assert_eq!(model.triangle_count(), 100_000);
    assert_eq!(model.textures.len(), 3);
    assert!(model.textures.iter().all(|t| t.width == 2048 && t.height == 2048));
    // glTF z 16.786..17.072 is ENU south (-y).
    assert!((model.max[1] + 16.786).abs() < 1e-3 && (model.min[1] + 17.072).abs() < 1e-3, "{:?} {:?}", model.min, model.max);
    let m = &model.primitives[0].material;
    assert!(m.base_color_texture.is_some() && m.normal_texture.is_some() && m.occlusion_texture.is_some());
}

#[test]
fn the_danish_bust_is_about_0_6_m_tall() {
    let model = read_glb(&shared("models/danish_statues/BustManWreath.glb")).unwrap();
    assert_eq!(model.triangle_count(), 31_514);
    let height = model.max[2] - model.min[2];
    assert!((height - 0.605).abs() < 0.01, "{height}");
}

const DRACO: &str = "models/smithsonian_USNM_1145291/USNM_1145291-150k-2048-medium-100k-2048_draco.glb";

#[test]
fn the_draco_smithsonian_scan_matches_the_plain_one() {
    let plain = read_glb(&shared("models/smithsonian_USNM_1145291/USNM_1145291-100k-2048_nodraco.glb")).unwrap();
    let draco = read_glb(&shared(DRACO)).unwrap();
    assert_eq!(draco.triangle_count(), 100_000);
    // The accessors say 73,080; EdgeBreaker may split a vertex or two on seams.
    let vertices = draco.primitives[0].positions.len();
    assert!((73_080..73_100).contains(&vertices), "{vertices}");
    assert_eq!(draco.textures.len(), 3);
    // Quantisation moves vertices by well under a millimetre on a 0.4 m object.
    for k in 0..3 {
        assert!((draco.min[k] - plain.min[k]).abs() < 1e-3 && (draco.max[k] - plain.max[k]).abs() < 1e-3, "{:?} {:?} / {:?} {:?}", draco.min, draco.max, plain.min, plain.max);
    }
    let p = &draco.primitives[0];
    assert!(p.normals.iter().all(|n| ((n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt() - 1.0).abs() < 1e-2));
    assert!(p.uvs.iter().all(|uv| (-0.01..=1.01).contains(&uv[0]) && (-0.01..=1.01).contains(&uv[1])));
    // The surface area agrees: the same triangles, not the same count of others.
    let area = |m: &Model| -> f64 {
        m.primitives
            .iter()
            .flat_map(|p| p.indices.chunks(3).map(move |t| [0, 1, 2].map(|k| p.positions[t[k] as usize])))
            .map(|[a, b, c]| {
                let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
                let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
                let n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
                0.5 * ((n[0] * n[0] + n[1] * n[1] + n[2] * n[2]) as f64).sqrt()
            })
            .sum()
    };
    let (a, b) = (area(&draco), area(&plain));
    assert!((a - b).abs() / b < 0.01, "{a} {b}");
}

#[test]
fn a_corrupt_draco_bitstream_is_an_error() {
    let good = shared(DRACO);
    let json_len = u32::from_le_bytes([good[12], good[13], good[14], good[15]]) as usize;
    let bin_start = 20 + json_len + 8;
    let mut broken = good.clone();
    // Draco's header ("DRACO", version, type) then the connectivity: scramble past the header.
    for b in &mut broken[bin_start + 16..bin_start + 4096] {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    match read_glb(&broken) {
        Err(e) => assert!(e.to_string().contains("Draco"), "{e}"),
        Ok(m) => panic!("a scrambled bitstream decoded to {} triangles", m.triangle_count()),
    }
    let mut magic = good;
    magic[bin_start..bin_start + 5].copy_from_slice(b"XXXXX");
    let e = read_glb(&magic).unwrap_err();
    assert!(e.to_string().contains("Draco"), "{e}");
}

#[test]
fn broken_files_are_errors() {
    let good = shared("models/danish_statues/BustManWreath.glb");
    let mut magic = good.clone();
    magic[0] = b'X';
    assert_eq!(read_glb(&magic).unwrap_err(), MeshError::BadMagic);
    assert!(matches!(read_glb(&good[..good.len() / 2]).unwrap_err(), MeshError::Truncated(_)));
    assert!(matches!(read_glb(&good[..5]).unwrap_err(), MeshError::Truncated(_)));
    // An accessor pointing past its buffer: grow the first accessor's count in the JSON.
    let json_len = u32::from_le_bytes([good[12], good[13], good[14], good[15]]) as usize;
    let json = std::str::from_utf8(&good[20..20 + json_len]).unwrap();
    let at = json.find("\"count\":").unwrap() + 8;
    let end = at + json[at..].find(|c: char| !c.is_ascii_digit()).unwrap();
    let bigger = "9".repeat(end - at);
    let mut broken = good.clone();
    broken[20 + at..20 + end].copy_from_slice(bigger.as_bytes());
    let e = read_glb(&broken).unwrap_err();
    assert!(matches!(e, MeshError::Invalid(_)), "{e:?}");
}

#[test]
fn damaged_draco_bitstreams_never_panic() {
    let good = shared(DRACO);
    let json_len = u32::from_le_bytes([good[12], good[13], good[14], good[15]]) as usize;
    let bin_start = 20 + json_len + 8;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..24 {
        let mut broken = good.clone();
        // A burst of random bytes somewhere in the first 64 KiB of the bitstream.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let at = bin_start + 6 + (seed % 65_536) as usize;
        for (k, b) in broken[at..at + 1 + round].iter_mut().enumerate() {
            *b ^= (seed >> (k % 8 * 8)) as u8 | 1;
        }
        let _ = read_glb(&broken);
    }
}

/// Writes a model as OBJ + MTL + PNG the way photogrammetry tools export:
/// +Y up, v running up the image, one material with a diffuse map.
fn write_obj(model: &Model, folder: &std::path::Path) -> std::path::PathBuf {
    use std::fmt::Write as _;
    let mut obj = String::from("# exported for a test\nmtllib scan.mtl\no scan\n");
    let mut mtl = String::new();
    for (k, p) in model.primitives.iter().enumerate() {
        let _ = writeln!(mtl, "newmtl m{k}\nKd 1 1 1\nNs 10");
        if let Some(t) = p.material.base_color_texture {
            let _ = writeln!(mtl, "map_Kd textures\\m{k}.png");
            let t = &model.textures[t];
            std::fs::create_dir_all(folder.join("textures")).unwrap();
            image::RgbaImage::from_raw(t.width, t.height, t.rgba.clone()).unwrap().save(folder.join(format!("textures/m{k}.png"))).unwrap();
        }
    }
    let mut base = 1;
    for (k, p) in model.primitives.iter().enumerate() {
        for v in &p.positions {
            let _ = writeln!(obj, "v {} {} {}", v[0], v[2], -v[1]);
        }
        for uv in &p.uvs {
            let _ = writeln!(obj, "vt {} {}", uv[0], 1.0 - uv[1]);
        }
        for n in &p.normals {
            let _ = writeln!(obj, "vn {} {} {}", n[0], n[2], -n[1]);
        }
        let _ = writeln!(obj, "usemtl m{k}");
        for t in p.indices.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|i| t[i] as usize + base);
            let _ = writeln!(obj, "f {a}/{a}/{a} {b}/{b}/{b} {c}/{c}/{c}");
        }
        base += p.positions.len();
    }
    std::fs::write(folder.join("scan.mtl"), mtl).unwrap();
    let path = folder.join("scan.obj");
    std::fs::write(&path, obj).unwrap();
    path
}

#[test]
fn the_smithsonian_scan_exported_as_obj_reads_back_the_same() {
    let glb = read_glb(&shared("models/smithsonian_USNM_1145291/USNM_1145291-100k-2048_nodraco.glb")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_obj(&glb, dir.path());
    let obj = read_file(&path).unwrap();
    assert_eq!(obj.triangle_count(), glb.triangle_count());
    for k in 0..3 {
        assert!((obj.min[k] - glb.min[k]).abs() < 1e-4 && (obj.max[k] - glb.max[k]).abs() < 1e-4, "{:?} {:?}", obj.min, glb.min);
    }
    assert_eq!(obj.textures.len(), glb.primitives.iter().filter(|p| p.material.base_color_texture.is_some()).count());
    let (a, b) = (&obj.primitives[0], &glb.primitives[0]);
    let texture = &obj.textures[a.material.base_color_texture.unwrap()];
    assert_eq!(texture, &glb.textures[b.material.base_color_texture.unwrap()]);
    for i in [0, a.positions.len() / 2, a.positions.len() - 1] {
        let v = a.indices[i.min(a.indices.len() - 1)] as usize;
        let w = b.indices[i.min(b.indices.len() - 1)] as usize;
        assert!((0..2).all(|k| (a.uvs[v][k] - b.uvs[w][k]).abs() < 1e-5), "{:?} {:?}", a.uvs[v], b.uvs[w]);
    }
}

/// The browser reads an OBJ through a getter serving what it fetched: the
/// Smithsonian scan (checked against its GLB) comes out the same, and the
/// reader asks for exactly the OBJ, its library and its texture.
#[test]
fn an_obj_read_through_a_file_getter_asks_only_for_its_files() {
    let glb = read_glb(&shared("models/smithsonian_USNM_1145291/USNM_1145291-100k-2048_nodraco.glb")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_obj(&glb, dir.path());
    let asked = std::cell::RefCell::new(Vec::new());
    let obj = read_obj_with(&path, &|file: &std::path::Path| {
        asked.borrow_mut().push(file.file_name().unwrap().to_string_lossy().into_owned());
        std::fs::read(file).map_err(|e| e.to_string())
    })
    .unwrap();
    assert_eq!(obj.triangle_count(), glb.triangle_count());
    assert_eq!(obj.textures.len(), 1);
    let mut asked = asked.into_inner();
    asked.sort();
    asked.dedup();
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(asked.contains(&"scan.obj".to_owned()) && asked.contains(&"scan.mtl".to_owned()), "{asked:?}");
    // A getter that has nothing: an error naming the file, no panic.
    let err = read_obj_with(&path, &|file: &std::path::Path| Err(format!("{}: not on the site", file.display()))).unwrap_err();
    assert!(err.to_string().contains("scan.obj"), "{err}");
}

#[test]
fn an_obj_without_normals_gets_them_from_its_faces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quad.obj");
    // A 1 m square lying flat (+Y up in the file), faces wound counter-clockwise seen from above.
    std::fs::write(&path, "v 0 0 0\nv 1 0 0\nv 1 0 -1\nv 0 0 -1\nf 1 2 3 4\n").unwrap();
    let model = read_file(&path).unwrap();
    assert_eq!(model.triangle_count(), 2);
    assert!(model.primitives[0].normals.iter().all(|n| (n[2] - 1.0).abs() < 1e-6), "{:?}", model.primitives[0].normals);
    assert_eq!(model.max, [1.0, 1.0, 0.0]);
}

#[test]
fn broken_obj_files_are_errors_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let past = write("past.obj", "v 0 0 0\nv 1 0 0\nv 1 1 0\nf 1 2 9\n");
    assert!(read_file(&past).is_err());
    let no_library = write("nolib.obj", "mtllib missing.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nusemtl a\nf 1 2 3\n");
    let e = read_file(&no_library).unwrap_err().to_string();
    assert!(e.contains("missing.mtl"), "{e}");
    write("notex.mtl", "newmtl a\nmap_Kd gone.jpg\n");
    let no_texture = write("notex.obj", "mtllib notex.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nusemtl a\nf 1 2 3\n");
    let e = read_file(&no_texture).unwrap_err().to_string();
    assert!(e.contains("gone.jpg"), "{e}");
    let garbage = write("garbage.obj", "v 0 zero 0\nf 1 2 3\n");
    assert!(read_file(&garbage).is_err());
    let empty = write("empty.obj", "# nothing\n");
    assert_eq!(read_file(&empty).unwrap_err(), MeshError::Empty);
    let e = read_file(&dir.path().join("model.fbx")).unwrap_err().to_string();
    assert!(e.contains("\"fbx\"") && e.contains(".obj"), "{e}");
    let e = read_file(&dir.path().join("absent.obj")).unwrap_err();
    assert!(matches!(e, MeshError::Io(_)), "{e}");
}

/// The GLB with its JSON chunk replaced (padded to 4 bytes, lengths fixed).
fn with_json(glb: &[u8], edit: impl Fn(&str) -> String) -> Vec<u8> {
    let json_len = u32::from_le_bytes([glb[12], glb[13], glb[14], glb[15]]) as usize;
    let mut json = edit(std::str::from_utf8(&glb[20..20 + json_len]).unwrap()).into_bytes();
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    let rest = &glb[20 + json_len..];
    let mut out = Vec::new();
    out.extend_from_slice(&glb[0..8]);
    out.extend_from_slice(&((20 + json.len() + rest.len()) as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(rest);
    out
}

/// A KTX2 file of UASTC solid-colour blocks (mode 8), one colour per 4×4 block.
fn uastc_ktx2(width: u32, height: u32, colour_of_block: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    let mut level = Vec::new();
    for y in 0..height.div_ceil(4) {
        for x in 0..width.div_ceil(4) {
            let [r, g, b, a] = colour_of_block(x, y);
            // The 5-bit mode code 0x17, then R, G, B, A, least significant bit first.
            let bits: u128 = 0x17 | (u128::from(r) << 5) | (u128::from(g) << 13) | (u128::from(b) << 21) | (u128::from(a) << 29);
            level.extend_from_slice(&bits.to_le_bytes());
        }
    }
    let level_offset = 160u64;
    let mut out = vec![0xAB, 0x4B, 0x54, 0x58, 0x20, 0x32, 0x30, 0xBB, 0x0D, 0x0A, 0x1A, 0x0A];
    // vkFormat, typeSize, size, depth, layers, faces, levels, supercompression, DFD at 104 (44 bytes), no KVD.
    for v in [0u32, 1, width, height, 0, 0, 1, 1, 0, 104, 44, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [0u64, 0, level_offset, level.len() as u64, level.len() as u64] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    // DFD: UASTC model (166), sRGB, 4×4 blocks, 16 bytes a block, one 128-bit RGBA sample.
    for v in [44u32, 0, 2 | (40 << 16), 166 | (1 << 8) | (2 << 16), 3 | (3 << 8), 16, 0, (127 << 16) | (3 << 24), 0, 0xFFFF_FFFF, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.resize(level_offset as usize, 0);
    out.extend_from_slice(&level);
    out
}

/// The GLB with `image` (bytes) as its first material's base colour, through
/// a texture that names it by KHR_texture_basisu only (no fallback image).
fn with_ktx2_base_colour(glb: &[u8], image: &[u8]) -> Vec<u8> {
    let json_len = u32::from_le_bytes([glb[12], glb[13], glb[14], glb[15]]) as usize;
    let mut json: serde_json::Value = serde_json::from_slice(&glb[20..20 + json_len]).unwrap();
    let bin_start = 20 + json_len + 8;
    let mut bin = glb[bin_start..].to_vec();
    let offset = bin.len();
    bin.extend_from_slice(image);
    while !bin.len().is_multiple_of(4) {
        bin.push(0);
    }
    json["buffers"][0]["byteLength"] = bin.len().into();
    let views = json["bufferViews"].as_array_mut().unwrap();
    views.push(serde_json::json!({"buffer": 0, "byteOffset": offset, "byteLength": image.len()}));
    let view = views.len() - 1;
    let images = json["images"].as_array_mut().unwrap();
    images.push(serde_json::json!({"bufferView": view, "mimeType": "image/ktx2"}));
    let image_index = images.len() - 1;
    let textures = json["textures"].as_array_mut().unwrap();
    textures.push(serde_json::json!({"extensions": {"KHR_texture_basisu": {"source": image_index}}}));
    let texture_index = textures.len() - 1;
    json["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"] = serde_json::json!({"index": texture_index});
    json["extensionsUsed"] = serde_json::json!(["KHR_texture_basisu"]);
    json["extensionsRequired"] = serde_json::json!(["KHR_texture_basisu"]);
    let mut text = serde_json::to_vec(&json).unwrap();
    while !text.len().is_multiple_of(4) {
        text.push(b' ');
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&((12 + 8 + text.len() + 8 + bin.len()) as u32).to_le_bytes());
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&text);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

#[test]
fn ktx2_textures_are_transcoded() {
    let checker = uastc_ktx2(16, 8, |x, y| if (x + y) % 2 == 0 { [200, 30, 20, 255] } else { [20, 40, 210, 255] });
    let glb = with_ktx2_base_colour(&shared("models/danish_statues/BustManWreath.glb"), &checker);
    let model = read_glb(&glb).unwrap();
    let t = &model.textures[model.primitives[0].material.base_color_texture.unwrap()];
    assert_eq!((t.width, t.height), (16, 8));
    let texel = |x: usize, y: usize| &t.rgba[(y * 16 + x) * 4..(y * 16 + x) * 4 + 4];
    assert_eq!(texel(0, 0), [200, 30, 20, 255]);
    assert_eq!(texel(5, 1), [20, 40, 210, 255]);
    assert_eq!(texel(5, 5), [200, 30, 20, 255]);
    assert_eq!(model.triangle_count(), 31_514);

    // A damaged KTX2 names the texture and the format.
    let mut broken = checker.clone();
    broken[48..52].copy_from_slice(&9999u32.to_le_bytes());
    let e = read_glb(&with_ktx2_base_colour(&shared("models/danish_statues/BustManWreath.glb"), &broken)).unwrap_err().to_string();
    assert!(e.contains("KTX2"), "{e}");
    let e = read_glb(&with_ktx2_base_colour(&shared("models/danish_statues/BustManWreath.glb"), &checker[..150])).unwrap_err().to_string();
    assert!(e.contains("KTX2"), "{e}");
    // Repacking alone changes nothing.
    assert_eq!(read_glb(&with_json(&shared("models/danish_statues/BustManWreath.glb"), str::to_owned)).unwrap().triangle_count(), 31_514);
}

#[test]
fn an_obj_can_use_a_ktx2_texture() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("albedo.ktx2"), uastc_ktx2(4, 4, |_, _| [10, 200, 30, 255])).unwrap();
    std::fs::write(dir.path().join("a.mtl"), "newmtl a\nmap_Kd albedo.ktx2\n").unwrap();
    let path = dir.path().join("a.obj");
    std::fs::write(&path, "mtllib a.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nusemtl a\nf 1/1 2/2 3/3\n").unwrap();
    let model = read_file(&path).unwrap();
    assert_eq!(&model.textures[0].rgba[0..4], [10, 200, 30, 255]);
}

/// A GLB of one triangle (three VEC3 float positions in a 40-byte buffer)
/// with a base colour image in a second view (`image_view`), its sizes
/// given: forged sizes without a real file.
fn one_triangle_glb(json_extra: &str, view_offset: u64, accessor_offset: u64, count: u64) -> Vec<u8> {
    let json = format!(
        r#"{{"asset":{{"version":"2.0"}},"buffers":[{{"byteLength":40}}],"bufferViews":[{{"buffer":0,"byteOffset":{view_offset},"byteLength":36}}{json_extra}],"accessors":[{{"bufferView":0,"byteOffset":{accessor_offset},"componentType":5126,"count":{count},"type":"VEC3","min":[0,0,0],"max":[1,1,0]}}],"meshes":[{{"primitives":[{{"attributes":{{"POSITION":0}},"material":0}}]}}],"materials":[{{"pbrMetallicRoughness":{{"baseColorTexture":{{"index":0}}}}}}],"textures":[{{"source":0}}],"images":[{{"bufferView":1,"mimeType":"image/png"}}],"nodes":[{{"mesh":0}}],"scenes":[{{"nodes":[0]}}],"scene":0}}"#
    );
    let mut json = json.into_bytes();
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    let mut bin = Vec::new();
    for v in [0.0f32, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0] {
        bin.extend_from_slice(&v.to_le_bytes());
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&((12 + 8 + json.len() + 8 + bin.len()) as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

/// The image's view: 4 bytes at `offset`.
fn image_view(offset: u64) -> String {
    format!(r#",{{"buffer":0,"byteOffset":{offset},"byteLength":4}}"#)
}

#[test]
fn glb_forged_sizes_helper_reads_when_sizes_are_sane() {
    // The image's 4 bytes are no PNG: the triangle is read, then the texture fails by name.
    let e = read_glb(&one_triangle_glb(&image_view(36), 0, 0, 3)).unwrap_err();
    assert!(matches!(&e, MeshError::Texture { index: 0, .. }), "{e:?}");
}

#[test]
fn glb_buffer_view_offset_plus_length_overflowing_is_an_error_naming_byte_offset() {
    let offset = u64::MAX - 8;
    let e = read_glb(&one_triangle_glb(&image_view(36), offset, 0, 3)).unwrap_err();
    assert_eq!(e, MeshError::Invalid(format!("buffer view 0: byteOffset {offset} + byteLength 36 overflows")));
}

#[test]
fn glb_accessor_offset_plus_length_overflowing_is_an_error_naming_byte_offset() {
    let offset = u64::MAX - 4;
    let e = read_glb(&one_triangle_glb(&image_view(36), 0, offset, 1)).unwrap_err();
    assert_eq!(e, MeshError::Invalid(format!("accessor 0: byteOffset {offset} + (count 1 - 1) × byteStride 12 + 12 overflows")));
}

#[test]
fn glb_accessor_count_times_stride_overflowing_is_an_error_naming_the_count() {
    let count = 1u64 << 62;
    let e = read_glb(&one_triangle_glb(&image_view(36), 0, 0, count)).unwrap_err();
    assert_eq!(e, MeshError::Invalid(format!("accessor 0: byteOffset 0 + (count {count} - 1) × byteStride 12 + 12 overflows")));
}

#[test]
fn glb_image_view_offset_plus_length_overflowing_is_an_error_naming_byte_offset() {
    let offset = u64::MAX - 2;
    let e = read_glb(&one_triangle_glb(&image_view(offset), 0, 0, 3)).unwrap_err();
    assert_eq!(
        e,
        MeshError::Texture {
            index: 0,
            why: format!("image 0: buffer view 1: byteOffset {offset} + byteLength 4 overflows")
        }
    );
}

#[test]
fn glb_chunk_length_near_u32_max_is_an_error_naming_chunk_length() {
    let mut glb = one_triangle_glb(&image_view(36), 0, 0, 3);
    // A third chunk whose length runs far past the end (it wraps a 32-bit usize).
    let at = glb.len();
    glb.extend_from_slice(&(u32::MAX - 3).to_le_bytes());
    glb.extend_from_slice(b"XTRA");
    let total = glb.len() as u32;
    glb[8..12].copy_from_slice(&total.to_le_bytes());
    let e = read_glb(&glb).unwrap_err();
    assert_eq!(
        e,
        MeshError::Truncated(format!("the chunk at byte {at} has chunkLength {}, past the header's length of {total} bytes", u32::MAX - 3))
    );
}

#[test]
fn ktx2_header_claiming_1_20_by_1_20_texels_is_refused_before_transcoding() {
    let mut ktx2 = uastc_ktx2(4, 4, |_, _| [1, 2, 3, 255]);
    ktx2[20..24].copy_from_slice(&(1u32 << 20).to_le_bytes());
    ktx2[24..28].copy_from_slice(&(1u32 << 20).to_le_bytes());
    assert_eq!(decode_ktx2(&ktx2).unwrap_err(), "KTX2 pixelWidth 1048576 is outside 1 to 16384 texels");
    let mut tall = uastc_ktx2(4, 4, |_, _| [1, 2, 3, 255]);
    tall[24..28].copy_from_slice(&(1u32 << 20).to_le_bytes());
    assert_eq!(decode_ktx2(&tall).unwrap_err(), "KTX2 pixelHeight 1048576 is outside 1 to 16384 texels");
    assert_eq!(decode_ktx2(&ktx2[..22]).unwrap_err(), "KTX2 texture of 22 bytes is shorter than its header");
    // The caps themselves: the largest square passes, one texel more on a side does not.
    assert_eq!(check_texture_size(MAX_TEXTURE_SIDE, MAX_TEXTURE_SIDE, ("w", "h")), Ok(()));
    assert_eq!(check_texture_size(MAX_TEXTURE_SIDE + 1, 1, ("w", "h")), Err("w 16385 is outside 1 to 16384 texels".to_owned()));
}

#[test]
fn the_draco_smithsonian_scan_crosses_to_the_main_thread_as_bytes_unchanged() {
    // What a Web Worker hands the page: the decoded model (Draco geometry,
    // textures decoded to RGBA) as bytes, read back exactly.
    let model = read_glb(&shared(DRACO)).unwrap();
    assert!(!model.textures.is_empty() && model.triangle_count() > 90_000);
    let bytes = model.to_bytes();
    assert_eq!(crate::Model::from_bytes(&bytes).unwrap(), model);
    // Cut anywhere, or given a trailing byte: an error, never a panic.
    for cut in [0, 3, 8, 20, 40, 41, bytes.len() / 3, bytes.len() - 1] {
        let err = crate::Model::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(err.contains("cut short") || err.contains("cannot fit"), "cut at {cut}: {err}");
    }
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(crate::Model::from_bytes(&trailing).unwrap_err().contains("after its last primitive"));
}

#[test]
fn model_bytes_with_forged_counts_or_indices_are_refused() {
    let bust = read_glb(&shared("models/danish_statues/BustManWreath.glb")).unwrap();
    let bytes = bust.to_bytes();
    // Bytes 8..12 hold the primitive count: 4 billion primitives in a few MB.
    let mut forged = bytes.clone();
    forged[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(crate::Model::from_bytes(&forged).unwrap_err().contains("cannot fit"));
    // Another magic, another version.
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert!(crate::Model::from_bytes(&magic).unwrap_err().contains("magic"));
    let mut version = bytes.clone();
    version[4] = 9;
    assert!(crate::Model::from_bytes(&version).unwrap_err().contains("version 9"));
    // An index past the vertices: made by hand, one triangle of three vertices.
    let mut one = crate::Model {
        primitives: vec![crate::Primitive {
            positions: vec![[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            normals: vec![[0.0, 0.0, 1.0]; 3],
            uvs: vec![],
            tangents: vec![],
            indices: vec![0, 1, 2],
            material: bust.primitives[0].material.clone(),
        }],
        textures: bust.textures.clone(),
        min: [0.0; 3],
        max: [1.0, 1.0, 0.0],
    };
    assert_eq!(crate::Model::from_bytes(&one.to_bytes()).unwrap(), one);
    one.primitives[0].indices[2] = 3;
    assert!(crate::Model::from_bytes(&one.to_bytes()).unwrap_err().contains("index 3 of 3"));
}

#[test]
fn a_flat_textured_quad_has_tangents_along_its_u_axis() {
    // Two triangles in the XY plane facing +Z, u along +X and v along +Y:
    // the tangent (direction of increasing u) is +X at every vertex.
    let quad = crate::Primitive {
        positions: vec![[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [2.0, 2.0, 0.0], [0.0, 2.0, 0.0]],
        normals: vec![[0.0, 0.0, 1.0]; 4],
        uvs: vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]],
        tangents: vec![],
        indices: vec![0, 1, 2, 0, 2, 3],
        material: crate::Material { base_color: [1.0; 4], metallic: 0.0, roughness: 1.0, base_color_texture: None, normal_texture: Some(0), occlusion_texture: None, double_sided: false },
    };
    let tangents = crate::tangents(&quad).unwrap();
    assert_eq!(tangents.len(), 4);
    for t in &tangents {
        assert!((t[0] - 1.0).abs() < 1e-6 && t[1].abs() < 1e-6 && t[2].abs() < 1e-6, "{t:?}");
        assert_eq!(t[3].abs(), 1.0);
    }
    // Mirrored texture (u along -X): the tangent turns to -X.
    let mirrored = crate::Primitive { uvs: vec![[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [1.0, 1.0]], ..quad.clone() };
    assert!(crate::tangents(&mirrored).unwrap().iter().all(|t| (t[0] + 1.0).abs() < 1e-6));
    // No texture coordinates, or an index past the vertices: none.
    assert_eq!(crate::tangents(&crate::Primitive { uvs: vec![], ..quad.clone() }), None);
    assert_eq!(crate::tangents(&crate::Primitive { indices: vec![0, 1, 7], ..quad }), None);
}

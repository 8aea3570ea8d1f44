#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use approx::assert_relative_eq;
use sontinh_geo::{EnuFrame, Geodetic};
use sontinh_raster::{Epsg, GeoRaster, GeoTransform};

use super::*;

fn shared(path: &str) -> PathBuf {
    sontinh_scene::shared_file(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), path).unwrap()
}

#[test]
fn srtm_tile_summit_is_mount_washington() {
    let raster = sontinh_raster::read(&shared("dem/N44W072.hgt")).unwrap();
    let frame = EnuFrame::new(Geodetic::new(-71.5, 44.5, 0.0));
    let terrain = build(&raster, &frame, &TerrainOptions::default(), &mut |_| {}).unwrap();
    let g = terrain.summit.geodetic;
    assert!((g.lat_deg - 44.2708).abs() < 0.001 && (g.lon_deg + 71.3033).abs() < 0.001, "{g:?}");
    assert!((g.height_m - 1917.0).abs() < 15.0, "{g:?}");
    assert_eq!(terrain.grid, (1201, 1201));
    assert_eq!(terrain.filled_nodata, 0);
    // Every chunk's vertices sit within its bounding sphere.
    for c in &terrain.chunks {
        for p in c.mesh.positions.iter().step_by(97) {
            let d = ((f64::from(p[0]) - c.centre[0]).powi(2) + (f64::from(p[1]) - c.centre[1]).powi(2) + (f64::from(p[2]) - c.centre[2]).powi(2)).sqrt();
            assert!(d <= c.radius + c.error_m * 2.0 + 200.0, "level {} chunk {},{}", c.level, c.ix, c.iy);
        }
    }
    assert!(terrain.chunks.iter().filter(|c| c.level == 0).all(|c| c.error_m == 0.0));
    assert!(terrain.chunks.iter().any(|c| c.level > 0 && c.error_m > 10.0), "coarse levels of mountains are not exact");
}

fn flat_grid(crs: Option<Epsg>) -> GeoRaster {
    GeoRaster {
        width: 130,
        height: 70,
        values: (0..130 * 70).map(|k| if k == 500 { f64::NAN } else { (k % 130) as f64 * 0.5 }).collect(),
        transform: GeoTransform {
            origin_x: 733_000.0,
            origin_y: 1_853_000.0,
            pixel_width: 10.0,
            pixel_height: -10.0,
        },
        crs,
        nodata: None,
        sample_type: "float32",
    }
}

#[test]
fn a_projected_dem_lands_where_its_crs_says_and_chunks_tile_once() {
    let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
    let options = TerrainOptions {
        chunk_cells: 16,
        ..TerrainOptions::default()
    };
    let terrain = build(&flat_grid(Some(Epsg { code: 32648, geographic: false })), &frame, &options, &mut |_| {}).unwrap();
    assert_eq!(terrain.filled_nodata, 1);
    assert_eq!(terrain.levels, 5, "129 cells in chunks of 16: 16, 32, 64, 128, 256");
    // The first sample (UTM 48N 733 005 E, 1 852 995 N) in the Citadel's ENU frame,
    // by pyproj (cart + topocentric): (-888.724, 146.686, -0.064).
    let nw = terrain.chunks.iter().find(|c| c.level == 0 && c.ix == 0 && c.iy == 0).unwrap();
    let p = nw.mesh.positions[0];
    assert!((p[0] + 888.724).abs() < 0.05 && (p[1] - 146.686).abs() < 0.05 && (p[2] + 0.064).abs() < 0.05, "{p:?}");
    // From far away one coarse chunk covers it; from close the finest cover the near part. Either way each spot once.
    for eye in [[0.0, 0.0, 100_000.0], [-600.0, 900.0, 30.0], [-900.0, 1200.0, 5.0]] {
        let shown = select(&terrain.chunks, eye, 800.0, 2.0);
        let mut cover = vec![0u8; 129 * 69];
        for (c, _) in terrain.chunks.iter().zip(&shown).filter(|(_, s)| **s) {
            let size = 16usize << c.level;
            for j in c.iy as usize * size..((c.iy as usize + 1) * size).min(69) {
                for i in c.ix as usize * size..((c.ix as usize + 1) * size).min(129) {
                    cover[j * 129 + i] += 1;
                }
            }
        }
        assert!(cover.iter().all(|&n| n == 1), "eye {eye:?}: cells covered {:?} times", cover.iter().copied().max());
    }
    let far = select(&terrain.chunks, [0.0, 0.0, 1e7], 800.0, 2.0);
    assert_eq!(far.iter().filter(|s| **s).count(), 1, "one chunk from very far");
}

#[test]
fn bad_dems_are_errors() {
    let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
    let o = TerrainOptions::default();
    assert_eq!(build(&flat_grid(None), &frame, &o, &mut |_| {}).unwrap_err(), TerrainError::NoCrs);
    let mut empty = flat_grid(Some(Epsg { code: 32648, geographic: false }));
    empty.values.iter_mut().for_each(|v| *v = f64::NAN);
    assert_eq!(build(&empty, &frame, &o, &mut |_| {}).unwrap_err(), TerrainError::NoData);
    let mut tiny = flat_grid(Some(Epsg { code: 32648, geographic: false }));
    tiny.width = 1;
    assert_eq!(build(&tiny, &frame, &o, &mut |_| {}).unwrap_err(), TerrainError::TooSmall(1, 70));
}

#[test]
fn colours_ramp_and_shade() {
    assert_eq!(hypsometric(0.0), RAMP[0].1);
    assert_eq!(hypsometric(1.0), RAMP[5].1);
    assert_relative_eq!(hillshade([0.0, 0.0, 1.0]), 45f64.to_radians().sin(), epsilon = 1e-12);
    assert!(hillshade([-0.7, 0.7, 0.1]) > hillshade([0.7, -0.7, 0.1]), "slopes facing the north-west sun are lit");
}

/// A 10 km UTM 19N photo: green, with a red disc of 150 m radius centred
/// on `centre` (easting, northing).
fn photo_around(centre: [f64; 2]) -> sontinh_raster::Orthophoto {
    let (size, pixel) = (1000usize, 10.0);
    let origin = [centre[0] - 5000.0, centre[1] + 5000.0];
    let mut rgba = Vec::with_capacity(size * size * 4);
    for r in 0..size {
        for c in 0..size {
            let (x, y) = (origin[0] + (c as f64 + 0.5) * pixel, origin[1] - (r as f64 + 0.5) * pixel);
            let inside = (x - centre[0]).hypot(y - centre[1]) < 150.0;
            rgba.extend_from_slice(if inside { &[255, 0, 0, 255] } else { &[0, 255, 0, 255] });
        }
    }
    sontinh_raster::Orthophoto {
        width: size,
        height: size,
        rgba,
        transform: GeoTransform { origin_x: origin[0], origin_y: origin[1], pixel_width: pixel, pixel_height: -pixel },
        crs: Some(Epsg { code: 32619, geographic: false }),
    }
}

#[test]
fn a_utm_orthophoto_lands_on_the_geographic_dem() {
    let raster = sontinh_raster::read(&shared("dem/N44W072.hgt")).unwrap();
    let frame = EnuFrame::new(Geodetic::new(-71.3033, 44.2708, 0.0));
    let terrain = build(&raster, &frame, &TerrainOptions::default(), &mut |_| {}).unwrap();
    let utm = Crs::from_epsg(32619).unwrap();
    let summit = terrain.summit.geodetic;
    let at = Transformer::new(Crs::Wgs84, utm).unwrap().transform([summit.lon_deg, summit.lat_deg, 0.0]).unwrap();
    let texture = drape_texture(&raster, &photo_around([at[0], at[1]]), utm, 4096).unwrap();
    // A 10 km photo on a ~80 × 111 km tile: about 1 % covered.
    assert!((0.005..0.02).contains(&texture.coverage), "{}", texture.coverage);
    assert!(texture.width <= 4096 && texture.height <= 4096);

    // Read the texture where each level-0 vertex points; vertices within
    // 100 m of the summit are red, 1–4 km away green, 30 km away neither.
    let texel = |uv: [f32; 2]| {
        let (x, y) = ((uv[0] * texture.width as f32) as usize, (uv[1] * texture.height as f32) as usize);
        let k = (y.min(texture.height - 1) * texture.width + x.min(texture.width - 1)) * 4;
        [texture.rgba[k], texture.rgba[k + 1], texture.rgba[k + 2]]
    };
    let (mut red, mut green, mut other) = (0, 0, 0);
    for chunk in terrain.chunks.iter().filter(|c| c.level == 0) {
        for (p, uv) in chunk.mesh.positions.iter().zip(&chunk.uvs) {
            let d = (f64::from(p[0]) - terrain.summit.enu[0]).hypot(f64::from(p[1]) - terrain.summit.enu[1]);
            let colour = texel(*uv);
            if d < 100.0 {
                assert_eq!(colour, [255, 0, 0], "{d} m from the summit");
                red += 1;
            } else if (1000.0..4000.0).contains(&d) {
                assert_eq!(colour, [0, 255, 0], "{d} m from the summit");
                green += 1;
            } else if d > 30_000.0 && d < 30_100.0 {
                assert!(colour != [255, 0, 0] && colour != [0, 255, 0]);
                other += 1;
            }
        }
    }
    assert!(red >= 4 && green > 1000 && other > 10, "{red} {green} {other}");
}

#[test]
fn a_built_terrain_crosses_from_a_worker_as_bytes_unchanged() {
    let frame = EnuFrame::new(Geodetic::new(107.194, 16.747, 0.0));
    let options = TerrainOptions {
        chunk_cells: 16,
        ..TerrainOptions::default()
    };
    let mut terrain = build(&flat_grid(Some(Epsg { code: 32648, geographic: false })), &frame, &options, &mut |_| {}).unwrap();
    terrain.drape = Some(DrapeTexture { width: 3, height: 2, rgba: (0..24).collect(), coverage: 0.5 });
    let bytes = terrain.to_bytes();
    assert_eq!(Terrain::from_bytes(&bytes).unwrap(), terrain);
    // Cut anywhere, or with bytes after it: an error naming the terrain, never a panic.
    for cut in [0, 4, 9, 40, 120, bytes.len() / 3, bytes.len() - 1] {
        let err = Terrain::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(err.starts_with("built terrain: ") && (err.contains("cut short") || err.contains("cannot fit")), "cut at {cut}: {err}");
    }
    let mut trailing = bytes.clone();
    trailing.push(1);
    assert!(Terrain::from_bytes(&trailing).unwrap_err().contains("after the terrain"));
    // A forged chunk count cannot allocate: refused before reading chunks.
    let count_at = 4 + 4 + 1 + 4 * 8 + 2 * 8 + 3 * 8 + 3 * 8;
    let mut forged = bytes.clone();
    forged[count_at..count_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Terrain::from_bytes(&forged).unwrap_err().contains("cannot fit"));
    // A chunk that names itself as its parent is refused.
    let lone = Terrain { chunks: terrain.chunks[..1].to_vec(), ..terrain.clone() };
    let mut own = Terrain { chunks: vec![Chunk { parent: Some(0), ..lone.chunks[0].clone() }], ..lone };
    own.drape = None;
    assert!(Terrain::from_bytes(&own.to_bytes()).unwrap_err().contains("names chunk 0 as its parent"));
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| e.to_string())
}

#[test]
fn a_terrain_request_crosses_to_a_worker_and_builds_what_the_main_thread_would() {
    let dem = shared("dem/N44W072.hgt");
    let request = TerrainRequest { dem: dem.clone(), origin: Geodetic::new(-71.5, 44.5, 0.0), drape: None };
    assert_eq!(TerrainRequest::from_bytes(&request.to_bytes()).unwrap(), request);
    let built = request.build(&read_file, &mut |_| {}).unwrap();
    let raster = sontinh_raster::read(&dem).unwrap();
    let direct = build(&raster, &EnuFrame::new(request.origin), &TerrainOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(built, direct);
    // A DEM cut short is the reader's error, naming the file.
    let cut = |path: &std::path::Path| read_file(path).map(|b| b[..1000].to_vec());
    let err = request.build(&cut, &mut |_| {}).unwrap_err();
    assert!(err.contains("N44W072.hgt"), "{err}");
    let mut forged = request.to_bytes();
    let at = forged.len() - 25;
    forged[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    assert!(TerrainRequest::from_bytes(&forged).unwrap_err().contains("not a place on Earth"));
}

/// A PNG (40 × 20 pixels of 0.002°: a red and a green block of 10 × 10
/// on white) and its world file, in longitude/latitude degrees, beside the
/// summit. Pixel (column c, row r) is centred at longitude
/// −71.343 + 0.002 c, latitude 44.3098 − 0.002 r.
fn summit_photo() -> (Vec<u8>, String) {
    let mut image = image::RgbImage::from_pixel(40, 20, image::Rgb([255, 255, 255]));
    for k in 0..100 {
        let (dx, dy) = (k % 10, k / 10);
        image.put_pixel(10 + dx, dy, image::Rgb([255, 0, 0]));
        image.put_pixel(20 + dx, 10 + dy, image::Rgb([0, 255, 0]));
    }
    let mut png = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    (png, "0.002 0 0 -0.002 -71.343 44.3098".to_owned())
}

#[test]
fn a_drape_is_read_through_the_request_as_the_viewer_reads_it() {
    let dem = shared("dem/N44W072.hgt");
    let (png, world) = summit_photo();
    let photo = std::path::PathBuf::from("site/summit.png");
    let files = |path: &std::path::Path| -> Result<Vec<u8>, String> {
        match path.to_str() {
            Some("site/summit.png") => Ok(png.clone()),
            Some("site/summit.pgw") => Ok(world.clone().into_bytes()),
            Some(p) if p.starts_with("site/") => Err("404".to_owned()),
            _ => read_file(path),
        }
    };
    let request = TerrainRequest {
        dem: dem.clone(),
        origin: Geodetic::new(-71.3033, 44.2708, 0.0),
        drape: Some(DrapeRequest { photo: photo.clone(), crs: Some(Crs::Wgs84) }),
    };
    assert_eq!(TerrainRequest::from_bytes(&request.to_bytes()).unwrap(), request);
    let terrain = request.build(&files, &mut |_| {}).unwrap();
    let texture = terrain.drape.as_ref().unwrap();
    // The level-0 vertex nearest a block's centre samples its colour (the
    // block is 0.02° wide, the DEM's spacing 0.00083°).
    let texel = |uv: [f32; 2]| {
        let (x, y) = ((uv[0] * texture.width as f32) as usize, (uv[1] * texture.height as f32) as usize);
        let k = (y.min(texture.height - 1) * texture.width + x.min(texture.width - 1)) * 4;
        [texture.rgba[k], texture.rgba[k + 1], texture.rgba[k + 2]]
    };
    let summit = request.origin;
    let frame = EnuFrame::new(summit);
    let nearest = |lon: f64, lat: f64| {
        let at = frame.geodetic_to_enu(Geodetic::new(lon, lat, 0.0));
        terrain.chunks.iter().filter(|c| c.level == 0).flat_map(|c| c.mesh.positions.iter().zip(&c.uvs)).min_by(|a, b| {
            let d = |p: &[f32; 3]| (f64::from(p[0]) - at[0]).hypot(f64::from(p[1]) - at[1]);
            d(a.0).total_cmp(&d(b.0))
        }).map(|(_, uv)| *uv).unwrap()
    };
    let close = |got: [u8; 3], want: [u8; 3]| got.iter().zip(want).all(|(g, w)| (i32::from(*g) - i32::from(w)).abs() <= 24);
    let red = texel(nearest(-71.314, 44.3008));
    assert!(close(red, [255, 0, 0]), "{red:?}");
    let green = texel(nearest(-71.294, 44.2808));
    assert!(close(green, [0, 255, 0]), "{green:?}");
    let white = texel(nearest(-71.334, 44.2808));
    assert!(close(white, [255, 255, 255]), "{white:?}");
    // The same texture as reading the photo from disk gives.
    let dir = std::env::temp_dir().join(format!("sontinh-drape-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("summit.png"), &png).unwrap();
    std::fs::write(dir.join("summit.pgw"), &world).unwrap();
    let on_disk = DrapeRequest { photo: dir.join("summit.png"), crs: Some(Crs::Wgs84) };
    let raster = sontinh_raster::read(&dem).unwrap();
    assert_eq!(&on_disk.texture(&raster, &read_file).unwrap(), texture);
    std::fs::remove_dir_all(&dir).unwrap();
    // No world file anywhere: the reader's own error, naming the photo.
    let bare = |path: &std::path::Path| if path.ends_with("summit.png") { Ok(png.clone()) } else if path.starts_with("site") { Err("404".to_owned()) } else { read_file(path) };
    let err = request.build(&bare, &mut |_| {}).unwrap_err();
    assert!(err.contains("summit.png") && err.contains("world file"), "{err}");
}

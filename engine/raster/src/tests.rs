use std::path::PathBuf;

use approx::assert_abs_diff_eq;

use super::*;

fn shared(rel: &str) -> PathBuf {
    let dir = std::env::var_os("SONTINH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = dir.join(rel);
    assert!(
        path.is_file(),
        "the shared test data is absent: {} (set SONTINH_SHARED_DATA)",
        path.display()
    );
    path
}

/// The facts of ../shared/data/README.md: 1201², 44–45 N, 72–71 W, 115–1908 m,
/// no voids, maximum on Mt Washington (44.2708 N, 71.3033 W).
fn check_white_mountains(r: &GeoRaster) {
    assert_eq!((r.width, r.height), (1201, 1201));
    let (x0, y0, x1, y1) = r.bounds();
    let half = 0.5 / 1200.0;
    assert_abs_diff_eq!(x0, -72.0 - half, epsilon = 1e-9);
    assert_abs_diff_eq!(y1, 45.0 + half, epsilon = 1e-9);
    assert_abs_diff_eq!(x1, -71.0 + half, epsilon = 1e-9);
    assert_abs_diff_eq!(y0, 44.0 - half, epsilon = 1e-9);
    let s = r.stats().unwrap();
    assert_eq!(s.valid, 1201 * 1201);
    assert_eq!((s.min, s.max), (115.0, 1908.0));
    let (lon, lat) = r.transform.pixel_centre(s.argmax.0, s.argmax.1);
    assert!(
        (lat - 44.2708).abs() < 0.002 && (lon + 71.3033).abs() < 0.002,
        "max at {lat} N {lon} E"
    );
    assert_eq!(
        r.crs,
        Some(Epsg {
            code: 4326,
            geographic: true
        })
    );
}

#[test]
fn srtm_hgt_tile_reads_with_its_facts() {
    check_white_mountains(&read(&shared("dem/N44W072.hgt")).unwrap());
}

#[test]
fn fetched_bytes_read_with_the_same_facts_as_files() {
    // The browser fetches a file and reads its bytes: the facts of the README hold for both formats.
    let hgt = shared("dem/N44W072.hgt");
    check_white_mountains(&read_bytes(&hgt, &std::fs::read(&hgt).unwrap()).unwrap());
    let tif = shared("dem/N44W072_srtm3.tif");
    let from_bytes = read_bytes(&tif, &std::fs::read(&tif).unwrap()).unwrap();
    assert_eq!((from_bytes.width, from_bytes.height), (1201, 1201));
    // A truncated download is an error naming the file and its size.
    let bytes = std::fs::read(&hgt).unwrap();
    let err = read_bytes(&hgt, &bytes[..1000]).unwrap_err().to_string();
    assert!(err.contains("N44W072.hgt") && err.contains("1000 bytes"), "{err}");
    assert!(read_bytes(&tif, &bytes[..1000]).is_err());
    assert!(read_bytes(Path::new("x.png"), &bytes).unwrap_err().to_string().contains("unknown raster format"));
}

#[test]
fn srtm_geotiff_reads_the_same_as_the_hgt() {
    let tif = read(&shared("dem/N44W072_srtm3.tif")).unwrap();
    check_white_mountains(&tif);
    assert_eq!(tif.sample_type, "int16");
    assert_eq!(tif.nodata, Some(-32768.0));
    let hgt = read(&shared("dem/N44W072.hgt")).unwrap();
    assert_eq!(tif.values, hgt.values);
}

#[test]
fn written_geotiffs_read_back() {
    let raster = GeoRaster {
        width: 3,
        height: 2,
        values: vec![1.0, 2.5, f64::NAN, -4.0, 5.0, 6.0],
        transform: GeoTransform {
            origin_x: 733_000.0,
            origin_y: 1_853_000.0,
            pixel_width: 10.0,
            pixel_height: -10.0,
        },
        crs: Some(Epsg {
            code: 32648,
            geographic: false,
        }),
        nodata: None,
        sample_type: "float32",
    };
    let path = std::env::temp_dir().join(format!("sontinh-raster-{}.tif", std::process::id()));
    write_geotiff(&path, &raster).unwrap();
    let back = read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(back.transform, raster.transform);
    assert_eq!(back.crs, raster.crs);
    assert_eq!(back.nodata, Some(-9999.0));
    assert!(back.values[2].is_nan());
    assert_eq!(back.values[1], 2.5);
}

#[test]
fn bad_files_are_errors_naming_the_file() {
    let dir = std::env::temp_dir();
    let garbage = dir.join(format!("sontinh-garbage-{}.tif", std::process::id()));
    std::fs::write(&garbage, b"II*\0garbage").unwrap();
    let e = read(&garbage).unwrap_err().to_string();
    std::fs::remove_file(&garbage).unwrap();
    assert!(e.contains("sontinh-garbage") && e.contains("TIFF"), "{e}");
    let short = dir.join("N10E100.hgt");
    std::fs::write(&short, [0u8; 10]).unwrap();
    let e = read(&short).unwrap_err().to_string();
    std::fs::remove_file(&short).unwrap();
    assert!(e.contains("10 bytes"), "{e}");
    assert!(
        read(Path::new("dem.xyz"))
            .unwrap_err()
            .to_string()
            .contains("unknown raster format")
    );
    assert!(read(Path::new("/nonexistent/N44W072.hgt")).is_err());
}

#[test]
fn cells_within_a_radius_include_the_cell_under_the_point() {
    let raster = GeoRaster {
        width: 10,
        height: 10,
        values: vec![0.0; 100],
        transform: GeoTransform {
            origin_x: 0.0,
            origin_y: 100.0,
            pixel_width: 10.0,
            pixel_height: -10.0,
        },
        crs: None,
        nodata: None,
        sample_type: "float32",
    };
    assert_eq!(raster.cells_within(12.0, 88.0, 0.0), vec![(1, 1)]);
    assert_eq!(raster.cells_within(15.0, 85.0, 10.0).len(), 5);
    assert!(raster.cells_within(-500.0, 85.0, 10.0).is_empty());
}

mod orthophotos {
    use std::path::Path;

    use crate::{Epsg, GeoTransform, read_orthophoto};

    /// 4 × 2 pixels: red, green, blue, white over four greys.
    fn pixels() -> Vec<[u8; 3]> {
        vec![[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [10, 10, 10], [60, 60, 60], [110, 110, 110], [160, 160, 160]]
    }

    fn write_png(folder: &Path, name: &str) -> std::path::PathBuf {
        let mut image = image::RgbImage::new(4, 2);
        for (k, p) in pixels().into_iter().enumerate() {
            image.put_pixel((k % 4) as u32, (k / 4) as u32, image::Rgb(p));
        }
        let path = folder.join(name);
        image.save(&path).unwrap();
        path
    }

    #[test]
    fn a_png_with_a_world_file_is_placed_by_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_png(dir.path(), "photo.png");
        // 2 m pixels; the top-left pixel's centre at (500001, 1900001).
        std::fs::write(dir.path().join("photo.pgw"), "2.0\n0.0\n0.0\n-2.0\n500001.0\n1900001.0\n").unwrap();
        let photo = read_orthophoto(&path).unwrap();
        assert_eq!((photo.width, photo.height, photo.crs), (4, 2, None));
        assert_eq!(photo.transform, GeoTransform { origin_x: 500_000.0, origin_y: 1_900_002.0, pixel_width: 2.0, pixel_height: -2.0 });
        assert_eq!(photo.sample(0.5, 0.5), Some([255, 0, 0, 255]));
        assert_eq!(photo.sample(3.5, 1.5), Some([160, 160, 160, 255]));
        // Halfway between red and green.
        assert_eq!(photo.sample(1.0, 0.5), Some([128, 128, 0, 255]));
        assert_eq!(photo.sample(4.5, 0.5), None);
        // The long and upper-case names are found too.
        std::fs::remove_file(dir.path().join("photo.pgw")).unwrap();
        std::fs::write(dir.path().join("photo.PNGW"), "2 0 0 -2 500001 1900001").unwrap();
        assert!(read_orthophoto(&path).is_ok());
    }

    #[test]
    fn an_rgb_geotiff_carries_its_own_crs() {
        use tiff::encoder::{TiffEncoder, colortype};
        use tiff::tags::Tag;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.tif");
        let mut encoder = TiffEncoder::new(std::fs::File::create(&path).unwrap()).unwrap();
        let mut image = encoder.new_image::<colortype::RGB8>(4, 2).unwrap();
        image.encoder().write_tag(Tag::ModelPixelScaleTag, &[2.0, 2.0, 0.0][..]).unwrap();
        image.encoder().write_tag(Tag::ModelTiepointTag, &[0.0, 0.0, 0.0, 500_000.0, 1_900_002.0, 0.0][..]).unwrap();
        image.encoder().write_tag(Tag::GeoKeyDirectoryTag, &[1u16, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32648][..]).unwrap();
        let data: Vec<u8> = pixels().into_iter().flatten().collect();
        image.write_data(&data).unwrap();
        let photo = read_orthophoto(&path).unwrap();
        assert_eq!(photo.crs, Some(Epsg { code: 32648, geographic: false }));
        assert_eq!(photo.transform.origin_y, 1_900_002.0);
        assert_eq!(photo.sample(2.5, 0.5), Some([0, 0, 255, 255]));
    }

    #[test]
    fn world_files_are_probed_one_at_a_time_when_files_are_fetched() {
        // As in a worker: files not handed over yet say so; the probe stops
        // at the first (only it is fetched), and goes on past absent ones.
        let asked = std::cell::RefCell::new(Vec::new());
        let asked = &asked;
        let files = |absent: &[&str], world: Option<&str>| {
            let (absent, world) = (absent.iter().map(|s| s.to_string()).collect::<Vec<_>>(), world.map(str::to_owned));
            move |path: &Path| -> Result<Vec<u8>, String> {
                let name = path.to_string_lossy().into_owned();
                asked.borrow_mut().push(name.clone());
                if world.as_deref() == Some(name.as_str()) {
                    Ok(b"2 0 0 -2 500001 1900001".to_vec())
                } else if absent.contains(&name) {
                    Err(format!("{name}: could not be read"))
                } else {
                    Err(format!("{name}: {}", sontinh_wire::NOT_FETCHED))
                }
            }
        };
        let photo = Path::new("site/photo.png");
        let e = crate::read_orthophoto_with(photo, &files(&[], None)).unwrap_err().to_string();
        assert!(e.contains("site/photo.pgw") && e.ends_with(sontinh_wire::NOT_FETCHED), "{e}");
        assert_eq!(*asked.borrow(), ["site/photo.pgw"]);
        asked.borrow_mut().clear();
        let e = crate::read_orthophoto_with(photo, &files(&["site/photo.pgw", "site/photo.PGW"], None)).unwrap_err().to_string();
        assert!(e.contains("site/photo.pngw"), "{e}");
        assert_eq!(*asked.borrow(), ["site/photo.pgw", "site/photo.PGW", "site/photo.pngw"]);
        asked.borrow_mut().clear();
        // The world file found, the photo itself is asked for next.
        let e = crate::read_orthophoto_with(photo, &files(&["site/photo.pgw", "site/photo.PGW"], Some("site/photo.pngw"))).unwrap_err().to_string();
        assert!(e.contains("site/photo.png:") && e.contains(sontinh_wire::NOT_FETCHED), "{e}");
    }

    #[test]
    fn bad_orthophotos_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_png(dir.path(), "lonely.png");
        let e = read_orthophoto(&path).unwrap_err().to_string();
        assert!(e.contains("lonely.png") && e.contains("world file"), "{e}");
        std::fs::write(dir.path().join("lonely.wld"), "2 0.1 0 -2 500001 1900001").unwrap();
        let e = read_orthophoto(&path).unwrap_err().to_string();
        assert!(e.contains("lonely.wld") && e.contains("rotated"), "{e}");
        std::fs::write(dir.path().join("lonely.wld"), "2 0 0 -2 500001").unwrap();
        let e = read_orthophoto(&path).unwrap_err().to_string();
        assert!(e.contains("five") || e.contains("5 numbers"), "{e}");
        std::fs::write(dir.path().join("lonely.wld"), "two 0 0 -2 500001 1900001").unwrap();
        assert!(read_orthophoto(&path).unwrap_err().to_string().contains("six numbers"));
        let not_png = dir.path().join("fake.png");
        std::fs::write(&not_png, b"not an image").unwrap();
        std::fs::write(dir.path().join("fake.pgw"), "2 0 0 -2 500001 1900001").unwrap();
        let e = read_orthophoto(&not_png).unwrap_err().to_string();
        assert!(e.contains("fake.png") && e.contains("image"), "{e}");
        let e = read_orthophoto(&dir.path().join("photo.bmp")).unwrap_err().to_string();
        assert!(e.contains("\"bmp\""), "{e}");
        let e = read_orthophoto(&dir.path().join("absent.tif")).unwrap_err().to_string();
        assert!(e.contains("absent.tif"), "{e}");
    }
}

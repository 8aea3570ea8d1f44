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

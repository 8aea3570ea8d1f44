"""Compares two single-band GeoTIFFs cell by cell with rasterio (GDAL), an
independent reader of what Sơn Tinh writes: prints one JSON object with
both grids' shape, CRS and transform, and the absolute differences'
99th percentile and maximum over cells where either is valid."""
import json
import sys

import numpy as np
import rasterio


def read(path):
    with rasterio.open(path) as r:
        band = r.read(1, masked=True).astype("float64")
        return band, {"shape": list(band.shape), "crs": str(r.crs), "transform": list(r.transform)[:6]}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: compare_rasters.py A.tif B.tif")
    a, meta_a = read(sys.argv[1])
    b, meta_b = read(sys.argv[2])
    if a.shape != b.shape:
        print(json.dumps({"a": meta_a, "b": meta_b, "same_grid": False}))
        return
    valid = ~(np.ma.getmaskarray(a) & np.ma.getmaskarray(b))
    diff = np.abs(a.filled(0.0) - b.filled(0.0))[valid]
    print(json.dumps({
        "a": meta_a,
        "b": meta_b,
        # The same grid: shape and CRS, and corners within a micrometre (the
        # page's wasm and the native build place the UTM origin alike to ~1e-9 m).
        "same_grid": meta_a["shape"] == meta_b["shape"] and meta_a["crs"] == meta_b["crs"]
        and bool(np.allclose(meta_a["transform"], meta_b["transform"], rtol=0, atol=1e-6)),
        "cells": int(diff.size),
        "p99_abs_diff": float(np.percentile(diff, 99)) if diff.size else None,
        "max_abs_diff": float(diff.max()) if diff.size else None,
        "max_a": float(a.max()),
        "max_b": float(b.max()),
    }))


main()

#!/usr/bin/env python3
"""Writes LAS and LAZ files of every point format (0-10) and LAS version
(1.2, 1.3, 1.4) with laspy, with known points, for `sontinh pc` tests.

usage: make_las_variants.py OUT_DIR
Prints a JSON list of {file, version, format, count, min, max, classes, epsg}."""
import json
import sys
from pathlib import Path

import laspy
import numpy as np

UTM48N_WKT = (
    'PROJCS["WGS 84 / UTM zone 48N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",105],PARAMETER["scale_factor",0.9996],'
    'PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","32648"]]'
)
out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)
cases = []
for fmt in range(11):
    for version in ("1.2", "1.3", "1.4"):
        if fmt >= 6 and version != "1.4":
            continue
        if fmt in (4, 5) and version == "1.2":
            continue
        n = 1000 + 37 * fmt
        header = laspy.LasHeader(point_format=fmt, version=version)
        header.scales = np.array([0.001, 0.001, 0.01])
        header.offsets = np.array([720000.0, 1850000.0, 0.0])
        las = laspy.LasData(header)
        las.x = 720000.0 + rng.uniform(0, 500, n).round(3)
        las.y = 1850000.0 + rng.uniform(0, 300, n).round(3)
        las.z = rng.uniform(-2, 40, n).round(2)
        las.intensity = rng.integers(0, 4000, n)
        classes = rng.choice([1, 2, 6, 9], n)
        las.classification = classes
        las.return_number = np.ones(n, dtype=np.uint8)
        las.number_of_returns = np.ones(n, dtype=np.uint8)
        # UTM 48N, the twin's own system, as a WKT record.
        las.header.vlrs.append(laspy.vlrs.known.WktCoordinateSystemVlr(UTM48N_WKT))
        if version == "1.4":
            las.header.global_encoding.wkt = True
        for ext, compress in (("las", False), ("laz", True)):
            name = f"format{fmt}-v{version.replace('.', '')}.{ext}"
            las.write(out / name, do_compress=compress)
            values, counts = np.unique(classes, return_counts=True)
            cases.append({
                "file": name, "version": version, "format": fmt, "count": n,
                "min": [float(las.x.min()), float(las.y.min()), float(las.z.min())],
                "max": [float(las.x.max()), float(las.y.max()), float(las.z.max())],
                "classes": {str(int(v)): int(c) for v, c in zip(values, counts)},
            })
print(json.dumps(cases))

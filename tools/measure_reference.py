"""Independent figures for the measurement tests: DEM heights read with
rasterio (its own GDAL) and distances and coordinates with pyproj (PROJ).

    python tools/measure_reference.py DEM < requests.json > answers.json

Requests: {"samples": [[lon, lat], ...], "geodesic": [lon1, lat1, lon2, lat2],
"vn2000": [[lon, lat], ...]}. For each sample: the nearest cell's value and
the lowest and highest value of the 3 x 3 cells around it (a bilinear
interpolation between the four cells around a point lies within them).
"""
import json
import sys

import pyproj
import rasterio
from rasterio.windows import Window

# VN-2000 geographic through the pipeline PROJ's EPSG database picks
# ("VN-2000 to WGS 84 (2)"), then the Quang Tri provincial 3-degree zone
# (central meridian 106 deg 15', scale 0.9999, false easting 500 km).
TO_VN2000 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4756", always_xy=True)
QUANG_TRI_ZONE = pyproj.Proj("+proj=tmerc +lat_0=0 +lon_0=106.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs")


def main():
    request = json.load(sys.stdin)
    answer = {}
    with rasterio.open(sys.argv[1]) as dem:
        band = dem.read(1)
        cells = []
        for lon, lat in request.get("samples", []):
            row, col = dem.index(lon, lat)
            r0, r1 = max(row - 1, 0), min(row + 2, dem.height)
            c0, c1 = max(col - 1, 0), min(col + 2, dem.width)
            around = band[r0:r1, c0:c1]
            cells.append([float(band[row, col]), float(around.min()), float(around.max())])
        answer["samples"] = cells
    if "geodesic" in request:
        lon1, lat1, lon2, lat2 = request["geodesic"]
        _, _, distance = pyproj.Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
        answer["geodesic_m"] = distance
    answer["vn2000"] = [list(QUANG_TRI_ZONE(*TO_VN2000.transform(lon, lat))) for lon, lat in request.get("vn2000", [])]
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()

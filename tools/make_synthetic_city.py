#!/usr/bin/env python3
"""Writes a synthetic city of N LoD1 buildings (default 100,000) and a scene
that shows it, for measuring the viewer's load and frame times:

    tools/make_synthetic_city.py OUT_DIR [COUNT]
    sontinh render OUT_DIR/synthetic-city.toml --out city.png --time-frames 20

Footprints of 8-20 m, turned at random, on a 30 m grid around Quảng Trị
Citadel, with a `height` of 4-40 m (the layout of the bench
`cargo bench -p sontinh-vector-mesh --bench city_100k`), written as
GeoJSON (WGS 84) with a local ENU approximation that is exact enough for
a synthetic layout (the bench uses the twin's own frame)."""

import json
import math
import os
import random
import sys

ORIGIN = (107.194, 16.747)


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261207)
    side = math.ceil(math.sqrt(count))
    half = side * 30.0 / 2.0
    # Metres per degree at the origin's latitude (WGS 84, first order).
    m_per_deg_lat = 110_574.0
    m_per_deg_lon = 111_320.0 * math.cos(math.radians(ORIGIN[1]))
    features = []
    for i in range(count):
        e0, n0 = (i % side) * 30.0 - half, (i // side) * 30.0 - half
        w, d, turn = 8 + 12 * rng.random(), 8 + 12 * rng.random(), rng.random() * math.pi
        ring = []
        for x, y in [(-w / 2, -d / 2), (w / 2, -d / 2), (w / 2, d / 2), (-w / 2, d / 2), (-w / 2, -d / 2)]:
            e = e0 + x * math.cos(turn) - y * math.sin(turn)
            n = n0 + x * math.sin(turn) + y * math.cos(turn)
            ring.append([round(ORIGIN[0] + e / m_per_deg_lon, 8), round(ORIGIN[1] + n / m_per_deg_lat, 8)])
        features.append({
            "type": "Feature",
            "properties": {"id": i, "height": round(4 + 36 * rng.random(), 2)},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        })
    with open(os.path.join(out, "buildings.geojson"), "w") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, separators=(",", ":"))
    with open(os.path.join(out, "synthetic-city.toml"), "w") as f:
        f.write(f"""# {count} synthetic LoD1 buildings around Quảng Trị Citadel (tools/make_synthetic_city.py).
format = 1

[site]
id = "synthetic-city"
name = {{ vi = "Thành phố tổng hợp", en = "Synthetic city" }}
description = {{ vi = "{count} nhà LoD1 sinh ngẫu nhiên", en = "{count} generated LoD1 buildings" }}

[origin]
crs = "EPSG:4326"
position = [{ORIGIN[0]}, {ORIGIN[1]}, 0.0]

[[layer]]
id = "buildings"
kind = "vector"
path = "buildings.geojson"
name = {{ vi = "Nhà", en = "Buildings" }}
[layer.style]
color = "#d9cbb0"
extrude_attribute = "height"

[[bookmark]]
id = "overview"
name = {{ vi = "Toàn cảnh", en = "Overview" }}
eye = [2500.0, -7500.0, 3500.0]
target = [0.0, 0.0, 0.0]
fov_deg = 50.0

[[bookmark]]
id = "street"
name = {{ vi = "Trên phố", en = "Street" }}
eye = [-40.0, -300.0, 60.0]
target = [0.0, 0.0, 10.0]
fov_deg = 60.0
""")
    print(f"wrote {count} buildings to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

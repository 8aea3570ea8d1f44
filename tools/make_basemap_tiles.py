#!/usr/bin/env python3
"""Small raster tile sets for the base map tests, written with independent
libraries: PMTiles by the `pmtiles` package (Protomaps' Python writer),
MBTiles by Python's sqlite3, PNG tiles by Pillow, tile math by mercantile.

    make_basemap_tiles.py pyramid OUT
        every tile of zooms 0-4 a solid colour naming it: (60 z, 16 x, 16 y);
        zoom 5 rows 0-3 one shared grey tile (PMTiles run lengths); tile 5/25/14
        absent.
    make_basemap_tiles.py quadrants OUT LON LAT ZMAX HALF_DEG
        zooms 0-ZMAX over LON±HALF_DEG, LAT±HALF_DEG, each pixel coloured by its
        quadrant around (LON, LAT): north-east red, north-west green,
        south-west blue, south-east yellow (rendered scenes look for them).
    Both PMTiles sets are written with leaf directories (64 entries a leaf).

Writes OUT/tiles.pmtiles, OUT/tiles.mbtiles, OUT/xyz/{z}/{x}/{y}.png and
prints a JSON manifest (the reference the Rust tests compare with).
"""
import io
import json
import os
import sqlite3
import sys

import mercantile
import numpy as np
from PIL import Image
import pmtiles.writer as pw
from pmtiles.tile import Compression, TileType, zxy_to_tileid


def png(rgb_array):
    out = io.BytesIO()
    Image.fromarray(rgb_array, "RGB").save(out, format="PNG")
    return out.getvalue()


def solid(colour):
    return png(np.full((256, 256, 3), colour, dtype=np.uint8))


QUADRANT = {"ne": (255, 0, 0), "nw": (0, 255, 0), "sw": (0, 0, 255), "se": (255, 255, 0)}


def quadrant_tile(z, x, y, lon0, lat0):
    # Pixel centres' lon/lat by mercantile's formulas, one row and column at a time.
    n = 2 ** z
    cols = (x + (np.arange(256) + 0.5) / 256) / n * 360.0 - 180.0
    rows_y = (y + (np.arange(256) + 0.5) / 256) / n
    lats = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * rows_y))))
    east = cols[None, :] >= lon0
    north = lats[:, None] >= lat0
    img = np.zeros((256, 256, 3), dtype=np.uint8)
    for key, mask in (("ne", north & east), ("nw", north & ~east), ("sw", ~north & ~east), ("se", ~north & east)):
        img[mask] = QUADRANT[key]
    return png(img)


def write_all(out, tiles, bounds, force_leaves):
    """tiles: {(z, x, y): png bytes}."""
    os.makedirs(out, exist_ok=True)
    for (z, x, y), data in tiles.items():
        d = os.path.join(out, "xyz", str(z), str(x))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"{y}.png"), "wb") as f:
            f.write(data)
    # MBTiles: rows counted from the south (TMS).
    mb = os.path.join(out, "tiles.mbtiles")
    if os.path.exists(mb):
        os.remove(mb)
    db = sqlite3.connect(mb)
    db.execute("CREATE TABLE metadata (name text, value text)")
    db.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
    zooms = [z for z, _, _ in tiles]
    meta = {
        "name": "test tiles",
        "format": "png",
        "bounds": ",".join(str(v) for v in bounds),
        "minzoom": str(min(zooms)),
        "maxzoom": str(max(zooms)),
        "attribution": "test tiles by tools/make_basemap_tiles.py",
    }
    db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    db.executemany(
        "INSERT INTO tiles VALUES (?, ?, ?, ?)",
        [(z, x, (2 ** z - 1) - y, sqlite3.Binary(data)) for (z, x, y), data in tiles.items()],
    )
    db.commit()
    db.close()
    # PMTiles, tiles in id order so that equal neighbours become runs.
    if force_leaves:
        pw.optimize_directories = lambda entries, target: pw.build_roots_leaves(entries, 64)
    with pw.write(os.path.join(out, "tiles.pmtiles")) as writer:
        for key in sorted(tiles, key=lambda k: zxy_to_tileid(*k)):
            writer.write_tile(zxy_to_tileid(*key), tiles[key])
        writer.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_lon_e7": int(bounds[0] * 1e7),
                "min_lat_e7": int(bounds[1] * 1e7),
                "max_lon_e7": int(bounds[2] * 1e7),
                "max_lat_e7": int(bounds[3] * 1e7),
            },
            {"attribution": meta["attribution"]},
        )


def pyramid(out):
    tiles, colours = {}, {}
    for z in range(5):
        for x in range(2 ** z):
            for y in range(2 ** z):
                colour = (60 * z, 16 * x, 16 * y)
                tiles[(z, x, y)] = solid(colour)
                colours[f"{z}/{x}/{y}"] = colour
    grey = solid((128, 128, 128))
    for x in range(32):
        for y in range(4):
            tiles[(5, x, y)] = grey
            colours[f"5/{x}/{y}"] = (128, 128, 128)
    write_all(out, tiles, [-180.0, -85.0511, 180.0, 85.0511], force_leaves=True)
    probes = [(107.194, 16.747), (-0.1276, 51.5072), (151.2093, -33.8688), (-74.006, 40.7128), (0.0, 0.0), (179.9, -85.0)]
    return {
        "colours": colours,
        "absent": ["5/25/14", "6/0/0", "5/3/31"],
        "ids": {f"{z}/{x}/{y}": zxy_to_tileid(z, x, y) for (z, x, y) in [(0, 0, 0), (1, 0, 0), (1, 1, 1), (3, 5, 2), (4, 15, 9), (12, 3316, 1866), (16, 53051, 29863), (20, 848815, 477812)]},
        "tile_of": [
            {"lon": lon, "lat": lat, "zoom": z, "tile": list(mercantile.tile(lon, lat, z))}
            for (lon, lat) in probes
            for z in (0, 5, 12, 18)
        ],
        "bounds": {
            f"{t.z}/{t.x}/{t.y}": list(mercantile.bounds(t))
            for t in [mercantile.Tile(0, 0, 0), mercantile.Tile(5, 2, 3), mercantile.Tile(3316, 1866, 12), mercantile.Tile(53051, 29863, 16)]
        },
    }


def quadrants(out, lon0, lat0, zmax, half):
    tiles = {}
    for t in mercantile.tiles(lon0 - half, lat0 - half, lon0 + half, lat0 + half, zooms=list(range(zmax + 1))):
        tiles[(t.z, t.x, t.y)] = quadrant_tile(t.z, t.x, t.y, lon0, lat0)
    write_all(out, tiles, [lon0 - half, lat0 - half, lon0 + half, lat0 + half], force_leaves=True)
    return {"tiles": len(tiles), "colours": QUADRANT}


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "pyramid":
        print(json.dumps(pyramid(out)))
    elif kind == "quadrants":
        lon, lat, zmax, half = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
        print(json.dumps(quadrants(out, lon, lat, zmax, half)))
    else:
        sys.exit(f"unknown set {kind}: pyramid or quadrants")

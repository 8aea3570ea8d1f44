#!/usr/bin/env python3
"""Reads a COPC file with laspy's CopcReader (an independent implementation)
and compares it point for point with the source files it was converted from.

usage: verify_copc.py OUT.copc.laz SOURCE.las|laz [SOURCE ...]
Prints a JSON summary; exits 1 on any difference."""
import json
import sys

import laspy
import numpy as np
from laspy import CopcReader


def keys(x, y, z, cls, intensity, gps):
    table = np.stack([np.round(np.asarray(x) * 100).astype(np.int64),
                      np.round(np.asarray(y) * 100).astype(np.int64),
                      np.round(np.asarray(z) * 100).astype(np.int64),
                      np.asarray(cls).astype(np.int64),
                      np.asarray(intensity).astype(np.int64),
                      np.asarray(gps).astype(np.float64).view(np.int64)], axis=1)
    return table[np.lexsort(table.T[::-1])]


def main():
    out, sources = sys.argv[1], sys.argv[2:]
    with CopcReader.open(out) as reader:
        points = reader.query()  # every node, through the hierarchy
        header = reader.header
        nodes = len(reader.root_page.entries) if hasattr(reader, "root_page") else None
    copc = keys(points.x, points.y, points.z, points.classification, points.intensity, points.gps_time)
    parts = []
    for path in sources:
        las = laspy.read(path)
        gps = las.gps_time if "gps_time" in las.point_format.dimension_names else np.zeros(len(las.points))
        parts.append(keys(las.x, las.y, las.z, las.classification, las.intensity, gps))
    source = np.concatenate(parts)
    source = source[np.lexsort(source.T[::-1])]
    same = copc.shape == source.shape and bool((copc == source).all())
    print(json.dumps({"copc_points": int(len(copc)), "source_points": int(len(source)),
                      "header_points": int(header.point_count), "point_format": int(header.point_format.id),
                      "identical": same, "hierarchy_entries": nodes}))
    sys.exit(0 if same else 1)


main()

#!/usr/bin/env python3
"""Writes the committed seed corpus, fuzz/corpus/<target>/: small valid
files of each format (built here byte by byte, standard library only) and
the repository's own small scenes and feed lines. Deterministic: rerunning
it rewrites the same files. Shared test data is never copied here; tools/
fuzz.sh adds truncated shared files as extra seeds at run time."""

import json
import os
import shutil
import struct
import sys
import zlib

FUZZ = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(FUZZ)
CORPUS = os.path.join(FUZZ, "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def pad(data, n, fill=b" "):
    return data + fill * (-len(data) % n)


# ---- LAS / COPC ----------------------------------------------------------

def las_header(minor, point_format, record_len, n_points, n_vlrs, offset_points, header_size,
               evlr_start=0, n_evlrs=0):
    h = b"LASF" + struct.pack("<HH", 0, 0) + bytes(16) + struct.pack("<BB", 1, minor)
    h += pad(b"sontinh-fuzz", 32, b"\0") + pad(b"make_corpus.py", 32, b"\0")
    h += struct.pack("<HHHIIBHI", 1, 2024, header_size, offset_points, n_vlrs, point_format, record_len,
                     n_points if point_format < 6 else 0)
    h += struct.pack("<5I", n_points if point_format < 6 else 0, 0, 0, 0, 0)
    h += struct.pack("<3d", 0.01, 0.01, 0.01) + struct.pack("<3d", 0.0, 0.0, 0.0)
    h += struct.pack("<6d", 10.0, 0.0, 10.0, 0.0, 5.0, 0.0)
    if minor >= 4:
        h += struct.pack("<QQIQ", 0, evlr_start, n_evlrs, n_points) + struct.pack("<15Q", n_points, *[0] * 14)
    assert len(h) == header_size, len(h)
    return h


def vlr(user, record, data, description=b"fuzz seed"):
    return struct.pack("<H", 0) + pad(user, 16, b"\0") + struct.pack("<HH", record, len(data)) + pad(description, 32, b"\0") + data


def evlr(user, record, data):
    return struct.pack("<H", 0) + pad(user, 16, b"\0") + struct.pack("<HQ", record, len(data)) + pad(b"hierarchy", 32, b"\0") + data


def las_files():
    pts = b"".join(struct.pack("<iiiHBBbBH", 100 * i, 200 * i, 50 * i, 10, 0x11, 2, 0, 0, 1) for i in range(3))
    put("las_layout", "las12-format0.las", las_header(2, 0, 20, 3, 0, 227, 227) + pts)
    proj = vlr(b"LASF_Projection", 2112, b'PROJCS["WGS 84 / UTM zone 48N"]\0')
    put("las_layout", "las12-wkt-vlr.las", las_header(2, 0, 20, 3, 1, 227 + len(proj), 227) + proj + pts)
    p6 = b"".join(struct.pack("<iiiHBBBBhHd", 10 * i, 20 * i, 5 * i, 7, 0x11, 0, 2, 0, 0, 1, 0.5) for i in range(2))
    put("las_layout", "las14-format6.las", las_header(4, 6, 30, 2, 0, 375, 375) + p6)
    # COPC: the info VLR first, points, then the hierarchy EVLR with one node.
    info_len = 54 + 160
    offset_points = 375 + info_len
    evlr_start = offset_points + len(p6)
    hier_data_offset = evlr_start + 60
    entry = struct.pack("<iiiiQii", 0, 0, 0, 0, offset_points, len(p6), 2)
    info = struct.pack("<5d", 5.0, 5.0, 2.5, 5.0, 1.0) + struct.pack("<QQ", hier_data_offset, len(entry))
    info += struct.pack("<2d", 0.5, 0.5) + bytes(88)
    copc = las_header(4, 6, 30, 2, 1, offset_points, 375, evlr_start, 1) + vlr(b"copc", 1, info, b"copc info")
    copc += p6 + evlr(b"copc", 1000, entry)
    put("las_layout", "copc-one-node.copc.laz", copc)


# ---- glTF binary, 3D Tiles ----------------------------------------------

def png_2x2():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"\0" + bytes([255, 0, 0, 0, 255, 0]) + b"\0" + bytes([0, 0, 255, 255, 255, 255])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def glb(indexed=True, textured=False):
    positions = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    binary = positions
    views = [{"buffer": 0, "byteOffset": 0, "byteLength": 36}]
    accessors = [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]}]
    attributes = {"POSITION": 0}
    primitive = {"attributes": attributes}
    if indexed:
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": 6})
        binary = pad(binary + struct.pack("<3H", 0, 1, 2), 4, b"\0")
        accessors.append({"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"})
        primitive["indices"] = 1
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}]}
    if textured:
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": 24})
        binary += struct.pack("<6f", 0, 0, 1, 0, 0, 1)
        accessors.append({"bufferView": len(views) - 1, "componentType": 5126, "count": 3, "type": "VEC2"})
        attributes["TEXCOORD_0"] = len(accessors) - 1
        png = png_2x2()
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(png)})
        binary = pad(binary + png, 4, b"\0")
        doc["images"] = [{"bufferView": len(views) - 1, "mimeType": "image/png"}]
        doc["textures"] = [{"source": 0}]
        doc["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}, "baseColorFactor": [1, 1, 1, 1]}}]
        primitive["material"] = 0
    doc.update({"meshes": [{"primitives": [primitive]}], "buffers": [{"byteLength": len(binary)}],
                "bufferViews": views, "accessors": accessors})
    js = pad(json.dumps(doc, separators=(",", ":")).encode(), 4)
    body = struct.pack("<II", len(js), 0x4E4F534A) + js + struct.pack("<II", len(binary), 0x004E4942) + binary
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def b3dm(model):
    ft = pad(b'{"BATCH_LENGTH":0}', 8)
    body = ft + model
    return b"b3dm" + struct.pack("<6I", 1, 28 + len(body), len(ft), 0, 0, 0) + body


def pnts():
    ft = pad(b'{"POINTS_LENGTH":3,"POSITION":{"byteOffset":0},"RGB":{"byteOffset":36}}', 8)
    fb = pad(struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0) + bytes([255, 0, 0, 0, 255, 0, 0, 0, 255]), 8, b"\0")
    body = ft + fb
    return b"pnts" + struct.pack("<6I", 1, 28 + len(body), len(ft), len(fb), 0, 0) + body


def cmpt(tiles):
    body = b"".join(tiles)
    return b"cmpt" + struct.pack("<III", 1, 16 + len(body), len(tiles)) + body


def mesh_files():
    put("mesh_glb", "triangle-indexed.glb", glb(True))
    put("mesh_glb", "triangle-unindexed.glb", glb(False))
    put("mesh_glb", "triangle-png-texture.glb", glb(True, True))
    put("tile_content", "triangle.b3dm", b3dm(glb(True)))
    put("tile_content", "textured.b3dm", b3dm(glb(True, True)))
    put("tile_content", "three-points.pnts", pnts())
    put("tile_content", "triangle.glb", glb(True))
    put("tile_content", "b3dm-and-pnts.cmpt", cmpt([b3dm(glb(True)), pnts()]))


# ---- GeoTIFF / SRTM ------------------------------------------------------

TYPES = {"B": (1, 1), "A": (2, 1), "H": (3, 2), "I": (4, 4), "d": (12, 8)}


def tiff(width, height, fmt, values, big_endian=False, compression=1, tile=None, geo="tiepoint",
         nodata=None, point=False, crs=(3072, 32648)):
    """A single-band TIFF: `fmt` a struct code for the samples, striped (one
    strip per row) or tiled, uncompressed (1) or Deflate (8)."""
    e = ">" if big_endian else "<"
    bits = struct.calcsize(fmt) * 8
    sample_format = 3 if fmt in "fd" else (2 if fmt in "bhiq" else 1)

    def pack_block(vals):
        data = struct.pack(e + fmt * len(vals), *vals)
        return zlib.compress(data) if compression == 8 else data

    blocks = []
    if tile:
        tw, th = tile
        for ty in range(0, height, th):
            for tx in range(0, width, tw):
                vals = []
                for y in range(ty, ty + th):
                    for x in range(tx, tx + tw):
                        vals.append(values[y * width + x] if x < width and y < height else 0)
                blocks.append(pack_block(vals))
    else:
        for y in range(height):
            blocks.append(pack_block(values[y * width:(y + 1) * width]))
    entries = [(256, "I", [width]), (257, "I", [height]), (258, "H", [bits]), (259, "H", [compression]),
               (262, "H", [1])]
    entries.append((273 if not tile else 324, "I", None))  # offsets, filled below
    entries.append((277, "H", [1]))
    if not tile:
        entries.append((278, "I", [1]))
    entries.append((279 if not tile else 325, "I", [len(b) for b in blocks]))
    entries.append((284, "H", [1]))
    if tile:
        entries += [(322, "H", [tile[0]]), (323, "H", [tile[1]])]
    entries.append((339, "H", [sample_format]))
    if geo == "tiepoint":
        entries += [(33550, "d", [30.0, 30.0, 0.0]), (33922, "d", [0.0, 0.0, 0.0, 500000.0, 1850000.0, 0.0])]
    elif geo == "matrix":
        entries.append((34264, "d", [0.25, 0, 0, 107.0, 0, -0.25, 0, 17.0, 0, 0, 0, 0, 0, 0, 0, 1]))
    keys = [1, 1, 0, 3, 1024, 0, 1, 1 if crs[0] == 3072 else 2, 1025, 0, 1, 2 if point else 1, crs[0], 0, 1, crs[1]]
    entries.append((34735, "H", keys))
    if nodata is not None:
        entries.append((42113, "A", list(nodata.encode() + b"\0")))
    entries.sort(key=lambda t: t[0])

    # Layout: header, blocks, IFD, out-of-line values.
    out = (b"MM\0*" if big_endian else b"II*\0") + b"\0\0\0\0"
    offsets = []
    for b in blocks:
        offsets.append(len(out))
        out += pad(b, 2, b"\0")
    entries = [(tag, t, offsets if v is None else v) for tag, t, v in entries]
    ifd_at = len(out)
    extra_at = ifd_at + 2 + 12 * len(entries) + 4
    ifd = struct.pack(e + "H", len(entries))
    extra = b""
    for tag, t, vals in entries:
        code, size = TYPES[t]
        data = bytes(vals) if t == "A" else struct.pack(e + t * len(vals), *vals)
        if len(data) <= 4:
            field = pad(data, 4, b"\0")
        else:
            field = struct.pack(e + "I", extra_at + len(extra))
            extra = pad(extra + data, 2, b"\0")
        ifd += struct.pack(e + "HHI", tag, code, len(vals)) + field
    ifd += b"\0\0\0\0"
    out = out[:4] + struct.pack(e + "I", ifd_at) + out[8:] + ifd + extra
    return out


def raster_files():
    w, h = 6, 5
    ramp = [x + 10 * y for y in range(h) for x in range(w)]
    put("raster_dem", "u8-striped.tif", tiff(w, h, "B", ramp))
    put("raster_dem", "i16-striped-nodata.tif", tiff(w, h, "h", [v - 20 if v != 13 else -9999 for v in ramp], nodata="-9999"))
    put("raster_dem", "f32-deflate-utm.tif", tiff(w, h, "f", [v * 0.5 for v in ramp], compression=8))
    put("raster_dem", "f32-big-endian.tif", tiff(w, h, "f", [v * 0.25 for v in ramp], big_endian=True))
    put("raster_dem", "f64-matrix-geographic.tif", tiff(w, h, "d", [v * 1.5 for v in ramp], geo="matrix", crs=(2048, 4326)))
    put("raster_dem", "u16-tiled-deflate.tif", tiff(20, 18, "H", [x * y for y in range(18) for x in range(20)], compression=8, tile=(16, 16)))
    put("raster_dem", "i32-pixel-is-point.tif", tiff(w, h, "i", ramp, point=True))
    put("raster_dem", "u8-no-georeference.tif", tiff(w, h, "B", ramp, geo=None))
    # SRTM: the fuzz target names the tile by the first seven bytes; two
    # bytes after them are one sample over a whole 3″ tile.
    put("raster_dem", "hgt-N16E107-level", b"N16E107" + struct.pack(">h", 12))
    put("raster_dem", "hgt-S01W072-void", b"S01W072" + struct.pack(">h", -32768))
    put("raster_dem", "hgt-N44W072-short", b"N44W072" + struct.pack(">3h", 1, 2, 3))


# ---- Scenes, feeds --------------------------------------------------------

def scene_files():
    for folder in ("scenes", os.path.join("tests", "scenes")):
        for name in sorted(os.listdir(os.path.join(REPO, folder))):
            if name.endswith(".toml"):
                prefix = "tests-" if folder != "scenes" else ""
                shutil.copyfile(os.path.join(REPO, folder, name), os.path.join(CORPUS, "scene_toml", prefix + name))


def feed_files():
    feeds = os.path.join(REPO, "assets", "feeds", "flood-2020-10")
    with open(os.path.join(feeds, "devices.json"), encoding="utf-8") as f:
        devices = json.load(f)
    seen = set()
    with open(os.path.join(feeds, "observations.jsonl"), encoding="utf-8") as f:
        for line in f:
            if not line.startswith("{"):
                continue
            message = json.loads(line)
            device = message.get("device")
            if device in seen:
                continue
            seen.add(device)
            topic = "sontinh/v1/devices/%s/observations" % device
            put("feed_message", "compact-%s" % device, topic + "\n" + line.strip())
    for d in devices:
        for stream in d.get("datastreams", [])[:1]:
            kind = d["kind"]
            result = {"water_gauge": 2.5, "sensor": 31.0, "camera": {"online": True, "snapshot_url": "/snapshots/cam.jpg"},
                      "street_light": {"on": True, "dim": 0.5, "fault": "lamp"}}.get(kind, 1.0)
            body = json.dumps({"phenomenonTime": "2020-10-17T18:00:00Z/2020-10-17T18:30:00Z", "result": result})
            put("feed_message", "sensorthings-%s" % d["id"], "v1.1/Datastreams(%s)/Observations\n%s" % (stream, body))
    put("feed_message", "request-history", '{"type":"history","from_ms":1602633600000,"to_ms":1602979200000}')
    put("feed_message", "request-history-page",
        '{"type":"history","from_ms":0,"to_ms":1602979200000,"after":{"time_ms":1602633600000,"device":"gauge-dong-ha"}}')
    put("feed_message", "server-status", '{"type":"status","broker_connected":true}')
    put("feed_message", "server-error", '{"type":"error","message":"history of 20000 observations"}')
    put("feed_message", "server-observation",
        '{"type":"observation","observation":{"device":"gauge-thach-han","time_ms":1602959400000,"reading":{"type":"water_level","level_m":7.4}}}')
    put("feed_message", "server-history",
        '{"type":"history","observations":[{"device":"gauge-thach-han","time_ms":1602959400000,"reading":{"type":"water_level","level_m":7.4}}]}')
    put("feed_message", "server-snapshot",
        '{"type":"snapshot","role":"operator","broker_connected":true,"snapshot":{"devices":%s,"latest":[],"history":[]}}'
        % json.dumps(devices[:2], ensure_ascii=False))


def main():
    if os.path.isdir(CORPUS) and "--keep" not in sys.argv:
        shutil.rmtree(CORPUS)
    os.makedirs(os.path.join(CORPUS, "scene_toml"), exist_ok=True)
    las_files()
    mesh_files()
    raster_files()
    scene_files()
    feed_files()


if __name__ == "__main__":
    main()

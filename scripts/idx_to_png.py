#!/usr/bin/env python3
"""Writes the first N images of an IDX image file (gzipped or not) as PNGs named <index>_<label>.png.

Used by `make demo` to have real Fashion-MNIST test images to run `hezar predict` on. Standard library
only, so it runs with any python3.
"""
import gzip
import struct
import sys
import zlib
from pathlib import Path


def read_idx(path):
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return dims, raw[4 + 4 * ndim:]


def png_gray(width, height, pixels):
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def main():
    images_path, labels_path, out_dir, count = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    (n, h, w), pixels = read_idx(images_path)
    _, labels = read_idx(labels_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    for i in range(min(count, n)):
        name = out_dir / f"{i:04d}_{labels[i]}.png"
        name.write_bytes(png_gray(w, h, pixels[i * h * w:(i + 1) * h * w]))
        print(name)


if __name__ == "__main__":
    main()

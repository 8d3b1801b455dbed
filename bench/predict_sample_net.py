#!/usr/bin/python3
"""Peer for hezar's predict benchmark: what a Hezar user's Python process does to classify one image.

import torch, build sample_net, torch.load the hezar-written model.pt (a torch.save zip of the state
dict) into it with load_state_dict, read the model's YAML configs (labels, preprocessing), decode the
PNG (PIL when importable, else a small stdlib decoder for 8-bit gray PNGs), preprocess exactly like
hezar's image_processor (gray scale, resize to `size`, rescale, normalize), forward, softmax, and print
`<path>\t<label> (<score>)` for each image, like `hezar predict`.

Usage: /usr/bin/python3 bench/predict_sample_net.py MODEL_DIR IMAGE.png [IMAGE.png ...]
"""
import os
import struct
import sys
import zlib

import torch
import torch.nn.functional as F

from sample_net_peer import SampleNet  # noqa: E402  (bench/ is sys.path[0])


def load_yaml(path):
    try:
        import yaml
        with open(path) as f:
            return yaml.safe_load(f)
    except ImportError:
        return parse_simple_yaml(path)


def parse_simple_yaml(path):
    """Enough YAML for hezar's flat configs: `key: scalar`, `key: [a, b]`, one level of `  k: v` maps."""
    def scalar(text):
        text = text.strip()
        if text.startswith("[") and text.endswith("]"):
            return [scalar(t) for t in text[1:-1].split(",") if t.strip()]
        for cast in (int, float):
            try:
                return cast(text)
            except ValueError:
                pass
        return {"true": True, "false": False}.get(text, text.strip("'\""))

    out, current = {}, None
    with open(path) as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, value = line.strip().partition(":")
            if line.startswith(" ") and current is not None:
                out[current][scalar(key)] = scalar(value)
            elif value.strip():
                out[key], current = scalar(value), None
            else:
                out[key], current = {}, key
    return out


def read_png_gray(path):
    """Stdlib decoder: 8-bit grayscale, non-interlaced PNGs (what scripts/idx_to_png.py writes)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color != 0 or interlace:
        raise ValueError(f"{path}: only 8-bit gray non-interlaced PNGs are supported without PIL")
    raw = zlib.decompress(b"".join(idat))
    rows, prev = [], bytearray(width)
    for y in range(height):
        start = y * (width + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + width])
        for x in range(width):
            left = row[x - 1] if x else 0
            up, upleft = prev[x], (prev[x - 1] if x else 0)
            if kind == 1:
                row[x] = (row[x] + left) & 255
            elif kind == 2:
                row[x] = (row[x] + up) & 255
            elif kind == 3:
                row[x] = (row[x] + ((left + up) >> 1)) & 255
            elif kind == 4:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else upleft)
                row[x] = (row[x] + pred) & 255
        rows.append(bytes(row))
        prev = row
    return torch.frombuffer(bytearray(b"".join(rows)), dtype=torch.uint8).reshape(height, width)


def load_image(path, size):
    """uint8 [H, W] gray image resized to `size` = [width, height]."""
    try:
        from PIL import Image
    except ImportError:
        image = read_png_gray(path)
        if list(image.shape[::-1]) != list(size):
            image = F.interpolate(image[None, None].float(), size=(size[1], size[0]), mode="bilinear",
                                  align_corners=False)[0, 0].round().clamp(0, 255).to(torch.uint8)
        return image
    import numpy as np
    image = Image.open(path).convert("L")
    if list(image.size) != list(size):
        image = image.resize(tuple(size), Image.BILINEAR)
    return torch.from_numpy(np.asarray(image).copy())


def main():
    model_dir, paths = sys.argv[1], sys.argv[2:]
    config = load_yaml(os.path.join(model_dir, "model_config.yaml"))
    pre = load_yaml(os.path.join(model_dir, "preprocessor", "image_processor_config.yaml"))
    model = SampleNet(config["num_channels"], config["num_classes"], config["input_shape"])
    model.load_state_dict(torch.load(os.path.join(model_dir, "model.pt"), map_location="cpu"))
    model.eval()
    size = pre.get("size") or config["input_shape"][::-1]
    mean = torch.tensor(pre["mean"]).view(-1, 1, 1)
    std = torch.tensor(pre["std"]).view(-1, 1, 1)
    pixels = torch.stack([(load_image(p, size).float().unsqueeze(0) * pre["rescale"] - mean) / std
                          for p in paths])
    with torch.inference_mode():
        probs = F.softmax(model(pixels), dim=-1)
    scores, ids = probs.max(dim=-1)
    for path, score, idx in zip(paths, scores.tolist(), ids.tolist()):
        print(f"{path}\t{config['id2label'][idx]} ({score:.6g})", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Peer for hezar's training-throughput benchmark: sample_net on Fashion-MNIST in PyTorch eager.

What a Hezar user's Python run does for `configs/image_classification/sample_net_fashion_mnist.yaml`:
the same LeNet-style CNN, the same gzipped IDX files (read with gzip + numpy), the same preprocessing
(x/255, then (x - 0.2860) / 0.3530), batch 64, Adam lr 0.002, a seeded shuffle every epoch, batches
assembled by torch.utils.data.Dataset + DataLoader(num_workers=0) from per-sample preprocessed tensors,
and loss.item() every step (the trainer's loss tracker).

Only the training loop is timed (from creating the epoch iterator to the last optimizer step, data
loading included), like hezar's `samples/s` progress figure.

Usage: /usr/bin/python3 bench/train_sample_net.py [--data DIR] [--max-size N] [--epochs E] [--threads T]
Prints one line: `samples/s <float> samples <int> seconds <float> loss <float> threads <int>`.
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from sample_net_peer import SampleNet  # noqa: E402  (bench/ is sys.path[0])

MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class FashionMnist(Dataset):
    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        pixels = torch.from_numpy(self.images[index].astype(np.float32))  # [H, W]
        pixels = (pixels * (1.0 / 255.0) - MEAN) / STD
        return {"pixel_values": pixels.unsqueeze(0),  # [1, H, W]
                "labels": torch.tensor(int(self.labels[index]), dtype=torch.long)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--max-size", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.002)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "0") or 0))
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))
    if args.max_size:
        images, labels = images[:args.max_size], labels[:args.max_size]
    dataset = FashionMnist(images, labels)
    generator = torch.Generator().manual_seed(args.seed)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=0, generator=generator)

    model = SampleNet(1, 10, images.shape[1:])
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    model.train()

    samples, loss_sum, steps, seconds = 0, 0.0, 0, 0.0
    for _ in range(args.epochs):
        loss_sum, steps = 0.0, 0
        start = time.perf_counter()
        for batch in loader:
            optimizer.zero_grad()
            logits = model(batch["pixel_values"])
            loss = F.cross_entropy(logits, batch["labels"])
            loss.backward()
            optimizer.step()
            loss_sum += loss.item()
            steps += 1
            samples += batch["labels"].shape[0]
        seconds += time.perf_counter() - start
    print(f"samples/s {samples / seconds:.1f} samples {samples} seconds {seconds:.3f} "
          f"loss {loss_sum / max(steps, 1):.4f} threads {torch.get_num_threads()}", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Peer for hezar's distributed benchmark: bench/train_sample_net.py under PyTorch DistributedDataParallel.

Same model, data, preprocessing and optimizer; torch.distributed with the gloo backend (env:// rendezvous:
RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), DDP with its default 25 MB buckets, and a DistributedSampler
(each rank gets batch_size examples of every global batch). Only the training loop is timed; rank 0
prints `samples/s <global samples/s> samples <global> seconds <s> loss <rank 0's mean> world <W>`.

Usage (one process per rank):
  RANK=r WORLD_SIZE=W MASTER_ADDR=127.0.0.1 MASTER_PORT=P /usr/bin/python3 bench/train_sample_net_ddp.py [--max-size N] [--batch-size B]
"""
import argparse
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_sample_net import FashionMnist, SampleNet, read_idx  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--max-size", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=32, help="per rank")
    ap.add_argument("--lr", type=float, default=0.002)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "0") or 0))
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)

    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))
    if args.max_size:
        images, labels = images[:args.max_size], labels[:args.max_size]
    dataset = FashionMnist(images, labels)
    sampler = DistributedSampler(dataset, shuffle=True, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler, num_workers=0)

    model = DistributedDataParallel(SampleNet(1, 10, images.shape[1:]))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    model.train()
    sampler.set_epoch(0)
    dist.barrier()
    samples, loss_sum, steps = 0, 0.0, 0
    start = time.perf_counter()
    for batch in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(batch["pixel_values"]), batch["labels"])
        loss.backward()
        optimizer.step()
        loss_sum += loss.item()
        steps += 1
        samples += batch["labels"].shape[0]
    dist.barrier()
    seconds = time.perf_counter() - start
    total = torch.tensor([samples])
    dist.all_reduce(total)
    if rank == 0:
        print(f"samples/s {total.item() / seconds:.1f} samples {total.item()} seconds {seconds:.3f} "
              f"loss {loss_sum / max(steps, 1):.4f} world {world}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()

"""The PyTorch-eager peer of bench/bert_bench.cc: the same BERT-base text classifier (Hugging Face
BertForSequenceClassification's architecture and math, written out in torch.nn as transformers 4.31 does, with
HF's parameter names) on Debian's python3-torch, loading the SAME model.safetensors that hezar saved, fp32.
bench/bert_ort_export.py exports this module to ONNX for the ONNX Runtime peer.

Debian's python3 has no Hugging Face tokenizer, so this peer is given the token ids (TOKENS_JSON, written by
bench/bert_ort.js with the npm tokenizers binding from the model's preprocessor/tokenizer.json) and times
forward -> logits only; hezar and ONNX Runtime also tokenize inside the timed region.

usage: /usr/bin/python3 bench/bert_peer.py MODEL_DIR TOKENS_JSON THREADS [LATENCY_REPS BATCH_REPS]
Prints `key value...` lines like bert_bench: latency_b1_s128_ms, throughput_b32_s128_seq_per_s, logits_b1, logits_b32.
"""
import json
import math
import os
import resource
import statistics
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

H, LAYERS, HEADS, FFN, VOCAB, MAX_POS, TYPES, EPS, LABELS = 768, 12, 12, 3072, 42000, 512, 2, 1e-12, 2


def group(**children):
    """A plain module that only gives its children their HF dotted path (attention.self.query, ...)."""
    module = nn.Module()
    for name, child in children.items():
        module.add_module(name, child)
    return module


class Embeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, H, padding_idx=0)
        self.position_embeddings = nn.Embedding(MAX_POS, H)
        self.token_type_embeddings = nn.Embedding(TYPES, H)
        self.LayerNorm = nn.LayerNorm(H, eps=EPS)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(MAX_POS).expand((1, -1)), persistent=False)

    def forward(self, input_ids, token_type_ids):
        positions = self.position_ids[:, : input_ids.size(1)]
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = group(self=group(query=nn.Linear(H, H), key=nn.Linear(H, H), value=nn.Linear(H, H)),
                               output=group(dense=nn.Linear(H, H), LayerNorm=nn.LayerNorm(H, eps=EPS)))
        self.intermediate = group(dense=nn.Linear(H, FFN))
        self.output = group(dense=nn.Linear(FFN, H), LayerNorm=nn.LayerNorm(H, eps=EPS))
        self.dropout, self.act = nn.Dropout(0.1), nn.GELU()

    @staticmethod
    def heads(x):
        return x.view(x.size()[:-1] + (HEADS, H // HEADS)).permute(0, 2, 1, 3)

    def self_attention(self, x, mask):
        s = self.attention.self
        q, k, v = self.heads(s.query(x)), self.heads(s.key(x)), self.heads(s.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(H // HEADS) + mask
        probs = self.dropout(nn.functional.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (H,))

    def forward(self, x, mask):
        out = self.attention.output
        h = out.LayerNorm(self.dropout(out.dense(self.self_attention(x, mask))) + x)
        ffn = self.output.dense(self.act(self.intermediate.dense(h)))
        return self.output.LayerNorm(self.dropout(ffn) + h)


class BertClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.bert = group(embeddings=Embeddings(), encoder=group(layer=nn.ModuleList([Layer() for _ in range(LAYERS)])),
                          pooler=group(dense=nn.Linear(H, H)))
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(H, LABELS)

    def forward(self, input_ids, attention_mask, token_type_ids):
        mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        x = self.bert.embeddings(input_ids, token_type_ids)
        for layer in self.bert.encoder.layer:
            x = layer(x, mask)
        pooled = torch.tanh(self.bert.pooler.dense(x[:, 0]))
        return self.classifier(self.dropout(pooled))


def read_safetensors(path):
    """{name: tensor} of a safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        data = f.read()
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        dtype = np.dtype(dtypes[meta["dtype"]])
        array = np.frombuffer(data, dtype=dtype, count=(end - start) // dtype.itemsize, offset=start)
        tensors[name] = torch.from_numpy(array.reshape(meta["shape"]).copy())
    return tensors


def load_model(model_dir):
    model = BertClassifier().eval()
    model.load_state_dict(read_safetensors(model_dir + "/model.safetensors"), strict=True)
    return model


def cpu_sample():
    """(busy, total) CPU seconds of the whole machine (/proc/stat) and this process's CPU seconds."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (sum(ticks) - ticks[3] - ticks[4]) / hz, sum(ticks) / hz, usage.ru_utime + usage.ru_stime


def timed(key, fn, warmup, reps, max_foreign=10.0):
    """As bert_bench's timed(): repetitions count while other processes use <= max_foreign % of the CPUs
    (at most 4 x reps attempts); prints `key median_ms clean K of N` and returns the median."""
    for _ in range(warmup):
        fn()
    clean, every = [], []
    while len(every) < 4 * reps and len(clean) < reps:
        busy0, total0, own0 = cpu_sample()
        start = time.perf_counter()
        fn()
        ms = (time.perf_counter() - start) * 1000
        busy1, total1, own1 = cpu_sample()
        every.append(ms)
        if 100 * max(0.0, (busy1 - busy0) - (own1 - own0)) / max(total1 - total0, 1e-9) <= max_foreign:
            clean.append(ms)
    median = statistics.median(clean or every)
    print(key, median, "clean", len(clean), "of", len(every))
    return median


def batch(tokens, key):
    b = tokens[key]
    return tuple(torch.tensor(b[k], dtype=torch.long) for k in ("input_ids", "attention_mask", "token_type_ids"))


def main():
    model_dir, tokens_path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    latency_reps = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    batch_reps = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    torch.set_num_threads(threads)
    model = load_model(model_dir)
    with open(tokens_path) as f:
        tokens = json.load(f)
    print("load_peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("threads", torch.get_num_threads())
    one, big = batch(tokens, "b1"), batch(tokens, "b32")
    with torch.inference_mode():
        timed("latency_b1_s128_ms", lambda: model(*one), 3, latency_reps)
        print("throughput_b32_s128_seq_per_s",
              len(big[0]) * 1000.0 / timed("batch_b32_s128_ms", lambda: model(*big), 1, batch_reps))
        print("logits_b1", " ".join(f"{v:.7g}" for v in model(*one).flatten().tolist()))
        print("logits_b32", " ".join(f"{v:.7g}" for v in model(*big).flatten().tolist()))


if __name__ == "__main__":
    main()

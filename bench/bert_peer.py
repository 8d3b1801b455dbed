"""The peer of bench/bert_bench.cc: the same BERT-base text classifier (Hugging Face BertForSequenceClassification's
architecture and math, written out in torch.nn as transformers 4.31 does) in PyTorch eager on Debian's
python3-torch, random weights, fp32. Prints `key value` lines: latency at batch 1 x 128 and throughput at
batch 32 x 128 (median of repetitions after warm-up), and the peak RSS after building the model.

usage: /usr/bin/python3 bench/bert_peer.py THREADS [LATENCY_REPS BATCH_REPS]
"""
import math
import resource
import statistics
import sys
import time

import torch
from torch import nn

H, LAYERS, HEADS, FFN, VOCAB, MAX_POS, TYPES, EPS = 768, 12, 12, 3072, 42000, 512, 2, 1e-12


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


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.dropout = nn.Dropout(0.1)

    def heads(self, x):
        return x.view(x.size()[:-1] + (HEADS, H // HEADS)).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(H // HEADS) + mask
        probs = self.dropout(nn.functional.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (H,))


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = SelfAttention()
        self.attn_dense, self.attn_norm = nn.Linear(H, H), nn.LayerNorm(H, eps=EPS)
        self.intermediate, self.output = nn.Linear(H, FFN), nn.Linear(FFN, H)
        self.out_norm, self.dropout = nn.LayerNorm(H, eps=EPS), nn.Dropout(0.1)
        self.act = nn.GELU()

    def forward(self, x, mask):
        h = self.attn_norm(self.dropout(self.attn_dense(self.attention(x, mask))) + x)
        return self.out_norm(self.dropout(self.output(self.act(self.intermediate(h)))) + h)


class BertClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = Embeddings()
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])
        self.pooler = nn.Linear(H, H)
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(H, 2)

    def forward(self, input_ids, attention_mask, token_type_ids):
        mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        x = self.embeddings(input_ids, token_type_ids)
        for layer in self.layers:
            x = layer(x, mask)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return self.classifier(self.dropout(pooled))


def time_forward(model, inputs, warmup, reps):
    for _ in range(warmup):
        model(*inputs)
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        model(*inputs)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def batch(size, length):
    torch.manual_seed(0)
    return (torch.randint(5, 30000, (size, length)), torch.ones(size, length, dtype=torch.long),
            torch.zeros(size, length, dtype=torch.long))


def main():
    torch.set_num_threads(int(sys.argv[1]))
    model = BertClassifier().eval()
    print("build_peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("threads", torch.get_num_threads())
    with torch.inference_mode():
        latency_reps = int(sys.argv[2]) if len(sys.argv) > 2 else 30
        batch_reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
        latency = time_forward(model, batch(1, 128), 3, latency_reps)
        print("latency_b1_s128_ms", latency)
        big = time_forward(model, batch(32, 128), 1, batch_reps)
        print("throughput_b32_s128_seq_per_s", 32 * 1000.0 / big)


if __name__ == "__main__":
    main()

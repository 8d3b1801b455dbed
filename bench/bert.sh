#!/usr/bin/env bash
# BERT-base forward, hezar vs PyTorch eager (bench/bert_peer.py: the same architecture in torch.nn on
# Debian's python3-torch, same libtorch and BLAS), fp32, random weights, BENCH_BERT_THREADS threads (default 2)
# on both sides:
#   latency, batch 1 x seq 128 (median ms)            target: hezar >= 1.3x faster
#   throughput, batch 32 x seq 128 (sequences/s)      target: hezar >= 1.3x
#   peak RSS while loading model.safetensors          target: <= 1.2 x weight bytes + 200 MB
# Run from the repo root after `bazel build //bench:bert_bench`. Appends a section to bench/RESULTS.md.
# Knobs: BENCH_BERT_THREADS, BENCH_BERT_ROUNDS (alternating hezar/peer rounds, default 2),
# BENCH_BERT_LATENCY_REPS (10), BENCH_BERT_BATCH_REPS (2), BENCH_RESULTS.
set -euo pipefail

BIN=${BERT_BENCH:-bazel-bin/bench/bert_bench}
PY=/usr/bin/python3
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
THREADS=${BENCH_BERT_THREADS:-2}
ROUNDS=${BENCH_BERT_ROUNDS:-2}
LAT_REPS=${BENCH_BERT_LATENCY_REPS:-10}
BATCH_REPS=${BENCH_BERT_BATCH_REPS:-2}
[[ -x $BIN ]] || bazel build //bench:bert_bench
[[ -x $BIN ]] || { echo "bench: $BIN is missing; run 'bazel build //bench:bert_bench'" >&2; exit 1; }
export OMP_NUM_THREADS=$THREADS

DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WEIGHT_BYTES=$("$BIN" save "$DIR/model" | awk '$1 == "weights_bytes" {print $2}')
LOAD_RSS=$("$BIN" load "$DIR/model" "$THREADS" | awk '$1 == "load_peak_rss_mb" {print $2}')

get() { awk -v k="$1" '$1 == k {print $2}' <<<"$2"; }
H_LAT=() H_TP=() P_LAT=() P_TP=()
for ((round = 0; round < ROUNDS; ++round)); do
  out=$("$BIN" run "$DIR/model" "$THREADS" "$LAT_REPS" "$BATCH_REPS")
  H_LAT+=("$(get latency_b1_s128_ms "$out")") H_TP+=("$(get throughput_b32_s128_seq_per_s "$out")")
  out=$($PY bench/bert_peer.py "$THREADS" "$LAT_REPS" "$BATCH_REPS")
  P_LAT+=("$(get latency_b1_s128_ms "$out")") P_TP+=("$(get throughput_b32_s128_seq_per_s "$out")")
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

report=$($PY - "$WEIGHT_BYTES" "$LOAD_RSS" "${H_LAT[*]}" "${P_LAT[*]}" "${H_TP[*]}" "${P_TP[*]}" <<'PYEOF'
import statistics, sys
wb, rss = int(sys.argv[1]), float(sys.argv[2])
hl, pl, ht, pt = ([float(x) for x in a.split()] for a in sys.argv[3:7])
def fmt(v): return " ".join(f"{x:.1f}" if x >= 10 else f"{x:.2f}" for x in v)
ml, mpl, mt, mpt = map(statistics.median, (hl, pl, ht, pt))
def verdict(r): return "met" if r >= 1.3 else "NOT met"
budget = 1.2 * wb / 2**20 + 200
print(f"| latency b1 x s128, ms, median of rounds (hezar {fmt(hl)}; peer {fmt(pl)}) | {ml:.1f} | {mpl:.1f} | {mpl / ml:.2f}x faster | >= 1.3x | {verdict(mpl / ml)} |")
print(f"| throughput b32 x s128, seq/s, median of rounds (hezar {fmt(ht)}; peer {fmt(pt)}) | {mt:.2f} | {mpt:.2f} | {mt / mpt:.2f}x | >= 1.3x | {verdict(mt / mpt)} |")
print(f"| peak RSS loading model.safetensors ({wb / 2**20:.0f} MiB of weights), MB | {rss:.0f} | - | budget {budget:.0f} | <= 1.2x weights + 200 MB | {'met' if rss <= budget else 'NOT met'} |")
PYEOF
)
echo "$report"
{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M') UTC — BERT-base forward (bench/bert.sh)"
  echo
  echo "- model: bert_text_classification with Hezar's default BERT-base config (12 layers, hidden 768, vocab 42000), random weights, fp32, eval, inference mode"
  echo "- peer: bench/bert_peer.py, the same architecture in torch.nn eager (transformers' BertModel math), $($PY -c 'import torch; print("torch", torch.__version__)')"
  echo "- threads: $THREADS on both sides (OMP_NUM_THREADS and torch.set_num_threads); $ROUNDS alternating rounds, $LAT_REPS latency / $BATCH_REPS batch repetitions each"
  echo "- load average before/after: $LOAD_BEFORE / $LOAD_AFTER (2-vCPU machine shared with other jobs: 2-thread numbers swing up to 10x when a core is busy)"
  echo
  echo "| benchmark | hezar | peer | ratio | target | result |"
  echo "|---|---|---|---|---|---|"
  echo "$report"
} >>"$RESULTS"
echo "bench: appended BERT results to $RESULTS"

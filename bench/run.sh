#!/usr/bin/env bash
# hezar vs its peer (Debian's python3-torch 1.13 run by /usr/bin/python3, i.e. what a Hezar user's Python
# run costs). Run from the repo root after `bazel build //cli:hezar` (`make bench` does both).
#
#   1. training throughput: `hezar train` on Fashion-MNIST (sample_net config, 1 epoch) vs
#      bench/train_sample_net.py (same model/data/preprocessing/batch/optimizer in PyTorch eager with
#      Dataset + DataLoader(num_workers=0)); samples/s of the training loop.       target: hezar >= 1.2x
#   2. predict, time to first output: `hezar predict MODEL img.png` vs bench/predict_sample_net.py;
#      whole-process wall time, median.                                              target: hezar <= 0.2x
#   3. peak RSS of those two processes (/usr/bin/time -v), reported only.
#
# Prints one line per benchmark and appends a dated section to bench/RESULTS.md.
# Knobs (environment): BENCH_THREADS (default nproc; exported as OMP_NUM_THREADS to both sides),
# BENCH_EXTRA_THREADS (extra training row at this thread count, default 1, empty to skip),
# BENCH_TRAIN_N (default 60000 = full train split), BENCH_TRAIN_REPS (3), BENCH_PREDICT_REPS (5),
# BENCH_TRAIN_BUDGET_S (180: no new training repetition starts after this), BENCH_QUIET_WAIT_S (60: total
# seconds the script may wait for other processes to leave the CPUs idle before a measurement; on a
# shared 2-core machine one busy core makes a 2-thread OpenMP run up to 10x slower, on both sides),
# HEZAR, BENCH_RESULTS.
set -euo pipefail

HEZAR=${HEZAR:-bazel-bin/cli/hezar}
PY=/usr/bin/python3
CONFIG=configs/image_classification/sample_net_fashion_mnist.yaml
DATA=/usr/share/datasets/fashion-mnist
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
THREADS=${BENCH_THREADS:-$(nproc)}
EXTRA_THREADS=${BENCH_EXTRA_THREADS-1}
TRAIN_N=${BENCH_TRAIN_N:-60000}
TRAIN_REPS=${BENCH_TRAIN_REPS:-3}
PREDICT_REPS=${BENCH_PREDICT_REPS:-5}
TRAIN_BUDGET_S=${BENCH_TRAIN_BUDGET_S:-180}
QUIET_WAIT_S=${BENCH_QUIET_WAIT_S:-60}

[[ -x $HEZAR ]] || { echo "bench: $HEZAR is missing; run 'bazel build //cli:hezar' (or 'make bench')" >&2; exit 1; }
[[ -f $CONFIG && -f bench/train_sample_net.py ]] || { echo "bench: run from the repo root" >&2; exit 1; }
$PY -c 'import torch, numpy' 2>/dev/null || { echo "bench: $PY cannot import torch+numpy (apt-get install python3-torch)" >&2; exit 1; }
[[ -f $DATA/train-images-idx3-ubyte.gz ]] || { echo "bench: $DATA missing (apt-get install dataset-fashion-mnist)" >&2; exit 1; }
[[ $EXTRA_THREADS == "$THREADS" ]] && EXTRA_THREADS=""

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hezar-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
START_S=$SECONDS
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

median() { $PY -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.1f}")' "$@"; }
maxof() { $PY -c 'import sys; print(f"{max(float(x) for x in sys.argv[1:]):.1f}")' "$@"; }
ratio() { $PY -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "$1" "$2"; }
# Whole-machine CPU use in percent over one second (from /proc/stat).
cpu_busy_pct() {
  local u n s i w q sq st t1 i1
  read -r _ u n s i w q sq st _ </proc/stat; t1=$((u + n + s + i + w + q + sq + st)); i1=$((i + w))
  sleep 1
  read -r _ u n s i w q sq st _ </proc/stat
  echo $((100 * ((u + n + s + i + w + q + sq + st - t1) - (i + w - i1)) / (u + n + s + i + w + q + sq + st - t1)))
}
# Waits (within the QUIET_WAIT_S total) until other processes use at most 15% of the CPUs; counts the
# measurements that had to start on a busy machine anyway.
QUIET_WAITED=0 BUSY_STARTS=0 QUIET_CHECKS=0
wait_quiet() {
  QUIET_CHECKS=$((QUIET_CHECKS + 1))
  while (($(cpu_busy_pct) > 15)); do
    if ((QUIET_WAITED >= QUIET_WAIT_S)); then BUSY_STARTS=$((BUSY_STARTS + 1)); return 0; fi
    QUIET_WAITED=$((QUIET_WAITED + 1))
  done
}
verdict() {  # verdict VALUE OP TARGET
  $PY -c 'import sys; v,op,t=float(sys.argv[1]),sys.argv[2],float(sys.argv[3]); print("met" if (v>=t if op==">=" else v<=t) else "NOT met")' "$@"
}

# --- 1. training throughput -------------------------------------------------------------------
hezar_train() {  # hezar_train THREADS -> samples/s of the epoch's final progress line
  local out="$TMP/train-hezar" log="$TMP/train-hezar.log"
  rm -rf "$out"
  OMP_NUM_THREADS=$1 "$HEZAR" train "$CONFIG" --output-dir "$out" --set trainer.num_epochs=1 \
    --set "dataset.max_size=$TRAIN_N" --set trainer.do_evaluate=false >"$log" 2>&1 ||
    { cat "$log" >&2; echo "bench: hezar train failed" >&2; exit 1; }
  grep -E '^epoch 1/1 ' "$log" | tail -1 | grep -oE '[0-9.]+ samples/s' | cut -d' ' -f1
}
peer_train() {
  local line
  line=$(OMP_NUM_THREADS=$1 $PY bench/train_sample_net.py --data "$DATA" --max-size "$TRAIN_N" --threads "$1")
  echo "$line" >"$TMP/train-peer.log"
  awk '{print $2}' <<<"$line"
}

declare -A TRAIN_H TRAIN_P TRAIN_RUNS
train_bench() {  # train_bench THREADS
  local t=$1 h=() p=() r
  for ((r = 1; r <= TRAIN_REPS; r++)); do
    if ((r > 1 && SECONDS - START_S > TRAIN_BUDGET_S)); then
      echo "bench: time budget reached, stopping training repetitions at $((r - 1))" >&2
      break
    fi
    if ((r % 2)); then
      wait_quiet; h+=("$(hezar_train "$t")"); wait_quiet; p+=("$(peer_train "$t")")
    else
      wait_quiet; p+=("$(peer_train "$t")"); wait_quiet; h+=("$(hezar_train "$t")")
    fi
  done
  TRAIN_H[$t]="$(median "${h[@]}") $(maxof "${h[@]}") ${h[*]}"
  TRAIN_P[$t]="$(median "${p[@]}") $(maxof "${p[@]}") ${p[*]}"
  TRAIN_RUNS[$t]=${#h[@]}
}

for t in $THREADS $EXTRA_THREADS; do
  train_bench "$t"
  read -r hm hb hall <<<"${TRAIN_H[$t]}"
  read -r pm pb pall <<<"${TRAIN_P[$t]}"
  printf 'train samples/s (%s threads, N=%s, median of %s): hezar %s  peer %s  ratio %sx (target >= 1.2x)  [best: %s vs %s = %sx]\n' \
    "$t" "$TRAIN_N" "${TRAIN_RUNS[$t]}" "$hm" "$pm" "$(ratio "$hm" "$pm")" "$hb" "$pb" "$(ratio "$hb" "$pb")"
done

# --- 2./3. predict: time to first output and peak RSS --------------------------------------------
MODEL="$TMP/model"
OMP_NUM_THREADS=$THREADS "$HEZAR" -q train "$CONFIG" --output-dir "$MODEL" --set trainer.num_epochs=1 \
  --set dataset.max_size=2000 --set trainer.do_evaluate=false >"$TMP/model-train.log" 2>&1 ||
  { cat "$TMP/model-train.log" >&2; echo "bench: training the predict model failed" >&2; exit 1; }
$PY scripts/idx_to_png.py "$DATA/t10k-images-idx3-ubyte.gz" "$DATA/t10k-labels-idx1-ubyte.gz" "$TMP/images" 1 >/dev/null
IMAGE=$(ls "$TMP"/images/*.png | head -1)
wait_quiet
PRED=$(OMP_NUM_THREADS=$THREADS $PY bench/measure.py "$PREDICT_REPS" 1 \
  hezar -- "$HEZAR" predict "$MODEL" "$IMAGE" --- \
  peer -- $PY bench/predict_sample_net.py "$MODEL" "$IMAGE" 2>"$TMP/predict.log") ||
  { cat "$TMP/predict.log" >&2; exit 1; }
field() { awk -v who="$1" -v key="$2" '$1 == who { for (i = 2; i < NF; i += 2) if ($i == key) print $(i + 1) }' <<<"$PRED"; }
HW=$(field hezar wall_median_s); PW=$(field peer wall_median_s)
HWMIN=$(field hezar wall_min_s); PWMIN=$(field peer wall_min_s)
HR=$(field hezar rss_median_kb); PR=$(field peer rss_median_kb)
HW_MS=$($PY -c "print(f'{$HW*1000:.0f}')"); PW_MS=$($PY -c "print(f'{$PW*1000:.0f}')")
HR_MB=$($PY -c "print(f'{$HR/1024:.0f}')"); PR_MB=$($PY -c "print(f'{$PR/1024:.0f}')")
printf 'predict wall ms (1 image, median of %s): hezar %s  peer %s  ratio %sx (target <= 0.2x)  [best: %.0f vs %.0f]\n' \
  "$PREDICT_REPS" "$HW_MS" "$PW_MS" "$(ratio "$HW" "$PW")" "$($PY -c "print($HWMIN*1000)")" "$($PY -c "print($PWMIN*1000)")"
printf 'predict peak RSS MB: hezar %s  peer %s  ratio %sx (no target)\n' "$HR_MB" "$PR_MB" "$(ratio "$HR" "$PR")"
sed 's/^/  /' "$TMP/predict.log"

# --- RESULTS.md ---------------------------------------------------------------------------------
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
TORCH_VERSION=$($PY -c 'import torch; print(torch.__version__)')
TORCH_DEB=$(dpkg-query -W -f='${Version}' python3-torch 2>/dev/null || echo "?")
HAVE_PIL=$($PY -c 'import PIL; print("PIL", PIL.__version__)' 2>/dev/null || echo "stdlib PNG decoder")
[[ -f $RESULTS ]] || printf '# hezar benchmark results\n\nAppended by `bench/run.sh` (`make bench`); newest last.\n' >"$RESULTS"
{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), nproc $(nproc)"
  echo "- peer: /usr/bin/python3 torch $TORCH_VERSION (Debian python3-torch $TORCH_DEB), image decoding: $HAVE_PIL"
  echo "- BLAS: $(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu)"
  echo "- threads: OMP_NUM_THREADS=$THREADS for both sides (peer also torch.set_num_threads)${EXTRA_THREADS:+; extra training row at $EXTRA_THREADS}"
  echo "- hezar training uses the config as shipped (trainer.num_dataloader_workers=$(grep -oE 'num_dataloader_workers: *[0-9]+' "$CONFIG" | grep -oE '[0-9]+$')), eval disabled; peer DataLoader(num_workers=0)"
  echo "- load average before/after: $LOAD_BEFORE / $LOAD_AFTER; run took $((SECONDS - START_S)) s; waited ${QUIET_WAITED} s for idle CPUs; $BUSY_STARTS of $QUIET_CHECKS measurements started with other processes using > 15% CPU"
  echo
  echo "| benchmark | hezar | peer | hezar/peer | target | result |"
  echo "|---|---|---|---|---|---|"
  for t in $THREADS $EXTRA_THREADS; do
    read -r hm hb hall <<<"${TRAIN_H[$t]}"
    read -r pm pb pall <<<"${TRAIN_P[$t]}"
    target=">= 1.2x"; result=$(verdict "$(ratio "$hm" "$pm")" ">=" 1.2)
    [[ $t != "$THREADS" ]] && { target="(extra row)"; result="-"; }
    echo "| train samples/s, $t thr, N=$TRAIN_N, median of ${TRAIN_RUNS[$t]} (runs: hezar $hall; peer $pall) | $hm | $pm | $(ratio "$hm" "$pm")x | $target | $result |"
  done
  echo "| predict 1 PNG, wall ms, median of $PREDICT_REPS | $HW_MS | $PW_MS | $(ratio "$HW" "$PW")x | <= 0.2x | $(verdict "$(ratio "$HW" "$PW")" "<=" 0.2) |"
  echo "| predict peak RSS MB, median | $HR_MB | $PR_MB | $(ratio "$HR" "$PR")x | none | - |"
} >>"$RESULTS"
echo "bench: appended results to $RESULTS ($((SECONDS - START_S)) s)"

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
#
# The machine may be shared: on 2 cores one busy neighbour makes a 2-thread OpenMP run up to 10x
# slower, whichever side it hits. So every run records how much CPU *other* processes used during it
# (bench/measure.py); runs where that exceeds BENCH_MAX_FOREIGN_PCT are "busy", shown in the table and
# left out of the medians (unless no run was clean, which the verdict then says). Before each run the
# script waits (BENCH_QUIET_WAIT_S in total) for idle CPUs, and a run is killed after
# BENCH_RUN_TIMEOUT_S, so the whole run stays near 5 minutes even on a loaded machine.
#
# Knobs (environment): BENCH_THREADS (default: libtorch's own default, which both hezar and the peer use
# when not told otherwise -- one per physical core, 1 on this project's 2-vCPU VMs; exported as
# OMP_NUM_THREADS to both sides), BENCH_EXTRA_THREADS (extra training row at this thread count, default
# nproc, empty to skip),
# BENCH_TRAIN_N (60000 = full train split), BENCH_TRAIN_REPS (3 clean runs a side), BENCH_PREDICT_REPS (5),
# BENCH_TRAIN_BUDGET_S (100: no new training attempt after this many seconds from the start),
# BENCH_EXTRA_BUDGET_S (40, the same counted from the extra row's start; skipped after 200 s), BENCH_RUN_TIMEOUT_S (45), BENCH_QUIET_WAIT_S (30),
# BENCH_MAX_FOREIGN_PCT (10), HEZAR (binary), BENCH_RESULTS (output file).
set -euo pipefail

HEZAR=${HEZAR:-bazel-bin/cli/hezar}
PY=/usr/bin/python3
CONFIG=configs/image_classification/sample_net_fashion_mnist.yaml
DATA=/usr/share/datasets/fashion-mnist
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
THREADS=${BENCH_THREADS:-$(env -u OMP_NUM_THREADS $PY -c 'import torch; print(torch.get_num_threads())' 2>/dev/null || nproc)}
EXTRA_THREADS=${BENCH_EXTRA_THREADS-$(nproc)}
TRAIN_N=${BENCH_TRAIN_N:-60000}
TRAIN_REPS=${BENCH_TRAIN_REPS:-3}
PREDICT_REPS=${BENCH_PREDICT_REPS:-5}
TRAIN_BUDGET_S=${BENCH_TRAIN_BUDGET_S:-100}
EXTRA_BUDGET_S=${BENCH_EXTRA_BUDGET_S:-40}
RUN_TIMEOUT_S=${BENCH_RUN_TIMEOUT_S:-45}
QUIET_WAIT_S=${BENCH_QUIET_WAIT_S:-30}
MAX_FOREIGN=${BENCH_MAX_FOREIGN_PCT:-10}

[[ -x $HEZAR ]] || { echo "bench: $HEZAR is missing; run 'bazel build //cli:hezar' (or 'make bench')" >&2; exit 1; }
[[ -f $CONFIG && -f bench/train_sample_net.py ]] || { echo "bench: run from the repo root" >&2; exit 1; }
$PY -c 'import torch, numpy' 2>/dev/null || { echo "bench: $PY cannot import torch+numpy (apt-get install python3-torch)" >&2; exit 1; }
[[ -f $DATA/train-images-idx3-ubyte.gz ]] || { echo "bench: $DATA missing (apt-get install dataset-fashion-mnist)" >&2; exit 1; }
[[ $EXTRA_THREADS == "$THREADS" ]] && EXTRA_THREADS=""
source bench/blas_env.sh  # the same OpenBLAS kernels for hezar and the peer

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hezar-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
START_S=$SECONDS
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

median() { $PY -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.1f}")' "$@"; }
maxof() { $PY -c 'import sys; print(f"{max(float(x) for x in sys.argv[1:]):.1f}")' "$@"; }
ratio() { $PY -c 'import sys; a,b=map(float,sys.argv[1:]); print(f"{a / b:.2f}" if a and b else "n/a")' "$1" "$2"; }
rx() { local r; r=$(ratio "$1" "$2"); [[ $r == n/a ]] && echo "$r" || echo "${r}x"; }  # "1.05x" or "n/a"
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
  $PY -c 'import sys; v,op,t=sys.argv[1:]
if v == "n/a": print("no result (every run timed out)"); sys.exit()
v,t=float(v),float(t); print("met" if (v>=t if op==">=" else v<=t) else "NOT met")' "$@"
}

# --- 1. training throughput -------------------------------------------------------------------
# One measured run; prints "SAMPLES_PER_S FOREIGN_PCT" (FOREIGN_PCT: other processes' share of the
# CPUs meanwhile), or "timeout 100" for a run killed after RUN_TIMEOUT_S.
train_once() {  # train_once hezar|peer THREADS
  local log="$TMP/train-$1.log" cmd m v
  rm -rf "$TMP/train-out"
  if [[ $1 == hezar ]]; then
    cmd=("$HEZAR" train "$CONFIG" --output-dir "$TMP/train-out" --set trainer.num_epochs=1
      --set "dataset.max_size=$TRAIN_N" --set trainer.do_evaluate=false)
  else
    cmd=($PY bench/train_sample_net.py --data "$DATA" --max-size "$TRAIN_N" --threads "$2")
  fi
  m=$(OMP_NUM_THREADS=$2 $PY bench/measure.py once "$log" "$RUN_TIMEOUT_S" -- "${cmd[@]}") ||
    { cat "$log" >&2; echo "bench: $1 training failed" >&2; exit 1; }
  if [[ $(awk '{print $10}' <<<"$m") == 1 ]]; then echo "timeout 100"; return; fi
  if [[ $1 == hezar ]]; then v=$(grep -E '^epoch 1/1 ' "$log" | tail -1 | grep -oE '[0-9.]+ samples/s' | cut -d' ' -f1)
  else v=$(awk '$1 == "samples/s" {print $2}' "$log"); fi
  [[ -n $v ]] || { cat "$log" >&2; echo "bench: no samples/s in $1's output" >&2; exit 1; }
  echo "$v $(awk '{print $6}' <<<"$m")"
}

# Alternates hezar and peer runs until each has TRAIN_REPS clean runs (other processes below
# MAX_FOREIGN % of the CPUs), 3 x TRAIN_REPS attempts or the deadline (after at least one run each).
declare -A ROW
train_bench() {  # train_bench THREADS DEADLINE_S
  local t=$1 deadline=$2 a side v f
  local -A clean=([hezar]="" [peer]="") all=([hezar]="" [peer]="") shown=([hezar]="" [peer]="")
  for ((a = 0; a < 3 * TRAIN_REPS; a++)); do
    local done_all=1
    for side in hezar peer; do (($(wc -w <<<"${clean[$side]}") >= TRAIN_REPS)) || done_all=0; done
    ((done_all)) && break
    if ((SECONDS - START_S > deadline)) && { [[ -n ${all[hezar]} && -n ${all[peer]} ]] || ((a >= 2)); }; then
      echo "bench: time budget reached after $a training attempts at $t threads" >&2
      break
    fi
    local timeouts=0
    for side in $( ((a % 2)) && echo peer hezar || echo hezar peer); do
      (($(wc -w <<<"${clean[$side]}") >= TRAIN_REPS)) && continue
      wait_quiet
      read -r v f <<<"$(train_once "$side" "$t")"
      if [[ $v == timeout ]]; then shown[$side]+=" timeout(${RUN_TIMEOUT_S}s)"; timeouts=$((timeouts + 1)); continue; fi
      all[$side]+=" $v"
      shown[$side]+=" ${v%.*}"
      if $PY -c "import sys; sys.exit(0 if $f <= $MAX_FOREIGN else 1)"; then clean[$side]+=" $v"
      else shown[$side]+="(busy:${f%.*}%)"; fi
    done
    if ((timeouts == 2)); then
      echo "bench: both sides timed out at $t threads: the machine is too busy for this row" >&2
      break
    fi
  done
  for side in hezar peer; do
    # median and best of all completed runs, the same of the clean ones ("0 0" when there are none),
    # #clean, #completed, the runs as shown
    local stats="0 0" cstats="0 0"
    # shellcheck disable=SC2086
    [[ -n ${all[$side]} ]] && stats="$(median ${all[$side]}) $(maxof ${all[$side]})"
    # shellcheck disable=SC2086
    [[ -n ${clean[$side]} ]] && cstats="$(median ${clean[$side]}) $(maxof ${clean[$side]})"
    ROW[$t,$side]="$stats $cstats $(wc -w <<<"${clean[$side]}") $(wc -w <<<"${all[$side]}") ${shown[$side]# }"
  done
}

# Sets hm hb hc hn hruns / pm pb pc pn pruns (median, best, #clean, #completed, runs) and SET: the
# medians of clean runs when both sides have some ("clean"), else of all completed runs ("all").
train_summary() {  # train_summary THREADS
  local ham hab hcm hcb pam pab pcm pcb
  read -r ham hab hcm hcb hc hn hruns <<<"${ROW[$1,hezar]}"
  read -r pam pab pcm pcb pc pn pruns <<<"${ROW[$1,peer]}"
  if ((hc > 0 && pc > 0)); then SET=clean hm=$hcm hb=$hcb pm=$pcm pb=$pcb
  else SET=all hm=$ham hb=$hab pm=$pam pb=$pab; fi
}

for t in $THREADS $EXTRA_THREADS; do
  # The extra row gets EXTRA_BUDGET_S seconds of its own, and is skipped only when the main row ran
  # so long (a loaded machine) that it would push the whole run far past 5 minutes.
  if [[ $t == "$THREADS" ]]; then deadline=$TRAIN_BUDGET_S; else deadline=$((SECONDS - START_S + EXTRA_BUDGET_S)); fi
  if [[ $t != "$THREADS" ]] && ((SECONDS - START_S > 200)); then
    echo "bench: skipping the $t-thread training row (time budget)" >&2
    EXTRA_THREADS=""
    continue
  fi
  train_bench "$t" "$deadline"
  train_summary "$t"
  printf 'train samples/s (%s threads, N=%s, median of %s runs; clean %s/%s vs %s/%s): hezar %s  peer %s  ratio %s (target >= 1.2x)  [best: %s vs %s = %s]\n' \
    "$t" "$TRAIN_N" "$SET" "$hc" "$hn" "$pc" "$pn" "$hm" "$pm" "$(rx "$hm" "$pm")" "$hb" "$pb" "$(rx "$hb" "$pb")"
done

# --- 2./3. predict: time to first output and peak RSS --------------------------------------------
MODEL="$TMP/model"
OMP_NUM_THREADS=$THREADS "$HEZAR" -q train "$CONFIG" --output-dir "$MODEL" --set trainer.num_epochs=1 \
  --set dataset.max_size=2000 --set trainer.do_evaluate=false >"$TMP/model-train.log" 2>&1 ||
  { cat "$TMP/model-train.log" >&2; echo "bench: training the predict model failed" >&2; exit 1; }
$PY scripts/idx_to_png.py "$DATA/t10k-images-idx3-ubyte.gz" "$DATA/t10k-labels-idx1-ubyte.gz" "$TMP/images" 1 >/dev/null
IMAGE=$(ls "$TMP"/images/*.png | head -1)
wait_quiet
PRED=$(OMP_NUM_THREADS=$THREADS $PY bench/measure.py compare "$PREDICT_REPS" 1 "$MAX_FOREIGN" \
  hezar -- "$HEZAR" predict "$MODEL" "$IMAGE" --- \
  peer -- $PY bench/predict_sample_net.py "$MODEL" "$IMAGE" 2>"$TMP/predict.log") ||
  { cat "$TMP/predict.log" >&2; exit 1; }
field() { awk -v who="$1" -v key="$2" '$1 == who { for (i = 2; i < NF; i += 2) if ($i == key) print $(i + 1) }' <<<"$PRED"; }
HW=$(field hezar wall_median_s); PW=$(field peer wall_median_s)
HWMIN=$(field hezar wall_min_s); PWMIN=$(field peer wall_min_s)
HR=$(field hezar rss_median_kb); PR=$(field peer rss_median_kb)
HC="$(field hezar clean)/$(field hezar runs)"; PC="$(field peer clean)/$(field peer runs)"
PSET=all; [[ ${HC%/*} != 0 && ${PC%/*} != 0 ]] && PSET=clean
HW_MS=$($PY -c "print(f'{$HW*1000:.0f}')"); PW_MS=$($PY -c "print(f'{$PW*1000:.0f}')")
HR_MB=$($PY -c "print(f'{$HR/1024:.0f}')"); PR_MB=$($PY -c "print(f'{$PR/1024:.0f}')")
printf 'predict wall ms (1 image, median of %s runs; clean %s vs %s): hezar %s  peer %s  ratio %sx (target <= 0.2x)  [best: %.0f vs %.0f]\n' \
  "$PSET" "$HC" "$PC" "$HW_MS" "$PW_MS" "$(ratio "$HW" "$PW")" "$($PY -c "print($HWMIN*1000)")" "$($PY -c "print($PWMIN*1000)")"
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
  echo "- BLAS: $(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu); $BLAS_KERNELS (both sides)"
  echo "- threads: OMP_NUM_THREADS=$THREADS for both sides (peer also torch.set_num_threads)${EXTRA_THREADS:+; extra training row at $EXTRA_THREADS}; libtorch's own default here: $(env -u OMP_NUM_THREADS $PY -c 'import torch; print(torch.get_num_threads())') (hezar and the peer alike)"
  echo "- hezar training uses the config as shipped (trainer.num_dataloader_workers=$(grep -oE 'num_dataloader_workers: *[0-9]+' "$CONFIG" | grep -oE '[0-9]+$')), eval disabled; peer DataLoader(num_workers=0)"
  echo "- load average before/after: $LOAD_BEFORE / $LOAD_AFTER; run took $((SECONDS - START_S)) s; waited ${QUIET_WAITED} s for idle CPUs; $BUSY_STARTS of $QUIET_CHECKS measurements started with other processes using > 15% CPU; a run is clean when other processes used <= $MAX_FOREIGN% of the CPUs during it (busy runs are listed as busy:N%)"
  echo
  echo "| benchmark | hezar | peer | hezar/peer | target | result |"
  echo "|---|---|---|---|---|---|"
  # A verdict needs clean runs on both sides; otherwise the machine was too busy to tell.
  for t in $THREADS $EXTRA_THREADS; do
    train_summary "$t"
    target=">= 1.2x"; result=$(verdict "$(ratio "$hm" "$pm")" ">=" 1.2)
    [[ $SET == clean ]] || result="inconclusive: busy machine (as measured: $result)"
    [[ $t != "$THREADS" ]] && { target="(extra row)"; result="-"; }
    echo "| train samples/s, $t thr, N=$TRAIN_N, median of $SET runs (hezar $hc clean of $hn: $hruns; peer $pc clean of $pn: $pruns) | ${hm%.*} | ${pm%.*} | $(rx "$hm" "$pm") | $target | $result |"
  done
  result=$(verdict "$(ratio "$HW" "$PW")" "<=" 0.2)
  [[ $PSET == clean ]] || result="inconclusive: busy machine (as measured: $result)"
  echo "| predict 1 PNG, wall ms, median of $PSET runs (clean: hezar $HC, peer $PC; best $($PY -c "print(f'{$HWMIN*1000:.0f} vs {$PWMIN*1000:.0f}')")) | $HW_MS | $PW_MS | $(rx "$HW" "$PW") | <= 0.2x | $result |"
  echo "| predict peak RSS MB, median | $HR_MB | $PR_MB | $(rx "$HR" "$PR") | none | - |"
} >>"$RESULTS"
echo "bench: appended results to $RESULTS ($((SECONDS - START_S)) s)"
HEZAR=$HEZAR BENCH_RESULTS=$RESULTS bench/distributed.sh  # 1 vs 2 processes, all-reduce time per step
BENCH_RESULTS=$RESULTS bench/hub_download.sh  # Hub download vs curl on loopback, resume after a drop
BENCH_RESULTS=$RESULTS bash bench/tokenizers.sh || echo "bench: tokenizers bench skipped (npm peers / test material missing?)"  # tokenizers vs npm binding
BENCH_RESULTS=$RESULTS bash bench/bert.sh || echo "bench: BERT bench failed (bazel build //bench:bert_bench?)"  # BERT-base forward vs PyTorch eager

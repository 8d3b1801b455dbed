#!/usr/bin/env bash
# Distributed data parallel throughput on this machine: `hezar train --nproc-per-node 2` vs 1 process,
# and vs PyTorch's DistributedDataParallel (Debian python3-torch, gloo) as the peer. Run from the repo
# root after `bazel build //cli:hezar`; bench/run.sh calls it at its end.
#
# Rows (sample_net on Fashion-MNIST, N examples, 1 epoch, no evaluation, num_dataloader_workers=0,
# same global batch 64 everywhere; runs alternate, median of REPS):
#   hezar 1 process x batch 64 at 1 and 2 threads; hezar 2 processes x batch 32 at 1 thread each, with
#   the gradient all-reduce time per step (from the first bucket's launch to done, and the part the step
#   waited for after backward); the peer the same: bench/train_sample_net.py (1 process, 1 thread) and
#   bench/train_sample_net_ddp.py (2 processes x 32, 1 thread each).
# Knobs: BENCH_DIST_N (20000), BENCH_DIST_REPS (3), HEZAR, BENCH_RESULTS.
set -euo pipefail

HEZAR=${HEZAR:-bazel-bin/cli/hezar}
PY=/usr/bin/python3
CONFIG=configs/image_classification/sample_net_fashion_mnist.yaml
DATA=/usr/share/datasets/fashion-mnist
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
N=${BENCH_DIST_N:-20000}
REPS=${BENCH_DIST_REPS:-3}

[[ -x $HEZAR ]] || { echo "bench: $HEZAR is missing; run 'bazel build //cli:hezar'" >&2; exit 1; }
[[ -f bench/train_sample_net_ddp.py ]] || { echo "bench: run from the repo root" >&2; exit 1; }
source bench/blas_env.sh  # the same OpenBLAS kernels for hezar and the peer
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hezar-bench-dist.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
START_S=$SECONDS
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { $PY -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.1f}")' "$@"; }
ratio() { $PY -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "$1" "$2"; }

# measure LOG CMD...: runs CMD with stdout+stderr to LOG; prints the share (percent) of the machine's CPU
# that *other* processes used meanwhile (/proc/stat busy time minus CMD's own, incl. its children).
measure() {
  $PY - "$@" <<'PYEOF'
import os, subprocess, sys
def ticks():
    f = [int(v) for v in open("/proc/stat").readline().split()[1:9]]
    return sum(f) - f[3] - f[4], sum(f)
log, cmd = sys.argv[1], sys.argv[2:]
b0, t0 = ticks()
with open(log, "w") as out:
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(p.pid, 0)
b1, t1 = ticks()
own = (usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK")
print(f"{max(0.0, 100.0 * (b1 - b0 - own) / max(1, t1 - t0)):.0f}")
sys.exit(os.waitstatus_to_exitcode(status) != 0)
PYEOF
}

# One run of a row; prints "SAMPLES_PER_S FOREIGN_PCT [COMM_MS BLOCKED_MS]".
run_row() {
  local row=$1 log="$TMP/$1.log" m v extra=""
  rm -rf "$TMP/out"
  local common=(train "$CONFIG" --output-dir "$TMP/out" --set trainer.num_epochs=1 --set "dataset.max_size=$N"
    --set trainer.do_evaluate=false --set trainer.num_dataloader_workers=0)
  case $row in
    hezar1t1) m=$(OMP_NUM_THREADS=1 measure "$log" "$HEZAR" "${common[@]}" --set trainer.batch_size=64) ;;
    hezar1t2) m=$(OMP_NUM_THREADS=2 measure "$log" "$HEZAR" "${common[@]}" --set trainer.batch_size=64) ;;
    hezar2) m=$(OMP_NUM_THREADS=1 measure "$log" "$HEZAR" "${common[@]}" --set trainer.batch_size=32 \
      --nproc-per-node 2) ;;
    peer1) m=$(OMP_NUM_THREADS=1 measure "$log" $PY bench/train_sample_net.py --data "$DATA" \
      --max-size "$N" --threads 1) ;;
    peer2)
      local port; port=$(free_port)
      m=$(OMP_NUM_THREADS=1 measure "$log" sh -c "
        for r in 0 1; do RANK=\$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port $PY bench/train_sample_net_ddp.py \
          --data $DATA --max-size $N --batch-size 32 --threads 1 & done; wait") ;;
  esac || { cat "$log" >&2; echo "bench: $row failed" >&2; exit 1; }
  if [[ $row == hezar* ]]; then
    v=$(grep -E '^epoch 1/1 ' "$log" | tail -1 | grep -oE '[0-9.]+ samples/s' | cut -d' ' -f1)
    [[ $row == hezar2 ]] && extra=$(grep -oE 'all-reduce [0-9.]+ ms/step from first bucket to done, [0-9.]+ ms/step blocked' "$log" |
      awk '{print $2, $9}')
  else
    v=$(awk '$1 == "samples/s" {print $2}' "$log")
  fi
  [[ -n $v ]] || { cat "$log" >&2; echo "bench: no samples/s in $row's output" >&2; exit 1; }
  echo "$v $m $extra"
}

ROWS=(hezar1t1 hezar2 peer1 peer2 hezar1t2)
declare -A VALUES FOREIGN COMM BLOCKED
for ((rep = 0; rep < REPS; rep++)); do
  for row in "${ROWS[@]}"; do
    line=$(run_row "$row") && [[ -n $line ]] || exit 1
    read -r v f c b <<<"$line"
    VALUES[$row]+=" $v"; FOREIGN[$row]+=" ${f%.*}%"
    [[ -n ${c:-} ]] && { COMM[$row]+=" $c"; BLOCKED[$row]+=" $b"; }
  done
done

declare -A MED
for row in "${ROWS[@]}"; do MED[$row]=$(median ${VALUES[$row]}); done
COMM_MS=$(median ${COMM[hezar2]}); BLOCKED_MS=$(median ${BLOCKED[hezar2]})
STEP_MS_1=$($PY -c "print(f'{64 * 1000 / ${MED[hezar1t1]}:.2f}')")
STEP_MS_2=$($PY -c "print(f'{64 * 1000 / ${MED[hezar2]}:.2f}')")

printf 'distributed train samples/s (N=%s, global batch 64, median of %s): hezar 1 proc %s (2 thr: %s), 2 procs %s (%sx); peer 1 proc %s, DDP 2 procs %s; hezar/peer at 2 procs %sx; all-reduce %s ms/step (%s blocked)\n' \
  "$N" "$REPS" "${MED[hezar1t1]}" "${MED[hezar1t2]}" "${MED[hezar2]}" "$(ratio "${MED[hezar2]}" "${MED[hezar1t1]}")" \
  "${MED[peer1]}" "${MED[peer2]}" "$(ratio "${MED[hezar2]}" "${MED[peer2]}")" "$COMM_MS" "$BLOCKED_MS"

[[ -f $RESULTS ]] || printf '# hezar benchmark results\n\nAppended by `bench/run.sh` (`make bench`); newest last.\n' >"$RESULTS"
{
  echo
  echo "## distributed, $(date -u '+%Y-%m-%d %H:%M UTC') (bench/distributed.sh)"
  echo
  echo "- machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), nproc $(nproc); Gloo over 127.0.0.1; $BLAS_KERNELS (every side)"
  echo "- sample_net, Fashion-MNIST N=$N, 1 epoch, no eval, global batch 64 (2 processes x 32), Adam; hezar num_dataloader_workers=0; runs alternate between rows, median of $REPS"
  echo "- load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg); run took $((SECONDS - START_S)) s; other processes' CPU share during each run is listed"
  echo
  echo "| run | samples/s (median) | runs (other processes' CPU) | vs hezar 1 proc 1 thr |"
  echo "|---|---|---|---|"
  label() { case $1 in hezar1t1) echo "hezar 1 process, 1 thread";; hezar1t2) echo "hezar 1 process, 2 threads";;
    hezar2) echo "hezar --nproc-per-node 2, 1 thread each";; peer1) echo "PyTorch eager 1 process, 1 thread";;
    peer2) echo "PyTorch DDP (gloo) 2 processes, 1 thread each";; esac; }
  for row in "${ROWS[@]}"; do
    runs=""; read -ra vs <<<"${VALUES[$row]}"; read -ra fs <<<"${FOREIGN[$row]}"
    for i in "${!vs[@]}"; do runs+="${vs[$i]%.*} (${fs[$i]}), "; done
    echo "| $(label "$row") | ${MED[$row]%.*} | ${runs%, } | $(ratio "${MED[$row]}" "${MED[hezar1t1]}")x |"
  done
  echo
  echo "- 2 processes vs 1 (1 thread each, same global batch): $(ratio "${MED[hezar2]}" "${MED[hezar1t1]}")x throughput; step time $STEP_MS_1 ms -> $STEP_MS_2 ms"
  echo "- communication per step (hezar, 1 bucket of 0.17 MB; median of runs' means): all-reduce $COMM_MS ms from launch to done, of which the step waited $BLOCKED_MS ms after backward returned (the rest overlapped with the end of backward and reading the loss)"
  echo "- hezar vs PyTorch DDP at 2 processes: $(ratio "${MED[hezar2]}" "${MED[peer2]}")x; at 1 process: $(ratio "${MED[hezar1t1]}" "${MED[peer1]}")x"
} >>"$RESULTS"
echo "bench: appended distributed results to $RESULTS ($((SECONDS - START_S)) s)"

#!/usr/bin/env bash
# Hub download on loopback: hezar's Hub client vs curl fetching the same LFS file from the same fake Hub
# (tests/hub/fake_hub.py, 127.0.0.1 + its "CDN" on 127.0.0.2; nothing else is contacted).
#   1. throughput, median of RUNS fresh downloads per side (each started once the CPUs are idle, sides
#      alternating order; runs disturbed by other processes are left out), whole-process wall time:
#      bench/hub:hub_bench (the hub/ library: resolve, tree, GET, sha256, fsync, rename, symlink) vs
#      `curl -L -o` of the resolve URL.                                        target: hezar >= 0.9x curl
#      `hezar pull` (the CLI, whose start-up loads libtorch) is reported too.
#   2. resume: the connection dropped at half the file; the retry asks for `Range: bytes=HALF-`, and a
#      failed run (the drop repeated) leaves the half in blobs/<etag>.incomplete for the next run.
# Run from the repo root; appends a table to $BENCH_RESULTS (default bench/RESULTS.md).
#   HUB_BENCH_MB=512 HUB_BENCH_RUNS=5 bench/hub_download.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${HUB_BENCH_MB:-512}
RUNS=${HUB_BENCH_RUNS:-5}
MAX_WAIT=${HUB_BENCH_MAX_WAIT:-60}        # seconds to wait for idle CPUs before each run
MAX_FOREIGN=${HUB_BENCH_MAX_FOREIGN:-10}  # a run is clean when others used <= this % of the CPUs
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
PY=/usr/bin/python3

bazel build //cli:hezar //bench/hub:hub_bench >/dev/null
HEZAR=bazel-bin/cli/hezar
BENCH=bazel-bin/bench/hub/hub_bench
WORK=$(mktemp -d /tmp/hezar-hub-bench.XXXXXX)
SERVER=""
cleanup() {
  [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/seed"
head -c "${SIZE_MB}M" /dev/urandom >"$WORK/seed/big.bin"
SHA=$(sha256sum "$WORK/seed/big.bin" | cut -d' ' -f1)
$PY tests/hub/fake_hub.py --root "$WORK/root" --port-file "$WORK/port" --seed "model:bench/big=$WORK/seed" \
  --max-seconds 1800 &
SERVER=$!
for _ in $(seq 1 600); do [[ -s $WORK/port ]] && break; sleep 0.1; done
PORT=$(cut -d' ' -f1 "$WORK/port")
export HF_ENDPOINT="http://127.0.0.1:$PORT"
export HF_HOME="$WORK/hf_home"
URL="$HF_ENDPOINT/bench/big/resolve/main/big.bin"
admin() { curl -sS -X POST -H 'Content-Type: application/json' -d "$2" "$HF_ENDPOINT/_admin/$1" >/dev/null; }
now() { date +%s.%N; }

wait_idle() { $PY bench/wait_idle.py "$MAX_WAIT"; }
# One timed run of a side into a fresh destination: "WALL_S FOREIGN_PCT" (bench/measure.py).
run_side() {
  rm -rf "$WORK/cache" "$WORK/curl.bin"; sync
  local cmd
  case $1 in
    curl) cmd=(curl -sS -L -H 'Accept-Encoding: identity' -o "$WORK/curl.bin" "$URL") ;;
    bench) cmd=(env HEZAR_CACHE_DIR="$WORK/cache" "$BENCH" bench/big big.bin) ;;
    cli) cmd=(env HEZAR_CACHE_DIR="$WORK/cache" "$HEZAR" pull bench/big --include big.bin --quiet) ;;
  esac
  $PY bench/measure.py once "$WORK/$1.log" -- "${cmd[@]}" | awk '{print $2, $6}'
  local out=$WORK/curl.bin
  [[ $1 == curl ]] || out=$(echo "$WORK/cache/models--bench--big/snapshots/"*/big.bin)
  [[ $(sha256sum "$out" | cut -d' ' -f1) == "$SHA" ]] || { echo "hub bench: $1 got other bytes" >&2; exit 1; }
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$WORK/runs"
WAITED=0
for i in $(seq 1 "$RUNS"); do
  order=(curl bench cli)
  ((i % 2)) || order=(cli bench curl)
  for side in "${order[@]}"; do
    WAITED=$((WAITED + $(wait_idle)))
    m=$(run_side "$side") || exit 1
    echo "$side $m" >>"$WORK/runs"
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# Medians over the clean runs (others used <= MAX_FOREIGN% of the CPUs) when every side has some, else
# over all runs; busy runs are marked * in the list.
read -r CURL_S BENCH_S CLI_S CLEAN RUN_LIST < <($PY - "$WORK/runs" "$MAX_FOREIGN" <<'PYEOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    side, wall, foreign = line.split()
    runs.setdefault(side, []).append((float(wall), float(foreign)))
limit = float(sys.argv[2])
clean = all(any(f <= limit for _, f in rs) for rs in runs.values())
med = {s: statistics.median([w for w, f in rs if f <= limit or not clean]) for s, rs in runs.items()}
listing = ";".join(f"{s}:" + ",".join(f"{w:.3f}{'' if f <= limit else '*'}" for w, f in rs) for s, rs in runs.items())
n = {s: sum(f <= limit for _, f in rs) for s, rs in runs.items()}
print(f"{med['curl']:.4f} {med['bench']:.4f} {med['cli']:.4f} {'clean' if clean else 'all'}:{min(n.values())} {listing}")
PYEOF
)
mbps() { $PY -c "print(f'{$SIZE_MB / $1:.0f}')"; }
RATIO=$($PY -c "print(f'{$CURL_S / $BENCH_S:.2f}')")
CLI_RATIO=$($PY -c "print(f'{$CURL_S / $CLI_S:.2f}')")
VERDICT=$($PY -c "print('pass' if $CURL_S / $BENCH_S >= 0.9 else 'FAIL')")

# Resume inside one run: the first GET is cut at half the file.
HALF=$((SIZE_MB * 1024 * 1024 / 2))
admin clear '{}'
admin fault "{\"kind\": \"drop\", \"match\": \"^/_cdn/\", \"after\": $HALF, \"times\": 1}"
rm -rf "$WORK/cache"
t0=$(now); HEZAR_CACHE_DIR="$WORK/cache" "$BENCH" bench/big big.bin >/dev/null 2>&1; t1=$(now)
RESUME_S=$($PY -c "print(f'{$t1 - $t0:.3f}')")
ranges() { curl -sS "$HF_ENDPOINT/_admin/log" | $PY -c 'import json,sys; print(" ".join(str(r["range"]) for r in json.load(sys.stdin) if r["path"].startswith("/_cdn/")))'; }
RESUME_RANGES=$(ranges)
# Resume across runs: the drop repeats until the run gives up, then a new run continues.
admin clear '{}'
admin fault "{\"kind\": \"drop\", \"match\": \"^/_cdn/\", \"after\": $HALF, \"times\": 1}"
admin fault "{\"kind\": \"drop\", \"match\": \"^/_cdn/\", \"after\": 0, \"times\": 6}"
rm -rf "$WORK/cache"
HEZAR_CACHE_DIR="$WORK/cache" "$BENCH" bench/big big.bin >/dev/null 2>&1 && { echo "hub bench: the faulty run succeeded" >&2; exit 1; }
KEPT=$(stat -c %s "$WORK/cache/models--bench--big/blobs/$SHA.incomplete")
admin clear '{}'
HEZAR_CACHE_DIR="$WORK/cache" "$BENCH" bench/big big.bin >/dev/null
RERUN_RANGES=$(ranges)
[[ $(sha256sum "$WORK/cache/models--bench--big/snapshots/"*/big.bin | cut -d' ' -f1) == "$SHA" ]] ||
  { echo "hub bench: resumed file differs" >&2; exit 1; }

[[ -f $RESULTS ]] || printf '# hezar benchmark results\n\nAppended by `bench/run.sh` (`make bench`); newest last.\n' >"$RESULTS"
{
  echo
  echo "## Hub download, $(date -u '+%Y-%m-%d %H:%M UTC') (bench/hub_download.sh)"
  echo
  echo "- machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), nproc $(nproc); $(curl --version | head -1 | cut -d' ' -f1-2)"
  echo "- one ${SIZE_MB} MiB LFS file from the fake Hub on loopback (302 to its CDN host), fresh destination each run, $RUNS runs per side"
  echo "- load average before/after: $LOAD_BEFORE / $LOAD_AFTER; waited ${WAITED} s in total for idle CPUs; sides alternate order each round"
  echo "- runs (wall s; * = busy: other processes used > ${MAX_FOREIGN}% of the CPUs during it): $(tr ';' ' ' <<<"$RUN_LIST")"
  echo "- medians over ${CLEAN%%:*} runs (at least ${CLEAN#*:} clean runs per side)"
  echo
  echo "| benchmark | hezar | curl | hezar/curl throughput | target | result |"
  echo "|---|---|---|---|---|---|"
  echo "| download, hub/ library (hub_bench), s (MB/s) | $BENCH_S ($(mbps "$BENCH_S")) | $CURL_S ($(mbps "$CURL_S")) | ${RATIO}x | >= 0.9x | $VERDICT |"
  echo "| download, \`hezar pull\` CLI incl. libtorch start-up, s (MB/s) | $CLI_S ($(mbps "$CLI_S")) | $CURL_S | ${CLI_RATIO}x | none | - |"
  echo "| resume in-run: connection cut at $HALF bytes; CDN Range headers | $RESUME_RANGES (${RESUME_S} s) | | | second GET starts at $HALF | $([[ $RESUME_RANGES == "None bytes=$HALF-" ]] && echo pass || echo FAIL) |"
  echo "| resume across runs: bytes kept after the failed run; rerun's Range | $KEPT kept; $RERUN_RANGES | | | bytes=$HALF- | $([[ $KEPT == "$HALF" && $RERUN_RANGES == "bytes=$HALF-" ]] && echo pass || echo FAIL) |"
} | tee -a "$RESULTS"

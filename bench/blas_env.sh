# Sourced by the benches (bash). OpenBLAS picks its kernels from the CPU's model number and falls back
# to its generic SSE3 "Prescott" kernels on models it does not know (Debian 12's OpenBLAS 0.3.21 on
# Emerald Rapids Xeons: ~5x slower GEMMs). hezar then selects the kernels the CPU's features allow
# (core/blas_policy); the Python peers load the same OpenBLAS and would keep the fallback. So the kernels
# hezar uses are exported as OPENBLAS_CORETYPE for every side, and a comparison measures the code, not
# OpenBLAS's CPU table. A user's own OPENBLAS_CORETYPE is kept. Needs the hezar binary ($HEZAR).
if [[ -z ${OPENBLAS_CORETYPE:-} ]]; then
  BLAS_CORE=$("${HEZAR:-bazel-bin/cli/hezar}" --log-level debug list models 2>&1 >/dev/null |
    sed -n 's/.*OpenBLAS kernels: \([A-Za-z0-9_]*\).*/\1/p')
  [[ -n $BLAS_CORE ]] && export OPENBLAS_CORETYPE=$BLAS_CORE
fi
# What the results name: the kernels every side ran with.
BLAS_KERNELS="OpenBLAS kernels: ${OPENBLAS_CORETYPE:-as OpenBLAS detected them}"

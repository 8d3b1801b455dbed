#!/usr/bin/env bash
# Fetches Debian packages that hold test material and reference tools *without installing them*
# (`apt-get download` + `dpkg-deb -x`, so no PHP or dependency chain is pulled in) into
# ${HEZAR_MATERIAL_DIR:-~/.cache/hezar/material}/root, plus wrappers in .../bin. Idempotent.
#   php-faker          real prose: fa_IR/Text.php (Jalal Al-e Ahmad, «مدیر مدرسه»), en_US/Text.php and
#                      28 more languages (tests/tokenizers, bench/tokenizers.sh)
#   sentencepiece      spm_train / spm_encode: reference SentencePiece (tests/tokenizers)
#   libsentencepiece0  its libraries (used through LD_LIBRARY_PATH by the bin/ wrappers)
set -euo pipefail

DIR="${HEZAR_MATERIAL_DIR:-$HOME/.cache/hezar/material}"
PKGS=(php-faker sentencepiece libsentencepiece0)
mkdir -p "$DIR/debs" "$DIR/root" "$DIR/bin"

for p in "${PKGS[@]}"; do
  [ -f "$DIR/debs/$p.extracted" ] && continue
  echo "install-test-material: fetching $p into $DIR"
  rm -f "$DIR/debs/${p}"_*.deb
  # apt warns when it cannot drop privileges to _apt for a download into a root-owned folder; harmless.
  (cd "$DIR/debs" && apt-get download "$p" 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)
  ls "$DIR/debs/${p}"_*.deb >/dev/null 2>&1 || { echo "install-test-material: apt-get download $p failed (apt-get update?)" >&2; exit 1; }
  dpkg-deb -x "$DIR/debs/${p}"_*.deb "$DIR/root"
  touch "$DIR/debs/$p.extracted"
done

for tool in spm_train spm_encode spm_decode spm_export_vocab; do
  cat > "$DIR/bin/$tool" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$DIR/root/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$DIR/root/usr/bin/$tool" "\$@"
WRAP
  chmod +x "$DIR/bin/$tool"
done
"$DIR/bin/spm_train" --version >/dev/null 2>&1 || { echo "install-test-material: $DIR/bin/spm_train does not run" >&2; exit 1; }
echo "install-test-material: ${PKGS[*]} ready in $DIR"

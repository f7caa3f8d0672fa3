#!/usr/bin/env bash
# Type-check etna-auth for macOS (x86_64 and aarch64) on Linux: cargo check
# with clang as ring's C compiler against stand-in SDK headers
# (tests/macos/include: TargetConditionals.h, assert.h, string.h, stdlib.h;
# clang's own stddef.h, stdint.h, ...). Nothing is linked: this catches
# Linux-only calls outside cfg, not link or run time problems.
#
#   bash tests/macos_check.sh
#
# Installs on demand: clang, llvm (apt-get), the rustup targets.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
. "$HERE/lib.sh"   # as_root, apt_install
if ! command -v clang >/dev/null || ! command -v llvm-ar >/dev/null; then
    apt_install clang llvm
fi
cd "$ROOT"
status=0
for pair in x86_64-apple-darwin:x86_64-apple-macos10.12 aarch64-apple-darwin:arm64-apple-macos11; do
    target="${pair%%:*}" clang_target="${pair#*:}"
    rustup target list --installed | grep -qx "$target" || rustup target add "$target"
    var="${target//-/_}"
    export "CC_${var}=clang" "AR_${var}=llvm-ar"
    export "CFLAGS_${var}=-target ${clang_target} -nostdlibinc -I${HERE}/macos/include"
    echo "macos_check.sh: cargo check --target $target" >&2
    cargo check --target "$target" --lib --bins --tests || status=1
done
exit $status

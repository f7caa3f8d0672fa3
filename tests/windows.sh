#!/usr/bin/env bash
# Build etna-auth for Windows (x86_64-pc-windows-gnu, MinGW) and run its Rust
# tests under Wine.
#
#   bash tests/windows.sh                 # the Windows-ready test targets
#   bash tests/windows.sh -- --lib        # other cargo test arguments
#   bash tests/windows.sh --check-dll     # build the DLL and show what it imports
#
# Installs on demand (apt-get; root or sudo): gcc-mingw-w64-x86-64 (linker),
# wine64; and the rustup target. WINEPREFIX is a fresh temporary folder
# (removed at the end), WINEDEBUG=-all. Rust's std imports ProcessPrng from
# bcryptprimitives.dll, which Wine 8 lacks: a stand-in built from
# tests/windows/bcryptprimitives.c (forwarding to BCryptGenRandom) goes into
# the prefix's system32, for the test run only.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
TARGET=x86_64-pc-windows-gnu
WINE=/usr/lib/wine/wine64
CHECK_DLL=0
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --check-dll) CHECK_DLL=1 ;;
        --) shift; ARGS=("$@"); break ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "windows.sh: unknown argument $1" >&2; exit 64 ;;
    esac
    shift
done

say() { echo "windows.sh: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
apt_install() {
    say "installing $* (apt-get)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 \
        || { as_root apt-get update -qq >/dev/null 2>&1 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

command -v x86_64-w64-mingw32-gcc >/dev/null || apt_install gcc-mingw-w64-x86-64
[ -x "$WINE" ] || apt_install wine64
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET_DIR/$TARGET/debug"

if [ "$CHECK_DLL" = 1 ]; then
    cargo build --release --lib --target "$TARGET"
    DLL="$TARGET_DIR/$TARGET/release/etna_auth.dll"
    x86_64-w64-mingw32-objdump -p "$DLL" | grep 'DLL Name' | sort -u
    if x86_64-w64-mingw32-objdump -p "$DLL" | grep -Eiq 'DLL Name: (libgcc|libwinpthread|libstdc)'; then
        say "FAIL: $DLL needs MinGW runtime DLLs"; exit 1
    fi
    exit 0
fi

# A Wine prefix of our own, made once per run (wineboot: ~10-20 s).
export WINEDEBUG=-all
WINEPREFIX="$(mktemp -d /tmp/etna-wine.XXXXXX)"
export WINEPREFIX
cleanup() { WINEPREFIX="$WINEPREFIX" /usr/lib/wine/wineserver -k 2>/dev/null || true; rm -rf "$WINEPREFIX"; }
trap cleanup EXIT
say "wineboot ($WINEPREFIX)"
"$WINE" wineboot --init >/dev/null 2>&1 || true
SYS32="$WINEPREFIX/drive_c/windows/system32"
[ -d "$SYS32" ] || { say "no $SYS32 after wineboot"; exit 1; }
x86_64-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -O2 -shared \
    -o "$SYS32/bcryptprimitives.dll" "$HERE/windows/bcryptprimitives.c" -lbcrypt

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$WINE"
# capi/tests/scenarios.rs starts tests/scenarios/hostile_server.py with the
# Unix python3, which Wine runs as a Unix program.
export ETNA_AUTH_PYTHON="${ETNA_AUTH_PYTHON:-$(command -v python3)}"
# Test targets that build for Windows (the others use Unix-only APIs in the
# test code itself: see the report / cfg(unix) in them).
if [ ${#ARGS[@]} -eq 0 ]; then
    ARGS=(--lib --tests)
fi
START=$(date +%s)
status=0
cargo test --target "$TARGET" "${ARGS[@]}" || status=$?
say "cargo test under Wine: exit $status in $(( $(date +%s) - START )) s"
exit $status

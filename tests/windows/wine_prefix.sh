# Sourced (tests/windows.sh, packaging/cmake_test.sh): a Wine prefix of our
# own for running Windows programs, made once per run (wineboot: ~10-20 s).
#
#   wine_prefix_init     exports WINEPREFIX (a fresh temporary folder) and
#                        WINEDEBUG=-all; returns non-zero when wineboot fails
#   wine_prefix_remove   stops its wineserver and removes it
#
# Rust's std imports ProcessPrng from bcryptprimitives.dll, which Wine 8
# lacks: a stand-in built from tests/windows/bcryptprimitives.c (forwarding
# to BCryptGenRandom) goes into the prefix's system32.
WINE=${WINE:-/usr/lib/wine/wine64}
_wine_prefix_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

wine_prefix_init() {
    export WINEDEBUG=-all
    WINEPREFIX="$(mktemp -d /tmp/etna-wine.XXXXXX)"
    export WINEPREFIX
    "$WINE" wineboot --init >/dev/null 2>&1 || true
    local sys32="$WINEPREFIX/drive_c/windows/system32"
    [ -d "$sys32" ] || { echo "no $sys32 after wineboot" >&2; return 1; }
    x86_64-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -O2 -shared \
        -o "$sys32/bcryptprimitives.dll" "$_wine_prefix_dir/bcryptprimitives.c" -lbcrypt
}

wine_prefix_remove() {
    [ -n "${WINEPREFIX:-}" ] || return 0
    /usr/lib/wine/wineserver -k 2>/dev/null || true
    rm -rf "$WINEPREFIX"
}

#!/usr/bin/env bash
# Build etna-auth for Windows (x86_64-pc-windows-gnu, MinGW) and test it
# under Wine: the Rust tests of every workspace package, the C ABI from C
# and the C++ wrapper's tests (tests/cpp/) against etna_auth.dll, the CLI's
# demo, and what the DLL imports and exports.
#
#   bash tests/windows.sh                 # everything (debug builds)
#   bash tests/windows.sh -- -p etna-auth --lib   # only cargo test, with these arguments
#   bash tests/windows.sh --check-dll     # the release DLL: imports and .def only
#
# Prints cargo's "test result:" lines for the Rust tests, then one line
# "windows: N passed, M failed" for everything else (the C programs' checks
# and this script's own); exits non-zero when anything failed.
#
# Installs on demand (apt-get; root or sudo): gcc-mingw-w64-x86-64 (linker,
# C compiler), wine64; and the rustup target. WINEPREFIX is a fresh
# temporary folder (removed at the end), WINEDEBUG=-all. Rust's std imports
# ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks: a stand-in built
# from tests/windows/bcryptprimitives.c (forwarding to BCryptGenRandom) goes
# into the prefix's system32, for the test run only.
#
# Not run on Windows: capi/tests/secrets.rs and one test of cli/tests/cli.rs
# (#[cfg(unix)]: pseudo-terminals, setsid, SSL_CERT_FILE).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
TARGET=x86_64-pc-windows-gnu
WINE=/usr/lib/wine/wine64
. "$HERE/lib.sh"   # say, help_or_unknown, as_root, apt_install, check, add_counts, demo_ok, report
CHECK_DLL=0
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --check-dll) CHECK_DLL=1 ;;
        --) shift; ARGS=("$@"); break ;;
        *) help_or_unknown 23 "$1" ;;
    esac
    shift
done

command -v x86_64-w64-mingw32-gcc >/dev/null || apt_install gcc-mingw-w64-x86-64
command -v x86_64-w64-mingw32-g++-posix >/dev/null || apt_install g++-mingw-w64-x86-64-posix
[ -x "$WINE" ] || apt_install wine64
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
START=$(date +%s)

# The script's own checks, and the C programs' counts, add up to the
# "windows:" line.

# The DLLs a PE file imports, one a line.
imports() { x86_64-w64-mingw32-objdump -p "$1" | sed -n 's/^\s*DLL Name: //p' | sort -u; }
# Only Windows' own DLLs: none of MinGW's runtime (crt-static, .cargo/config.toml).
windows_only() {
    if imports "$1" | grep -Eiq '^(libgcc|libwinpthread|libstdc)'; then
        say "$1 needs MinGW runtime DLLs:"; imports "$1" >&2; return 1
    fi
}
# capi/lib/etna_auth.def (written by capi/build.rs from the header's
# functions) names exactly what the DLL exports, and names the DLL.
DEF=capi/lib/etna_auth.def
def_matches_dll() {
    local dll=$1
    grep -qx 'LIBRARY etna_auth.dll' "$DEF" || { say "$DEF does not name etna_auth.dll"; return 1; }
    diff <(x86_64-w64-mingw32-objdump -p "$dll" | awk '/\[Ordinal\/Name Pointer\] Table/ {t=1; next} t && NF == 0 {t=0} t {print $NF}' | sort -u) \
         <(awk '$1 ~ /^etna_/ {print $1}' "$DEF" | sort -u) >&2
}
def_matches_header() {
    diff <(grep -oE '^[A-Za-z].*\betna_[a-z_0-9]+\(' include/etna_auth.h | grep -oE 'etna_[a-z_0-9]+\($' | tr -d '(' | sort -u) \
         <(awk '$1 ~ /^etna_/ {print $1}' "$DEF" | sort -u) >&2
}

if [ "$CHECK_DLL" = 1 ]; then
    cargo build --release -p etna-auth-ffi --target "$TARGET"
    DLL="$TARGET_DIR/$TARGET/release/etna_auth.dll"
    imports "$DLL"
    check "release etna_auth.dll imports only Windows DLLs" windows_only "$DLL"
    check "etna_auth.def lists the header's functions" def_matches_header
    check "release etna_auth.dll exports what etna_auth.def lists" def_matches_dll "$DLL"
    report windows
    exit
fi

# A Wine prefix of our own, made once per run (tests/windows/wine_prefix.sh).
. "$HERE/windows/wine_prefix.sh"
WORK="$(mktemp -d /tmp/etna-windows.XXXXXX)"
cleanup() {
    wine_prefix_remove
    rm -rf "$WORK"
}
trap cleanup EXIT
wine_prefix_init || { say "wineboot failed"; exit 1; }
say "wineboot ($WINEPREFIX)"

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$WINE"
# capi/tests/scenarios.rs starts tests/scenarios/hostile_server.py with the
# Unix python3, which Wine runs as a Unix program.
export ETNA_AUTH_PYTHON="${ETNA_AUTH_PYTHON:-$(command -v python3)}"

# 1. The Rust tests of every package, under Wine.
only_cargo=0
if [ ${#ARGS[@]} -eq 0 ]; then
    ARGS=(--workspace --tests)
else
    only_cargo=1
fi
rust_status=0
T0=$(date +%s)
cargo test --target "$TARGET" "${ARGS[@]}" 2>&1 | tee "$WORK/cargo-test.log" || rust_status=$?
rust_counts=$(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$WORK/cargo-test.log" \
    | awk '{p += $1; f += $2} END {printf "%d passed, %d failed", p, f}')
say "Rust tests under Wine: $rust_counts (exit $rust_status, $(( $(date +%s) - T0 )) s)"
if [ "$only_cargo" = 1 ]; then
    exit "$rust_status"
fi

# 2. The C library (etna_auth.dll, its import library libetna_auth.dll.a)
# and the CLI (etna-auth.exe).
T0=$(date +%s)
cargo build --target "$TARGET" -p etna-auth-ffi -p etna-auth-cli
OUT="$TARGET_DIR/$TARGET/debug"
DLL="$OUT/etna_auth.dll"
say "DLL and CLI built in $(( $(date +%s) - T0 )) s; etna_auth.dll imports:"
imports "$DLL" | sed 's/^/    /' >&2
check "etna_auth.dll imports only Windows DLLs" windows_only "$DLL"
check "etna-auth.exe imports only Windows DLLs" windows_only "$OUT/etna-auth.exe"
check "etna_auth.def lists the header's functions" def_matches_header
check "etna_auth.dll exports what etna_auth.def lists" def_matches_dll "$DLL"

# 3. The C programs against the DLL, next to a copy of it.
T0=$(date +%s)
CBUILD="$WORK/c"
mkdir -p "$CBUILD"
cp "$DLL" "$CBUILD/"
cflags=(-std=c99 -Wall -Wextra -Werror -O1 -Iinclude -Itests/c)
compile() { # output, source, extra libraries...
    local out=$1 src=$2; shift 2
    x86_64-w64-mingw32-gcc "${cflags[@]}" "$src" "$OUT/libetna_auth.dll.a" "$@" -o "$CBUILD/$out" \
        && imports "$CBUILD/$out" | grep -qix 'etna_auth.dll'
}
check "test_flows.c compiles against etna_auth.dll" compile test_flows.exe tests/c/test_flows.c
check "test_windows.c compiles against etna_auth.dll" compile test_windows.exe tests/windows/test_windows.c -lws2_32

# Runs a C program under Wine; its "N passed, M failed" goes into the total
# (its lines are shown indented, so that only the total is counted above).
run_c() { # name, arguments...
    local name=$1; shift
    [ -f "$CBUILD/$name" ] || { failed=$((failed + 1)); say "FAIL: $name was not built"; return; }
    local status=0
    (cd "$CBUILD" && timeout 300 "$WINE" "./$name" "$@") >"$WORK/$name.log" 2>&1 || status=$?
    tr -d '\r' <"$WORK/$name.log" | sed "s/^/    $name| /" >&2
    add_counts "$name" "$status" "$WORK/$name.log"
}
run_c test_flows.exe

# The C++ wrapper's tests (tests/cpp/, as tests/cpp.sh runs them natively),
# built by MinGW's g++ with POSIX threads (std::thread), linked statically so
# that no MinGW runtime DLL is needed; the scenario list as a Windows path.
cppcompile() { # output, source
    x86_64-w64-mingw32-g++-posix -std=c++17 -Wall -Wextra -Werror -O1 -Iinclude "$2" "$OUT/libetna_auth.dll.a" \
        -lws2_32 -static -o "$CBUILD/$1" && imports "$CBUILD/$1" | grep -qix 'etna_auth.dll' && windows_only "$CBUILD/$1"
}
check "tests/cpp/test_wrapper.cpp compiles against etna_auth.dll (MinGW g++)" cppcompile test_wrapper.exe tests/cpp/test_wrapper.cpp
check "tests/cpp/test_scenarios.cpp compiles against etna_auth.dll (MinGW g++)" cppcompile test_scenarios.exe tests/cpp/test_scenarios.cpp
run_c test_wrapper.exe
run_c test_scenarios.exe "Z:$ROOT/tests/scenarios/scenarios.json"

# https from C: tests/pki/tls_server.py on the host's 127.0.0.1 (which a Wine
# process reaches), with the one test PKI of tests/pki: the server's
# certificate, and one for another name.
start_tls() { # name cert key -> tls_port; the server runs until its input FIFO is closed
    local name=$1
    mkfifo "$WORK/$name.in"
    python3 "$ROOT/tests/pki/tls_server.py" "$2" "$3" <"$WORK/$name.in" >"$WORK/$name.out" &
    TLS_PIDS+=("$!")
    local fd
    exec {fd}>"$WORK/$name.in"
    TLS_INS+=("$fd")
    tls_port=""
    for _ in $(seq 100); do
        tls_port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$WORK/$name.out")
        [ -n "$tls_port" ] && break
        sleep 0.1
    done
    if [ -z "$tls_port" ]; then
        failed=$((failed + 1)); say "FAIL: tls_server.py ($name) did not start"; tls_port=1
    fi
}
TLS_PIDS=(); TLS_INS=()
start_tls good "$ROOT/tests/pki/server.pem" "$ROOT/tests/pki/server.key"
good_port=$tls_port
start_tls wrong "$ROOT/tests/pki/wrong-name.pem" "$ROOT/tests/pki/wrong-name.key"
wrong_port=$tls_port
# Windows paths of the PEM files: Wine's Z: is the host's /.
run_c test_windows.exe "$good_port" "$wrong_port" "Z:$ROOT/tests/pki/ca.pem" "Z:$ROOT/tests/pki/other-ca.pem"
for fd in "${TLS_INS[@]}"; do eval "exec ${fd}>&-"; done
for pid in "${TLS_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
say "C tests built and run in $(( $(date +%s) - T0 )) s"

# 4. The CLI's demo: three logins against its own sandbox.
check "etna-auth.exe demo" demo_ok "etna-auth.exe demo" \
    env -C "$CBUILD" timeout 120 "$WINE" "$OUT/etna-auth.exe" demo

say "done in $(( $(date +%s) - START )) s; Rust tests: $rust_counts (the \"test result\" lines above)"
[ "$rust_status" = 0 ] || say "FAIL: cargo test under Wine exited with $rust_status"
report windows
[ "$failed" = 0 ] && [ "$rust_status" = 0 ]

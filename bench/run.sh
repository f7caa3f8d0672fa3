#!/usr/bin/env bash
# The etna-auth benchmark: etna-auth (C ABI, Python binding) side by side with
# hand-written libcurl and Python requests clients, plain HTTP and TLS.
#
#   bash bench/run.sh [N] [--reps R]   # N two-factor logins per client run (default 200), R repetitions (default 5)
#   bash bench/run.sh --smoke          # N = 5, one repetition: every client must still work (CI)
#
# Builds what it needs (cargo build --release; the C programs in bench/build/),
# installs libcurl4-openssl-dev / time (apt-get) and requests (pip) if they are
# missing, then runs bench/bench.py. Results: stdout and bench/results/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
N=200
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) ARGS+=(--smoke) ;;
        --reps) ARGS+=(--reps "$2"); shift ;;
        --reps=*) ARGS+=(--reps "${1#--reps=}") ;;
        [0-9]*) N="$1" ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 64 ;;
    esac
    shift
done

say() { echo "bench: $*" >&2; }
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib.sh"   # as_root, apt_install

# 1. Tools and dependencies.
if ! echo '#include <curl/curl.h>' | cc -E -x c - >/dev/null 2>&1; then apt_install libcurl4-openssl-dev; fi
[ -x /usr/bin/time ] || apt_install time
command -v openssl >/dev/null || apt_install openssl
command -v strip >/dev/null || apt_install binutils
PY="$(python3 -c 'import sys; print(sys.executable)')"   # the interpreter itself, not a pyenv shim
if ! "$PY" -c 'import requests' 2>/dev/null; then
    say "installing requests (pip)"
    "$PY" -m pip install --quiet requests
fi

# 2. The library and the C programs.
say "cargo build --release"
(cd "$ROOT" && cargo build --release --quiet)
LIBDIR="$ROOT/target/release"
mkdir -p "$HERE/build"
CFLAGS=(-O2 -Wall -Wextra -I"$ROOT/include" -I"$HERE")
for prog in sandbox_host etna_client; do
    if [ ! -x "$HERE/build/$prog" ] || [ "$HERE/$prog.c" -nt "$HERE/build/$prog" ] || [ "$HERE/bench_common.h" -nt "$HERE/build/$prog" ] \
        || [ "$ROOT/include/etna_auth.h" -nt "$HERE/build/$prog" ]; then
        cc "${CFLAGS[@]}" -o "$HERE/build/$prog" "$HERE/$prog.c" -L"$LIBDIR" -letna_auth -Wl,-rpath,"$LIBDIR"
    fi
done
if [ ! -x "$HERE/build/curl_client" ] || [ "$HERE/curl_client.c" -nt "$HERE/build/curl_client" ] || [ "$HERE/bench_common.h" -nt "$HERE/build/curl_client" ]; then
    cc "${CFLAGS[@]}" -o "$HERE/build/curl_client" "$HERE/curl_client.c" -lcurl
fi
[ -x "$HERE/build/syscall_cost" ] && [ ! "$HERE/syscall_cost.c" -nt "$HERE/build/syscall_cost" ] \
    || cc "${CFLAGS[@]}" -o "$HERE/build/syscall_cost" "$HERE/syscall_cost.c"

# 3. Run.
exec "$PY" "$HERE/bench.py" --logins "$N" "${ARGS[@]}"

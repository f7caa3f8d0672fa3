#!/usr/bin/env bash
# The C++ wrapper's tests (include/etna_auth.hpp, tests/cpp/): the login
# scenarios of tests/scenarios/scenarios.json through etna::Session::login
# (test_scenarios.cpp) and what only C++ can get wrong (test_wrapper.cpp),
# each built with g++ and with clang++, -std=c++17 -Wall -Wextra -Werror
# -fsanitize=address,undefined, and run against libetna_auth.so; no token,
# password or factor in a block the wrapper frees (test_wipe.cpp, which
# replaces operator new and delete: without sanitizers); plus the header's
# own checks: its exception classes match bindings/status_codes.json, its
# version macros and inline namespace match Cargo.toml, it refuses (#error) a
# C header of another version, C++14 and -fno-exceptions, a discarded token is
# a warning, and its exceptions cross a -fvisibility=hidden shared object.
# Then the source tree as a CMake subproject (the root CMakeLists.txt):
# add_subdirectory and FetchContent, with cargo's output in $CARGO_TARGET_DIR
# (target/), which the build above left up to date: no second build. The
# MinGW build of the same tests runs under Wine in tests/windows.sh.
#
#   bash tests/cpp.sh            against the release library (cargo build --release -p etna-auth-ffi)
#   bash tests/cpp.sh --debug    against a debug build (faster to build)
#   bash tests/cpp.sh --no-build against target/release as it is (the test command built it)
#   bash tests/cpp.sh -- FILTER  only the tests and scenarios whose name contains FILTER
#
# Prints each program's results, then "cpp: N passed, M failed" (the programs'
# checks and this script's own); exits non-zero when anything failed.
# Needs g++, clang++ and its sanitizer runtimes, cmake (installed on demand
# by apt, as root); the CMake check also cargo (the release profile only).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
cd "$ROOT"
. "$HERE/lib.sh"   # say, help_or_unknown, apt_install, check, add_counts, report
profile=release
build=1
filter=()
while [ $# -gt 0 ]; do
    case "$1" in
        --debug) profile=debug ;;
        --no-build) build=0 ;;
        --) shift; filter=("$@"); break ;;
        *) help_or_unknown 26 "$1" ;;
    esac
    shift
done
command -v g++ >/dev/null || apt_install g++
command -v clang++ >/dev/null || apt_install clang
command -v cmake >/dev/null || apt_install cmake
# clang's sanitizer runtimes (libclang_rt.asan, .ubsan) are only recommended
# by Debian's clang, so an install without recommends leaves them out.
ls "$(clang++ -print-runtime-dir)"/libclang_rt.asan* >/dev/null 2>&1 || apt_install libclang-rt-dev

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
LIB="$TARGET_DIR/$profile"
if [ "$build" = 1 ]; then
    if [ "$profile" = release ]; then
        cargo build --release -p etna-auth-ffi || { echo "cpp: 0 passed, 1 failed"; exit 1; }
    else
        cargo build -p etna-auth-ffi || { echo "cpp: 0 passed, 1 failed"; exit 1; }
    fi
fi
[ -f "$LIB/libetna_auth.so" ] || { say "no $LIB/libetna_auth.so"; echo "cpp: 0 passed, 1 failed"; exit 1; }
WORK="$(mktemp -d /tmp/etna-cpp.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT


# The header's checks.
check "etna_auth.hpp's exception classes match bindings/status_codes.json" python3 tests/cpp/status_classes.py --check
versions_match() {
    local version major minor
    version=$(awk '/^\[/{s=$0} s=="[workspace.package]" && $1=="version" {gsub(/"/,"",$3); print $3; exit}' Cargo.toml)
    IFS=. read -r major minor _ <<<"$version"
    grep -qx "#define ETNA_AUTH_HPP_VERSION_MAJOR $major" include/etna_auth.hpp &&
        grep -qx "#define ETNA_AUTH_HPP_VERSION_MINOR $minor" include/etna_auth.hpp ||
        { echo "etna_auth.hpp's ETNA_AUTH_HPP_VERSION_* are not Cargo.toml's $version"; return 1; }
    grep -qx "inline namespace v${major}_${minor} {" include/etna_auth.hpp ||
        { echo "etna_auth.hpp's inline namespace is not v${major}_${minor}"; return 1; }
}
check "etna_auth.hpp's version macros and inline namespace match Cargo.toml" versions_match
# A stand-in etna_auth.h of another version, included first (its include
# guard then keeps the real one out).
refuses() { # major minor expected-message
    local fake="$WORK/fake-$1-$2.h"
    printf '#define ETNA_AUTH_H\n#define ETNA_AUTH_VERSION "%s.%s.0"\n#define ETNA_AUTH_VERSION_MAJOR %s\n#define ETNA_AUTH_VERSION_MINOR %s\n#define ETNA_AUTH_VERSION_NUMBER %s\n' \
        "$1" "$2" "$1" "$2" "$(($1 * 10000 + $2 * 100))" >"$fake"
    printf '#include "%s"\n#include "etna_auth.hpp"\nint main() { return 0; }\n' "$fake" >"$WORK/refuse.cpp"
    ! g++ -std=c++17 -fsyntax-only -Iinclude "$WORK/refuse.cpp" 2>"$WORK/refuse.err" && grep -F "$3" "$WORK/refuse.err"
}
check "etna_auth.hpp refuses etna_auth.h 1.0 (#error)" refuses 1 0 "different major versions"
check "etna_auth.hpp refuses etna_auth.h 0.2 (#error)" refuses 0 2 "different 0.x versions"
check "etna_auth.hpp accepts the etna_auth.h of its version" bash -c \
    "printf '#include \"etna_auth.hpp\"\nint main() { return 0; }\n' | g++ -std=c++17 -fsyntax-only -Iinclude -x c++ -"
check "etna_auth.hpp refuses C++14 (#error)" bash -c \
    "printf '#include \"etna_auth.hpp\"\n' | g++ -std=c++14 -fsyntax-only -Iinclude -x c++ - 2>&1 | grep -F 'needs C++17'"
for cxx in g++ clang++; do
    check "etna_auth.hpp refuses -fno-exceptions (#error, $cxx)" bash -c \
        "printf '#include \"etna_auth.hpp\"\n' | $cxx -std=c++17 -fno-exceptions -fsyntax-only -Iinclude -x c++ - 2>&1 | grep -F 'needs C++ exceptions'"
    # A discarded copy of the token would be freed unwiped.
    check "a discarded token of login() and acquire_token() is a warning ([[nodiscard]], $cxx)" bash -c \
        "printf '#include \"etna_auth.hpp\"\nvoid f(etna::Session &s) { s.login(\"u\", \"p\"); s.acquire_token(\"u\", std::nullopt); }\n' |
         $cxx -std=c++17 -fsyntax-only -Iinclude -x c++ - 2>&1 | grep -c 'warning:.*nodiscard' | grep -qx 2"
done
# A plugin built with -fvisibility=hidden throws etna::CredentialsError; the
# program (hidden too) catches it: the exception classes' type information
# is exported (default visibility) and so one type across the two.
hidden_visibility() {
    local d=$WORK/visibility
    mkdir -p "$d"
    printf '%s\n' '#include "etna_auth.hpp"' \
        'extern "C" __attribute__((visibility("default"))) void plugin_login(const char *url, const char *key) {' \
        '    etna::Session session(url, key);' '    (void)session.login("alice", "not-the-password");' '}' >"$d/plugin.cpp"
    printf '%s\n' '#include <cstdio>' '#include "etna_auth.hpp"' 'extern "C" void plugin_login(const char *url, const char *key);' \
        'int main() {' '    etna::Sandbox sandbox;' '    try {' '        plugin_login(sandbox.url().c_str(), sandbox.app_key().c_str());' \
        '    } catch (const etna::CredentialsError &e) {' '        std::printf("caught etna::CredentialsError: %s\n", e.what());' '        return 0;' \
        '    } catch (...) {' '        std::printf("caught something else\n");' '    }' '    return 1;' '}' >"$d/main.cpp"
    g++ -std=c++17 -fvisibility=hidden -fvisibility-inlines-hidden -fPIC -shared -Iinclude "$d/plugin.cpp" -L"$LIB" -letna_auth -o "$d/libplugin.so" &&
        g++ -std=c++17 -fvisibility=hidden -Iinclude "$d/main.cpp" -L"$d" -lplugin -L"$LIB" -letna_auth -o "$d/main" || return 1
    nm -DC --defined-only "$d/libplugin.so" | grep -F 'typeinfo for etna::v' || { echo "libplugin.so exports no etna typeinfo"; return 1; }
    LD_LIBRARY_PATH="$d:$LIB" "$d/main"
}
check "etna::Error classes cross a -fvisibility=hidden shared object (exported typeinfo, caught)" hidden_visibility

# The test programs, per compiler; their "N passed, M failed" lines add up.
run_program() { # name, command...
    local name=$1; shift
    local status=0
    (ulimit -c 0; timeout 600 "$@") >"$WORK/$name.log" 2>&1 || status=$?
    sed "s/^/    $name| /" "$WORK/$name.log"
    add_counts "$name" "$status" "$WORK/$name.log"
}
# -O0: GCC 12 gives a false -Wmaybe-uninitialized inside <regex> under the
# sanitizers with optimization.
cxxflags=(-std=c++17 -Wall -Wextra -Werror -g -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for cxx in g++ clang++; do
    for prog in test_wrapper test_scenarios; do
        out="$WORK/$prog-$cxx"
        check "$prog.cpp builds with $cxx (ASan, UBSan, -Werror)" \
            "$cxx" "${cxxflags[@]}" "tests/cpp/$prog.cpp" -L"$LIB" -letna_auth -pthread -o "$out"
        if [ "$check_ok" = 1 ]; then
            args=()
            [ "$prog" = test_scenarios ] && args+=("$ROOT/tests/scenarios/scenarios.json")
            run_program "$prog-$cxx" env LD_LIBRARY_PATH="$LIB" "$out" "${args[@]}" "${filter[@]}"
        fi
    done
done

# The wipe test replaces operator new and delete: no sanitizer (they replace them too).
for cxx in g++ clang++; do
    out="$WORK/test_wipe-$cxx"
    check "test_wipe.cpp builds with $cxx (-O2, -Werror)" \
        "$cxx" -std=c++17 -O2 -Wall -Wextra -Werror -g -Iinclude tests/cpp/test_wipe.cpp -L"$LIB" -letna_auth -pthread -o "$out"
    if [ "$check_ok" = 1 ]; then
        run_program "test_wipe-$cxx" env LD_LIBRARY_PATH="$LIB" "$out" "${filter[@]}"
    fi
done

# The header optimized and -pedantic, without sanitizers (what an application builds).
out="$WORK/test_wrapper-O2"
check "test_wrapper.cpp builds with g++ -O2 -pedantic -Wshadow -Wconversion" \
    g++ -std=c++17 -O2 -Wall -Wextra -Werror -pedantic -Wshadow -Wconversion -Iinclude tests/cpp/test_wrapper.cpp \
    -L"$LIB" -letna_auth -pthread -o "$out"
if [ "$check_ok" = 1 ]; then
    run_program test_wrapper-O2 env LD_LIBRARY_PATH="$LIB" "$out" "${filter[@]}"
fi

# The source tree as a CMake subproject (packaging/cmake/test/vendored): cargo
# in TARGET_DIR, where it finds the library up to date (with the build's
# CARGO_PROFILE_* environment, which cargo's fingerprints include).
if [ "$profile" = release ]; then
    for via in add_subdirectory FetchContent; do
        check "CMake: a consumer of the source tree by $via (cargo reuses $TARGET_DIR), C, C++ and -static, run" \
            bash packaging/cmake_test.sh --vendored "$via" "$TARGET_DIR" "$WORK/vendored-$via"
    done
fi

report cpp

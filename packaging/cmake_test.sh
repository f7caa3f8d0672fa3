# Sourced by packaging/test_artifacts.sh (which provides check, show, $root,
# $here, $tmp, $version): the C and C++ SDK as a CMake user meets it.
#
# cpp_sdk_tarball_checks TOP FLAVOUR   an unpacked Linux tarball: etna_auth.hpp and
#     lib/cmake/etna_auth present and relocatable; for the host's (gnu) one, the
#     find_package version rules (a version range too) and components (an unknown
#     one is not found), a CMake consumer building a C and a C++ program with each
#     target and running them, the consumers of packaging/cmake/test/ (the
#     README's C++ snippet with clang++ and no C++ standard, also with the SDK
#     fetched by FetchContent; -static links in C and C++; the package found
#     twice with CMAKE_FIND_PACKAGE_TARGETS_GLOBAL; the SDK laid out in lib64 and
#     lib/<multiarch>), and examples/c, examples/cpp built from the SDK and run
#     against the sandbox with scripted input and a Ctrl-C.
# cpp_sdk_zip_checks ZIP               the Windows zip: lib/etna_auth.lib (llvm-nm:
#     every __imp_etna_* of the .def, naming etna_auth.dll), a CRT-free program
#     linked the MSVC way against it (clang --target=x86_64-pc-windows-msvc,
#     lld-link) and run under Wine, the CMake consumer and the examples built with
#     the MinGW toolchain file and run under Wine.

# A command whose output is shown only when it fails (cmake's builds).
quietly() {
    "$@" >"$tmp/quietly.log" 2>&1 || { tail -n 40 "$tmp/quietly.log"; return 1; }
}

# The unpacked SDK's C++ header and CMake files.
cpp_sdk_layout() { # TOP
    local d=$1 f
    for f in include/etna_auth.hpp lib/cmake/etna_auth/etna_authConfig.cmake lib/cmake/etna_auth/etna_authConfigVersion.cmake; do
        [ -f "$d/$f" ] || { echo "missing $f"; return 1; }
    done
    cmp "$d/include/etna_auth.hpp" "$root/include/etna_auth.hpp" || return 1
    ! grep -n "$tmp\|/work/\|/build/\|/home/\|/root/" "$d"/lib/cmake/etna_auth/*.cmake || { echo "a build path in the CMake files"; return 1; }
    grep -q 'CMAKE_CURRENT_LIST_DIR' "$d/lib/cmake/etna_auth/etna_authConfig.cmake"
    grep -qF "set(PACKAGE_VERSION \"$version\")" "$d/lib/cmake/etna_auth/etna_authConfigVersion.cmake"
    grep -n 'INTERFACE_LINK_LIBRARIES' "$d/lib/cmake/etna_auth/etna_authConfig.cmake"
}

# find_package(etna_auth REQUEST) in a project without languages: FOUND or NOT FOUND.
cmake_find() { # TOP REQUEST
    local p=$tmp/find-$RANDOM
    mkdir -p "$p"
    printf 'cmake_minimum_required(VERSION 3.13)\nproject(f LANGUAGES NONE)\nfind_package(etna_auth %s)\nif(etna_auth_FOUND)\n  message(STATUS "FOUND ${etna_auth_VERSION}")\nelse()\n  message(STATUS "NOT FOUND")\nendif()\n' "$2" >"$p/CMakeLists.txt"
    cmake -S "$p" -B "$p/b" -DCMAKE_PREFIX_PATH="$1" 2>/dev/null | sed -n 's/^-- \(FOUND.*\|NOT FOUND\)$/\1/p'
}
# Each REQUEST=FOUND or REQUEST=NOT: find_package(etna_auth REQUEST) finds this version or nothing.
cmake_finds() { # TOP REQUEST=FOUND|NOT...
    local top=$1 want request got
    shift
    for want in "$@"; do
        request=${want%%=*}
        got=$(cmake_find "$top" "$request")
        echo "find_package(etna_auth $request): $got"
        case "${want#*=}" in
            FOUND) [ "$got" = "FOUND $version" ] || return 1 ;;
            NOT) [ "$got" = "NOT FOUND" ] || return 1 ;;
        esac
    done
}
cmake_version_rules() { # TOP
    local major minor patch older=()
    IFS=. read -r major minor patch <<<"$version"
    # Before 1.0 the minor is the ABI version: an older minor does not do.
    [ "$major" != 0 ] || [ "$minor" = 0 ] || older=("0.$((minor - 1))=NOT")
    cmake_finds "$1" "$major.$minor=FOUND" "$version=FOUND" "$major.$((minor + 1))=NOT" "$((major + 1)).0=NOT" \
        "$major.$minor.$((patch + 1))=NOT" "${older[@]}"
}

# The consumer (packaging/test/cmake) built with the SDK at TOP, in BUILD; extra cmake arguments follow.
cmake_consumer_build() { # TOP BUILD [cmake args...]
    local top=$1 build=$2
    shift 2
    local major minor
    IFS=. read -r major minor _ <<<"$version"
    quietly cmake -S "$here/test/cmake" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$top" \
        -DETNA_AUTH_VERSION="$major.$minor" "$@" && quietly cmake --build "$build" -j 2 &&
        grep -F 'etna_auth_DIR:' "$build/CMakeCache.txt"
}
cmake_consumer_linux() { # TOP
    local top=$1 build=$tmp/cmake-consumer app
    cmake_consumer_build "$top" "$build" || return 1
    for app in app_c_shared app_cpp_shared app_c_static app_cpp_static; do
        (cd "$build" && env -u LD_LIBRARY_PATH "./$app") || { echo "$app failed"; return 1; }
    done
    # Shared: found in the SDK's lib/ through the build's RUNPATH; static: no libetna_auth at all.
    env -u LD_LIBRARY_PATH ldd "$build/app_cpp_shared" | grep -F "$top/lib/libetna_auth.so" || return 1
    ! readelf -d "$build/app_c_static" "$build/app_cpp_static" | grep -F libetna_auth
}

# examples/c and examples/cpp from the SDK; then, with scripted input: bob (PIN),
# dave (PIN, code), alice with a wrong password, on one session.
examples_script='bob\nbob-pass\n1234\ndave\ndave-pass\n4321\n654321\nalice\nwrong\n\n'
examples_check_output() { # STDOUT STDERR: the headers on stdout, the prompts and messages on stderr
    awk '{print "    stdout| " $0}' "$1"
    awk '{print "    stderr| " $0}' "$2"
    [ "$(grep -c '^Authorization: Bearer [A-Za-z0-9+/=]\{20,\}$' "$1")" = 2 ] || { echo "not two Authorization headers"; return 1; }
    grep -q 'Invalid credentials' "$2" && ! grep -q 'bob-pass\|dave-pass\|654321' "$1" "$2"
}
examples_linux() { # TOP
    local top=$1 lang log status
    for lang in c cpp; do
        quietly cmake -S "$root/examples/$lang" -B "$tmp/example-$lang" -DCMAKE_PREFIX_PATH="$top" &&
            quietly cmake --build "$tmp/example-$lang" || return 1
        log=$tmp/example-$lang
        status=0
        printf "$examples_script" | timeout 60 "$tmp/example-$lang/login" --sandbox >"$log.out" 2>"$log.err" || status=$?
        examples_check_output "$log.out" "$log.err" || return 1
        [ "$status" = 3 ] || { echo "examples/$lang exited with $status, not 3 (one failed login)"; return 1; }
    done
}
# Ctrl-C while the server does not answer: the login is cancelled at once.
examples_ctrl_c() {
    local lang log port pid status
    python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(8); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$tmp/staller.port" &
    local staller=$!
    for _ in $(seq 50); do port=$(cat "$tmp/staller.port"); [ -n "$port" ] && break; sleep 0.1; done
    for lang in c cpp; do
        log=$tmp/example-$lang-ctrl-c.log
        (printf 'u\npw\n'; sleep 5) | "$tmp/example-$lang/login" "http://127.0.0.1:$port/api" key >"$log" 2>&1 &
        pid=$!
        sleep 1
        kill -INT "$pid"
        status=0
        wait "$pid" || status=$?
        awk -v p="    $lang| " '{print p $0}' "$log"
        grep -q 'cancel' "$log" || { echo "examples/$lang: no cancellation after Ctrl-C (exit $status)"; kill "$staller"; return 1; }
    done
    kill "$staller" 2>/dev/null
    wait "$staller" 2>/dev/null
    return 0
}

cpp_sdk_tarball_checks() { # TOP FLAVOUR
    local top=$1 flavour=$2
    show "$flavour tarball: etna_auth.hpp and lib/cmake/etna_auth, relocatable" cpp_sdk_layout "$top"
    [ "$flavour" = gnu ] || return 0
    command -v cmake >/dev/null || { echo "note: no cmake: the CMake consumer is not built"; return 0; }
    show "find_package(etna_auth) version rules (SameMajorVersion; before 1.0 the minor)" cmake_version_rules "$top"
    command -v clang++ >/dev/null || apt_install clang # the consumers below: the compiler that defaults to C++14
    show "find_package(etna_auth) version ranges (a project's own list of versions)" cmake_version_ranges "$top"
    show "find_package(etna_auth COMPONENTS): shared, static, cpp found; an unknown one is not" cmake_component_rules "$top"
    show "CMake consumer: C and C++ with etna_auth::etna_auth and etna_auth::etna_auth_static, run" cmake_consumer_linux "$top"
    if command -v clang++ >/dev/null; then
        show "CMake: etna_auth::etna_auth_cpp with clang++ and no CMAKE_CXX_STANDARD (the README's snippet), run" cmake_cpp_target "$top"
        show "CMake: the SDK archive by FetchContent, then find_package in it, run" cmake_fetch_sdk "$top"
        show "CMake: -static C and C++ programs with etna_auth::etna_auth_static (no gcc_s, no c), run" cmake_static_link "$top"
        show "CMake: found twice with CMAKE_FIND_PACKAGE_TARGETS_GLOBAL, variables set both times, run" cmake_found_twice "$top"
        show "CMake: the SDK in lib64 (cmake.sh there), found and run" cmake_libdir_layout "$top" lib64
        show "CMake: the SDK in lib/x86_64-linux-gnu (cmake.sh there), found and run" cmake_libdir_layout "$top" lib/x86_64-linux-gnu
    else
        fail "CMake consumers of packaging/cmake/test: no clang++ (apt-get install clang)"
    fi
    show "examples/c and examples/cpp built from the SDK, scripted logins against the sandbox" examples_linux "$top"
    show "examples: Ctrl-C cancels a login while the server stalls" examples_ctrl_c
}

# A consumer of packaging/cmake/test/NAME configured with clang++ and built with the SDK
# at TOP in BUILD, its programs run; extra cmake arguments follow.
# The configure step's output stays in BUILD.configure.log; its "-- etna_auth..." and
# "-- first:/second:" lines are shown.
cmake_test_consumer() { # NAME TOP BUILD [cmake args...]
    local name=$1 top=$2 build=$3 app
    shift 3
    CC=clang CXX=clang++ cmake -S "$here/cmake/test/$name" -B "$build" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$top" -DAPP_DIR="$here/test" "$@" >"$build.configure.log" 2>&1 ||
        { tail -n 40 "$build.configure.log"; return 1; }
    grep -E -- '^-- (etna_auth|first:|second:)' "$build.configure.log"
    quietly cmake --build "$build" -j 2 || return 1
    local apps
    apps=$(find "$build" -maxdepth 2 -type f -name 'app_*' -perm -u+x | sort)
    [ -n "$apps" ] || { echo "no program built in $build"; return 1; }
    for app in $apps; do
        (cd "$build" && env -u LD_LIBRARY_PATH "$app") || { echo "$app failed"; return 1; }
    done
}
# The README's snippet with clang++ and no CMAKE_CXX_STANDARD: etna_auth::etna_auth_cpp brings C++17.
cmake_cpp_target() { # TOP
    cmake_test_consumer cpp "$1" "$tmp/cmake-cpp"
}
# FetchContent of the SDK archive (made from TOP) and find_package in it.
cmake_fetch_sdk() { # TOP
    local top=$1 archive=$tmp/fetched-sdk.tar.gz
    tar -C "$(dirname "$top")" -czf "$archive" "$(basename "$top")" || return 1
    cmake_test_consumer cpp /nonexistent "$tmp/cmake-fetch" -DETNA_AUTH_SDK_URL="file://$archive" &&
        grep -F "etna_auth_DIR:PATH=$tmp/cmake-fetch/_deps/etna_auth_sdk-src/lib/cmake/etna_auth" "$tmp/cmake-fetch/CMakeCache.txt"
}
# find_package(etna_auth REQUIRED COMPONENTS ...): configures (0) or not (1), its message shown.
cmake_components() { # TOP COMPONENTS...
    local top=$1 p=$tmp/components-$RANDOM
    shift
    mkdir -p "$p"
    printf 'cmake_minimum_required(VERSION 3.16)\nproject(c LANGUAGES C)\nfind_package(etna_auth REQUIRED COMPONENTS %s)\n' "$*" >"$p/CMakeLists.txt"
    cmake -S "$p" -B "$p/b" -DCMAKE_PREFIX_PATH="$top" >"$p/log" 2>&1
    local status=$?
    grep -o "etna_auth: no component[^)]*)" "$p/log" | head -1
    return $status
}
cmake_component_rules() { # TOP
    local top=$1
    cmake_components "$top" shared static cpp || { echo "COMPONENTS shared static cpp: not found"; return 1; }
    echo "COMPONENTS shared static cpp: found"
    ! cmake_components "$top" nonsense || { echo "COMPONENTS nonsense: found"; return 1; }
    echo "COMPONENTS nonsense: not found (configure failed)"
    ! cmake_components "$top" cpp nonsense || { echo "COMPONENTS cpp nonsense: found"; return 1; }
}
cmake_version_ranges() { # TOP
    local major minor
    IFS=. read -r major minor _ <<<"$version"
    cmake_finds "$1" "0.0...$major.$((minor + 4))=FOUND" "$major.$minor...<$major.$((minor + 1))=FOUND" \
        "$major.$((minor + 1))...$((major + 1)).0=NOT" "0.0...<$major.$minor=NOT"
}
# -static: the C and the C++ program linked with no shared library at all.
cmake_static_link() { # TOP
    local build=$tmp/cmake-static
    cmake_test_consumer static "$1" "$build" || return 1
    local links
    links=$(sed -n 's/^-- etna_auth::etna_auth_static links: //p' "$build.configure.log")
    [ -n "$links" ] || { echo "no link interface printed"; return 1; }
    ! grep -qE '(^|;)(c|gcc_s)(;|$)' <<<"$links" || { echo "the link interface names c or gcc_s"; return 1; }
    local kinds
    kinds=$(file "$build/app_c_static" "$build/app_cpp_static")
    echo "$kinds"
    [ "$(grep -c 'statically linked' <<<"$kinds")" = 2 ]
}
cmake_found_twice() { # TOP
    cmake_test_consumer twice "$1" "$tmp/cmake-twice"
}
# The SDK as a distribution lays it out (LIBDIR lib64, or lib/<multiarch>), its CMake files
# written there by packaging/cmake.sh; a consumer finds it through etna_auth_DIR and runs.
cmake_libdir_layout() { # TOP LIBDIR
    local top=$1 libdir=$2 copy
    copy=$tmp/layout-${libdir//\//-}/$(basename "$top")
    rm -rf "$(dirname "$copy")" && mkdir -p "$(dirname "$copy")" && cp -a "$top" "$copy" || return 1
    mv "$copy/lib" "$copy.lib" && mkdir -p "$(dirname "$copy/$libdir")" && mv "$copy.lib" "$copy/$libdir" || return 1
    rm -rf "$copy/$libdir/cmake"
    bash "$here/cmake.sh" "$copy" x86_64-unknown-linux-gnu >/dev/null || return 1
    [ -f "$copy/$libdir/cmake/etna_auth/etna_authConfig.cmake" ] || { echo "no $libdir/cmake/etna_auth"; return 1; }
    cmake_test_consumer twice /nonexistent "$tmp/cmake-layout-${libdir//\//-}" -Detna_auth_DIR="$copy/$libdir/cmake/etna_auth" &&
        ldd "$tmp/cmake-layout-${libdir//\//-}/first/app_cpp_first" | grep -F "$copy/$libdir/libetna_auth.so"
}

# The source tree as a CMake subproject (the root CMakeLists.txt) by VIA (add_subdirectory or
# FetchContent), cargo's output in TARGET_DIR: cargo must find the library there up to date
# (no crate compiled but the thin C ABI and library crates); the C program shared and -static and the C++ one run. For tests/cpp.sh.
cmake_vendored() { # VIA TARGET_DIR BUILD
    local via=$1 target_dir=$2 build=$3 app
    CC=clang CXX=clang++ quietly cmake -S "$here/cmake/test/vendored" -B "$build" -DETNA_AUTH_VIA="$via" \
        -DETNA_AUTH_SOURCE="$root" -DAPP_DIR="$here/test" -DETNA_AUTH_CARGO_TARGET_DIR="$target_dir" || return 1
    grep -h -- '^-- etna_auth' "$tmp/quietly.log"
    cmake --build "$build" -j 2 >"$build/build.log" 2>&1 || { tail -n 40 "$build/build.log"; return 1; }
    grep -E '^ *(Compiling|Finished|Fresh)' "$build/build.log"
    # At most the two thin crates on top (the C ABI and the library, seconds)
    # are built again: the workspace's `cargo build --all-targets` unifies the
    # dev-dependencies' features into them, `-p etna-auth-ffi` does not; every
    # crate below them (the core, rustls, ring...) must be found up to date.
    ! grep -E '^ *Compiling' "$build/build.log" | grep -qvE 'Compiling etna-auth-(ffi|capi) ' ||
        { echo "cargo compiled again: $target_dir was not up to date for this tree (sources changed since its build, or another CARGO_PROFILE_* environment)"; return 1; }
    for app in app_c app_cpp app_c_static; do
        (cd "$build" && env -u LD_LIBRARY_PATH "./$app") || { echo "$app failed"; return 1; }
    done
    readelf -d "$build/app_c" | grep -E 'NEEDED.*libetna_auth.so\]' || { echo "app_c does not need libetna_auth.so by name"; return 1; }
    ! readelf -d "$build/app_c_static" 2>/dev/null | grep -F NEEDED || { echo "app_c_static is not static"; return 1; }
}

# --- Windows ---------------------------------------------------------------------------
msvc_lib_symbols() { # TOP: every function of the .def as __imp_ in etna_auth.lib, which names etna_auth.dll only
    local top=$1 nm f missing=0
    nm=$(command -v llvm-nm || ls /usr/bin/llvm-nm-* 2>/dev/null | sort -V | tail -1)
    [ -n "$nm" ] || { echo "no llvm-nm"; return 1; }
    "$nm" "$top/lib/etna_auth.lib" >"$tmp/lib.nm" || return 1
    for f in $(awk '$1 ~ /^etna_/ {print $1}' "$top/lib/etna_auth.def"); do
        grep -q " __imp_$f\$" "$tmp/lib.nm" || { echo "no __imp_$f"; missing=1; }
    done
    echo "$(grep -c ' __imp_etna_' "$tmp/lib.nm") __imp_etna_* symbols for $(awk '$1 ~ /^etna_/' "$top/lib/etna_auth.def" | wc -l) exports of etna_auth.def"
    echo "members name: $(grep -E '^[^ ].*:$' "$tmp/lib.nm" | sort -u | tr '\n' ' ')"
    [ "$(grep -E '^[^ ].*:$' "$tmp/lib.nm" | sort -u)" = "etna_auth.dll:" ] && [ "$missing" = 0 ]
}
# A program with no C runtime (none for MSVC here), linked by lld-link against etna_auth.lib
# and a kernel32 import library made the same way; run under Wine.
msvc_link_and_run() { # TOP
    local top=$1 d=$tmp/msvc
    mkdir -p "$d"
    printf 'LIBRARY kernel32.dll\nEXPORTS\n    GetStdHandle\n    WriteFile\n    ExitProcess\n' >"$d/kernel32.def"
    llvm-dlltool -m i386:x86-64 -d "$d/kernel32.def" -l "$d/kernel32.lib" &&
        clang --target=x86_64-pc-windows-msvc -ffreestanding -fno-stack-protector -O1 -Wall -Wextra -Werror \
            -I"$top/include" -c "$here/test/msvc_app.c" -o "$d/msvc_app.obj" &&
        lld-link /nologo /nodefaultlib /entry:mainCRTStartup /subsystem:console /out:"$d/msvc_app.exe" \
            "$d/msvc_app.obj" "$top/lib/etna_auth.lib" "$d/kernel32.lib" || return 1
    x86_64-w64-mingw32-objdump -p "$d/msvc_app.exe" | grep 'DLL Name'
    cp "$top/bin/etna_auth.dll" "$d/"
    (cd "$d" && timeout 120 "$WINE" ./msvc_app.exe) | tr -d '\r' | tee /dev/stderr | grep -q 'bob logged in'
}
cmake_consumer_windows() { # TOP
    local top=$1 build=$tmp/cmake-consumer-win app
    cmake_consumer_build "$top" "$build" -DCMAKE_TOOLCHAIN_FILE="$here/test/cmake/mingw-w64.cmake" || return 1
    for app in app_c_shared app_cpp_shared app_c_static app_cpp_static; do
        (cd "$build" && timeout 120 "$WINE" "./$app.exe") | tr -d '\r' || { echo "$app.exe failed"; return 1; }
    done
}
examples_windows() { # TOP
    local top=$1 lang log
    for lang in c cpp; do
        quietly cmake -S "$root/examples/$lang" -B "$tmp/example-win-$lang" -DCMAKE_PREFIX_PATH="$top" \
            -DCMAKE_TOOLCHAIN_FILE="$here/test/cmake/mingw-w64.cmake" && quietly cmake --build "$tmp/example-win-$lang" || return 1
        log=$tmp/example-win-$lang
        (cd "$tmp/example-win-$lang" && printf "$examples_script" | timeout 120 "$WINE" ./login.exe --sandbox \
            >"$log.crlf" 2>"$log.err.crlf")
        tr -d '\r' <"$log.crlf" >"$log.out" && tr -d '\r' <"$log.err.crlf" >"$log.err"
        examples_check_output "$log.out" "$log.err" || return 1
    done
}

cpp_sdk_zip_checks() { # ZIP
    local zip=$1 name
    name=$(basename "$zip" .zip)
    mkdir -p "$tmp/win" && unzip -q -o "$zip" -d "$tmp/win" || { check "windows-gnu zip unzips" false; return; }
    local top=$tmp/win/$name
    show "windows-gnu zip: etna_auth.hpp and lib/cmake/etna_auth, relocatable" cpp_sdk_layout "$top"
    show "etna_auth.lib (MSVC import library): every export of etna_auth.def, for etna_auth.dll" msvc_lib_symbols "$top"
    local wine_ok=0
    if command -v x86_64-w64-mingw32-g++-posix >/dev/null && command -v cmake >/dev/null && [ -x /usr/lib/wine/wine64 ]; then
        # shellcheck source=../tests/windows/wine_prefix.sh
        . "$root/tests/windows/wine_prefix.sh"
        # Not through check: its subshell would lose WINEPREFIX.
        if wine_prefix_init >"$tmp/wineboot.log" 2>&1; then
            wine_ok=1
        else
            check "a Wine prefix (wineboot)" bash -c "cat '$tmp/wineboot.log'; false"
        fi
    else
        echo "note: no MinGW g++ (posix), cmake or wine64: the Windows SDK is not built against"
    fi
    if command -v clang >/dev/null && command -v lld-link >/dev/null && command -v llvm-dlltool >/dev/null && [ "$wine_ok" = 1 ]; then
        show "a CRT-free program linked the MSVC way (clang, lld-link) against etna_auth.lib, run under Wine" msvc_link_and_run "$top"
    fi
    if [ "$wine_ok" = 1 ]; then
        show "CMake consumer with the MinGW toolchain file: C and C++, shared and static, run under Wine" cmake_consumer_windows "$top"
        show "examples/c and examples/cpp built for Windows from the SDK, scripted logins under Wine" examples_windows "$top"
        wine_prefix_remove
    fi
}

# Run directly: the same checks without packaging/test_artifacts.sh.
#   bash packaging/cmake_test.sh --staged [TARGET_DIR]   an SDK laid out from TARGET_DIR/release
#       (default target/; the soname set by patchelf), then cpp_sdk_tarball_checks: for quick
#       iterations; the release tarball is what packaging/test_artifacts.sh tests
#   bash packaging/cmake_test.sh --vendored VIA TARGET_DIR BUILD     cmake_vendored (tests/cpp.sh)
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -uo pipefail
    here=$(cd "$(dirname "$0")" && pwd)
    root=$(cd "$here/.." && pwd)
    version=$(awk '/^\[/{s=$0} s=="[workspace.package]" && $1=="version" {gsub(/"/,"",$3); print $3; exit}' "$root/Cargo.toml")
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/etna-auth-cmake.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    . "$root/tests/lib.sh" # check, pass, fail, report
    show() { local name=$1; shift; VERBOSE=1 check "$name" "$@"; }
    case "${1:-}" in
        --vendored)
            [ $# = 4 ] || { echo "usage: $0 --vendored VIA TARGET_DIR BUILD" >&2; exit 64; }
            cmake_vendored "$2" "$3" "$4"
            exit ;;
        --staged)
            out=${2:-$root/target}/release
            top=$tmp/etna-auth-$version-x86_64-linux-gnu
            IFS=. read -r major minor _ <<<"$version"
            soname=libetna_auth.so.$major.$minor
            [ "$major" = 0 ] || soname=libetna_auth.so.$major
            command -v patchelf >/dev/null || apt_install patchelf
            mkdir -p "$top/lib" "$top/include" &&
                install -m755 "$out/libetna_auth.so" "$top/lib/libetna_auth.so.$version" &&
                patchelf --set-soname "$soname" "$top/lib/libetna_auth.so.$version" &&
                ln -s "libetna_auth.so.$version" "$top/lib/$soname" && ln -s "libetna_auth.so.$version" "$top/lib/libetna_auth.so" &&
                install -m644 "$out/libetna_auth.a" "$top/lib/" && install -m644 "$root/include/etna_auth.h" "$top/include/" &&
                bash "$here/cmake.sh" "$top" x86_64-unknown-linux-gnu >/dev/null || { echo "cannot stage an SDK from $out" >&2; exit 1; }
            cpp_sdk_tarball_checks "$top" gnu
            report cmake_test ;;
        *) sed -n '/^# Run directly/,/^if \[/p' "$0" | sed '$d'; exit 64 ;;
    esac
fi

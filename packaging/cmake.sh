#!/usr/bin/env bash
# The C and C++ SDK's extras in an installed prefix (an archive's staging
# directory, or where `cargo cinstall` put the library):
#
# - include/etna_auth.hpp, the header-only C++17 wrapper;
# - LIBDIR/cmake/etna_auth/etna_authConfig.cmake, etna_authConfigVersion.cmake
#   (from packaging/cmake/*.in) and etna_auth_static_libs.cmake: the imported
#   targets etna_auth::etna_auth, etna_auth::etna_auth_static and
#   etna_auth::etna_auth_cpp for find_package(etna_auth);
# - on Windows, lib/etna_auth.lib: an MSVC import library for etna_auth.dll,
#   made from lib/etna_auth.def by LLVM's llvm-dlltool.
#
#   bash packaging/cmake.sh PREFIX [TRIPLE [LIBDIR]]   after cargo cinstall --prefix PREFIX (TRIPLE: the host's)
#   . packaging/cmake.sh; cpp_sdk_into PREFIX TRIPLE VERSION [LIBDIR]      (packaging/build.sh)
#
# LIBDIR is where the library is, relative to PREFIX: by default the first
# of lib, lib64 and lib/<multiarch> (e.g. lib/x86_64-linux-gnu) that holds
# it. The version is Cargo.toml's. The static link's system libraries are
# packaging/cmake/etna_auth_static_libs.cmake's (Threads::Threads, the dl
# library, m), except on Windows: the Libs.private of the prefix's
# lib/pkgconfig/etna_auth.pc (cargo-c's).

# cpp_sdk_into PREFIX TRIPLE VERSION [LIBDIR]: the three pieces above.
cpp_sdk_into() {
    local prefix=$1 triple=$2 version=$3 libdir=${4:-} root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    install -D -m644 "$root/include/etna_auth.hpp" "$prefix/include/etna_auth.hpp" || return 1
    case "$triple" in
        *windows*) msvc_import_lib "$prefix" || return 1 ;;
    esac
    cmake_config_into "$prefix" "$triple" "$version" "$libdir"
}

# cmake_config_into PREFIX TRIPLE VERSION [LIBDIR]: LIBDIR/cmake/etna_auth/*.cmake.
cmake_config_into() {
    local prefix=$1 triple=$2 version=$3 libdir=${4:-} here major minor shared soname="" windows=0 static_libs="" pc
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    IFS=. read -r major minor _ <<<"$version"
    case "$triple" in
        *windows*) windows=1; libdir=lib; shared=etna_auth.dll
           [ -f "$prefix/bin/$shared" ] || { echo "cmake.sh: no $prefix/bin/$shared" >&2; return 1; }
           pc=$prefix/lib/pkgconfig/etna_auth.pc
           [ -f "$pc" ] || { echo "cmake.sh: no $pc (its Libs.private lists the static link's libraries)" >&2; return 1; }
           # "-lkernel32 -lws2_32" -> "kernel32;ws2_32": CMake's list of libraries to link.
           static_libs=$(sed -n 's/^Libs.private: *//p' "$pc" | tr ' ' '\n' | sed -n 's/^-l//p' | paste -sd';' -) ;;
        *) shared=libetna_auth.so.$version
           if [ -z "$libdir" ]; then
               local found
               for found in "$prefix"/lib/"$shared" "$prefix"/lib64/"$shared" "$prefix"/lib/*/"$shared" "$prefix/lib/"; do
                   [ -f "$found" ] && break
               done
               libdir=$(dirname "${found#"$prefix"/}")
           fi
           [ -f "$prefix/$libdir/$shared" ] || { echo "cmake.sh: no $prefix/$libdir/$shared" >&2; return 1; }
           soname=$(readelf -d "$prefix/$libdir/$shared" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
           [ -n "$soname" ] || { echo "cmake.sh: no soname in $prefix/$libdir/$shared" >&2; return 1; } ;;
    esac
    # From LIBDIR/cmake/etna_auth up to the prefix: one ".." per part of LIBDIR, and two.
    local up part
    up=../..
    IFS=/ read -ra part <<<"$libdir"
    for _ in "${part[@]}"; do up=$up/..; done
    local dir=$prefix/$libdir/cmake/etna_auth f
    mkdir -p "$dir"
    for f in etna_authConfig etna_authConfigVersion; do
        sed -e "s|@VERSION@|$version|g" -e "s|@MAJOR@|$major|g" -e "s|@MINOR@|$minor|g" -e "s|@TRIPLE@|$triple|g" \
            -e "s|@SHARED@|$shared|g" -e "s|@SONAME@|$soname|g" -e "s|@WINDOWS@|$windows|g" \
            -e "s|@LIBDIR@|$libdir|g" -e "s|@PREFIX_UP@|$up|g" \
            -e "s|@STATIC_LIBS@|$static_libs|g" "$here/cmake/$f.cmake.in" >"$dir/$f.cmake" || return 1
        ! grep -n '@[A-Z_]*@' "$dir/$f.cmake" || { echo "cmake.sh: $f.cmake.in: unknown placeholder" >&2; return 1; }
    done
    install -m644 "$here/cmake/etna_auth_static_libs.cmake" "$dir/etna_auth_static_libs.cmake"
}

# msvc_import_lib PREFIX: lib/etna_auth.lib from lib/etna_auth.def, naming etna_auth.dll.
msvc_import_lib() {
    local prefix=$1 dlltool
    dlltool=$(command -v llvm-dlltool || ls /usr/bin/llvm-dlltool-* 2>/dev/null | sort -V | tail -1)
    [ -n "$dlltool" ] || { echo "cmake.sh: llvm-dlltool not found (apt-get install llvm)" >&2; return 1; }
    "$dlltool" -m i386:x86-64 -d "$prefix/lib/etna_auth.def" -D etna_auth.dll -l "$prefix/lib/etna_auth.lib"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    [ $# -ge 1 ] || { sed -n '2,24p' "$0"; exit 64; }
    root=$(cd "$(dirname "$0")/.." && pwd)
    version=$(awk '/^\[/{s=$0} s=="[workspace.package]" && $1=="version" {gsub(/"/,"",$3); print $3; exit}' "$root/Cargo.toml")
    cpp_sdk_into "$1" "${2:-$(rustc -vV | sed -n 's/^host: //p')}" "$version" "${3:-}"
    echo "etna_auth.hpp, the CMake package (cmake/etna_auth beside the library) for etna-auth $version in $1"
fi

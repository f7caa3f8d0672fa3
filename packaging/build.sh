#!/usr/bin/env bash
# Builds every release artifact of etna-auth into dist/ and writes
# dist/SHA256SUMS (check with `cd dist && sha256sum -c SHA256SUMS`).
#
#   bash packaging/build.sh                 every artifact (all the packages below)
#   bash packaging/build.sh --test          the variant for the test command: linux-gnu,
#                                           linux-aarch64-gnu, linux-aarch64-musl, sdist and nuget,
#                                           then packaging/test_artifacts.sh on dist/
#   bash packaging/build.sh --packages linux-gnu,linux-musl,sdist,nuget
#   ETNA_PACKAGES="linux-gnu nuget" bash packaging/build.sh
#   bash packaging/build.sh --linux-only    every Linux package, sdist and nuget
#   bash packaging/build.sh ... --check     also run packaging/test_artifacts.sh afterwards
#   bash packaging/build.sh --test --no-check   the test variant's packages only (the test
#                                           command builds them in the background, tests later)
#
# Packages (each one requested must build, or the script stops with a message
# and a non-zero exit code):
#   linux-gnu    etna-auth-V-x86_64-linux-gnu.tar.gz and the manylinux_2_17 (manylinux2014)
#                wheel: glibc 2.17 and later (Zig, packaging/zig.sh)
#   linux-musl   etna-auth-V-x86_64-linux-musl.tar.gz and the musllinux_1_2 wheel
#   linux-aarch64-gnu   etna-auth-V-aarch64-linux-gnu.tar.gz and the manylinux_2_17_aarch64
#                wheel (glibc 2.17, Zig)
#   linux-aarch64-musl  etna-auth-V-aarch64-linux-musl.tar.gz (static CLI) and the
#                musllinux_1_2_aarch64 wheel (Zig)
#   windows-gnu  etna-auth-V-x86_64-windows-gnu.zip and the win_amd64 wheel
#   sdist        etna_auth-V.tar.gz: the Python package with the Rust workspace,
#                built with cargo by pip where no wheel fits
#   nuget        EtnaAuth.V.nupkg with the native library of every target built
#                in this run (runtimes/linux-x64, linux-musl-x64, linux-arm64,
#                linux-musl-arm64, win-x64)
#
# The version is the workspace Cargo.toml's [workspace.package] version; it
# reaches the header macros and etna_version() (capi/build.rs), the wheels and
# sdist (bindings/python/setup.py), the nuspec and EtnaAuth.dll's assembly
# version (here). The C library is built and laid out by cargo-c
# (`cargo cinstall`, [package.metadata.capi] in capi/Cargo.toml), except for the
# Zig-built packages (linux-gnu, linux-aarch64-*), which packaging/zig.sh lays out
# the same way.
#
# Installs what is missing, as the test command does: cargo-c (cargo install,
# a few minutes once), the Rust targets (rustup), musl-tools / mingw-w64 /
# mono-mcs / zip (apt), and a Python venv with setuptools, build, auditwheel,
# and for the Zig builds ziglang and cargo-zigbuild (pip) under
# ${XDG_CACHE_HOME:-~/.cache}/etna-auth/. Cargo's output goes to
# $CARGO_TARGET_DIR (default target/): cargo-c's builds under cargo-c/<triple>/release
# (cargo-c embeds another cargo, whose fingerprints would clash with the system
# cargo's), the CLI under release/ (the host's) or <triple>/release.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
start=$(date +%s)

die() { echo "packaging/build.sh: error: $*" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }

# --- options ---------------------------------------------------------------------------
all_packages="linux-gnu linux-musl linux-aarch64-gnu linux-aarch64-musl windows-gnu sdist nuget"
packages=${ETNA_PACKAGES:-$all_packages}
run_checks=0
while [ $# -gt 0 ]; do
    case "$1" in
        --test) packages="linux-gnu linux-aarch64-gnu linux-aarch64-musl sdist nuget"; run_checks=1 ;;
        --linux-only) packages="linux-gnu linux-musl linux-aarch64-gnu linux-aarch64-musl sdist nuget" ;;
        --packages) [ $# -ge 2 ] || die "--packages needs a list"; packages=$2; shift ;;
        --packages=*) packages=${1#--packages=} ;;
        --check) run_checks=1 ;;
        --no-check) run_checks=0 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
packages=$(echo "$packages" | tr ',' ' ')
want() { case " $packages " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
for p in $packages; do
    case " $all_packages " in *" $p "*) ;; *) die "unknown package '$p' (known: $all_packages)" ;; esac
done

version=$(awk '/^\[/{s=$0} s=="[workspace.package]" && $1=="version" {gsub(/"/,"",$3); print $3; exit}' Cargo.toml)
[ -n "$version" ] || die "no [workspace.package] version in Cargo.toml"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR=$root/$CARGO_TARGET_DIR ;; esac
dist=${ETNA_DIST_DIR:-$root/dist}
# Reproducible archives: every file dated at the last commit.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/etna-auth
work=$(mktemp -d "${TMPDIR:-/tmp}/etna-auth-packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "etna-auth $version: packages: $packages"
echo "dist: $dist; cargo target dir: $CARGO_TARGET_DIR"

# The Python binding's own version stamp must agree (it is not derived).
py_version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' bindings/python/etna_auth/__init__.py)
[ "$py_version" = "$version" ] || die "bindings/python/etna_auth/__init__.py has __version__ $py_version, Cargo.toml $version"

cs_version=$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' bindings/csharp/EtnaAuth/EtnaAuth.csproj)
[ "$cs_version" = "$version" ] || die "bindings/csharp/EtnaAuth/EtnaAuth.csproj has <Version>$cs_version, Cargo.toml $version"

# --- tools -----------------------------------------------------------------------------
. "$here/../tests/lib.sh" # as_root, apt_install
need_cmd() { # command apt-package
    command -v "$1" >/dev/null || { echo "installing $2 (for $1)"; apt_install "$2"; }
    command -v "$1" >/dev/null || die "$1 not found after installing $2"
}
cargo_c_version=0.10.24+cargo-0.98.0
if { want linux-musl || want windows-gnu; } && ! cargo cinstall --version >/dev/null 2>&1; then
    say "installing cargo-c $cargo_c_version (cargo install; a few minutes, once)"
    need_cmd pkg-config pkg-config
    cargo install --locked cargo-c --version "$cargo_c_version"
fi
echo "$(cargo --version); $(cargo cinstall --version 2>/dev/null | head -1 || echo no cargo-c)"
need_cmd readelf binutils
want windows-gnu && need_cmd zip zip
want windows-gnu && need_cmd llvm-dlltool llvm   # lib/etna_auth.lib (packaging/cmake.sh)
if want nuget; then
    need_cmd mcs mono-mcs
fi
rust_target() { # triple
    rustup target list --installed 2>/dev/null | grep -qx "$1" && return 0
    echo "rustup target add $1"
    rustup target add "$1" || die "cannot add the Rust target $1"
}

# Python with setuptools, build and auditwheel, in a venv of its own.
venv=$cache/packaging-venv
if ! "$venv/bin/python" -c 'import setuptools, build, auditwheel, sys; assert int(setuptools.__version__.split(".")[0]) >= 77' 2>/dev/null; then
    say "Python packaging tools (venv $venv)"
    python3 -m venv --clear "$venv" || { apt_install python3-venv && python3 -m venv --clear "$venv"; }
    "$venv/bin/python" -m pip install --quiet --upgrade pip "setuptools>=77" build auditwheel
fi
vpy=$venv/bin/python

mkdir -p "$dist"
rm -f "$dist"/etna-auth-*.tar.gz "$dist"/etna-auth-*.zip "$dist"/etna_auth-*.whl "$dist"/etna_auth-*.tar.gz \
    "$dist"/EtnaAuth.*.nupkg "$dist"/SHA256SUMS

tar_dir() { # dir-to-pack output.tar.gz (the dir's name is the top-level entry)
    tar -C "$(dirname "$1")" --sort=name --owner=0 --group=0 --numeric-owner \
        --mtime="@$SOURCE_DATE_EPOCH" -cf - "$(basename "$1")" | gzip -9n >"$2"
}
docs_into() { # dir: README, licences, changelog, ABI policy
    cp README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE "$1/"
    cp docs/abi-policy.md "$1/ABI-POLICY.md"
}
# shellcheck source=zig.sh
. "$here/zig.sh" # zig_linux_gnu, zig_linux_aarch64_musl: the glibc 2.17 and aarch64 packages

# --- the C library and the CLI, per target ----------------------------------------------
# cinstall TRIPLE PREFIX [extra cargo args]: libetna_auth (+ links, .a, header, .pc) into PREFIX.
cinstall() {
    local triple=$1 prefix=$2
    shift 2
    # cargo-c embeds its own cargo, whose fingerprints differ from the system cargo's
    # ("config settings changed"): sharing a target directory would rebuild everything
    # on every run, so cargo-c gets its own.
    # Without SOURCE_DATE_EPOCH, which changes with every commit and would make
    # cargo rebuild everything (the archives still get it).
    CARGO_TARGET_DIR=${cargo_c_target_dir:-$CARGO_TARGET_DIR/cargo-c} \
        env -u SOURCE_DATE_EPOCH cargo cinstall --release --locked -p etna-auth-ffi --target "$triple" \
        --prefix "$prefix" --libdir "$prefix/lib" --bindir "$prefix/bin" --includedir "$prefix/include" "$@" ||
        die "cargo cinstall for $triple failed (see above)"
    # Relocatable: the prefix is where the .pc file is, two levels up.
    local pc=$prefix/lib/pkgconfig/etna_auth.pc
    [ -f "$pc" ] || die "cargo cinstall made no $pc"
    sed -i -e "s|^prefix=.*|prefix=\${pcfiledir}/../..|" -e "s|$prefix|\${prefix}|g" "$pc"
    ! grep -q "$work" "$pc" || die "$pc still names the build directory"
}
# The C++ wrapper, the CMake package and (Windows) the MSVC import library: packaging/cmake.sh.
. "$here/cmake.sh"
cpp_sdk() { # prefix triple
    cpp_sdk_into "$1" "$2" "$version" || die "etna_auth.hpp, lib/cmake/etna_auth or lib/etna_auth.lib for $2 were not made"
}
native_libs=() # rid=path, for the NuGet package
wheel_libs=()  # platform-tag=path, for the wheels

if want linux-aarch64-musl && { want linux-gnu || want linux-aarch64-gnu; }; then
    zig_start_musl_lib # overlaps the glibc builds below
fi

if want linux-gnu; then
    zig_linux_gnu x86_64
fi

if want linux-musl; then
    say "linux-musl: cargo cinstall (-crt-static for the .so) + static CLI"
    triple=x86_64-unknown-linux-musl
    rust_target "$triple"
    need_cmd musl-gcc musl-tools
    name=etna-auth-$version-x86_64-linux-musl
    stage=$work/$name
    # Rust's musl target links statically by default (crt-static), which rules out a
    # cdylib: the library is built with -crt-static (linked to musl's libc.so) by
    # musl-gcc, in a target directory of its own so that the static CLI's build stays
    # cached. ring's C code is compiled by musl-gcc too.
    # The .so needs libgcc_s.so.1 (the unwinder, as Alpine's own Rust libraries do), and
    # musl-gcc searches musl's directory only: a directory holding just that link.
    mkdir -p "$CARGO_TARGET_DIR/musl-libgcc_s"
    ln -sf "$(gcc -print-file-name=libgcc_s.so.1)" "$CARGO_TARGET_DIR/musl-libgcc_s/libgcc_s.so.1"
    cargo_c_target_dir=$CARGO_TARGET_DIR/cargo-c-musl-dynamic \
        RUSTFLAGS="-C target-feature=-crt-static -C link-arg=-L$CARGO_TARGET_DIR/musl-libgcc_s" \
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=musl-gcc CC_x86_64_unknown_linux_musl=musl-gcc \
        cinstall "$triple" "$stage"
    CC_x86_64_unknown_linux_musl=musl-gcc cargo build --release --locked -p etna-auth-cli --target "$triple" ||
        die "the CLI for $triple did not build"
    install -D -m755 "$CARGO_TARGET_DIR/$triple/release/etna-auth" "$stage/bin/etna-auth"
    cpp_sdk "$stage" "$triple"
    docs_into "$stage"
    tar_dir "$stage" "$dist/$name.tar.gz"
    cp "$(readlink -f "$stage/lib/libetna_auth.so")" "$work/musl-libetna_auth.so"
    native_libs+=("linux-musl-x64=$work/musl-libetna_auth.so")
    wheel_libs+=("musllinux_1_2_x86_64=$work/musl-libetna_auth.so")
fi

if want windows-gnu; then
    say "windows-gnu: cargo cinstall + CLI (MinGW-w64)"
    triple=x86_64-pc-windows-gnu
    rust_target "$triple"
    need_cmd x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
    name=etna-auth-$version-x86_64-windows-gnu
    stage=$work/$name
    cinstall "$triple" "$stage"
    cargo build --release --locked -p etna-auth-cli --target "$triple" ||
        die "the CLI for $triple did not build (the Windows port is needed)"
    install -D -m755 "$CARGO_TARGET_DIR/$triple/release/etna-auth.exe" "$stage/bin/etna-auth.exe"
    # The .def of the one source (capi/build.rs), for MSVC import libraries.
    install -m644 capi/lib/etna_auth.def "$stage/lib/etna_auth.def"
    for f in bin/etna_auth.dll lib/etna_auth.dll.a lib/etna_auth.def include/etna_auth.h; do
        [ -f "$stage/$f" ] || die "cargo cinstall for $triple made no $f"
    done
    cpp_sdk "$stage" "$triple"
    docs_into "$stage"
    (cd "$work" && find "$name" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} + &&
        find "$name" -print | LC_ALL=C sort | zip -q -X -9 "$dist/$name.zip" -@)
    cp "$stage/bin/etna_auth.dll" "$work/etna_auth.dll"
    native_libs+=("win-x64=$work/etna_auth.dll")
    wheel_libs+=("win_amd64=$work/etna_auth.dll")
fi

if want linux-aarch64-gnu; then
    zig_linux_gnu aarch64
fi

if want linux-aarch64-musl; then
    zig_linux_aarch64_musl
fi

# --- Python: sdist, then one wheel per target built from it ------------------------------
if want sdist || [ ${#wheel_libs[@]} -gt 0 ]; then
    say "Python sdist and wheels"
    src=$work/python-src
    mkdir -p "$src"
    # The package (licence symlinks dereferenced), and the Rust workspace under rust/.
    (cd bindings/python && tar -ch --exclude=build --exclude='*.egg-info' --exclude=__pycache__ \
        --exclude='*.so' --exclude='*.dylib' --exclude='*.dll' \
        README.md LICENSE-MIT LICENSE-APACHE MANIFEST.in pyproject.toml setup.py etna_auth tests) | tar -C "$src" -x
    mkdir "$src/rust"
    rust_files() {
        if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
            git ls-files -- Cargo.toml Cargo.lock README.md LICENSE-MIT LICENSE-APACHE src capi cli include
        else
            find Cargo.toml Cargo.lock README.md LICENSE-MIT LICENSE-APACHE src capi cli include -type f
        fi
    }
    rust_files | while read -r f; do [ -f "$f" ] && echo "$f"; done | tar -c -T - | tar -C "$src/rust" -x
    sdist_out=$work/sdist
    (cd "$src" && "$vpy" -m build --sdist --no-isolation --outdir "$sdist_out" . >"$work/sdist.log" 2>&1) ||
        { cat "$work/sdist.log"; die "the sdist did not build"; }
    sdist=$(ls "$sdist_out"/etna_auth-"$version".tar.gz) || die "no etna_auth-$version.tar.gz"
    want sdist && cp "$sdist" "$dist/"
    for entry in "${wheel_libs[@]}"; do
        plat=${entry%%=*}
        lib=${entry#*=}
        case "$plat" in win_*) libname=etna_auth.dll ;; *) libname=libetna_auth.so ;; esac
        mkdir -p "$work/wheel-$plat/lib"
        cp "$lib" "$work/wheel-$plat/lib/$libname"
        tar -C "$work/wheel-$plat" -xzf "$sdist"
        (cd "$work/wheel-$plat/etna_auth-$version" &&
            ETNA_AUTH_BUNDLE_LIB="$work/wheel-$plat/lib/$libname" ETNA_AUTH_WHEEL_PLAT="$plat" \
                "$vpy" -m build --wheel --no-isolation --outdir "$dist" . >"$work/wheel-$plat.log" 2>&1) ||
            { cat "$work/wheel-$plat.log"; die "the $plat wheel did not build"; }
        whl=$dist/etna_auth-$version-py3-none-$plat.whl
        [ -f "$whl" ] || die "no $(basename "$whl") (see the build's output: $(ls "$dist"/*.whl))"
        echo "wheel: $(basename "$whl")"
    done
fi

# --- NuGet -------------------------------------------------------------------------------
if want nuget; then
    say "NuGet package"
    pkg=$work/nupkg
    mkdir -p "$pkg/lib/netstandard2.0"
    # The assembly's version attributes from Cargo.toml, and the test assembly's access
    # to internals (the C# tests are compiled against the packaged EtnaAuth.dll).
    cat >"$work/AssemblyInfo.cs" <<EOF
using System.Reflection;
using System.Runtime.CompilerServices;
[assembly: AssemblyTitle("EtnaAuth")]
[assembly: AssemblyProduct("etna-auth")]
[assembly: AssemblyDescription("Log in to the ETNA Trader / AutoShares brokerage API through the native etna_auth library")]
[assembly: AssemblyVersion("$version.0")]
[assembly: AssemblyFileVersion("$version.0")]
[assembly: AssemblyInformationalVersion("$version")]
[assembly: InternalsVisibleTo("EtnaAuth.Tests")]
EOF
    # The one definition of the C# build (bindings/csharp/build.sh), with the status files checked.
    . bindings/csharp/build.sh
    etna_cs_check_generated || die "bindings/csharp: generated status files are stale"
    etna_cs_library "$pkg/lib/netstandard2.0/EtnaAuth.dll" -optimize+ -deterministic "$work/AssemblyInfo.cs" ||
        die "mcs could not build EtnaAuth.dll"
    for entry in "${native_libs[@]}"; do
        rid=${entry%%=*}
        lib=${entry#*=}
        case "$rid" in win-*) libname=etna_auth.dll ;; *) libname=libetna_auth.so ;; esac
        install -D -m644 "$lib" "$pkg/runtimes/$rid/native/$libname"
    done
    [ ${#native_libs[@]} -gt 0 ] || echo "warning: no native library built in this run: the package has none"
    cp bindings/csharp/README.md "$pkg/README.md"
    "$vpy" "$here/nupkg.py" --nuspec "$here/EtnaAuth.nuspec" --version "$version" \
        --content "$pkg" --out "$dist/EtnaAuth.$version.nupkg" || die "the .nupkg was not written"
fi

# --- checksums ---------------------------------------------------------------------------
say "dist/"
(cd "$dist" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | LC_ALL=C sort |
    xargs sha256sum >SHA256SUMS && sha256sum -c --quiet SHA256SUMS)
ls -l "$dist"
echo "(packaging/build.sh: built in $(( $(date +%s) - start )) s)"

if [ "$run_checks" = 1 ]; then
    bash "$here/test_artifacts.sh" "$dist"
fi

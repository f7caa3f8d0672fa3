#!/usr/bin/env bash
# Tests the release artifacts in DIST (default dist/, as packaging/build.sh
# leaves it) the way a user meets them, never the build tree:
#
# - SHA256SUMS verifies (`sha256sum -c`);
# - each Linux tarball unpacked in a temporary directory: its layout, the
#   soname, the relocatable pkg-config file; for the host's (linux-gnu) one, a
#   C program built with `pkg-config --cflags --libs etna_auth` and run, the
#   same program linked with `pkg-config --static` against libetna_auth.a
#   alone, and the CLI (`--version`, `demo` against the sandbox); the glibc
#   tarballs' library and CLI through packaging/glibc_check.sh (glibc 2.17);
#   the aarch64 tarballs under qemu-aarch64 (packaging/test_aarch64.sh);
# - the manylinux wheels: their tags as auditwheel show confirms them; the x86_64 one installed in
#   a fresh venv and the Python suite (bindings/python/tests, copied out of the
#   repository) run from outside it with no ETNA_AUTH_LIB and no cargo on PATH,
#   checking that the bundled library is the one loaded;
# - the other wheels and the sdist: their contents (ETNA_TEST_SDIST_BUILD=1
#   also pip-installs the sdist, which builds the library with cargo, and logs
#   in with it: a few minutes);
# - the NuGet package unpacked: its layout and nuspec; the C# tests and the
#   compile test (bindings/csharp/tests/calls/ApiCalls.cs) compiled
#   against the packaged EtnaAuth.dll (not the sources: the package's
#   EtnaAuth.dll lets the assembly EtnaAuth.Tests see its internals), with the
#   packaged libetna_auth.so next to them and no LD_LIBRARY_PATH, run on Mono,
#   CoreCLR 3.1 and .NET 8 (packaging/dotnet-runtime.sh).
#
# Prints "ok"/"FAIL" per check, then "packaging: N passed, M failed" (checks,
# plus the Python and C# suites' own counts); exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
dist=$(cd "${1:-$root/dist}" && pwd) || { echo "test_artifacts.sh: no directory ${1:-$root/dist}" >&2; exit 1; }
start=$(date +%s)
version=$(awk '/^\[/{s=$0} s=="[workspace.package]" && $1=="version" {gsub(/"/,"",$3); print $3; exit}' "$root/Cargo.toml")
IFS=. read -r v_major v_minor _ <<<"$version"
if [ "$v_major" = 0 ]; then soname=libetna_auth.so.0.$v_minor; else soname=libetna_auth.so.$v_major; fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/etna-auth-artifacts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
venv_tools=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/etna-auth/packaging-venv

. "$here/../tests/lib.sh" # check, report, apt_install
command -v pkg-config >/dev/null || apt_install pkg-config
show() { # NAME COMMAND...: a check whose output is always shown
    local name=$1
    shift
    VERBOSE=1 check "$name" "$@"
}
suite_counts() { # LOG REGEX-PREFIX: adds "PREFIX N passed, M failed" from LOG
    local line
    line=$(grep -E "^$2[0-9]+ passed, [0-9]+ failed" "$1" | tail -1)
    [ -n "$line" ] || return 1
    set -- $(sed -E "s/^$2([0-9]+) passed, ([0-9]+) failed.*/\1 \2/" <<<"$line")
    passed=$((passed + $1))
    failed=$((failed + $2))
}
# shellcheck source=test_aarch64.sh
. "$here/test_aarch64.sh" # aarch64_tarball_tests: the aarch64 tarballs under qemu-aarch64
echo "testing the etna-auth $version artifacts in $dist (outside the repository: $tmp)"
# The C++ header, CMake package, MSVC import library and examples: packaging/cmake_test.sh.
. "$here/cmake_test.sh"

# --- checksums -------------------------------------------------------------------------
check "SHA256SUMS verifies" bash -c "cd '$dist' && sha256sum -c SHA256SUMS"
check "SHA256SUMS lists every file" bash -c "cd '$dist' && diff <(ls | grep -vx SHA256SUMS | LC_ALL=C sort) <(awk '{print \$2}' SHA256SUMS | LC_ALL=C sort)"

# --- C and C++: the tarballs -------------------------------------------------------------
tar_layout() { # UNPACKED-DIR
    local d=$1 f
    for f in include/etna_auth.h "lib/libetna_auth.so.$version" "lib/$soname" lib/libetna_auth.so \
        lib/libetna_auth.a lib/pkgconfig/etna_auth.pc bin/etna-auth README.md CHANGELOG.md ABI-POLICY.md \
        LICENSE-MIT LICENSE-APACHE; do
        [ -e "$d/$f" ] || { echo "missing $f"; return 1; }
    done
    [ "$(readlink "$d/lib/$soname")" = "libetna_auth.so.$version" ] || { echo "$soname is not a link to libetna_auth.so.$version"; return 1; }
    [ "$(readlink "$d/lib/libetna_auth.so")" = "libetna_auth.so.$version" ] || [ "$(readlink "$d/lib/libetna_auth.so")" = "$soname" ] ||
        { echo "libetna_auth.so is not a link"; return 1; }
    readelf -d "$d/lib/libetna_auth.so.$version" | grep "SONAME" | tee /dev/stderr | grep -qF "[$soname]"
    ! grep -rq "$tmp\|/work/\|/build/" "$d/lib/pkgconfig/etna_auth.pc" || { echo "the .pc names a build path"; return 1; }
    grep -qx 'prefix=${pcfiledir}/../..' "$d/lib/pkgconfig/etna_auth.pc"
    grep -q '^Libs.private: .*-l' "$d/lib/pkgconfig/etna_auth.pc"
    grep -q "^Version: $version\$" "$d/lib/pkgconfig/etna_auth.pc"
    grep -q "#define ETNA_AUTH_VERSION \"$version\"" "$d/include/etna_auth.h"
    cat "$d/lib/pkgconfig/etna_auth.pc"
}
# The shipped library's size and link-time dependencies, as issue 29 set them: a byte count
# (deterministic for a toolchain), not a timing. 2,566,688 bytes on 2026-12-06 (rustc 1.95).
so_budget() { # LIBRARY
    local stripped=$tmp/so-budget.so size needed
    strip -o "$stripped" "$1" || return 1
    size=$(stat -c %s "$stripped")
    echo "stripped: $size bytes (budget 2621440)"
    [ "$size" -le 2621440 ] || { echo "over 2.5 MiB"; return 1; }
    needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
    echo "needed: $needed"
    [ "$needed" = "ld-linux-x86-64.so.2 libc.so.6 libdl.so.2 libpthread.so.0 " ] || { echo "unexpected NEEDED entries"; return 1; }
}
for tarball in "$dist"/etna-auth-"$version"-*-linux-*.tar.gz; do
    [ -f "$tarball" ] || continue
    flavour=${tarball##*/etna-auth-"$version"-} # x86_64-linux-gnu, aarch64-linux-musl, ...
    flavour=${flavour%.tar.gz}
    arch=${flavour%%-*}
    flavour=${flavour##*-linux-}
    [ "$arch" = x86_64 ] || flavour=$arch-$flavour # "gnu" and "musl" are x86_64's
    u=$tmp/unpacked-$flavour
    mkdir -p "$u"
    check "$flavour tarball unpacks into one directory" tar -C "$u" -xzf "$tarball"
    top=$u/etna-auth-$version-$arch-linux-${flavour#"$arch"-}
    show "$flavour tarball layout, soname $soname, relocatable etna_auth.pc" tar_layout "$top"
    [ -f "$root/include/etna_auth.h" ] && check "$flavour tarball header is the committed include/etna_auth.h" cmp "$top/include/etna_auth.h" "$root/include/etna_auth.h"
    [ "$flavour" = gnu ] && show "x86_64 gnu libetna_auth.so stripped: at most 2.5 MiB (issue 29), only libc, libpthread, libdl (and the loader) needed" \
        so_budget "$top/lib/libetna_auth.so.$version"
    case "$flavour" in *gnu)
        show "$flavour tarball: the library and the CLI load on glibc 2.17 (packaging/glibc_check.sh)" \
            bash "$here/glibc_check.sh" --max 2.17 "$top/lib/libetna_auth.so.$version" "$top/bin/etna-auth" ;;
    esac
    if [ "$arch" = aarch64 ]; then
        # Run under qemu-aarch64 (packaging/test_aarch64.sh).
        aarch64_tarball_tests "$flavour" "$top"
    elif [ "$flavour" = gnu ]; then
        # Moved after unpacking: nothing may depend on where it was first put.
        mv "$u" "$tmp/moved-$flavour"
        top=$tmp/moved-$flavour/etna-auth-$version-x86_64-linux-$flavour
        app=$tmp/app-$flavour
        mkdir -p "$app"
        cp "$here/test/app.c" "$app/"
        show "C program built with pkg-config --cflags --libs etna_auth, run" bash -c "
            cd '$app' && export PKG_CONFIG_PATH='$top/lib/pkgconfig' &&
            echo \"pkg-config: \$(pkg-config --cflags --libs etna_auth)\" &&
            cc -Wall -Wextra -Werror app.c \$(pkg-config --cflags --libs etna_auth) -o app &&
            readelf -d app | grep -F 'NEEDED' | grep -F '[$soname]' &&
            LD_LIBRARY_PATH='$top/lib' ./app &&
            LD_LIBRARY_PATH='$top/lib' ldd ./app | grep -F '$top/lib/$soname'"
        # Static: the .a and Libs.private, with only the static library beside the .pc
        # (where the .so is there too, the linker prefers it).
        static=$tmp/static-$flavour
        mkdir -p "$static"
        cp -a "$top/include" "$top/lib" "$static/"
        rm -f "$static"/lib/libetna_auth.so*
        show "C program linked with pkg-config --static against libetna_auth.a, run" bash -c "
            cd '$app' && export PKG_CONFIG_PATH='$static/lib/pkgconfig' &&
            echo \"pkg-config --static: \$(pkg-config --static --cflags --libs etna_auth)\" &&
            cc -Wall -Wextra -Werror app.c \$(pkg-config --static --cflags --libs etna_auth) -o app_static &&
            ! readelf -d app_static | grep -F libetna_auth && ./app_static"
        show "C++ compiles the header from the tarball" bash -c "
            cd '$app' && printf '#include <etna_auth.h>\nint main() { return etna_version_number() > 0 ? 0 : 1; }\n' >v.cpp &&
            c++ -std=c++11 -Wall -Werror -pedantic v.cpp \$(PKG_CONFIG_PATH='$top/lib/pkgconfig' pkg-config --cflags --libs etna_auth) -o v &&
            LD_LIBRARY_PATH='$top/lib' ./v"
        show "CLI --version" bash -c "'$top/bin/etna-auth' --version | tee /dev/stderr | grep -qF '$version'"
        check "CLI demo against the sandbox" timeout 120 "$top/bin/etna-auth" demo
    else
        show "$flavour tarball binaries are for musl" bash -c "
            file -L '$top/lib/libetna_auth.so.$version' '$top/bin/etna-auth' 2>/dev/null || true
            readelf -d '$top/lib/libetna_auth.so.$version' | grep NEEDED
            ! readelf -d '$top/lib/libetna_auth.so.$version' | grep -F 'libc.so.6' &&
            ! readelf -d '$top/bin/etna-auth' | grep -F NEEDED"
        show "musl CLI (static) --version" bash -c "'$top/bin/etna-auth' --version | tee /dev/stderr | grep -qF '$version'"
        if command -v musl-gcc >/dev/null && [ -e /lib/ld-musl-x86_64.so.1 ]; then
            # The .so needs libgcc_s.so.1 (Alpine's libgcc); Debian's is glibc's, so a stand-in
            # made of Rust's own musl libunwind provides the unwinder under musl's loader.
            app=$tmp/app-$flavour
            mkdir -p "$app"
            cp "$here/test/app.c" "$app/"
            show "C program against the musl tarball (musl-gcc, pkg-config), run under musl's loader" bash -c "
                cd '$app' && export PKG_CONFIG_PATH='$top/lib/pkgconfig' &&
                unwind=\$(rustc --print sysroot 2>/dev/null)/lib/rustlib/x86_64-unknown-linux-musl/lib/self-contained/libunwind.a &&
                [ -f \"\$unwind\" ] &&
                mkdir -p link run && ln -sf \"\$(gcc -print-file-name=libgcc_s.so.1)\" link/libgcc_s.so.1 &&
                musl-gcc -shared -o run/libgcc_s.so.1 -Wl,--whole-archive \"\$unwind\" -Wl,--no-whole-archive &&
                musl-gcc -Wall -Wextra -Werror app.c \$(pkg-config --cflags --libs etna_auth) -Wl,-rpath-link,link -o app &&
                LD_LIBRARY_PATH='$top/lib':run ./app"
        fi
    fi
    cpp_sdk_tarball_checks "$top" "$flavour"
done
for zipfile in "$dist"/etna-auth-"$version"-x86_64-windows-gnu.zip; do
    [ -f "$zipfile" ] || continue
    show "windows-gnu zip layout" bash -c "
        l=\$(unzip -Z1 '$zipfile') && echo \"\$l\" &&
        for f in bin/etna_auth.dll bin/etna-auth.exe lib/etna_auth.dll.a lib/etna_auth.lib lib/etna_auth.def include/etna_auth.h README.md LICENSE-MIT; do
            grep -qx \"etna-auth-$version-x86_64-windows-gnu/\$f\" <<<\"\$l\" || { echo \"missing \$f\"; exit 1; }
        done"
    cpp_sdk_zip_checks "$zipfile"
done

# --- Python ------------------------------------------------------------------------------
# A manylinux wheel: auditwheel agrees with its first tag (manylinux_2_17_ARCH; the
# second, manylinux2014_ARCH, is its PEP 599 alias), the library is at the package's root
# (platlib), and WHEEL lists every tag of the file name.
manylinux_wheel() { # WHEEL
    local whl=$1 tag
    tag=${whl##*-py3-none-}
    tag=${tag%.whl}
    if [ -x "$venv_tools/bin/auditwheel" ]; then
        show "auditwheel show confirms the tag ${tag%%.*}" bash -c "
            '$venv_tools/bin/auditwheel' show '$whl' | tee /dev/stderr | tr -s ' \n' ' ' |
            grep -qF 'is consistent with the following platform tag: \"${tag%%.*}\"'"
    fi
    check "$(basename "$whl"): the library in the package, at the root (platlib), tagged $tag" bash -c "
        unzip -Z1 '$whl' | grep -qx etna_auth/libetna_auth.so &&
        unzip -p '$whl' etna_auth-$version.dist-info/WHEEL | grep -qx 'Root-Is-Purelib: false' &&
        for t in ${tag//./ }; do
            unzip -p '$whl' etna_auth-$version.dist-info/WHEEL | grep -qx \"Tag: py3-none-\$t\" || exit 1
        done"
}
wheel_gnu=$(ls "$dist"/etna_auth-"$version"-py3-none-manylinux_*_x86_64.whl 2>/dev/null | head -1)
if [ -n "$wheel_gnu" ]; then
    manylinux_wheel "$wheel_gnu"
    pyenv_dir=$tmp/venv
    check "fresh venv with the wheel (and pytest)" bash -c "
        python3 -m venv '$pyenv_dir' &&
        '$pyenv_dir/bin/python' -m pip install --quiet --no-index '$wheel_gnu' &&
        '$pyenv_dir/bin/python' -m pip install --quiet pytest"
    # The suite outside the repository: tests copied to a temporary directory, run from
    # there, with a PATH holding no cargo and no ETNA_AUTH_LIB.
    # The tests' fixtures copy the package from beside the tests directory
    # (bindings/python/etna_auth): here a link to the installed package, which
    # resolves to site-packages, where the package's library lookup starts.
    # Laid out as in the repository (the tests find the shared scenario list, its
    # server and PKI, the C header and the DNS shim's source from their own
    # place); the header is the one the Linux tarball ships.
    mkdir -p "$tmp/repo/bindings/python" "$tmp/repo/tests/c" "$tmp/repo/include"
    ln -s "$tmp/repo/bindings/python" "$tmp/python"
    cp -r "$root/bindings/python/tests" "$tmp/python/tests"
    rm -rf "$tmp/python/tests/__pycache__"
    cp -r "$root/tests/scenarios" "$root/tests/pki" "$tmp/repo/tests/"
    cp "$root/tests/c/slow_dns.c" "$tmp/repo/tests/c/"
    cp "$root/bindings/status_codes.json" "$tmp/repo/bindings/"
    shipped_header=$(find "$tmp" -path '*linux-gnu/include/etna_auth.h' -print -quit 2>/dev/null)
    cp "${shipped_header:-$root/include/etna_auth.h}" "$tmp/repo/include/"
    site=$("$pyenv_dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
    ln -s "$site/etna_auth" "$tmp/python/etna_auth"
    clean_env=(env -u ETNA_AUTH_LIB -u PYTHONPATH -u VIRTUAL_ENV -u ETNA_AUTH_HEADER PATH="$pyenv_dir/bin:/usr/bin:/bin" HOME="$tmp")
    show "no cargo on the test PATH" bash -c "! ${clean_env[*]} bash -c 'command -v cargo'"
    show "the installed package loads its bundled library" bash -c "
        cd '$tmp/python/tests' && ${clean_env[*]} python -c '
import importlib.metadata, sys, etna_auth
from etna_auth import _ffi
lib = etna_auth.load_library()
print(\"loaded\", lib.path, \"library\", etna_auth.library_version(), \"package\", etna_auth.__version__, importlib.metadata.version(\"etna-auth\"))
bundled = __import__(\"pathlib\").Path(_ffi.__file__).resolve().parent / \"libetna_auth.so\"
assert lib.path == bundled and str(bundled).startswith(sys.prefix), (lib.path, bundled)
assert etna_auth.library_version() == etna_auth.__version__ == importlib.metadata.version(\"etna-auth\") == \"$version\"
'"
    show "the bundled library comes before ETNA_AUTH_LIB" bash -c "
        cd '$tmp/python/tests' && ${clean_env[*]} ETNA_AUTH_LIB=/nonexistent/libetna_auth.so python -c '
import etna_auth; print(etna_auth.load_library().path)' | grep -F '$pyenv_dir/'"
    # Deselected: what tests the source tree's lookup, which an installed wheel does not
    # use (the repository's target/release; ETNA_AUTH_LIB as the last word, which the
    # bundled library comes before).
    deselect=(
        --deselect test_library.py::test_repository_target_release_is_found
        --deselect test_library.py::test_a_wrong_env_var_is_an_error_not_a_fallback
        --deselect test_library.py::test_a_file_that_is_not_a_library
        --deselect test_library.py::test_a_bare_name_goes_to_the_system_search
    )
    echo "== Python suite against the installed wheel (from $tmp/python/tests)"
    (cd "$tmp/python/tests" && "${clean_env[@]}" python -m pytest -q -p no:cacheprovider -o addopts= \
        --rootdir "$tmp/python/tests" "${deselect[@]}" . 2>&1) | tee "$tmp/pytest.log"
    pytest_rc=${PIPESTATUS[0]}
    line=$(grep -E '^=*\s*[0-9]+ (passed|failed)' "$tmp/pytest.log" | tail -1)
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | cut -d' ' -f1)
    f=$(grep -oE '[0-9]+ failed' <<<"$line" | cut -d' ' -f1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$pytest_rc" != 0 ] && [ "${f:-0}" = 0 ]; then
        failed=$((failed + 1))
        failures+=("python suite (exit $pytest_rc)")
    fi
    [ "${f:-0}" = 0 ] || failures+=("python suite")
fi
for whl in "$dist"/etna_auth-"$version"-py3-none-manylinux_*_aarch64.whl; do
    [ -f "$whl" ] && manylinux_wheel "$whl"
done
for whl in "$dist"/etna_auth-"$version"-py3-none-musllinux_1_2_*.whl "$dist"/etna_auth-"$version"-py3-none-win_amd64.whl; do
    [ -f "$whl" ] || continue
    case "$whl" in *win_amd64*) lib=etna_auth.dll ;; *) lib=libetna_auth.so ;; esac
    check "$(basename "$whl") carries etna_auth/$lib" bash -c "unzip -Z1 '$whl' | grep -qx 'etna_auth/$lib'"
done
sdist=$dist/etna_auth-$version.tar.gz
if [ -f "$sdist" ]; then
    show "sdist: the package, setup.py and the Rust workspace, no binaries" bash -c "
        l=\$(tar tzf '$sdist') &&
        for f in setup.py pyproject.toml PKG-INFO etna_auth/_ffi.py rust/Cargo.toml rust/Cargo.lock rust/capi/Cargo.toml rust/include/etna_auth.h LICENSE-MIT; do
            grep -qx \"etna_auth-$version/\$f\" <<<\"\$l\" || { echo \"missing \$f\"; exit 1; }
        done && ! grep -E '\.(so|dll|dylib)\$' <<<\"\$l\" && echo \"\$(wc -l <<<\"\$l\") entries\""
    if [ "${ETNA_TEST_SDIST_BUILD:-0}" = 1 ]; then
        # pip builds the library from the sdist with cargo (deps cached in its own target dir).
        show "sdist: pip install builds the library with cargo, and it logs in" bash -c "
            python3 -m venv '$tmp/venv-sdist' &&
            CARGO_TARGET_DIR='${CARGO_TARGET_DIR:-$root/target}/sdist-test' '$tmp/venv-sdist/bin/python' -m pip install --quiet '$sdist' &&
            cd '$tmp' && env -u ETNA_AUTH_LIB '$tmp/venv-sdist/bin/python' -c '
import etna_auth
print(etna_auth.load_library().path, etna_auth.library_version())
with etna_auth.Sandbox() as sb, etna_auth.Session(sb.url, sb.app_key) as s:
    assert s.login(\"alice\", \"alice-pass\")
print(\"login ok\")'"
    fi
fi

# --- NuGet ------------------------------------------------------------------------------
nupkg=$dist/EtnaAuth.$version.nupkg
if [ -f "$nupkg" ]; then
    n=$tmp/nupkg
    check "nupkg unzips" bash -c "mkdir -p '$n' && cd '$n' && python3 -m zipfile -e '$nupkg' ."
    show "nupkg layout and nuspec" bash -c "
        cd '$n' && python3 -m zipfile -l '$nupkg' &&
        for f in '[Content_Types].xml' _rels/.rels EtnaAuth.nuspec README.md lib/netstandard2.0/EtnaAuth.dll \
                 lib/netstandard2.0/EtnaAuth.xml; do
            [ -f \"\$f\" ] || { echo \"missing \$f\"; exit 1; }
        done &&
        python3 - <<'EOF'
import xml.etree.ElementTree as ET
ns = {'n': 'http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd'}
m = ET.parse('EtnaAuth.nuspec').getroot().find('n:metadata', ns)
get = lambda k: m.findtext('n:' + k, namespaces=ns)
assert get('id') == 'EtnaAuth', get('id')
assert get('version') == '$version', get('version')
lic = m.find('n:license', ns)
assert lic is not None and lic.get('type') == 'expression' and lic.text == 'MIT OR Apache-2.0'
assert get('projectUrl') and get('description') and get('readme') == 'README.md'
print('nuspec:', get('id'), get('version'), lic.text, get('projectUrl'))
EOF"
    [ -f "$dist/etna-auth-$version-x86_64-linux-gnu.tar.gz" ] &&
        check "nupkg carries the linux-x64 library" test -f "$n/runtimes/linux-x64/native/libetna_auth.so"
    [ -f "$dist/etna-auth-$version-x86_64-linux-musl.tar.gz" ] &&
        check "nupkg carries the musl library" test -f "$n/runtimes/linux-musl-x64/native/libetna_auth.so"
    [ -f "$dist/etna-auth-$version-x86_64-windows-gnu.zip" ] &&
        check "nupkg carries the Windows DLL" test -f "$n/runtimes/win-x64/native/etna_auth.dll"
    [ -f "$dist/etna-auth-$version-aarch64-linux-gnu.tar.gz" ] &&
        check "nupkg carries the linux-arm64 library (aarch64, glibc 2.17)" bash -c "
            cmp '$n/runtimes/linux-arm64/native/libetna_auth.so' '$tmp/unpacked-aarch64-gnu/etna-auth-$version-aarch64-linux-gnu/lib/libetna_auth.so.$version'"
    [ -f "$dist/etna-auth-$version-aarch64-linux-musl.tar.gz" ] &&
        check "nupkg carries the linux-musl-arm64 library" bash -c "
            cmp '$n/runtimes/linux-musl-arm64/native/libetna_auth.so' '$tmp/unpacked-aarch64-musl/etna-auth-$version-aarch64-linux-musl/lib/libetna_auth.so.$version'"

    if [ ! -f "$n/runtimes/linux-x64/native/libetna_auth.so" ]; then
        echo "note: no runtimes/linux-x64 in the package (linux-gnu not built): the C# suites are not run"
    elif command -v mcs >/dev/null && command -v mono >/dev/null; then
        # The tests against the packaged assembly, as an application would reference it.
        app=$tmp/csharp
        mkdir -p "$app"
        cp "$n/lib/netstandard2.0/EtnaAuth.dll" "$n/runtimes/linux-x64/native/libetna_auth.so" "$app/"
        # The one definition of the C# build (bindings/csharp/build.sh): the tests with one
        # test per scenario, generated as bindings/csharp/run_tests.sh does.
        # shellcheck source=../bindings/csharp/build.sh
        . "$root/bindings/csharp/build.sh"
        check "C# tests compile against the packaged EtnaAuth.dll" etna_cs_tests "$app/EtnaAuth.Tests.exe" "$app/EtnaAuth.dll"
        check "LoadCheck compiles against the packaged EtnaAuth.dll" etna_cs_loadcheck "$app/LoadCheck.exe" "$app/EtnaAuth.dll"
        check "VersionCheck compiles against the packaged EtnaAuth.dll" etna_cs_program "$app/VersionCheck.exe" "$app/EtnaAuth.dll" "$here/test/VersionCheck.cs"
        # The calls that must compile (issue 30's compile test), against the package too.
        check "ApiCalls compiles against the packaged EtnaAuth.dll" etna_cs_program "$app/ApiCalls.exe" "$app/EtnaAuth.dll" "$root/bindings/csharp/tests/calls/ApiCalls.cs"
        python=python3
        # shellcheck source=dotnet-runtime.sh
        . "$here/dotnet-runtime.sh"
        for exe in EtnaAuth.Tests LoadCheck VersionCheck ApiCalls; do
            etna_dotnet_runtimeconfig "$app/$exe.runtimeconfig.json" "$dotnet_version"
            etna_dotnet_runtimeconfig "$app/$exe.net8.runtimeconfig.json" "$dotnet8_version"
        done
        header=$root/include/etna_auth.h
        [ -f "$tmp/moved-gnu/etna-auth-$version-x86_64-linux-gnu/include/etna_auth.h" ] &&
            header=$tmp/moved-gnu/etna-auth-$version-x86_64-linux-gnu/include/etna_auth.h
        cs_env=(env -u LD_LIBRARY_PATH ETNA_AUTH_HEADER="$header" ETNA_AUTH_PYTHON=python3 ETNA_SCENARIOS="$root/tests/scenarios/scenarios.json")
        show "packaged assembly and native library versions (mono)" "${cs_env[@]}" mono "$app/VersionCheck.exe" "$version"
        show "load from the application's directory (mono)" "${cs_env[@]}" mono "$app/LoadCheck.exe"
        show "load from the application's directory (coreclr)" "${cs_env[@]}" "$dotnet" exec --runtimeconfig "$app/LoadCheck.runtimeconfig.json" "$app/LoadCheck.exe"
        show "load from the application's directory (net8)" "${cs_env[@]}" "$dotnet8" exec --runtimeconfig "$app/LoadCheck.net8.runtimeconfig.json" "$app/LoadCheck.exe"
        # cs_run RUNTIME PROGRAM WHAT [ARGS...]: PROGRAM.exe of $app on RUNTIME in $app, its
        # "[ARGS[0] ]N passed, M failed" line counted (the prefix: the program's first argument).
        cs_run() {
            local runtime=$1 exe=$2 what=$3 log rc run
            shift 3
            case $runtime in
                mono) run=(mono --debug "$app/$exe.exe") ;;
                coreclr) run=("$dotnet" exec --runtimeconfig "$app/$exe.runtimeconfig.json" "$app/$exe.exe") ;;
                net8) run=("$dotnet8" exec --runtimeconfig "$app/$exe.net8.runtimeconfig.json" "$app/$exe.exe") ;;
            esac
            log=$tmp/$exe-$runtime.log
            (cd "$app" && "${cs_env[@]}" "${run[@]}" "$@" 2>&1) >"$log"
            rc=$?
            tail -n 3 "$log"
            if ! suite_counts "$log" "${1:-$runtime}: "; then
                failed=$((failed + 1))
                failures+=("$what on $runtime (no result line)")
                tail -n 30 "$log"
            elif [ "$rc" != 0 ]; then
                failures+=("$what on $runtime")
                grep -iE "fail" "$log" | head -20
            fi
        }
        for runtime in mono coreclr net8; do
            echo "== C# suite and ApiCalls on $runtime against the packaged EtnaAuth.dll and libetna_auth.so"
            cs_run "$runtime" EtnaAuth.Tests "C# suite"
            # A null password reads the default store: a fresh one per runtime.
            ETNA_AUTH_STORE="$tmp/calls-$runtime/tokens.json" cs_run "$runtime" ApiCalls "C# ApiCalls" "calls-$runtime"
        done
    else
        failed=$((failed + 1))
        failures+=("C# (mcs and mono missing: run packaging/build.sh, which installs them)")
    fi
fi

echo "(test_artifacts.sh: $(( $(date +%s) - start )) s)"
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
report packaging

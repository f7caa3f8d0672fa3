# Sourced by packaging/build.sh: the Linux packages built with Zig as C
# compiler and linker (cargo-zigbuild), so that they load where trading
# servers run:
#
#   linux-gnu           x86_64, glibc 2.17 (RHEL/Rocky/Alma 7-8, Ubuntu 18.04+, Debian 9+, Amazon Linux 2)
#   linux-aarch64-gnu   aarch64, glibc 2.17 (Graviton, Ampere, 64-bit Raspberry Pi OS)
#   linux-aarch64-musl  aarch64 musl: libetna_auth.so for Alpine, a static CLI
#
# cargo-zigbuild links against glibc 2.17's symbol versions (target
# x86_64-unknown-linux-gnu.2.17), whatever the build machine's glibc.
# Per target, one cargo build of the library and the CLI together (the
# dependencies are compiled once): `cargo-zigbuild rustc -p etna-auth-ffi`
# with the soname and `--print native-static-libs` (what cargo-c passes),
# then `cargo-zigbuild zigbuild -p etna-auth-cli`, in $CARGO_TARGET_DIR/zig (Zig's
# CC and linker for the host triple would otherwise rebuild the build
# scripts of the plain `cargo build --release`). zig_stage lays the files
# out as `cargo cinstall` does for the other targets (build.sh's cinstall).
#
# Uses from build.sh: version, work, venv, vpy, CARGO_TARGET_DIR, die, say,
# rust_target, tar_dir, docs_into, native_libs, wheel_libs.

zig_glibc=2.17
ziglang_version=0.17.1
cargo_zigbuild_version=0.24.1
zig_target_dir=$CARGO_TARGET_DIR/zig

# Zig (the ziglang wheel) and cargo-zigbuild (its wheel) in the packaging venv,
# and a directory holding just `zig` and `cargo-zigbuild` for cargo's PATH.
zig_tools() {
    [ -z "${zig_bin:-}" ] || return 0
    if [ "$("$venv/bin/cargo-zigbuild" --version 2>/dev/null)" != "cargo-zigbuild $cargo_zigbuild_version" ] ||
        [ "$("$vpy" -m ziglang version 2>/dev/null)" != "$ziglang_version" ]; then
        say "installing ziglang $ziglang_version and cargo-zigbuild $cargo_zigbuild_version (pip, venv $venv)"
        "$vpy" -m pip install --quiet "ziglang==$ziglang_version" "cargo-zigbuild==$cargo_zigbuild_version" ||
            die "pip could not install ziglang and cargo-zigbuild"
    fi
    zig_bin=$venv/zig-bin
    mkdir -p "$zig_bin"
    ln -sf "$("$vpy" -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')" "$zig_bin/zig"
    ln -sf "$venv/bin/cargo-zigbuild" "$zig_bin/cargo-zigbuild"
    echo "$("$zig_bin/cargo-zigbuild" --version), zig $("$zig_bin/zig" version)"
}

# zig_cargo zigbuild|rustc ARGS...: cargo-zigbuild (cargo build or cargo rustc with Zig) in the
# Zig target directory (with $zig_rustflags as RUSTFLAGS when set: the library and the CLI of
# one target must see the same flags to share their dependencies). Without SOURCE_DATE_EPOCH
# (build.sh's, for the archives): ring's build script reruns when it changes, and it changes
# with every commit, which would rebuild nearly everything.
zig_cargo() {
    env -u SOURCE_DATE_EPOCH PATH="$zig_bin:$PATH" CARGO_TARGET_DIR="$zig_target_dir" \
        ${zig_rustflags:+RUSTFLAGS="$zig_rustflags"} cargo-zigbuild "$@"
}

# The soname, as cargo-c makes it: libetna_auth.so.0.MINOR before 1.0, then .so.MAJOR.
zig_soname() {
    local major minor
    IFS=. read -r major minor _ <<<"$version"
    if [ "$major" = 0 ]; then echo "libetna_auth.so.0.$minor"; else echo "libetna_auth.so.$major"; fi
}

# zig_lib TRIPLE ZIG-TARGET: libetna_auth.so and .a for TRIPLE (ZIG-TARGET is the triple with a
# glibc suffix, or the triple itself); prints the static link's native libraries.
zig_lib() {
    local triple=$1 zt=$2 log=$work/zig-lib-$1.log
    zig_cargo rustc --release --locked --target "$zt" -p etna-auth-ffi --features capi \
        -- -C "link-arg=-Wl,-soname,$(zig_soname)" --print native-static-libs >"$log" 2>&1 ||
        { cat "$log" >&2; die "cargo zigbuild of the library for $zt failed"; }
    # rustc's note (cargo replays it when the build is fresh): what Libs.private lists.
    sed -n 's/.*note: native-static-libs: //p' "$log" | tail -1 | grep . ||
        { cat "$log" >&2; die "no native-static-libs note for $zt"; }
}

# zig_stage TRIPLE STAGE LIBS-PRIVATE: lib/ (libetna_auth.so.V, its soname and dev links,
# libetna_auth.a), include/ and the relocatable lib/pkgconfig/etna_auth.pc, as cargo cinstall
# and build.sh's cinstall lay them out.
zig_stage() {
    local out=$zig_target_dir/$1/release stage=$2 libs_private=$3 soname description
    soname=$(zig_soname)
    install -D -m755 "$out/libetna_auth.so" "$stage/lib/libetna_auth.so.$version"
    ln -sf "libetna_auth.so.$version" "$stage/lib/$soname"
    ln -sf "libetna_auth.so.$version" "$stage/lib/libetna_auth.so"
    install -m644 "$out/libetna_auth.a" "$stage/lib/libetna_auth.a"
    install -D -m644 include/etna_auth.h "$stage/include/etna_auth.h"
    description=$(awk '/^\[/{s=$0} s=="[package.metadata.capi.pkg_config]" && $1=="description" {
        sub(/^[^"]*"/, ""); sub(/"[^"]*$/, ""); print; exit}' capi/Cargo.toml)
    mkdir -p "$stage/lib/pkgconfig"
    cat >"$stage/lib/pkgconfig/etna_auth.pc" <<EOF
prefix=\${pcfiledir}/../..
exec_prefix=\${prefix}
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: etna_auth
Description: $description
Version: $version
Libs: -L\${libdir} -letna_auth
Cflags: -I\${includedir}
Libs.private: $libs_private
EOF
    readelf -d "$stage/lib/libetna_auth.so.$version" | grep -qF "Library soname: [$soname]" ||
        die "$stage/lib/libetna_auth.so.$version has no soname $soname"
}

# The manylinux tag of a glibc ARCH build: manylinux_2_17_ARCH.manylinux2014_ARCH
# (PEP 600 and its PEP 599 alias).
zig_manylinux_tag() {
    local arch=$1
    echo "manylinux_${zig_glibc/./_}_$arch.manylinux2014_$arch"
}

# zig_linux_gnu ARCH (x86_64 | aarch64): the tarball etna-auth-V-ARCH-linux-gnu.tar.gz, the
# manylinux wheel's library and the NuGet runtime (linux-x64 | linux-arm64), for glibc 2.17.
zig_linux_gnu() {
    local arch=$1 triple=$1-unknown-linux-gnu rid libs name stage
    case "$arch" in x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; *) die "zig_linux_gnu: no $arch" ;; esac
    say "$arch-linux-gnu: library and CLI for glibc $zig_glibc (cargo zigbuild)"
    zig_tools
    rust_target "$triple"
    libs=$(zig_lib "$triple" "$triple.$zig_glibc")
    zig_cargo zigbuild --release --locked --target "$triple.$zig_glibc" -p etna-auth-cli ||
        die "the CLI for $triple.$zig_glibc did not build"
    name=etna-auth-$version-$arch-linux-gnu
    stage=$work/$name
    zig_stage "$triple" "$stage" "$libs"
    install -D -m755 "$zig_target_dir/$triple/release/etna-auth" "$stage/bin/etna-auth"
    bash "$here/glibc_check.sh" --max "$zig_glibc" "$stage/lib/libetna_auth.so.$version" "$stage/bin/etna-auth" ||
        die "the $arch-linux-gnu binaries need a glibc newer than $zig_glibc (see above)"
    cpp_sdk "$stage" "$triple"
    docs_into "$stage"
    tar_dir "$stage" "$dist/$name.tar.gz"
    cp "$stage/lib/libetna_auth.so.$version" "$work/$rid-libetna_auth.so"
    native_libs+=("$rid=$work/$rid-libetna_auth.so")
    wheel_libs+=("$(zig_manylinux_tag "$arch")=$work/$rid-libetna_auth.so")
}

# The aarch64 musl builds: dependencies compiled with -crt-static (a cdylib needs it), in a
# target directory of their own. zig_musl CMD ARGS...: CMD (zig_lib, zig_cargo, zig_stage) there.
zig_musl_target_dir=$CARGO_TARGET_DIR/zig-musl-dynamic
zig_musl() {
    zig_target_dir=$zig_musl_target_dir zig_rustflags="-C target-feature=-crt-static" "$@"
}
zig_musl_lib() {
    zig_musl zig_lib aarch64-unknown-linux-musl aarch64-unknown-linux-musl
}

# zig_start_musl_lib: starts zig_musl_lib in the background. It shares no target directory
# (nor its lock) with the glibc builds, so it runs on the core their single-threaded LTO
# links leave idle; zig_linux_aarch64_musl waits for it, then finds the build fresh (or
# builds again and reports what failed). Should build.sh stop before that, the background
# build ends by itself (its output is cargo's cache, nothing else).
zig_start_musl_lib() {
    zig_tools
    rust_target aarch64-unknown-linux-musl
    say "aarch64-linux-musl: library build started in the background"
    (zig_musl_lib >/dev/null 2>&1) &
    zig_musl_pid=$!
}

# zig_linux_aarch64_musl: etna-auth-V-aarch64-linux-musl.tar.gz (libetna_auth.so for musl, .a,
# a static CLI), the musllinux_1_2_aarch64 wheel's library and runtimes/linux-musl-arm64. As for
# x86_64 musl, the library is built with -crt-static (a cdylib needs it) in a target directory
# of its own, the CLI statically (Rust's musl default) from the same dependencies; Zig brings
# musl's libc and the unwinder.
zig_linux_aarch64_musl() {
    local triple=aarch64-unknown-linux-musl name stage libs
    say "aarch64-linux-musl: library (-crt-static) and static CLI (cargo zigbuild)"
    zig_tools
    rust_target "$triple"
    if [ -n "${zig_musl_pid:-}" ]; then
        wait "$zig_musl_pid" || true
        zig_musl_pid=
    fi
    libs=$(zig_musl_lib)
    # The static CLI from the library's dependencies (compiled with -crt-static): only its
    # own crate gets +crt-static, which decides how the program links (libc and the
    # unwinder statically); the dependencies' code does not depend on it. The result is
    # byte for byte the CLI of a separate +crt-static build, for one dependency build less.
    zig_musl zig_cargo rustc --release --locked --target "$triple" -p etna-auth-cli --bin etna-auth \
        -- -C target-feature=+crt-static || die "the CLI for $triple did not build"
    name=etna-auth-$version-aarch64-linux-musl
    stage=$work/$name
    zig_musl zig_stage "$triple" "$stage" "$libs"
    install -D -m755 "$zig_musl_target_dir/$triple/release/etna-auth" "$stage/bin/etna-auth"
    ! readelf -d "$stage/bin/etna-auth" | grep -q NEEDED || die "the aarch64 musl CLI is not static"
    cpp_sdk "$stage" "$triple"
    docs_into "$stage"
    tar_dir "$stage" "$dist/$name.tar.gz"
    cp "$stage/lib/libetna_auth.so.$version" "$work/linux-musl-arm64-libetna_auth.so"
    native_libs+=("linux-musl-arm64=$work/linux-musl-arm64-libetna_auth.so")
    wheel_libs+=("musllinux_1_2_aarch64=$work/linux-musl-arm64-libetna_auth.so")
}

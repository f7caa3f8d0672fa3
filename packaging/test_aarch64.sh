# Sourced by packaging/test_artifacts.sh: the aarch64 tarballs tested under
# qemu-aarch64 (Debian's qemu-user), as unpacked by a user:
#
# - aarch64-linux-gnu: the library and CLI are aarch64; tests/c/test_flows.c
#   built with gcc-aarch64-linux-gnu against the tarball through pkg-config
#   (shared, and static against libetna_auth.a and Libs.private) runs its
#   flows against the sandbox, which the library starts inside the aarch64
#   process; packaging/test/tls_login.c logs in over TLS to
#   tests/pki/tls_server.py on the host's 127.0.0.1 (the test CA, a CA that
#   did not sign, a certificate for another name); the CLI's demo. Run with
#   the Debian cross sysroot (libc6-arm64-cross: glibc 2.36) as the loader's
#   root; the glibc 2.17 floor itself is glibc_check.sh's.
# - aarch64-linux-musl: the static CLI runs its demo (no loader, no libraries);
#   test_flows.c linked statically against libetna_auth.a and musl by Zig
#   (the packaging venv's) runs too; the .so needs musl's libc only.
#
# Installs on demand (apt-get, tests/lib.sh): qemu-user, gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross, pkg-config.

aarch64_sysroot=/usr/aarch64-linux-gnu
aarch64_tools() {
    [ -z "${aarch64_ready:-}" ] || return 0
    # apt_install: tests/lib.sh, sourced by test_artifacts.sh
    command -v qemu-aarch64 >/dev/null || apt_install qemu-user
    command -v aarch64-linux-gnu-gcc >/dev/null || apt_install gcc-aarch64-linux-gnu
    [ -f "$aarch64_sysroot/include/stdio.h" ] || apt_install libc6-dev-arm64-cross
    command -v pkg-config >/dev/null || apt_install pkg-config
    aarch64_ready=1
}

# qemu_run LOG LIBDIR PROGRAM ARGS...: runs an aarch64 program under qemu-aarch64 (the cross
# sysroot as the loader's root; LIBDIR, unless "-", as the guest's LD_LIBRARY_PATH), its
# output in LOG and on stdout.
qemu_run() {
    local log=$1 libdir=$2 status=0 guest_env=()
    shift 2
    [ "$libdir" = - ] || guest_env=(-E "LD_LIBRARY_PATH=$libdir")
    timeout 300 qemu-aarch64 -L "$aarch64_sysroot" "${guest_env[@]}" "$@" >"$log" 2>&1 || status=$?
    cat "$log"
    return "$status"
}

# The demo's three logins, as tests/musl.sh checks them.
aarch64_demo() { # CLI LOG
    qemu_run "$2" - "$1" demo || return 1
    local needle
    for needle in ETNA_NEED_PIN ETNA_NEED_CODE '"Invalid verification code"' ETNA_OK '6 requests over 3 connections'; do
        grep -qF -- "$needle" "$2" || { echo "demo: no $needle"; return 1; }
    done
}

# tls_servers: tests/pki/tls_server.py twice (the server's certificate, and one for another
# name), on 127.0.0.1, which a qemu-user process shares; sets tls_port and wrong_name_port.
# They exit when their standard input (a FIFO held open here) closes.
tls_servers() {
    local name port
    for name in server wrong-name; do
        mkfifo "$tmp/tls-$name.in"
        python3 "$root/tests/pki/tls_server.py" "$root/tests/pki/$name.pem" "$root/tests/pki/$name.key" \
            <"$tmp/tls-$name.in" >"$tmp/tls-$name.out" 2>&1 &
        exec {fd}>"$tmp/tls-$name.in"
        tls_fds+=("$fd")
        port=
        for _ in $(seq 100); do
            port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$tmp/tls-$name.out")
            [ -n "$port" ] && break
            sleep 0.1
        done
        [ "$name" = server ] && tls_port=${port:-1} || wrong_name_port=${port:-1}
    done
}
tls_fds=()

aarch64_tarball_tests() { # FLAVOUR (aarch64-gnu | aarch64-musl) UNPACKED-TOP
    local flavour=$1 top=$2 app=$tmp/app-$1 fd
    aarch64_tools
    mkdir -p "$app"
    show "$flavour tarball binaries are aarch64" bash -c "
        for f in '$top/lib/libetna_auth.so.$version' '$top/bin/etna-auth'; do
            readelf -h \"\$f\" | grep -E 'Machine:' | tee /dev/stderr | grep -q AArch64 || exit 1
        done; readelf -d '$top/lib/libetna_auth.so.$version' | grep NEEDED"
    if [ "$flavour" = aarch64-gnu ]; then
        local cc=(aarch64-linux-gnu-gcc -std=c99 -Wall -Wextra -Werror -O1 -I"$root/tests/c")
        local pc=(env PKG_CONFIG_PATH="$top/lib/pkgconfig" pkg-config)
        check "test_flows.c built against the aarch64 tarball (pkg-config, shared)" \
            "${cc[@]}" "$root/tests/c/test_flows.c" $("${pc[@]}" --cflags --libs etna_auth) -o "$app/test_flows"
        show "test_flows (aarch64, shared) under qemu-aarch64: flows against the sandbox" \
            qemu_run "$app/test_flows.log" "$top/lib" "$app/test_flows"
        suite_counts "$app/test_flows.log" "" || true
        # Static: only the .a beside the .pc, as the x86_64 test does.
        mkdir -p "$app/static"
        cp -a "$top/include" "$top/lib" "$app/static/"
        rm -f "$app"/static/lib/libetna_auth.so*
        check "test_flows.c linked against the aarch64 libetna_auth.a (pkg-config --static)" bash -c "
            ${cc[*]} '$root/tests/c/test_flows.c' \$(PKG_CONFIG_PATH='$app/static/lib/pkgconfig' pkg-config --static --cflags --libs etna_auth) \
                -o '$app/test_flows_static' && ! readelf -d '$app/test_flows_static' | grep -F libetna_auth"
        show "test_flows (aarch64, static) under qemu-aarch64" \
            qemu_run "$app/test_flows_static.log" - "$app/test_flows_static"
        suite_counts "$app/test_flows_static.log" "" || true
        check "tls_login.c built against the aarch64 tarball" \
            "${cc[@]}" "$here/test/tls_login.c" $("${pc[@]}" --cflags --libs etna_auth) -o "$app/tls_login"
        tls_servers
        show "tls_login (aarch64) under qemu-aarch64: https with tests/pki" \
            qemu_run "$app/tls_login.log" "$top/lib" "$app/tls_login" "$tls_port" "$wrong_name_port" \
            "$root/tests/pki/ca.pem" "$root/tests/pki/other-ca.pem"
        suite_counts "$app/tls_login.log" "" || true
        for fd in "${tls_fds[@]}"; do eval "exec $fd>&-"; done
        tls_fds=()
        show "aarch64 CLI --version under qemu-aarch64" bash -c "
            qemu-aarch64 -L '$aarch64_sysroot' '$top/bin/etna-auth' --version | tee /dev/stderr | grep -qF '$version'"
        show "aarch64 CLI demo under qemu-aarch64" aarch64_demo "$top/bin/etna-auth" "$app/demo.log"
    else
        show "$flavour CLI is static, the .so needs musl's libc only" bash -c "
            ! readelf -d '$top/bin/etna-auth' | grep -F NEEDED && ! readelf -l '$top/bin/etna-auth' | grep -F INTERP &&
            ! readelf -d '$top/lib/libetna_auth.so.$version' | grep -F 'libc.so.6'"
        show "$flavour static CLI demo under qemu-aarch64 (static: no loader, no libraries)" aarch64_demo "$top/bin/etna-auth" "$app/demo.log"
        # C, static against the musl libetna_auth.a: Zig's musl, and Rust's own musl
        # libunwind.a (the staticlib leaves the unwinder out, as tests/musl.sh explains).
        local zig=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/etna-auth/packaging-venv/zig-bin/zig
        local unwind
        unwind=$(rustc --print sysroot 2>/dev/null)/lib/rustlib/aarch64-unknown-linux-musl/lib/self-contained/libunwind.a
        if [ -x "$zig" ] && [ -f "$unwind" ]; then
            check "test_flows.c linked statically against the aarch64 musl libetna_auth.a (zig cc)" \
                "$zig" cc -target aarch64-linux-musl -static -std=c99 -Wall -Wextra -Werror -O1 -I"$root/tests/c" \
                -I"$top/include" "$root/tests/c/test_flows.c" "$top/lib/libetna_auth.a" "$unwind" -o "$app/test_flows"
            show "test_flows (aarch64 musl, static) under qemu-aarch64" \
                qemu_run "$app/test_flows.log" - "$app/test_flows"
            suite_counts "$app/test_flows.log" "" || true
        else
            echo "note: no Zig or no Rust aarch64 musl target here: the musl C program is not built"
        fi
    fi
}

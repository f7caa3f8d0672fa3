#!/usr/bin/env bash
# Build etna-auth for musl (x86_64-unknown-linux-musl, fully static) and test
# it natively: the static `etna-auth` CLI runs its demo (and refuses the
# keyring store with a clear message: no libsecret without dlopen), and tests/c/test_flows.c
# linked statically against the musl libetna_auth.a with `musl-gcc -static`
# logs in against the sandbox.
#
#   bash tests/musl.sh            # release builds (what would ship)
#   bash tests/musl.sh --debug    # debug builds (faster to build)
#
# Prints one line "musl: N passed, M failed" (this script's checks and the
# C program's) and exits non-zero when anything failed.
#
# Installs on demand (apt-get; root or sudo): musl-tools (musl-gcc), file;
# and the rustup target. +crt-static is set for this target in
# .cargo/config.toml. (cargo warns that it drops the C library's cdylib
# crate type: musl with crt-static makes only the static library.)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
TARGET=x86_64-unknown-linux-musl
. "$HERE/lib.sh"   # say, help_or_unknown, as_root, apt_install, check, add_counts, demo_ok, report
PROFILE=release
case "${1:-}" in
    "") ;;
    --debug) PROFILE=debug ;;
    *) help_or_unknown 16 "$1" ;;
esac

command -v musl-gcc >/dev/null || apt_install musl-tools
command -v file >/dev/null || apt_install file
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET_DIR/$TARGET/$PROFILE"
WORK="$(mktemp -d /tmp/etna-musl.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)


profile_flag=()
[ "$PROFILE" = release ] && profile_flag=(--release)
build_ok=0
cargo build "${profile_flag[@]}" --target "$TARGET" -p etna-auth-cli -p etna-auth-ffi && build_ok=1
check "cargo build for $TARGET" [ "$build_ok" = 1 ]
say "built ($PROFILE) in $(( $(date +%s) - START )) s"

CLI="$OUT/etna-auth"
# "static-pie linked" or "statically linked", and no interpreter.
is_static() {
    local what
    what=$(file -L "$1")
    say "$what"
    grep -Eq 'static(-pie)? linked|statically linked' <<<"$what" && ! grep -q 'interpreter' <<<"$what"
}
check "etna-auth is static" is_static "$CLI"
if [ -f "$CLI" ]; then
    cp "$CLI" "$WORK/etna-auth"
    strip "$WORK/etna-auth"
    say "etna-auth: $(stat -c %s "$CLI") bytes, $(stat -c %s "$WORK/etna-auth") stripped"
fi

check "etna-auth demo" demo_ok "etna-auth demo" timeout 60 "$CLI" demo

# The keyring store in a static executable: libsecret cannot be loaded (a
# static musl program has no dlopen), so the store says so and the command
# fails with a message: no crash, no fallback to a file.
keyring_refused() {
    local out status=0
    out=$(XDG_CONFIG_HOME="$WORK/config" timeout 30 "$CLI" logout --store keyring \
        --base-url https://etna.invalid/api --username alice 2>&1) || status=$?
    echo "exit $status: $out"
    [ "$status" != 0 ] && [ "$status" -lt 124 ] && grep -q 'libsecret-1.so.0 could not be loaded' <<<"$out" \
        && grep -q 'token file' <<<"$out" && [ ! -e "$WORK/config/etna-auth/keyring-index.json" ]
}
check "the static CLI's keyring store fails clearly" keyring_refused

# The C program, static against libetna_auth.a (musl's libc, libpthread and
# libm are all in libc.a). The staticlib leaves the unwinder out (Rust's musl
# std links it with -bundle): link Rust's own self-contained libunwind.a, as
# the host's libgcc_eh.a is glibc's (it needs _dl_find_object).
UNWIND="$(rustc --print sysroot)/lib/rustlib/$TARGET/lib/self-contained/libunwind.a"
compile() {
    musl-gcc -static -std=c99 -Wall -Wextra -Werror -O1 -Iinclude -Itests/c \
        tests/c/test_flows.c "$OUT/libetna_auth.a" "$UNWIND" -o "$WORK/test_flows"
}
check "test_flows.c links statically with musl-gcc" compile
if [ -f "$WORK/test_flows" ]; then
    check "test_flows is static" is_static "$WORK/test_flows"
    say "test_flows: $(stat -c %s "$WORK/test_flows") bytes"
    status=0
    timeout 120 "$WORK/test_flows" >"$WORK/test_flows.log" 2>&1 || status=$?
    sed 's/^/    test_flows| /' "$WORK/test_flows.log" >&2
    add_counts test_flows "$status" "$WORK/test_flows.log"
fi

say "done in $(( $(date +%s) - START )) s"
report musl
[ "$failed" = 0 ]

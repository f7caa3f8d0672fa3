#!/usr/bin/env bash
# The Rust tests of every workspace package built for aarch64 Linux and run
# under qemu-aarch64 (Debian's qemu-user, with the libc6-arm64-cross sysroot):
# the crate's unit and integration tests, the C ABI's tests (sandbox, TLS
# with tests/pki, token cache, cancellation, proxies, hostile servers, the
# scenario list, secrets, zeroize-on-free) and the CLI's unit tests.
#
# Built as the aarch64-linux-gnu package is (packaging/zig.sh): release, with
# Zig for glibc 2.17, in the same target directory, so that the dependencies
# packaging/build.sh compiled for aarch64 are compiled once and tested here
# (the test programs themselves link without fat LTO: Cargo.toml's bench
# profile).
#
# Not run:
# - the tests that start the etna-auth binary themselves (cli/tests/cli.rs and
#   the tests named in SKIP below): the kernel here cannot run an aarch64
#   program without qemu in front (no binfmt_misc); the aarch64 CLI's demo runs
#   under qemu in packaging/test_artifacts.sh, with the C programs against the
#   release tarball;
# - capi/tests/stress.rs: minutes under qemu, and qemu runs the threads with
#   the x86 host's memory ordering, so it would not test aarch64's weaker one.
#
#   bash tests/aarch64.sh                 # every test but those
#   bash tests/aarch64.sh -- -p etna-auth --lib   # cargo test with these arguments
#
# Prints cargo's "test result:" lines (tests/run_all.sh adds them up) and
# "aarch64: Rust tests under qemu: N passed, M failed"; exits non-zero on a
# failure. Installs on demand (apt-get, tests/lib.sh): qemu-user,
# libc6-dev-arm64-cross (the sysroot qemu's loader uses); Zig and
# cargo-zigbuild (pip, in packaging's venv, as packaging/zig.sh does); and the
# rustup target.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
TARGET=aarch64-unknown-linux-gnu
SYSROOT=/usr/aarch64-linux-gnu
ARGS=()
case "${1:-}" in
    "") ;;
    --) shift; ARGS=("$@") ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "aarch64.sh: unknown argument $1" >&2; exit 64 ;;
esac

say() { echo "aarch64.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }
. "$HERE/lib.sh"   # as_root, apt_install
command -v qemu-aarch64 >/dev/null || apt_install qemu-user
[ -f "$SYSROOT/include/stdio.h" ] || apt_install libc6-dev-arm64-cross
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Zig and cargo-zigbuild as packaging/build.sh has them (its venv; made here
# when this script runs first).
venv=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/etna-auth/packaging-venv
vpy=$venv/bin/python
[ -x "$vpy" ] || python3 -m venv "$venv" || { apt_install python3-venv && python3 -m venv "$venv"; }
. "$ROOT/packaging/zig.sh"   # zig_tools, zig_cargo, zig_glibc, zig_target_dir
zig_tools >&2
ZIG_TARGET=$TARGET.$zig_glibc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $SYSROOT"
export ETNA_AUTH_PYTHON="${ETNA_AUTH_PYTHON:-$(command -v python3)}"
WORK="$(mktemp -d /tmp/etna-aarch64.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)

SKIP=(
    --skip the_proxy_from_the_environment_and_no_proxy_like_curl   # capi_cancel_proxy.rs: runs the CLI
    --skip the_environment_variable_and_the_cli_flags_log_to_stderr_only   # capi_log.rs: runs the CLI
    --skip cli_stderr_without_a_terminal   # secrets.rs: runs the CLI
    --skip cli_on_a_terminal_with_wrong_factors   # secrets.rs: runs the CLI
    --skip eight_processes_at_once_cause_one_login   # capi_acquire.rs: runs itself as children
    --skip a_process_that_dies_mid_login_releases_its_lock   # capi_acquire.rs: runs itself as a child
    --skip the_default_store_is_under_xdg_config_home_and_its_folders_are_private   # the same
    --skip an_unreachable_keyring_fails_clearly_and_sends_nothing   # the same
)
ffi_tests=()
for t in capi/tests/*.rs; do
    t=$(basename "$t" .rs)
    # scenarios.rs has its own runner (harness = false), which takes no --skip: run alone.
    case "$t" in stress | scenarios) ;; *) ffi_tests+=(--test "$t") ;; esac
done
status=0
if [ ${#ARGS[@]} -gt 0 ]; then
    zig_cargo test --release --target "$ZIG_TARGET" "${ARGS[@]}" 2>&1 | tee "$WORK/cargo-test.log" || status=$?
else
    {
        # The sandbox feature, as the workspace build unifies it (its tests are in the lib).
        zig_cargo test --release --target "$ZIG_TARGET" --no-fail-fast -p etna-auth --features sandbox --lib ||
            echo "cargo test failed" >"$WORK/failed"
        zig_cargo test --release --target "$ZIG_TARGET" --no-fail-fast -p etna-auth-capi --lib "${ffi_tests[@]}" -- "${SKIP[@]}" ||
            echo "cargo test failed" >"$WORK/failed"
        zig_cargo test --release --target "$ZIG_TARGET" --no-fail-fast -p etna-auth-capi --test scenarios ||
            echo "cargo test failed" >"$WORK/failed"
        zig_cargo test --release --target "$ZIG_TARGET" --no-fail-fast -p etna-auth-cli --bins || echo "cargo test failed" >"$WORK/failed"
    } 2>&1 | tee "$WORK/cargo-test.log"
    [ ! -f "$WORK/failed" ] || status=1
fi
counts=$(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$WORK/cargo-test.log" |
    awk '{p += $1; f += $2} END {printf "%d passed, %d failed", p, f}')
say "built and run in $(( $(date +%s) - START )) s (exit $status)"
echo "aarch64: Rust tests under qemu: $counts"
exit "$status"

#!/usr/bin/env bash
# The Rust tests of every workspace package built for aarch64 Linux
# (aarch64-unknown-linux-gnu, debug) and run under qemu-aarch64 (Debian's
# qemu-user, with the libc6-arm64-cross sysroot): the crate's unit and
# integration tests, the C ABI's tests (sandbox, TLS with tests/pki, token
# cache, cancellation, proxies, hostile servers, the scenario list, secrets,
# zeroize-on-free) and the CLI's unit tests. Not run:
# - the tests that start the etna-auth binary themselves (cli/tests/cli.rs and
#   the four named in SKIP below): the kernel here cannot run an aarch64
#   program without qemu in front (no binfmt_misc); the aarch64 CLI's demo runs
#   under qemu in packaging/test_artifacts.sh, with the C programs against the
#   release tarball;
# - capi/tests/stress.rs: 4 minutes under qemu, and qemu runs the threads with
#   the x86 host's memory ordering, so it would not test aarch64's weaker one.
#
#   bash tests/aarch64.sh                 # every test but those
#   bash tests/aarch64.sh -- -p etna-auth --lib   # cargo test with these arguments
#
# Prints cargo's "test result:" lines (tests/run_all.sh adds them up) and
# "aarch64: Rust tests under qemu: N passed, M failed"; exits non-zero on a
# failure. Installs on demand (apt-get, tests/lib.sh): qemu-user,
# gcc-aarch64-linux-gnu (linker, and ring's C compiler), libc6-dev-arm64-cross;
# and the rustup target.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
TARGET=aarch64-unknown-linux-gnu
SYSROOT=/usr/aarch64-linux-gnu
ARGS=()
case "${1:-}" in
    "") ;;
    --) shift; ARGS=("$@") ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "aarch64.sh: unknown argument $1" >&2; exit 64 ;;
esac

say() { echo "aarch64.sh: $*" >&2; }
. "$HERE/lib.sh"   # as_root, apt_install
command -v qemu-aarch64 >/dev/null || apt_install qemu-user
command -v aarch64-linux-gnu-gcc >/dev/null || apt_install gcc-aarch64-linux-gnu
[ -f "$SYSROOT/include/stdio.h" ] || apt_install libc6-dev-arm64-cross
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

cd "$ROOT"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $SYSROOT"
# The scenario tests start tests/scenarios/hostile_server.py: the host's python3, which the
# aarch64 test process starts as a host program.
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
    cargo test --target "$TARGET" "${ARGS[@]}" 2>&1 | tee "$WORK/cargo-test.log" || status=$?
else
    {
        # The sandbox feature, as the workspace build unifies it (its tests are in the lib).
        cargo test --target "$TARGET" --no-fail-fast -p etna-auth --features sandbox --lib ||
            echo "cargo test failed" >"$WORK/failed"
        cargo test --target "$TARGET" --no-fail-fast -p etna-auth-capi --lib "${ffi_tests[@]}" -- "${SKIP[@]}" ||
            echo "cargo test failed" >"$WORK/failed"
        cargo test --target "$TARGET" --no-fail-fast -p etna-auth-capi --test scenarios ||
            echo "cargo test failed" >"$WORK/failed"
        cargo test --target "$TARGET" --no-fail-fast -p etna-auth-cli --bins || echo "cargo test failed" >"$WORK/failed"
    } 2>&1 | tee "$WORK/cargo-test.log"
    [ ! -f "$WORK/failed" ] || status=1
fi
counts=$(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$WORK/cargo-test.log" |
    awk '{p += $1; f += $2} END {printf "%d passed, %d failed", p, f}')
say "built and run in $(( $(date +%s) - START )) s (exit $status)"
echo "aarch64: Rust tests under qemu: $counts"
exit "$status"

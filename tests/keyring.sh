#!/usr/bin/env bash
# The keyring store (etna_acquire_token(..., "keyring", ...)) against a real
# Secret Service: GNOME Keyring in a private D-Bus session
# (dbus-run-session), with a throwaway login keyring in a temporary
# XDG_DATA_HOME, unlocked for the test with a throwaway password. Runs the
# ignored Rust tests keyring_store_under_the_os_credential_store
# (capi/tests/capi_acquire.rs) and the_store_and_its_index_agree
# (src/store/keyring.rs: an entry deleted behind the index's back is not
# listed, a save whose index update fails leaves no token behind) and
# threads_use_the_store_at_once (four threads writing and reading), then
# checks from outside with secret-tool that the entry holds the token (and
# its expiry) and not the password. etna-auth reaches the Secret Service
# through the system's libsecret-1.so.0, loaded at run time.
#
#   bash tests/keyring.sh             # debug build of the test
#   bash tests/keyring.sh --release   # release (what tests/run_all.sh has built)
#
# Prints cargo's "test result:" lines, then "keyring: N passed, M failed"
# for this script's own checks; exits non-zero when anything failed.
# Installs on demand (apt-get; root or sudo): gnome-keyring, libsecret-1-0
# (what etna-auth loads), libsecret-tools (secret-tool), dbus-daemon
# (dbus-run-session), dbus-x11.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
. "$HERE/lib.sh"   # say, help_or_unknown, apt_install, check, report

PROFILE=()
case "${1:-}" in
    ""|--inside) ;;
    --release) PROFILE=(--release) ;;
    *) help_or_unknown 18 "$1" ;;
esac

if [ "${1:-}" != --inside ]; then
    export ETNA_KEYRING_PROFILE="${PROFILE[*]:-}"
    command -v gnome-keyring-daemon >/dev/null || apt_install gnome-keyring
    command -v secret-tool >/dev/null || apt_install libsecret-tools
    ldconfig -p 2>/dev/null | grep -q 'libsecret-1\.so\.0 ' || apt_install libsecret-1-0
    command -v dbus-run-session >/dev/null || apt_install dbus-daemon dbus-x11
    cd "$ROOT"
    # Built outside the D-Bus session (minutes on a fresh machine).
    cargo test "${PROFILE[@]}" --no-run -p etna-auth-capi --test capi_acquire >&2
    cargo test "${PROFILE[@]}" --no-run -p etna-auth --lib >&2
    WORK="$(mktemp -d /tmp/etna-keyring.XXXXXX)"
    trap 'rm -rf "$WORK"' EXIT
    export ETNA_KEYRING_WORK="$WORK"
    status=0
    dbus-run-session -- bash "$HERE/keyring.sh" --inside || status=$?
    exit "$status"
fi

# Inside the private D-Bus session.
cd "$ROOT"
WORK="$ETNA_KEYRING_WORK"
mkdir -p -m 0700 "$WORK/data" "$WORK/config" "$WORK/run"
# The keyring files, etna-auth's default folder (lock files, index) and the
# daemon's sockets, all in the temporary folder: the user's own keyring and
# configuration are never touched.
export XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config" XDG_RUNTIME_DIR="$WORK/run"
unset ETNA_AUTH_STORE


# Starts the daemon (secrets only) and creates and unlocks the login
# keyring with this password; it prints the variables of its control socket.
eval "$(echo -n throwaway-keyring-password | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
check "gnome-keyring-daemon runs" pgrep -u "$(id -u)" -f gnome-keyring-daemon >/dev/null

# One ignored Rust test: LOG NAME CARGO-ARGS...; prints cargo's output
# (its "test result:" line), true when that one test passed.
rust_test() {
    local log="$WORK/$1" name=$2 status
    shift 2
    # shellcheck disable=SC2086 # empty or --release
    ETNA_TEST_KEYRING_OUT="$WORK/out" cargo test $ETNA_KEYRING_PROFILE -q "$@" "$name" -- --ignored --exact >"$log" 2>&1
    status=$?
    cat "$log"
    [ "$status" = 0 ] && grep -q '^test result: ok. 1 passed' "$log"
}
check "the Rust keyring test passes" rust_test cargo.log keyring_store_under_the_os_credential_store \
    -p etna-auth-capi --test capi_acquire
check "the keyring and its index agree (deleted outside, failed save)" rust_test cargo-index.log \
    store::keyring::tests::the_store_and_its_index_agree -p etna-auth --lib
check "four threads use the keyring at once" rust_test cargo-threads.log \
    store::keyring::tests::threads_use_the_store_at_once -p etna-auth --lib

if [ -f "$WORK/out" ]; then
    url=$(sed -n 1p "$WORK/out")
    token=$(sed -n 2p "$WORK/out")
    service="etna-auth $url"
    stored=$(secret-tool lookup service "$service" username alice || true)
    say "secret-tool lookup service \"$service\" username alice: ${#stored} bytes"
    check "secret-tool finds the entry by base URL and user" [ -n "$stored" ]
    holds_token() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["token"] == sys.argv[2] and d["expires_at"] > 0 else 1)' "$stored" "$token"; }
    check "the entry holds the token and its expiry" holds_token
    all=$(secret-tool search --all --unlock service "$service" 2>&1 || true)
    check "no entry holds the password" bash -c '! grep -q alice-pass <<<"$1"' _ "$all"
    check "the entry's attributes are service and username" bash -c 'grep -q "attribute.username = alice" <<<"$1"' _ "$all"
    check "the index beside the lock files has no token" bash -c '! grep -qF -- "$2" "$1"' _ \
        "$XDG_CONFIG_HOME/etna-auth/keyring-index.json" "$token"
    check "the default folder is owner-only" [ "$(stat -c %a "$XDG_CONFIG_HOME/etna-auth")" = 700 ]
    secret-tool clear service "$service" username alice || true
else
    failed=$((failed + 1)); say "FAIL: the Rust test left no entry to check"
fi

report keyring
[ "$failed" = 0 ]

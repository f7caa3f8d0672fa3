# Sourced by the test and packaging scripts: the helpers they share, one of
# each.
#
#   say MSG...           a progress line on stderr: "SCRIPT: MSG" (a script
#                        that wants another prefix defines say before)
#   help_or_unknown LAST ARG
#                        the last case of a script's argument loop: -h or
#                        --help prints the header comment (lines 2 to LAST)
#                        and exits 0; anything else is a usage error (64)
#   as_root CMD...       runs CMD as root (through sudo when not root)
#   apt_install PKG...   installs Debian packages on demand: the first try
#                        uses the package lists as they are; when it fails (a
#                        fresh machine has none) the lists are updated once and
#                        it tries again; waits up to 20 minutes for another
#                        apt_install to end, then up to 10 for apt-get's lock
#   check NAME CMD...    one check, counted: "ok   NAME", or "FAIL NAME" with
#                        the end of the command's output (all of it, and for
#                        passing checks too, with VERBOSE=1); returns 0 either
#                        way (a script under set -e goes on) and leaves
#                        check_ok=1 or 0 for a step that depends on it
#   pass NAME, fail NAME a check whose outcome the script decided itself
#   add_counts NAME STATUS LOG
#                        adds a test program's "N passed, M failed" (the last
#                        such line of its output, LOG) to passed and failed;
#                        no such line, or a non-zero exit STATUS with no
#                        failure counted, is one failure more
#   demo_ok LABEL CMD... runs the CLI's demo (CMD), shows its output (lines
#                        prefixed "LABEL| ") and checks its three logins
#   report NAME          the closing line "NAME: N passed, N failed" that the
#                        test command adds up; returns non-zero on a failure

declare -F say >/dev/null || say() { echo "$(basename "$0"): $*" >&2; }

help_or_unknown() { # LAST ARG
    case "$2" in
        -h | --help) sed -n "2,${1}p" "$0"; exit 0 ;;
        *) say "unknown argument $2"; exit 64 ;;
    esac
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

apt_install() { # packages...
    echo "installing $* (apt-get)" >&2
    local apt=(apt-get -o DPkg::Lock::Timeout=600)
    # One apt_install at a time (the test command builds the packages in the
    # background while suites install what they need): apt's own lock does
    # not cover two "apt-get update"s at once.
    (
        flock -w 1200 9 || echo "apt_install: waited 20 minutes for another apt_install; trying anyway" >&2
        as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 \
            || { as_root "${apt[@]}" update -qq >/dev/null 2>&1
                 as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null; }
    ) 9>"${TMPDIR:-/tmp}/etna-auth-apt.lock"
}

passed=${passed:-0}
failed=${failed:-0}
declare -p failures >/dev/null 2>&1 || failures=()

pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); failures+=("$*"); echo "FAIL $*"; }

check() { # NAME COMMAND...
    local name=$1 log
    shift
    log=$(mktemp)
    check_ok=0
    # A subshell: a check cannot change the script's directory or variables.
    if ("$@") >"$log" 2>&1; then
        check_ok=1
        pass "$name"
        [ -z "${VERBOSE:-}" ] || sed 's/^/     /' "$log"
    else
        fail "$name"
        if [ -n "${VERBOSE:-}" ]; then sed 's/^/     /' "$log"; else tail -n 40 "$log" | sed 's/^/     /'; fi
    fi
    rm -f "$log"
}

report() { # NAME
    echo "$1: $passed passed, $failed failed"
    [ "$failed" = 0 ]
}

add_counts() { # NAME STATUS LOG
    local name=$1 status=$2 counts
    counts=$(tr -d '\r' <"$3" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -1)
    if [ -z "$counts" ]; then
        failed=$((failed + 1)); say "FAIL: $name gave no count (exit $status)"; return
    fi
    set -- $counts
    passed=$((passed + $1)); failed=$((failed + $2))
    if [ "$status" != 0 ] && [ "$2" = 0 ]; then
        failed=$((failed + 1)); say "FAIL: $name exited with $status"
    fi
}

demo_ok() { # LABEL COMMAND...
    local label=$1 status=0 log needle
    shift
    log=$(mktemp)
    "$@" >"$log" 2>&1 || status=$?
    tr -d '\r' <"$log" | sed "s/^/    $label| /" >&2
    if [ "$status" != 0 ]; then
        echo "$label exited with $status" >&2
        rm -f "$log"
        return 1
    fi
    for needle in ETNA_NEED_PIN ETNA_NEED_CODE '"Invalid verification code"' ETNA_OK '6 requests over 3 connections'; do
        grep -qF -- "$needle" "$log" || { echo "$label: no $needle" >&2; rm -f "$log"; return 1; }
    done
    rm -f "$log"
}

#!/usr/bin/env bash
# Checks that ELF files built for glibc load on glibc MAX (default 2.17, the
# manylinux2014 baseline), from `objdump -T` (any architecture):
#
#   bash packaging/glibc_check.sh [--max 2.17] FILE...
#
# Fails a file that needs
# - a GLIBC_ symbol version above MAX (the loader refuses it: "version
#   `GLIBC_2.34' not found");
# - an undefined symbol with no version that is not weak: the link against
#   old glibc accepted it, but no library provides it at run time and the
#   file fails to load ("undefined symbol: explicit_bzero"), which a test of
#   the highest version alone misses. Weak ones are fine (Rust's std looks up
#   newer functions such as statx that way and copes without them).
# Prints, per file, the highest GLIBC_ version, the libraries it needs and
# "ok" or what is wrong; exits non-zero when any file fails.
set -euo pipefail
max=2.17
if [ "${1:-}" = --max ]; then
    max=$2
    shift 2
fi
[ $# -gt 0 ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 64; }

# "2.17" -> "2017": versions compared as numbers.
vnum() { awk -F. '{ printf "%d%03d\n", $1, $2 }' <<<"$1"; }
bad=0
for f in "$@"; do
    if ! syms=$(objdump -T "$f" 2>&1); then
        echo "$f: objdump -T failed: $syms"
        bad=1
        continue
    fi
    # Undefined symbols: "ADDR FLAGS *UND* SIZE [(VERSION)] NAME"; a 'w' in
    # FLAGS marks a weak one. Printed as "VERSION NAME" or "- NAME" (none).
    und=$(awk '/\*UND\*/ {
            split($0, halves, /\*UND\*/)
            weak = (halves[1] ~ / w /) ? "weak" : "strong"
            n = split(halves[2], t, /[ \t]+/)
            k = 0
            for (i = 1; i <= n; i++) if (t[i] != "") w[++k] = t[i]
            if (k >= 3) { v = w[2]; gsub(/[()]/, "", v); print weak, v, w[3] }
            else if (k == 2) print weak, "-", w[2]
        }' <<<"$syms")
    highest=$(awk '$2 ~ /^GLIBC_[0-9]/ { sub(/^GLIBC_/, "", $2); print $2 }' <<<"$und" | sort -t. -k1,1n -k2,2n -k3,3n | tail -1)
    needed=$(objdump -p "$f" | awk '$1 == "NEEDED" { printf "%s ", $2 }')
    problems=()
    while read -r _ v name; do
        problems+=("$name needs $v")
    done < <(awk -v max="$(vnum "$max")" '$2 ~ /^GLIBC_[0-9]/ {
            v = $2; sub(/^GLIBC_/, "", v); split(v, p, ".")
            if (p[1] * 1000 + p[2] > max) print
        }' <<<"$und")
    while read -r _ _ name; do
        problems+=("$name is undefined with no version (not weak)")
    done < <(awk '$1 == "strong" && $2 == "-"' <<<"$und")
    echo "$(basename "$f"): highest GLIBC_${highest:-none}; needs ${needed:-nothing}"
    if [ ${#problems[@]} -gt 0 ]; then
        bad=1
        for p in "${problems[@]}"; do echo "  FAIL (glibc $max): $p"; done
    else
        echo "  ok: loads on glibc $max"
    fi
done
exit "$bad"

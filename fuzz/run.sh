#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: fuzz/run.sh SECONDS [TARGET...]
#
# Needs cargo-fuzz and the nightly toolchain (`cargo install cargo-fuzz
# --locked`; `rustup toolchain install nightly`). Each target starts from
# the committed seeds (fuzz/seeds/<target>, made from the documented answers
# by make_seeds.py) plus its working corpus (fuzz/corpus/<target>, kept
# between runs, not committed). A crash leaves its input in
# fuzz/artifacts/<target>/ and the script exits non-zero.
#
# Prints one line per target and a final "fuzz: N passed, M failed".
# Environment: FUZZ_JOBS (default 1) parallel jobs per target;
# CARGO_TARGET_DIR as usual (default fuzz/target).
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list 2>/dev/null)
fi
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz: no targets (is cargo-fuzz installed?)"
    exit 1
fi

# One build for every target (release with debug assertions, as
# `cargo fuzz run -O --debug-assertions` builds them), then each binary is
# run directly, so that nothing is rebuilt between targets.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$(pwd)/target}
if ! cargo +nightly fuzz build -O --debug-assertions >build.log 2>&1; then
    tail -30 build.log
    echo "fuzz: build failed"
    echo "fuzz: 0 passed, ${#targets[@]} failed"
    exit 1
fi
bin="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release"

jobs=()
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then jobs=(-fork="$FUZZ_JOBS"); fi

passed=0; failed=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    log=$(mktemp)
    start=$(date +%s)
    "$bin/$t" "corpus/$t" "seeds/$t" \
        -artifact_prefix="artifacts/$t/" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -max_len=70000 -dict=dict/protocol.dict \
        -print_final_stats=1 "${jobs[@]}" >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "fuzz $t: ok (${took}s, ${runs:-?} runs, ${cov:-cov: ?})"
    else
        failed=$((failed + 1))
        echo "fuzz $t: FAILED (exit $rc after ${took}s); the log ends with:"
        grep -m1 -A4 'panicked at\|ERROR: AddressSanitizer\|ERROR: libFuzzer' "$log"
        grep -m1 -A2 'Test unit written to' "$log"
        echo "  reproduce: $bin/$t <artifact>   (or: cd fuzz && cargo +nightly fuzz run -O $t <artifact>)"
    fi
    rm -f "$log"
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]

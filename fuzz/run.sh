#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a set time (docs/fuzzing.md).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS is per target (default 60): `fuzz/run.sh 60` runs the seven targets for seven
# minutes in all, after the build and the seeding. TARGETs default to all of them: parse,
# eval, fmt, export, state, data, lsp. Each runs with libFuzzer in fork mode, one fuzzing process at a time
# (`-fork=1`: a timeout or an out-of-memory is recorded and fuzzing goes on; a crash stops the
# target), from its corpus (kept between runs) and the seed corpus that fuzz/seed.sh makes anew
# (testdata/, ../shared/conformance/, examples/, stdlib/). Everything goes under
# ${CARGO_TARGET_DIR:-target}/fuzz/: build/, seeds/, corpus/TARGET/, artifacts/TARGET/ (the
# inputs that crashed, timed out or ran out of memory), logs/TARGET.log.
#
# Before fuzzing, each target replays its regression inputs, fuzz/regressions/TARGET/* (each
# file a finding since fixed); one that fails is a crash. Files under
# fuzz/regressions/TARGET/open/ are findings not yet fixed: they are not replayed.
#
# Prints, per target, executions, crashes, timeouts and out-of-memory inputs found. Exit
# status: 1 when a target crashed (a panic, a stack overflow, a failed check) or a regression
# input failed, or with ORCHE_FUZZ_STRICT=1 when one timed out or ran out of memory; 2 when the
# build or the setup failed; else 0.
#
# Environment: ORCHE_SHARED (default ../shared beside the repository), ORCHE_FUZZ_LIMITS (the
# libFuzzer limits, default `-rss_limit_mb=2048 -timeout=10 -max_len=16384`),
# ORCHE_FUZZ_ARGS (more libFuzzer flags), ORCHE_FUZZ_STRICT.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 2
seconds=${1:-60}
shift || true
all=(parse eval fmt export state data lsp)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "run.sh: SECONDS must be a whole number of seconds, at least 1 (got $seconds)" >&2
    exit 2
fi
for t in "${targets[@]}"; do
    [[ " ${all[*]} " == *" $t "* ]] || { echo "run.sh: no target $t (${all[*]})" >&2; exit 2; }
done

work=${CARGO_TARGET_DIR:-$repo/target}/fuzz
[[ $work == /* ]] || work=$repo/$work
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: cargo fuzz is missing: cargo install --locked cargo-fuzz --version 0.13.2" >&2
    exit 2
fi

# Stable Rust: libFuzzer's coverage flags are stable rustc flags, but cargo fuzz asks for
# nightly-only options unless told `--sanitizer none`; RUSTC_BOOTSTRAP=1 lets the stable
# compiler accept the few it still passes. `-a`: debug assertions and overflow checks on, so
# that an arithmetic overflow is a crash rather than a wrong value.
echo "== build (cargo fuzz build --sanitizer none -a, into $work/build)"
start=$SECONDS
RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none --debug-assertions \
    --target-dir "$work/build" </dev/null || { echo "run.sh: the build failed" >&2; exit 2; }
echo "built in $((SECONDS - start)) s"
bin=$work/build/x86_64-unknown-linux-gnu/release

echo "== seeds"
fuzz/seed.sh "$work/seeds" || { echo "run.sh: seeding failed" >&2; exit 2; }

read -r -a limits <<<"${ORCHE_FUZZ_LIMITS:--rss_limit_mb=2048 -timeout=10 -max_len=16384}"
read -r -a extra <<<"${ORCHE_FUZZ_ARGS:-}"
mkdir -p "$work/logs"
failed=0
rows=()
for t in "${targets[@]}"; do
    seeds=$work/seeds/orc
    [[ $t == state ]] && seeds=$work/seeds/state
    [[ $t == data ]] && seeds=$work/seeds/data
    # The language's tokens, or (target `data`) those of JSON, YAML and TOML.
    dict=fuzz/orche.dict
    [[ -f fuzz/$t.dict ]] && dict=fuzz/$t.dict
    corpus=$work/corpus/$t
    art=$work/artifacts/$t
    log=$work/logs/$t.log
    mkdir -p "$corpus" "$art"

    # Regression inputs: each must run clean.
    regress=0
    mapfile -t cases < <(find "fuzz/regressions/$t" -maxdepth 1 -type f ! -name '*.md' 2>/dev/null | sort)
    if ((${#cases[@]})); then
        echo "== $t: replaying ${#cases[@]} regression inputs"
        for c in "${cases[@]}"; do
            if ! "$bin/$t" "${limits[@]}" "$c" >"$work/logs/$t.replay.log" 2>&1; then
                echo "run.sh: $t fails on the regression input $c (log: $work/logs/$t.replay.log)" >&2
                tail -n 30 "$work/logs/$t.replay.log" >&2
                regress=$((regress + 1))
            fi
        done
    fi

    echo "== $t: fuzzing for $seconds s (log: $log)"
    before=$(find "$art" -type f | sort)
    "$bin/$t" -fork=1 -ignore_crashes=0 -max_total_time="$seconds" "${limits[@]}" \
        -dict="$dict" -artifact_prefix="$art/" "${extra[@]}" \
        "$corpus" "$seeds" </dev/null >"$log" 2>&1
    status=$?
    new=$(comm -13 <(echo "$before") <(find "$art" -type f | sort) | sed '/^$/d')
    count() { grep -c "/$1-" <<<"$new" || true; }
    crashes=$(count crash) timeouts=$(count timeout) ooms=$(count oom)
    # The last status line: `#N: cov: …` in fork mode, `Done N runs` otherwise.
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
    done_runs=$(grep -oE '^Done [0-9]+ runs' "$log" | tail -n 1 | grep -oE '[0-9]+')
    execs=${done_runs:-${execs:-0}}
    if ((status == 70 && crashes == 0 && timeouts > 0)); then
        # 70 is libFuzzer's -timeout_exitcode: in fork mode the parent passes on the status of
        # the job that timed out. The input is counted under timeouts, not as a crash.
        echo "run.sh: $t: a job timed out (status 70); counted as a timeout" >&2
    elif ((status != 0 && crashes == 0)); then
        # libFuzzer stopped for a reason that left no crash input (or in the parent itself).
        crashes=1
        echo "run.sh: $t: libFuzzer exited with status $status" >&2
        tail -n 30 "$log" >&2
    fi
    if [[ -n $new ]]; then
        echo "$t found:"
        sed 's/^/  /' <<<"$new"
    fi
    if grep -q "/crash-" <<<"$new"; then
        grep -m1 -B2 -A25 -E "panicked at|ERROR: libFuzzer|==ERROR" "$log" | head -n 40 >&2 || true
    fi
    rows+=("$(printf '%-8s %6s s %10s execs %3s crashes %3s timeouts %3s ooms %3s regressions failed' \
        "$t" "$seconds" "$execs" "$crashes" "$timeouts" "$ooms" "$regress")")
    if ((crashes + regress > 0)); then
        failed=1
    elif [[ ${ORCHE_FUZZ_STRICT:-} == 1 ]] && ((timeouts + ooms > 0)); then
        failed=1
    fi
done

echo
echo "== fuzz summary (inputs found are under $work/artifacts/TARGET/)"
printf '%s\n' "${rows[@]}"
if ((failed)); then
    echo "fuzz: FAILED (reproduce: docs/fuzzing.md)"
    exit 1
fi
echo "fuzz: ok"

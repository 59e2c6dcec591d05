#!/usr/bin/env bash
# Benchmark `orche diff` against one `orche export` on generated stdlib federations
# (bench/gen.py --stdlib): the new side changes the image of one resource in 16 of the sites
# (every `svc-008`), so the diff reads both federations and computes a blast radius. Prints
# the medians and their ratio (the target: diff under 2x export). Not part of `cargo test`.
#
# Usage: bench/diff.sh                       1000x50, 5 runs of each
#        BENCH_SIZE=100x50 BENCH_RUNS=9 bench/diff.sh
#        ORCHE=path/to/orche bench/diff.sh    (skip the build, time this binary)
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
size=${BENCH_SIZE:-1000x50}
runs=${BENCH_RUNS:-5}

work=$(mktemp -d "${TMPDIR:-/tmp}/orche-diff-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 bench/gen.py --stdlib "${size%x*}" "${size#*x}" > "$work/old.orc"
sed 's/svc-008:1\.0/svc-008:2.0/' "$work/old.orc" > "$work/new.orc"
if cmp -s "$work/old.orc" "$work/new.orc"; then
    echo "bench: the generated federation has no svc-008:1.0 to change" >&2
    exit 1
fi

# median_of RUNS COMMAND…: the median wall-clock seconds of RUNS runs (exit 0 or 2 accepted).
median_of() {
    local n=$1
    shift
    local times=() i start end status
    for ((i = 0; i < n; i++)); do
        start=$(date +%s.%N)
        status=0
        "$@" > /dev/null 2>&1 || status=$?
        end=$(date +%s.%N)
        if ((status != 0 && status != 2)); then
            echo "bench: $* exited $status" >&2
            exit 1
        fi
        times+=("$(echo "$end - $start" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}

# Interleaved: export, diff, export, diff, … so that a change in the machine's load hits both.
ex=() df=()
for ((r = 0; r < runs; r++)); do
    ex+=("$(median_of 1 "$ORCHE" export "$work/old.orc")")
    df+=("$(median_of 1 "$ORCHE" diff "$work/old.orc" "$work/new.orc")")
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
e=$(med "${ex[@]}")
d=$(med "${df[@]}")
printf 'size %s, %d runs each (medians, wall-clock seconds)\n' "$size" "$runs"
printf '  orche export OLD          %.2f s\n' "$e"
printf '  orche diff OLD NEW        %.2f s\n' "$d"
printf '  ratio diff / export       %.2f (target: under 2)\n' "$(echo "$d / $e" | bc -l)"

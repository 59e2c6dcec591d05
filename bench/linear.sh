#!/usr/bin/env bash
# Is `orche export` linear in size? For each size of the plain and the stdlib workload
# (bench/gen.py), prints the instructions of the whole process (valgrind's cachegrind, which
# counts the same on a loaded machine as on an idle one), the peak RSS (GNU time), and both
# per resource: flat columns mean linear. Not part of `cargo test`.
#
# Usage: bench/linear.sh
#        LINEAR_SIZES="10x10 100x50" bench/linear.sh
#        ORCHE=path/to/orche bench/linear.sh   (skip the build, measure this binary)
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
need_gnu_time
if ! command -v valgrind >/dev/null; then
    echo "bench: valgrind is needed (apt-get install valgrind)" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/orche-linear.XXXXXX")
trap 'rm -rf "$work"' EXIT

sizes=${LINEAR_SIZES:-"10x10 100x10 100x50 300x50 1000x50"}
rows=("workload size resources instructions instr/resource peak_KiB KiB/resource")
for workload in plain stdlib; do
    for size in $sizes; do
        sites=${size%x*}
        per=${size#*x}
        resources=$((sites * per))
        if [[ $workload == plain ]]; then
            file="$work/plain-$size.cue"
            python3 bench/gen.py "$sites" "$per" >"$file"
        else
            file="$work/stdlib-$size.orc"
            python3 bench/gen.py --stdlib "$sites" "$per" >"$file"
        fi
        echo "bench: $workload $size…" >&2
        instr=$(valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
            "$ORCHE" export "$file" --out json 2>&1 >/dev/null |
            awk '/I *refs:/ {gsub(",", "", $NF); print $NF}')
        /usr/bin/time -v -o "$work/time.txt" "$ORCHE" export "$file" --out json >/dev/null
        kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
        rows+=("$workload $size $resources $instr $((instr / resources)) $kib $((kib / resources))")
    done
done
printf '%s\n' "${rows[@]}" | column -t

#!/usr/bin/env bash
# Benchmark `orche export` on generated federations (bench/gen.py) and, when a `cue` binary is
# on PATH, `cue export` on the same files. Not part of `cargo test`.
#
# Usage: bench/run.sh                 sizes 10x10 100x50 1000x50 (sites x resources per site)
#        BENCH_SIZES="10x10 200x50" bench/run.sh
#        BENCH_STDLIB_SIZES="10x10 100x50" bench/run.sh   sizes of the stdlib table
#        BENCH_STDLIB=0 bench/run.sh        skip the stdlib table
#        ORCHE=path/to/orche bench/run.sh   (skip the build, time this binary)
#        BENCH_GRAPH=1 bench/run.sh          (add computed graph fields: gen.py --graph)
#
# Times are the median wall-clock seconds of 5 runs (3 for sites >= 1000, in both tables); peak RSS is the
# largest "Maximum resident set size" that GNU time (/usr/bin/time -v) reported over those runs.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
need_gnu_time


CUE=$(command -v cue || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/orche-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# measure RUNS COMMAND… : runs COMMAND RUNS times; prints "median_seconds peak_rss_mib", or
# "error error".
measure() {
    local runs=$1
    shift
    local times=() peak=0 i start end rss
    for ((i = 0; i < runs; i++)); do
        start=$(date +%s%N)
        if ! /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt"; then
            echo "bench: $* failed:" >&2
            head -5 "$work/err.txt" >&2 || true
            echo "error error"
            return
        fi
        end=$(date +%s%N)
        times+=("$(( (end - start) / 1000 ))")
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
        if ((rss > peak)); then peak=$rss; fi
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    awk -v us="$median" -v kib="$peak" 'BEGIN {printf "%.3f %.1f\n", us / 1e6, kib / 1024}'
}

sizes=${BENCH_SIZES:-"10x10 100x50 1000x50"}
header="size resources input_bytes orche_s orche_MiB"
[[ -n "$CUE" ]] && header="$header cue_s cue_MiB cue/orche"
rows=("$header")
for size in $sizes; do
    sites=${size%x*}
    per=${size#*x}
    file="$work/fed-$size.cue"
    gen_flags=()
    [[ -n "${BENCH_GRAPH:-}" ]] && gen_flags=(--graph)
    python3 bench/gen.py "${gen_flags[@]}" "$sites" "$per" >"$file"
    bytes=$(wc -c <"$file")
    runs=5
    ((sites >= 1000)) && runs=3
    echo "bench: $size ($runs runs)…" >&2
    read -r o_s o_mib < <(measure "$runs" "$ORCHE" export "$file" --out json)
    row="$size $((sites * per)) $bytes $o_s $o_mib"
    if [[ -n "$CUE" ]]; then
        read -r c_s c_mib < <(measure "$runs" "$CUE" export "$file" --out json)
        ratio=$(awk -v c="$c_s" -v o="$o_s" 'BEGIN {if (o + 0 > 0 && c != "error") printf "%.1fx", c / o; else print "-"}')
        row="$row $c_s $c_mib $ratio"
    fi
    rows+=("$row")
done

echo "plain CUE schema (bench/gen.py):"
printf '%s\n' "${rows[@]}" | column -t

# The same shape through orche's standard library (federation.#Federation: graph, levels,
# waves, startup, deployment order), with `orche export` and `orche graph`. Only orche can
# read it, so there is no cue column.
[[ "${BENCH_STDLIB:-1}" == 0 ]] && exit 0
rows=("size resources input_bytes export_s export_MiB graph_s graph_MiB")
for size in ${BENCH_STDLIB_SIZES:-$sizes}; do
    sites=${size%x*}
    per=${size#*x}
    file="$work/stdlib-$size.orc"
    python3 bench/gen.py --stdlib "$sites" "$per" >"$file"
    bytes=$(wc -c <"$file")
    runs=5
    ((sites >= 1000)) && runs=3
    echo "bench: stdlib $size ($runs runs)…" >&2
    read -r e_s e_mib < <(measure "$runs" "$ORCHE" export "$file" --out json)
    read -r g_s g_mib < <(measure "$runs" "$ORCHE" graph "$file" --out json)
    rows+=("$size $((sites * per)) $bytes $e_s $e_mib $g_s $g_mib")
done
echo
echo "through the stdlib (bench/gen.py --stdlib):"
printf '%s\n' "${rows[@]}" | column -t

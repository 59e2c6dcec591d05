#!/usr/bin/env bash
# Benchmark `orche export` on generated federations (bench/gen.py), side by side with `cue
# export` on the same files and `jrsonnet` on the same data written in Jsonnet (gen.py
# --jsonnet), when they are there. Not part of `cargo test`.
#
# Usage: bench/run.sh                 sizes 10x10 100x50 1000x50 (sites x resources per site)
#        BENCH_SIZES="10x10 200x50" bench/run.sh
#        BENCH_STDLIB_SIZES="10x10 100x50" bench/run.sh   sizes of the stdlib table
#        BENCH_STDLIB=0 bench/run.sh        skip the stdlib table
#        BENCH_PIN=0 bench/run.sh           skip the stdlib runs pinned to one core
#        ORCHE=path/to/orche bench/run.sh   (skip the build, time this binary)
#        BENCH_GRAPH=1 bench/run.sh          (add computed graph fields: gen.py --graph)
#        CUE=path/to/cue JRSONNET=path/to/jrsonnet bench/run.sh
#
# cue is `cue` on PATH, else ../shared/bin/cue beside the repository (cue v0.14.2); jrsonnet is
# `jrsonnet` on PATH, else ~/.cargo/bin/jrsonnet (`cargo install --locked jrsonnet --version
# 0.5.0-pre98`). A peer that is not there gets no column. The ratio columns are the peer's time
# over orche's, from runs made one after the other on the same file: above 1 means orche is
# faster.
#
# Times are the median wall-clock seconds of 5 runs (3 for sites >= 1000, in both tables); peak RSS is the
# largest "Maximum resident set size" that GNU time (/usr/bin/time -v) reported over those runs.
# The stdlib table also times `orche export` and `orche graph` pinned to one core (`taskset -c
# 0`), when taskset is there.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
need_gnu_time


CUE=${CUE:-$(command -v cue || true)}
if [[ -z "$CUE" && -x "$root/../shared/bin/cue" ]]; then
    CUE="$root/../shared/bin/cue"
fi
JRSONNET=${JRSONNET:-$(command -v jrsonnet || true)}
if [[ -z "$JRSONNET" && -x "$HOME/.cargo/bin/jrsonnet" ]]; then
    JRSONNET="$HOME/.cargo/bin/jrsonnet"
fi
PIN=()
if [[ "${BENCH_PIN:-1}" != 0 ]] && command -v taskset >/dev/null; then
    PIN=(taskset -c 0)
fi

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
[[ -n "$JRSONNET" ]] && header="$header jrsonnet_s jrsonnet_MiB jrsonnet/orche"
rows=("$header")
# ratio PEER_SECONDS ORCHE_SECONDS: "12.3x", or "-" when either run failed.
ratio() {
    awk -v c="$1" -v o="$2" 'BEGIN {if (o + 0 > 0 && c != "error") printf "%.1fx", c / o; else print "-"}'
}
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
        row="$row $c_s $c_mib $(ratio "$c_s" "$o_s")"
    fi
    if [[ -n "$JRSONNET" ]]; then
        jfile="$work/fed-$size.jsonnet"
        python3 bench/gen.py --jsonnet "$sites" "$per" >"$jfile"
        read -r j_s j_mib < <(measure "$runs" "$JRSONNET" "$jfile")
        row="$row $j_s $j_mib $(ratio "$j_s" "$o_s")"
    fi
    rows+=("$row")
done

echo "plain CUE schema (bench/gen.py):"
printf '%s\n' "${rows[@]}" | column -t

# The same shape through orche's standard library (federation.#Federation: graph, levels,
# waves, startup, deployment order), with `orche export` and `orche graph`. Only orche can
# read it, so there is no cue column.
[[ "${BENCH_STDLIB:-1}" == 0 ]] && exit 0
header="size resources input_bytes export_s export_MiB graph_s graph_MiB"
((${#PIN[@]})) && header="$header pinned_export_s pinned_graph_s"
rows=("$header")
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
    row="$size $((sites * per)) $bytes $e_s $e_mib $g_s $g_mib"
    if ((${#PIN[@]})); then
        read -r pe_s _ < <(measure "$runs" "${PIN[@]}" "$ORCHE" export "$file" --out json)
        read -r pg_s _ < <(measure "$runs" "${PIN[@]}" "$ORCHE" graph "$file" --out json)
        row="$row $pe_s $pg_s"
    fi
    rows+=("$row")
done
echo
echo "through the stdlib (bench/gen.py --stdlib):"
printf '%s\n' "${rows[@]}" | column -t

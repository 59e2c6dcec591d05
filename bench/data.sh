#!/usr/bin/env bash
# Benchmark split inputs: the stdlib federation of bench/gen.py --stdlib as one .orc file,
# against the same federation with its sites as YAML data files (gen.py --stdlib-yaml: one
# small .orc head and one YAML file per site, unified at the root) and as a module of eleven
# packages (gen.py --stdlib-module: schemas and ten region packages, imported by the module
# root's package). Every export is checked to equal the single file's as a value before
# timing. Not part of `cargo test`.
#
# Usage: bench/data.sh                     size 1000x50 (sites x resources per site)
#        BENCH_SIZES="100x50 1000x50" bench/data.sh
#        ORCHE=path/to/orche bench/data.sh (skip the build, time this binary)
#
# Times are the median wall-clock seconds of 5 runs (3 for sites >= 1000); peak RSS is the
# largest "Maximum resident set size" GNU time reported.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
need_gnu_time
# The module is exported from its own directory: a relative binary path must survive the cd.
if [[ $ORCHE == */* && $ORCHE != /* ]]; then ORCHE="$PWD/$ORCHE"; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/orche-bench-data.XXXXXX")
trap 'rm -rf "$work"' EXIT

# measure RUNS COMMAND… : "median_seconds peak_rss_mib", or "error error".
measure() {
    local runs=$1
    shift
    local times=() peak=0 i start end rss
    for ((i = 0; i < runs; i++)); do
        start=$(date +%s%N)
        if ! /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt"; then
            echo "bench: $1 failed:" >&2
            head -5 "$work/err.txt" >&2 || true
            echo "error error"
            return
        fi
        end=$(date +%s%N)
        times+=("$(((end - start) / 1000))")
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
        if ((rss > peak)); then peak=$rss; fi
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    awk -v us="$median" -v kib="$peak" 'BEGIN {printf "%.3f %.1f\n", us / 1e6, kib / 1024}'
}

# A/B as a ratio, or - when B is zero or A failed.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 > 0 && a != "error") printf "%.2fx", a / b; else print "-"}'; }

rows=("size resources yaml_files single_s single_MiB yaml_s yaml_MiB yaml/single module_s module_MiB module/single")
for size in ${BENCH_SIZES:-1000x50}; do
    sites=${size%x*}
    per=${size#*x}
    single="$work/single-$size.orc"
    split="$work/yaml-$size"
    python3 bench/gen.py --stdlib "$sites" "$per" >"$single"
    module="$work/module-$size"
    python3 bench/gen.py --stdlib-yaml "$split" "$sites" "$per"
    python3 bench/gen.py --stdlib-module "$module" "$sites" "$per"
    "$ORCHE" export "$single" --out json >"$work/a.json"
    "$ORCHE" export "$split/federation.orc" "$split"/sites/*.yaml --out json >"$work/b.json"
    (cd "$module" && "$ORCHE" export . --out json) >"$work/c.json"
    for other in b c; do
        python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
            "$work/a.json" "$work/$other.json" || {
            echo "bench: a split ($other) does not export the single file's value ($size)" >&2
            exit 1
        }
    done
    runs=5
    ((sites >= 1000)) && runs=3
    echo "bench: data $size ($runs runs)…" >&2
    read -r s_s s_mib < <(measure "$runs" "$ORCHE" export "$single" --out json)
    read -r y_s y_mib < <(measure "$runs" "$ORCHE" export "$split/federation.orc" "$split"/sites/*.yaml --out json)
    read -r m_s m_mib < <(cd "$module" && measure "$runs" "$ORCHE" export . --out json)
    rows+=("$size $((sites * per)) $sites $s_s $s_mib $y_s $y_mib $(ratio "$y_s" "$s_s") $m_s $m_mib $(ratio "$m_s" "$s_s")")
done
echo "stdlib federation, one .orc file against sites as YAML data files and as a module of 11 packages (bench/data.sh):"
printf '%s\n' "${rows[@]}" | column -t

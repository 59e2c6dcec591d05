#!/usr/bin/env bash
# Benchmark the CI commands on generated federations (bench/gen.py --stdlib): `orche vet` in
# every format on a 1000 x 50 federation with an error in every site (1000 errors), against one
# `orche export` of the same federation without the errors; `orche fmt --check` over the repo's
# own inputs; `orche diff` of two 1000 x 50 federations against one `orche export`. Not part of
# `cargo test`.
#
# Usage: bench/ci.sh                       1000x50
#        BENCH_CI_SIZE=100x50 bench/ci.sh
#        ORCHE=path/to/orche bench/ci.sh   (skip the build, time this binary)
#
# Each figure is the median of 5 runs (wall time, and the peak RSS GNU time reports).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
need_gnu_time
work=$(mktemp -d "${TMPDIR:-/tmp}/orche-bench-ci.XXXXXX")
trap 'rm -rf "$work"' EXIT

size=${BENCH_CI_SIZE:-1000x50}
sites=${size%x*}
per=${size#*x}
python3 bench/gen.py --stdlib "$sites" "$per" > "$work/clean.orc"
# One error in every site: a tier the federation does not allow.
sed -e 's/tier: "\([a-z]*\)"/tier: "\1-x"/' "$work/clean.orc" > "$work/errors.orc"
# The second side of the diff: the health URL of one http resource in ten changed.
python3 - "$work/clean.orc" "$work/changed.orc" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
n = 0
def bump(m):
    global n
    n += 1
    return m.group(0).replace("/health", "/healthz") if n % 10 == 0 else m.group(0)
text = re.sub(r'url: "[^"]*"', bump, text)
open(sys.argv[2], "w").write(text)
PY

# median_of CMD…: runs CMD 5 times (exit statuses 0-2 accepted), prints "seconds max_rss_kib" medians.
median_of() {
    local times=() rss=()
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2>&1 || [[ $? -le 2 ]]
        read -r t m < <(tail -n 1 "$work/time")
        times+=("$t"); rss+=("$m")
    done
    local t m
    t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
    m=$(printf '%s\n' "${rss[@]}" | sort -n | sed -n 3p)
    echo "$t $m"
}

row() { # name seconds rss base
    awk -v n="$1" -v t="$2" -v m="$3" -v b="$4" \
        'BEGIN { printf "%-34s %7.2f s %7.0f MiB %6.2fx export\n", n, t, m / 1024, (b > 0 ? t / b : 0) }'
}

echo "orche CI commands, ${sites} sites x ${per} resources ($(nproc) cores)"
read -r et em < <(median_of "$ORCHE" export "$work/clean.orc")
row "export (no errors)" "$et" "$em" "$et"
errors=$("$ORCHE" vet --format json "$work/errors.orc" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["errors"])' || true)
echo "vet: $errors errors"
for f in text json github gitlab sarif; do
    read -r t m < <(median_of "$ORCHE" vet --format "$f" "$work/errors.orc")
    row "vet --format $f" "$t" "$m" "$et"
done
if "$ORCHE" fmt --help > /dev/null 2>&1; then
    read -r t m < <(median_of "$ORCHE" fmt --check testdata examples stdlib)
    row "fmt --check testdata examples stdlib" "$t" "$m" "$et"
fi
if "$ORCHE" diff --help > /dev/null 2>&1; then
    read -r t m < <(median_of "$ORCHE" diff "$work/clean.orc" "$work/changed.orc")
    row "diff (1 in 10 resources changed)" "$t" "$m" "$et"
fi

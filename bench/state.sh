#!/usr/bin/env bash
# Benchmark the live half of the loop on generated federations (bench/gen.py --stdlib):
# `orche export --probes`, `orche drift` and `orche plan` against `orche export` on the same
# input, and the emitted probe script probing local HTTP endpoints in parallel. Not part of
# `cargo test`.
#
# Usage: bench/state.sh                         1000x50 and 200 endpoints
#        BENCH_STATE_SIZE=100x50 bench/state.sh
#        BENCH_HTTP=0 bench/state.sh            skip the HTTP endpoints
#        ORCHE=path/to/orche bench/state.sh     (skip the build, time this binary)
#
# The commands run in rounds (export, probes, drift, plan, export, …), so that each ratio
# compares runs made at the same moment; each figure is the median of the rounds (3 at 1000
# sites, else 5), with the peak RSS GNU time reported. Live state for drift and plan comes
# from bench/live.py: a tenth of the resources missing, a tenth changed, a tenth unhealthy,
# and 100 extra containers.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
need_gnu_time
work=$(mktemp -d "${TMPDIR:-/tmp}/orche-bench-state.XXXXXX")
server_pid=
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

size=${BENCH_STATE_SIZE:-1000x50}
sites=${size%x*}
per=${size#*x}
fed="$work/fed.orc"
python3 bench/gen.py --stdlib "$sites" "$per" >"$fed"
"$ORCHE" export --probes --out json "$fed" >"$work/probes.json"
python3 bench/live.py "$work/probes.json" >"$work/live.json"
rounds=5
((sites >= 1000)) && rounds=3

names=(export probes drift plan_json plan_sh)
cmd() {
    case $1 in
    export) echo "$ORCHE export $fed --out json" ;;
    probes) echo "$ORCHE export --probes $fed" ;;
    drift) echo "$ORCHE drift $fed --live $work/live.json --out json" ;;
    plan_json) echo "$ORCHE plan $fed --live $work/live.json --out json" ;;
    plan_sh) echo "$ORCHE plan $fed --live $work/live.json --out sh" ;;
    esac
}
declare -A times peak
for n in "${names[@]}"; do times[$n]=""; peak[$n]=0; done
for ((r = 0; r < rounds; r++)); do
    echo "bench: $size round $((r + 1))/$rounds…" >&2
    for n in "${names[@]}"; do
        read -ra argv <<<"$(cmd "$n")"
        start=$(date +%s%N)
        status=0
        /usr/bin/time -v -o "$work/time.txt" "${argv[@]}" >"$work/out" 2>"$work/err" || status=$?
        end=$(date +%s%N)
        # drift exits 2 when it finds drift, which this input has.
        if ((status != 0)) && ! [[ $n == drift && $status == 2 ]]; then
            echo "bench: ${argv[*]} failed ($status):" >&2
            head -5 "$work/err" >&2
            exit 1
        fi
        times[$n]+="$(((end - start) / 1000)) "
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
        ((rss > peak[$n])) && peak[$n]=$rss
    done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR] = $1} END {printf "%.3f", a[int((NR + 1) / 2)] / 1e6}'; }
base=$(median "${times[export]}")
echo "stdlib $size ($((sites * per)) resources), medians of $rounds rounds:"
{
    echo "command seconds MiB x_export"
    for n in "${names[@]}"; do
        m=$(median "${times[$n]}")
        awk -v n="$n" -v m="$m" -v kib="${peak[$n]}" -v b="$base" \
            'BEGIN {printf "%s %.3f %.1f %.2f\n", n, m, kib / 1024, m / b}'
    done
} | column -t

[[ "${BENCH_HTTP:-1}" == 0 ]] && exit 0
# N HTTP endpoints on one local server, probed by the emitted script (ORCHE_JOBS default).
n=${BENCH_HTTP_ENDPOINTS:-200}
mkdir -p "$work/www"
for ((i = 0; i < n; i++)); do echo "ok $i" >"$work/www/p$i.txt"; done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if command -v busybox >/dev/null 2>&1; then
    busybox httpd -f -p "127.0.0.1:$port" -h "$work/www" &
else
    python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
fi
server_pid=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/p0.txt" && break; sleep 0.1; done
{
    echo 'import "orche/federation"'
    echo 'federation.#Federation & {name: "bench-http", sites: local: {tier: "core", network: {prefix: "127.0.0.0/8", dns: []}, resources: {'
    for ((i = 0; i < n; i++)); do
        echo "  e$i: {kind: \"http\", url: \"http://127.0.0.1:$port/p$i.txt\", body: \"ok $i\", health: {timeout: 5, retries: 0}}"
    done
    echo '}}}'
} >"$work/http.orc"
"$ORCHE" export --probes "$work/http.orc" >"$work/probe.sh"
ptimes=""
for ((r = 0; r < 3; r++)); do
    start=$(date +%s%N)
    sh "$work/probe.sh" >"$work/http-live.json"
    end=$(date +%s%N)
    ptimes+="$(((end - start) / 1000)) "
done
healthy=$(grep -o '"status":"healthy"' "$work/http-live.json" | wc -l)
echo
echo "probe script, $n local HTTP endpoints (ORCHE_JOBS=${ORCHE_JOBS:-8}): $(median "$ptimes") s (median of 3), $healthy healthy"

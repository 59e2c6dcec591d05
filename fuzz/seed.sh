#!/usr/bin/env bash
# The fuzz targets' seed corpus (docs/fuzzing.md), made anew from what the repository and the
# conformance suite hold; nothing of it is committed.
#
#   fuzz/seed.sh OUT
#
# OUT/orc/    every `.orc`/`.cue` section of the golden cases (testdata/**/*.txtar) and of CUE's
#             conformance cases ($ORCHE_SHARED/conformance/**/*.txtar, read as data), and the
#             files of examples/ and stdlib/: one file each (cue.mod/ files left out); the seeds
#             of `parse`, `eval`, `fmt`, `export` and `lsp`.
# OUT/data/   the seeds of `data`: every `.json`, `.jsonl`, `.ndjson`, `.yaml`, `.yml` and `.toml`
#             section of the golden cases and of the conformance cases, and those files of
#             examples/ and testdata/.
# OUT/state/  the seeds of `state`: each federation of testdata/state/ followed by a line
#             `-- live.json --` and each of its live-state documents, each such federation
#             alone, and every seed of OUT/orc/ that imports "orche/federation".
# Files are named by a digest of their contents, so duplicates collapse.
# ORCHE_SHARED defaults to ../shared beside the repository; without its conformance folder the
# corpus is smaller (a warning says so).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: fuzz/seed.sh OUT}
shared=${ORCHE_SHARED:-$repo/../shared}
conformance=$shared/conformance

rm -rf "$out/orc" "$out/state" "$out/data"
mkdir -p "$out/orc" "$out/state" "$out/data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Writes each section of the txtar file $1 to $2/NNN.NAME (slashes in NAME made `_`); sections
# under cue.mod/ are left out.
sections() {
    awk -v dir="$2" '
        /^-- .+ --$/ {
            if (f) close(f)
            name = substr($0, 4, length($0) - 6)
            f = ""
            if (name ~ /^cue\.mod\//) next
            gsub("/", "_", name)
            n++
            f = sprintf("%s/%03d.%s", dir, n, name)
            printf "" > f
            next
        }
        f { print > f }
        END { if (f) close(f) }
    ' "$1"
}

# Copies file $1 into folder $2 under a name made of its digest.
store() {
    local sum
    sum=$(sha1sum <"$1")
    cp "$1" "$2/${sum:0:16}"
}

txtars=()
while IFS= read -r -d '' f; do txtars+=("$f"); done \
    < <(find "$repo/testdata" -name '*.txtar' -print0 | sort -z)
if [[ -d $conformance ]]; then
    while IFS= read -r -d '' f; do txtars+=("$f"); done \
        < <(find "$conformance" -name '*.txtar' -print0 | sort -z)
else
    echo "seed.sh: warning: $conformance is missing; seeding from the repository alone" >&2
fi

n=0
for t in "${txtars[@]}"; do
    n=$((n + 1))
    dir=$tmp/$n
    mkdir "$dir"
    sections "$t" "$dir"
    for s in "$dir"/*; do
        [[ -e $s ]] || continue
        case $s in
            *.orc | *.cue) store "$s" "$out/orc" ;;
            *.json | *.jsonl | *.ndjson | *.yaml | *.yml | *.toml) store "$s" "$out/data" ;;
        esac
    done
    # A federation with its live-state documents.
    if [[ $t == "$repo/testdata/state/"* ]]; then
        for fed in "$dir"/*.orc; do
            [[ -e $fed ]] || continue
            store "$fed" "$out/state"
            for l in "$dir"/*.json; do
                [[ -e $l ]] || continue
                [[ $(basename "$l") == *live* ]] || continue
                { cat "$fed"; printf '\n-- live.json --\n'; cat "$l"; } >"$tmp/with-live"
                store "$tmp/with-live" "$out/state"
            done
        done
    fi
done
while IFS= read -r -d '' f; do
    store "$f" "$out/orc"
done < <(find "$repo/examples" "$repo/stdlib" \( -name '*.orc' -o -name '*.cue' \) -print0 | sort -z)
while IFS= read -r -d '' f; do
    store "$f" "$out/data"
done < <(find "$repo/examples" "$repo/testdata" \( -name '*.json' -o -name '*.jsonl' -o -name '*.ndjson' \
    -o -name '*.yaml' -o -name '*.yml' -o -name '*.toml' \) -print0 | sort -z)
grep -l 'orche/federation' "$out/orc"/* 2>/dev/null | while IFS= read -r f; do
    cp "$f" "$out/state/"
done

echo "seed.sh: $(find "$out/orc" -type f | wc -l) seeds for parse, eval, fmt, export and lsp," \
    "$(find "$out/state" -type f | wc -l) for state, $(find "$out/data" -type f | wc -l) for data (in $out)"

#!/usr/bin/env bash
# Run the CUE conformance cases and print the figures and the status of every case.
# Extra arguments go to cargo test, e.g. `bench/conformance.sh` or, for a subset,
# `ORCHE_CONFORMANCE_FILTER=eval/ bench/conformance.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
cargo test --release --test conformance "$@" -- --nocapture || status=$?
exit "$status"

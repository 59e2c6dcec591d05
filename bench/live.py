#!/usr/bin/env python3
"""Writes a live-state document for a federation, from its probe list
(`orche export --probes --out json`), for benchmarks of `orche drift` and `orche plan`.

Usage: bench/live.py PROBES.json > live.json

Deterministic: resource i is missing when i % 10 == 0, a docker container with another image
when i % 10 == 1 (a replacement), unhealthy when i % 10 == 2, else healthy with nothing
observed that differs; and 100 containers that nothing declares (extra ones).
"""
import json
import sys


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    with open(argv[1]) as f:
        probes = json.load(f)
    resources = {}
    for i, p in enumerate(probes["probes"]):
        entry = {"kind": p["kind"], "exists": True, "status": "healthy", "observed": {},
                 "attempts": 1, "elapsed_ms": 3}
        if i % 10 == 0:
            entry.update(exists=False, status="missing")
        elif i % 10 == 1 and p["kind"] == "docker":
            entry["observed"] = {"image": "registry.example.org/other:0", "running": True}
        elif i % 10 == 2:
            entry.update(status="unhealthy", error="bench: not healthy")
        resources[p["resource"]] = entry
    for j in range(100):
        resources[f"gone-{j:03d}/svc"] = {
            "kind": "docker", "exists": True, "status": "healthy",
            "observed": {"image": "old:1", "running": True},
            "identity": {"container": f"gone-{j:03d}-svc", "depends_on": ""},
            "attempts": 1, "elapsed_ms": 3}
    doc = {"format_version": 1, "federation": probes["federation"],
           "declared_digest": probes["declared_digest"], "probed_at": "2026-01-01T00:00:00Z",
           "host": "bench", "sites": probes["sites"], "resources": resources}
    json.dump(doc, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)

// Package units: durations and sizes as configurations write them, with their values in
// seconds and bytes. It is the smallest package of orche's standard library; the
// orchestration packages (orche/federation, orche/graph) build on the same loading path.
package units

// A duration written as a number and a unit: "90s", "5m", "2h", "1d".
#Duration: =~"^[0-9]+(s|m|h|d)$"

// Seconds in one unit of each duration suffix.
seconds: {s: 1, m: 60, h: 3600, d: 86400}

// A size written as a number and a binary unit: "512Mi", "2Gi".
#Size: =~"^[0-9]+(Ki|Mi|Gi|Ti)?$"

// Bytes in one unit of each size suffix.
bytes: {Ki: 1024, Mi: 1024 * 1024, Gi: 1024 * 1024 * 1024, Ti: 1024 * 1024 * 1024 * 1024}

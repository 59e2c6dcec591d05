# shellcheck shell=bash
# Shared by the bench scripts (sourced, not run): go to the repository root, check for GNU
# time, and build orche unless ORCHE names a binary to time.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

# need_gnu_time: exits unless /usr/bin/time is GNU time (for peak RSS).
need_gnu_time() {
    if [[ ! -x /usr/bin/time ]] || ! /usr/bin/time -v true >/dev/null 2>&1; then
        echo "bench: GNU time is needed at /usr/bin/time (apt-get install time)" >&2
        exit 1
    fi
}

if [[ -z "${ORCHE:-}" ]]; then
    echo "building orche (release)…" >&2
    cargo build --release --quiet --bin orche
    ORCHE="$root/target/release/orche"
fi

#!/usr/bin/env bash
# Follows the Emacs section of docs/editors.md on a fresh setup and checks that Emacs received
# orche's diagnostic: the section's Emacs Lisp block becomes the init.el of an empty HOME, Emacs
# (batch mode) opens a file with a conflict, and the check waits for `orche::eval::conflict` to
# reach Flymake, then deletes the conflicting line and waits for the diagnostic to clear.
#
# Usage: editors/check/emacs-eglot.sh [ORCHE]   (default: target/release/orche)
# Needs emacs and eglot (Emacs 29+, or on Emacs 28: apt-get install elpa-eglot).
# Exit status: 0 when the diagnostic arrived and cleared, 1 otherwise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
orche="${1:-$repo/target/release/orche}"
[[ -x "$orche" ]] || { echo "emacs-eglot: $orche is not an executable (cargo build --release)" >&2; exit 1; }
command -v emacs >/dev/null 2>&1 || { echo "emacs-eglot: emacs is not installed" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home/.emacs.d" "$work/bin" "$work/project"
ln -s "$(cd "$(dirname "$orche")" && pwd)/$(basename "$orche")" "$work/bin/orche"

# The first ```elisp block after the "## Emacs" heading, with the clone's path put in.
awk '/^## Emacs/ {s = 1} s && /^```elisp$/ {b = 1; next} b && /^```$/ {exit} b {print}' \
    "$repo/docs/editors.md" | sed "s|~/src/orche|$repo|g" > "$work/home/.emacs.d/init.el"
[[ -s "$work/home/.emacs.d/init.el" ]] || { echo "emacs-eglot: no elisp block in docs/editors.md" >&2; exit 1; }

cat > "$work/project/conflict.orc" <<'ORC'
package check

port: 80
port: 81
ORC

# As a user would start it: the init file loaded, `orche` found on PATH.
HOME="$work/home" PATH="$work/bin:$PATH" ORCHE_CHECK_FILE="$work/project/conflict.orc" \
    emacs --batch -l "$work/home/.emacs.d/init.el" -l "$here/emacs-eglot.el"

#!/usr/bin/env bash
# Follows the Neovim section of docs/editors.md on a fresh setup and checks that Neovim received
# orche's diagnostic: the section's Lua block for the installed Neovim (0.7, 0.8-0.10, or 0.11+)
# becomes the init.lua of an empty HOME, `nvim --headless` opens a file with a conflict, and
# editors/check/neovim.lua waits for `orche::eval::conflict` in vim.diagnostic.get(), deletes
# the conflicting line and waits for the diagnostic to clear.
#
# Usage: editors/check/neovim.sh [ORCHE]   (default: target/release/orche)
# Exit status: 0 when the diagnostic arrived and cleared, 1 otherwise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
orche="${1:-$repo/target/release/orche}"
[[ -x "$orche" ]] || { echo "neovim: $orche is not an executable (cargo build --release)" >&2; exit 1; }
command -v nvim >/dev/null 2>&1 || { echo "neovim: nvim is not installed" >&2; exit 1; }

version="$(nvim --version | sed -n '1s/^NVIM v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')"
read -r major minor <<<"$version"
if ((major == 0 && minor < 8)); then
    marker='vim.lsp.start_client'   # the 0.7 block
elif ((major == 0 && minor < 11)); then
    marker='vim.lsp.start({'        # the 0.8-0.10 block
else
    marker='vim.lsp.enable'         # the 0.11+ block
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home/.config/nvim" "$work/bin" "$work/project"
ln -s "$(cd "$(dirname "$orche")" && pwd)/$(basename "$orche")" "$work/bin/orche"

# The ```lua block of the "## Neovim" section that contains $marker.
awk -v marker="$marker" '
    /^## / {s = ($0 ~ /^## Neovim/)}
    s && /^```lua$/ {b = 1; block = ""; next}
    b && /^```$/ {b = 0; if (index(block, marker)) {printf "%s", block; exit} next}
    b {block = block $0 "\n"}
' "$repo/docs/editors.md" > "$work/home/.config/nvim/init.lua"
[[ -s "$work/home/.config/nvim/init.lua" ]] \
    || { echo "neovim: no lua block with $marker in docs/editors.md" >&2; exit 1; }

cat > "$work/project/conflict.orc" <<'ORC'
package check

port: 80
port: 81
ORC

# As a user would start it: init.lua from ~/.config/nvim, `orche` found on PATH.
cd "$work/project"
HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" \
    XDG_STATE_HOME="$work/home/.local/state" XDG_CACHE_HOME="$work/home/.cache" \
    PATH="$work/bin:$PATH" \
    nvim --headless -c "luafile $here/neovim.lua" conflict.orc

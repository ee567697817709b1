#!/usr/bin/env bash
# Adds SD Studio to the Linux application launcher for the current user (no root needed).
#
#   install-desktop-entry.sh [PATH_TO_SDSTUDIO_EXECUTABLE]
#   install-desktop-entry.sh --uninstall
#
# Without an argument it looks for the executable of the one-folder build this script
# ships in (<folder>/_internal/resources/linux/ -> <folder>/sdstudio), then for
# `sdstudio` on PATH. Installs the .desktop file into ~/.local/share/applications and
# the icon in every size into the hicolor theme under ~/.local/share/icons.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
icons="$here/../icons"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
apps_dir="$data_home/applications"
icon_theme="$data_home/icons/hicolor"
sizes="16 24 32 48 64 128 256 512"

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$apps_dir" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$icon_theme" || true
    fi
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$apps_dir/sdstudio.desktop"
    for size in $sizes; do
        rm -f "$icon_theme/${size}x${size}/apps/sdstudio.png"
    done
    rm -f "$icon_theme/scalable/apps/sdstudio.svg"
    refresh_caches
    echo "SD Studio removed from the launcher."
    exit 0
fi

exe="${1:-}"
if [ -z "$exe" ]; then
    if [ -x "$here/../../../sdstudio" ]; then
        exe="$here/../../../sdstudio"
    elif command -v sdstudio >/dev/null 2>&1; then
        exe="$(command -v sdstudio)"
    else
        echo "Cannot find the sdstudio executable; pass its path as the first argument." >&2
        exit 1
    fi
fi
if [ ! -x "$exe" ]; then
    echo "Not an executable file: $exe" >&2
    exit 1
fi
exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"

mkdir -p "$apps_dir"
for size in $sizes; do
    mkdir -p "$icon_theme/${size}x${size}/apps"
    cp "$icons/sdstudio-$size.png" "$icon_theme/${size}x${size}/apps/sdstudio.png"
done
mkdir -p "$icon_theme/scalable/apps"
cp "$icons/sdstudio.svg" "$icon_theme/scalable/apps/sdstudio.svg"

# The launcher needs an absolute Exec path; quote it for paths with spaces.
sed -e "s|^Exec=.*|Exec=\"$exe\" %f|" -e "s|^TryExec=.*|TryExec=$exe|" \
    "$here/sdstudio.desktop" >"$apps_dir/sdstudio.desktop"
chmod 644 "$apps_dir/sdstudio.desktop"
refresh_caches
echo "SD Studio added to the launcher: $apps_dir/sdstudio.desktop -> $exe"

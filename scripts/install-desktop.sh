#!/usr/bin/env bash
# Installs Secure Password Manager for the current user: the binary (with
# cargo install), the icon in every size, and a desktop entry, so the app
# starts from the desktop's menu or a double-click.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo install --path . --locked
bin="$(command -v password-manager || echo "$HOME/.cargo/bin/password-manager")"
data="${XDG_DATA_HOME:-$HOME/.local/share}"

for icon in assets/icons/icon-*.png; do
  size="${icon##*-}"; size="${size%.png}"
  install -Dm644 "$icon" "$data/icons/hicolor/${size}x${size}/apps/secure-password-manager.png"
done
# The desktop entry names the binary by its full path: menus do not always
# see ~/.cargo/bin on PATH.
sed "s|^Exec=.*|Exec=$bin|" assets/secure-password-manager.desktop \
  | install -Dm644 /dev/stdin "$data/applications/secure-password-manager.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "Installed. Start Secure Password Manager from your desktop's menu."

#!/usr/bin/env bash
# Photographs the main screens at 1280x800 under a virtual X display, into
# docs/screenshots/. Needs: xvfb, xdotool, imagemagick, curl (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."

out=docs/screenshots
mkdir -p "$out"
cargo build --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/password-manager"
work="$(mktemp -d)"
display=":$((50 + RANDOM % 200))"
master='correct horse battery staple 42'
kdf=(--kdf-memory 19456 --kdf-iterations 2 --kdf-parallelism 1)

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
app=""
cleanup() { [ -n "$app" ] && kill "$app" 2>/dev/null; kill "$xvfb" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
sleep 1
export DISPLAY="$display"

# Opens the app on a data directory and sizes its window; sets $app, $win.
open_app() {
  "$bin" --data-dir "$1" >/dev/null 2>&1 &
  app=$!
  for _ in $(seq 50); do
    win=$(xdotool search --name 'Secure Password Manager' 2>/dev/null | head -1 || true)
    [ -n "$win" ] && break
    sleep 0.2
  done
  xdotool windowmove "$win" 0 0 windowsize "$win" 1280 800 windowfocus --sync "$win"
  sleep 1.5
}
shot() { import -window root "$out/$1.png"; }

# First run.
open_app "$work/empty"
xdotool mousemove 640 154 click 1
sleep 1.5
shot first-run
kill "$app"; app=""

# A vault with a few entries.
vault="$work/vault"
echo "$master" | "$bin" --data-dir "$vault" init "${kdf[@]}" >/dev/null
while IFS='|' read -r title user url category; do
  printf '%s\n' "$master" | "$bin" --data-dir "$vault" add --title "$title" --username "$user" \
    --url "$url" --category "$category" --generate >/dev/null
done <<'LIST'
GitHub|alice@example.com|https://github.com|Work
Online Banking|alice.smith|https://bank.example.com|Finance
Mail|alice@example.org|https://mail.example.org|Personal
Router admin|admin|http://192.168.1.1|General
Forum|alice_s|https://forum.example.net|Social
Cloud Console|alice@corp.example|https://console.cloud.example|Work
LIST
# No breach checks from a screenshot run: it must not reach the network.
printf '%s\n' "$master" | "$bin" --data-dir "$vault" settings set breach.enabled false >/dev/null
printf '%s\n%s\n' "$master" "password1" | "$bin" --data-dir "$vault" add --title "Old forum" \
  --username alice --url "http://forum.example.org" >/dev/null
printf '%s\n' "$master" | "$bin" --data-dir "$vault" edit GitHub --favorite \
  --notes 'Recovery codes are in the safe.' --tag dev --tag code --expires 2027-03-01 >/dev/null
printf '%s\nrotated-Pass-7\n' "$master" | "$bin" --data-dir "$vault" edit GitHub --password \
  --reason breach >/dev/null
# A second backup beside the automatic one the first `add` took.
printf '%s\n' "$master" | "$bin" --data-dir "$vault" backup --include-logs >/dev/null

open_app "$vault"
shot unlock
xdotool type --window "$win" --delay 15 "$master"
xdotool key --window "$win" Return
sleep 2
xdotool mousemove 260 229 click 1
sleep 1
shot passwords
xdotool key --window "$win" ctrl+e
sleep 1
shot editor
xdotool key --window "$win" Escape
sleep 0.5
xdotool mousemove 392 45 click 1
sleep 1
shot settings
xdotool mousemove 462 45 click 1
sleep 1.5
shot logs

# Backup: the section, then the restore dialog for the newest archive once
# it has been checked with the backup's master password.
xdotool mousemove 217 45 click 1
sleep 1.5
shot backup
xdotool mousemove 780 166 click 1
sleep 0.5
xdotool mousemove 774 236 click 1
sleep 1
xdotool type --window "$win" --delay 15 "$master"
xdotool key --window "$win" Return
sleep 3
shot restore
xdotool key --window "$win" Escape
sleep 0.5

# File > Import… with a browser's CSV, at the preview.
cat > "$work/Chrome Passwords.csv" <<'CSV'
name,url,username,password,note
Code Review,https://review.example.com/,alice@example.com,Xk3!pq9-Lm2z,
Travel Agency,https://travel.example.com/login,alice.smith,ruby-Falcon-44,Booking ref in notes
,https://photos.example.net/,alice_s,tr0ub4dor&3,
Printer,http://192.168.1.20,admin,,
CSV
xdotool mousemove 52 46 click 1
sleep 0.5
xdotool mousemove 20 12 click 1
sleep 0.7
xdotool mousemove 46 80 click 1
sleep 0.7
xdotool type --window "$win" --delay 10 "$work/Chrome Passwords.csv"
sleep 0.8
xdotool key --window "$win" Return
sleep 1.5
shot import

# Security: the audit's score and findings.
xdotool key --window "$win" Escape
sleep 0.5
xdotool key --window "$win" ctrl+shift+a
sleep 3
shot security
kill "$app"; app=""

# The Browser Bridge: an approval popup for a paired test client's query,
# then Settings > Browser Bridge with the token and the remembered site.
bridge="$work/bridge"
port=43199
echo "$master" | "$bin" --data-dir "$bridge" init "${kdf[@]}" >/dev/null
while IFS='|' read -r title user url; do
  printf '%s\n' "$master" | "$bin" --data-dir "$bridge" add --title "$title" --username "$user" \
    --url "$url" --generate >/dev/null
done <<'LIST'
GitHub|alice@example.com|https://github.com
GitHub (work)|alice@corp.example|https://github.com
Mail|alice@example.org|https://mail.example.org
LIST
for setting in "breach.enabled false" "backup.auto false" "browser_bridge.enabled true" \
  "browser_bridge.port $port"; do
  # shellcheck disable=SC2086
  printf '%s\n' "$master" | "$bin" --data-dir "$bridge" settings set $setting >/dev/null
done
open_app "$bridge"
xdotool type --window "$win" --delay 15 "$master"
xdotool key --window "$win" Return
sleep 2
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
code=$(printf '%s\n' "$master" | "$bin" --data-dir "$bridge" bridge pair --json | field code)
token=$(curl -s -X POST -d "{\"code\":\"$code\",\"browser\":\"Firefox\",\"fingerprint\":\"ext-4f2a9c\"}" \
  "http://127.0.0.1:$port/v1/pair" | field token)
curl -s -X POST -H "Authorization: Bearer $token" -H 'X-Bridge-Fingerprint: ext-4f2a9c' \
  -d '{"origin":"https://github.com"}' "http://127.0.0.1:$port/v1/credentials/query" >/dev/null &
sleep 2
shot bridge-approval
xdotool mousemove 577 469 click 1
sleep 1
xdotool mousemove 392 46 click 1
sleep 1
xdotool mousemove 331 92 click 1
sleep 1.5
shot bridge-settings
# Settings > Security: master password, encryption key, two-factor unlock.
xdotool mousemove 228 92 click 1
sleep 1.5
shot security-settings
echo "Screenshots written to $out/"

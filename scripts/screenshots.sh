#!/usr/bin/env bash
# Screenshots of every panel under Xvfb, at the sizes given (default 1200x800 1600x1000),
# into docs/<panel>-<size>.png. Needs Xvfb, xdotool, ImageMagick (import) and pngquant.
# Runs the debug binary with a throwaway HOME, so real config is never touched.
# The panels are reached through the command palette (Ctrl+K), as a keyboard user would.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/debug/snap-console}
SIZES=${*:-1200x800 1600x1000}
shot() { # name size
  local file="docs/$1-$2.png"
  import -window root "$file"
  pngquant --force --skip-if-larger --output "$file" 64 "$file" || true
  echo "wrote $file"
}
palette() { # words
  xdotool key --clearmodifiers ctrl+k; sleep 0.5
  xdotool type --delay 30 "$1"; sleep 0.3
  xdotool key Return; sleep 1
}
for size in $SIZES; do
  home=$(mktemp -d)
  display=:$((90 + RANDOM % 9))
  Xvfb "$display" -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 &
  xvfb=$!
  sleep 1
  DISPLAY=$display HOME=$home XDG_CONFIG_HOME=$home/.config XDG_DATA_HOME=$home/.local/share \
    "$BIN" >/dev/null 2>&1 &
  app=$!
  export DISPLAY=$display
  for _ in $(seq 1 60); do
    win=$(xdotool search --name "SNAP Console" 2>/dev/null | head -1 || true)
    [ -n "$win" ] && break
    sleep 0.5
  done
  w=${size%x*}; h=${size#*x}
  sleep 6 # first run: key generation, sandbox start
  win=$(xdotool search --onlyvisible --name "SNAP Console" | head -1)
  xdotool windowsize "$win" "$w" "$h" || true
  xdotool windowfocus "$win" || true
  # Without a window manager the keyboard follows the pointer: keep it over the window.
  xdotool mousemove 60 $((h - 80)); sleep 1
  xdotool key Escape; sleep 0.5 # the first key after focusing can be lost
  shot credentials "$size"
  palette "go to workbench"; sleep 2; shot workbench "$size"
  palette "service: 25 va payment"
  xdotool key ctrl+Return; sleep 3
  shot composer "$size"
  palette "go to inbox"; shot inbox "$size"
  palette "go to history"
  # open the newest exchange in the detail pane
  xdotool mousemove 400 ${ROW_Y:-72} click 1; sleep 1
  xdotool mousemove 60 $((h - 80))
  shot history "$size"
  palette "run suite: aspi"; sleep 8; shot scenarios "$size"
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
  rm -rf "$home"
done

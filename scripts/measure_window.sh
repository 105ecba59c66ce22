#!/usr/bin/env bash
# Launch a window program under Xvfb and report: time from launch to its first UI pass
# (the program prints it when SNAP_CONSOLE_TRACE_FIRST_FRAME is set), RSS after 5 s
# idle, and CPU used over the next 10 s of idling.
# Usage: scripts/measure_window.sh [--home DIR] BINARY [ARGS...]
#   --home DIR  run with SNAP_CONSOLE_HOME=DIR (e.g. a generated history in DIR/data), kept
#               afterwards; without it a fresh empty home is made and removed.
# Needs: xvfb xdotool (apt-get install xvfb xdotool libgl1-mesa-dri).
set -euo pipefail
given_home=
if [ "${1:-}" = "--home" ]; then
  given_home=${2:?--home needs a folder}
  shift 2
  [ -d "$given_home" ] || { echo "--home $given_home: not a folder" >&2; exit 2; }
fi
bin=$1; shift
display=:97
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill $app_pid $xvfb_pid 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=$display
if [ -n "$given_home" ]; then home=$given_home; else home=$(mktemp -d); fi
start=$(date +%s.%N)
log=$(mktemp)
SNAP_CONSOLE_TRACE_FIRST_FRAME=1 SNAP_CONSOLE_HOME=$home "$bin" "$@" >/dev/null 2>"$log" &
app_pid=$!
for _ in $(seq 100); do grep -q first-frame "$log" && break; sleep 0.05; done
mapped=$(awk '/first-frame/ {print $2; exit}' "$log")
sleep 5
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$app_pid/status)
ticks() { awk '{print $14 + $15}' /proc/$app_pid/stat; }
t0=$(ticks); sleep 10; t1=$(ticks)
hz=$(getconf CLK_TCK)
printf 'first frame after %.3f s; RSS after 5 s idle %d MB; CPU while idle %.1f %%\n' \
  "$(echo "$mapped - $start" | bc)" "$((rss_kb / 1024))" "$(echo "($t1 - $t0) * 100 / $hz / 10" | bc -l)"
rm -f "$log"
[ -n "$given_home" ] || rm -rf "$home"

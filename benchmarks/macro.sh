#!/usr/bin/env bash
# Macro benchmark: the real server under wrk on loopback, bounded in time, stopping what it starts.
#   1. uncached rendered PNGs (lung window) cycling through every slice of the demo CT series (120 × 512²),
#      caches off (--cache-mb 0 --frame-cache-mb 0): every request decodes, windows and encodes
#   2. the same requests answered by the in-process render cache (L1), after one warm-up pass
#   3. the same requests answered by Redis (L2) with the in-process cache off (a private redis-server)
#   4. re-windowing one cached decoded slice (L1 off, decoded-frame cache on): server time per stage
#   5. series metadata (DICOM JSON) of a 64-slice CT series
# Usage: benchmarks/macro.sh [seconds per run, default 15]   (make bench-macro)
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-15}
binary=.build/release/dicomserve
command -v wrk >/dev/null || { echo "macro.sh: wrk is missing (scripts/bootstrap installs it)"; exit 1; }
[ -x "$binary" ] || { echo "macro.sh: build first (make release)"; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$binary" demo-data "$work/demo" >/dev/null
mkdir -p "$work/ct64"
cp "$work"/demo/ct/slice_0{01..64}.dcm "$work/ct64/"
"$binary" import "$work/demo/ct" --data-dir "$work/data-ct" >/dev/null
"$binary" import "$work/ct64" --data-dir "$work/data-ct64" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() {  # start DATA_DIR [serve flags...] → sets $base
  local port data=$1
  shift
  port=$(free_port)
  # One client (wrk) makes every request: rate limiting off, or it would measure the limiter.
  "$binary" serve --host 127.0.0.1 --port "$port" --data-dir "$data" --presets presets --rate-limit off "$@" >"$work/server-$port.log" 2>&1 &
  pids+=($!)
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -sf "$base/api/v1/health" >/dev/null && return 0; sleep 0.1; done
  echo "macro.sh: the server did not start"; cat "$work/server-$port.log"; exit 1
}

# wrk script cycling through a list of paths (one per line in $work/paths).
cat >"$work/cycle.lua" <<'LUA'
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept"] = os.getenv("ACCEPT") or "*/*" })
end
LUA

report() {  # report TITLE WRK_OUTPUT
  local rps p50 p99 errors transfer
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$2")
  transfer=$(awk '/Transfer\/sec/ {print $2}' <<<"$2")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$2")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$2")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$2" | tr '\n' ' ' || true)
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "$transfer" "${errors:-none}"
}

echo "## Macro benchmark ($(date -u +%Y-%m-%d), $(nproc) cores, wrk on the same machine, ${duration}s per run)"
echo
echo "| run | requests/s | p50 | p99 | bytes/s | errors |"
echo "|---|---:|---:|---:|---:|---|"

start "$work/data-ct" --cache-mb 0 --frame-cache-mb 0
series=$(curl -sf "$base/api/v1/dicom/studies" | python3 -c 'import json,sys; print(json.load(sys.stdin)["studies"][0]["study_uid"])')
series=$(curl -sf "$base/api/v1/dicom/studies/$series/series" | python3 -c 'import json,sys; print(json.load(sys.stdin)["series"][0]["series_uid"])')
curl -sf "$base/api/v1/dicom/series/$series/images" |
  python3 -c 'import json,sys; [print("/api/v1/dicom/images/" + i["image_uid"] + "/rendered?preset=lung") for i in json.load(sys.stdin)["images"]]' \
  >"$work/paths"
size=$(curl -sf "$base$(head -1 "$work/paths")" | wc -c)
for connections in 1 4 8; do
  out=$(PATHS_FILE="$work/paths" ACCEPT="image/png" wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$work/cycle.lua" "$base")
  report "rendered 512² CT PNG, lung, uncached, $(wc -l <"$work/paths") slices, c=$connections ($size-byte first slice)" "$out"
done
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

start "$work/data-ct"
while read -r path; do curl -sf -o /dev/null -H "Accept: image/png" "$base$path"; done <"$work/paths"  # warm-up: fill L1
for connections in 1 8; do
  out=$(PATHS_FILE="$work/paths" ACCEPT="image/png" wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$work/cycle.lua" "$base")
  report "rendered 512² CT PNG, lung, L1 hits, c=$connections" "$out"
done
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null &
pids+=($!)
sleep 0.3
start "$work/data-ct" --cache-mb 0 --redis-url "redis://127.0.0.1:$redis_port/0"
while read -r path; do curl -sf -o /dev/null -H "Accept: image/png" "$base$path"; done <"$work/paths"  # warm-up: fill Redis
sleep 0.5
for connections in 1 8; do
  out=$(PATHS_FILE="$work/paths" ACCEPT="image/png" wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$work/cycle.lua" "$base")
  report "rendered 512² CT PNG, lung, Redis hits (L1 off), c=$connections" "$out"
done
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

# Re-window: one slice, many windows, L1 off so every request renders from the cached decoded frame.
start "$work/data-ct" --cache-mb 0
first=$(head -1 "$work/paths" | sed -E 's|/rendered.*||')
for format in png jpeg; do
  : >"$work/windows"
  for level in $(seq -200 20 400); do echo "$first/rendered?window=$((level + 1000))&level=$level&format=$format" >>"$work/windows"; done
  out=$(PATHS_FILE="$work/windows" wrk -t1 -c1 -d"${duration}s" --latency -s "$work/cycle.lua" "$base")
  report "re-window one decoded 512² slice, $format, c=1" "$out"
done
cat >"$work/stages.py" <<'PY'
import re, sys
sums, counts = {}, {}
for line in sys.stdin:
    match = re.match(r'dicomserve_render_stage_seconds_(sum|count)\{(.*)\} (\S+)', line)
    if match:
        labels = dict(re.findall(r'(\w+)="(\w+)"', match[2]))
        key = (labels.get("format"), labels.get("stage"))
        (sums if match[1] == "sum" else counts)[key] = float(match[3])
for format in ["png", "jpeg"]:
    stages = [(stage, 1000 * sums[(format, stage)] / counts[(format, stage)]) for stage in ["decode", "present", "encode"] if counts.get((format, stage))]
    total = sum(ms for _, ms in stages)
    print(f"\nRe-window server time, {format}: {total:.3f} ms mean (" + ", ".join(f"{stage} {ms:.3f}" for stage, ms in stages) + ")")
print()
PY
curl -sf "$base/metrics" | python3 "$work/stages.py"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

start "$work/data-ct64"
study=$(curl -sf "$base/api/v1/dicom/studies" | python3 -c 'import json,sys; print(json.load(sys.stdin)["studies"][0]["study_uid"])')
series=$(curl -sf "$base/api/v1/dicom/studies/$study/series" | python3 -c 'import json,sys; print(json.load(sys.stdin)["series"][0]["series_uid"])')
echo "/dicomweb/studies/$study/series/$series/metadata" >"$work/paths"
size=$(curl -sf "$base$(head -1 "$work/paths")" | wc -c)
for connections in 1 8; do
  out=$(PATHS_FILE="$work/paths" ACCEPT="application/dicom+json" wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$work/cycle.lua" "$base")
  report "series metadata, 64 slices ($size bytes), c=$connections" "$out"
done

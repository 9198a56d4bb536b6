#!/usr/bin/env bash
# The engine's per-container cost: N detached busybox containers, the
# resident memory (VmRSS) of each one's zoo-shim monitor, and how long
# `zoo run -d` and `zoo rm -f` took. Writes bench/results/monitor.md.
# Run as root after `npm run build`: bash bench/monitor.sh  (N=20 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20}
ZOO=$PWD/dist/zoo
export ZOO_ROOT
ZOO_ROOT=$(mktemp -d /var/tmp/zoo-bench-monitor-XXXXXX)
trap 'ids=$($ZOO ps -aq); [ -n "$ids" ] && $ZOO rm -f $ids >/dev/null; rm -rf "$ZOO_ROOT"' EXIT
$ZOO images >/dev/null
t0=$(date +%s%N)
for i in $(seq 1 "$N"); do $ZOO run -d --network none busybox sleep 1000 >/dev/null; done
t1=$(date +%s%N)
rss=()
for p in $(pgrep -x zoo-shim); do
  grep -q "$ZOO_ROOT" "/proc/$p/cmdline" 2>/dev/null && rss+=("$(awk '/VmRSS/ {print $2}' "/proc/$p/status")")
done
t2=$(date +%s%N)
$ZOO rm -f $($ZOO ps -q) >/dev/null
t3=$(date +%s%N)
sorted=$(printf '%s\n' "${rss[@]}" | sort -n)
{
  echo "# zoo-shim monitor: $N detached containers ($(date -u +%Y-%m-%d), $(nproc) CPUs)"
  echo
  echo "| measure | value |"
  echo "| --- | --- |"
  echo "| monitors found | ${#rss[@]} |"
  echo "| VmRSS min / median / max | $(echo "$sorted" | head -1) / $(echo "$sorted" | sed -n "$(( (${#rss[@]} + 1) / 2 ))p") / $(echo "$sorted" | tail -1) kB |"
  echo "| zoo run -d, one after another | $(( (t1 - t0) / N / 1000000 )) ms each |"
  echo "| zoo rm -f of all | $(( (t3 - t2) / 1000000 )) ms |"
} | tee bench/results/monitor.md

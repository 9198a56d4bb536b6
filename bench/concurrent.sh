#!/usr/bin/env bash
# N containers (default 100) started at once: `zoo run --rm` against
# `podman run --rm` (crun), network none and the default bridge: wall time
# until all have exited, and the host's peak memory use meanwhile (MemTotal -
# MemAvailable sampled every 10 ms, minus the level before). Needs root and a
# build. Writes bench/results/concurrent.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PATH="$PATH:/usr/sbin:/sbin"
for p in podman crun python3; do command -v $p >/dev/null || apt-get install -y -qq $p >/dev/null; done
. bench/lib/mask.sh
. bench/lib/bundle.sh
N=${N:-100}
work=$(mktemp -d /var/tmp/zoo-bench-conc.XXXXXX)
. bench/lib/podman.sh
Z=$PWD/dist/zoo

used_kb() { awk '/^MemTotal/ {t=$2} /^MemAvailable/ {a=$2} END {print t-a}' /proc/meminfo; }

# measure NAME CMD...: prints "| NAME | seconds | failures | peak MB |"
measure() {
  local name=$1; shift
  sync; sleep 1
  local base; base=$(used_kb)
  ( peak=0; while [ ! -e "$work/done" ]; do u=$(used_kb); [ "$u" -gt "$peak" ] && peak=$u; sleep 0.01; done; echo "$peak" >"$work/peak" ) &
  local sampler=$! start end fails=0
  start=$(date +%s.%N)
  for i in $(seq "$N"); do "$@" >/dev/null 2>>"$work/err.$name" & done
  for job in $(jobs -p); do [ "$job" = "$sampler" ] && continue; wait "$job" || fails=$((fails + 1)); done
  end=$(date +%s.%N)
  touch "$work/done"; wait "$sampler"; rm -f "$work/done"
  awk -v n="$name" -v s="$start" -v e="$end" -v f="$fails" -v p="$(cat "$work/peak")" -v b="$base" \
    'BEGIN {printf "| %s | %.2f | %d | %.0f |\n", n, e-s, f, (p-b)/1024}'
}

# Warm-up: zoo's first run unpacks the built-in image; podman's sets up its store.
"$Z" run --rm --network none busybox true
$P --runtime crun run --rm --network none $U localhost/busybox:bench true
rows=()
rows+=("$(measure "zoo run --network none" "$Z" run --rm --network none busybox true)")
rows+=("$(measure "podman (crun) --network none" $P --runtime crun run --rm --network none $U localhost/busybox:bench true)")
rows+=("$(measure "zoo run (bridge)" "$Z" run --rm busybox true)")
rows+=("$(measure "podman (crun) (bridge)" $P --runtime crun run --rm $U localhost/busybox:bench true)")
mkdir -p bench/results
{
  echo "# $N containers started at once"
  echo
  echo "$(date -u +%F), $(nproc) cores, $(uname -r); each \`run --rm IMAGE true\`."
  echo
  echo "| what | wall time (s) | failed runs | peak host memory (MB) |"
  echo "| --- | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
} >bench/results/concurrent.md
cat bench/results/concurrent.md
for f in "$work"/err.*; do [ -s "$f" ] && { echo "${f##*/err.}: $(sort "$f" | uniq -c | sort -rn | head -3)"; }; done || true

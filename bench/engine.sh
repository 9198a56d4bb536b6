#!/usr/bin/env bash
# `zoo run --rm busybox true` against `podman run --rm` (with crun and with
# runc) on the same busybox root filesystem, with network none and with each
# engine's default bridge, in one hyperfine run. `zoo run`, with none and on
# the bridge, is replayed by the front door from its second run on (the
# warm-up runs write the entry; docs/design/run-cache.md); the Bun path is
# measured too. podman gets a private store
# in a temp dir and the --ulimit flags this host needs (root here lacks
# CAP_SYS_RESOURCE and podman's default nofile is above the hard limit).
# Needs root and a build; installs hyperfine, podman, runc, crun if missing.
# Writes bench/results/engine.md and engine.json (for bench/summary.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PATH="$PATH:/usr/sbin:/sbin"
for p in hyperfine podman runc crun; do command -v $p >/dev/null || apt-get install -y -qq $p >/dev/null; done
. bench/lib/mask.sh
. bench/lib/bundle.sh

work=$(mktemp -d /var/tmp/zoo-bench-engine.XXXXXX)
. bench/lib/podman.sh
Z=$PWD/dist/zoo
out=bench/results/engine.md
mkdir -p bench/results
{
  echo "# zoo run against podman run"
  echo
  echo "$(date -u +%F), $(nproc) cores, $(uname -r), $($P --version); \`run --rm IMAGE true\`, busybox root filesystem."
  echo
} >"$out"
hyperfine ${HF_OPTS:-} -N -w 3 -r "${RUNS:-20}" --export-markdown "$work/e.md" --export-json "$PWD/bench/results/engine.json" \
  -n "zoo run --network none" "$Z run --rm --network none busybox true" \
  -n "zoo run --network none, ZOO_RUN_CACHE=off (the Bun path)" "env ZOO_RUN_CACHE=off $Z run --rm --network none busybox true" \
  -n "podman (crun) --network none" "$P --runtime crun run --rm --network none $U localhost/busybox:bench true" \
  -n "podman (runc) --network none" "$P --runtime runc run --rm --network none $U localhost/busybox:bench true" \
  -n "zoo run (bridge)" "$Z run --rm busybox true" \
  -n "zoo run (bridge), ZOO_RUN_CACHE=off (the Bun path)" "env ZOO_RUN_CACHE=off $Z run --rm busybox true" \
  -n "podman (crun) (bridge)" "$P --runtime crun run --rm $U localhost/busybox:bench true" \
  2>&1 | grep -E "Benchmark|Time|±|faster|rror|exit"
cat "$work/e.md" >>"$out"
echo "results: $out"

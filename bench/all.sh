#!/usr/bin/env bash
# The whole suite: every bench script in turn, then bench/results/SUMMARY.md
# (bench/summary.ts: each target of issue 9, the medians, the ratio, met or
# not). Run as root after `npm run build`:
#   bash bench/all.sh              full sizes (about half an hour on 2 cores)
#   QUICK=1 bash bench/all.sh      a smoke run: few runs, few containers
# RUNS and N override every script's run and container counts; ONLY="runtime
# engine" runs a subset. A script that fails is reported and the rest go on;
# the exit status says whether all passed.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -x dist/zoo ] && [ -x dist/zoo-shim ] || { echo "all.sh: no build in dist/: run npm run build first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "all.sh: the benches need root" >&2; exit 1; }
if [ -n "${QUICK:-}" ]; then
  export RUNS=${RUNS:-5} N=${N:-5} ITERATIONS=${ITERATIONS:-100000} ROUNDS=${ROUNDS:-3} MB=${MB:-32} REQUESTS=${REQUESTS:-50}
fi
all=(runtime engine memory images concurrent monitor net seccomp)
scripts=(${ONLY:-${all[*]}})
for s in "${scripts[@]}"; do
  [[ " ${all[*]} " == *" $s "* ]] || { echo "all.sh: no bench \"$s\" in ONLY (choose from: ${all[*]})" >&2; exit 2; }
done
failed=() loads=()
for s in "${scripts[@]}"; do
  echo "== $s ($(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg))"
  loads+=("$s $(cut -d' ' -f1 /proc/loadavg)")
  start=$(date +%s)
  if [ "$s" = seccomp ]; then
    node_modules/.bin/bun bench/seccomp.ts
  else
    bash "bench/$s.sh"
  fi
  rc=$?
  echo "== $s: exit $rc after $(( $(date +%s) - start )) s"
  [ $rc = 0 ] || failed+=("$s")
done
note="Load average (1 min) as each script started: $(IFS=,; echo "${loads[*]}" | sed 's/,/, /g')."
[ -n "${QUICK:-}" ] && note="$note QUICK=1 run (RUNS=$RUNS, N=$N): a smoke test, not a measurement."
[ ${#failed[@]} = 0 ] || note="$note Failed this run (older results, if any, are shown): ${failed[*]}."
node_modules/.bin/bun bench/summary.ts "$note" >/dev/null
echo "summary: bench/results/SUMMARY.md"
[ ${#failed[@]} = 0 ] || { echo "all.sh: failed: ${failed[*]}" >&2; exit 1; }

#!/usr/bin/env bash
# Host memory a container costs, zoo against podman, runc and crun, in one
# measurement run (same machine, same load, same busybox root filesystem):
#  - detached: N containers each of `zoo run -d` and `podman run -d` (crun),
#    `sleep` in each; VmRSS and PSS (smaps_rollup: shared pages divided among
#    their users) of every monitor, zoo-shim against conmon;
#  - foreground: `zoo run`, `zoo-runtime run`, `podman run`, `runc run` and
#    `crun run`, one at a time, the RSS and PSS of the tool's own processes
#    (everything it started in the host's pid namespace, plus a daemonized
#    monitor) while its container sleeps.
# Needs root and a build. N (default 20) containers per engine. Writes
# bench/results/memory.md and memory.json (for bench/summary.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PATH="$PATH:/usr/sbin:/sbin"
for p in podman runc crun python3; do command -v $p >/dev/null || apt-get install -y -qq $p >/dev/null; done
. bench/lib/mask.sh
. bench/lib/bundle.sh
N=${N:-20}
work=$(mktemp -d /var/tmp/zoo-bench-mem.XXXXXX)
. bench/lib/podman.sh
Z=$PWD/dist/zoo
here=$PWD
procmem() { python3 bench/lib/procmem.py "$@"; }
zoo_cleanup() {
  local ids
  ids=$("$Z" ps -aq 2>/dev/null) || true
  [ -z "$ids" ] || "$Z" rm -f $ids >/dev/null 2>&1 || true
  for rt in runc crun "$here/dist/zoo-runtime"; do
    for id in $("$rt" --root "$work/$(basename "$rt")" list -q 2>/dev/null); do "$rt" --root "$work/$(basename "$rt")" delete -f "$id" >/dev/null 2>&1 || true; done
  done
  cleanup
}
trap zoo_cleanup EXIT

median() { sort -n | awk '{v[NR]=$1} END {if (NR == 0) print 0; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
json_list() { paste -sd, -; }

# --- detached: one monitor per container -----------------------------------
"$Z" run --rm --network none busybox true # unpacks the built-in image first
for i in $(seq "$N"); do "$Z" run -d --network none busybox sleep 1000 >/dev/null; done
for i in $(seq "$N"); do $P run -d --network none $U localhost/busybox:bench sleep 1000 >/dev/null; done
sleep 1
procmem 0 "$work" >"$work/detached"
declare -A rss pss count
for m in zoo-shim conmon; do
  count[$m]=$(awk -v m=$m '$2==m' "$work/detached" | wc -l)
  rss[$m]=$(awk -v m=$m '$2==m {print $3}' "$work/detached" | json_list)
  pss[$m]=$(awk -v m=$m '$2==m {print $4}' "$work/detached" | json_list)
done
for m in zoo-shim conmon; do
  [ "${count[$m]}" = "$N" ] || { echo "memory.sh: found ${count[$m]} $m processes for $N containers" >&2; cat "$work/detached" >&2; exit 1; }
done
ids=$("$Z" ps -q)
"$Z" rm -f $ids >/dev/null
$P rm -af -t 0 >/dev/null

# --- foreground: the tool's own processes while its container sleeps --------
mkdir -p "$work/fg"
node_modules/.bin/bun -e 'const [src, dst, rootfs] = process.argv.slice(1); const c = await Bun.file(src).json();
  c.root.path = rootfs; c.process.args = ["sleep", "1001"]; await Bun.write(dst, JSON.stringify(c));' \
  "$work/bundle/config.json" "$work/fg/config.json" "$work/bundle/rootfs"
fg_tools=(
  # ZOO_ROOT is this run's own store, so the first is always the Bun path; the second is replayed.
  "zoo run|$Z run --rm --network none busybox sleep 1001"
  "zoo run, replayed|$Z run --rm --network none busybox sleep 1001"
  "zoo-runtime run|$here/dist/zoo-runtime --root $work/zoo-runtime run --bundle $work/fg fz"
  # The same run again: the first one left a run cache entry, so the C front door replays it.
  "zoo-runtime run, replayed|$here/dist/zoo-runtime --root $work/zoo-runtime run --bundle $work/fg fz"
  "podman run (crun)|$P --runtime crun run --rm --network none $U localhost/busybox:bench sleep 1001"
  "runc run|runc --root $work/runc run --bundle $work/fg fr"
  "crun run|crun --root $work/crun run --bundle $work/fg fc"
)
fg_rows=() fg_json=()
for t in "${fg_tools[@]}"; do
  name=${t%%|*} cmd=${t#*|}
  $cmd </dev/null >/dev/null 2>"$work/fg.err" &
  job=$!
  # The container's sleep, in its own pid namespace, once it runs.
  c=
  for _ in $(seq 400); do
    for p in $(pgrep -x sleep); do
      [ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = "sleep 1001 " ] && [ "$(readlink "/proc/$p/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] && c=$p
    done
    [ -n "$c" ] && break
    kill -0 $job 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$c" ] || { echo "memory.sh: $name did not start: $(cat "$work/fg.err")" >&2; exit 1; }
  sleep 0.5
  procmem "$job" "$work" >"$work/fg.$job"
  kill -KILL "$c"
  { wait "$job" || true; } 2>/dev/null
  r=$(awk '{s+=$3} END {print s+0}' "$work/fg.$job")
  s=$(awk '{s+=$4} END {print s+0}' "$work/fg.$job")
  procs=$(awk '{print $2}' "$work/fg.$job" | sort | uniq -c | awk '{printf "%s%s%s", sep, ($1>1 ? $1"× " : ""), $2; sep=", "}')
  echo "$name: RSS $r kB, PSS $s kB ($procs)"
  fg_rows+=("| $name | $((r / 1024)).$(( (r % 1024) * 10 / 1024 )) | $((s / 1024)).$(( (s % 1024) * 10 / 1024 )) | $procs |")
  fg_json+=("\"$name\": {\"rss_kb\": $r, \"pss_kb\": $s, \"processes\": \"$procs\"}")
done

mkdir -p bench/results
{
  echo "{"
  echo "  \"date\": \"$(date -u +%FT%TZ)\", \"cores\": $(nproc), \"n\": $N,"
  echo "  \"detached\": {"
  echo "    \"zoo-shim\": {\"rss_kb\": [${rss[zoo-shim]}], \"pss_kb\": [${pss[zoo-shim]}]},"
  echo "    \"conmon\": {\"rss_kb\": [${rss[conmon]}], \"pss_kb\": [${pss[conmon]}]}"
  echo "  },"
  echo "  \"foreground\": {"
  (IFS=$'\n'; echo "${fg_json[*]}") | sed 's/^/    /; $!s/$/,/'
  echo "  }"
  echo "}"
} >bench/results/memory.json
row() { # row NAME MONITOR
  local r p
  r=$(tr , '\n' <<<"${rss[$2]}" | median) p=$(tr , '\n' <<<"${pss[$2]}" | median)
  echo "| $1 | ${count[$2]} | $r | $(tr , '\n' <<<"${rss[$2]}" | sort -n | sed -n '1p;$p' | paste -sd/ - | sed 's#/# … #') | $p |"
}
{
  echo "# Host memory per container"
  echo
  echo "$(date -u +%F), $(nproc) cores, $(uname -r), $($P --version); busybox \`sleep\`, network none. Raw numbers in memory.json."
  echo
  echo "## Per detached container: the monitor ($N containers each)"
  echo
  echo "| monitor | found | VmRSS median (kB) | VmRSS min … max (kB) | PSS median (kB) |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  row "zoo-shim (zoo run -d)" zoo-shim
  row "conmon (podman run -d, crun)" conmon
  echo
  echo "## Held by the tool during a foreground run"
  echo
  echo "The tool's own processes while its container runs \`sleep\` (the container's processes are not counted)."
  echo
  echo "| tool | RSS (MB) | PSS (MB) | processes |"
  echo "| --- | ---: | ---: | --- |"
  printf '%s\n' "${fg_rows[@]}"
} >bench/results/memory.md
cat bench/results/memory.md

#!/usr/bin/env bash
# Start-to-exit time of one container running /bin/true from a busybox bundle:
# zoo-runtime against runc, crun, bwrap and the C floor (bench/floor.c: one
# clone3 into the namespaces + exec; also born in a cgroup v2 directory with
# CLONE_INTO_CGROUP, and moved there through cgroup.procs), back to back and
# spaced 250 ms apart (the first cgroup migration after idle waits for an RCU
# grace period), plus create/start/delete cycles as containerd drives a runtime.
# Each table is one hyperfine run, so ratios compare like with like. Needs
# root and a build (npm run build); installs hyperfine, runc, crun and
# bubblewrap from Debian if missing. Writes bench/results/runtime.md and
# hyperfine's JSON (runtime-back-to-back.json, runtime-spaced.json,
# runtime-cycle.json) for bench/summary.ts. `zoo-runtime run` repeats one
# bundle, so after the warm-up runs it is replayed from the run cache by the C
# front door (docs/design/run-cache.md); the row with ZOO_RUN_CACHE=off is
# the same run through Bun.
# crun needs a private mount namespace on hybrid hosts: see bench/lib/mask.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PATH="$PATH:/usr/sbin:/sbin"
command -v cc >/dev/null || apt-get install -y -qq gcc libc6-dev >/dev/null
for p in hyperfine runc crun bwrap; do
  command -v $p >/dev/null || apt-get install -y -qq "$([ $p = bwrap ] && echo bubblewrap || echo $p)" >/dev/null
done
. bench/lib/mask.sh
. bench/lib/bundle.sh

work=$(mktemp -d /var/tmp/zoo-bench.XXXXXX)
# The floor's cgroup v2 directory (cgroup2 at /sys/fs/cgroup, or beside the
# v1 controllers at /sys/fs/cgroup/unified on hybrid hosts).
cg2=
for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
  [ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && cg2=$d/zoo-bench-floor-$$ && break
done
. bench/lib/run-cache.sh
trap '[ -n "$cg2" ] && for i in 1 2 3 4 5; do rmdir "$cg2" 2>/dev/null && break; sleep 0.2; done; drop_run_cache_entries "$work"; rm -rf "$work"' EXIT
make_bundle "$work/bundle"
cc -O2 -Wall -Wextra -Werror -o "$work/floor" bench/floor.c
b=$work/bundle R=${RUNS:-50} here=$PWD
out=bench/results/runtime.md
res=$PWD/bench/results
mkdir -p bench/results

cd "$b"
runtimes=(
  -n "zoo-runtime run" "$here/dist/zoo-runtime --root $work/zr run z"
  -n "crun run" "crun --root $work/crun run c"
  -n "runc run" "runc --root $work/runc run r"
  -n "bwrap (same namespaces, /proc, /dev)" "bwrap --unshare-all --bind $b/rootfs / --proc /proc --dev /dev /bin/true"
  -n "C floor (clone3 + exec)" "$work/floor $b/rootfs /bin/true"
)
if [ -n "$cg2" ] && mkdir "$cg2"; then
  runtimes+=(
    -n "C floor + CLONE_INTO_CGROUP" "$work/floor --cgroup-into $cg2 $b/rootfs /bin/true"
    -n "C floor + cgroup.procs" "$work/floor --cgroup-procs $cg2 $b/rootfs /bin/true"
  )
else
  cg2=
fi
{
  echo "# zoo-runtime against runc, crun and bwrap"
  echo
  echo "$(date -u +%F), $(nproc) cores, $(uname -r); /bin/true from a busybox bundle; hyperfine medians in the JSON (runtime-*.json), means ± σ here. The C floor is bench/floor.c: clone3 into user, mount, pid, uts, ipc and net namespaces, identity id maps, chroot, exec."
  echo
  echo "## Back to back"
  echo
} >"$here/$out"
hyperfine -N -w 5 -r "$R" --export-markdown "$work/a.md" --export-json "$res/runtime-back-to-back.json" "${runtimes[@]}" \
  -n "zoo-runtime run, ZOO_RUN_CACHE=off (the Bun path)" "env ZOO_RUN_CACHE=off $here/dist/zoo-runtime --root $work/zr run z" \
  -n "zoo --version (start-up floor)" "$here/dist/zoo-bun --version" \
  -n "zoo --version through the front door" "$here/dist/zoo --version" 2>&1 | grep -E "Benchmark|Time|±|faster"
cat "$work/a.md" >>"$here/$out"
printf '\n## Spaced 250 ms apart\n\n' >>"$here/$out"
hyperfine -N -w 2 -r "$(( R / 2 ))" --prepare "sleep 0.25" --export-markdown "$work/b.md" --export-json "$res/runtime-spaced.json" "${runtimes[@]}" 2>&1 | grep -E "Benchmark|Time|±|faster"
cat "$work/b.md" >>"$here/$out"
printf '\n## create, start, wait, delete (as containerd drives a runtime)\n\n' >>"$here/$out"
hyperfine -w 3 -r "$(( R / 2 ))" --export-markdown "$work/c.md" --export-json "$res/runtime-cycle.json" \
  -n "zoo-runtime" "$here/bench/lib/cycle.sh $here/dist/zoo-runtime $work/zr $b" \
  -n "crun" "$here/bench/lib/cycle.sh crun $work/crun $b" \
  -n "runc" "$here/bench/lib/cycle.sh runc $work/runc $b" 2>&1 | grep -E "Benchmark|Time|±|faster"
cat "$work/c.md" >>"$here/$out"
echo "results: $out"

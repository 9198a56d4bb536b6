#!/usr/bin/env bash
# Start-to-exit time of one container running /bin/true from a busybox bundle:
# zoo-runtime against runc, crun and bwrap, back to back and spaced 250 ms
# apart (the first cgroup migration after idle waits for an RCU grace
# period), plus create/start/delete cycles as containerd drives a runtime.
# Each table is one hyperfine run, so ratios compare like with like. Needs
# root and a build (npm run build); installs hyperfine, runc, crun and
# bubblewrap from Debian if missing. Writes bench/results/runtime.md.
# crun needs a private mount namespace on hybrid hosts: see bench/lib/mask.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PATH="$PATH:/usr/sbin:/sbin"
for p in hyperfine runc crun bwrap; do
  command -v $p >/dev/null || apt-get install -y -qq "$([ $p = bwrap ] && echo bubblewrap || echo $p)" >/dev/null
done
. bench/lib/mask.sh
. bench/lib/bundle.sh

work=$(mktemp -d /var/tmp/zoo-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
make_bundle "$work/bundle"
b=$work/bundle R=${RUNS:-50} here=$PWD
out=bench/results/runtime.md
mkdir -p bench/results

cd "$b"
runtimes=(
  -n "zoo-runtime run" "$here/dist/zoo-runtime --root $work/zr run z"
  -n "crun run" "crun --root $work/crun run c"
  -n "runc run" "runc --root $work/runc run r"
  -n "bwrap (same namespaces, /proc, /dev)" "bwrap --unshare-all --bind $b/rootfs / --proc /proc --dev /dev /bin/true"
)
{
  echo "# zoo-runtime against runc, crun and bwrap"
  echo
  echo "$(date -u +%F), $(nproc) cores, $(uname -r); /bin/true from a busybox bundle; hyperfine medians in the JSON, means ± σ here."
  echo
  echo "## Back to back"
  echo
} >"$here/$out"
hyperfine -N -w 5 -r "$R" --export-markdown "$work/a.md" "${runtimes[@]}" \
  -n "zoo --version (start-up floor)" "$here/dist/zoo --version" 2>&1 | grep -E "Benchmark|Time|±|faster"
cat "$work/a.md" >>"$here/$out"
printf '\n## Spaced 250 ms apart\n\n' >>"$here/$out"
hyperfine -N -w 2 -r "$(( R / 2 ))" --prepare "sleep 0.25" --export-markdown "$work/b.md" "${runtimes[@]}" 2>&1 | grep -E "Benchmark|Time|±|faster"
cat "$work/b.md" >>"$here/$out"
printf '\n## create, start, wait, delete (as containerd drives a runtime)\n\n' >>"$here/$out"
hyperfine -w 3 -r "$(( R / 2 ))" --export-markdown "$work/c.md" \
  -n "zoo-runtime" "$here/bench/lib/cycle.sh $here/dist/zoo-runtime $work/zr $b" \
  -n "crun" "$here/bench/lib/cycle.sh crun $work/crun $b" \
  -n "runc" "$here/bench/lib/cycle.sh runc $work/runc $b" 2>&1 | grep -E "Benchmark|Time|±|faster"
cat "$work/c.md" >>"$here/$out"
echo "results: $out"

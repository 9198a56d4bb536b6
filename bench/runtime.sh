#!/usr/bin/env bash
# Start-to-exit time of one container running /bin/true, zoo against runc, in
# one hyperfine run so the ratios compare like with like. Needs root, a build
# (npm run build) and Debian's hyperfine and runc (installed if missing).
# Writes bench/results/runtime.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PATH="$PATH:/usr/sbin:/sbin"
for p in hyperfine runc; do command -v $p >/dev/null || apt-get install -y -qq $p >/dev/null; done

work=$(mktemp -d /var/tmp/zoo-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs"
bun=node_modules/.bin/bun
$bun -e 'import {busyboxEntries, unpack} from "./src/image/busybox.ts"; import {readFileSync} from "fs";
  const l = Bun.spawnSync(["/bin/busybox","--list-full"]).stdout.toString().split("\n").filter(Boolean);
  unpack(busyboxEntries(readFileSync("/bin/busybox"), l), process.argv[1]);' "$work/bundle/rootfs"
(cd "$work/bundle" && "$OLDPWD/dist/zoo-runtime" spec)
$bun -e 'const f = process.argv[1]; const c = await Bun.file(f).json();
  c.process.args = ["/bin/true"]; c.process.terminal = false; await Bun.write(f, JSON.stringify(c));' "$work/bundle/config.json"

mkdir -p bench/results
cd "$work/bundle"
hyperfine -N -w 5 -r "${RUNS:-50}" --export-markdown "$OLDPWD/bench/results/runtime.md" \
  -n "zoo-runtime run" "$OLDPWD/dist/zoo-runtime --root $work/zr run bench-zoo" \
  -n "runc run" "runc --root $work/runc run bench-runc" \
  -n "zookeeper -r" "$OLDPWD/dist/zookeeper -r $work/bundle/rootfs /bin/true" \
  -n "zoo --version (start-up floor)" "$OLDPWD/dist/zoo --version" \
  2>&1 | grep -E "Benchmark|Time|faster|±"
echo "results: bench/results/runtime.md"

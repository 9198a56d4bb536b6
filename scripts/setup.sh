#!/usr/bin/env bash
# One-command setup on Debian 12 (as root): Debian packages, npm ci, build,
# install into /usr/local/bin, then run a first container from the built-in image.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

need=()
for pkg in nodejs npm gcc make libc6-dev musl-tools uidmap busybox-static util-linux passwd tar; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run -s build

prefix=${PREFIX:-/usr/local}
install -d "$prefix/bin"
install -m 0755 dist/zoo "$prefix/bin/zoo"
install -m 0755 dist/zoo-shim "$prefix/bin/zoo-shim"
ln -sf zoo "$prefix/bin/zookeeper"
ln -sf zoo "$prefix/bin/zoo-runtime"
echo "setup: installed zoo, zookeeper, zoo-runtime and zoo-shim in $prefix/bin"

if [ "${ZOO_SETUP_NO_DEMO:-}" != 1 ]; then
  "$prefix/bin/zoo" run --rm busybox sh -c 'echo "hello from a zoo container: $(hostname), pid $$, $(id -un)"'
fi

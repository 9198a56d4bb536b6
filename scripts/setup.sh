#!/usr/bin/env bash
# One-command setup on Debian 12 (as root): Debian packages, npm ci, build,
# install into /usr/local/bin, then run a first container from the built-in image.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# A command that is already there is enough (Node.js may come from elsewhere,
# e.g. NodeSource's nodejs, which ships npm); otherwise Debian's package.
need=()
want() { # want COMMAND-OR-PATH PACKAGE
  if [[ $1 == /* ]]; then [ -e "$1" ] || need+=("$2"); else command -v "$1" >/dev/null || need+=("$2"); fi
}
want node nodejs
want npm npm
want gcc gcc
want make make
want /usr/include/stdio.h libc6-dev
want /usr/lib/x86_64-linux-gnu/libc.a libc6-dev
want musl-gcc musl-tools
want newuidmap uidmap
want /bin/busybox busybox-static
want runuser util-linux
want useradd passwd
want tar tar
want pasta passt
want slirp4netns slirp4netns
want nsenter util-linux
want script bsdutils
want podman podman
want nft nftables
want ip iproute2
busybox_static() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi
# The built-in image needs a static busybox (Debian's plain busybox is dynamic).
if ! busybox_static; then
  apt-get install -y -qq busybox-static >/dev/null
fi

if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run -s build

prefix=${PREFIX:-/usr/local}
install -d "$prefix/bin"
install -m 0755 dist/zoo-bun "$prefix/bin/zoo-bun"
install -m 0755 dist/zoo-shim "$prefix/bin/zoo-shim"
# The C front door, as zoo and as zoo-runtime: it must sit beside zoo-bun,
# which it execs for all but a cached run. rm first: an older install had
# zoo as the Bun executable, or zookeeper as a link to it.
for door in zoo zoo-runtime; do
  rm -f "$prefix/bin/$door"
  install -m 0755 "dist/$door" "$prefix/bin/$door"
done
ln -sfn zoo-bun "$prefix/bin/zookeeper"
echo "setup: installed zoo-bun, zoo, zoo-runtime, zookeeper (-> zoo-bun) and zoo-shim in $prefix/bin"

if [ "${ZOO_SETUP_NO_DEMO:-}" != 1 ]; then
  "$prefix/bin/zoo" run --rm busybox sh -c 'echo "hello from a zoo container: $(hostname), pid $$, $(id -un)"'
fi

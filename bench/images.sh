#!/usr/bin/env bash
# Images: pulling from a registry on loopback and mounting an image's layers.
#  - Pull: Debian's docker-registry (distribution 2.8, no auth) on a free
#    127.0.0.1 port serves an image built once by bench/lib/image.ts (busybox
#    plus LAYERS layers of incompressible files, ~6 MB gzip). One hyperfine
#    run compares `zoo pull` (download, verify, unpack), `podman pull` (the
#    same into containers/storage) and `skopeo copy` into an OCI layout
#    directory (download and verify only: no unpack), each into an empty
#    store before every run (hyperfine --prepare, not timed).
#  - Overlay: one mount + stat + umount of the image's layers (zoo's store,
#    top layer first, as zoo mounts them for a container) with the kernel's
#    overlayfs (what zoo and rootful podman use) against fuse-overlayfs (what
#    rootless podman uses where the kernel's is not allowed), each through
#    `sh -c` with the same number of processes; and `podman mount` + `podman
#    umount` of a created container, podman's own path to the same mount.
# The script runs in a private mount namespace, so a mount it leaves behind
# dies with it. Needs root and a build; installs hyperfine, podman, skopeo,
# docker-registry and fuse-overlayfs from Debian if missing. RUNS (10),
# LAYERS (4). Writes bench/results/images.md, images-pull.json and
# images-overlay.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PATH="$PATH:/usr/sbin:/sbin"
if [ "${ZOO_BENCH_PRIVATE:-}" != 1 ]; then
  exec unshare -m --propagation private env ZOO_BENCH_PRIVATE=1 bash "$0" "$@"
fi
for p in hyperfine podman skopeo docker-registry fuse-overlayfs python3; do
  command -v $p >/dev/null || apt-get install -y -qq $p >/dev/null
done
R=${RUNS:-10}
work=$(mktemp -d /var/tmp/zoo-bench-img.XXXXXX)
PODMAN_NO_IMPORT=1 . bench/lib/podman.sh
Z=$PWD/dist/zoo
res=$PWD/bench/results
registry=
images_cleanup() {
  [ -z "$registry" ] || { kill "$registry" 2>/dev/null; wait "$registry" 2>/dev/null || true; }
  umount "$work/mnt" 2>/dev/null || true
  cleanup
}
trap images_cleanup EXIT

# The image, and a registry on loopback that serves it.
node_modules/.bin/bun bench/lib/image.ts "$work/layout" "${LAYERS:-4}" >"$work/diffids"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
cat >"$work/registry/config.yml" <<EOF
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $work/registry/storage } }
http: { addr: "127.0.0.1:$port" }
EOF
docker-registry serve "$work/registry/config.yml" >/dev/null 2>"$work/registry/log" &
registry=$!
for i in $(seq 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" 2>/dev/null && break
  kill -0 "$registry" 2>/dev/null && [ "$i" -lt 100 ] || { echo "images.sh: docker-registry did not start: $(cat "$work/registry/log")" >&2; exit 1; }
  sleep 0.05
done
ref=127.0.0.1:$port/bench/layers:1
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:bench" "docker://$ref"
size=$(du -sk "$work/registry/storage" | cut -f1)

# Pull, each into an empty store.
mkdir -p bench/results
{
  echo "# Images: pull from a loopback registry, overlay mount"
  echo
  echo "$(date -u +%F), $(nproc) cores, $(uname -r), $($P --version), $(skopeo --version). Medians in images-pull.json and images-overlay.json."
  echo
  echo "## Pull"
  echo
  echo "$(wc -l <"$work/diffids") layers (busybox and ${LAYERS:-4} of incompressible files), ${size} kB in the registry; docker-registry on 127.0.0.1 over HTTP; each tool starts from an empty store every run."
  echo
} >bench/results/images.md
hyperfine -N -w 1 -r "$R" --export-markdown "$work/pull.md" --export-json "$res/images-pull.json" \
  --prepare "rm -rf $work/zoo" -n "zoo pull" "$Z --root $work/zoo pull -q $ref" \
  --prepare "$P rmi -af" -n "podman pull" "$P pull -q --tls-verify=false $ref" \
  --prepare "rm -rf $work/oci" -n "skopeo copy to oci: (no unpack)" "skopeo copy -q --src-tls-verify=false docker://$ref oci:$work/oci:bench" \
  2>&1 | grep -E "Benchmark|Time|±|faster|rror"
cat "$work/pull.md" >>bench/results/images.md

# Check that each pull did the whole job: zoo unpacked every layer, podman holds the image.
for d in $(cut -d: -f2 "$work/diffids"); do [ -d "$work/zoo/layers/$d" ] || { echo "images.sh: zoo's store lacks layer $d" >&2; exit 1; }; done
[ -n "$($P images -q)" ] || { echo "images.sh: podman's store holds no image" >&2; exit 1; }

# Overlay: the image's layers from zoo's store, top first.
lower=$(tac "$work/diffids" | cut -d: -f2 | sed "s#^#$work/zoo/layers/#" | paste -sd: -)
mkdir -p "$work/mnt" "$work/upper" "$work/work"
opts="lowerdir=$lower,upperdir=$work/upper,workdir=$work/work"
$P create --name benchsuite-ovl $U "$ref" true >/dev/null
{
  echo
  echo "## Overlay mount of the image's layers"
  echo
  echo "mount, stat of /bin/busybox through the mount, umount: three processes under \`sh -c\` (mount or fuse-overlayfs, stat, umount). The last row is the same shell and three processes without a mount, so a row minus it is that mount's cost. podman's row is its CLI doing the same for a created container."
  echo
} >>bench/results/images.md
hyperfine -N -w 3 -r "$(( R * 3 ))" --export-markdown "$work/ovl.md" --export-json "$res/images-overlay.json" \
  -n "kernel overlayfs (zoo's mount)" "sh -c 'mount -t overlay overlay -o $opts $work/mnt && stat -c %s $work/mnt/bin/busybox >/dev/null && umount $work/mnt'" \
  -n "fuse-overlayfs" "sh -c 'fuse-overlayfs -o $opts $work/mnt && stat -c %s $work/mnt/bin/busybox >/dev/null && umount $work/mnt'" \
  -n "podman mount + umount" "sh -c '$P mount benchsuite-ovl >/dev/null && $P umount benchsuite-ovl >/dev/null'" \
  -n "sh -c with three processes (no mount)" "sh -c '/bin/true && stat -c %s $work/zoo/layers >/dev/null && /bin/true'" \
  2>&1 | grep -E "Benchmark|Time|±|faster|rror"
cat "$work/ovl.md" >>bench/results/images.md
# What zoo-shim itself does: mount(2) and umount2(2), no mount(8) process.
cycle=$(python3 - "$opts" "$work/mnt" "$(( R * 10 ))" <<'EOF'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
opts, target, n = sys.argv[1].encode(), sys.argv[2].encode(), int(sys.argv[3])
times = []
for _ in range(n):
    t = time.perf_counter()
    if libc.mount(b"overlay", target, b"overlay", 0, opts) != 0 or not os.stat(target + b"/bin/busybox") or libc.umount2(target, 0) != 0:
        raise SystemExit(f"images.sh: overlay mount: {os.strerror(ctypes.get_errno())}")
    times.append(time.perf_counter() - t)
times.sort()
print(f"{times[len(times) // 2] * 1e3:.2f}")
EOF
)
printf '\nThe syscalls alone, as zoo-shim makes them (mount(2), stat, umount2(2) in one process, median of %d): %s ms.\n' "$(( R * 10 ))" "$cycle" >>bench/results/images.md
echo "overlay mount(2) + umount2(2): $cycle ms"
echo "results: bench/results/images.md"

# Sourced by the bench scripts that compare with podman: a private podman
# store under $work (P is the podman command line for it), zoo's store beside
# it (ZOO_ROOT), the busybox root filesystem imported into podman's, and a
# cleanup on exit (PODMAN_NO_IMPORT=1: the store and the cleanup only). U: the
# --ulimit flags this host needs (root here lacks CAP_SYS_RESOURCE, and
# podman's default nofile is above the hard limit).
P="podman --root $work/podman --runroot $work/podman-run --storage-driver overlay"
U="--ulimit nofile=20000:20000 --ulimit nproc=32768:32768"
# podman (cgroupfs manager) leaves its parent cgroups libpod_parent/conmon
# behind; remove them on exit if this script made them and they are empty.
. "$(dirname "${BASH_SOURCE[0]}")/run-cache.sh"
libpod_new=
[ -d /sys/fs/cgroup/memory/libpod_parent ] || [ -d /sys/fs/cgroup/libpod_parent ] || libpod_new=1
cleanup() {
  $P rm -af >/dev/null 2>&1 || true
  $P system reset -f >/dev/null 2>&1 || true
  umount -R "$work/podman" 2>/dev/null || true
  drop_run_cache_entries "$work"
  rm -rf "$work"
  if [ -n "$libpod_new" ]; then
    for d in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do
      [ -d "$d" ] && { rmdir "$d/conmon" 2>/dev/null; rmdir "$d" 2>/dev/null; }
    done
  fi
  return 0
}
trap cleanup EXIT
[ -n "${PODMAN_NO_IMPORT:-}" ] && return 0
make_bundle "$work/bundle"
tar -C "$work/bundle/rootfs" -cf "$work/rootfs.tar" .
$P import -q "$work/rootfs.tar" localhost/busybox:bench >/dev/null
export ZOO_ROOT=$work/zoo

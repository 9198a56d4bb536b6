# Sourced by the bench scripts that compare with podman: a private podman
# store under $work (P is the podman command line for it), zoo's store beside
# it (ZOO_ROOT), the busybox root filesystem imported into both, and a cleanup
# on exit. U: the --ulimit flags this host needs (root here lacks
# CAP_SYS_RESOURCE, and podman's default nofile is above the hard limit).
P="podman --root $work/podman --runroot $work/podman-run --storage-driver overlay"
U="--ulimit nofile=20000:20000 --ulimit nproc=32768:32768"
cleanup() {
  $P rm -af >/dev/null 2>&1 || true
  $P system reset -f >/dev/null 2>&1 || true
  umount -R "$work/podman" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
make_bundle "$work/bundle"
tar -C "$work/bundle/rootfs" -cf "$work/rootfs.tar" .
$P import -q "$work/rootfs.tar" localhost/busybox:bench >/dev/null
export ZOO_ROOT=$work/zoo

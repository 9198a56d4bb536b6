# Sourced first by bench scripts that run crun (directly or under podman):
# crun 1.8 refuses hybrid cgroup hosts unless cgroup2 lists no controllers,
# so the script re-executes itself in a private mount namespace where
# /sys/fs/cgroup/unified/cgroup.controllers reads empty. The host's file is
# untouched, and every tool in one table runs under the same conditions.
if [ "${ZOO_BENCH_MASKED:-}" != 1 ] && [ -d /sys/fs/cgroup/memory ] \
  && [ -e /sys/fs/cgroup/unified/cgroup.controllers ] && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers)" ]; then
  exec unshare -m --propagation private sh -c 'mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers && ZOO_BENCH_MASKED=1 exec bash "$0" "$@"' "$0" "$@"
fi

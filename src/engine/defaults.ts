import type { Mount } from "../oci/spec.ts";

// Docker's default capability set for containers.
export const DEFAULT_CAPS = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
];

export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * `sysRw`: --privileged leaves /sys and the cgroup filesystem writable, as
 * Docker does. `cgroupfs`: the container's own cgroups at /sys/fs/cgroup
 * (read-only unless sysRw); left out where the container may have none
 * (rootless without delegation), since the mount would then fail.
 */
export function defaultMounts(sysRw = false, cgroupfs = false): Mount[] {
  const cgroup: Mount = { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", sysRw ? "rw" : "ro"] };
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", sysRw ? "rw" : "ro"] },
    ...(cgroupfs ? [cgroup] : []),
  ];
}

export { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from "../oci/hardening.ts";

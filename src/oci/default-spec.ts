// `zoo-runtime spec`: a starting config.json for a bundle with a rootfs/
// directory, in the shape runc's `spec` writes, adjusted to what zoo runs:
// terminal off (no console socket yet) and no /sys/fs/cgroup mount.
import { defaultProfileFor } from "../seccomp/profiles/default.ts";
import type { Mount, Spec } from "./spec.ts";

// runc's default set (not Docker's larger one): this is the runc-compatible CLI.
export const DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

export const DEFAULT_MASKED_PATHS = [
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
];
export const DEFAULT_READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

export function defaultSpec(o: { rootless: boolean; uid: number; gid: number }): Spec {
  const mounts: Mount[] = [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      // gid 5 (tty) exists only when the user namespace maps it, which a rootless single-id map does not.
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", ...(o.rootless ? [] : ["gid=5"])],
    },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    // A fresh sysfs needs the network namespace's owner to be init's user namespace; rootless binds the host's read-only.
    o.rootless
      ? { destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] }
      : { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
  ];
  const namespaces = ["pid", "network", "ipc", "uts", "mount", ...(o.rootless ? ["user"] : [])].map((type) => ({ type }) as never);
  return {
    ociVersion: "1.2.0",
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      // No ambient set: the kernel refuses ambient capabilities that are not inheritable too.
      capabilities: { bounding: [...DEFAULT_CAPS], effective: [...DEFAULT_CAPS], permitted: [...DEFAULT_CAPS] },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: true },
    hostname: "zoo",
    mounts,
    linux: {
      ...(o.rootless
        ? { uidMappings: [{ containerID: 0, hostID: o.uid, size: 1 }], gidMappings: [{ containerID: 0, hostID: o.gid, size: 1 }] }
        : {}),
      namespaces,
      maskedPaths: DEFAULT_MASKED_PATHS,
      readonlyPaths: DEFAULT_READONLY_PATHS,
    },
  };
}

/**
 * What `zoo-runtime spec` writes: runc's starting config made secure by
 * default as Docker and Podman users expect, the default seccomp profile
 * (Docker's, resolved for these capabilities) and Docker's extra masked path.
 * defaultSpec() itself stays runc's shape for the tests and callers that
 * build on it.
 */
export function specCommandConfig(o: { rootless: boolean; uid: number; gid: number }): Spec {
  const spec = defaultSpec(o);
  const linux = spec.linux!;
  linux.maskedPaths = [...(linux.maskedPaths ?? []), "/sys/devices/virtual/powercap"];
  linux.seccomp = defaultProfileFor(spec.process!.capabilities!.bounding!) as never;
  return spec;
}

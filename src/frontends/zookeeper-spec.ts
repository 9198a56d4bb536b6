// zookeeper's flags → an OCI config. Pure: identity, environment and paths come in as arguments.
import { resolve } from "node:path";
import type { IdMapping, Mount, Spec } from "../oci/spec.ts";
import { cpuPercentToQuota } from "../cgroups/index.ts";
import { ALL_CAPS } from "../oci/caps.ts";
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from "../oci/hardening.ts";
import type { ZookeeperOptions } from "../cli/zookeeper.ts";

// The seed's capabilities_to_drop (shared/seeds/zoo-cap-seccomp-facts.md).
export const ZOOKEEPER_DROPPED_CAPS = [
  "CAP_AUDIT_CONTROL", "CAP_AUDIT_READ", "CAP_AUDIT_WRITE", "CAP_BLOCK_SUSPEND", "CAP_DAC_READ_SEARCH",
  "CAP_FSETID", "CAP_IPC_LOCK", "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE", "CAP_MKNOD", "CAP_SETFCAP",
  "CAP_SYSLOG", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_MODULE", "CAP_SYS_NICE", "CAP_SYS_RAWIO",
  "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_WAKE_ALARM",
];

export const CPU_PERIOD_US = 100_000;

export interface ZookeeperIdentity {
  cwd: string;
  env: Record<string, string | undefined>;
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  /** With -n and -r: a host file to bind over the container's /etc/resolv.conf. */
  resolvConf?: string;
}

const DEV_MOUNTS: Mount[] = [
  { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
  { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
  { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
];

export function zookeeperSpec(o: ZookeeperOptions, id: ZookeeperIdentity): Spec {
  const kept = ALL_CAPS.filter((c) => !ZOOKEEPER_DROPPED_CAPS.includes(c));
  const mounts: Mount[] = [];
  if (o.proc) mounts.push({ destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "nodev", "noexec"] });
  if (o.root) mounts.push(...DEV_MOUNTS);
  // Covered, not rewritten: the rootfs keeps its own resolv.conf (an empty mount point is made if it has none).
  if (o.root && id.resolvConf) {
    mounts.push({ destination: "/etc/resolv.conf", type: "bind", source: id.resolvConf, options: ["bind", "ro", "nosuid", "nodev", "noexec"] });
  }
  const resources: NonNullable<Spec["linux"]>["resources"] = {};
  // Swap off: memory+swap equal to memory, as the seed's limit is a hard one.
  if (o.memory !== undefined) resources.memory = { limit: o.memory, swap: o.memory };
  if (o.cpuPercent !== undefined) {
    resources.cpu = { quota: cpuPercentToQuota(o.cpuPercent, CPU_PERIOD_US), period: CPU_PERIOD_US };
  }
  if (o.pids !== undefined) resources.pids = { limit: o.pids };
  return {
    ociVersion: "1.2.0",
    root: o.root ? { path: resolve(id.cwd, o.root) } : undefined,
    hostname: "zoo",
    mounts,
    process: {
      args: o.command,
      env: Object.entries(id.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`])),
      // Without -r the container keeps the host's filesystem view, and its cwd.
      cwd: o.root ? "/" : id.cwd,
      user: { uid: 0, gid: 0 },
      capabilities: { bounding: kept, effective: kept, permitted: kept, inheritable: [], ambient: [] },
      noNewPrivileges: true,
    },
    linux: {
      namespaces: ["user", "cgroup", "ipc", "network", "mount", "pid", "uts", "time"].map((type) => ({ type }) as never),
      uidMappings: id.uidMappings,
      gidMappings: id.gidMappings,
      resources,
      // Rootful, container root is host root (ids map to themselves), and many
      // host-wide sysctls only check for that uid: /proc/sys and friends must
      // be read-only. Without -r the host's /sys is in view too.
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS, ...(o.root ? [] : ["/sys"])],
    },
  };
}

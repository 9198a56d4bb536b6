// OCI config → ordered plan steps. Pure: everything it needs is in the config
// and the context; the order here is the security argument of the runtime.
import type { Mount, Process, Spec } from "../oci/spec.ts";
import { capMask } from "../oci/caps.ts";
import { MS, parseMountOptions, PROPAGATION } from "../oci/mount-options.ts";
import { MkdirFlag, Opt, WriteFlag } from "../plan/ids.ts";
import type { PlanStep } from "../plan/ops.ts";
import { CLONE, MNT_DETACH, RLIMIT, S_IFBLK, S_IFCHR, S_IFIFO } from "../sys/constants.ts";
import { NS_FLAG, SETNS_ORDER } from "./namespaces.ts";
import { DEFAULT_DEVICES, DEV_SYMLINKS } from "./devices.ts";
import type { SeccompSetup } from "../seccomp/listener.ts";

export interface BuildContext {
  /**
   * Where the rootfs is mounted before pivot_root: root.path itself (bound
   * onto itself, which makes it a mount point), or an empty directory for an
   * overlay root; null keeps the host's view.
   */
  rootMount: string | null;
  /** Directory fd of the v2 cgroup to clone into, or null. */
  cgroupFd: number | null;
  /** Compiled seccomp filter (sock_filter array bytes), or null for none. */
  seccomp: SeccompSetup | null;
  /** Whether gid `g` is mapped in the container's user namespace (devpts gid=5 needs it). */
  gidMapped: (g: number) => boolean;
  /** setgroups(2) is refused when a gid map was written with setgroups=deny. */
  setgroupsAllowed: boolean;
  foreground: boolean;
  /** Absolute host path of a device node to bind when mknod is refused. */
  hostDevice?: (containerPath: string) => string | null;
  /** Root from image layers instead of root.path: an overlay mounted inside the container's namespaces. */
  rootOverlay?: { lower: string[]; upper: string; work: string; userxattr: boolean };
  /** Whether a bind source is a file (its mount point must be a file too). */
  sourceIsFile?: (hostPath: string) => boolean;
  /** Fifo path the child blocks on just before exec until `start` (zoo-runtime create). */
  waitStart?: string;
  /** Inherited fds 3..2+n the process keeps (--preserve-fds). */
  preserveFds?: number;
  /** The caller's ids are not what the new user namespace maps to 0: switch to its root before anything else. */
  becomeNsRoot?: boolean;
  /** process.terminal: the child's fd of the connected console socket that gets the pty's master. */
  consoleSocketFd?: number;
  /** Fifo the child blocks on (CREATED first) after its mounts and before pivot_root, while OCI hooks run. */
  hooksCheckpoint?: string;
  /** The shim exits once the process runs, leaving it to the caller's subreaper (conmon) to wait for. */
  exitOnStart?: boolean;
  /** The container's cgroup directories, per hierarchy: a "cgroup" mount on a v1 host shows these. */
  cgroupPaths?: { version: 1 | 2; mountPoint: string; dir: string }[];
  /** runc's --no-pivot: move the rootfs onto / and chroot, for roots pivot_root refuses (a ramdisk). */
  noPivot?: boolean;
}

const join = (root: string | null, p: string) => (root === null ? p : root.replace(/\/$/, "") + (p.startsWith("/") ? p : "/" + p));

// personality(2) personas (linux/personality.h).
const PER_LINUX = 0x0000;
const PER_LINUX32 = 0x0008;

export function buildPlan(spec: Spec, ctx: BuildContext): PlanStep[] {
  const steps: PlanStep[] = [];
  const linux = spec.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const proc = spec.process;
  if (!proc) throw new Error("process: missing (a container needs a command)");

  // Namespaces: new ones by clone flags, existing ones by setns before clone.
  // The cgroup namespace is unshared by the child after GO, once TS has put it
  // in its cgroups, so that /proc/self/cgroup shows "/" inside.
  // A time namespace with offsets is made by the child's TIME_NS op instead:
  // the kernel takes offsets only until a process enters the namespace, and
  // clone would put the child in it at once.
  const offsets = linux.timeOffsets;
  let cloneFlags = 0n;
  let newCgroupNs = false;
  let newTimeNs = false;
  for (const ns of namespaces) {
    if (ns.path) continue;
    if (ns.type === "cgroup") newCgroupNs = true;
    else if (ns.type === "time" && offsets) newTimeNs = true;
    else cloneFlags |= NS_FLAG[ns.type];
  }
  if (offsets && !newTimeNs) throw new Error('linux.timeOffsets: needs a new time namespace ({"type": "time"} without a path) in linux.namespaces');
  steps.push({ op: "processName", name: "zoo-init" });
  for (const type of SETNS_ORDER) {
    const ns = namespaces.find((n) => n.type === type && n.path);
    if (ns?.path) steps.push({ op: "setns", nstype: Number(NS_FLAG[type]), path: ns.path });
  }
  steps.push({ op: "clone", flags: cloneFlags });
  if (ctx.cgroupFd !== null) steps.push({ op: "cgroupFd", fd: ctx.cgroupFd });
  steps.push({ op: "options", bits: Opt.WAIT_SETUP | (ctx.foreground ? Opt.FOREGROUND : 0) | (ctx.exitOnStart ? Opt.EXIT_ON_START : 0) });
  // Until then the child's ids are unmapped in its own user namespace (it
  // shows as the overflow id), so mounts and mkdirs would fail with EOVERFLOW.
  // The writes to /proc/self go first of all: the host's /proc is still there
  // to reach it, and the child still owns its /proc files (the switch of ids
  // below makes it non-dumpable, its files host root's, which the root of a
  // user namespace mapped elsewhere cannot write).
  if (offsets) {
    const at = (c: { secs?: number; nanosecs?: number } | undefined): [bigint, number] => [BigInt(c?.secs ?? 0), c?.nanosecs ?? 0];
    steps.push({ op: "timeNs", monotonic: at(offsets.monotonic), boottime: at(offsets.boottime) });
  }
  // Lowering it below our own value needs CAP_SYS_RESOURCE, as runc's write does.
  if (proc.oomScoreAdj !== undefined) steps.push(oomScoreAdjStep(proc.oomScoreAdj));
  if (ctx.becomeNsRoot) steps.push({ op: "setgid", gid: 0 }, { op: "setuid", uid: 0 });

  const newMountNs = (cloneFlags & CLONE.NEWNS) !== 0n;
  if (newMountNs) {
    // Nothing we mount may propagate back to the host (and vice versa).
    steps.push({ op: "mount", source: null, target: "/", fstype: null, flags: MS.REC | MS.PRIVATE, data: null });
  }
  const root = ctx.rootMount;
  if (root !== null) {
    if (!spec.root?.path) throw new Error("root.path: missing");
    if (!newMountNs) throw new Error("linux.namespaces: a root filesystem needs a mount namespace");
    // Until pivot_root the shim resolves every path below `root` inside it, so
    // an image's symlinks cannot aim a mount, mkdir or device node at the host.
    steps.push({ op: "rootfs", path: root });
    const ov = ctx.rootOverlay;
    if (ov) {
      // Mounted by the child, after the id maps exist, so a rootless overlay
      // belongs to the container's user namespace.
      const data = `lowerdir=${ov.lower.join(":")},upperdir=${ov.upper},workdir=${ov.work}${ov.userxattr ? ",userxattr" : ""}`;
      steps.push({ op: "mount", source: "overlay", target: root, fstype: "overlay", flags: 0n, data });
    } else {
      // Usually onto itself (target === source): pivot_root needs a mount point.
      steps.push({ op: "mount", source: spec.root.path, target: root, fstype: null, flags: MS.BIND | MS.REC, data: null });
    }
  }

  for (const m of spec.mounts ?? []) steps.push(...mountSteps(m, root, ctx));

  if (root !== null) {
    const devIsOurs = (spec.mounts ?? []).some((m) => m.destination === "/dev" && m.type === "tmpfs");
    const devices = [...(devIsOurs ? DEFAULT_DEVICES : []), ...(linux.devices ?? [])];
    const seen = new Set<string>();
    for (const d of devices.reverse()) {
      // Later (explicit) entries win over the defaults for the same path.
      if (seen.has(d.path)) continue;
      seen.add(d.path);
      const type = d.type === "b" ? S_IFBLK : d.type === "p" ? S_IFIFO : S_IFCHR;
      steps.push({
        op: "device",
        path: join(root, d.path),
        mode: type | (d.fileMode ?? 0o666),
        major: d.major ?? 0,
        minor: d.minor ?? 0,
        uid: d.uid ?? 0,
        gid: d.gid ?? 0,
        bindFallback: ctx.hostDevice ? ctx.hostDevice(d.path) : d.path,
      });
    }
    if (devIsOurs) {
      const hasPts = (spec.mounts ?? []).some((m) => m.destination === "/dev/pts");
      for (const [link, target] of DEV_SYMLINKS) {
        if (link === "/dev/ptmx" && !hasPts) continue;
        steps.push({ op: "symlink", target, linkpath: join(root, link) });
      }
    }
    // The agent's socket is a host path: connect while the host's tree is still in reach.
    if (ctx.seccomp?.listener) steps.push({ op: "seccompListener", ...ctx.seccomp.listener });
    // prestart/createRuntime/createContainer hooks run while the child waits
    // here: namespaces and mounts exist, pivot_root has not happened.
    if (ctx.hooksCheckpoint !== undefined) steps.push({ op: "waitStart", fifo: ctx.hooksCheckpoint });
    // pivot_root(".", ".") stacks the old root on top of the new one; the lazy
    // unmount then drops the host's tree from this namespace for good.
    steps.push({ op: "chdir", path: root });
    if (ctx.noPivot) {
      // The rootfs mount moved over this namespace's / and chroot into it.
      // The host's tree stays mounted underneath, hidden but one umount of /
      // (CAP_SYS_ADMIN) away: only on request, as runc has it.
      steps.push({ op: "mount", source: ".", target: "/", fstype: null, flags: MS.MOVE, data: null });
      steps.push({ op: "chroot", path: "." });
    } else {
      steps.push({ op: "pivotRoot", newRoot: ".", putOld: "." });
      steps.push({ op: "umount", path: ".", flags: MNT_DETACH });
    }
    steps.push({ op: "chdir", path: "/" });
    // As runc: a working directory the image lacks is made (before / may turn
    // read-only). Not in the kernel's filesystems: a cwd there (the
    // /proc/self/fd/N of CVE-2024-21626) is for chdir to refuse, by name.
    if (proc.cwd !== "/" && !/^\/(proc|sys|dev)(\/|$)/.test(proc.cwd)) steps.push({ op: "mkdir", path: proc.cwd, mode: 0o755, flags: MkdirFlag.PARENTS | MkdirFlag.EXIST_OK });
    if (spec.root?.readonly) {
      steps.push({ op: "mount", source: null, target: "/", fstype: null, flags: MS.REMOUNT | MS.BIND | MS.RDONLY, data: null });
    }
    // On the new "/" (after pivot_root, as runc): before it, a shared
    // propagation would reach the host's tree.
    const prop = linux.rootfsPropagation ? PROPAGATION[linux.rootfsPropagation] : undefined;
    if (prop !== undefined && prop !== (MS.REC | MS.PRIVATE)) steps.push({ op: "mount", source: null, target: "/", fstype: null, flags: prop, data: null });
  }

  // In the container's final view (after pivot_root, so the paths mean what
  // the process will see) and while the process still holds CAP_SYS_ADMIN.
  const masked = linux.maskedPaths ?? [];
  const readonly = linux.readonlyPaths ?? [];
  if ((masked.length || readonly.length) && !newMountNs) {
    // Without a mount namespace these mounts would land on the host.
    throw new Error("linux.maskedPaths/readonlyPaths: need a mount namespace");
  }
  for (const [field, paths] of [["linux.readonlyPaths", readonly], ["linux.maskedPaths", masked]] as const) {
    for (const p of paths) if (!p.startsWith("/")) throw new Error(`${field}: "${p}" is not an absolute path`);
  }
  // Through the container's own /proc, before /proc/sys is made read-only;
  // validation allowed only sysctls of namespaces the container owns.
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    steps.push({ op: "writeFile", path: `/proc/sys/${key.replace(/\./g, "/")}`, content: new TextEncoder().encode(value), flags: 0 });
  }
  for (const p of readonly) steps.push({ op: "readonlyPath", path: p });
  for (const p of masked) steps.push({ op: "maskPath", path: p });

  if (spec.hostname !== undefined) steps.push({ op: "sethostname", name: spec.hostname });
  if (spec.domainname !== undefined) steps.push({ op: "setdomainname", name: spec.domainname });
  if (newCgroupNs) steps.push({ op: "unshare", flags: CLONE.NEWCGROUP });

  for (const r of proc.rlimits ?? []) {
    const resource = RLIMIT[r.type];
    if (resource === undefined) throw new Error(`process.rlimits: unknown type "${r.type}"`);
    steps.push({ op: "rlimit", resource, soft: rlimitValue(r.soft), hard: rlimitValue(r.hard) });
  }

  // linux.personality (validated: LINUX or LINUX32), before any filter is loaded.
  const persona = (spec.linux as { personality?: { domain: string } } | undefined)?.personality;
  if (persona) steps.push({ op: "personality", persona: persona.domain === "LINUX32" ? PER_LINUX32 : PER_LINUX });
  const { uid, gid, additionalGids = [], umask } = proc.user;
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN in the
  // effective set, which a switch to a non-root uid clears: load it first
  // (`zoo run -u`). A terminal keeps its place before the filter (below).
  const seccompEarly = ctx.seccomp !== null && !proc.noNewPrivileges;
  const seccompBeforeIds = seccompEarly && uid !== 0 && ctx.consoleSocketFd === undefined;
  if (seccompBeforeIds && root === null && ctx.seccomp?.listener) steps.push({ op: "seccompListener", ...ctx.seccomp.listener });
  if (seccompBeforeIds && ctx.seccomp) steps.push({ op: "seccomp", flags: ctx.seccomp.flags, program: ctx.seccomp.program });
  if (ctx.setgroupsAllowed) steps.push({ op: "setgroups", gids: [...new Set(additionalGids)] });
  if (gid !== 0) steps.push({ op: "setgid", gid });
  if (uid !== 0) steps.push({ op: "setuid", uid });
  steps.push({ op: "umask", mask: umask ?? 0o022 });
  steps.push({ op: "chdir", path: proc.cwd });
  // After pivot_root, so /dev/ptmx is the container's devpts; after the uid
  // switch, so the pty belongs to the process's user; before capabilities
  // and seccomp, which could refuse what it does.
  if (ctx.consoleSocketFd !== undefined) {
    steps.push({ op: "tty", socketFd: ctx.consoleSocketFd, rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0 });
  }

  // Capabilities go after every step that needs privilege, then no_new_privs,
  // then seccomp: the filter is the last thing loaded before execve. Without
  // no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it goes in while
  // the process still has it, just before the capabilities are dropped.
  if (!seccompBeforeIds && root === null && ctx.seccomp?.listener) steps.push({ op: "seccompListener", ...ctx.seccomp.listener });
  if (seccompEarly && !seccompBeforeIds && ctx.seccomp) steps.push({ op: "seccomp", flags: ctx.seccomp.flags, program: ctx.seccomp.program });
  if (proc.capabilities) steps.push(capsStep(proc.capabilities));
  if (proc.noNewPrivileges) steps.push({ op: "noNewPrivs" });
  steps.push({ op: "closeFds", preserve: ctx.preserveFds ?? 0 });
  if (ctx.seccomp && !seccompEarly) steps.push({ op: "seccomp", flags: ctx.seccomp.flags, program: ctx.seccomp.program });

  const env = proc.env ?? [];
  const arg0 = proc.args[0];
  if (arg0 === undefined || arg0 === "") throw new Error("process.args: empty (a container needs a command)");
  // Last before exec, so `create` has done every step that can fail and `start` only lets it run.
  if (ctx.waitStart !== undefined) steps.push({ op: "waitStart", fifo: ctx.waitStart });
  steps.push({ op: "exec", path: arg0, args: proc.args, env });
  return steps;
}

export const oomScoreAdjStep = (v: number): PlanStep => ({ op: "writeFile", path: "/proc/self/oom_score_adj", content: new TextEncoder().encode(String(v)), flags: 0 });

// JSON's RLIM_INFINITY (2^64-1) parses as the double 2^64, which would wrap to 0 in a u64.
const RLIM_INFINITY = (1n << 64n) - 1n;
const rlimitValue = (n: number) => (n >= 2 ** 64 ? RLIM_INFINITY : BigInt(n));

/**
 * A "cgroup" mount where the host has v1 hierarchies: one cgroupfs cannot be
 * mounted with every controller (they are mounted apart already: EBUSY), so,
 * as runc does, a tmpfs with each hierarchy's directory of this container
 * bound into it under the hierarchy's name, read-only if the mount is.
 */
function cgroupV1Steps(target: string, flags: bigint, paths: NonNullable<BuildContext["cgroupPaths"]>): PlanStep[] {
  const steps: PlanStep[] = [
    { op: "mkdir", path: target, mode: 0o755, flags: MkdirFlag.PARENTS | MkdirFlag.EXIST_OK },
    { op: "mount", source: "tmpfs", target, fstype: "tmpfs", flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: "mode=755" },
  ];
  const ro = flags & MS.RDONLY;
  for (const p of paths) {
    const sub = `${target}/${p.mountPoint.slice(p.mountPoint.lastIndexOf("/") + 1)}`;
    steps.push({ op: "mkdir", path: sub, mode: 0o755, flags: MkdirFlag.EXIST_OK });
    steps.push({ op: "mount", source: p.dir, target: sub, fstype: null, flags: MS.BIND, data: null });
    steps.push({ op: "mount", source: null, target: sub, fstype: null, flags: MS.REMOUNT | MS.BIND | MS.NOSUID | MS.NODEV | MS.NOEXEC | ro, data: null });
  }
  if (ro) steps.push({ op: "mount", source: null, target, fstype: null, flags: MS.REMOUNT | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, data: "mode=755" });
  return steps;
}

function mountSteps(m: Mount, root: string | null, ctx: BuildContext): PlanStep[] {
  const { flags, propagation, data } = parseMountOptions(m.options);
  if (m.type === "cgroup" && ctx.cgroupPaths?.some((p) => p.version === 1)) return cgroupV1Steps(join(root, m.destination), flags, ctx.cgroupPaths);
  // On a cgroup v2 host "cgroup" means the unified hierarchy (runc's reading too).
  if (m.type === "cgroup" && ctx.cgroupPaths?.length && ctx.cgroupPaths.every((p) => p.version === 2)) m = { ...m, type: "cgroup2", source: "cgroup2" };
  const target = join(root, m.destination);
  const isBind = m.type === "bind" || (flags & MS.BIND) !== 0n;
  const steps: PlanStep[] = [];
  if (isBind && m.source && ctx.sourceIsFile?.(m.source)) {
    // As runc: the file's directory is made if the image lacks it (podman binds /run/.containerenv).
    const parent = target.slice(0, target.lastIndexOf("/"));
    if (parent && parent !== root?.replace(/\/$/, "")) steps.push({ op: "mkdir", path: parent, mode: 0o755, flags: MkdirFlag.PARENTS | MkdirFlag.EXIST_OK });
    steps.push({ op: "writeFile", path: target, content: new Uint8Array(), flags: WriteFlag.CREATE });
  } else {
    steps.push({ op: "mkdir", path: target, mode: 0o755, flags: MkdirFlag.PARENTS | MkdirFlag.EXIST_OK });
  }
  let dataOpts = data;
  if (m.type === "devpts") dataOpts = dataOpts.filter((o) => !o.startsWith("gid=") || ctx.gidMapped(Number(o.slice(4))));
  const dataStr = dataOpts.length ? dataOpts.join(",") : null;
  if (isBind) {
    steps.push({ op: "mount", source: m.source ?? null, target, fstype: null, flags: MS.BIND | (flags & MS.REC), data: null });
    // A bind mount ignores most flags until it is remounted with them.
    const extra = flags & ~(MS.BIND | MS.REC);
    if (extra) steps.push({ op: "mount", source: null, target, fstype: null, flags: MS.REMOUNT | MS.BIND | extra, data: null });
  } else {
    steps.push({ op: "mount", source: m.source ?? m.type ?? "none", target, fstype: m.type ?? null, flags, data: dataStr });
  }
  if (propagation) steps.push({ op: "mount", source: null, target, fstype: null, flags: propagation, data: null });
  return steps;
}

/**
 * The capability sets as the process will have them. An ambient capability
 * must also be permitted and inheritable (capset refuses it otherwise): the
 * rest are dropped, as runc does.
 */
export function capsStep(c: NonNullable<Process["capabilities"]>): PlanStep {
  const permitted = capMask(c.permitted, "process.capabilities.permitted");
  const inheritable = capMask(c.inheritable, "process.capabilities.inheritable");
  return {
    op: "caps",
    bounding: capMask(c.bounding, "process.capabilities.bounding"),
    effective: capMask(c.effective, "process.capabilities.effective"),
    permitted,
    inheritable,
    ambient: capMask(c.ambient, "process.capabilities.ambient") & permitted & inheritable,
  };
}

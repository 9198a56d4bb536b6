// A bundle's config.json → a Spec zoo can run, or one line naming the field
// and value that is wrong or not supported. Pure: the host's limits come in
// through the context so the checks are testable anywhere. The Spec returned
// shares its nested objects with the input.
import { isAbsolute, resolve } from "node:path";
import { capBit } from "./caps.ts";
import { PROPAGATION } from "./mount-options.ts";
import type { Spec } from "./spec.ts";
import { RLIMIT } from "../sys/constants.ts";
import { CgroupConfigError } from "../cgroups/errors.ts";
import { validateResources, type Resources as CgroupResources } from "../cgroups/limits.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface ValidateContext {
  /** Absolute bundle directory: root.path is relative to it. */
  bundle: string;
  /** The hard limit this process may not exceed for an rlimit, or null if it may raise it (CAP_SYS_RESOURCE). */
  rlimitCeiling: (type: string) => bigint | null;
  /** --systemd-cgroup: cgroupsPath is "slice:prefix:name", not a path. */
  systemdCgroup?: boolean;
}

const NAMESPACES = new Set(["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]);
const RLIM_INFINITY = 0xffffffffffffffffn;
// devices: applied by src/runtime/device-cgroup/ (v1 devices files or a v2 eBPF program);
// the rest go through the cgroup layer's resource model (src/cgroups/limits.ts).
const SUPPORTED_RESOURCES = new Set(["memory", "cpu", "pids", "devices", "blockIO", "hugepageLimits", "network", "rdma", "unified"]);
// Every field zoo-runtime honours (or refuses with its own message above):
// a newer field it does not know (scheduler, ioPriority, memoryPolicy,
// netDevices...) is refused rather than silently dropped.
const PROCESS_FIELDS = new Set([
  "terminal", "consoleSize", "cwd", "env", "args", "rlimits", "apparmorProfile", "capabilities",
  "noNewPrivileges", "oomScoreAdj", "selinuxLabel", "user",
]);
const LINUX_FIELDS = new Set([
  "namespaces", "uidMappings", "gidMappings", "timeOffsets", "devices", "cgroupsPath", "resources", "rootfsPropagation",
  "seccomp", "sysctl", "maskedPaths", "readonlyPaths", "mountLabel", "intelRdt", "personality",
]);

const fail = (field: string, why: string): never => {
  throw new ConfigError(`${field}: ${why}`);
};
const show = (v: unknown) => JSON.stringify(v);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) fail(field, `must be an object, got ${show(v)}`);
  return v as Obj;
}
function strArray(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) fail(field, `must be an array of strings, got ${show(v)}`);
  return v as string[];
}
function uint(v: unknown, field: string, max = 0xffffffff): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) fail(field, `must be an integer 0..${max}, got ${show(v)}`);
  return v as number;
}

export function validateConfig(raw: unknown, ctx: ValidateContext): Spec {
  const c = obj(raw, "config.json");
  if (typeof c.ociVersion !== "string" || !/^1\.\d+\.\d+/.test(c.ociVersion)) {
    fail("ociVersion", `must be a 1.x.y version string, got ${show(c.ociVersion)}`);
  }
  if (c.hooks !== undefined) checkHooks(obj(c.hooks, "hooks"));

  const root = obj(c.root, "root");
  if (typeof root.path !== "string" || root.path === "") fail("root.path", `must be a non-empty string, got ${show(root.path)}`);
  const rootPath = resolve(ctx.bundle, root.path as string);

  const p = obj(c.process, "process");
  if (p.terminal !== undefined && typeof p.terminal !== "boolean") fail("process.terminal", `must be true or false, got ${show(p.terminal)}`);
  if (p.consoleSize !== undefined) {
    const cs = obj(p.consoleSize, "process.consoleSize");
    uint(cs.height, "process.consoleSize.height", 0xffff);
    uint(cs.width, "process.consoleSize.width", 0xffff);
  }
  const args = strArray(p.args, "process.args");
  if (args.length === 0 || args[0] === "") fail("process.args", "must name a command");
  if (typeof p.cwd !== "string" || !isAbsolute(p.cwd)) fail("process.cwd", `must be an absolute path, got ${show(p.cwd)}`);
  if (p.env !== undefined) strArray(p.env, "process.env");
  const user = obj(p.user, "process.user");
  uint(user.uid, "process.user.uid");
  uint(user.gid, "process.user.gid");
  if (user.umask !== undefined) uint(user.umask, "process.user.umask", 0o7777);
  if (user.additionalGids !== undefined) (user.additionalGids as unknown[]).forEach((g, i) => uint(g, `process.user.additionalGids[${i}]`));
  if (p.apparmorProfile) fail("process.apparmorProfile", `${show(p.apparmorProfile)}: AppArmor is not supported`);
  if (p.selinuxLabel) fail("process.selinuxLabel", `${show(p.selinuxLabel)}: SELinux is not supported`);
  if (p.oomScoreAdj !== undefined && !(Number.isInteger(p.oomScoreAdj) && Math.abs(p.oomScoreAdj as number) <= 1000)) {
    fail("process.oomScoreAdj", `must be an integer from -1000 to 1000, got ${show(p.oomScoreAdj)}`);
  }
  for (const k of Object.keys(p)) if (!PROCESS_FIELDS.has(k)) fail(`process.${k}`, "is not supported; remove it");
  if (p.capabilities !== undefined) {
    const caps = obj(p.capabilities, "process.capabilities");
    for (const [set, names] of Object.entries(caps)) {
      for (const n of strArray(names, `process.capabilities.${set}`)) {
        if (capBit(n) === undefined) fail(`process.capabilities.${set}`, `unknown capability ${show(n)}`);
      }
    }
    // An ambient capability missing from permitted or inheritable cannot be
    // raised; runc leaves it out without a word, and its own `runc spec`
    // lists ambient capabilities with no inheritable set, so the plan builder
    // drops them too instead of refusing that config.
  }
  checkRlimits(p.rlimits, ctx);

  if (c.hostname !== undefined && typeof c.hostname !== "string") fail("hostname", `must be a string, got ${show(c.hostname)}`);
  if (c.mounts !== undefined) {
    if (!Array.isArray(c.mounts)) fail("mounts", "must be an array");
    (c.mounts as unknown[]).forEach((m, i) => {
      const mo = obj(m, `mounts[${i}]`);
      if (typeof mo.destination !== "string" || !isAbsolute(mo.destination)) {
        fail(`mounts[${i}].destination`, `must be an absolute path, got ${show(mo.destination)}`);
      }
      if (mo.options !== undefined) strArray(mo.options, `mounts[${i}].options`);
    });
  }

  // The container reopens its start fifo through /proc/self/fd after pivot_root.
  if (!((c.mounts as Obj[] | undefined) ?? []).some((m) => m.destination === "/proc" || m.destination === "/proc/")) {
    fail("mounts", "zoo-runtime needs a /proc mount in the container (create/start synchronise through /proc/self/fd)");
  }

  const linux = c.linux === undefined ? {} : obj(c.linux, "linux");
  const nsList = linux.namespaces === undefined ? [] : (linux.namespaces as unknown[]);
  if (!Array.isArray(nsList)) fail("linux.namespaces", "must be an array");
  const seen = new Set<string>();
  nsList.forEach((n, i) => {
    const ns = obj(n, `linux.namespaces[${i}]`);
    if (typeof ns.type !== "string" || !NAMESPACES.has(ns.type)) fail(`linux.namespaces[${i}].type`, `unknown namespace type ${show(ns.type)}`);
    if (seen.has(ns.type as string)) fail(`linux.namespaces[${i}].type`, `${show(ns.type)} is listed twice`);
    seen.add(ns.type as string);
    if (ns.path !== undefined && (typeof ns.path !== "string" || !isAbsolute(ns.path))) {
      fail(`linux.namespaces[${i}].path`, `must be an absolute path, got ${show(ns.path)}`);
    }
  });
  if (!seen.has("mount")) fail("linux.namespaces", "a root filesystem needs a mount namespace; add {\"type\": \"mount\"}");
  const newUserNs = nsList.some((n) => (n as Obj).type === "user" && (n as Obj).path === undefined);
  for (const f of ["uidMappings", "gidMappings"] as const) {
    const maps = linux[f];
    if (maps === undefined) continue;
    if (!Array.isArray(maps)) fail(`linux.${f}`, "must be an array");
    if ((maps as unknown[]).length > 0 && !newUserNs) fail(`linux.${f}`, "needs a new user namespace in linux.namespaces");
    (maps as unknown[]).forEach((m, i) => {
      const mo = obj(m, `linux.${f}[${i}]`);
      for (const k of ["containerID", "hostID", "size"]) uint(mo[k], `linux.${f}[${i}].${k}`);
    });
  }
  if (newUserNs && !(linux.uidMappings as unknown[] | undefined)?.length) fail("linux.uidMappings", "a new user namespace needs uid mappings");
  if (newUserNs && !(linux.gidMappings as unknown[] | undefined)?.length) fail("linux.gidMappings", "a new user namespace needs gid mappings");

  if (linux.cgroupsPath !== undefined) {
    const cp = linux.cgroupsPath;
    if (typeof cp !== "string") fail("linux.cgroupsPath", `must be a string, got ${show(cp)}`);
    if (ctx.systemdCgroup) {
      if ((cp as string).split(":").length !== 3) fail("linux.cgroupsPath", `${show(cp)}: with --systemd-cgroup it must be "slice:prefix:name"`);
    } else {
      if ((cp as string).includes(":")) fail("linux.cgroupsPath", `${show(cp)} looks like a systemd slice:prefix:name path; pass --systemd-cgroup`);
    }
  }
  if (linux.cgroupsPath !== undefined && !ctx.systemdCgroup) {
    const cp = linux.cgroupsPath;
    const parts = (cp as string).split("/").filter(Boolean);
    if (parts.length === 0) fail("linux.cgroupsPath", `${show(cp)} names no cgroup`);
    if (parts.includes("..") || parts.includes(".")) fail("linux.cgroupsPath", `${show(cp)} must not contain "." or ".."`);
  }
  if (linux.resources !== undefined) {
    const { devices: _devices, ...limits } = obj(linux.resources, "linux.resources");
    for (const k of Object.keys(limits)) {
      if (!SUPPORTED_RESOURCES.has(k)) fail(`linux.resources.${k}`, "is not supported");
    }
    // Ranges and shapes now, before anything exists; what the host has (devices, page sizes, controllers) at create.
    try {
      validateResources(limits as CgroupResources);
    } catch (e) {
      if (e instanceof CgroupConfigError) fail("linux.resources", e.message);
      throw e;
    }
  }
  if (linux.sysctl !== undefined) checkSysctl(obj(linux.sysctl, "linux.sysctl"), seen, nsList as Obj[]);
  if (linux.intelRdt !== undefined) fail("linux.intelRdt", "Intel RDT (resctrl) is not supported; remove it");
  if (linux.personality !== undefined) checkPersonality(linux.personality);
  if (linux.timeOffsets !== undefined) checkTimeOffsets(linux.timeOffsets, nsList as Obj[]);
  for (const k of Object.keys(linux)) if (!LINUX_FIELDS.has(k)) fail(`linux.${k}`, "is not supported; remove it");
  if (linux.mountLabel) fail("linux.mountLabel", "SELinux is not supported");
  const prop = linux.rootfsPropagation;
  if (prop !== undefined && prop !== "" && (typeof prop !== "string" || !Object.hasOwn(PROPAGATION, prop))) {
    fail("linux.rootfsPropagation", `${show(prop)}: want one of ${Object.keys(PROPAGATION).join(", ")}`);
  }

  // A shallow copy: the nested objects are the caller's (loadBundle's freshly
  // parsed JSON); a deep clone of a config with a seccomp profile cost a millisecond.
  return { ...(c as unknown as Spec), root: { ...(root as unknown as Spec["root"] & object), path: rootPath } };
}

/**
 * runc's rule: only sysctls of a namespace the container has its own copy of
 * may be set (they are written in the container's /proc/sys), so the host's
 * settings never change.
 */
function checkSysctl(sysctl: Obj, seen: Set<string>, _namespaces: Obj[]): void {
  // A namespace joined by path (podman's network namespace) counts as the container's own.
  const own = (type: string) => seen.has(type);
  const IPC = new Set(["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]);
  for (const [key, value] of Object.entries(sysctl)) {
    const field = `linux.sysctl[${show(key)}]`;
    if (typeof value !== "string") fail(field, `must be a string, got ${show(value)}`);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.\/-]*$/.test(key) || key.includes("..")) fail(field, "is not a sysctl name");
    const ok = key.startsWith("net.") ? own("network") : IPC.has(key) || key.startsWith("fs.mqueue.") ? own("ipc") : key === "kernel.hostname" || key === "kernel.domainname" ? own("uts") : false;
    if (!ok) fail(field, "is not allowed: only sysctls of a namespace the container does not share with the host (net.* with a network namespace, IPC ones with an ipc namespace)");
  }
}

const HOOK_NAMES = new Set(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);

function checkHooks(hooks: Obj): void {
  for (const [name, list] of Object.entries(hooks)) {
    if (!Array.isArray(list)) fail(`hooks.${name}`, `must be an array, got ${show(list)}`);
    // A hook that would silently never run is worse than a refusal.
    if (!HOOK_NAMES.has(name)) {
      if ((list as unknown[]).length > 0) fail(`hooks.${name}`, `unknown hook type (known: ${[...HOOK_NAMES].join(", ")})`);
      continue;
    }
    (list as unknown[]).forEach((h, i) => {
      const field = `hooks.${name}[${i}]`;
      const hook = obj(h, field);
      if (typeof hook.path !== "string" || !isAbsolute(hook.path)) fail(`${field}.path`, `must be an absolute path, got ${show(hook.path)}`);
      if (hook.args !== undefined) strArray(hook.args, `${field}.args`);
      if (hook.env !== undefined) strArray(hook.env, `${field}.env`);
      if (hook.timeout !== undefined && (typeof hook.timeout !== "number" || !Number.isInteger(hook.timeout) || hook.timeout <= 0)) {
        fail(`${field}.timeout`, `must be a whole number of seconds above 0, got ${show(hook.timeout)}`);
      }
    });
  }
}

function checkRlimits(v: unknown, ctx: ValidateContext): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) fail("process.rlimits", "must be an array");
  const seen = new Set<string>();
  (v as unknown[]).forEach((r, i) => {
    const field = `process.rlimits[${i}]`;
    const rl = obj(r, field);
    const type = rl.type;
    if (typeof type !== "string" || RLIMIT[type] === undefined) fail(`${field}.type`, `unknown rlimit ${show(type)}`);
    if (seen.has(type as string)) fail(`${field}.type`, `${type} is listed twice`);
    seen.add(type as string);
    const soft = limitValue(rl.soft, `${field}.soft`);
    const hard = limitValue(rl.hard, `${field}.hard`);
    if (soft > hard) fail(field, `${type} soft limit ${soft} is above its hard limit ${hard}`);
    const ceiling = ctx.rlimitCeiling(type as string);
    if (ceiling !== null && hard > ceiling) {
      fail(field, `${type} hard limit ${hard} is above this host's hard limit ${ceiling === RLIM_INFINITY ? "unlimited" : ceiling}, and raising it needs CAP_SYS_RESOURCE`);
    }
  });
}

function limitValue(v: unknown, field: string): bigint {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(field, `must be a non-negative integer, got ${show(v)}`);
  // JSON numbers above 2^53 lose precision; anything that large means "no limit".
  return (v as number) >= Number.MAX_SAFE_INTEGER ? RLIM_INFINITY : BigInt(v as number);
}

/** As runc: the LINUX and LINUX32 execution domains, without flags. */
function checkPersonality(p: unknown): void {
  const v = p as { domain?: unknown; flags?: unknown };
  if (typeof v !== "object" || v === null || (v.domain !== "LINUX" && v.domain !== "LINUX32")) {
    fail("linux.personality", `${show(p)}: domain must be "LINUX" or "LINUX32"`);
  }
  if (v.flags !== undefined && (!Array.isArray(v.flags) || v.flags.length > 0)) {
    fail("linux.personality.flags", `${show(v.flags)}: personality flags are not supported; remove them`);
  }
}

// KTIME_SEC_MAX: the kernel refuses an offset beyond it in either direction.
const KTIME_SEC_MAX = 9_223_372_036;

/** monotonic and boottime offsets of a time namespace the container makes (runc's rules). */
function checkTimeOffsets(v: unknown, namespaces: Obj[]): void {
  const offsets = obj(v, "linux.timeOffsets");
  const time = namespaces.find((n) => n.type === "time");
  if (!time) fail("linux.timeOffsets", 'needs a time namespace: add {"type": "time"} to linux.namespaces');
  if (time!.path !== undefined) fail("linux.timeOffsets", `cannot be set on the time namespace joined at ${show(time!.path)} (its clocks are its own); remove one of them`);
  for (const [clock, off] of Object.entries(offsets)) {
    const field = `linux.timeOffsets.${clock}`;
    if (clock !== "monotonic" && clock !== "boottime") fail(field, 'only "monotonic" and "boottime" clocks have offsets');
    const o = obj(off, field);
    for (const k of Object.keys(o)) if (k !== "secs" && k !== "nanosecs") fail(`${field}.${k}`, 'is not a field (want "secs" and "nanosecs")');
    if (o.secs !== undefined && (!Number.isSafeInteger(o.secs) || Math.abs(o.secs as number) > KTIME_SEC_MAX)) {
      fail(`${field}.secs`, `must be an integer from -${KTIME_SEC_MAX} to ${KTIME_SEC_MAX}, got ${show(o.secs)}`);
    }
    if (o.nanosecs !== undefined) uint(o.nanosecs, `${field}.nanosecs`, 999_999_999);
  }
}

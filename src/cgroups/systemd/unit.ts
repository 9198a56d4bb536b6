// Pure decisions of the systemd cgroup manager: which manager is in force,
// which bus to ask, what the transient scope is called and what it asks for.
import type { Variant } from "../../sys/dbus/wire.ts";
import { CgroupConfigError } from "../errors.ts";

export type CgroupManager = "cgroupfs" | "systemd";
export const MANAGER_ENV = "ZOO_CGROUP_MANAGER";
/** Where rootful scopes go, as runc's go under system.slice. */
export const ROOTFUL_SLICE = "zoo.slice";
/** The leaf the engine moves itself to, so the scope's own cgroup has no processes and can hand controllers down. */
export const SUPERVISOR_LEAF = "supervisor";

export function parseManager(v: string, where: string): CgroupManager {
  if (v === "cgroupfs" || v === "systemd") return v;
  throw new CgroupConfigError(`${where} ${JSON.stringify(v)}: want cgroupfs or systemd`);
}

export interface ManagerContext {
  /** Explicit choice (--cgroup-manager), beats the environment. */
  flag?: CgroupManager;
  env: Record<string, string | undefined>;
  /** systemd is the init system (/run/systemd/system exists). */
  systemdBooted: boolean;
}

/**
 * The manager in force: the flag, then ZOO_CGROUP_MANAGER, then systemd
 * when systemd runs the machine and no ZOO_CGROUP_PARENT asks for a cgroupfs
 * path, else cgroupfs (hosts without systemd, and containers).
 */
export function chooseManager(c: ManagerContext): CgroupManager {
  if (c.flag) return c.flag;
  const fromEnv = c.env[MANAGER_ENV];
  if (fromEnv) return parseManager(fromEnv, MANAGER_ENV);
  if (c.env.ZOO_CGROUP_PARENT) return "cgroupfs";
  return c.systemdBooted ? "systemd" : "cgroupfs";
}

/** The bus of the manager that owns our cgroups: the system bus for root, the user's session bus otherwise. */
export function busAddress(uid: number, env: Record<string, string | undefined>): string {
  if (uid === 0) return env.DBUS_SYSTEM_BUS_ADDRESS || "unix:path=/run/dbus/system_bus_socket";
  if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
  return `unix:path=${env.XDG_RUNTIME_DIR || `/run/user/${uid}`}/bus`;
}

const UNIT_CHARS = /^[A-Za-z0-9:_.\\-]+$/;

export function checkUnitName(name: string, suffix: ".scope" | ".slice"): void {
  if (!name.endsWith(suffix) || name.length > 255 || !UNIT_CHARS.test(name) || name === suffix) {
    throw new CgroupConfigError(`invalid systemd unit name ${JSON.stringify(name)}: want letters, digits, ":_.-\\" ending in ${suffix}`);
  }
}

/**
 * zoo-runtime --systemd-cgroup: cgroupsPath "slice:prefix:name" names the
 * scope "prefix-name.scope" in "slice" (runc's convention); an empty slice is
 * the default one, no cgroupsPath at all is "zoo.slice:zoo:<id>".
 */
export function parseSystemdCgroupsPath(cgroupsPath: string | undefined, id: string, rootless: boolean): { slice?: string; unit: string } {
  const defaultSlice = rootless ? undefined : ROOTFUL_SLICE;
  if (!cgroupsPath) return { slice: defaultSlice, unit: `zoo-${id}.scope` };
  const parts = cgroupsPath.split(":");
  if (parts.length !== 3) {
    throw new CgroupConfigError(`cgroupsPath ${JSON.stringify(cgroupsPath)}: with --systemd-cgroup it must be "slice:prefix:name"`);
  }
  const [slice, prefix, name] = parts as [string, string, string];
  if (name === "") throw new CgroupConfigError(`cgroupsPath ${JSON.stringify(cgroupsPath)}: the name part is empty`);
  const unit = name.endsWith(".scope") ? name : prefix === "" ? `${name}.scope` : `${prefix}-${name}.scope`;
  checkUnitName(unit, ".scope");
  if (slice !== "") checkUnitName(slice, ".slice");
  return { slice: slice === "" ? defaultSlice : slice, unit };
}

export interface ScopeRequest {
  unit: string;
  /** Parent slice; undefined = the manager's default. */
  slice?: string;
  pid: number;
  description: string;
}

/** StartTransientUnit's properties (a(sv)) for a delegated scope holding `pid`. */
export function scopeProperties(r: ScopeRequest): [string, Variant][] {
  const props: [string, Variant][] = [
    ["Description", { sig: "s", value: r.description }],
    ["PIDs", { sig: "au", value: [r.pid] }],
    ["Delegate", { sig: "b", value: true }],
    // A failed scope would otherwise stay loaded (and its name taken) until reset-failed.
    ["CollectMode", { sig: "s", value: "inactive-or-failed" }],
  ];
  if (r.slice) props.push(["Slice", { sig: "s", value: r.slice }]);
  return props;
}

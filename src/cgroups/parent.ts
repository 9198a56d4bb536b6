// Where a container's cgroup goes, and whether the caller may put it there.

import { cgroupDir, type Hierarchy } from "./detect.ts";
import { CgroupConfigError, CgroupDelegationError } from "./errors.ts";
import type { CgroupFs } from "./fs.ts";
import { LIMIT_WHAT, type Controller } from "./limits.ts";

export const PARENT_ENV = "ZOO_CGROUP_PARENT";

/** CLI flags named in "run without ..." hints. */
export const DEFAULT_FLAG_HINTS: Record<Controller, string> = {
  memory: "-m",
  cpu: "--cpus",
  cpuset: "--cpuset-cpus",
  pids: "--pids-limit",
  blkio: "linux.resources.blockIO",
  hugetlb: "linux.resources.hugepageLimits",
  net_cls: "linux.resources.network.classID",
  net_prio: "linux.resources.network.priorities",
  rdma: "linux.resources.rdma",
  unified: "linux.resources.unified",
};

/** How zoo and zookeeper users pick a parent that can hand controllers down (errors end with it). */
export const DEFAULT_PARENT_ADVICE =
  `run with --cgroup-manager systemd, or set ${PARENT_ENV} to a cgroup that holds no processes ` +
  `(e.g. /zoo when root, or a path below your delegated user@<uid>.service)`;

export function validateCgroupName(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || /[\0\n]/.test(name) || name.length > 255) {
    throw new CgroupConfigError(`invalid cgroup name ${JSON.stringify(name)}: want one path component`);
  }
}

/** The parent setting in force: an explicit option beats the environment. */
export function parentSetting(explicit: string | undefined, env: Record<string, string | undefined>): string | undefined {
  if (explicit !== undefined && explicit !== "") return explicit;
  const fromEnv = env[PARENT_ENV];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/**
 * Cgroup path of the parent in `h`: our own cgroup by default, `parent`
 * below it when relative, or `parent` from the hierarchy root when absolute.
 * ".." is refused: a relative parent must stay below our own cgroup.
 */
export function resolveParentPath(h: Pick<Hierarchy, "ownPath">, parent: string | undefined): string {
  if (parent === undefined || parent === "") return h.ownPath;
  const parts = parent.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw new CgroupConfigError(`cgroup parent ${JSON.stringify(parent)} must not contain ".."`);
  }
  const base = parent.startsWith("/") ? "" : h.ownPath.replace(/\/+$/, "");
  const joined = [base, ...parts].join("/");
  return joined === "" ? "/" : joined.startsWith("/") ? joined : `/${joined}`;
}

export interface Delegation {
  /** May the caller create cgroups under the parent and move processes into them? */
  writable: boolean;
  /** The directory that was checked (the parent, or its nearest existing ancestor). */
  checkedDir: string;
  /** Why not, when not writable. */
  reason?: "not-writable" | "missing" | "invisible";
}

/**
 * Decide whether this hierarchy is delegated to the caller. A parent that
 * does not exist yet will be created, so its nearest existing ancestor decides.
 */
export function checkDelegation(cfs: CgroupFs, h: Hierarchy, parentPath: string): Delegation {
  const parentDir = cgroupDir(h, parentPath);
  if (parentDir === undefined) {
    return { writable: false, checkedDir: `${h.mountPoint} (${parentPath})`, reason: "invisible" };
  }
  let dir = parentDir;
  while (!cfs.exists(dir) && dir.length > h.mountPoint.length) dir = dir.slice(0, dir.lastIndexOf("/"));
  if (!cfs.exists(dir)) return { writable: false, checkedDir: dir, reason: "missing" };
  // The directory for mkdir, cgroup.procs for moving processes in: delegation grants both.
  if (cfs.writable(dir) && cfs.writable(`${dir}/cgroup.procs`)) return { writable: true, checkedDir: dir };
  return { writable: false, checkedDir: dir, reason: "not-writable" };
}

export function delegationError(ctl: Controller, d: Delegation, uid: number, flag: string): CgroupDelegationError {
  const why =
    d.reason === "missing"
      ? "does not exist"
      : d.reason === "invisible"
        ? "is outside the cgroup mount this process sees"
        : `is not writable by uid ${uid}`;
  return new CgroupDelegationError(
    `cannot set ${LIMIT_WHAT[ctl]}: ${d.checkedDir} ${why}; ` +
      `delegate a cgroup (see README "Rootless cgroups") or run without ${flag}`,
    { path: d.checkedDir },
  );
}

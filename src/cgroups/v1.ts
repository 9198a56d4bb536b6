// cgroup v1 specifics: one hierarchy per controller (or co-mounted group),
// cpuset directories that start empty, and killing through the freezer.

import { parseFlatKeyed, readControl, readPids, type CgroupFs } from "./fs.ts";
import { killQuietly, parseNumber, subtreeDeepestFirst, type KillEnv, type Target, type VersionManager } from "./manager.ts";
import { CgroupWriteError } from "./errors.ts";
import { v1FreezerState, v1SetFrozen } from "./freezer.ts";

const UNLIMITED_FLOOR = 2 ** 62;

/**
 * A new v1 cpuset cgroup has empty cpuset.cpus/mems unless the parent has
 * cgroup.clone_children set, and joining it then fails with ENOSPC; copy the
 * parent's sets so the container starts with what its parent may use.
 */
function initCpuset(cfs: CgroupFs, dir: string, parentDir: string): void {
  for (const file of ["cpuset.cpus", "cpuset.mems"]) {
    const mine = readControl(cfs, dir, file);
    if (mine === undefined || mine.trim() !== "") continue;
    const value = (readControl(cfs, parentDir, file) ?? "").trim();
    if (value === "") continue;
    try {
      cfs.writeFile(`${dir}/${file}`, value);
    } catch (err) {
      throw new CgroupWriteError(dir, file, value, err);
    }
  }
}

function freezerState(cfs: CgroupFs, dir: string): string | undefined {
  return readControl(cfs, dir, "freezer.state")?.trim();
}

async function setFrozen(env: KillEnv, dir: string, frozen: boolean): Promise<void> {
  const want = frozen ? "FROZEN" : "THAWED";
  try {
    env.cfs.writeFile(`${dir}/freezer.state`, want);
  } catch {
    return;
  }
  // Freezing is asynchronous (FREEZING first); give it a bounded moment.
  for (let i = 0; i < 50 && freezerState(env.cfs, dir) !== want; i++) await env.sleep(5);
}

async function killAll(env: KillEnv, targets: readonly Target[]): Promise<void> {
  const { cfs } = env;
  const dirs = targets.filter((t) => cfs.exists(t.dir)).flatMap((t) => subtreeDeepestFirst(cfs, t.dir));
  const livePids = () => [...new Set(dirs.flatMap((d) => readPids(cfs, d)))];
  if (livePids().length === 0) return;

  // Frozen tasks cannot fork or exit, so the pid list stays true while we kill.
  const freezer = targets.find((t) => t.hierarchy.controllers.includes("freezer") && freezerState(cfs, t.dir) !== undefined);
  if (freezer) await setFrozen(env, freezer.dir, true);
  for (let round = 0; round < 10; round++) {
    const pids = livePids();
    if (pids.length === 0) break;
    for (const pid of pids) killQuietly(env, pid);
    // SIGKILL is only acted on once the task runs again.
    if (freezer && round === 0) await setFrozen(env, freezer.dir, false);
    await env.sleep(10);
  }
  if (freezer && freezerState(cfs, freezer.dir) !== "THAWED") await setFrozen(env, freezer.dir, false);
}

export const v1Manager: VersionManager = {
  version: 1,
  delegateControllers() {
    // v1 has no subtree_control: every controller of a hierarchy applies to all its cgroups.
    return [];
  },
  initCreated(cfs, target, dir, parentDir) {
    if (target.hierarchy.controllers.includes("cpuset")) initCpuset(cfs, dir, parentDir);
  },
  killAll,
  memoryUsage(cfs, dir) {
    const current = parseNumber(readControl(cfs, dir, "memory.usage_in_bytes"));
    if (current === undefined) return undefined;
    const max = parseNumber(readControl(cfs, dir, "memory.limit_in_bytes"));
    return { current, max: max === undefined || max >= UNLIMITED_FLOOR ? null : max };
  },
  oomKills(cfs, dir) {
    const oc = readControl(cfs, dir, "memory.oom_control");
    // The oom_kill counter exists since Linux 4.13.
    const kills = oc === undefined ? undefined : parseNumber(parseFlatKeyed(oc).get("oom_kill"));
    if (kills !== undefined) return { count: kills, exact: true };
    const failcnt = parseNumber(readControl(cfs, dir, "memory.failcnt"));
    return failcnt === undefined ? undefined : { count: failcnt, exact: false };
  },
  cpuUsageNs(cfs, dir) {
    return parseNumber(readControl(cfs, dir, "cpuacct.usage"));
  },
  pidsCurrent(cfs, dir) {
    return parseNumber(readControl(cfs, dir, "pids.current"));
  },
  freezerState: v1FreezerState,
  setFrozen: v1SetFrozen,
};

// cgroup v2 (unified) specifics: controller delegation through
// cgroup.subtree_control, cgroup.kill, and the v2 statistics files.

import { parseControllerList } from "./detect.ts";
import { CgroupDelegationError, CgroupWriteError, errnoCode } from "./errors.ts";
import { parseFlatKeyed, readControl, readPids, type CgroupFs } from "./fs.ts";
import { v2FreezerState, v2SetFrozen } from "./freezer.ts";
import { killQuietly, parseNumber, subtreeDeepestFirst, type KillEnv, type Target, type VersionManager } from "./manager.ts";

/**
 * Whether `dir` has processes of its own and is not the hierarchy's root (the
 * one cgroup the kernel exempts from the "no internal processes" rule; it has
 * no cgroup.type, a cgroup namespace's root does).
 */
function holdsProcesses(cfs: CgroupFs, dir: string): boolean {
  return cfs.exists(`${dir}/cgroup.type`) && readPids(cfs, dir).length > 0;
}

function delegateControllers(
  cfs: CgroupFs,
  dir: string,
  wanted: readonly string[],
  required: ReadonlySet<string>,
  why: (ctl: string) => string,
  advice: string,
): string[] {
  const warnings: string[] = [];
  const available = parseControllerList(readControl(cfs, dir, "cgroup.controllers"));
  const enabled = new Set(parseControllerList(readControl(cfs, dir, "cgroup.subtree_control")));
  const toEnable = wanted.filter((ctl) => !enabled.has(ctl));
  if (toEnable.length > 0 && holdsProcesses(cfs, dir)) {
    // Nothing is written here. Domain controllers (memory, io) would be
    // refused with EBUSY, but threaded ones (cpu, cpuset, pids) are accepted
    // and turn `dir` into a thread root ("domain threaded"): a cgroup we do
    // not own changes type, and every new child of it is "domain invalid",
    // which the kernel refuses to put processes in (EOPNOTSUPP from clone3).
    // A child without controllers is a plain domain and takes the container.
    const needed = toEnable.find((ctl) => required.has(ctl));
    if (needed !== undefined) {
      throw new CgroupDelegationError(
        `${why(needed)}: ${dir} has processes of its own, and cgroup v2 only lets a cgroup without processes ` +
          `hand controllers to its children ("no internal processes" rule); ${advice}`,
        { path: dir, file: "cgroup.subtree_control" },
      );
    }
    return [`not enabling ${toEnable.join(", ")} in ${dir}: it has processes of its own`];
  }
  for (const ctl of toEnable) {
    if (!available.includes(ctl)) {
      const msg = `the ${ctl} controller is not available in ${dir} (cgroup.controllers: "${available.join(" ")}")`;
      if (required.has(ctl)) {
        throw new CgroupDelegationError(`${why(ctl)}: ${msg}; enable it in the parent's cgroup.subtree_control or delegate it`, { path: dir });
      }
      warnings.push(msg);
      continue;
    }
    // One controller per write so a refusal names the controller it is about.
    try {
      cfs.writeFile(`${dir}/cgroup.subtree_control`, `+${ctl}`);
    } catch (err) {
      if (!required.has(ctl)) {
        warnings.push(`could not enable the ${ctl} controller in ${dir}: ${new CgroupWriteError(dir, "cgroup.subtree_control", `+${ctl}`, err).message}`);
        continue;
      }
      if (errnoCode(err) === "EBUSY") {
        // A process joined between our look at cgroup.procs and the write.
        throw new CgroupDelegationError(
          `${why(ctl)}: cannot enable the ${ctl} controller in ${dir}: it has processes of its own, and cgroup v2 ` +
            `only lets a cgroup without processes hand controllers to children ("no internal processes" rule); ${advice}`,
          { path: dir, file: "cgroup.subtree_control", value: `+${ctl}`, code: "EBUSY", cause: err },
        );
      }
      throw new CgroupWriteError(dir, "cgroup.subtree_control", `+${ctl}`, err);
    }
  }
  return warnings;
}

/**
 * A new cgroup below a thread root or inside a threaded subtree is "domain
 * invalid": no process may join it. Say so before clone3 fails with a bare
 * EOPNOTSUPP.
 */
function checkJoinable(cfs: CgroupFs, dir: string, parentDir: string, advice: string): void {
  const type = readControl(cfs, dir, "cgroup.type")?.trim();
  if (type !== "domain invalid") return;
  const parentType = readControl(cfs, parentDir, "cgroup.type")?.trim() ?? "unknown";
  throw new CgroupDelegationError(
    `cannot use ${parentDir} as the container's cgroup parent: it is in a threaded subtree (cgroup.type "${parentType}"), ` +
      `so a cgroup made below it is "domain invalid" and cannot hold processes; ${advice}`,
    { path: dir, file: "cgroup.type" },
  );
}

function anyPids(cfs: CgroupFs, targets: readonly Target[]): number[] {
  return targets.flatMap((t) => subtreeDeepestFirst(cfs, t.dir).flatMap((d) => readPids(cfs, d)));
}

async function killAll(env: KillEnv, targets: readonly Target[]): Promise<void> {
  const { cfs } = env;
  for (const t of targets) {
    if (!cfs.exists(t.dir)) continue;
    // cgroup.kill (5.14+) kills the whole subtree atomically, forks included.
    if (cfs.exists(`${t.dir}/cgroup.kill`)) {
      try {
        cfs.writeFile(`${t.dir}/cgroup.kill`, "1");
        continue;
      } catch {
        // Fall through to the manual way.
      }
    }
    const canFreeze = cfs.exists(`${t.dir}/cgroup.freeze`);
    if (canFreeze && anyPids(cfs, [t]).length > 0) {
      try {
        cfs.writeFile(`${t.dir}/cgroup.freeze`, "1");
      } catch {
        // Killing unfrozen is racier but still converges in the loop below.
      }
    }
    for (let round = 0; round < 10; round++) {
      const pids = anyPids(cfs, [t]);
      if (pids.length === 0) break;
      for (const pid of pids) killQuietly(env, pid);
      // A frozen task only dies once thawed.
      if (canFreeze) {
        try {
          cfs.writeFile(`${t.dir}/cgroup.freeze`, "0");
        } catch {
          // Gone already.
        }
      }
      await env.sleep(10);
    }
  }
}

export const v2Manager: VersionManager = {
  version: 2,
  delegateControllers,
  initCreated(cfs, _target, dir, parentDir, advice) {
    // A new v2 cgroup inherits cpuset from its parent implicitly; what can go wrong is its type.
    checkJoinable(cfs, dir, parentDir, advice);
  },
  killAll,
  memoryUsage(cfs, dir) {
    const current = parseNumber(readControl(cfs, dir, "memory.current"));
    if (current === undefined) return undefined;
    const maxText = readControl(cfs, dir, "memory.max")?.trim();
    return { current, max: maxText === undefined || maxText === "max" ? null : (parseNumber(maxText) ?? null) };
  },
  oomKills(cfs, dir) {
    const events = readControl(cfs, dir, "memory.events");
    if (events === undefined) return undefined;
    const n = parseNumber(parseFlatKeyed(events).get("oom_kill"));
    return n === undefined ? undefined : { count: n, exact: true };
  },
  cpuUsageNs(cfs, dir) {
    const stat = readControl(cfs, dir, "cpu.stat");
    if (stat === undefined) return undefined;
    const usec = parseNumber(parseFlatKeyed(stat).get("usage_usec"));
    return usec === undefined ? undefined : usec * 1000;
  },
  pidsCurrent(cfs, dir) {
    return parseNumber(readControl(cfs, dir, "pids.current"));
  },
  freezerState: v2FreezerState,
  setFrozen: v2SetFrozen,
};

// cgroup v2 (unified) specifics: controller delegation through
// cgroup.subtree_control, cgroup.kill, and the v2 statistics files.

import { parseControllerList } from "./detect.ts";
import { CgroupDelegationError, CgroupWriteError, errnoCode } from "./errors.ts";
import { parseFlatKeyed, readControl, readPids, type CgroupFs } from "./fs.ts";
import { v2FreezerState, v2SetFrozen } from "./freezer.ts";
import { killQuietly, parseNumber, subtreeDeepestFirst, type KillEnv, type Target, type VersionManager } from "./manager.ts";

function delegateControllers(
  cfs: CgroupFs,
  dir: string,
  wanted: readonly string[],
  required: ReadonlySet<string>,
  why: (ctl: string) => string,
): string[] {
  const warnings: string[] = [];
  const available = parseControllerList(readControl(cfs, dir, "cgroup.controllers"));
  const enabled = new Set(parseControllerList(readControl(cfs, dir, "cgroup.subtree_control")));
  for (const ctl of wanted) {
    if (enabled.has(ctl)) continue;
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
        throw new CgroupDelegationError(
          `${why(ctl)}: cannot enable the ${ctl} controller in ${dir}: it has processes of its own, and cgroup v2 ` +
            `only lets a cgroup without processes hand controllers to children ("no internal processes" rule); ` +
            `set ZOO_CGROUP_PARENT (or the cgroup parent option) to a cgroup that holds no processes, ` +
            `e.g. an absolute path below your delegated user@<uid>.service, or /zoo when root`,
          { path: dir, file: "cgroup.subtree_control", value: `+${ctl}`, code: "EBUSY", cause: err },
        );
      }
      throw new CgroupWriteError(dir, "cgroup.subtree_control", `+${ctl}`, err);
    }
  }
  return warnings;
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
  initCreated() {
    // Nothing: a new v2 cgroup inherits cpuset from its parent implicitly.
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

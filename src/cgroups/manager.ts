// One interface over the two cgroup versions; ContainerCgroup looks the
// manager up by a hierarchy's version and never branches on it itself.

import type { CgroupVersion, Hierarchy } from "./detect.ts";
import type { CgroupFs } from "./fs.ts";
import type { FreezeEnv, FreezerState } from "./freezer.ts";

export interface MemoryUsage {
  /** Bytes charged now. */
  current: number;
  /** Limit in bytes; null = unlimited. */
  max: number | null;
}

export interface OomKills {
  count: number;
  /**
   * False when the kernel does not count OOM kills for this cgroup and
   * `count` is the number of times the limit was hit (v1 memory.failcnt).
   */
  exact: boolean;
}

/** The directory one container owns in one hierarchy. */
export interface Target {
  hierarchy: Hierarchy;
  /** Cgroup path of the parent, as /proc/<pid>/cgroup would show it. */
  parentPath: string;
  parentDir: string;
  dir: string;
}

export interface KillEnv {
  cfs: CgroupFs;
  kill: (pid: number, signal: NodeJS.Signals | number) => void;
  sleep: (ms: number) => Promise<void>;
}

export interface VersionManager {
  readonly version: CgroupVersion;
  /**
   * Make `dir` hand `wanted` controllers down to its children. `required`
   * ones fail loudly; the rest are best effort and come back as warnings.
   * `advice` ends an error about the parent: how to choose another one.
   */
  delegateControllers(cfs: CgroupFs, dir: string, wanted: readonly string[], required: ReadonlySet<string>, why: (ctl: string) => string, advice: string): string[];
  /** Prepare a directory we just made so that processes can join it; `advice` as above. */
  initCreated(cfs: CgroupFs, target: Target, dir: string, parentDir: string, advice: string): void;
  /** Kill every process in these directories and below; they belong to one container. */
  killAll(env: KillEnv, targets: readonly Target[]): Promise<void>;
  memoryUsage(cfs: CgroupFs, dir: string): MemoryUsage | undefined;
  oomKills(cfs: CgroupFs, dir: string): OomKills | undefined;
  cpuUsageNs(cfs: CgroupFs, dir: string): number | undefined;
  pidsCurrent(cfs: CgroupFs, dir: string): number | undefined;
  /** Whether `dir` can be frozen at all: v1 needs the freezer controller's hierarchy, v2 has cgroup.freeze everywhere but the root. */
  freezerState(cfs: CgroupFs, dir: string): FreezerState | undefined;
  /** Freeze or thaw `dir` and wait until the kernel says it is done. */
  setFrozen(env: FreezeEnv, dir: string, frozen: boolean): Promise<void>;
}

/** Every cgroup directory from `dir` down, deepest first (the order rmdir needs). */
export function subtreeDeepestFirst(cfs: CgroupFs, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let kids: string[] = [];
    try {
      kids = cfs.listDirs(d);
    } catch {
      return;
    }
    for (const k of kids) walk(`${d}/${k}`);
    out.push(d);
  };
  if (cfs.exists(dir)) walk(dir);
  return out;
}

export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return text.trim() === "" || !Number.isFinite(n) ? undefined : n;
}

/** SIGKILL, ignoring processes that are already gone. */
export function killQuietly(env: KillEnv, pid: number): void {
  try {
    env.kill(pid, "SIGKILL");
  } catch {
    // ESRCH: it exited between listing and killing.
  }
}

// The cgroup of one container across every mounted hierarchy: create with
// limits (all or nothing), move processes in, read usage, destroy.

import { cgroupDir, detectHierarchies, hierarchyFor, type CgroupVersion, type DetectOptions, type Hierarchy } from "./detect.ts";
import { CgroupError, CgroupFsError, errnoCode } from "./errors.ts";
import { O_CLOEXEC, O_DIRECTORY, O_PATH, readPids, realFs, writeControl, type CgroupFs } from "./fs.ts";
import { LIMIT_WHAT, missingControllerMessage, planWrites, requiredControllers, validateResources, type Controller, type Resources } from "./limits.ts";
import { unifiedControllers } from "./limits-unified.ts";
import { realHost, type HostInfo } from "./host.ts";
import {
  killQuietly,
  subtreeDeepestFirst,
  type KillEnv,
  type MemoryUsage,
  type OomKills,
  type Target,
  type VersionManager,
} from "./manager.ts";
import type { FreezerState } from "./freezer.ts";
import { DEFAULT_FLAG_HINTS, DEFAULT_PARENT_ADVICE, checkDelegation, delegationError, parentSetting, resolveParentPath, validateCgroupName, type Delegation } from "./parent.ts";
import { v1Manager } from "./v1.ts";
import { v2Manager } from "./v2.ts";

export const MANAGERS: Record<CgroupVersion, VersionManager> = { 1: v1Manager, 2: v2Manager };

/** Controllers enabled in v2 even without limits, so usage and OOM counts can be read. */
const V2_ALWAYS_WANTED: readonly string[] = ["memory", "pids"];

export interface CgroupOptions {
  /** Parent cgroup: relative = below our own cgroup, absolute = from each hierarchy root. Beats ZOO_CGROUP_PARENT. */
  parent?: string;
  /** Environment consulted for ZOO_CGROUP_PARENT; default process.env. */
  env?: Record<string, string | undefined>;
  /** Hierarchies to use; default detectHierarchies(detect). */
  hierarchies?: Hierarchy[];
  detect?: DetectOptions;
  fs?: CgroupFs;
  /** Named in delegation errors; default process.getuid(). */
  uid?: number;
  kill?: KillEnv["kill"];
  sleep?: KillEnv["sleep"];
  /** CLI flags for "run without ..." hints. */
  flagHints?: Partial<Record<Controller, string>>;
  /** How to pick another parent, in the front end's words; ends errors about the parent. */
  parentAdvice?: string;
  /** How long destroy() keeps retrying rmdir on EBUSY; default 5000 ms. */
  removeTimeoutMs?: number;
  /** Huge page sizes and block devices of the host; default from /sys. */
  host?: HostInfo;
}

/** The hierarchy a logical controller lives in: blkio is "io" on v2, unified is the v2 tree itself. */
function hostOf(hs: readonly Hierarchy[], ctl: string): Hierarchy | undefined {
  if (ctl === "unified") return hs.find((h) => h.version === 2);
  if (ctl === "blkio") return hierarchyFor(hs, "blkio") ?? hierarchyFor(hs, "io");
  return hierarchyFor(hs, ctl);
}

/** Which requested limit a v2 controller is enabled for, in words for an error. */
function whatNeeds(ctl: string, required: readonly Controller[], r: Resources): string {
  if (ctl === "io") return LIMIT_WHAT.blkio;
  if (required.includes(ctl as Controller)) return LIMIT_WHAT[ctl as Controller];
  const keys = Object.keys(r.unified ?? {}).filter((k) => k.startsWith(`${ctl}.`));
  if (keys.length) return `linux.resources.unified[${JSON.stringify(keys[0])}]`;
  return LIMIT_WHAT[ctl as Controller] ?? `the ${ctl} controller`;
}

/** The names cgroup.subtree_control knows for a logical controller in a v2 tree. */
function v2Names(ctl: Controller, r: Resources): string[] {
  if (ctl === "blkio") return ["io"];
  if (ctl === "unified") return unifiedControllers(r.unified);
  return [ctl];
}

export interface CgroupPath {
  version: CgroupVersion;
  controllers: string[];
  mountPoint: string;
  dir: string;
}

/** Enough to destroy or inspect the cgroup from another process (e.g. `zoo delete`). */
export interface CgroupState {
  name: string;
  paths: CgroupPath[];
  /** Parent directories create() had to make; removed by destroy() when empty. */
  createdParents: string[];
}

type Phase = "new" | "active" | "skipped" | "destroyed";

export class ContainerCgroup {
  readonly name: string;
  /** Non-fatal problems: hierarchies skipped, controllers not enabled, swap not enforceable. */
  readonly warnings: string[] = [];
  /** Set when create() made nothing (rootless, nothing delegated, no limits asked). */
  skipReason: string | undefined;

  private phase: Phase = "new";
  private readonly cfs: CgroupFs;
  private readonly hierarchies: Hierarchy[];
  private readonly parentPaths: Map<Hierarchy, string>;
  private readonly uid: number;
  private readonly opts: CgroupOptions;
  private targets: Target[] = [];
  private createdParents: string[] = [];

  constructor(name: string, opts: CgroupOptions = {}) {
    validateCgroupName(name);
    this.name = name;
    this.opts = opts;
    this.cfs = opts.fs ?? realFs;
    this.uid = opts.uid ?? process.getuid?.() ?? 0;
    this.hierarchies = opts.hierarchies ?? detectHierarchies({ fs: this.cfs, ...opts.detect });
    const parent = parentSetting(opts.parent, opts.env ?? process.env);
    this.parentPaths = new Map(this.hierarchies.map((h) => [h, resolveParentPath(h, parent)]));
  }

  /** Rebuild a handle for a cgroup created earlier, possibly by another process. */
  static restore(state: CgroupState, opts: Omit<CgroupOptions, "hierarchies" | "parent" | "detect"> = {}): ContainerCgroup {
    const hierarchies: Hierarchy[] = state.paths.map((p) => ({
      version: p.version,
      id: -1,
      mountPoint: p.mountPoint,
      mountRoot: "/",
      controllers: p.controllers,
      ownPath: "/",
    }));
    const cg = new ContainerCgroup(state.name, { ...opts, hierarchies });
    cg.targets = state.paths.map((p, i) => {
      const slash = p.dir.lastIndexOf("/");
      return { hierarchy: hierarchies[i]!, parentPath: "", parentDir: p.dir.slice(0, slash), dir: p.dir };
    });
    cg.createdParents = [...state.createdParents];
    cg.phase = cg.targets.length > 0 ? "active" : "skipped";
    return cg;
  }

  /** True once create() made directories (false for the no-op rootless case). */
  get active(): boolean {
    return this.phase === "active";
  }

  get paths(): CgroupPath[] {
    return this.targets.map((t) => ({
      version: t.hierarchy.version,
      controllers: [...t.hierarchy.controllers],
      mountPoint: t.hierarchy.mountPoint,
      dir: t.dir,
    }));
  }

  state(): CgroupState {
    return { name: this.name, paths: this.paths, createdParents: [...this.createdParents] };
  }

  /**
   * Make the cgroup in every usable hierarchy and apply `resources`. On any
   * failure everything made so far is removed again before the error is thrown.
   */
  create(resources: Resources = {}): this {
    if (this.phase !== "new") throw new CgroupError(`cgroup ${this.name} was already created`);
    validateResources(resources);
    const required = requiredControllers(resources);

    const usable: Target[] = [];
    const refused = new Map<Hierarchy, Delegation>();
    for (const h of this.hierarchies) {
      const parentPath = this.parentPaths.get(h) ?? h.ownPath;
      const parentDir = cgroupDir(h, parentPath);
      const d = checkDelegation(this.cfs, h, parentPath);
      if (parentDir !== undefined && d.writable) usable.push({ hierarchy: h, parentPath, parentDir, dir: `${parentDir}/${this.name}` });
      else refused.set(h, d);
    }
    for (const ctl of required) {
      const host = hostOf(this.hierarchies, ctl);
      if (!host) throw new CgroupError(missingControllerMessage(ctl));
      const d = refused.get(host);
      if (d) throw delegationError(ctl, d, this.uid, this.opts.flagHints?.[ctl] ?? DEFAULT_FLAG_HINTS[ctl]);
    }
    if (usable.length === 0) {
      this.phase = "skipped";
      this.skipReason = `no cgroup hierarchy is delegated to uid ${this.uid}; running without a cgroup`;
      return this;
    }
    for (const [h, d] of refused) {
      this.warnings.push(`skipping the ${describe(h)} hierarchy: ${d.checkedDir} is not usable by uid ${this.uid}`);
    }

    this.targets = usable;
    const created: string[] = [];
    try {
      for (const t of usable) this.makeDirs(t, required, resources, created);
      this.warnings.push(...this.applyResources(resources));
    } catch (err) {
      // Nothing has joined these yet, so plain rmdir in reverse order suffices.
      for (const dir of created.reverse()) {
        try {
          this.cfs.rmdir(dir);
        } catch {
          // Best effort; the original error is the one worth reporting.
        }
      }
      this.targets = [];
      this.createdParents = [];
      throw err;
    }
    this.phase = "active";
    return this;
  }

  /** Write `resources` into the directories made so far; returns the warnings. */
  private applyResources(resources: Resources): string[] {
    const hostDir = (ctl: Controller) => this.targetFor(ctl)?.dir;
    const host = this.opts.host ?? realHost;
    const plan = planWrites(resources, (ctl) => this.targetFor(ctl)?.hierarchy.version, {
      hugePageSizes: () => host.hugePageSizes(),
      blockDevice: (major, minor) => host.blockDevice(major, minor),
      has: (ctl, file) => {
        const dir = hostDir(ctl);
        return dir !== undefined && this.cfs.exists(`${dir}/${file}`);
      },
      read: (ctl, file) => {
        const dir = hostDir(ctl);
        if (dir === undefined) return undefined;
        try {
          return this.cfs.readFile(`${dir}/${file}`);
        } catch {
          return undefined;
        }
      },
    });
    for (const w of plan.writes) {
      const dir = hostDir(w.controller);
      if (dir === undefined) throw new CgroupError(`cannot set ${LIMIT_WHAT[w.controller]}: the ${w.controller} controller has no cgroup here`);
      writeControl(this.cfs, dir, w.file, w.value);
    }
    return plan.warnings;
  }

  /**
   * Change the limits of a cgroup that exists (zoo-runtime update): only what
   * `resources` names is written, in the same order and with the same checks
   * as at creation. Returns the warnings.
   */
  update(resources: Resources): string[] {
    if (this.phase !== "active") throw new CgroupError(`cgroup ${this.name} does not exist (the container runs without a cgroup)`);
    validateResources(resources);
    return this.applyResources(resources);
  }

  /** The directory in the hierarchy hosting `controller`, for files the resource model does not cover. */
  dirFor(controller: string): { dir: string; version: CgroupVersion } | undefined {
    const t = this.phase === "active" ? this.targetFor(controller) : undefined;
    return t && { dir: t.dir, version: t.hierarchy.version };
  }

  /** The v2 directory, if any: core files such as cpu.stat exist there without any controller. */
  v2Dir(): string | undefined {
    return this.phase === "active" ? this.targets.find((t) => t.hierarchy.version === 2)?.dir : undefined;
  }

  /** Every process in the cgroup and its child cgroups (the first hierarchy that lists any). */
  pids(): number[] {
    if (this.phase !== "active") return [];
    for (const t of this.targets) {
      const pids = subtreeDeepestFirst(this.cfs, t.dir).flatMap((d) => readPids(this.cfs, d));
      if (pids.length) return [...new Set(pids)].sort((a, b) => a - b);
    }
    return [];
  }

  /** Where the container is frozen: the v1 freezer hierarchy when there is one, else the v2 cgroup. */
  private freezerTarget(): Target | undefined {
    if (this.phase !== "active") return undefined;
    const v1 = this.targets.find((t) => t.hierarchy.version === 1 && t.hierarchy.controllers.includes("freezer"));
    return v1 ?? this.targets.find((t) => t.hierarchy.version === 2);
  }

  /** undefined when the container has no cgroup that can be frozen. */
  freezerState(): FreezerState | undefined {
    const t = this.freezerTarget();
    return t && MANAGERS[t.hierarchy.version].freezerState(this.cfs, t.dir);
  }

  /** Freeze (pause) or thaw (resume) every process of the container, waiting until it took. */
  async setFrozen(frozen: boolean, timeoutMs?: number): Promise<void> {
    const t = this.freezerTarget();
    if (!t || MANAGERS[t.hierarchy.version].freezerState(this.cfs, t.dir) === undefined) {
      throw new CgroupError(`cgroup ${this.name} has no freezer (no v1 freezer hierarchy and no v2 cgroup is delegated to uid ${this.uid})`);
    }
    await MANAGERS[t.hierarchy.version].setFrozen({ cfs: this.cfs, sleep: this.opts.sleep ?? ((ms) => Bun.sleep(ms)), timeoutMs }, t.dir, frozen);
  }

  /** Create missing parent levels, delegate v2 controllers level by level, then the container's own dir. */
  private makeDirs(t: Target, required: readonly Controller[], resources: Resources, created: string[]): void {
    const h = t.hierarchy;
    const mgr = MANAGERS[h.version];
    const hosted = (ctl: string) => hierarchyFor(this.hierarchies, ctl) === h;
    const requiredHere = new Set<string>(required.filter((c) => hostOf(this.hierarchies, c) === h).flatMap((c) => (h.version === 2 ? v2Names(c, resources) : [c])));
    const wanted = [...new Set([...requiredHere, ...V2_ALWAYS_WANTED.filter(hosted)])];
    const why = (ctl: string) => `cannot set ${whatNeeds(ctl, required, resources)}`;
    const advice = this.opts.parentAdvice ?? DEFAULT_PARENT_ADVICE;

    const missing: string[] = [];
    let base = t.parentDir;
    while (!this.cfs.exists(base) && base.length > h.mountPoint.length) {
      missing.unshift(base);
      base = base.slice(0, base.lastIndexOf("/"));
    }
    this.warnings.push(...mgr.delegateControllers(this.cfs, base, wanted, requiredHere, why, advice));
    let parent = base;
    for (const dir of missing) {
      if (this.mkdir(dir, true)) {
        created.push(dir);
        this.createdParents.push(dir);
        mgr.initCreated(this.cfs, t, dir, parent, advice);
      }
      this.warnings.push(...mgr.delegateControllers(this.cfs, dir, wanted, requiredHere, why, advice));
      parent = dir;
    }
    this.mkdir(t.dir, false);
    created.push(t.dir);
    mgr.initCreated(this.cfs, t, t.dir, t.parentDir, advice);
  }

  /** mkdir; true when we made it. An existing parent level is fine (shared), an existing container dir is not. */
  private mkdir(dir: string, existOk: boolean): boolean {
    try {
      this.cfs.mkdir(dir);
      return true;
    } catch (err) {
      if (existOk && errnoCode(err) === "EEXIST") return false;
      const hint = errnoCode(err) === "EEXIST" ? "a cgroup with this name exists already" : undefined;
      throw new CgroupFsError("mkdir", dir, err, hint);
    }
  }

  private targetFor(ctl: string): Target | undefined {
    const h = hostOf(
      this.targets.map((t) => t.hierarchy),
      ctl,
    );
    return this.targets.find((t) => t.hierarchy === h);
  }

  /**
   * An O_PATH directory fd of the v2 cgroup for clone3(CLONE_INTO_CGROUP);
   * undefined when there is no v2 cgroup. The caller closes it.
   */
  openV2Fd(): number | undefined {
    const t = this.phase === "active" ? this.targets.find((x) => x.hierarchy.version === 2) : undefined;
    if (!t) return undefined;
    try {
      return this.cfs.open(t.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    } catch (err) {
      throw new CgroupFsError("open", t.dir, err);
    }
  }

  /** Move `pid` into the cgroup in every hierarchy; skipV2 when clone3 already put it into the v2 one. */
  addProcess(pid: number, opts: { skipV2?: boolean } = {}): void {
    if (this.phase !== "active") return;
    for (const t of this.targets) {
      if (opts.skipV2 && t.hierarchy.version === 2) continue;
      writeControl(this.cfs, t.dir, "cgroup.procs", String(pid));
    }
  }

  memoryUsage(): MemoryUsage | undefined {
    const t = this.targetFor("memory");
    return t && MANAGERS[t.hierarchy.version].memoryUsage(this.cfs, t.dir);
  }

  oomKills(): OomKills | undefined {
    const t = this.targetFor("memory");
    return t && MANAGERS[t.hierarchy.version].oomKills(this.cfs, t.dir);
  }

  /** CPU time consumed, in nanoseconds. */
  cpuUsageNs(): number | undefined {
    // v1 accounts CPU time in cpuacct; v2 in every cgroup's cpu.stat.
    const t = this.targetFor("cpuacct") ?? this.targets.find((x) => x.hierarchy.version === 2);
    return t && MANAGERS[t.hierarchy.version].cpuUsageNs(this.cfs, t.dir);
  }

  pidsCurrent(): number | undefined {
    const t = this.targetFor("pids");
    return t && MANAGERS[t.hierarchy.version].pidsCurrent(this.cfs, t.dir);
  }

  /**
   * Kill whatever still runs in the cgroup and remove every directory,
   * deepest first. Safe to call again; directories already gone are fine.
   */
  async destroy(): Promise<void> {
    if (this.phase !== "active") return;
    const env: KillEnv = {
      cfs: this.cfs,
      kill: this.opts.kill ?? ((pid, sig) => process.kill(pid, sig)),
      sleep: this.opts.sleep ?? ((ms) => Bun.sleep(ms)),
    };
    // v2 first: cgroup.kill there also covers the v1 memberships of the same tasks on hybrid hosts.
    for (const version of [2, 1] as const) {
      const ts = this.targets.filter((t) => t.hierarchy.version === version);
      if (ts.length > 0) await MANAGERS[version].killAll(env, ts);
    }
    const failures: CgroupFsError[] = [];
    for (const t of this.targets) {
      for (const dir of subtreeDeepestFirst(this.cfs, t.dir)) {
        const failure = await this.removeDir(env, dir);
        if (failure) failures.push(failure);
      }
    }
    const first = failures[0];
    if (first) {
      if (failures.length === 1) throw first;
      throw new CgroupError(`${first.message} (and ${failures.length - 1} more)`, { path: first.path, code: first.code, cause: first });
    }
    this.removeCreatedParents();
    this.phase = "destroyed";
  }

  /**
   * For a cgroup whose processes are known to be gone (init reaped, and with
   * its pid namespace everything it started): plain rmdir of each directory,
   * no killing, no listing. False when something is still there (a process,
   * a child cgroup); destroy() then does the rest.
   */
  removeIfEmpty(): boolean {
    if (this.phase !== "active") return true;
    for (const t of this.targets) {
      try {
        this.cfs.rmdir(t.dir);
      } catch (err) {
        if (errnoCode(err) !== "ENOENT") return false;
      }
    }
    this.removeCreatedParents();
    this.phase = "destroyed";
    return true;
  }

  private removeCreatedParents(): void {
    // Parents we made may be shared with other containers by now: only empty ones go.
    for (const dir of [...this.createdParents].reverse()) {
      try {
        this.cfs.rmdir(dir);
      } catch {
        // In use (EBUSY/ENOTEMPTY) or already gone.
      }
    }
  }

  /** rmdir with a bounded retry: tasks of a just-killed PID namespace linger a moment. */
  private async removeDir(env: KillEnv, dir: string): Promise<CgroupFsError | undefined> {
    const deadline = Date.now() + (this.opts.removeTimeoutMs ?? 5000);
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      try {
        this.cfs.rmdir(dir);
        return undefined;
      } catch (err) {
        const code = errnoCode(err);
        if (code === "ENOENT") return undefined;
        if (code !== "EBUSY" || Date.now() >= deadline) {
          return new CgroupFsError("rmdir", dir, err, code === "EBUSY" ? "processes are still inside" : undefined);
        }
      }
      for (const pid of readPids(this.cfs, dir)) killQuietly(env, pid);
      await env.sleep(delay);
    }
  }
}

function describe(h: Hierarchy): string {
  return h.version === 2 ? "cgroup v2" : `v1 ${h.controllers.join(",")}`;
}

/** Create `name` with `resources`; see ContainerCgroup for the semantics. */
export function createContainerCgroup(name: string, resources: Resources = {}, opts: CgroupOptions = {}): ContainerCgroup {
  return new ContainerCgroup(name, opts).create(resources);
}

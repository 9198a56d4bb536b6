// Finds every mounted cgroup hierarchy and where this process sits in each.
// /proc/<pid>/cgroup says which hierarchies exist and our path in them;
// /proc/<pid>/mountinfo says where (and from which subtree) each is mounted.
// Everything is parameterised so tests can feed fixture text and a fake root.

import { realFs, readControl, type CgroupFs } from "./fs.ts";

export type CgroupVersion = 1 | 2;

export interface Hierarchy {
  version: CgroupVersion;
  /** Hierarchy ID from /proc/<pid>/cgroup (always 0 for cgroup v2). */
  id: number;
  /** Absolute directory where the hierarchy is mounted (rootPrefix included). */
  mountPoint: string;
  /** The cgroup that is the root of that mount (mountinfo field 4), usually "/". */
  mountRoot: string;
  /**
   * v1: controllers bound to the hierarchy, as listed in /proc/<pid>/cgroup
   * ("cpu","cpuacct", or "name=systemd" for a named one).
   * v2: controllers available at the mount root (its cgroup.controllers).
   */
  controllers: string[];
  /** This process's cgroup path in the hierarchy, e.g. "/user.slice/x.scope". */
  ownPath: string;
}

export interface MountInfoEntry {
  mountPoint: string;
  root: string;
  fsType: string;
  superOptions: string[];
}

export interface ProcCgroupEntry {
  id: number;
  controllers: string[];
  path: string;
}

function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The cgroup and cgroup2 mounts in a mountinfo text; other filesystems are dropped. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const fields = line.split(" ");
    const sep = fields.indexOf("-", 6);
    if (sep < 0 || fields.length < sep + 4) continue;
    const fsType = fields[sep + 1] ?? "";
    if (fsType !== "cgroup" && fsType !== "cgroup2") continue;
    out.push({
      root: unescapeMountField(fields[3] ?? "/"),
      mountPoint: unescapeMountField(fields[4] ?? ""),
      fsType,
      superOptions: (fields[sep + 3] ?? "").split(","),
    });
  }
  return out;
}

export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const out: ProcCgroupEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    // The path may itself contain ':', so split only on the first two.
    const a = line.indexOf(":");
    const b = line.indexOf(":", a + 1);
    if (a < 0 || b < 0) continue;
    const id = Number(line.slice(0, a));
    if (!Number.isInteger(id)) continue;
    const ctl = line.slice(a + 1, b);
    out.push({ id, controllers: ctl === "" ? [] : ctl.split(","), path: line.slice(b + 1) });
  }
  return out;
}

/** Cgroup path `p` relative to a mount whose root is `root`, or undefined when the mount does not show it. */
export function relativeToMount(root: string, p: string): string | undefined {
  if (p.split("/").includes("..")) return undefined; // outside our cgroup namespace
  if (root === "/" || root === "") return p;
  if (p === root) return "/";
  if (p.startsWith(root + "/")) return p.slice(root.length);
  return undefined;
}

/** Directory of cgroup path `cgroupPath` in hierarchy `h`, or undefined when that cgroup is not reachable through the mount. */
export function cgroupDir(h: Pick<Hierarchy, "mountPoint" | "mountRoot">, cgroupPath: string): string | undefined {
  const rel = relativeToMount(h.mountRoot, cgroupPath);
  if (rel === undefined) return undefined;
  return rel === "/" ? h.mountPoint : h.mountPoint + rel;
}

function pickMount(cands: MountInfoEntry[], ownPath: string): MountInfoEntry | undefined {
  const reachable = cands.filter((m) => relativeToMount(m.root, ownPath) !== undefined);
  // A hierarchy can be mounted more than once (bind mounts, containers); the
  // conventional location wins, then the first one the kernel listed.
  return reachable.find((m) => m.mountPoint.startsWith("/sys/fs/cgroup")) ?? reachable[0];
}

export interface ParseOptions {
  /** Prepended to every mount point: a temp directory standing in for "/" in tests. */
  rootPrefix?: string;
}

/**
 * Join mounts and the process's cgroup membership into hierarchies. v2
 * `controllers` is left empty here (it needs a file read; see detectHierarchies).
 * Hierarchies that are not mounted, or whose mount does not show our cgroup, are left out.
 */
export function parseHierarchies(mountinfo: string, procCgroup: string, opts: ParseOptions = {}): Hierarchy[] {
  const prefix = (opts.rootPrefix ?? "").replace(/\/+$/, "");
  const mounts = parseMountInfo(mountinfo);
  const out: Hierarchy[] = [];
  for (const entry of parseProcCgroup(procCgroup)) {
    let mount: MountInfoEntry | undefined;
    let version: CgroupVersion;
    if (entry.id === 0 && entry.controllers.length === 0) {
      version = 2;
      mount = pickMount(
        mounts.filter((m) => m.fsType === "cgroup2"),
        entry.path,
      );
    } else {
      version = 1;
      mount = pickMount(
        mounts.filter((m) => m.fsType === "cgroup" && entry.controllers.every((c) => m.superOptions.includes(c))),
        entry.path,
      );
    }
    if (!mount) continue;
    out.push({
      version,
      id: entry.id,
      mountPoint: prefix + mount.mountPoint,
      mountRoot: mount.root,
      controllers: version === 1 ? entry.controllers : [],
      ownPath: entry.path,
    });
  }
  // v2 first, then v1 by ID: a stable order for logs and for "deepest first" work.
  return out.sort((x, y) => y.version - x.version || x.id - y.id);
}

export function parseControllerList(text: string | undefined): string[] {
  return (text ?? "").split(/\s+/).filter((s) => s !== "");
}

export interface DetectOptions extends ParseOptions {
  /** Directory with mountinfo and cgroup files; default "/proc/self". */
  procDir?: string;
  fs?: CgroupFs;
}

export function detectHierarchies(opts: DetectOptions = {}): Hierarchy[] {
  const cfs = opts.fs ?? realFs;
  const procDir = opts.procDir ?? "/proc/self";
  const hs = parseHierarchies(cfs.readFile(`${procDir}/mountinfo`), cfs.readFile(`${procDir}/cgroup`), opts);
  for (const h of hs) {
    if (h.version === 2) h.controllers = parseControllerList(readControl(cfs, h.mountPoint, "cgroup.controllers"));
  }
  return hs;
}

/** The hierarchy that hosts `controller` (v1 binding wins; otherwise v2 if it offers it). */
export function hierarchyFor(hs: readonly Hierarchy[], controller: string): Hierarchy | undefined {
  return (
    hs.find((h) => h.version === 1 && h.controllers.includes(controller)) ??
    hs.find((h) => h.version === 2 && h.controllers.includes(controller))
  );
}

// linux.resources.unified: raw cgroup v2 files, by name. As runc: the key must
// be a file of the container's own v2 directory, of a controller enabled there
// or a cgroup.* core file; files zoo manages itself are refused.
import { CgroupConfigError, CgroupError } from "./errors.ts";
import { checkObject } from "./limits-check.ts";
import type { PlanProbe, WritePlan } from "./limits.ts";
import { parseControllerList } from "./detect.ts";

const MANAGED = new Set(["cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze", "cgroup.subtree_control", "cgroup.type"]);

export function validateUnified(u: Record<string, string> | undefined): void {
  if (u === undefined || u === null) return;
  checkObject("unified", u);
  for (const [key, value] of Object.entries(u)) {
    const field = `unified[${JSON.stringify(key)}]`;
    if (key.includes("/") || key.includes("..") || !/^[a-z_]+\.[A-Za-z0-9_.]+$/.test(key)) {
      throw new CgroupConfigError(`${field}: not a cgroup v2 file name (want "<controller>.<file>", no "/" or "..")`);
    }
    if (MANAGED.has(key)) throw new CgroupConfigError(`${field}: zoo-runtime manages this file itself; remove it`);
    if (typeof value !== "string") throw new CgroupConfigError(`${field} must be a string, got ${JSON.stringify(value)}`);
  }
}

/** The v2 controllers the keys belong to (cgroup.* files need none). */
export function unifiedControllers(u: Record<string, string> | undefined): string[] {
  return [...new Set(Object.keys(u ?? {}).map((k) => k.slice(0, k.indexOf("."))))].filter((c) => c !== "cgroup");
}

export function unifiedWrites(u: Record<string, string>, probe: PlanProbe, plan: WritePlan): void {
  const enabled = parseControllerList(probe.read("unified", "cgroup.controllers"));
  for (const [key, value] of Object.entries(u)) {
    const field = `unified[${JSON.stringify(key)}]`;
    const ctl = key.slice(0, key.indexOf("."));
    if (ctl !== "cgroup" && !enabled.includes(ctl)) {
      throw new CgroupError(`cannot set ${field}: the ${ctl} controller is not enabled in the container's cgroup v2 directory (enabled: ${enabled.join(" ") || "none"})`);
    }
    if (!probe.has("unified", key)) throw new CgroupError(`cannot set ${field}: the container's cgroup v2 directory has no such file`);
    plan.writes.push({ controller: "unified", file: key, value });
  }
}

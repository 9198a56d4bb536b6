// The systemd cgroup manager as the front doors use it: decide, then (if
// systemd) join a delegated scope and return it as the container's parent.
import { joinSystemdScope, systemdBooted } from "./scope.ts";
import { chooseManager, ROOTFUL_SLICE, type CgroupManager } from "./unit.ts";

export { chooseManager, parseManager, parseSystemdCgroupsPath, MANAGER_ENV, type CgroupManager } from "./unit.ts";
export { joinSystemdScope, systemdBooted } from "./scope.ts";

export interface PlacementRequest {
  /** --cgroup-manager, if given. */
  flag?: CgroupManager;
  /** Scope name, e.g. zookeeper-<pid>.scope. */
  unit: string;
  /** Rootful default: zoo.slice; rootless scopes go to the user manager's default slice. */
  slice?: string;
  description: string;
  env?: Record<string, string | undefined>;
}

/**
 * With the systemd manager: this process now sits in a delegated scope and
 * the returned absolute cgroup path is the parent for the container cgroup.
 * With cgroupfs: undefined (the cgroup layer's own parent rules apply).
 */
export async function cgroupParentFor(r: PlacementRequest): Promise<string | undefined> {
  const env = r.env ?? process.env;
  if (chooseManager({ flag: r.flag, env, systemdBooted: systemdBooted() }) !== "systemd") return undefined;
  const rootful = process.geteuid!() === 0;
  const scope = await joinSystemdScope({ unit: r.unit, slice: r.slice ?? (rootful ? ROOTFUL_SLICE : undefined), description: r.description, env });
  return scope.path;
}

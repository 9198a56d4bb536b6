// Adapts the cgroup layer to the run loop: when the cgroup is made (before
// clone when its name is known, after when it is named by the child's pid)
// and how the child gets in (CLONE_INTO_CGROUP on v2, cgroup.procs otherwise).
import { closeSync } from "node:fs";
import { createContainerCgroup, type CgroupFs, type ContainerCgroup, type Controller, type Hierarchy, type Resources } from "../cgroups/index.ts";
import type { Cleanup } from "../util/cleanup.ts";
import type { ContainerCgroups } from "./cgroups.ts";
import { restrictDevices } from "./device-cgroup/apply.ts";
import type { Rule } from "./device-cgroup/rules.ts";

export interface CgroupNaming {
  /** Known before clone: created first, the child is cloned straight into the v2 cgroup. */
  name?: string;
  /** The seed's zoo-<pid>: created once the child exists, then the child is moved in. */
  nameForPid?: (pid: number) => string;
  /** CLI flags named in "run without ..." hints. */
  flagHints?: Partial<Record<Controller, string>>;
  /** Parent cgroup (relative = below our own cgroup), as the cgroup layer's `parent` option. */
  parent?: string;
  /**
   * Device rules applied once the child is in (it runs nothing before
   * SETUP_DONE): the v1 devices cgroup or an eBPF program on v2. Absent: all
   * devices (--privileged). zoo-runtime applies its own after create instead.
   */
  devices?: Rule[];
  /** The host's hierarchies, when the caller has detected them already (each detection reads /proc twice). */
  hierarchies?: Hierarchy[];
  /** How to pick another parent, in the front end's words (the cgroup layer's `parentAdvice`). */
  parentAdvice?: string;
  /** The cgroup layer's filesystem (default the real one): the run cache records what it does through it. */
  fs?: CgroupFs;
}

export function containerCgroups(resources: Resources, naming: CgroupNaming): ContainerCgroups {
  let cg: ContainerCgroup | null = null;
  let clonedIntoV2 = false;
  const make = (name: string, cleanup: Cleanup) => {
    const c = createContainerCgroup(name, resources, { flagHints: naming.flagHints, parent: naming.parent, parentAdvice: naming.parentAdvice, hierarchies: naming.hierarchies, fs: naming.fs });
    cleanup.add(`remove cgroup ${name}`, () => c.destroy());
    return c;
  };
  return {
    beforeClone(cleanup) {
      if (!naming.name) return null;
      cg = make(naming.name, cleanup);
      const fd = cg.openV2Fd();
      if (fd === undefined) return null;
      cleanup.add("close cgroup fd", () => closeSync(fd));
      clonedIntoV2 = true;
      return fd;
    },
    attach(pid, cleanup) {
      if (!cg && naming.nameForPid) cg = make(naming.nameForPid(pid), cleanup);
      cg?.addProcess(pid, { skipV2: clonedIntoV2 });
      if (cg && naming.devices) restrictDevices(cg.paths, naming.devices);
    },
    dirs() {
      return cg ? cg.paths.map((p) => p.dir) : [];
    },
    oomKilled() {
      return (cg?.oomKills()?.count ?? 0) > 0;
    },
    state() {
      return cg && cg.active ? cg.state() : null;
    },
  };
}

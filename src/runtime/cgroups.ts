import type { Cleanup } from "../util/cleanup.ts";

/** What the run loop needs from cgroups; src/runtime/cgroup-setup.ts implements it. */
export interface ContainerCgroups {
  /** Create what can exist before clone; returns a v2 directory fd for CLONE_INTO_CGROUP, or null. */
  beforeClone(cleanup: Cleanup): number | null;
  /** Put the child (host pid) in its cgroups, before it runs anything. */
  attach(pid: number, cleanup: Cleanup): void;
  /** Whether the kernel OOM-killed something in the container's cgroup. */
  oomKilled(): boolean;
}

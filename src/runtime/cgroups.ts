import type { CgroupState } from "../cgroups/index.ts";
import type { Cleanup } from "../util/cleanup.ts";

/** What the run loop needs from cgroups; src/runtime/cgroup-setup.ts implements it. */
export interface ContainerCgroups {
  /** Create what can exist before clone; returns a v2 directory fd for CLONE_INTO_CGROUP, or null. */
  beforeClone(cleanup: Cleanup): number | null;
  /** Put the child (host pid) in its cgroups, before it runs anything. */
  attach(pid: number, cleanup: Cleanup): void;
  /** The container's cgroup directories, deepest first (for the shim to remove if zoo dies). */
  dirs(): string[];
  /** Whether the kernel OOM-killed something in the container's cgroup. */
  oomKilled(): boolean;
  /** What another process needs to destroy the cgroup later (zoo-runtime delete); null if none was made. */
  state(): CgroupState | null;
}

// `pause` / `resume`: freeze and thaw every process of the container through
// its cgroup's freezer; the status reads "paused" while it is frozen.
import { ContainerCgroup } from "../../cgroups/index.ts";
import { RuntimeError } from "./errors.ts";
import { statusOf, type ContainerState, type Store } from "./store.ts";

function cgroupOf(s: ContainerState, what: string): ContainerCgroup {
  if (!s.cgroup) throw new RuntimeError(`cannot ${what} ${s.id}: it has no cgroup to freeze (rootless without a delegated cgroup)`);
  return ContainerCgroup.restore(s.cgroup);
}

async function setFrozen(s: ContainerState, frozen: boolean): Promise<void> {
  try {
    await cgroupOf(s, frozen ? "pause" : "resume").setFrozen(frozen);
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw new RuntimeError(`${frozen ? "pause" : "resume"} ${s.id}: ${(e as Error).message}`);
  }
}

export async function pause(store: Store, id: string): Promise<void> {
  await store.locked(id, async () => {
    const s = store.read(id);
    const status = statusOf(s);
    // runc pauses created and running containers alike.
    if (status !== "running" && status !== "created") throw new RuntimeError("container not running");
    await setFrozen(s, true);
  });
}

export async function resume(store: Store, id: string): Promise<void> {
  await store.locked(id, async () => {
    const s = store.read(id);
    if (statusOf(s) !== "paused") throw new RuntimeError("container not paused");
    await setFrozen(s, false);
  });
}

/** For kill and delete, which hold the lock already. */
export const thaw = (s: ContainerState) => setFrozen(s, false);

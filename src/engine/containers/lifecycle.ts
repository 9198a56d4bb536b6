// start, stop, restart, kill, rm, wait, pause/unpause, rename: each acts on
// the recorded state under the container's lock and never waits for the
// monitor while holding it (the monitor's exit command needs that lock).
import { constants as osc } from "node:os";
import { ContainerCgroup } from "../../cgroups/index.ts";
import { isAlive } from "../../runtime/oci/proc-stat.ts";
import { ZooError } from "../../util/errors.ts";
import { signalNumber } from "./signals.ts";
import { repair } from "./finalize.ts";
import { removeContainer } from "./remove.ts";
import { startContainer } from "./start.ts";
import { Containers, type ContainerState } from "./store.ts";

export const isRunning = (s: ContainerState) => s.status === "running" || s.status === "paused";

export { signalNumber } from "./signals.ts";

/** Waits (without any lock) until nobody is in charge of the container, then repairs what is left. */
export async function waitEnded(cs: Containers, id: string, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!cs.monitored(id)) {
      await repair(cs, [id]);
      return true;
    }
    if (Date.now() >= end) return false;
    await Bun.sleep(25);
  }
}

async function signal(s: ContainerState, sig: number): Promise<boolean> {
  if (s.pid <= 0 || !isAlive(s.pid, s.pidStart)) return false;
  // A frozen task acts on no signal: SIGKILL must reach it, so thaw first.
  if (sig === osc.signals.SIGKILL && s.status === "paused" && s.resources?.cgroup) {
    await ContainerCgroup.restore(s.resources.cgroup).setFrozen(false).catch(() => {});
  }
  try {
    process.kill(s.pid, sig);
    return true;
  } catch {
    return false;
  }
}

export async function start(cs: Containers, ref: string): Promise<string> {
  const id = cs.resolve(ref);
  await repair(cs, [id]);
  await cs.locked(id, async () => {
    const s = cs.state(id);
    if (isRunning(s) || s.status === "restarting") return;
    await startContainer(cs, id);
  });
  return id;
}

/** SIGTERM (or `signal`, or the container's stop signal), then SIGKILL after `timeout` seconds; no restart policy applies afterwards. */
export async function stop(cs: Containers, ref: string, timeout: number, signalName?: string): Promise<void> {
  const id = cs.resolve(ref);
  const sig = signalName ?? cs.config(id).stopSignal ?? "SIGTERM";
  const first = await cs.locked(id, async () => {
    const s = cs.state(id);
    cs.writeState(id, { ...s, stoppedByUser: true });
    return s.status === "restarting" ? true : isRunning(s) ? await signal(s, signalNumber(sig)) : false;
  });
  if (!first && !cs.monitored(id)) return repair(cs, [id]);
  if (await waitEnded(cs, id, timeout * 1000)) return;
  await cs.locked(id, () => signal(cs.state(id), osc.signals.SIGKILL));
  if (!(await waitEnded(cs, id, 30_000))) throw new ZooError(`container ${ref} did not stop after SIGKILL`, 1);
}

export async function kill(cs: Containers, ref: string, sig: string): Promise<void> {
  const id = cs.resolve(ref);
  const n = signalNumber(sig);
  await repair(cs, [id]);
  await cs.locked(id, async () => {
    const s = cs.state(id);
    if (!isRunning(s) || !(await signal(s, n))) throw new ZooError(`cannot kill container: ${ref}: container ${cs.config(id).name} is not running`, 1);
  });
}

export async function remove(cs: Containers, ref: string, force: boolean): Promise<void> {
  const id = cs.resolve(ref);
  await repair(cs, [id]);
  const s = cs.state(id);
  if (isRunning(s) || s.status === "restarting") {
    if (!force) {
      throw new ZooError(`cannot remove container "${cs.config(id).name}": container is ${s.status}: stop the container before removing or force remove (zoo rm -f)`, 1);
    }
    await cs.locked(id, async () => {
      const st = cs.state(id);
      cs.writeState(id, { ...st, stoppedByUser: true });
      await signal(st, osc.signals.SIGKILL);
    });
    if (!(await waitEnded(cs, id, 30_000))) throw new ZooError(`container ${ref} did not stop after SIGKILL`, 1);
  }
  // A monitor may still be in charge of a container that is only created (a start in progress).
  if (cs.monitored(id)) throw new ZooError(`cannot remove container "${cs.config(id).name}": it is being started`, 1);
  await removeContainer(cs, id);
}

/** Blocks until the container's current run ends; its exit code. */
export async function wait(cs: Containers, ref: string): Promise<number> {
  const id = cs.resolve(ref);
  await repair(cs, [id]);
  const startedAt = cs.state(id).startedAt;
  for (;;) {
    const s = cs.state(id);
    if (s.status === "exited" || s.status === "created" || (s.startedAt !== startedAt && s.finishedAt !== "0001-01-01T00:00:00Z")) return s.exitCode;
    if (s.status === "restarting" && s.startedAt === startedAt) return s.exitCode;
    if (!cs.monitored(id)) await repair(cs, [id]);
    await Bun.sleep(50);
  }
}

export async function restart(cs: Containers, ref: string, timeout: number): Promise<void> {
  await stop(cs, ref, timeout);
  await start(cs, ref);
}

export async function pause(cs: Containers, ref: string, on: boolean): Promise<void> {
  const id = cs.resolve(ref);
  await repair(cs, [id]);
  await cs.locked(id, async () => {
    const s = cs.state(id);
    const name = cs.config(id).name;
    if (on && s.status !== "running") throw new ZooError(`container ${name} is not running`, 1);
    if (!on && s.status !== "paused") throw new ZooError(`container ${name} is not paused`, 1);
    if (!s.resources?.cgroup) throw new ZooError(`container ${name} has no cgroup to freeze (rootless without a delegated cgroup)`, 1);
    await ContainerCgroup.restore(s.resources.cgroup).setFrozen(on);
    cs.writeState(id, { ...s, status: on ? "paused" : "running" });
  });
}

export async function rename(cs: Containers, ref: string, to: string): Promise<void> {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(to)) throw new ZooError(`invalid container name "${to}": names use letters, digits, _ . - and start with a letter or digit`);
  const id = cs.resolve(ref);
  await cs.storeLocked(() => {
    const clash = cs.all().find((c) => c.config.name === to);
    if (clash) throw new ZooError(`Conflict. The container name "/${to}" is already in use by container "${clash.config.id}". You have to remove (or rename) that container to be able to reuse that name.`, 1);
    cs.writeConfig({ ...cs.config(id), name: to });
  });
}

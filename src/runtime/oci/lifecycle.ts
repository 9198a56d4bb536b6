// zoo-runtime's container lifecycle after create: start, state, kill, delete,
// list. State transitions happen under the container's lock. create and run
// are in create.ts, so that these commands do not load what only creating a
// container needs (plan builder, launcher, seccomp, console).
import { closeSync, statSync, constants as fsc, openSync, rmdirSync, unlinkSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ContainerCgroup } from "../../cgroups/index.ts";
import { pollHangup } from "../../sys/libc.ts";
import { userName } from "../idmap.ts";
import { RuntimeError } from "./errors.ts";
import { isAlive } from "./proc-stat.ts";
import { isFrozen, statusOf, type ContainerState, type Status, type Store } from "./store.ts";
import { thaw } from "./pause.ts";
import { runHooks, runHooksWarn, type HookState, type Hooks } from "./hooks.ts";
import { writeErr } from "../../util/stdio.ts";

const SIGKILL = 9;

export const hookState = (s: { ociVersion: string; id: string; bundle: string; annotations?: Record<string, string> }, status: HookState["status"], pid: number): HookState => ({
  ociVersion: s.ociVersion,
  id: s.id,
  status,
  pid,
  bundle: s.bundle,
  ...(s.annotations ? { annotations: s.annotations } : {}),
});

export function warn(lines: string[]): void {
  for (const l of lines) writeErr(`zoo-runtime: warning: ${l}\n`);
}

export async function start(store: Store, id: string): Promise<void> {
  await store.locked(id, () => startLocked(store.read(id)));
}

/** `start` with the lock held and the state at hand (`run` has it from `create`). */
export async function startLocked(s: ContainerState): Promise<void> {
  const status = statusOf(s);
  if (status === "stopped") throw new RuntimeError("cannot start a container that has stopped");
  if (status === "running") throw new RuntimeError("cannot start an already running container");
  if (status === "paused") throw new RuntimeError("cannot start a container in the paused state");
  const hooks = s.spec?.hooks as Hooks | undefined;
  try {
    // In the container (its namespaces and root), with init waiting on the fifo just before exec.
    await runHooks(hooks, "startContainer", hookState(s, "created", s.pid), { kind: "container", pid: s.pid, root: true });
  } catch (e) {
    // runtime.md: a failed startContainer hook stops the container; `delete` does the rest.
    try {
      process.kill(s.pid, "SIGKILL");
    } catch {}
    throw e;
  }
  // CREATED comes before the child's open(O_WRONLY), so it may not be
  // waiting yet: keep a reader open until a writer has come and gone
  // (POLLHUP), and stop waiting if the container dies instead.
  const fd = openSync(s.fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
  try {
    while (!pollHangup(fd, 50)) {
      if (!isAlive(s.pid, s.pidStartTime)) throw new RuntimeError("cannot start a container that has stopped");
    }
    unlinkSync(s.fifo);
  } finally {
    closeSync(fd);
  }
  warn(await runHooksWarn(hooks, "poststart", hookState(s, "running", s.pid), { kind: "runtime" }));
}

export async function state(store: Store, id: string): Promise<ContainerState & { status: Status }> {
  return store.locked(id, () => {
    const s = store.read(id);
    return { ...s, status: statusOf(s) };
  });
}

/** runc's `state` JSON: pid 0 once the container has stopped. */
export function publicState(s: ContainerState & { status: Status }) {
  return {
    ociVersion: s.ociVersion,
    id: s.id,
    pid: s.status === "stopped" ? 0 : s.pid,
    status: s.status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: s.owner,
    ...(s.annotations ? { annotations: s.annotations } : {}),
  };
}

export async function kill(store: Store, id: string, signal: number, all: boolean): Promise<void> {
  await store.locked(id, async () => {
    const s = store.read(id);
    const stopped = statusOf(s) === "stopped";
    if (stopped && !all) throw new RuntimeError("container not running");
    const pids = all ? cgroupPids(s) : [];
    // As runc: --all of a stopped container signals what is left in its cgroup (init's pid may be reused).
    if (!stopped && !pids.includes(s.pid)) pids.unshift(s.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw new RuntimeError(`kill ${pid}: ${(e as Error).message}`);
      }
    }
    // As runc: a frozen task acts on no signal, and SIGKILL is the one that must not wait for resume.
    if (signal === SIGKILL && isFrozen(s)) await thaw(s);
  });
}

function cgroupPids(s: ContainerState): number[] {
  for (const p of s.cgroup?.paths ?? []) {
    try {
      const pids = readFileSync(join(p.dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
      if (pids.length) return pids;
    } catch {}
  }
  return [];
}

export async function remove(store: Store, id: string, force: boolean): Promise<void> {
  await store.locked(id, async () => {
    // A create that was killed half way leaves a directory without state; --force clears it.
    if (force && !store.hasState(id)) return store.remove(id);
    const s = store.read(id);
    const status = statusOf(s);
    // A created container never ran anything: runc deletes it without --force.
    if ((status === "running" || status === "paused") && !force) throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${status}`);
    await destroy(s);
    store.remove(id);
    warn(await runHooksWarn(s.spec?.hooks as Hooks | undefined, "poststop", hookState(s, "stopped", s.pid), { kind: "runtime" }));
  });
}

/**
 * Kills whatever is left, waits for the shim, removes the cgroup and root
 * mount dir. `exited`: the shim has reaped init and exited itself (the end of
 * a foreground `run`), so there is nothing to kill or wait for unless the
 * cgroup says otherwise.
 */
export async function destroy(s: ContainerState, exited = false): Promise<void> {
  if (!exited) {
    for (const [pid, t] of [[s.pid, s.pidStartTime], [s.shimPid, s.shimStartTime]] as const) {
      if (!isAlive(pid, t)) continue;
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    // A paused container's processes die only once thawed.
    if (isFrozen(s)) await thaw(s).catch(() => {});
    for (let i = 0; i < 500 && (isAlive(s.pid, s.pidStartTime) || isAlive(s.shimPid, s.shimStartTime)); i++) await Bun.sleep(10);
  }
  const problems: string[] = [];
  if (s.cgroup) {
    try {
      const cg = ContainerCgroup.restore(s.cgroup);
      if (!(exited && cg.removeIfEmpty())) await cg.destroy();
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (s.rootMount) {
    try {
      rmdirSync(s.rootMount);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") problems.push(`remove ${s.rootMount}: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new RuntimeError(`delete ${s.id}: ${problems.join("; ")}`);
}

export async function list(store: Store): Promise<(ContainerState & { status: Status })[]> {
  const out: (ContainerState & { status: Status })[] = [];
  for (const id of store.ids()) {
    try {
      // As runc's list does: the owner is whoever owns the state directory.
      out.push({ ...(await state(store, id)), owner: userName(statSync(store.dir(id)).uid) });
    } catch {
      // Mid-create or mid-delete: not a container yet, or not any more.
    }
  }
  return out;
}

// zoo-runtime's container lifecycle: create, start, kill, delete, run, and the
// state they report. State transitions happen under the container's lock.
import { chmodSync, closeSync, statSync, constants as fsc, openSync, rmdirSync, unlinkSync, writeFileSync, renameSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { cgroupDir, ContainerCgroup, detectHierarchies, type CgroupPath } from "../../cgroups/index.ts";
import { loadBundle } from "../../oci/load.ts";
import type { Spec } from "../../oci/spec.ts";
import { compileSeccomp, seccompSetup } from "../../seccomp/index.ts";
import { Msg } from "../../plan/ids.ts";
import { mkfifo, pollHangup } from "../../sys/libc.ts";
import { containerCgroups } from "../cgroup-setup.ts";
import { joinSystemdScope, parseSystemdCgroupsPath } from "../../cgroups/systemd/index.ts";
import { userName } from "../idmap.ts";
import { createDetached, type Detached } from "../detached.ts";
import { waitForExit } from "../run.ts";
import { RuntimeError } from "./errors.ts";
import { isAlive, procInfo } from "./proc-stat.ts";
import { checkId, FIFO_NAME, isFrozen, statusOf, Store, type ContainerState, type Status } from "./store.ts";
import { thaw } from "./pause.ts";
import { applyDeviceRules, deviceWrites } from "./devices-cgroup.ts";
import { hasHooks, HookError, runHooks, runHooksWarn, type HookState, type Hooks } from "./hooks.ts";
import { connectConsoleSocket, consolePair, ourTerminalSize, receiveMaster, relayTerminal } from "../console.ts";

const O_PATH = 0o10000000;
const SIGKILL = 9;

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  preserveFds?: number;
  /** --console-socket: where the pty's master goes when process.terminal is set. */
  consoleSocket?: string;
  /** `run` without -d: the caller stays, so it may proxy a terminal itself (create always detaches). */
  foreground?: boolean;
  /** --systemd-cgroup: the cgroup goes in a systemd scope named by cgroupsPath "slice:prefix:name". */
  systemdCgroup?: boolean;
}

/** runc's rules (utils_linux.go checkTerminal), in its words with our name; `exec` has the same. */
export function checkTerminal(terminal: boolean, detach: boolean, consoleSocket: string | undefined): void {
  if (detach && terminal && consoleSocket === undefined) {
    throw new RuntimeError("cannot allocate tty if zoo-runtime will detach without setting console socket");
  }
  if ((!detach || !terminal) && consoleSocket !== undefined) {
    throw new RuntimeError("cannot use console socket if zoo-runtime will not detach or allocate tty");
  }
}

const hookState = (s: { ociVersion: string; id: string; bundle: string; annotations?: Record<string, string> }, status: HookState["status"], pid: number): HookState => ({
  ociVersion: s.ociVersion,
  id: s.id,
  status,
  pid,
  bundle: s.bundle,
  ...(s.annotations ? { annotations: s.annotations } : {}),
});

function warn(lines: string[]): void {
  for (const l of lines) process.stderr.write(`zoo-runtime: warning: ${l}\n`);
}

/** Where the container's cgroup goes: the last component of cgroupsPath names it, the rest is its parent. */
export function cgroupPlacement(spec: Spec, id: string): { name: string; parent?: string } {
  const cp = spec.linux?.cgroupsPath;
  if (!cp) return { name: `zoo-${id}` };
  const parts = cp.split("/").filter(Boolean);
  const name = parts.pop()!;
  const parent = (cp.startsWith("/") ? "/" : "") + parts.join("/");
  return { name, parent: parent === "" ? undefined : parent };
}

/** Ends errors about a parent cgroup that cannot hand controllers down (zoo's own, when it holds processes). */
const PARENT_ADVICE =
  'run with --systemd-cgroup, or set linux.cgroupsPath to an absolute path whose parent holds no processes (e.g. "/zoo/<id>")';

/** --systemd-cgroup: we join the scope cgroupsPath names; the container cgroup is "container" inside it. */
async function systemdPlacement(spec: Spec, id: string): Promise<{ name: string; parent: string }> {
  const { unit, slice } = parseSystemdCgroupsPath(spec.linux?.cgroupsPath, id, process.geteuid!() !== 0);
  const scope = await joinSystemdScope({ unit, slice, description: `zoo-runtime container ${id}` });
  return { name: "container", parent: scope.path };
}

/**
 * Our own cgroup directories: a container without a cgroup of its own
 * (rootless, nothing delegated) is in ours, and runc's v1 "cgroup" mount then
 * shows those. Unreadable hierarchies are simply left out.
 */
function ownCgroupPaths(): CgroupPath[] {
  try {
    return detectHierarchies().flatMap((h) => {
      const dir = cgroupDir(h, h.ownPath);
      return dir ? [{ version: h.version, controllers: h.controllers, mountPoint: h.mountPoint, dir }] : [];
    });
  } catch {
    return [];
  }
}

export async function create(store: Store, o: CreateOptions): Promise<ContainerState & { detached: Detached; console?: number }> {
  checkId(o.id);
  const { bundle, spec } = loadBundle(o.bundle, { systemdCgroup: o.systemdCgroup });
  checkTerminal(spec.process?.terminal === true, !o.foreground, o.consoleSocket);
  // Bad rules are refused before anything is made.
  deviceWrites(spec.linux?.resources?.devices ?? [], spec.linux?.devices ?? []);
  const hooks = spec.hooks as Hooks | undefined;
  const dir = store.reserve(o.id);
  // Everyone else sees "does not exist" until state.json is written, under this lock.
  return store.locked(o.id, async () => {
    let fifoFd: number | null = null;
    let consoleFd: number | null = null;
    let ours: number | undefined;
    try {
      if (o.consoleSocket !== undefined) consoleFd = connectConsoleSocket(o.consoleSocket);
      else if (spec.process?.terminal) {
        // Foreground run: the master comes to us, and `run` relays it to its own stdio.
        const pair = consolePair();
        ours = pair.near;
        consoleFd = pair.far;
        // The pty starts as big as the terminal we relay it to.
        const size = spec.process.consoleSize ? null : ourTerminalSize();
        if (size) spec.process.consoleSize = { height: size.rows, width: size.cols };
      }
      const hooksFifo = join(dir, "hooks.fifo");
      if (hasHooks(hooks, "prestart", "createRuntime", "createContainer")) {
        mkfifo(hooksFifo, 0o622);
        chmodSync(hooksFifo, 0o622);
      }
      const fifo = join(dir, FIFO_NAME);
      mkfifo(fifo, 0o622);
      // Past the umask: the container's process, whatever its uid, must be able to open it for writing.
      chmodSync(fifo, 0o622);
      fifoFd = openSync(fifo, O_PATH);
      const placement = o.systemdCgroup ? await systemdPlacement(spec, o.id) : cgroupPlacement(spec, o.id);
      const { devices: deviceRules, ...limits } = spec.linux?.resources ?? {};
      const cgroups = containerCgroups(limits, { ...placement, flagHints: {}, parentAdvice: PARENT_ADVICE });
      const sc = spec.linux?.seccomp;
      const seccomp = sc ? seccompSetup(compileSeccomp(sc as never), sc, { ociVersion: spec.ociVersion, id: o.id, bundle, annotations: spec.annotations }) : null;
      const d = await createDetached(spec, { cgroups, seccomp }, {
        startFifoFd: fifoFd,
        preserveFds: o.preserveFds,
        consoleSocketFd: consoleFd ?? undefined,
        // Only a foreground `run` waits for EXIT from the shim; otherwise the
        // process is left to our caller's subreaper, as runc leaves it.
        exitOnStart: !o.foreground,
        cgroupMountPaths: ownCgroupPaths(),
        checkpoint: hasHooks(hooks, "prestart", "createRuntime", "createContainer")
          ? {
              fifo: hooksFifo,
              run: async (pid) => {
                const st = hookState({ ociVersion: spec.ociVersion, id: o.id, bundle, annotations: spec.annotations }, "creating", pid);
                await runHooks(hooks, "prestart", st, { kind: "runtime" });
                await runHooks(hooks, "createRuntime", st, { kind: "runtime" });
                await runHooks(hooks, "createContainer", st, { kind: "container", pid, root: false });
              },
            }
          : undefined,
      });
      const state: ContainerState = {
        ociVersion: spec.ociVersion,
        id: o.id,
        pid: d.pid,
        bundle,
        rootfs: spec.root!.path,
        created: new Date().toISOString(),
        annotations: spec.annotations,
        owner: "",
        pidStartTime: procInfo(d.pid)?.startTime ?? "",
        shimPid: d.shimPid,
        shimStartTime: procInfo(d.shimPid)?.startTime ?? "",
        cgroup: d.cgroup,
        rootMount: d.rootMount,
        fifo,
        spec,
      };
      try {
        // Before start: the command never runs with more devices than the config allows.
        applyDeviceRules(d.cgroup?.paths ?? [], deviceRules ?? [], spec.linux?.devices ?? []);
        store.write(state);
        if (o.pidFile) writePidFile(o.pidFile, d.pid);
      } catch (e) {
        await destroy(state);
        throw e;
      }
      return { ...state, detached: d, console: ours };
    } catch (e) {
      if (ours !== undefined) closeSync(ours);
      store.remove(o.id);
      // The container existed and is gone again: the lifecycle ends with poststop (runtime.md step 14).
      if (e instanceof HookError) warn(await runHooksWarn(hooks, "poststop", hookState({ ociVersion: spec.ociVersion, id: o.id, bundle, annotations: spec.annotations }, "stopped", 0), { kind: "runtime" }));
      throw e;
    } finally {
      if (fifoFd !== null) closeSync(fifoFd);
      if (consoleFd !== null) closeSync(consoleFd);
    }
  });
}

export function writePidFile(file: string, pid: number) {
  // Whole or absent: callers poll for this file and read it once.
  const abs = resolve(file);
  const tmp = join(dirname(abs), `.${Date.now()}.pid.tmp`);
  try {
    writeFileSync(tmp, String(pid));
    renameSync(tmp, abs);
  } catch (e) {
    throw new RuntimeError(`--pid-file ${file}: ${(e as Error).message}`);
  }
}

export async function start(store: Store, id: string): Promise<void> {
  await store.locked(id, async () => {
    const s = store.read(id);
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
  });
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
    if (statusOf(s) === "stopped") throw new RuntimeError("container not running");
    const pids = all ? cgroupPids(s) : [];
    if (!pids.includes(s.pid)) pids.unshift(s.pid);
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

/** Kills whatever is left, waits for the shim, removes the cgroup and root mount dir. */
async function destroy(s: ContainerState): Promise<void> {
  for (const [pid, t] of [[s.pid, s.pidStartTime], [s.shimPid, s.shimStartTime]] as const) {
    if (!isAlive(pid, t)) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  // A paused container's processes die only once thawed.
  if (isFrozen(s)) await thaw(s).catch(() => {});
  for (let i = 0; i < 500 && (isAlive(s.pid, s.pidStartTime) || isAlive(s.shimPid, s.shimStartTime)); i++) await Bun.sleep(10);
  const problems: string[] = [];
  if (s.cgroup) {
    try {
      await ContainerCgroup.restore(s.cgroup).destroy();
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

/** create + start; in the foreground, wait and delete, returning the exit code like a shell. */
export async function run(store: Store, o: CreateOptions & { detach: boolean }): Promise<number> {
  const c = await create(store, { ...o, foreground: !o.detach });
  let relay: ReturnType<typeof relayTerminal> | null = null;
  try {
    // The child sent the master before it reported CREATED: it is waiting on the socket.
    if (c.console !== undefined) relay = relayTerminal(receiveMaster(c.console));
    await start(store, o.id);
  } catch (e) {
    relay?.stop();
    await remove(store, o.id, true).catch(() => {});
    throw e;
  } finally {
    if (c.console !== undefined) closeSync(c.console);
  }
  if (o.detach) return 0;
  try {
    await c.detached.expect(Msg.STARTED, "starting the command");
  } catch (e) {
    relay?.stop();
    await remove(store, o.id, true).catch(() => {});
    throw e;
  }
  const status = await waitForExit(c.detached, false);
  if (relay) {
    // What the process wrote last is still in the pty: read until EIO (or give up after a moment).
    await Promise.race([relay.done, Bun.sleep(1000)]);
    relay.stop();
  }
  await remove(store, o.id, true);
  return status.signal !== null ? 128 + status.signal : (status.code ?? 0);
}

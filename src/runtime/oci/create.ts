// zoo-runtime create and run: a bundle's config becomes a container blocked
// before exec (create), which run then starts and, in the foreground, waits
// for and deletes. The lifecycle after create is in lifecycle.ts.
import { chmodSync, closeSync, openSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { cgroupDir, detectHierarchies, type CgroupPath, type Hierarchy } from "../../cgroups/index.ts";
import { loadBundle } from "../../oci/load.ts";
import type { Spec } from "../../oci/spec.ts";
// The modules themselves, not seccomp/index.ts: that one also loads the engine's profiles.
import { compileSeccompCached, defaultSeccompCache } from "../../seccomp/cache.ts";
import { seccompSetup } from "../../seccomp/listener.ts";
import { Msg } from "../../plan/ids.ts";
import { mkfifo } from "../../sys/libc.ts";
import { containerCgroups } from "../cgroup-setup.ts";
import { joinSystemdScope, parseSystemdCgroupsPath } from "../../cgroups/systemd/index.ts";
import { createDetached, type Detached } from "../detached.ts";
import { forwardSignals, waitForExit } from "../run.ts";
import { RuntimeError } from "./errors.ts";
import { procInfo } from "./proc-stat.ts";
import { checkId, FIFO_NAME, type ContainerState, type Store } from "./store.ts";
import { containerRules } from "../device-cgroup/rules.ts";
import { restrictDevices } from "../device-cgroup/apply.ts";
import { hasHooks, HookError, runHooks, runHooksWarn, type Hooks } from "./hooks.ts";
import { destroy, hookState, remove, startLocked, warn } from "./lifecycle.ts";
import type { RunRecorder } from "./run-cache/record.ts";
import { runIneligible } from "./run-cache/eligible.ts";
import { connectConsoleSocket, consolePair, ourTerminalSize, receiveMaster, relayTerminal } from "../console.ts";

const O_PATH = 0o10000000;

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
  /** --no-pivot: MS_MOVE + chroot instead of pivot_root. */
  noPivot?: boolean;
  /** Watches the run for the run cache (run-cache/record.ts); changes nothing it does. */
  recorder?: RunRecorder;
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
function ownCgroupPaths(hierarchies: Hierarchy[]): CgroupPath[] {
  return hierarchies.flatMap((h) => {
    const dir = cgroupDir(h, h.ownPath);
    return dir ? [{ version: h.version, controllers: h.controllers, mountPoint: h.mountPoint, dir }] : [];
  });
}

export async function create(store: Store, o: CreateOptions): Promise<ContainerState & { detached: Detached; console?: number }> {
  checkId(o.id);
  const { bundle, spec, raw } = loadBundle(o.bundle, { systemdCgroup: o.systemdCgroup });
  o.recorder?.bundleLoaded(bundle, spec, raw);
  checkTerminal(spec.process?.terminal === true, !o.foreground, o.consoleSocket);
  // Bad rules are refused before anything is made.
  const deviceRules = containerRules(spec.linux?.resources?.devices ?? [], spec.linux?.devices ?? []);
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
      const { devices: _rules, ...limits } = spec.linux?.resources ?? {};
      // Once for both uses (after systemdPlacement, which may have moved us).
      const hierarchies = detectHierarchies();
      const cgroups = containerCgroups(limits, { ...placement, flagHints: {}, hierarchies, parentAdvice: PARENT_ADVICE, fs: o.recorder?.fs });
      const sc = spec.linux?.seccomp;
      const seccomp = sc ? seccompSetup(await compileSeccompCached(sc as never, defaultSeccompCache()), sc, { ociVersion: spec.ociVersion, id: o.id, bundle, annotations: spec.annotations }) : null;
      const d = await createDetached(spec, { cgroups, seccomp }, {
        startFifoFd: fifoFd,
        preserveFds: o.preserveFds,
        consoleSocketFd: consoleFd ?? undefined,
        // Only a foreground `run` waits for EXIT from the shim; otherwise the
        // process is left to our caller's subreaper, as runc leaves it.
        exitOnStart: !o.foreground,
        cgroupMountPaths: ownCgroupPaths(hierarchies),
        noPivot: o.noPivot,
        observer: o.recorder,
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
        restrictDevices(d.cgroup?.paths ?? [], deviceRules);
        store.write(state);
        if (o.pidFile) writePidFile(o.pidFile, d.pid);
        o.recorder?.createdContainer({ state, deviceRules, pidFile: o.pidFile ? resolve(o.pidFile) : undefined });
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

/** What the run cache needs to know of the command line: its arguments after the program name. */
export interface RunCacheArgs {
  argv: string[];
  debug: boolean;
}

/** create + start; in the foreground, wait and delete, returning the exit code like a shell. */
export async function run(store: Store, o: CreateOptions & { detach: boolean; cache?: RunCacheArgs }): Promise<number> {
  const cache = o.cache && runIneligible({ ...o, debug: o.cache.debug, euid: process.geteuid!(), main: Bun.main, env: process.env }) === null ? await import("./run-cache/index.ts") : null;
  const recorder = cache?.watchRun(o.cache!.argv, o.id, store.root) ?? undefined;
  const c = await create(store, { ...o, foreground: !o.detach, recorder });
  let relay: ReturnType<typeof relayTerminal> | null = null;
  // From before start on: a signal that comes as soon as the command runs must reach it, not end us.
  const stopForwarding = o.detach ? () => {} : forwardSignals(c.detached.sock, false);
  try {
    // The child sent the master before it reported CREATED: it is waiting on the socket.
    if (c.console !== undefined) relay = relayTerminal(receiveMaster(c.console));
    await store.locked(o.id, () => startLocked(c));
  } catch (e) {
    stopForwarding();
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
    stopForwarding();
    relay?.stop();
    await remove(store, o.id, true).catch(() => {});
    throw e;
  }
  const status = await waitForExit(c.detached, false, stopForwarding);
  if (relay) {
    // What the process wrote last is still in the pty: read until EIO (or give up after a moment).
    await Promise.race([relay.done, Bun.sleep(1000)]);
    relay.stop();
  }
  // What `delete` does, without reading back the state we hold or waiting for processes the shim has reaped.
  await store.locked(o.id, async () => {
    await destroy(c, true);
    store.remove(o.id);
    warn(await runHooksWarn(c.spec?.hooks as Hooks | undefined, "poststop", hookState(c, "stopped", c.pid), { kind: "runtime" }));
  });
  // Everything went as the entry will say: the front door may do it next time.
  if (cache && recorder) cache.finishRun(recorder, o.id);
  return status.signal !== null ? 128 + status.signal : (status.code ?? 0);
}

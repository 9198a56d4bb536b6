// The part of starting a container that foreground and detached runs share:
// plan, spawn the shim, CHILD_PID → id maps/cgroups/hooks → SETUP_DONE
// (docs/design/sync-protocol.md). What happens after SETUP_DONE is the caller's.
import { closeSync, mkdirSync, rmdirSync, statSync, writeSync } from "node:fs";
import type { Spec } from "../oci/spec.ts";
import { Msg, Stage } from "../plan/ids.ts";
import { encodePlan } from "../plan/encode.ts";
import { isOp, toRecords, type PlanStep } from "../plan/ops.ts";
import { memfd, seqpacketPair } from "../sys/libc.ts";
import type { Cleanup } from "../util/cleanup.ts";
import { ExecError, ZooError } from "../util/errors.ts";
import { installMappings } from "./idmap.ts";
import { buildPlan, type BuildContext } from "./plan-builder.ts";
import type { SeccompSetup } from "../seccomp/listener.ts";
import { shimPath } from "./shim-path.ts";
import { decodeError, encodeI32, encodeOrphanList, i32, MsgName, recv, send, type Message } from "./sync.ts";
import { describeFailure } from "./failure.ts";
import type { ContainerCgroups } from "./cgroups.ts";
import type { CgroupPath } from "../cgroups/index.ts";

export interface RunHooks {
  /** Cgroups for the container; `name` is known only once the child exists when naming by pid. */
  cgroups?: ContainerCgroups;
  /** Compiled seccomp filter for the plan. */
  seccomp?: SeccompSetup | null;
  /** Root from image layers (zoo run) instead of a bind-mounted root.path. */
  rootOverlay?: { lower: string[]; upper: string; work: string; userxattr: boolean };
  /** Called after the child exists and before it runs anything (network setup); `rootMount` as in Launched. */
  onChild?: (pid: number, cleanup: Cleanup, rootMount: string | null) => Promise<void> | void;
  /** Temporary directories the caller made for this run, for the shim to remove if zoo dies. */
  scratchDirs?: string[];
}

export interface LaunchMode {
  /** FOREGROUND: the shim kills the container if we die, and stays in our session. */
  foreground: boolean;
  /** Fd (in this process) of the start fifo, opened O_PATH: the child blocks on it before exec. */
  startFifoFd?: number;
  /** Fds 3..2+n of this process are passed to the container's process as the same numbers. */
  preserveFds?: number;
  /** Fd (in this process) of a connected unix socket: the container's process makes a pty and sends its master there. */
  consoleSocketFd?: number;
  /** Host path of a fifo the child blocks on after its mounts and before pivot_root (CREATED first), for OCI hooks. */
  hooksFifo?: string;
  /** The shim exits after STARTED instead of waiting for the process (no EXIT): detached zoo-runtime containers. */
  exitOnStart?: boolean;
  /** What a v1 "cgroup" mount shows when the container has no cgroup of its own (zoo-runtime rootless). */
  cgroupMountPaths?: CgroupPath[];
  /** Builds the plan instead of buildPlan: `zoo-runtime exec` joins a running container. */
  buildSteps?: (spec: Spec, ctx: BuildContext) => PlanStep[];
  /**
   * A `zoo run -d` container's monitor: extra zoo-shim options (log, exit
   * file, exit command), stdio from /dev/null, and fds of ours the shim keeps
   * for its whole life (a lock), which the container's process never gets.
   */
  monitor?: { args: (string | { keepFd: number })[]; keepFds: number[]; cwd?: string };
  /** runc's --no-pivot (BuildContext.noPivot). */
  noPivot?: boolean;
  /** Told what this launch decided, for the run cache (src/runtime/oci/run-cache/); changes nothing. */
  observer?: LaunchObserver;
}

/** What a launch tells its observer; the observer must not throw. */
export interface LaunchObserver {
  /** What sourceIsFile found at a path the plan builder asked about. */
  source(path: string, kind: SourceKind): void;
  /** The plan as the shim gets it, what it was built from, and the shim's fds and CLEANUP list. */
  planned(p: PlannedLaunch): void;
  /** CHILD_PID arrived: what follows is the child's setup. */
  child(pid: number): void;
  /** The container ended (a foreground run): what follows is the teardown. */
  exited?(): void;
  /** The run's own cleanups did not all succeed (a foreground run). */
  cleanupFailed?(failures: string[]): void;
}

export type SourceKind = "dir" | "not-dir" | "absent" | "unknown";

export interface PlannedLaunch {
  spec: Spec;
  ctx: BuildContext;
  plan: Uint8Array;
  /** The shim's argv. */
  argv: string[];
  planSlot: number;
  /** Fds of ours and the numbers the shim gets them as. */
  slots: { fd: number; slot: number; what: "fifo" | "cgroup" | "console" | "keep" }[];
  /** The first CLEANUP list. */
  cleanup: string[];
}

function sourceKind(p: string): SourceKind {
  try {
    return statSync(p).isDirectory() ? "dir" : "not-dir";
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "absent" : "unknown";
  }
}

export interface Launched {
  sock: number;
  pid: number;
  shimPid: number;
  shimExit: Promise<number>;
  steps: PlanStep[];
  /** The root's mount point this launch made (an overlay's), which the caller removes; null for a root.path bound onto itself. */
  rootMount: string | null;
  /** The next message from the shim; an ERROR becomes the user's one-line failure. */
  expect(type: number, what: string): Promise<Message>;
}

const mapsToRoot = (maps: { containerID: number; hostID: number }[], id: number) =>
  maps.some((m) => m.containerID === 0 && m.hostID === id);

/**
 * Whether `p` is the host's "/" (through a symlink too): bound onto itself it
 * would sit on this namespace's root, no mount point to pivot into. stat, not
 * realpath: no open(2) of the user's tree on the host side.
 */
function isHostRoot(p: string): boolean {
  if (p === "/") return true;
  try {
    const a = statSync(p);
    const r = statSync("/");
    return a.dev === r.dev && a.ino === r.ino;
  } catch {
    return false;
  }
}

export async function launch(spec: Spec, hooks: RunHooks, cleanup: Cleanup, mode: LaunchMode): Promise<Launched> {
  // A bundle's root.path is bound onto itself in the container's mount
  // namespace and pivoted into, as runc does: no host directory to make or
  // remove. An overlay root (and a root.path of "/", which the shim refuses
  // as ROOTFS) needs an empty mount point of its own: named now and made just
  // after the shim starts (below), so that from the moment it exists the
  // shim can remove it should this process die. Only that directory is ever
  // listed for removal, never root.path.
  // Web Crypto, not node:crypto: that module costs ~10 ms of start-up to load.
  const rootPath = spec.root?.path || null;
  const rootMount: string | null =
    rootPath !== null && (hooks.rootOverlay || isHostRoot(rootPath)) ? `/tmp/zoo.${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("base64url")}` : null;

  const cg = hooks.cgroups;
  const cgroupFd = cg ? cg.beforeClone(cleanup) : null;

  const uidMaps = spec.linux?.uidMappings ?? [];
  const gidMaps = spec.linux?.gidMappings ?? [];
  const gidMapped = (g: number) => gidMaps.some((m) => g >= m.containerID && g < m.containerID + m.size);
  // setgroups stays allowed unless an unprivileged caller maps only its own gid.
  const euid = process.geteuid!();
  const setgroupsAllowed = euid === 0 || !(gidMaps.length === 1 && gidMaps[0]!.size === 1);
  const hasUserNs = (spec.linux?.namespaces ?? []).some((n) => n.type === "user" && !n.path);

  // The shim's fds sit above the preserved range, which the container keeps as is.
  const preserve = mode.preserveFds ?? 0;
  const planIdx = 3 + preserve;
  const extra: number[] = [];
  const fifoIdx = mode.startFifoFd === undefined ? null : planIdx + 2 + extra.push(mode.startFifoFd) - 1;
  const cgroupIdx = cgroupFd === null ? null : planIdx + 2 + extra.push(cgroupFd) - 1;
  const consoleIdx = mode.consoleSocketFd === undefined ? undefined : planIdx + 2 + extra.push(mode.consoleSocketFd) - 1;
  const keepBase = planIdx + 2 + extra.length;
  extra.push(...(mode.monitor?.keepFds ?? []));
  // The shim's number for keepFds[i].
  const monitorArgs = (mode.monitor?.args ?? []).map((a) => (typeof a === "string" ? a : String(keepBase + a.keepFd)));

  const ctx: BuildContext = {
    rootMount: rootMount ?? rootPath,
    cgroupFd: cgroupIdx,
    seccomp: hooks.seccomp ?? null,
    gidMapped: hasUserNs ? gidMapped : () => true,
    setgroupsAllowed: hasUserNs ? setgroupsAllowed : true,
    foreground: mode.foreground,
    rootOverlay: hooks.rootOverlay,
    // The host path of the fifo is gone after pivot_root; the inherited fd is not.
    waitStart: fifoIdx === null ? undefined : `/proc/self/fd/${fifoIdx}`,
    preserveFds: preserve,
    consoleSocketFd: consoleIdx,
    // Known before clone when the cgroup is named up front (zoo-runtime).
    cgroupPaths: cg?.state()?.paths ?? mode.cgroupMountPaths,
    hooksCheckpoint: mode.hooksFifo,
    exitOnStart: mode.exitOnStart,
    noPivot: mode.noPivot,
    becomeNsRoot: hasUserNs && !mapsToRoot(uidMaps, euid),
    sourceIsFile: (p) => {
      const kind = sourceKind(p);
      mode.observer?.source(p, kind);
      return kind === "not-dir";
    },
  };
  const steps: PlanStep[] = (mode.buildSteps ?? buildPlan)(spec, ctx);

  const planFd = memfd("zoo-plan");
  const plan = encodePlan(toRecords(steps));
  writeSync(planFd, plan);
  const [sock, shimSock] = seqpacketPair();
  // What exists already (the cgroups) and the root mount point, made right
  // after the shim starts: queued before it runs, so that should this process
  // die before the shim has reported the container's pid, the shim still
  // finds the list and removes them.
  const madeList = () => [...(cg?.dirs() ?? []), ...(rootMount ? [rootMount] : []), ...(hooks.scratchDirs ?? []), ...cleanup.scratchDirs];
  const made = () => encodeOrphanList(madeList());
  send(sock, Msg.CLEANUP, made());
  // With a terminal the process's stdio is the pty: the shim keeps none of
  // ours, so whoever reads our output is not held open by the container.
  const own = mode.consoleSocketFd === undefined && !mode.monitor ? "inherit" : "ignore";
  const stdio: (number | "inherit" | "ignore")[] = [own, own, own];
  for (let fd = 3; fd < planIdx; fd++) stdio.push(fd);
  stdio.push(planFd, shimSock, ...extra);
  let shim;
  try {
    const argv = [shimPath(), "--plan-fd", String(planIdx), "--sync-fd", String(planIdx + 1), ...monitorArgs];
    if (mode.observer) {
      const what = (i: number) => (planIdx + 2 + i === fifoIdx ? "fifo" : planIdx + 2 + i === cgroupIdx ? "cgroup" : planIdx + 2 + i === consoleIdx ? "console" : "keep");
      mode.observer.planned({ spec, ctx, plan, argv, planSlot: planIdx, slots: extra.map((fd, i) => ({ fd, slot: planIdx + 2 + i, what: what(i) })), cleanup: madeList() });
    }
    // A monitor outlives us: it must not keep our working directory busy.
    shim = Bun.spawn(argv, { stdio: stdio as never, env: {}, cwd: mode.monitor ? (mode.monitor.cwd ?? "/") : undefined });
  } finally {
    closeSync(planFd);
    closeSync(shimSock);
  }
  cleanup.add("close sync socket", () => closeSync(sock));
  const shimExit = shim.exited;
  // Only now, with a shim holding the CLEANUP list, may the mount point exist:
  // made before the spawn, a SIGKILL in between left it behind. The child
  // touches it only after our replies (its ops wait for GO), so it is there in time.
  if (rootMount) {
    mkdirSync(rootMount, { mode: 0o700 });
    cleanup.add(`remove ${rootMount}`, () => rmdirSync(rootMount));
  }

  const expect = async (type: number, what: string): Promise<Message> => {
    const m = recv(sock);
    if (m?.type === type) return m;
    if (m?.type === Msg.ERROR) {
      const f = decodeError(m.payload);
      await shimExit;
      const text = describeFailure(f, steps.filter(isOp));
      if (f.stage === Stage.EXEC) throw new ExecError(text, f.errno === 2 ? 127 : 126);
      throw new ZooError(text);
    }
    const code = await shimExit;
    throw new ZooError(m ? `zoo-shim sent ${MsgName[m.type] ?? m.type} while ${what}` : `zoo-shim exited (status ${code}) while ${what}`);
  };

  const pid = i32((await expect(Msg.CHILD_PID, "creating the container")).payload);
  mode.observer?.child(pid);

  // Tell the shim what exists so far, and again once the cgroups do: should
  // this process die during setup, the shim removes them with the container.
  const ours = made;
  send(sock, Msg.CLEANUP, ours());
  try {
    if (hasUserNs) await installMappings(pid, uidMaps, gidMaps);
    cg?.attach(pid, cleanup);
    send(sock, Msg.CLEANUP, ours());
    await hooks.onChild?.(pid, cleanup, rootMount);
    for (const helper of cleanup.helpers) send(sock, Msg.HELPER, encodeI32(helper));
  } catch (e) {
    try {
      send(sock, Msg.ABORT);
    } catch {}
    await shimExit;
    throw e;
  }
  // Should this process die from here on in a foreground run, the shim kills
  // the container and removes these, so a SIGKILLed zoo leaves nothing behind.
  send(sock, Msg.SETUP_DONE, mode.foreground ? ours() : encodeOrphanList([]));
  return { sock, pid, shimPid: shim.pid, shimExit, steps, rootMount, expect };
}

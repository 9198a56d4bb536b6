// Runs one container from an OCI config: TS prepares and decides, zoo-shim
// clones and executes (docs/design/sync-protocol.md).
import { closeSync, mkdtempSync, rmdirSync, statSync, writeSync } from "node:fs";
import { constants as osc } from "node:os";
import type { Spec } from "../oci/spec.ts";
import { Msg, Stage } from "../plan/ids.ts";
import { encodePlan } from "../plan/encode.ts";
import { isOp, toRecords, type PlanStep } from "../plan/ops.ts";
import { memfd, seqpacketPair } from "../sys/libc.ts";
import { Cleanup } from "../util/cleanup.ts";
import { ExecError, ZooError } from "../util/errors.ts";
import { installMappings } from "./idmap.ts";
import { buildPlan } from "./plan-builder.ts";
import { shimPath } from "./shim-path.ts";
import { decodeError, encodeI32, encodeOrphanList, i32, MsgName, recv, send } from "./sync.ts";
import { decodeWaitStatus, type ExitStatus } from "./wait-status.ts";
import { describeFailure } from "./failure.ts";
import type { ContainerCgroups } from "./cgroups.ts";

export interface RunHooks {
  /** Cgroups for the container; `name` is known only once the child exists when naming by pid. */
  cgroups?: ContainerCgroups;
  /** Compiled seccomp filter for the plan. */
  seccomp?: { program: Uint8Array; flags: number } | null;
  /** Root from image layers (zoo run) instead of a bind-mounted root.path. */
  rootOverlay?: { lower: string[]; upper: string; work: string; userxattr: boolean };
  /** Called after the child exists and before it runs anything (network setup). */
  onChild?: (pid: number, cleanup: Cleanup) => Promise<void> | void;
}

export interface RunResult {
  status: ExitStatus;
  pid: number;
  oomKilled: boolean;
}

const FORWARDED = ["SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGINT", "SIGQUIT", "SIGWINCH"] as const;
// The terminal sends these to the whole foreground process group, which the
// container shares in the foreground: forwarding them again would deliver twice.
const TERMINAL_SIGNALS = new Set(["SIGINT", "SIGQUIT", "SIGWINCH"]);

export async function runForeground(spec: Spec, hooks: RunHooks = {}): Promise<RunResult> {
  const cleanup = new Cleanup();
  try {
    return await run(spec, hooks, cleanup);
  } finally {
    const failures = await cleanup.run();
    for (const f of failures) process.stderr.write(`zoo: cleanup: ${f}\n`);
  }
}

async function run(spec: Spec, hooks: RunHooks, cleanup: Cleanup): Promise<RunResult> {
  let rootMount: string | null = null;
  if (spec.root?.path) {
    rootMount = mkdtempSync("/tmp/zoo.");
    const dir = rootMount;
    cleanup.add(`remove ${dir}`, () => rmdirSync(dir));
  }

  const cg = hooks.cgroups;
  const cgroupFd = cg ? cg.beforeClone(cleanup) : null;

  const uidMaps = spec.linux?.uidMappings ?? [];
  const gidMaps = spec.linux?.gidMappings ?? [];
  const gidMapped = (g: number) => gidMaps.some((m) => g >= m.containerID && g < m.containerID + m.size);
  // setgroups stays allowed unless an unprivileged caller maps only its own gid.
  const euid = process.geteuid!();
  const setgroupsAllowed = euid === 0 || !(gidMaps.length === 1 && gidMaps[0]!.size === 1);
  const hasUserNs = (spec.linux?.namespaces ?? []).some((n) => n.type === "user" && !n.path);

  const steps: PlanStep[] = buildPlan(spec, {
    rootMount,
    cgroupFd: cgroupFd === null ? null : 5,
    seccomp: hooks.seccomp ?? null,
    gidMapped: hasUserNs ? gidMapped : () => true,
    setgroupsAllowed: hasUserNs ? setgroupsAllowed : true,
    foreground: true,
    rootOverlay: hooks.rootOverlay,
    sourceIsFile: (p) => {
      try {
        return !statSync(p).isDirectory();
      } catch {
        return false;
      }
    },
  });

  const planFd = memfd("zoo-plan");
  writeSync(planFd, encodePlan(toRecords(steps)));
  const [sock, shimSock] = seqpacketPair();
  const stdio: (number | "inherit")[] = ["inherit", "inherit", "inherit", planFd, shimSock];
  if (cgroupFd !== null) stdio.push(cgroupFd);
  let shim;
  try {
    shim = Bun.spawn([shimPath(), "--plan-fd", "3", "--sync-fd", "4"], { stdio: stdio as never, env: {} });
  } finally {
    closeSync(planFd);
    closeSync(shimSock);
  }
  cleanup.add("close sync socket", () => closeSync(sock));
  const shimExit = shim.exited;
  const reapShim = async () => void (await shimExit);

  const failWith = async (msg: DataView): Promise<never> => {
    const f = decodeError(msg);
    await reapShim();
    const text = describeFailure(f, steps.filter(isOp));
    if (f.stage === Stage.EXEC) throw new ExecError(text, f.errno === 2 ? 127 : 126);
    throw new ZooError(text);
  };
  const unexpected = async (what: string, m: { type: number } | null): Promise<never> => {
    const code = await shimExit;
    throw new ZooError(m ? `zoo-shim sent ${MsgName[m.type] ?? m.type} while ${what}` : `zoo-shim exited (status ${code}) while ${what}`);
  };

  const first = recv(sock);
  if (first?.type === Msg.ERROR) return failWith(first.payload);
  if (first?.type !== Msg.CHILD_PID) return unexpected("creating the container", first);
  const pid = i32(first.payload);

  try {
    if (hasUserNs) await installMappings(pid, uidMaps, gidMaps);
    cg?.attach(pid, cleanup);
    await hooks.onChild?.(pid, cleanup);
  } catch (e) {
    try {
      send(sock, Msg.ABORT);
    } catch {}
    await reapShim();
    throw e;
  }
  // Should this process die from here on, the shim kills the container and
  // removes these, so a SIGKILLed zoo leaves no cgroup or temp dir behind.
  send(sock, Msg.SETUP_DONE, encodeOrphanList([...(cg?.dirs() ?? []), ...(rootMount ? [rootMount] : [])]));

  const second = recv(sock);
  if (second?.type === Msg.ERROR) return failWith(second.payload);
  if (second?.type !== Msg.STARTED) return unexpected("starting the command", second);

  const handlers = FORWARDED.map((name) => {
    const fwd = !(TERMINAL_SIGNALS.has(name) && process.stdin.isTTY);
    const h = () => {
      if (!fwd) return;
      try {
        send(sock, Msg.SIGNAL, encodeI32(osc.signals[name]));
      } catch {}
    };
    process.on(name, h);
    return [name, h] as const;
  });
  await shimExit;
  for (const [name, h] of handlers) process.off(name, h);

  const last = recv(sock);
  if (last?.type !== Msg.EXIT) return unexpected("waiting for the container", last);
  const status = decodeWaitStatus(i32(last.payload));
  const oomKilled = cg ? cg.oomKilled() : false;
  return { status, pid, oomKilled };
}

export const signalName = (n: number) =>
  Object.entries(osc.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

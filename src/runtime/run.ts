// Runs one container from an OCI config: TS prepares and decides, zoo-shim
// clones and executes (docs/design/sync-protocol.md).
import { constants as osc } from "node:os";
// Not process.stdin.isTTY: that builds a stdin stream (2 ms) just to ask.
import { isatty } from "node:tty";
import type { Spec } from "../oci/spec.ts";
import { Msg } from "../plan/ids.ts";
import { Cleanup } from "../util/cleanup.ts";
import { launch, type LaunchObserver, type Launched, type RunHooks } from "./launch.ts";
import { encodeI32, i32, send } from "./sync.ts";
import { decodeWaitStatus, type ExitStatus } from "./wait-status.ts";
import { writeErr } from "../util/stdio.ts";

export type { RunHooks } from "./launch.ts";

export interface RunResult {
  status: ExitStatus;
  pid: number;
  oomKilled: boolean;
}

const FORWARDED = ["SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGINT", "SIGQUIT", "SIGWINCH"] as const;
// The terminal sends these to the whole foreground process group, which the
// container shares in the foreground: forwarding them again would deliver twice.
const TERMINAL_SIGNALS = new Set(["SIGINT", "SIGQUIT", "SIGWINCH"]);

/** `observer`: told what the launch decided (the run cache). */
export async function runForeground(spec: Spec, hooks: RunHooks = {}, observer?: LaunchObserver): Promise<RunResult> {
  const cleanup = new Cleanup();
  try {
    return await run(spec, hooks, cleanup, observer);
  } finally {
    const failures = await cleanup.run();
    for (const f of failures) writeErr(`zoo: cleanup: ${f}\n`);
    if (failures.length > 0) observer?.cleanupFailed?.(failures);
  }
}

async function run(spec: Spec, hooks: RunHooks, cleanup: Cleanup, observer?: LaunchObserver): Promise<RunResult> {
  const l = await launch(spec, hooks, cleanup, { foreground: true, observer });
  // From before start on: a signal that comes as soon as the command runs
  // (it may print before we hear STARTED) must reach it, not end us.
  const stopForwarding = forwardSignals(l.sock, true);
  try {
    await l.expect(Msg.STARTED, "starting the command");
  } catch (e) {
    stopForwarding();
    throw e;
  }
  const status = await waitForExit(l, true, stopForwarding);
  observer?.exited?.();
  const oomKilled = hooks.cgroups ? hooks.cgroups.oomKilled() : false;
  return { status, pid: l.pid, oomKilled };
}

/**
 * Forwards our signals to the container (as SIGNAL messages to its shim)
 * until the returned function is called. `sharesTerminal`: the container is
 * in our process group (a FOREGROUND shim), so the terminal's own signals
 * already reach it.
 */
export function forwardSignals(sock: number, sharesTerminal: boolean): () => void {
  const handlers = FORWARDED.map((name) => {
    const fwd = !(sharesTerminal && TERMINAL_SIGNALS.has(name) && isatty(0));
    const h = () => {
      if (!fwd) return;
      try {
        send(sock, Msg.SIGNAL, encodeI32(osc.signals[name]));
      } catch {}
    };
    process.on(name, h);
    return [name, h] as const;
  });
  return () => {
    for (const [name, h] of handlers) process.off(name, h);
  };
}

/** Forwards our signals (from now, unless the caller started that earlier) until the shim reports the container's exit. */
export async function waitForExit(l: Pick<Launched, "sock" | "shimExit" | "expect">, sharesTerminal: boolean, stopForwarding = forwardSignals(l.sock, sharesTerminal)): Promise<ExitStatus> {
  await l.shimExit;
  stopForwarding();
  const last = await l.expect(Msg.EXIT, "waiting for the container");
  return decodeWaitStatus(i32(last.payload));
}

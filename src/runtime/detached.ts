// `zoo-runtime create`: the container is set up completely, then left blocked
// in WAIT_START under a shim that outlives this process (no FOREGROUND: the
// shim calls setsid and keeps monitoring after we exit).
import type { CgroupPath, CgroupState } from "../cgroups/index.ts";
import type { Spec } from "../oci/spec.ts";
import { Msg } from "../plan/ids.ts";
import { Cleanup } from "../util/cleanup.ts";
import { closeSync, constants as fsc, openSync, unlinkSync } from "node:fs";
import { pollHangup } from "../sys/libc.ts";
import { launch, type Launched, type LaunchObserver, type RunHooks } from "./launch.ts";
import { send } from "./sync.ts";
import { writeErr } from "../util/stdio.ts";

export interface DetachedOptions {
  /** O_PATH fd of the start fifo; `start` opens the fifo for reading to let the container exec. */
  startFifoFd: number;
  preserveFds?: number;
  /** Connected console socket (process.terminal): the container sends its pty's master there. */
  consoleSocketFd?: number;
  /** The shim goes away once the process runs, so whoever started us (a subreaper like conmon) reaps it. */
  exitOnStart?: boolean;
  /** What a v1 "cgroup" mount shows when the container has no cgroup of its own (rootless): the caller's. */
  cgroupMountPaths?: CgroupPath[];
  /** Run while the child waits after its mounts and before pivot_root (OCI prestart/createRuntime/createContainer hooks). */
  checkpoint?: { fifo: string; run: (pid: number) => Promise<void> };
  noPivot?: boolean;
  observer?: LaunchObserver;
}

export interface Detached {
  pid: number;
  shimPid: number;
  rootMount: string | null;
  cgroup: CgroupState | null;
  /** The sync socket: EXIT arrives here if this process is still around (`run` without -d). */
  sock: number;
  shimExit: Promise<number>;
  /** The shim's next message (STARTED after `start`), failures turned into one line. */
  expect: Launched["expect"];
}

export async function createDetached(spec: Spec, hooks: RunHooks, opts: DetachedOptions): Promise<Detached> {
  const cleanup = new Cleanup();
  let l: Launched | null = null;
  try {
    l = await launch(spec, hooks, cleanup, {
      foreground: false,
      startFifoFd: opts.startFifoFd,
      preserveFds: opts.preserveFds,
      consoleSocketFd: opts.consoleSocketFd,
      hooksFifo: opts.checkpoint?.fifo,
      exitOnStart: opts.exitOnStart,
      cgroupMountPaths: opts.cgroupMountPaths,
      noPivot: opts.noPivot,
      observer: opts.observer,
    });
    if (opts.checkpoint) {
      await l.expect(Msg.CREATED, "setting up the container");
      await opts.checkpoint.run(l.pid);
      await release(opts.checkpoint.fifo, l.shimExit);
    }
    await l.expect(Msg.CREATED, "creating the container");
    // From here the container owns its cgroup and root mount dir; `delete` removes them.
    return { pid: l.pid, shimPid: l.shimPid, rootMount: l.rootMount, cgroup: hooks.cgroups?.state() ?? null, sock: l.sock, shimExit: l.shimExit, expect: l.expect };
  } catch (e) {
    if (l) {
      // A hook failed with the child waiting (or the shim already reported
      // an error): ABORT kills the child, then the shim exits.
      try {
        send(l.sock, Msg.ABORT);
      } catch {}
      await l.shimExit;
    }
    for (const f of await cleanup.run()) writeErr(`zoo-runtime: cleanup: ${f}\n`);
    throw e;
  }
}

/** Lets a child blocked opening `fifo` for writing go on: a reader until a writer has come and gone. */
async function release(fifo: string, shimExit: Promise<number>): Promise<void> {
  let gone = false;
  void shimExit.then(() => (gone = true));
  const fd = openSync(fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
  try {
    while (!pollHangup(fd, 20)) {
      // Let shimExit's callback run; the shim reports the child's failure itself.
      await Bun.sleep(0);
      if (gone) return;
    }
  } finally {
    closeSync(fd);
    unlinkSync(fifo);
  }
}

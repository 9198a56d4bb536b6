// `zoo-runtime create`: the container is set up completely, then left blocked
// in WAIT_START under a shim that outlives this process (no FOREGROUND: the
// shim calls setsid and keeps monitoring after we exit).
import type { CgroupState } from "../cgroups/index.ts";
import type { Spec } from "../oci/spec.ts";
import { Msg } from "../plan/ids.ts";
import { Cleanup } from "../util/cleanup.ts";
import { launch, type Launched, type RunHooks } from "./launch.ts";

export interface DetachedOptions {
  /** O_PATH fd of the start fifo; `start` opens the fifo for reading to let the container exec. */
  startFifoFd: number;
  preserveFds?: number;
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
  try {
    const l = await launch(spec, hooks, cleanup, { foreground: false, startFifoFd: opts.startFifoFd, preserveFds: opts.preserveFds });
    await l.expect(Msg.CREATED, "creating the container");
    // From here the container owns its cgroup and root mount dir; `delete` removes them.
    return { pid: l.pid, shimPid: l.shimPid, rootMount: l.rootMount, cgroup: hooks.cgroups?.state() ?? null, sock: l.sock, shimExit: l.shimExit, expect: l.expect };
  } catch (e) {
    for (const f of await cleanup.run()) process.stderr.write(`zoo-runtime: cleanup: ${f}\n`);
    throw e;
  }
}

// `zoo-runtime exec`: a new process in a running container. The shim joins
// every namespace of the container's init (user first), clones into its
// cgroup, and the child takes on the process's ids, rlimits, capabilities,
// no_new_privs and the container's seccomp filter before exec
// (exec-plan.ts). The shim stays as the process's monitor, as for `run`.
import { closeSync, readFileSync, statSync } from "node:fs";
import type { ExecArgs } from "../../cli/zoo-runtime/exec.ts";
import { ContainerCgroup, type CgroupState } from "../../cgroups/index.ts";
import { loadBundle } from "../../oci/load.ts";
import type { NamespaceType, Spec } from "../../oci/spec.ts";
import { Msg } from "../../plan/ids.ts";
import { compileSeccompCached, defaultSeccompCache } from "../../seccomp/cache.ts";
import { Cleanup } from "../../util/cleanup.ts";
import type { ContainerCgroups } from "../cgroups.ts";
import { launch } from "../launch.ts";
import { waitForExit } from "../run.ts";
import { RuntimeError } from "./errors.ts";
import { buildExecPlan } from "./exec-plan.ts";
import { execProcess, parseProcessJson } from "./exec-process.ts";
import { checkTerminal, writePidFile } from "./create.ts";
import { connectConsoleSocket, consolePair, ourTerminalSize, receiveMaster, relayTerminal } from "../console.ts";
import { statusOf, type Store } from "./store.ts";
import { writeErr } from "../../util/stdio.ts";

// The names of /proc/<pid>/ns/* for the OCI namespace types.
const PROC_NS: Record<NamespaceType, string> = {
  user: "user",
  mount: "mnt",
  pid: "pid",
  network: "net",
  ipc: "ipc",
  uts: "uts",
  cgroup: "cgroup",
  time: "time",
};

/**
 * The namespaces of `pid` to join: those the config lists, by init's own
 * /proc/<pid>/ns links, except the ones we are in already (setns into our own
 * user namespace is EINVAL, and joining any other we share is pointless).
 */
export function namespacesToJoin(pid: number, types: NamespaceType[]): { type: NamespaceType; path: string }[] {
  const ino = (p: string) => {
    try {
      const st = statSync(p);
      return `${st.dev}:${st.ino}`;
    } catch (e) {
      throw new RuntimeError(`cannot read ${p}: ${(e as Error).message}`);
    }
  };
  return types
    .map((type) => ({ type, path: `/proc/${pid}/ns/${PROC_NS[type]}` }))
    .filter((n) => ino(n.path) !== ino(`/proc/self/ns/${PROC_NS[n.type]}`));
}

/**
 * The container's cgroup, joined but never created or removed here.
 * CLONE_INTO_CGROUP (v2) is only used when no cgroup namespace is joined: the
 * kernel judges it from the cloning process's cgroup namespace, in which the
 * shim's own cgroup is invisible once it joined the container's (ENOENT with
 * nsdelegate). Otherwise TS writes cgroup.procs from the host after
 * CHILD_PID, before the child runs anything.
 */
export function joinCgroup(state: CgroupState | null, cloneInto: boolean): ContainerCgroups {
  const cg = state ? ContainerCgroup.restore(state) : null;
  let cloned = false;
  return {
    beforeClone(cleanup) {
      const fd = cg && cloneInto ? cg.openV2Fd() : undefined;
      if (fd === undefined) return null;
      cleanup.add("close cgroup fd", () => closeSync(fd));
      cloned = true;
      return fd;
    },
    attach(pid) {
      cg?.addProcess(pid, { skipV2: cloned });
    },
    // Not ours: the shim must never remove the container's cgroup.
    dirs: () => [],
    oomKilled: () => false,
    state: () => null,
  };
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    throw new RuntimeError(`${what} ${file}: ${(e as Error).message}`);
  }
}

export async function exec(store: Store, a: ExecArgs): Promise<number> {
  // Checked under the lock, run without it: a foreground exec may take hours.
  const s = await store.locked(a.id, () => {
    const s = store.read(a.id);
    const status = statusOf(s);
    if (status === "stopped") throw new RuntimeError("cannot exec in a stopped container");
    if (status === "paused" && !a.ignorePaused) throw new RuntimeError("cannot exec in a paused container (use --ignore-paused to override)");
    return s;
  });
  const spec: Spec = s.spec ?? loadBundle(s.bundle).spec;
  const fromFile = a.processFile === undefined ? undefined : parseProcessJson(readText(a.processFile, "--process"));
  const proc = execProcess(spec.process!, a, fromFile);
  const join = namespacesToJoin(s.pid, (spec.linux?.namespaces ?? []).map((n) => n.type));
  const compiled = spec.linux?.seccomp ? await compileSeccompCached(spec.linux.seccomp as never, defaultSeccompCache()) : null;
  const seccomp = compiled && { program: compiled.bytes, flags: compiled.flags };
  // A user namespace whose gid map was written with setgroups "deny" refuses setgroups(2) for good.
  const setgroupsAllowed = !join.some((n) => n.type === "user") || readText(`/proc/${s.pid}/setgroups`, "reading").trim() !== "deny";
  if (!setgroupsAllowed && a.additionalGids.length) {
    throw new RuntimeError("exec: --additional-gids: the container's user namespace denies setgroups (a rootless single-id map); map more gids to use them");
  }
  const execSpec: Spec = { ociVersion: spec.ociVersion, process: proc, linux: { namespaces: join } };

  checkTerminal(proc.terminal === true, a.detach, a.consoleSocket);
  const cleanup = new Cleanup();
  let consoleFd: number | undefined;
  let ours: number | undefined;
  let relay: ReturnType<typeof relayTerminal> | null = null;
  try {
    if (a.consoleSocket !== undefined) consoleFd = connectConsoleSocket(a.consoleSocket);
    else if (proc.terminal) {
      // Foreground with a pty and no socket: the master comes to us and we relay it.
      const pair = consolePair();
      ours = pair.near;
      consoleFd = pair.far;
      const size = proc.consoleSize ? null : ourTerminalSize();
      if (size) proc.consoleSize = { height: size.rows, width: size.cols };
    }
    if (consoleFd !== undefined) {
      const fd = consoleFd;
      cleanup.add("close console socket", () => closeSync(fd));
    }
    const l = await launch(
      execSpec,
      { cgroups: joinCgroup(s.cgroup, !join.some((n) => n.type === "cgroup")), seccomp },
      cleanup,
      {
        foreground: !a.detach,
        consoleSocketFd: consoleFd,
        // As runc: a detached process belongs to whoever waits for it (containerd's
        // shim and conmon are subreapers and reap it), not to a shim of ours.
        exitOnStart: a.detach,
        preserveFds: a.preserveFds,
        buildSteps: (_, ctx) =>
          buildExecPlan(proc, { join, cgroupFd: ctx.cgroupFd, seccomp: ctx.seccomp, setgroupsAllowed, foreground: ctx.foreground, exitOnStart: a.detach, preserveFds: a.preserveFds, consoleSocketFd: ctx.consoleSocketFd }),
      },
    );
    // The child sends the master before it execs: it arrives ahead of STARTED.
    if (ours !== undefined) relay = relayTerminal(receiveMaster(ours));
    await l.expect(Msg.STARTED, "starting the process");
    if (a.pidFile) {
      try {
        writePidFile(a.pidFile, l.pid);
      } catch (e) {
        // A caller that cannot learn the pid cannot manage the process either.
        try {
          process.kill(l.pid, "SIGKILL");
        } catch {}
        throw e;
      }
    }
    if (a.detach) return 0;
    const status = await waitForExit(l, true);
    if (relay) {
      // What the process wrote last is still in the pty: read until EIO (or give up after a moment).
      await Promise.race([relay.done, Bun.sleep(1000)]);
    }
    return status.signal !== null ? 128 + status.signal : (status.code ?? 0);
  } finally {
    relay?.stop();
    if (ours !== undefined) closeSync(ours);
    for (const f of await cleanup.run()) writeErr(`zoo-runtime: cleanup: ${f}\n`);
  }
}

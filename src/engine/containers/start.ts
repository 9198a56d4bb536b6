// Starting a container of the store: the same spec, network and cgroups as a
// foreground `zoo run`, but a zoo-shim that stays behind as the container's
// monitor (its own session, the log, the exit file, then the exit command
// `zoo container cleanup`) and keeps the container's monitor lock.
import { closeSync, existsSync, rmSync } from "node:fs";
import { Store } from "../../image/store.ts";
import { prepareContainerRoot } from "../../image/rootfs.ts";
import { Msg, Opt } from "../../plan/ids.ts";
import type { PlanStep } from "../../plan/ops.ts";
import type { Spec } from "../../oci/spec.ts";
import { buildPlan, type BuildContext } from "../../runtime/plan-builder.ts";
import { launch } from "../../runtime/launch.ts";
import { containerCgroups } from "../../runtime/cgroup-setup.ts";
import { cgroupParentFor } from "../../cgroups/systemd/index.ts";
import { procInfo } from "../../runtime/oci/proc-stat.ts";
import { transferLease } from "../../net/bridge/attach.ts";
import { streamPair } from "../../sys/libc.ts";
import { Cleanup } from "../../util/cleanup.ts";
import { ZooError } from "../../util/errors.ts";
import { applyNetworkToSpec, chooseNetwork, prepareNetwork } from "../network.ts";
import { specFromImage } from "../image-spec.ts";
import { resolveSecurity } from "../security.ts";
import type { Containers, ContainerState, Resources } from "./store.ts";
import { containerRules } from "../../runtime/device-cgroup/rules.ts";

/** argv that runs this zoo again: the compiled binary, or bun with the entry script. */
export function selfCommand(): string[] {
  return /\/bun(-debug)?$/.test(process.execPath) ? [process.execPath, Bun.main] : [process.execPath];
}

/**
 * Starts container `id`; the caller holds its state lock. `lockFd`: the
 * monitor lock, already held (a restart by the exit command); otherwise it is
 * taken here, and failing to get it means someone else is in charge.
 */
export interface StartOptions {
  /** The monitor lock, already held (a restart by the exit command). */
  lockFd?: number;
  /** With a terminal: its first size (the attaching client's), and a hook once the attach socket exists, before the container runs. */
  consoleSize?: { height: number; width: number };
  onAttachable?: () => Promise<void>;
}

export async function startContainer(cs: Containers, id: string, opts: StartOptions = {}): Promise<ContainerState> {
  const lockFd = opts.lockFd;
  const cfg = cs.config(id);
  const prev = cs.state(id);
  let fd = lockFd ?? cs.tryMonitorLock(id);
  // Another command may hold it for a moment just to look (monitored()).
  for (let i = 0; fd === null && i < 20; i++) {
    await Bun.sleep(10);
    fd = cs.tryMonitorLock(id);
  }
  if (fd === null) throw new ZooError(`container ${cfg.name} is already running`, 1);
  const undo = new Cleanup();
  undo.add("close monitor lock", () => {
    if (lockFd === undefined) closeSync(fd);
  });
  try {
    return await start(cs, id, fd, prev, undo, opts);
  } catch (e) {
    for (const f of await undo.run()) process.stderr.write(`zoo: cleanup: ${f}\n`);
    // As Docker: the container stays as it was (Created), with the error and its exit code.
    cs.writeState(id, { ...prev, error: (e as Error).message, exitCode: (e as ZooError).exitCode ?? 125, pid: 0, resources: null });
    throw e;
  }
}

async function start(cs: Containers, id: string, lockFd: number, prev: ContainerState, undo: Cleanup, opts: StartOptions): Promise<ContainerState> {
  const cfg = cs.config(id);
  const store = new Store(cs.root);
  const dir = cs.path(id);
  const f = cfg.flags;
  const security = resolveSecurity(f);
  const { image, spec, lower } = await specFromImage(store, f, id, cfg.rootless, security);
  const network = chooseNetwork(f, store.root, cfg.rootless);
  const root = prepareContainerRoot(store, image, dir);
  rmSync(cs.path(id, "exit"), { force: true });
  const { hostsFile } = applyNetworkToSpec(spec, network, dir);
  const net = await prepareNetwork(network, f, { id, name: cfg.name, hostname: spec.hostname!, hostsFile }, undo);
  // With systemd managing cgroups: this process joins a delegated scope (the monitor it starts stays there).
  const parent = await cgroupParentFor({ unit: `zoo-${id.slice(0, 12)}.scope`, description: `zoo container ${id.slice(0, 12)}` });
  const cgroups = containerCgroups(spec.linux?.resources ?? {}, {
    parent,
    name: `zoo-${id.slice(0, 12)}`,
    flagHints: { memory: "-m", cpu: "--cpus", pids: "--pids-limit" },
    // Docker's: deny-all plus the default devices; --privileged gets them all.
    devices: f.privileged ? undefined : containerRules([], spec.linux?.devices ?? []),
  });
  const resources: Resources = { cgroup: null, rootMount: null, scratchDirs: [], helpers: [] };
  if (net.attachment) {
    const a = net.attachment;
    resources.bridge = { bridge: a.net.bridge, network: a.net.name, ip: a.ip, prefix: a.prefix, gateway: a.net.gateway };
  }
  const state: ContainerState = {
    ...prev,
    status: "running",
    startedAt: new Date().toISOString(),
    finishedAt: "0001-01-01T00:00:00Z",
    exitCode: 0,
    oomKilled: false,
    error: "",
    stoppedByUser: false,
    resources,
    health: cfg.health ? { status: "starting", failingStreak: 0, log: [] } : undefined,
  };
  // -t: the child sends the pty's master to the monitor, which serves it on the attach socket.
  let console: [number, number] | null = null;
  if (f.tty) {
    spec.process!.terminal = true;
    if (opts.consoleSize) spec.process!.consoleSize = opts.consoleSize;
    console = streamPair();
    const [a, b] = console;
    undo.add("close console socket", () => {
      closeSync(a);
      closeSync(b);
    });
  }
  const args: (string | { keepFd: number })[] = [
    ...(console ? ["--console-fd", { keepFd: 1 }, "--attach-socket", "attach"] : []),
    // -i without -t: the container's stdin is a pipe the monitor feeds from attach clients.
    ...(f.interactive && !f.tty ? ["--stdin", "--attach-socket", "attach"] : []),
    "--log", cs.path(id, "container.log"),
    "--log-max-size", String(cfg.log.maxSize),
    "--log-max-files", String(cfg.log.maxFiles),
    ...(cfg.health ? ["--health-interval", String(cfg.health.intervalMs), "--health-command", ...selfCommand(), "container", "healthcheck", "--root", cs.root, id, ";"] : []),
    "--exit-file", cs.path(id, "exit"),
    "--exit-command", ...selfCommand(), "container", "cleanup", "--root", cs.root, id,
  ];
  const l = await launch(
    spec,
    {
      cgroups,
      seccomp: security.seccomp,
      rootOverlay: { lower, upper: root.upper, work: root.work, userxattr: cfg.rootless },
      onChild: async (pid, cl, rootMount) => {
        await net.onChild(pid, cl);
        await opts.onAttachable?.();
        resources.rootMount = rootMount;
        // Recorded before the container runs: if we die from here on, the
        // monitor's exit command (or the next zoo command) knows what to release.
        resources.cgroup = cgroups.state();
        resources.scratchDirs = [...cl.scratchDirs];
        resources.helpers = cl.helpers.map((p) => ({ pid: p, start: procInfo(p)?.startTime ?? "" }));
        cs.writeState(id, { ...state, pid, pidStart: procInfo(pid)?.startTime ?? "" });
      },
    },
    undo,
    {
      foreground: false,
      consoleSocketFd: console?.[0],
      buildSteps: f.init ? withInit : undefined,
      // The attach socket is made relative to the container's directory: its full path may be too long for a unix socket.
      monitor: { args, keepFds: console ? [lockFd, console[1]] : [lockFd], cwd: dir },
    },
  );
  try {
    await l.expect(Msg.STARTED, "starting the command");
  } catch (e) {
    await l.shimExit;
    throw e;
  }
  const shimStart = procInfo(l.shimPid)?.startTime ?? "";
  if (resources.bridge) transferLease(resources.bridge.bridge, id, l.shimPid, shimStart);
  const final: ContainerState = { ...state, pid: l.pid, pidStart: procInfo(l.pid)?.startTime ?? "", shimPid: l.shimPid, resources };
  cs.writeState(id, final);
  // From here the monitor owns everything made; we only close our own fds.
  const failures = await undo.keep((what) => what.startsWith("close"));
  for (const x of failures) process.stderr.write(`zoo: ${x}\n`);
  return final;
}

/** --init: the plan's options gain INIT (native/src/init.c). */
function withInit(spec: Spec, ctx: BuildContext): PlanStep[] {
  return buildPlan(spec, ctx).map((s) => (s.op === "options" ? { ...s, bits: s.bits | Opt.INIT } : s));
}

export const hasLog = (cs: Containers, id: string) => existsSync(cs.path(id, "container.log"));

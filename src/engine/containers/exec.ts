// `zoo exec`: a new process in a running container, through the runtime's
// exec plan (src/runtime/oci/exec-plan.ts): the shim joins the container's
// namespaces (user first, mount last) and its cgroup, and the child takes the
// container's capabilities and seccomp filter before exec.
import { closeSync, readFileSync } from "node:fs";
import type { PlanStep } from "../../plan/ops.ts";
import { consolePair, receiveMaster, relayTerminal } from "../../runtime/console.ts";
import { terminalSize } from "./attach.ts";
import type { NamespaceType, Process } from "../../oci/spec.ts";
import { Msg } from "../../plan/ids.ts";
import { launch } from "../../runtime/launch.ts";
import { buildExecPlan } from "../../runtime/oci/exec-plan.ts";
import { joinCgroup, namespacesToJoin } from "../../runtime/oci/exec.ts";
import { waitForExit } from "../../runtime/run.ts";
import { Cleanup } from "../../util/cleanup.ts";
import { UsageError, ZooError } from "../../util/errors.ts";
import { resolveSecurity } from "../security.ts";
import { repair } from "./finalize.ts";
import { containers } from "./show.ts";
import { specFromImage } from "../image-spec.ts";
import { Store } from "../../image/store.ts";

export interface ExecOptions {
  container: string;
  command: string[];
  detach: boolean;
  interactive: boolean;
  tty: boolean;
  env: string[];
  user?: string;
  workdir?: string;
}

/** -u NAME|UID[:GROUP|GID], names looked up in the container's own /etc/passwd and /etc/group. */
export function resolveUser(spec: string, passwd: string, group: string): { uid: number; gid: number } {
  const [u, g] = spec.split(":", 2) as [string, string | undefined];
  const pw = passwd.split("\n").map((l) => l.split(":"));
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const e = pw.find((f) => f[2] === u);
    if (e) gid = Number(e[3]);
  } else {
    const e = pw.find((f) => f[0] === u);
    if (!e) throw new ZooError(`unable to find user ${u}: no matching entries in passwd file`, 126);
    uid = Number(e[2]);
    gid = Number(e[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const e = group.split("\n").map((l) => l.split(":")).find((f) => f[0] === g);
      if (!e) throw new ZooError(`unable to find group ${g}: no matching entries in group file`, 126);
      gid = Number(e[2]);
    }
  }
  return { uid, gid: gid ?? 0 };
}

const readIn = (pid: number, p: string) => {
  try {
    return readFileSync(`/proc/${pid}/root${p}`, "utf8");
  } catch {
    return "";
  }
};

/**
 * The exec plan with a TTY op where plan-builder puts it for a container's
 * first process: after the id switch, umask and cwd, before capabilities and
 * seccomp (the op needs to open /dev/ptmx and set the controlling terminal).
 */
export function withTty(steps: PlanStep[], socketFd: number | undefined, proc: Process): PlanStep[] {
  if (socketFd === undefined) return steps;
  const at = steps.findIndex((s) => s.op === "chdir");
  const tty: PlanStep = { op: "tty", socketFd, rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0 };
  return [...steps.slice(0, at + 1), tty, ...steps.slice(at + 1)];
}

export async function execIn(o: ExecOptions): Promise<number> {
  if (o.tty && o.detach) throw new UsageError("exec: -t with -d: a detached process has nobody at its terminal; leave out -t");
  const cs = containers();
  const id = cs.resolve(o.container);
  await repair(cs, [id]);
  const s = cs.state(id);
  const cfg = cs.config(id);
  if (s.status === "paused") throw new ZooError(`container ${cfg.name} is paused, unpause the container before exec`, 1);
  if (s.status !== "running") throw new ZooError(`container ${cfg.name} is not running`, 1);
  const security = resolveSecurity(cfg.flags);
  const { spec } = await specFromImage(new Store(cs.root), cfg.flags, id, cfg.rootless, security);
  const env = new Map((spec.process!.env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)] as const));
  for (const e of o.env) {
    const i = e.indexOf("=");
    if (i <= 0) throw new UsageError(`exec: -e "${e}" must be KEY=VALUE`);
    env.set(e.slice(0, i), e.slice(i + 1));
  }
  if (o.workdir !== undefined && !o.workdir.startsWith("/")) throw new UsageError(`exec: -w "${o.workdir}" must be an absolute path`);
  const user = o.user ? resolveUser(o.user, readIn(s.pid, "/etc/passwd"), readIn(s.pid, "/etc/group")) : spec.process!.user;
  const proc: Process = { ...spec.process!, args: o.command, env: [...env].map(([k, v]) => `${k}=${v}`), cwd: o.workdir ?? spec.process!.cwd, user };
  // The exec plan switches ids before it loads seccomp, and a non-root
  // process without capabilities may only load a filter under no_new_privs.
  // Until the runtime keeps capabilities across setuid, -u USER gets it.
  if (user.uid !== 0 && security.seccomp) proc.noNewPrivileges = true;
  const types: NamespaceType[] = [...(spec.linux?.namespaces ?? []).map((n) => n.type), "network"];
  const join = namespacesToJoin(s.pid, [...new Set(types)]);
  const setgroupsAllowed = !join.some((n) => n.type === "user") || readFileSync(`/proc/${s.pid}/setgroups`, "utf8").trim() !== "deny";
  // -t: the process makes a pty in the container's devpts and sends us the master (the TTY op), which we relay.
  const pair = o.tty ? consolePair() : null;
  if (pair) {
    proc.terminal = true;
    const size = terminalSize();
    if (size) proc.consoleSize = size;
  }
  const cleanup = new Cleanup();
  if (pair) cleanup.add("close console socket", () => {
    closeSync(pair.near);
    closeSync(pair.far);
  });
  try {
    const l = await launch(
      { ociVersion: "1.2.0", process: proc, linux: { namespaces: join } },
      { cgroups: joinCgroup(s.resources?.cgroup ?? null, !join.some((n) => n.type === "cgroup")), seccomp: security.seccomp },
      cleanup,
      {
        foreground: !o.detach,
        consoleSocketFd: pair?.far,
        // -d: nothing of ours (our stdout) is held open by the process.
        monitor: o.detach ? { args: [], keepFds: [] } : undefined,
        buildSteps: (_, ctx) =>
          withTty(
            buildExecPlan(proc, { join, cgroupFd: ctx.cgroupFd, seccomp: ctx.seccomp, setgroupsAllowed, foreground: ctx.foreground, preserveFds: 0 }),
            ctx.consoleSocketFd,
            proc,
          ),
      },
    );
    await l.expect(Msg.STARTED, "starting the process");
    if (o.detach) return 0;
    const relay = pair ? relayTerminal(receiveMaster(pair.near)) : null;
    const st = await waitForExit(l, true);
    if (relay) {
      // What the process wrote last is still in the pty: read until EIO (or give up after a moment).
      await Promise.race([relay.done, Bun.sleep(1000)]);
      relay.stop();
    }
    return st.signal !== null ? 128 + st.signal : (st.code ?? 0);
  } finally {
    for (const f of await cleanup.run()) process.stderr.write(`zoo: cleanup: ${f}\n`);
  }
}

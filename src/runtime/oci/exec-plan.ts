// The plan for `zoo-runtime exec`: join a running container's namespaces,
// clone, become the process's user with its capabilities, exec. No mounts and
// no pivot_root: the new process lives in the container's mount namespace,
// where init already set the root up. Pure, like plan-builder.ts, whose order
// of the credential and security steps this follows (and the tests check).
import type { NamespaceType, Process } from "../../oci/spec.ts";
import { Opt } from "../../plan/ids.ts";
import type { PlanStep } from "../../plan/ops.ts";
import { RLIMIT } from "../../sys/constants.ts";
import { NS_FLAG, SETNS_ORDER } from "../namespaces.ts";
import { capsStep, oomScoreAdjStep } from "../plan-builder.ts";

export interface ExecPlanContext {
  /** The container's namespaces to join (paths such as /proc/<init>/ns/mnt); joined in SETNS_ORDER. */
  join: { type: NamespaceType; path: string }[];
  /** Index of the inherited v2 cgroup directory fd for CLONE_INTO_CGROUP, or null. */
  cgroupFd: number | null;
  seccomp: { program: Uint8Array; flags: number } | null;
  /** False when the container's user namespace was given setgroups "deny". */
  setgroupsAllowed: boolean;
  foreground: boolean;
  /** The shim exits once the process runs, leaving it to the caller's subreaper (`exec -d`, as runc). */
  exitOnStart?: boolean;
  preserveFds: number;
  /** process.terminal: the child's fd of the connected console socket that gets the pty's master. */
  consoleSocketFd?: number;
}

const RLIM_INFINITY = (1n << 64n) - 1n;
const rlimitValue = (n: number) => (n >= 2 ** 64 ? RLIM_INFINITY : BigInt(n));

export function buildExecPlan(proc: Process, ctx: ExecPlanContext): PlanStep[] {
  const arg0 = proc.args[0];
  if (arg0 === undefined || arg0 === "") throw new Error("process.args: empty (exec needs a command)");
  const steps: PlanStep[] = [{ op: "processName", name: "zoo-exec" }];
  for (const type of SETNS_ORDER) {
    const ns = ctx.join.find((n) => n.type === type);
    if (ns) steps.push({ op: "setns", nstype: Number(NS_FLAG[type]), path: ns.path });
  }
  steps.push({ op: "clone", flags: 0n });
  if (ctx.cgroupFd !== null) steps.push({ op: "cgroupFd", fd: ctx.cgroupFd });
  steps.push({ op: "options", bits: Opt.WAIT_SETUP | (ctx.foreground ? Opt.FOREGROUND : 0) | (ctx.exitOnStart ? Opt.EXIT_ON_START : 0) });

  if (proc.oomScoreAdj !== undefined) steps.push(oomScoreAdjStep(proc.oomScoreAdj));
  for (const r of proc.rlimits ?? []) {
    const resource = RLIMIT[r.type];
    if (resource === undefined) throw new Error(`process.rlimits: unknown type "${r.type}"`);
    steps.push({ op: "rlimit", resource, soft: rlimitValue(r.soft), hard: rlimitValue(r.hard) });
  }

  // Always set, even to 0: whoever runs exec brings their own ids and groups
  // (host root's supplementary groups, or an id unmapped in the container's
  // user namespace), none of which belong in the container.
  const { uid, gid, additionalGids = [], umask } = proc.user;
  if (ctx.setgroupsAllowed) steps.push({ op: "setgroups", gids: [...new Set(additionalGids)] });
  steps.push({ op: "setgid", gid }, { op: "setuid", uid });
  steps.push({ op: "umask", mask: umask ?? 0o022 });
  steps.push({ op: "chdir", path: proc.cwd });
  // Where plan-builder has it: as the process's user (the pty is theirs), before seccomp and the capability drop.
  if (ctx.consoleSocketFd !== undefined) {
    steps.push({ op: "tty", socketFd: ctx.consoleSocketFd, rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0 });
  }

  const seccompEarly = ctx.seccomp !== null && !proc.noNewPrivileges;
  if (seccompEarly && ctx.seccomp) steps.push({ op: "seccomp", flags: ctx.seccomp.flags, program: ctx.seccomp.program });
  if (proc.capabilities) steps.push(capsStep(proc.capabilities));
  if (proc.noNewPrivileges) steps.push({ op: "noNewPrivs" });
  steps.push({ op: "closeFds", preserve: ctx.preserveFds });
  if (ctx.seccomp && !seccompEarly) steps.push({ op: "seccomp", flags: ctx.seccomp.flags, program: ctx.seccomp.program });
  steps.push({ op: "exec", path: arg0, args: proc.args, env: proc.env ?? [] });
  return steps;
}

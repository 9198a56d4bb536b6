// `zoo-runtime exec [--process F | flags] ID [COMMAND ARGS...]`: runc's flags.
import { capBit } from "../../oci/caps.ts";
import { UsageError } from "../../util/errors.ts";
import { nonNegativeInt, parseFlags, str } from "./flags.ts";

export interface ExecArgs {
  id: string;
  /** OCI process JSON (a file, or "-" for stdin); excludes COMMAND and the process flags. */
  processFile?: string;
  args: string[];
  detach: boolean;
  pidFile?: string;
  cwd?: string;
  env: string[];
  user?: { uid: number; gid?: number };
  additionalGids: number[];
  caps: string[];
  noNewPrivs: boolean;
  preserveFds: number;
  ignorePaused: boolean;
  /** -t: the process gets a pty (also when --process says terminal: true). */
  tty: boolean;
  consoleSocket?: string;
}

const W = "exec";

const ID_RE = /^\d+$/;
const MAX_ID = 0xffffffff;

function id(v: string, what: string): number {
  if (!ID_RE.test(v) || Number(v) > MAX_ID) throw new UsageError(`${W}: ${what} ${JSON.stringify(v)}: want a number 0..${MAX_ID}`);
  return Number(v);
}

/** uid[:gid], numbers only: the names would have to be looked up in the container's /etc/passwd. */
export function parseUser(v: string): { uid: number; gid?: number } {
  const [u, g, extra] = v.split(":");
  if (extra !== undefined || u === undefined || u === "") throw new UsageError(`${W}: --user ${JSON.stringify(v)}: want UID or UID:GID (numbers)`);
  return { uid: id(u, "--user uid"), ...(g === undefined ? {} : { gid: id(g, "--user gid") }) };
}

export function parseExec(argv: string[]): ExecArgs {
  const { flags, lists, args } = parseFlags(
    argv,
    {
      bool: { detach: "detach", d: "detach", tty: "tty", t: "tty", "no-new-privs": "noNewPrivs", "ignore-paused": "ignorePaused" },
      value: {
        process: "process",
        p: "process",
        "pid-file": "pidFile",
        cwd: "cwd",
        user: "user",
        u: "user",
        "console-socket": "consoleSocket",
        "pidfd-socket": "pidfdSocket",
        "process-label": "processLabel",
        apparmor: "apparmor",
        "preserve-fds": "preserveFds",
        cgroup: "cgroup",
      },
      list: { env: "env", e: "env", cap: "cap", c: "cap", "additional-gids": "additionalGids", g: "additionalGids" },
    },
    W,
  );
  if (flags.pidfdSocket !== undefined) throw new UsageError(`${W}: --pidfd-socket is not supported yet`);
  if (flags.cgroup !== undefined) throw new UsageError(`${W}: --cgroup is not supported: the process joins the container's own cgroup`);
  // Silently running without a requested confinement would be worse than refusing.
  if (str(flags.apparmor)) throw new UsageError(`${W}: --apparmor ${JSON.stringify(flags.apparmor)}: AppArmor is not supported`);
  // --process-label (SELinux) is accepted and ignored, as runc does on hosts without SELinux.
  const [cid, ...command] = args;
  if (cid === undefined) throw new UsageError(`${W}: expected ID and a COMMAND (or --process FILE), got 0 arguments`);
  const processFile = str(flags.process);
  if (processFile === undefined && command.length === 0) throw new UsageError(`${W}: expected ID and a COMMAND (or --process FILE), got only the ID`);
  if (processFile !== undefined && command.length > 0) throw new UsageError(`${W}: give either --process FILE or a COMMAND, not both`);
  const env = lists.env ?? [];
  for (const e of env) if (!/^[^=]+=/.test(e)) throw new UsageError(`${W}: --env ${JSON.stringify(e)}: want NAME=VALUE`);
  const caps = (lists.cap ?? []).map((c) => {
    const name = c.toUpperCase().startsWith("CAP_") ? c.toUpperCase() : `CAP_${c.toUpperCase()}`;
    if (capBit(name) === undefined) throw new UsageError(`${W}: --cap ${JSON.stringify(c)}: unknown capability`);
    return name;
  });
  const additionalGids = (lists.additionalGids ?? []).flatMap((g) => g.split(",")).map((g) => id(g.trim(), "--additional-gids"));
  const cwd = str(flags.cwd);
  if (cwd !== undefined && !cwd.startsWith("/")) throw new UsageError(`${W}: --cwd ${JSON.stringify(cwd)}: want an absolute path`);
  const user = str(flags.user);
  return {
    id: cid,
    processFile,
    args: command,
    detach: flags.detach === true,
    pidFile: str(flags.pidFile),
    cwd,
    env,
    user: user === undefined ? undefined : parseUser(user),
    additionalGids,
    caps,
    noNewPrivs: flags.noNewPrivs === true,
    preserveFds: nonNegativeInt(str(flags.preserveFds), "--preserve-fds", W) ?? 0,
    ignorePaused: flags.ignorePaused === true,
    tty: flags.tty === true,
    consoleSocket: str(flags.consoleSocket),
  };
}

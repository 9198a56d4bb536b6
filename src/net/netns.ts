// Acting inside a container's network namespace.
//
// A netlink socket belongs to the netns its creating thread was in at
// socket() time, for its whole life. So we setns(CLONE_NEWNET) on the JS
// thread, create the socket, and setns straight back — all synchronously,
// with no await in between. That is safe because setns changes only the
// calling thread; Bun's other threads (GC, I/O pool) never leave the host
// netns, and no other JS can run on this thread until we return, so nothing
// else ever observes the foreign netns. If switching back fails we cannot
// continue safely on this thread, so the process aborts instead.
//
// setns into a netns needs CAP_SYS_ADMIN both over the netns's owning user
// namespace and in our own. Root has both. An unprivileged caller owns the
// container's user namespace but has no caps in its own, and a threaded
// process may not join a user namespace. Rootless, the same operations run in
// a short-lived copy of this executable started by nsenter(1), which joins
// the container's user and network namespaces before exec (runNetnsChild).
import { closeSync, openSync } from "node:fs";
import { SyscallError } from "../sys/libc.ts";
import { ZooError } from "../util/errors.ts";
import { NetlinkSocket } from "./netlink/socket.ts";
import { setLinkUp } from "./netlink/ops.ts";
import { errno, libc } from "./sys.ts";

const CLONE_NEWNET = 0x40000000;
/** lo's index in every network namespace (since Linux 3.11). */
export const LOOPBACK_IFINDEX = 1;
const O_RDONLY_CLOEXEC = 0o2000000;

/** Operations that can be shipped to the rootless netns child as JSON. */
export type NetnsOp = { op: "linkUp"; name: string };

function applyOps(nl: NetlinkSocket, ops: NetnsOp[]) {
  for (const o of ops) {
    if (o.op === "linkUp") setLinkUp(nl, o.name === "lo" ? LOOPBACK_IFINDEX : o.name);
  }
}

/** A netlink socket inside /proc/<pid>/ns/net. Root only (see above). */
export function netlinkIn(pid: number): NetlinkSocket {
  const c = libc();
  const self = openSync("/proc/thread-self/ns/net", O_RDONLY_CLOEXEC);
  let target: number | null = null;
  try {
    target = openSync(`/proc/${pid}/ns/net`, O_RDONLY_CLOEXEC);
    if (c.setns(target, CLONE_NEWNET) !== 0) throw new SyscallError(`setns(${pid} netns)`, errno());
    let nl: NetlinkSocket | null = null;
    let err: unknown = null;
    try {
      nl = NetlinkSocket.open();
    } catch (e) {
      err = e;
    }
    if (c.setns(self, CLONE_NEWNET) !== 0) {
      process.stderr.write(`zoo: cannot return to the host network namespace (errno ${errno()})\n`);
      process.abort();
    }
    if (err) throw err;
    nl!.netnsPid = pid;
    return nl!;
  } finally {
    if (target !== null) closeSync(target);
    closeSync(self);
  }
}

const ENV = "ZOO_NETNS_OPS";
/** Both this argument and ENV mark the child, so a stray variable in a user's environment does nothing. */
export const NETNS_CHILD_ARG = "__zoo-netns-child";

/** Runs `ops` in the container's network namespace, directly or via nsenter. */
export async function inNetns(pid: number, ops: NetnsOp[]): Promise<void> {
  if (process.geteuid!() === 0) {
    const nl = netlinkIn(pid);
    try {
      applyOps(nl, ops);
    } finally {
      nl.close();
    }
    return;
  }
  const nsenter = Bun.which("nsenter", { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" });
  if (!nsenter) throw new ZooError("nsenter (util-linux) is needed to configure a rootless container's network");
  // Run from source, the script path is needed too; a compiled zoo is self-contained.
  const self = process.argv[1]?.endsWith(".ts") ? [process.execPath, process.argv[1]] : [process.execPath];
  const p = Bun.spawn([nsenter, `--target=${pid}`, "--user", "--net", "--preserve-credentials", "--", ...self, NETNS_CHILD_ARG], {
    env: { [ENV]: JSON.stringify(ops) },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new ZooError(`container network setup failed: ${err.trim().split("\n").pop() || `exit ${code}`}`);
}

/**
 * The child side of inNetns for rootless callers: main() calls this first;
 * it returns null unless this process was started for it.
 */
export function runNetnsChild(): number | null {
  const raw = process.env[ENV];
  if (raw === undefined || process.argv[process.argv.length - 1] !== NETNS_CHILD_ARG) return null;
  try {
    const nl = NetlinkSocket.open();
    try {
      applyOps(nl, JSON.parse(raw) as NetnsOp[]);
    } finally {
      nl.close();
    }
    return 0;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
}

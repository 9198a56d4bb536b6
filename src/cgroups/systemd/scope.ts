// Asks systemd for a delegated cgroup subtree: a transient scope holding this
// process (what the assignment's systemd_move_to_scope() does), then moves
// this process into a leaf of it so the scope can hand controllers down to
// the container cgroup made beside that leaf.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { DbusConnection } from "../../sys/dbus/connection.ts";
import { cgroupDir, detectHierarchies } from "../detect.ts";
import { CgroupDelegationError } from "../errors.ts";
import { busAddress, scopeProperties, SUPERVISOR_LEAF, type ScopeRequest } from "./unit.ts";

const SYSTEMD = { destination: "org.freedesktop.systemd1", path: "/org/freedesktop/systemd1", interface: "org.freedesktop.systemd1.Manager" };

export interface SystemdScope {
  unit: string;
  /** The scope's cgroup path (as /proc/self/cgroup shows it): the parent for container cgroups. */
  path: string;
}

/** What joinSystemdScope did besides the bus calls, for the run cache; must not throw. */
export const scopeObserver: { joined?: (j: { unit: string; timeoutMs: number; leaf: string; leafMode: number }) => void } = {};

export function systemdBooted(): boolean {
  return existsSync("/run/systemd/system");
}

/** Our cgroup v2 path; only the unified hierarchy is managed this way. */
function ownV2Path(pid: number | "self"): string | undefined {
  const text = readFileSync(`/proc/${pid}/cgroup`, "utf8");
  const lines = text.split("\n").filter(Boolean);
  const v2 = lines.find((l) => l.startsWith("0::"));
  return v2 && lines.every((l) => l.startsWith("0::")) ? v2.slice(3) : undefined;
}

export interface JoinOptions extends Omit<ScopeRequest, "pid"> {
  uid?: number;
  env?: Record<string, string | undefined>;
  /** How long systemd may take to move us (TCG-emulated guests are slow). */
  timeoutMs?: number;
}

export async function joinSystemdScope(o: JoinOptions): Promise<SystemdScope> {
  const uid = o.uid ?? process.geteuid!();
  const env = o.env ?? process.env;
  if (ownV2Path("self") === undefined) {
    throw new CgroupDelegationError("the systemd cgroup manager needs a pure cgroup v2 host; use --cgroup-manager cgroupfs");
  }
  const address = busAddress(uid, env);
  // Loaded only here: the D-Bus client pulls in node:net, ~10 ms of every start-up otherwise.
  const { DbusConnection, DbusError } = await import("../../sys/dbus/connection.ts");
  let bus: DbusConnection;
  try {
    bus = await DbusConnection.open(address, { uid });
  } catch (e) {
    const who = uid === 0 ? "the system bus" : "your user session bus (is there a systemd user session? `loginctl enable-linger`)";
    throw new CgroupDelegationError(`cannot reach systemd through ${who}: ${(e as Error).message}; or use --cgroup-manager cgroupfs`);
  }
  try {
    const props = scopeProperties({ ...o, pid: process.pid });
    try {
      await bus.call({ ...SYSTEMD, member: "StartTransientUnit", signature: "ssa(sv)a(sa(sv))", body: [o.unit, "fail", props, []] });
    } catch (e) {
      const name = e instanceof DbusError && e.dbusName ? ` (${e.dbusName})` : "";
      throw new CgroupDelegationError(`systemd refused the scope ${o.unit}: ${(e as Error).message}${name}`);
    }
  } finally {
    bus.close();
  }
  // systemd moves us when the start job runs, just after it answered.
  const deadline = Date.now() + (o.timeoutMs ?? 20_000);
  let path = ownV2Path("self")!;
  while (!path.endsWith(`/${o.unit}`)) {
    if (Date.now() > deadline) throw new CgroupDelegationError(`systemd did not move pid ${process.pid} into ${o.unit} (still in ${path})`);
    await Bun.sleep(5);
    path = ownV2Path("self")!;
  }
  const v2 = detectHierarchies().find((h) => h.version === 2);
  const dir = v2 && cgroupDir(v2, path);
  if (dir === undefined) throw new CgroupDelegationError(`the scope ${o.unit} (${path}) is not visible under any cgroup2 mount`);
  const leaf = `${dir}/${SUPERVISOR_LEAF}`;
  mkdirSync(leaf);
  writeFileSync(`${leaf}/cgroup.procs`, String(process.pid));
  scopeObserver.joined?.({ unit: o.unit, timeoutMs: o.timeoutMs ?? 20_000, leaf, leafMode: 0o777 });
  return { unit: o.unit, path };
}

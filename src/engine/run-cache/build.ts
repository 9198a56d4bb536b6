// A watched `zoo run --rm` becomes a cache entry (docs/design/run-cache.md,
// "zoo run"): the ops are what zooRun, launch and their cleanups did, in
// their order; per-run values (the ID, its short form, the root mount's
// token) become sites and markers by search (search.ts).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Guard, Phase, RFlag, RMkdir, RRmdir, REPLAY_SHORT_ID_LEN } from "../../plan/replay-ids.ts";
import { cgroupLayerOps, deviceOps } from "../../runtime/oci/run-cache/cgroup-ops.ts";
import { no } from "../../runtime/oci/run-cache/refused.ts";
import type { Entry, Guard as EntryGuard, HostOp } from "../../runtime/oci/run-cache/entry.ts";
import { encodeOrphanList } from "../../runtime/sync.ts";
import type { EngineRecorder } from "./record.ts";
import { leaseOps, netlinkOps } from "./network.ts";
import { systemdOps } from "./systemd.ts";
import { searchPlanSites, templateOf, type RunValues } from "./search.ts";

export interface EngineRunFacts {
  id: string;
  /** The container's directory in the store; its parents exist (EXIST_OK). */
  dir: string;
  /** The image's layers: they must still be there. */
  lower: string[];
  /** What zooRun says on stderr when the memory cgroup counted an OOM kill. */
  oomMessage: string;
}

/** RUN's flags: zoo made the ID, no start fifo, signal deaths re-raised, a foreground shim. */
export const ENGINE_FLAGS = RFlag.ENGINE_ID | RFlag.NO_CREATED | RFlag.RAISE | RFlag.FOREGROUND;

export function buildEngineEntry(r: EngineRecorder, key: Uint8Array, x: EngineRunFacts): Entry {
  if (r.refused) no(r.refused);
  const l = r.launch ?? no("nothing was launched");
  const rootMount = l.ctx.rootMount ?? no("no root mount point");
  const token = /^\/tmp\/zoo\.([A-Za-z0-9_-]{8})$/.exec(rootMount)?.[1] ?? no(`root mount point ${rootMount} has no token`);
  const v: RunValues = { id: x.id, token };
  const t = (s: string) => templateOf(s, v);
  const cg = r.cgroup;
  if (cg && cg.createdParents.length > 0) no("the cgroup layer made parent cgroups");
  if (l.slots.some((s) => s.what !== "cgroup")) no("the shim gets fds an entry cannot name");
  const cgroupFd = l.slots.find((s) => s.what === "cgroup");
  const [shim, ...shimArgs] = l.argv;
  if (shim === undefined || l.planSlot !== 3 || shimArgs.join(" ") !== "--plan-fd 3 --sync-fd 4") no("the shim has other arguments");
  if (new DataView(encodeOrphanList(l.cleanup).buffer).getUint32(0, true) !== l.cleanup.length) no("the CLEANUP list is too long for one message");
  if (r.made[0]?.kind !== "dir" || r.made[0].path !== x.dir) no("the container directory was not read back");

  const ops: HostOp[] = [];
  // prepareContainerRoot's mkdir -p: the store's parents are usually there already.
  const containers = dirname(x.dir);
  for (const p of [dirname(containers), containers]) ops.push({ op: "mkdir", phase: Phase.PREPARE, mode: 0o755, flags: RMkdir.EXIST_OK, path: t(p) });
  // The container directory is new (EEXIST: the ID is taken), then what zoo run wrote into it.
  for (const m of r.made) {
    if (m.kind === "dir") ops.push({ op: "mkdir", phase: Phase.PREPARE, mode: m.mode, flags: 0, path: t(m.path) });
    else {
      if (m.content.includes("\0")) no(`${m.path} holds a NUL byte`);
      ops.push({ op: "replace", phase: Phase.PREPARE, mode: m.mode, path: t(m.path), content: t(m.content) });
    }
  }
  // systemd's cgroup manager: the scope, then the leaf we sit in; the container's cgroup goes beside the leaf.
  ops.push(...systemdOps(r, x.id, t));
  // The cgroup layer as it went: made before clone, the child in after;
  // destroy()'s writes (cgroup.kill on v2) come before its rmdirs, below.
  for (const o of r.cgroupOps) {
    if (o.phase === Phase.TEARDOWN && (o.op !== "write" || !o.path.endsWith("/cgroup.kill"))) no(`cgroup ${o.op} of ${o.path} in the teardown`);
    if (o.phase !== Phase.PREPARE && o.phase !== Phase.CHILD && o.phase !== Phase.TEARDOWN) no("cgroup effects after setup");
  }
  ops.push(...cgroupLayerOps(r, [Phase.PREPARE, Phase.CHILD], String(r.childPid), cgroupFd, t, t));
  // The root's mount point, once a shim holds the list that names it.
  ops.push({ op: "mkdir", phase: Phase.SPAWNED, mode: 0o700, flags: 0, path: t(rootMount) });
  // containerCgroups' attach: device rules once the child is in; then the network.
  if (r.devices !== undefined && cg) ops.push(...deviceOps(cg.paths, r.devices, Phase.CHILD, t, (line) => line));
  // A bridge's lease before its veth; every request in its phase, in the order sent.
  const lease = leaseOps(r, x.id, v, t);
  ops.push(...lease.child, ...netlinkOps(r, v));

  // runForeground: the OOM check, then its cleanups newest first (the root
  // mount point, the cgroup); then zooRun's removal of the directory.
  const mem = cg?.paths.find((p) => p.version === 1 && p.controllers.includes("memory")) ?? cg?.paths.find((p) => p.version === 2);
  if (mem) ops.push({ op: "oom-note", phase: Phase.TEARDOWN, file: t(join(mem.dir, mem.version === 1 ? "memory.oom_control" : "memory.events")), message: x.oomMessage });
  ops.push({ op: "rmdir", phase: Phase.TEARDOWN, flags: RRmdir.ENOENT_OK, path: t(rootMount) });
  ops.push(...cgroupLayerOps(r, [Phase.TEARDOWN], String(r.childPid), cgroupFd, t, t));
  for (const p of cg?.paths ?? []) ops.push({ op: "rmdir", phase: Phase.TEARDOWN, flags: RRmdir.RETRY_BUSY | RRmdir.ENOENT_OK, path: t(p.dir) });
  // zooRun's undo: the lease (its veth went in runForeground's cleanup, above).
  ops.push(...lease.teardown);
  ops.push({ op: "rmtree-all", phase: Phase.TEARDOWN, path: t(x.dir) });

  const { sites, template: plan } = searchPlanSites(l.plan, v) ?? no("the plan differs from its template in more than the ID and token");
  return { key, flags: ENGINE_FLAGS, guards: guards(r, x), shim, plan, sites, cleanup: l.cleanup.map(t), ops };
}

function guards(r: EngineRecorder, x: EngineRunFacts): EntryGuard[] {
  const out: EntryGuard[] = [
    { kind: "file", path: "/proc/self/cgroup", content: r.procCgroup ?? no("cannot read /proc/self/cgroup") },
    { kind: "file", path: "/proc/self/uid_map", content: r.uidMap ?? no("cannot read /proc/self/uid_map") },
  ];
  for (const [path, content] of r.files) out.push({ kind: "file", path, content });
  for (const d of x.lower) out.push({ kind: "stat", path: d, is: Guard.DIR });
  // Whether systemd runs decides the cgroup manager (unless the key's variables say).
  out.push({ kind: "stat", path: "/run/systemd/system", is: existsSync("/run/systemd/system") ? Guard.DIR : Guard.ABSENT });
  // Bind sources in the container's own directory are made by the entry; any other must be as it was.
  const kinds = { dir: Guard.DIR, "not-dir": Guard.NOT_DIR, absent: Guard.ABSENT } as const;
  for (const [path, kind] of r.sources) {
    if (path.startsWith(x.dir + "/")) continue;
    if (kind === "unknown") no(`cannot stat ${path}`);
    out.push({ kind: "stat", path, is: kinds[kind] });
  }
  for (const g of out) if (g.path.includes(x.id.slice(0, REPLAY_SHORT_ID_LEN)) || g.path.includes("\x01")) no(`guarded path ${g.path} depends on the run`);
  return out;
}

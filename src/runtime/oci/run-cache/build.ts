// A watched run becomes a cache entry: the host ops are the ones create,
// launch, start and run's teardown performed, in their order (see
// docs/design/run-cache.md, "Host ops, by phase"), each with this run's
// values replaced by markers and checked by filling them back in.
import { join } from "node:path";
import { O_PATH } from "../../../cgroups/fs.ts";
import { encodePlan } from "../../../plan/encode.ts";
import { toRecords } from "../../../plan/ops.ts";
import { Guard, Mark, Phase, RMkdir, RRmdir, type MarkLetter } from "../../../plan/replay-ids.ts";
import { buildPlan } from "../../plan-builder.ts";
import { FIFO_NAME } from "../store.ts";
import type { Entry, Guard as EntryGuard, HostOp } from "./entry.ts";
import { hasMarkByte } from "./eligible.ts";
import type { RunRecorder } from "./record.ts";
import { encodeOrphanList } from "../../sync.ts";
import { cgroupLayerOps, deviceOps } from "./cgroup-ops.ts";
import { no } from "./refused.ts";
import { fillMarkers, marker, planSites, stateTemplate, standInId, Templater, type Marker, type MarkValues } from "./template.ts";

export { Refused } from "./refused.ts";

// What create and start use (create.ts, store.ts, lifecycle.ts, launch.ts).
const STATE_ROOT_MODE = 0o711;
const STATE_DIR_MODE = 0o711;
const FIFO_MODE = 0o622;
const STATE_FILE_MODE = 0o600;
const PID_FILE_MODE = 0o666;

export function buildEntry(r: RunRecorder, key: Uint8Array, id: string): Entry {
  if (r.refused) no(r.refused);
  const b = r.bundle ?? no("no bundle was loaded");
  const l = r.launch ?? no("nothing was launched");
  const c = r.created ?? no("no container was created");
  const { state } = c;
  if (state.id !== id) no("the state is another container's");
  // root.path is bound onto itself (launch.ts): no mount point of our own,
  // so no token. A root that needed one ("/") is not cached.
  const rootPath = b.spec.root?.path ?? no("no root.path");
  if (state.rootMount !== null) no("the root has a mount point of its own");
  if (l.ctx.rootMount !== rootPath) no("the plan's root is not root.path");
  // The user's tree is never for anyone to remove.
  if (l.cleanup.some((p) => p === rootPath || rootPath.startsWith(p + "/"))) no("the CLEANUP list names the rootfs");
  if (state.pidStartTime === "" || state.shimStartTime === "") no("a start time is unknown");
  const values: MarkValues = {
    [Mark.ID]: id,
    [Mark.PID]: String(state.pid),
    [Mark.SHIM_PID]: String(state.shimPid),
    [Mark.PID_START]: state.pidStartTime,
    [Mark.SHIM_START]: state.shimStartTime,
    [Mark.CREATED]: state.created,
  } as MarkValues;

  // The per-run paths, and how each is made from the run's values.
  const stateDir = join(r.root, id);
  const cg = state.cgroup;
  if (cg && cg.createdParents.length > 0) no("the cgroup layer made parent cgroups (removed on teardown only if empty)");
  // cgroupPlacement: zoo-<id> unless linux.cgroupsPath names it.
  const cgroupName = (m: Marker) => (b.spec.linux?.cgroupsPath ? cg!.name : `zoo-${m(Mark.ID)}`);
  const known = [
    { real: stateDir, template: (m: Marker) => `${r.root === "/" ? "" : r.root}/${m(Mark.ID)}` },
    ...(cg?.paths ?? []).map((p) => {
      if (!p.dir.endsWith(`/${cg!.name}`)) no(`cgroup directory ${p.dir} is not named ${cg!.name}`);
      const parent = p.dir.slice(0, -cg!.name.length);
      return { real: p.dir, template: (m: Marker) => parent + cgroupName(m) };
    }),
  ];
  const t = new Templater(known);
  for (const k of known) checked(k.real, k.template(marker), values);
  const path = (real: string) => checked(real, t.path(real), values);
  const literal = (real: string) => checked(real, real, values);

  const fifoSlot = slotOf(l.slots, "fifo");
  if (l.slots.some((s) => s.what !== "fifo" && s.what !== "cgroup")) no("the shim gets fds an entry cannot name");
  const cgroupFd = l.slots.find((s) => s.what === "cgroup");
  const fifo = join(stateDir, FIFO_NAME);
  if (state.fifo !== fifo) no("the fifo is not in the state directory");

  const ops: HostOp[] = [
    // Store.reserve, then Store.locked.
    { op: "mkdir", phase: Phase.PREPARE, mode: STATE_ROOT_MODE, flags: RMkdir.EXIST_OK, path: literal(r.root) },
    { op: "mkdir", phase: Phase.PREPARE, mode: STATE_DIR_MODE, flags: 0, path: path(stateDir) },
    { op: "lock", phase: Phase.PREPARE, path: path(stateDir) },
    // create: mkfifo + chmod, then its O_PATH fd for the plan's WAIT_START.
    { op: "mkfifo", phase: Phase.PREPARE, mode: FIFO_MODE, path: path(fifo) },
    { op: "open", phase: Phase.PREPARE, flags: O_PATH, slot: fifoSlot, path: path(fifo) },
  ];
  // The cgroup layer, as it went: before clone, then the child's cgroup.procs.
  if (r.cgroupOps.some((o) => o.phase !== Phase.PREPARE && o.phase !== Phase.CHILD)) no("cgroup effects outside create");
  ops.push(...cgroupLayerOps(r, [Phase.PREPARE, Phase.CHILD], values[Mark.PID]!, cgroupFd, path, literal));

  // create after CREATED: device rules, state.json, the pid file; then start.
  ops.push(...deviceOps(cg?.paths ?? [], c.deviceRules, Phase.CREATED, path, literal));
  const json = stateTemplate(state, t, cgroupName, values) ?? no("state.json cannot be made a template");
  ops.push({ op: "replace", phase: Phase.CREATED, mode: STATE_FILE_MODE, path: path(join(stateDir, "state.json")), content: json });
  if (c.pidFile !== undefined) ops.push({ op: "replace", phase: Phase.CREATED, mode: PID_FILE_MODE, path: literal(c.pidFile), content: marker(Mark.PID) });
  ops.push({ op: "start", phase: Phase.CREATED, fifo: path(fifo) });
  // create and start each let go of the lock when done: `state`, `list` and
  // `kill` must not wait for the container to end.
  ops.push({ op: "unlock", phase: Phase.CREATED, path: path(stateDir) });

  // run's teardown, under the lock again: destroy(state, true), then Store.remove.
  ops.push({ op: "lock", phase: Phase.TEARDOWN, path: path(stateDir) });
  for (const p of cg?.paths ?? []) ops.push({ op: "rmdir", phase: Phase.TEARDOWN, flags: RRmdir.RETRY_BUSY | RRmdir.ENOENT_OK, path: path(p.dir) });
  ops.push({ op: "rmtree", phase: Phase.TEARDOWN, path: path(stateDir) });

  // encodeOrphanList drops what does not fit in one message; the front door would send it all.
  if (new DataView(encodeOrphanList(l.cleanup).buffer).getUint32(0, true) !== l.cleanup.length) no("the CLEANUP list is too long for one message");
  const [shim, ...shimArgs] = l.argv;
  if (shim === undefined || l.planSlot !== 3 || shimArgs.join(" ") !== "--plan-fd 3 --sync-fd 4") no("the shim has other arguments");

  return {
    key,
    guards: guards(r),
    shim: literal(shim!),
    ...planTemplate(r, t, id),
    cleanup: l.cleanup.map(path),
    ops,
  };
}

/** A template, checked: filled with this run's values it is `real`, which holds no marker byte. */
function checked(real: string, template: string, values: MarkValues): string {
  if (hasMarkByte(real)) no("a value holds byte 0x01");
  if (fillMarkers(template, values) !== real) no(`cannot make a template of ${JSON.stringify(real)}`);
  return template;
}

function slotOf(slots: { slot: number; what: string }[], what: string): number {
  return slots.find((s) => s.what === what)?.slot ?? no(`no ${what} fd`);
}

/** The plan built again with a stand-in for the ID: PLAN_SITEs are where the two differ. */
function planTemplate(r: RunRecorder, t: Templater, id: string): Pick<Entry, "plan" | "sites"> {
  const l = r.launch!;
  const standIns: Record<string, string> = { [Mark.ID]: standInId(id.length) };
  const standIn: Marker = (m: MarkLetter) => standIns[m] ?? no(`the plan depends on ${m}`);
  const steps = buildPlan(l.spec, {
    ...l.ctx,
    cgroupPaths: l.ctx.cgroupPaths?.map((p) => ({ ...p, dir: t.path(p.dir, standIn) })),
    // The answers the first build got: nothing is looked at again.
    sourceIsFile: (p) => r.sources.get(p) === "not-dir",
  });
  const plan = encodePlan(toRecords(steps));
  const sites = planSites(l.plan, plan, id) ?? no("the plan differs from its template in more than the ID");
  return { plan, sites };
}

function guards(r: RunRecorder): EntryGuard[] {
  const b = r.bundle!;
  const out: EntryGuard[] = [
    { kind: "file", path: join(b.dir, "config.json"), content: b.raw },
    // The cgroup parent is ours unless configured; the default state root and
    // device rules depend on being in the initial user namespace.
    { kind: "file", path: "/proc/self/cgroup", content: r.procCgroup ?? no("cannot read /proc/self/cgroup") },
    { kind: "file", path: "/proc/self/uid_map", content: r.uidMap ?? no("cannot read /proc/self/uid_map") },
    { kind: "stat", path: b.spec.root!.path, is: Guard.DIR },
  ];
  const kinds = { dir: Guard.DIR, "not-dir": Guard.NOT_DIR, absent: Guard.ABSENT } as const;
  for (const [path, kind] of r.sources) {
    if (kind === "unknown") no(`cannot stat ${path}`);
    if (!out.some((g) => g.kind === "stat" && g.path === path)) out.push({ kind: "stat", path, is: kinds[kind] });
  }
  for (const g of out) if (hasMarkByte(g.path)) no("a guarded path holds byte 0x01");
  return out;
}

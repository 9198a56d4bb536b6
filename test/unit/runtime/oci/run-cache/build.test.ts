// buildEntry on a run described by hand (no container): the ops, guards and
// plan template it derives, and the runs it refuses.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { defaultSpec } from "../../../../../src/oci/default-spec.ts";
import type { Spec } from "../../../../../src/oci/spec.ts";
import { encodePlan } from "../../../../../src/plan/encode.ts";
import { toRecords } from "../../../../../src/plan/ops.ts";
import { Guard, Phase, RMkdir, RRmdir, Site } from "../../../../../src/plan/replay-ids.ts";
import { containerRules } from "../../../../../src/runtime/device-cgroup/rules.ts";
import { v1Writes } from "../../../../../src/runtime/device-cgroup/v1.ts";
import { buildPlan, type BuildContext } from "../../../../../src/runtime/plan-builder.ts";
import { buildEntry, Refused } from "../../../../../src/runtime/oci/run-cache/build.ts";
import { RunRecorder } from "../../../../../src/runtime/oci/run-cache/record.ts";
import { fillMarkers, fillPlan } from "../../../../../src/runtime/oci/run-cache/template.ts";
import type { ContainerState } from "../../../../../src/runtime/oci/store.ts";
import { runtimeRunContext, showMarkers } from "../../../../helpers/run-cache.ts";

const ID = "web";
// root.path, bound onto itself: the plan's root, in no removal list.
const ROOTFS = "/srv/web/rootfs";
const CG = [
  { version: 2 as const, controllers: [], mountPoint: "/sys/fs/cgroup/unified", dir: "/sys/fs/cgroup/unified/zoo-web" },
  { version: 1 as const, controllers: ["devices"], mountPoint: "/sys/fs/cgroup/devices", dir: "/sys/fs/cgroup/devices/web/zoo-web" },
];

function spec(): Spec {
  const s = defaultSpec({ rootless: false, uid: 0, gid: 0 });
  s.root = { path: ROOTFS };
  s.process!.args = ["/bin/web"];
  s.mounts!.push({ destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro"] });
  s.mounts!.push({ destination: "/etc/hosts", type: "bind", source: "/srv/web/hosts", options: ["rbind"] });
  s.mounts!.push({ destination: "/data", type: "bind", source: "/srv/data", options: ["rbind"] });
  return s;
}

/** A recorder that saw a run of `web` as create and launch would have shown it. */
function recorded(o: { plan?: (real: Uint8Array) => Uint8Array; createdParents?: string[]; rootMount?: string } = {}): RunRecorder {
  const r = new RunRecorder(["--root", "/run/s", "run", "--pid-file", "p", ID], "/run/s");
  const s = spec();
  r.bundleLoaded("/srv/web", s, new TextEncoder().encode(JSON.stringify(s)));
  r.cgroupOps.push(
    { op: "mkdir", phase: Phase.PREPARE, mode: 0o755, path: CG[0]!.dir },
    { op: "mkdir", phase: Phase.PREPARE, mode: 0o755, path: CG[1]!.dir },
    { op: "open", phase: Phase.PREPARE, flags: 0o12200000, fd: 17, path: CG[0]!.dir },
  );
  const kinds: Record<string, "dir" | "not-dir"> = { "/srv/web/hosts": "not-dir", "/srv/data": "dir" };
  const ctx: BuildContext = runtimeRunContext({
    rootMount: o.rootMount ?? ROOTFS,
    cgroupFd: 6,
    cgroupPaths: CG,
    sourceIsFile: (p) => {
      r.source(p, kinds[p]!);
      return kinds[p] === "not-dir";
    },
  });
  const plan = encodePlan(toRecords(buildPlan(s, ctx)));
  r.planned({
    spec: s,
    ctx,
    plan: o.plan ? o.plan(plan) : plan,
    argv: ["/opt/zoo-shim", "--plan-fd", "3", "--sync-fd", "4"],
    planSlot: 3,
    slots: [{ fd: 9, slot: 5, what: "fifo" }, { fd: 17, slot: 6, what: "cgroup" }],
    cleanup: [...CG.map((c) => c.dir), ...(o.rootMount ? [o.rootMount] : [])],
  });
  r.child(4242);
  r.cgroupOps.push({ op: "write", phase: Phase.CHILD, path: `${CG[1]!.dir}/cgroup.procs`, content: "4242" });
  r.createdContainer({ state: { ...state(s, o.createdParents ?? []), rootMount: o.rootMount ?? null }, deviceRules: containerRules([], []), pidFile: "/work/p" });
  return r;
}

function state(s: Spec, createdParents: string[]): ContainerState {
  return {
    ociVersion: s.ociVersion, id: ID, pid: 4242, bundle: "/srv/web", rootfs: "/srv/web/rootfs", created: "2026-11-30T08:31:46.874Z", owner: "",
    pidStartTime: "99", shimPid: 4241, shimStartTime: "98", cgroup: { name: "zoo-web", paths: CG, createdParents }, rootMount: null, fifo: "/run/s/web/exec.fifo", spec: s,
  };
}

const key = new TextEncoder().encode("k\0");

test("the host ops are create's, launch's, start's and the teardown's, in order, with markers", () => {
  const e = buildEntry(recorded(), key, ID);
  const ops = e.ops.map((o) => JSON.stringify(o, (k, v) => (typeof v === "string" ? showMarkers(v) : k === "insns" ? v.length : v)));
  expect(ops).toEqual([
    JSON.stringify({ op: "mkdir", phase: Phase.PREPARE, mode: 0o711, flags: RMkdir.EXIST_OK, path: "/run/s" }),
    JSON.stringify({ op: "mkdir", phase: Phase.PREPARE, mode: 0o711, flags: 0, path: "/run/s/<I>" }),
    JSON.stringify({ op: "lock", phase: Phase.PREPARE, path: "/run/s/<I>" }),
    JSON.stringify({ op: "mkfifo", phase: Phase.PREPARE, mode: 0o622, path: "/run/s/<I>/exec.fifo" }),
    JSON.stringify({ op: "open", phase: Phase.PREPARE, flags: 0o10000000, slot: 5, path: "/run/s/<I>/exec.fifo" }),
    JSON.stringify({ op: "mkdir", phase: Phase.PREPARE, mode: 0o755, flags: 0, path: "/sys/fs/cgroup/unified/zoo-<I>" }),
    // The parent named like the container stays as it is.
    JSON.stringify({ op: "mkdir", phase: Phase.PREPARE, mode: 0o755, flags: 0, path: "/sys/fs/cgroup/devices/web/zoo-<I>" }),
    JSON.stringify({ op: "open", phase: Phase.PREPARE, flags: 0o12200000, slot: 6, path: "/sys/fs/cgroup/unified/zoo-<I>" }),
    JSON.stringify({ op: "write", phase: Phase.CHILD, path: "/sys/fs/cgroup/devices/web/zoo-<I>/cgroup.procs", content: "<P>" }),
    // The v1 devices hierarchy gets the rules, one write each (no program on the v2 cgroup).
    ...v1Writes(containerRules([], [])).map(([file, line]) => JSON.stringify({ op: "write", phase: Phase.CREATED, path: `/sys/fs/cgroup/devices/web/zoo-<I>/${file}`, content: line })),
    ...ops.slice(-8),
  ]);
  expect(ops[9]).toContain('"devices.deny","content":"a *:* rwm"'.replace('"devices.deny"', '/devices.deny"'));
  expect(ops.slice(-8)).toEqual([
    ops.at(-8)!, // state.json, below
    JSON.stringify({ op: "replace", phase: Phase.CREATED, mode: 0o666, path: "/work/p", content: "<P>" }),
    JSON.stringify({ op: "start", phase: Phase.CREATED, fifo: "/run/s/<I>/exec.fifo" }),
    // The lock is let go once started (state, list and kill must not wait) and taken again to tear down.
    JSON.stringify({ op: "unlock", phase: Phase.CREATED, path: "/run/s/<I>" }),
    JSON.stringify({ op: "lock", phase: Phase.TEARDOWN, path: "/run/s/<I>" }),
    JSON.stringify({ op: "rmdir", phase: Phase.TEARDOWN, flags: RRmdir.RETRY_BUSY | RRmdir.ENOENT_OK, path: "/sys/fs/cgroup/unified/zoo-<I>" }),
    JSON.stringify({ op: "rmdir", phase: Phase.TEARDOWN, flags: RRmdir.RETRY_BUSY | RRmdir.ENOENT_OK, path: "/sys/fs/cgroup/devices/web/zoo-<I>" }),
    JSON.stringify({ op: "rmtree", phase: Phase.TEARDOWN, path: "/run/s/<I>" }),
  ]);
  const json = e.ops.find((o) => o.op === "replace" && o.mode === 0o600)!;
  expect(json.op === "replace" && json.path).toBe("/run/s/\x01I/state.json");
  const values = { I: ID, T: "", P: "4242", S: "4241", p: "99", s: "98", C: "2026-11-30T08:31:46.874Z" };
  expect(json.op === "replace" && fillMarkers(json.content, values)).toBe(JSON.stringify(state(spec(), [])));
  expect(e.cleanup.map(showMarkers)).toEqual(["/sys/fs/cgroup/unified/zoo-<I>", "/sys/fs/cgroup/devices/web/zoo-<I>"]);
  // Nothing made for the root, nothing of it removed.
  expect(e.ops.some((o) => o.phase === Phase.SPAWNED)).toBe(false);
  expect(e.ops.some((o) => "path" in o && o.path.startsWith(ROOTFS))).toBe(false);
  expect(e.shim).toBe("/opt/zoo-shim");
  expect(e.key).toBe(key);
});

test("the plan template has ID sites in the cgroup mounts, no token sites, and fills back", () => {
  const r = recorded();
  const e = buildEntry(r, key, ID);
  expect(e.sites.filter((s) => s.kind === Site.ID).length).toBeGreaterThan(0);
  expect(e.sites.filter((s) => s.kind === Site.TOKEN)).toEqual([]);
  expect(Buffer.from(e.plan).includes("zoo-web")).toBe(false);
  expect(Buffer.from(e.plan).includes(ROOTFS)).toBe(true);
  expect([...fillPlan(e.plan, e.sites, ID, "")]).toEqual([...r.launch!.plan]);
});

test("guards: config.json as read, our cgroup and uid map, the rootfs and each bind source asked about", () => {
  const r = recorded();
  const e = buildEntry(r, key, ID);
  expect(e.guards.map((g) => [g.kind, g.path, g.kind === "stat" ? g.is : null])).toEqual([
    ["file", "/srv/web/config.json", null],
    ["file", "/proc/self/cgroup", null],
    ["file", "/proc/self/uid_map", null],
    ["stat", "/srv/web/rootfs", Guard.DIR],
    ["stat", "/srv/web/hosts", Guard.NOT_DIR],
    ["stat", "/srv/data", Guard.DIR],
  ]);
  const content = (p: string) => (e.guards.find((g) => g.path === p) as { content: Uint8Array }).content;
  expect(content("/srv/web/config.json")).toBe(r.bundle!.raw);
  expect([...content("/proc/self/cgroup")]).toEqual([...readFileSync("/proc/self/cgroup")]);
});

test("a run that cannot be described gets no entry", () => {
  expect(() => buildEntry(recorded({ createdParents: ["/sys/fs/cgroup/unified/zoo"] }), key, ID)).toThrow(Refused);
  // The plan that ran differs from the one built again elsewhere than the ID and token.
  expect(() => buildEntry(recorded({ plan: (p) => p.map((b, i) => (i === p.length - 1 ? b ^ 0xff : b)) }), key, ID)).toThrow(/plan differs/);
  const refused = recorded();
  refused.refuse("hooks");
  expect(() => buildEntry(refused, key, ID)).toThrow("hooks");
  const other = recorded();
  other.cgroupOps.push({ op: "open", phase: Phase.PREPARE, flags: 0, fd: 30, path: "/sys/fs/cgroup/x" });
  expect(() => buildEntry(other, key, ID)).toThrow(/opened/);
  expect(() => buildEntry(recorded(), key, "api")).toThrow(Refused);
  // A root with a mount point of its own (root.path "/") is not cached.
  expect(() => buildEntry(recorded({ rootMount: "/tmp/zoo.Ab3_-xYz" }), key, ID)).toThrow(/mount point of its own/);
  // Should the rootfs ever be listed for removal, no entry repeats that.
  const listed = recorded();
  listed.launch!.cleanup.push(ROOTFS);
  expect(() => buildEntry(listed, key, ID)).toThrow(/names the rootfs/);
  // More cgroup directories than one CLEANUP message holds.
  const long = recorded();
  long.launch!.cleanup = Array.from({ length: 40 }, (_, i) => `/sys/fs/cgroup/${"x".repeat(100)}/${i}/zoo-web`);
  expect(() => buildEntry(long, key, ID)).toThrow(/CLEANUP list/);
});

test("without a v1 devices hierarchy the rules are a DEVICE_BPF on the v2 cgroup", () => {
  const r = recorded();
  const v2 = r.created!.state.cgroup!.paths.filter((p) => p.version === 2);
  r.created!.state.cgroup!.paths = v2;
  r.launch!.cleanup = [v2[0]!.dir];
  r.cgroupOps.splice(0, r.cgroupOps.length, ...r.cgroupOps.filter((o) => o.path.startsWith(v2[0]!.dir) && o.op !== "write"));
  r.launch!.ctx.cgroupPaths = v2;
  r.launch!.plan = encodePlan(toRecords(buildPlan(r.launch!.spec, r.launch!.ctx)));
  const e = buildEntry(r, key, ID);
  const bpf = e.ops.filter((o) => o.op === "device-bpf");
  expect(bpf.map((o) => o.op === "device-bpf" && [o.phase, showMarkers(o.dir), o.insns.length % 8])).toEqual([[Phase.CREATED, "/sys/fs/cgroup/unified/zoo-<I>", 0]]);
  expect(e.ops.some((o) => o.op === "write")).toBe(false);
});
